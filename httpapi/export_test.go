package httpapi

import "net/http"

// RouteInfo describes one mounted route.
type RouteInfo struct {
	Method      string
	Pattern     string // relative to the prefix
	OperationID string
}

// MountedRoutes returns the routes h mounted, in table order.
func MountedRoutes(h http.Handler) []RouteInfo {
	var out []RouteInfo
	for _, rt := range h.(*handler).routes {
		out = append(out, RouteInfo{Method: rt.method, Pattern: rt.pattern, OperationID: rt.operationID})
	}
	return out
}

// WithTestRoute mounts fn as an extra public route, for tests that need a
// handler the API does not have: one that panics, or fails with an error
// that is not a *core.Error.
func WithTestRoute(method, pattern string, fn func(http.ResponseWriter, *http.Request) error) Option {
	return func(c *config) {
		c.extra = append(c.extra, route{
			method:      method,
			pattern:     pattern,
			operationID: "test",
			public:      true,
			handle:      func(_ *handler, c *call, r *http.Request) error { return fn(c, r) },
		})
	}
}

// AppendString and AppendTime expose the hand-written encoders, for tests
// comparing them with encoding/json and the time package.
var (
	AppendString = appendString
	AppendTime   = appendTime
)
