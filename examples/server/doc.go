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
// Identity (login, tokens, TOTP; see the README's identity section):
//
//	-issuer     ATOMIX_ISSUER     the "iss" of access tokens (default the
//	                              server's URL, http://ADDR; set it behind a
//	                              proxy, and whenever several instances or
//	                              restarts must agree)
//	-token-alg  ATOMIX_TOKEN_ALG  RS256 (default), ES256 or EdDSA
//	            ATOMIX_SECRET     the platform master secret, at least 32
//	                              bytes (openssl rand -base64 48); every key
//	                              and token hash is derived from it. When
//	                              unset: on SQLite one is generated into
//	                              PATH.secret beside the database (mode
//	                              0600; back it up with the database, it
//	                              opens the signing keys and TOTP secrets);
//	                              with the memory store, one per process;
//	                              PostgreSQL refuses to start without it
//	            ATOMIX_SECRET_PREVIOUS
//	                              earlier master secrets, comma-separated,
//	                              still accepted while rotating
//	            ATOMIX_ADMIN_EMAIL, ATOMIX_ADMIN_PASSWORD, ATOMIX_ADMIN_NAME
//	                              a super admin created at start-up unless a
//	                              platform user has the email (then nothing
//	                              changes, the password included); name
//	                              "Super Admin" by default
//
// Operations endpoints (ops.go), at the root, outside /v1 and the REST
// contract, without authentication: GET /healthz (liveness), GET /readyz
// (the store answers Ping; 503 otherwise) and GET /metrics (Prometheus,
// from the server's own registry: the API's request and run metrics of
// httpapi.WithMetrics, the SQL store's atomix_store_duration_seconds from
// sqlstore.WithObserver, and the Go runtime's and process's).
//
// The server shuts down gracefully on SIGINT and SIGTERM, finishing the
// requests in flight.
package main
