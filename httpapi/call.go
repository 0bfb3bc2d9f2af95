package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/atomixplatform/atomix/core"
)

// call is the http.ResponseWriter the routes see: it records what the
// access log needs and carries the request's state, so that the hot path
// needs no context values beyond the principal.
type call struct {
	http.ResponseWriter
	status    int
	bytes     int64
	requestID string
	route     string // "METHOD /pattern" relative to the prefix; "" for no route
	// hv backs the values of the headers set on every response, so that
	// setting them allocates nothing: X-Request-Id, Content-Type and
	// Content-Length. Each header gets a full slice (len == cap), so an
	// append by anyone else copies instead of writing here.
	hv [3]string
}

// setHeader sets a header whose value is kept in c.hv[i].
func (c *call) setHeader(key string, i int, v string) {
	c.hv[i] = v
	c.Header()[key] = c.hv[i : i+1 : i+1]
}

// WriteHeader implements http.ResponseWriter.
func (c *call) WriteHeader(status int) {
	if c.status == 0 && status >= 200 {
		c.status = status
	}
	c.ResponseWriter.WriteHeader(status)
}

// Write implements http.ResponseWriter.
func (c *call) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(b)
	c.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *call) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// headerRequestID is the canonical form of the request-ID header.
const headerRequestID = "X-Request-Id"

// MaxRequestIDLen bounds an incoming X-Request-Id that is kept.
const MaxRequestIDLen = 128

// ServeHTTP implements http.Handler: it assigns the request ID, routes,
// recovers from panics and writes the access log.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	logOn := h.log.Enabled(ctx, slog.LevelInfo)
	var start time.Time
	if logOn || h.metrics != nil {
		start = time.Now()
	}
	c := &call{ResponseWriter: w, requestID: requestID(r.Header)}
	c.setHeader(headerRequestID, 0, c.requestID)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.LogAttrs(ctx, slog.LevelError, "panic serving request",
				slog.String("requestId", c.requestID),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Any("panic", v),
				slog.String("stack", string(debug.Stack())),
			)
			if c.status == 0 {
				// A Location set before the panic would point at nothing;
				// writeProblem replaces the content headers. Headers of the
				// embedder's own middleware stay.
				w.Header().Del("Location")
				h.writeProblem(c, r, &core.Error{Code: core.Internal, Message: "internal error"})
			}
		}
		if h.metrics != nil {
			h.metrics.observe(c.route, r.Method, c.statusOrOK(), time.Since(start))
		}
		if logOn {
			h.log.LogAttrs(ctx, slog.LevelInfo, "http request",
				slog.String("requestId", c.requestID),
				slog.String("method", r.Method),
				slog.String("route", c.route),
				slog.String("path", r.URL.Path),
				slog.Int("status", c.statusOrOK()),
				slog.Int64("bytes", c.bytes),
				slog.Duration("duration", time.Since(start)),
			)
		}
	}()
	h.mux.ServeHTTP(c, r)
}

// statusOrOK returns the status written, or 200 when the handler wrote
// nothing (net/http then sends 200).
func (c *call) statusOrOK() int {
	if c.status == 0 {
		return http.StatusOK
	}
	return c.status
}

// requestID returns the request's X-Request-Id when it is sane (1 to
// MaxRequestIDLen printable ASCII characters, no spaces), and otherwise a
// new "req_..." ID.
func requestID(hd http.Header) string {
	if v := hd[headerRequestID]; len(v) == 1 && validRequestID(v[0]) {
		return v[0]
	}
	return core.NewID(core.PrefixRequest)
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// principalKey is the context key of the request's Principal.
type principalKey struct{}

// WithPrincipal returns a copy of ctx carrying p as the authenticated
// caller. Tests of code below httpapi use it to act as a caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return withPrincipal(ctx, &p)
}

// withPrincipal stores p itself; p must not change afterwards.
func withPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the authenticated caller of the request ctx belongs
// to, and false for an unauthenticated (public) request.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	if !ok || p == nil {
		return Principal{}, false
	}
	return *p, true
}
