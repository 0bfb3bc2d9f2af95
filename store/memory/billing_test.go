package memory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/store/memory"
)

// BenchmarkInsertUsage measures InsertUsage on batches of 1,000 records of
// ten tenants with 10% duplicates of keys sent before, reporting
// records/s.
func BenchmarkInsertUsage(b *testing.B) {
	s := memory.New()
	defer s.Close()
	ts := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	next := 0
	batch := func() ([]billing.UsageRecord, int) {
		recs := make([]billing.UsageRecord, 0, billing.MaxUsageBatch)
		dups := 0
		for i := range billing.MaxUsageBatch {
			k := next
			if i%10 == 9 && k > 0 {
				k = (next*7919 + i*104729) % next
				dups++
			} else {
				next++
			}
			recs = append(recs, billing.UsageRecord{
				TenantID: fmt.Sprintf("tn_usage%02d", k%10), IdempotencyKey: fmt.Sprintf("evt-%012d", k), Metric: "apiCalls",
				Quantity: int64(k%100 + 1), Subject: fmt.Sprintf("usr_%04d", k%1000),
				Timestamp: ts.Add(time.Duration(k) * time.Millisecond), ReceivedAt: ts.Add(time.Hour),
			})
		}
		return recs, dups
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		recs, dups := batch()
		b.StartTimer()
		got, err := s.InsertUsage(b.Context(), recs)
		if err != nil {
			b.Fatalf("InsertUsage: got error %v, want nil", err)
		}
		n := 0
		for _, ok := range got {
			if !ok {
				n++
			}
		}
		if n != dups {
			b.Fatalf("duplicates: got %d, want %d", n, dups)
		}
	}
	b.ReportMetric(float64(b.N*billing.MaxUsageBatch)/b.Elapsed().Seconds(), "records/s")
}
