// Command server runs the atomix REST API as a standalone server.
//
//	go run ./examples/server
//
// Flags, each with an environment fallback:
//
//	-addr  ATOMIX_ADDR     listen address (default 127.0.0.1:8080)
//	-dsn   ATOMIX_DSN      store: "sqlite:PATH" or "file:PATH" (default
//	                       sqlite:atomix.db, a file in the working directory),
//	                       "postgres://user@host:5432/db?sslmode=disable", or
//	                       "memory:" (kept in process only)
//	       ATOMIX_API_KEY  the platform API key; when unset, one is generated
//	                       and printed once at start-up
//	-demo  ATOMIX_DEMO=1   publish the demo atom catalog (atom.DemoCatalog,
//	                       idempotently) and limit atom slots as seed 000's
//	                       plans do: plan_starter 5, plan_professional 15,
//	                       plan_enterprise unlimited
//
// The server shuts down gracefully on SIGINT and SIGTERM, finishing the
// requests in flight.
package main
