package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/store/sqlstore"
)

// metricStore is the histogram of the SQL store's transactions and
// statements.
const metricStore = "atomix_store_duration_seconds"

// storeBuckets are the bounds of metricStore in seconds, from 0.1 ms (a
// cached read) to 6.5 s.
var storeBuckets = prometheus.ExponentialBuckets(0.0001, 4, 9)

// storeOps and storeOutcomes are every value of metricStore's labels.
var (
	storeOps      = []string{sqlstore.OpTx, sqlstore.OpSelect, sqlstore.OpInsert, sqlstore.OpUpdate, sqlstore.OpDelete, sqlstore.OpOther}
	storeOutcomes = []string{"ok", "rejected", "canceled", "error"}
)

// operations is the server's operations side: its own metrics registry
// (never the global one) and the store histogram fed by the SQL store's
// observer.
type operations struct {
	reg *prometheus.Registry
	// store holds the observer of each op, then outcome, resolved once so
	// that observing allocates nothing.
	store map[string][]prometheus.Observer
}

func newOperations() *operations {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    metricStore,
		Help:    "Time taken by the SQL store's transactions (op tx) and statements (op select, insert, update, delete, other), by op and outcome.",
		Buckets: storeBuckets,
	}, []string{"op", "outcome"})
	reg.MustRegister(hist)
	o := &operations{reg: reg, store: make(map[string][]prometheus.Observer, len(storeOps))}
	for _, op := range storeOps {
		for _, out := range storeOutcomes {
			o.store[op] = append(o.store[op], hist.WithLabelValues(op, out))
		}
	}
	return o
}

// storeObserver returns the sqlstore.Observer that feeds metricStore.
func (o *operations) storeObserver() sqlstore.Observer {
	return func(op string, d time.Duration, err error) {
		obs, ok := o.store[op]
		if !ok {
			obs = o.store[sqlstore.OpOther]
		}
		obs[storeOutcome(err)].Observe(d.Seconds())
	}
}

// storeOutcome returns the index in storeOutcomes of err's outcome: ok;
// rejected, an error a caller can act on (not found, conflict, invalid);
// canceled, the caller went away or ran out of time; error, anything else.
func storeOutcome(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return 2
	}
	var ce *core.Error
	if errors.As(err, &ce) && ce.Code.Class() != core.Internal {
		return 1
	}
	return 3
}

// watch adds the platform's CPU gate and password hashing pool to the
// registry, read when scraped: a growing atomix_cpu_gate_waiting says
// that logins and usage batches queue for CPU.
func (o *operations) watch(p *atomix.Platform) {
	g, users := p.CPUGate(), p.Identity()
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	o.reg.MustRegister(
		gauge("atomix_cpu_gate_slots", "CPU-heavy jobs (password hashes, usage batches) that may run at once.",
			func() float64 { return float64(g.Stats().Slots) }),
		gauge("atomix_cpu_gate_running", "CPU-heavy jobs running in a slot of the platform's gate.",
			func() float64 { return float64(g.Stats().Running) }),
		gauge("atomix_cpu_gate_waiting", "CPU-heavy jobs waiting for a slot of the platform's gate.",
			func() float64 { return float64(g.Stats().Waiting) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "atomix_cpu_gate_jobs_total", Help: "CPU-heavy jobs admitted by the platform's gate."},
			func() float64 { return float64(g.Stats().Runs) }),
		gauge("atomix_password_hashes_waiting", "Password hashes waiting for room in the hashing pool or a slot of the CPU gate.",
			func() float64 { return float64(users.HashStats().Waiting) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "atomix_password_hashes_total", Help: "argon2id computations: new hashes, verifications and the dummy ones of unknown users."},
			func() float64 { return float64(users.HashStats().Hashes) }),
	)
}

// mount serves the operations endpoints at the root of mux, outside the
// API prefix: GET /healthz, GET /readyz and GET /metrics.
func (o *operations) mount(mux *http.ServeMux, p *atomix.Platform, logger *slog.Logger) {
	mux.Handle("GET /healthz", httpapi.Healthz())
	mux.Handle("GET /readyz", httpapi.Readyz(p, logger))
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
}
