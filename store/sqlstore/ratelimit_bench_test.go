package sqlstore_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/ratelimit"
)

// BenchmarkTakeRateTokens is one atomic take (the upsert in a transaction
// of its own) on each dialect: the cost of a strict class's request
// (lease 1), and of a generous class's lease. "parallel" takes on 8 keys
// from every core at once.
func BenchmarkTakeRateTokens(b *testing.B) {
	p := ratelimit.MustParsePolicy("bench", "1000/1s,burst=1000")
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			s := open(b, be.dsn(b))
			var tick atomic.Int64
			start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			now := func() time.Time { return start.Add(time.Duration(tick.Add(1)) * p.Interval()) }
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					if d, err := s.TakeRateTokens(b.Context(), "k", p, 1, now()); err != nil || !d.Allowed() {
						b.Fatalf("TakeRateTokens: got %+v, %v, want allowed", d, err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				var worker atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					key := string(rune('a' + worker.Add(1)%8))
					for pb.Next() {
						if _, err := s.TakeRateTokens(b.Context(), key, p, 1, now()); err != nil {
							b.Errorf("TakeRateTokens: got error %v, want nil", err)
							return
						}
					}
				})
			})
		})
	}
}
