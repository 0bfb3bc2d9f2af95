package ratelimit_test

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/ratelimit"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/store/sqlstore"
)

// BenchmarkLimiter measures the cost of one Allow, a request's rate-limit
// check, over the memory store and SQLite, for a generous class (the
// default API key class: leases of 150 tokens) and a strict one (the auth
// class: lease 1, a store write per request). The clock moves one token
// interval per request, so the bucket never runs dry and every request is
// admitted; storeCalls/op reports the store writes per request.
func BenchmarkLimiter(b *testing.B) {
	classes := []struct {
		name string
		p    ratelimit.Policy
	}{
		{"generous", ratelimit.MustParsePolicy("api-key", "3000/1s,burst=3000")},
		{"strict", ratelimit.MustParsePolicy("auth", "20/1m,burst=20,lease=1")},
	}
	stores := []struct {
		name string
		open func(b *testing.B) ratelimit.Store
	}{
		{"memory", func(b *testing.B) ratelimit.Store { return memory.New() }},
		{"sqlite", func(b *testing.B) ratelimit.Store {
			s, err := sqlstore.Open(b.Context(), "sqlite:"+filepath.Join(b.TempDir(), "rl.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
	for _, st := range stores {
		for _, c := range classes {
			b.Run(st.name+"/"+c.name, func(b *testing.B) {
				cs := &counting{Store: st.open(b)}
				var tick atomic.Int64
				start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
				step := c.p.Interval()
				clock := func() time.Time { return start.Add(time.Duration(tick.Add(1)) * step) }
				l := ratelimit.NewLimiter(cs, ratelimit.WithClock(clock), ratelimit.WithSweep(0, nil))
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					d, err := l.Allow(b.Context(), c.p, "key")
					if err != nil || !d.Allowed() {
						b.Fatalf("Allow: got %+v, %v, want allowed", d, err)
					}
				}
				b.ReportMetric(float64(cs.takes.Load())/float64(b.N), "storeCalls/op")
			})
		}
	}
}
