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
