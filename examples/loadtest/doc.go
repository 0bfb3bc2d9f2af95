// Command loadtest drives a running example server (examples/server) over
// loopback for a bounded time with a realistic mix of requests, and
// prints the throughput and the p50, p99 and p99.9 latencies of each
// operation, with its error counts.
//
// Start the server first, with the demo data and a super admin whose
// password the logins use:
//
//	go build -o /tmp/atomix-server ./examples/server
//	ATOMIX_API_KEY=ak_loadtest \
//	ATOMIX_ADMIN_EMAIL=admin@example.com \
//	ATOMIX_ADMIN_PASSWORD='a long admin password' \
//	ATOMIX_RATE_LIMIT_AUTH=off \
//	/tmp/atomix-server -addr 127.0.0.1:8080 -dsn sqlite:/tmp/lt/atomix.db -demo
//
// The server's rate limits are on by default; their defaults let the
// tenant lists, atom operations and usage batches through (the API key's
// class refills 3,000 tokens a second), but not 10 logins and refreshes a
// second from one address (the auth class allows 20 a minute), hence
// ATOMIX_RATE_LIMIT_AUTH=off.
//
// then, with the same environment:
//
//	go run ./examples/loadtest -target http://127.0.0.1:8080/v1 -duration 20s
//
// It first seeds what it needs through the API: -tenants tenants on the
// demo plans (POST /tenants, unique subdomains per run). Then, for
// -duration, it runs at once:
//
//   - GET /tenants?limit=20 at -rate requests per second (-workers
//     workers);
//   - POST /auth/login and POST /auth/refresh, alternating, at -auth-rate
//     per second (argon2id makes logins deliberately slow);
//   - POST /tenants/{id}/atoms and DELETE /tenants/{id}/atoms/{atomId}
//     (atom_notification), alternating per tenant, at -atom-rate per
//     second;
//   - POST /usage batches of -batch api_calls records with unique
//     idempotency keys, at -usage-rate batches per second.
//
// Then, for -ingest, an ingestion phase runs alone: -usage-workers
// workers post usage batches back to back (closed loop), reported in
// records per second. It runs after the mix, not in it: a closed loop
// takes every core it can, and on a small machine it would measure the
// starved latency of everything else, not the mix.
//
// The paced classes are open loop: every request has an intended send
// time on a fixed schedule, and its latency is measured from that time,
// so a slow server is not hidden by a generator that waits for it
// (coordinated omission). Latencies are kept exactly and sorted at the
// end.
//
// With -baseline, the tool serves a bare net/http handler on loopback
// answering a fixed JSON body of the size of a GET /tenants page (read
// from -target when given, synthetic otherwise) and drives it the same
// way as GET /tenants, for comparison with the real stack.
//
// Flags, with their environment fallbacks:
//
//	-target         base URL of the API, e.g. http://127.0.0.1:8080/v1
//	-key            platform API key (env ATOMIX_API_KEY)
//	-email          login email (env ATOMIX_ADMIN_EMAIL)
//	-password       login password (env ATOMIX_ADMIN_PASSWORD)
//	-duration       how long the load runs (default 20s)
//	-rate           GET /tenants requests per second (default 1000; 0: none)
//	-workers        workers for GET /tenants (default 32)
//	-auth-rate      logins and refreshes per second (default 5; 0: none)
//	-atom-rate      atom installs and uninstalls per second (default 20; 0: none)
//	-usage-rate     usage batches per second in the mix (default 10; 0: none)
//	-ingest         how long the ingestion phase runs (default 10s; 0: none)
//	-usage-workers  closed-loop workers of the ingestion phase (default 4)
//	-batch          records per usage batch (default 1000)
//	-tenants        tenants seeded (default 20)
//	-baseline       drive the bare loopback handler instead of -target
//
// The exit status is 1 when a request failed. The generator shares the
// machine with the server, so its figures are a floor.
package main
