package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The names of the metrics WithMetrics registers.
const (
	// MetricRequests counts the requests served, by method, route and
	// status.
	MetricRequests = "atomix_http_requests_total"
	// MetricRequestDuration is the histogram of the time taken to serve a
	// request, by method and route.
	MetricRequestDuration = "atomix_http_request_duration_seconds"
	// MetricRuns counts the billing runs (kind "billing", POST
	// {prefix}/billing/runs) and commission runs (kind "commissions", POST
	// {prefix}/commissions/runs) served, by kind and outcome ("ok",
	// "rejected" for a 4xx answer, "error" for a 5xx one).
	MetricRuns = "atomix_billing_runs_total"
	// MetricRunDuration is the histogram of the time those runs took, by
	// kind and outcome.
	MetricRunDuration = "atomix_billing_run_duration_seconds"
)

// RouteUnmatched is the route label of a request no route matches (the 404
// and 405 answers).
const RouteUnmatched = "unmatched"

// runBuckets are the bounds of MetricRunDuration in seconds: a run writes
// a page of invoices per transaction and may take minutes.
var runBuckets = []float64{0.01, 0.05, 0.25, 1, 5, 25, 125, 600}

// WithMetrics registers the API's Prometheus metrics with reg and keeps
// them as requests are served:
//
//	atomix_http_requests_total{method, route, status}          counter
//	atomix_http_request_duration_seconds{method, route}        histogram
//	atomix_billing_runs_total{kind, outcome}                   counter
//	atomix_billing_run_duration_seconds{kind, outcome}         histogram
//
// route is the pattern of the route table relative to the prefix, such as
// "/tenants/{tenantId}", never the raw path, so that the number of series
// is bounded; a request no route matches has route "unmatched" and its
// method "OTHER" unless it is a standard one. Give reg a registry of your
// own (prometheus.NewRegistry) and serve it with promhttp.HandlerFor,
// outside the API prefix. Several handlers over one registry share the
// series. New panics when reg refuses a metric for another reason than an
// equal one registered before (a programming error).
func WithMetrics(reg prometheus.Registerer) Option {
	return func(c *config) { c.metrics = reg }
}

// metrics holds the collectors of WithMetrics and, for each route, the
// series it updates, resolved once at New. It is read-only after New
// except for the status caches.
type metrics struct {
	requests *prometheus.CounterVec
	// byRoute is keyed by call.route ("METHOD /pattern").
	byRoute map[string]*routeMetrics
	// unmatched is keyed by method: the standard ones and "OTHER".
	unmatched map[string]*routeMetrics
}

// routeMetrics is the series of one route.
type routeMetrics struct {
	method, pattern string
	dur             prometheus.Observer
	// runs and runDur are set on the billing and commission run routes.
	runs   *prometheus.CounterVec
	runDur *prometheus.HistogramVec
	kind   string

	mu       sync.RWMutex
	byStatus map[int]prometheus.Counter
}

// runKinds names the kind of run each run route serves.
var runKinds = map[string]string{
	http.MethodPost + " /billing/runs":     "billing",
	http.MethodPost + " /commissions/runs": "commissions",
}

// newMetrics registers the collectors with reg and resolves the series of
// every route of rts.
func newMetrics(reg prometheus.Registerer, rts []route) *metrics {
	requests := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricRequests,
		Help: "Requests served by the atomix REST API, by method, route pattern and status.",
	}, []string{"method", "route", "status"}))
	dur := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    MetricRequestDuration,
		Help:    "Time taken to serve a request of the atomix REST API, by method and route pattern.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "route"}))
	runs := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricRuns,
		Help: "Billing and commission runs requested through the atomix REST API, by kind and outcome.",
	}, []string{"kind", "outcome"}))
	runDur := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    MetricRunDuration,
		Help:    "Time taken by billing and commission runs requested through the atomix REST API, by kind and outcome.",
		Buckets: runBuckets,
	}, []string{"kind", "outcome"}))

	m := &metrics{
		requests:  requests,
		byRoute:   make(map[string]*routeMetrics, len(rts)),
		unmatched: make(map[string]*routeMetrics),
	}
	newRoute := func(method, pattern string) *routeMetrics {
		return &routeMetrics{
			method:   method,
			pattern:  pattern,
			dur:      dur.WithLabelValues(method, pattern),
			byStatus: make(map[int]prometheus.Counter),
		}
	}
	for _, rt := range rts {
		name := rt.method + " " + rt.pattern
		rm := newRoute(rt.method, rt.pattern)
		if kind, ok := runKinds[name]; ok {
			rm.runs, rm.runDur, rm.kind = runs, runDur, kind
			// The series exist from the start, so that a rate over them
			// reads 0 rather than nothing before the first run.
			for _, o := range []string{"ok", "rejected", "error"} {
				runs.WithLabelValues(kind, o)
			}
		}
		m.byRoute[name] = rm
	}
	for _, method := range append(probeMethods[:], http.MethodOptions, "OTHER") {
		m.unmatched[method] = newRoute(method, RouteUnmatched)
	}
	return m
}

// register registers c with reg and returns it, or the equal collector
// registered before.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic("httpapi: WithMetrics: " + err.Error())
}

// observe records one request: route is call.route, "" when no route
// matched.
func (m *metrics) observe(route, method string, status int, d time.Duration) {
	rm := m.byRoute[route]
	if rm == nil {
		if rm = m.unmatched[method]; rm == nil {
			rm = m.unmatched["OTHER"]
		}
	}
	secs := d.Seconds()
	rm.dur.Observe(secs)
	rm.counter(m.requests, status).Inc()
	if rm.runs != nil {
		o := outcome(status)
		rm.runs.WithLabelValues(rm.kind, o).Inc()
		rm.runDur.WithLabelValues(rm.kind, o).Observe(secs)
	}
}

// counter returns the route's request counter for status, made on first
// use.
func (rm *routeMetrics) counter(requests *prometheus.CounterVec, status int) prometheus.Counter {
	rm.mu.RLock()
	c, ok := rm.byStatus[status]
	rm.mu.RUnlock()
	if ok {
		return c
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if c, ok = rm.byStatus[status]; !ok {
		c = requests.WithLabelValues(rm.method, rm.pattern, strconv.Itoa(status))
		rm.byStatus[status] = c
	}
	return c
}

// outcome is the outcome label of a run answered with status.
func outcome(status int) string {
	switch {
	case status >= 500:
		return "error"
	case status >= 400:
		return "rejected"
	}
	return "ok"
}
