// Package httpapi serves the atomix REST contract (shared/api-map.md) over
// net/http.
//
// New returns an http.Handler that an embedder mounts on its own mux under a
// prefix it picks (default "/v1"); it touches nothing else:
//
//	mux.Handle("/platform/v1/", httpapi.New(p,
//		httpapi.WithPrefix("/platform/v1"),
//		httpapi.WithAPIKey(key),
//	))
//
// The package owns what every endpoint shares, each written once: the route
// table (one row per operation, also checked against the OpenAPI document),
// strict JSON decoding, RFC 9457 problem details with the stable core.Code of
// every error and the one code-to-status map, bearer authentication, request
// IDs, panic recovery and the slog access log. Handlers decode, call the
// atomix.Platform or a domain service, and encode; the rules live in the
// domain packages.
//
// GET {prefix}/swagger.json serves the OpenAPI 3.1 document of exactly the
// routes mounted, with its server URL set to the prefix.
// GET {prefix}/swagger serves Swagger UI 5 reading it, its files under
// {prefix}/swagger/ embedded in the binary (github.com/swaggest/swgui); both
// are public operations of the document, tagged docs.
//
// A request authenticates with "Authorization: Bearer" and the platform API
// key (WithAPIKey) or a user's access token from POST {prefix}/auth/login,
// which the platform's identity service verifies (atomix.WithIdentity); the
// keys that verify access tokens are public at
// GET {prefix}/.well-known/jwks.json. Handlers read the caller with
// PrincipalFrom. Every refusal is the same 401 to the caller and is logged
// with its reason. Until roles and grants land, platform endpoints need the
// super admin (the API key or a super_admin user; 403 for others), and
// /users/{userId}/... the user itself or the super admin (404 for others).
// A 429 carries Retry-After.
//
// Rate limits (ratelimit.go): WithRateLimits counts every request against
// one token bucket kept in the store (package ratelimit), shared by every
// instance: the platform API key's, a user's, or the client address's for
// public endpoints and failed credentials, with a stricter class for the
// public auth endpoints. Over the limit a request answers 429 rate_limited
// with Retry-After; limited responses carry the RateLimit-Policy and
// RateLimit headers of the IETF draft. A store error lets the request
// through and is logged.
//
// Billing (billing.go, subscriptions.go, usage.go, invoices.go): the
// public plan list GET {prefix}/billing/plans, plans and pricing for the
// platform, subscriptions, usage ingestion and reports, billing runs,
// invoices and summaries, each scoped and permitted by the library. Money
// is integer minor units with its currency beside a decimal written from
// them; sub-minor prices are decimal strings. No amount passes through a
// float.
//
// Operations (metrics.go, probes.go): WithMetrics registers the request
// and run metrics with a Prometheus registry the embedder serves; Healthz
// and Readyz are the liveness and readiness probes, mounted outside the
// prefix. None is part of the REST contract or the OpenAPI document.
//
// Commissions (commissions.go): commission plans with effective-dated rate
// versions (rates in integer basis points, "rateBp"), each distributor's
// and partner's plan, runs, statements, seed 001's summary and the
// reconciliation. Plans, assignments, runs, the reconciliation and closing
// are the platform's; statements and summaries are scoped by the library
// (a distributor sees its own and its partners', a partner its own).
package httpapi
