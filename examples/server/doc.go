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
//	            ATOMIX_SESSION_CHECK
//	                              how long an instance trusts a session's
//	                              state when it verifies an access token,
//	                              so a logout elsewhere ends the token within
//	                              it (default 5s); "off": stateless tokens
//
// Rate limits (ratelimit.go; httpapi.WithRateLimits), on by default, the
// buckets kept in the store so that every instance over it shares them.
// Each class is a policy "LIMIT/WINDOW[,burst=N][,lease=N]" (package
// ratelimit) or "off":
//
//	ATOMIX_RATE_LIMITS         "off" turns every class off
//	ATOMIX_RATE_LIMIT_API_KEY  per platform API key (default
//	                           3000/1s,burst=3000)
//	ATOMIX_RATE_LIMIT_USER     per user, access tokens (default
//	                           1200/1m,burst=200)
//	ATOMIX_RATE_LIMIT_IP       per client address: public endpoints and
//	                           failed credentials (default 600/1m,burst=120)
//	ATOMIX_RATE_LIMIT_AUTH     per client address: login, refresh,
//	                           set-password, OTP and federated login
//	                           (default 20/1m,burst=20,lease=1)
//	ATOMIX_TRUSTED_PROXIES     CIDRs or addresses of the reverse proxies
//	                           whose Forwarded / X-Forwarded-For headers
//	                           name the client (default none: the peer)
//
// A request over its class's limit answers 429 rate_limited with
// Retry-After; responses carry the RateLimit-Policy and RateLimit headers
// of the IETF draft. The load test (examples/loadtest) logs in and
// refreshes 10 times a second from one address: run the server with
// ATOMIX_RATE_LIMIT_AUTH=off (or a larger policy) for it.
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
