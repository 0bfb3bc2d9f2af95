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
package httpapi
