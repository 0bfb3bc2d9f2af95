package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/atomixplatform/atomix/httpapi"
)

// sample names one series: a metric and its labels.
type sample struct {
	name   string
	labels map[string]string
}

// value returns the series' value in reg: a counter's value or a
// histogram's sample count; 0 for a series that does not exist.
func (s sample) value(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, f := range fams {
		if f.GetName() != s.name {
			continue
		}
		for _, m := range f.GetMetric() {
			if matches(m, s.labels) {
				if h := m.GetHistogram(); h != nil {
					return float64(h.GetSampleCount())
				}
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func matches(m *dto.Metric, labels map[string]string) bool {
	if len(m.GetLabel()) != len(labels) {
		return false
	}
	for _, lp := range m.GetLabel() {
		if v, ok := labels[lp.GetName()]; !ok || v != lp.GetValue() {
			return false
		}
	}
	return true
}

func requests(method, route, status string) sample {
	return sample{httpapi.MetricRequests, map[string]string{"method": method, "route": route, "status": status}}
}

func durations(method, route string) sample {
	return sample{httpapi.MetricRequestDuration, map[string]string{"method": method, "route": route}}
}

func runs(kind, outcome string) sample {
	return sample{httpapi.MetricRuns, map[string]string{"kind": kind, "outcome": outcome}}
}

func runDurations(kind, outcome string) sample {
	return sample{httpapi.MetricRunDuration, map[string]string{"kind": kind, "outcome": outcome}}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, httpapi.WithMetrics(reg))
	tn := e.create(t, "Metered", "metered")
	tests := []struct {
		name   string
		req    req
		status int
		// grow are the series that must grow by exactly one.
		grow []sample
	}{
		{"a list", req{method: "GET", path: "/tenants"}, http.StatusOK,
			[]sample{requests("GET", "/tenants", "200"), durations("GET", "/tenants")}},
		{"a read by ID is labelled with the pattern", req{method: "GET", path: "/tenants/" + tn.ID}, http.StatusOK,
			[]sample{requests("GET", "/tenants/{tenantId}", "200"), durations("GET", "/tenants/{tenantId}")}},
		{"a missing tenant", req{method: "GET", path: "/tenants/tn_missing"}, http.StatusNotFound,
			[]sample{requests("GET", "/tenants/{tenantId}", "404"), durations("GET", "/tenants/{tenantId}")}},
		{"without authentication", req{method: "GET", path: "/tenants", auth: "-"}, http.StatusUnauthorized,
			[]sample{requests("GET", "/tenants", "401")}},
		{"no route", req{method: "GET", path: "/no/such/route"}, http.StatusNotFound,
			[]sample{requests("GET", httpapi.RouteUnmatched, "404"), durations("GET", httpapi.RouteUnmatched)}},
		{"a billing run", req{method: "POST", path: "/billing/runs", body: `{"period":"2025-12"}`}, http.StatusOK,
			[]sample{requests("POST", "/billing/runs", "200"), runs("billing", "ok"), runDurations("billing", "ok")}},
		{"a refused billing run", req{method: "POST", path: "/billing/runs", body: `{"period":"2026-13"}`}, http.StatusUnprocessableEntity,
			[]sample{requests("POST", "/billing/runs", "422"), runs("billing", "rejected"), runDurations("billing", "rejected")}},
		{"a commission run", req{method: "POST", path: "/commissions/runs", body: `{"period":"2025-12"}`}, http.StatusOK,
			[]sample{requests("POST", "/commissions/runs", "200"), runs("commissions", "ok"), runDurations("commissions", "ok")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := make([]float64, len(tc.grow))
			for i, s := range tc.grow {
				before[i] = s.value(t, reg)
			}
			e.do(t, tc.req).wantStatus(t, tc.status)
			for i, s := range tc.grow {
				if got := s.value(t, reg); got != before[i]+1 {
					t.Errorf("%s%v: got %v, want %v", s.name, s.labels, got, before[i]+1)
				}
			}
		})
	}
	// Every series names a route of the table or "unmatched", never a raw
	// path.
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "route" && strings.Contains(lp.GetValue(), "tn_") {
					t.Errorf("%s: got route label %q, want a pattern", f.GetName(), lp.GetValue())
				}
			}
		}
	}
	// The run series exist before any run.
	if got := runs("billing", "error").value(t, reg); got != 0 {
		t.Errorf("billing runs that failed: got %v, want 0", got)
	}
}

// TestMetricsSharedRegistry checks that two handlers can share one
// registry (New would panic otherwise) and count into the same series.
func TestMetricsSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := newEnv(t, httpapi.WithMetrics(reg))
	b := newEnv(t, httpapi.WithMetrics(reg))
	a.do(t, req{method: "GET", path: "/tenants"}).wantStatus(t, http.StatusOK)
	b.do(t, req{method: "GET", path: "/tenants"}).wantStatus(t, http.StatusOK)
	if got := requests("GET", "/tenants", "200").value(t, reg); got != 2 {
		t.Errorf("requests: got %v, want 2", got)
	}
}

// TestMetricsRefused checks that New panics when the registry refuses a
// metric: here one of the same name with other labels.
func TestMetricsRefused(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounterVec(prometheus.CounterOpts{Name: httpapi.MetricRequests, Help: "other"}, []string{"path"}))
	defer func() {
		if recover() == nil {
			t.Error("New with a clashing metric: got no panic, want one")
		}
	}()
	newEnv(t, httpapi.WithMetrics(reg))
}

// BenchmarkHTTPTenantGetMetrics is BenchmarkHTTPTenantGet with
// WithMetrics: the difference is the cost of the request metrics.
func BenchmarkHTTPTenantGetMetrics(b *testing.B) {
	p, id := benchPlatform(b)
	h := httpapi.New(p, httpapi.WithAPIKey(testKey), httpapi.WithMetrics(prometheus.NewRegistry()))
	benchServe(b, h, benchGetPath(id), answer(b, h, benchGetPath(id)))
}
