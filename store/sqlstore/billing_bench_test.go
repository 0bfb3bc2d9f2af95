package sqlstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/billing"
)

// usageBatchSize is the batch of BenchmarkInsertUsage: the largest a
// caller sends (billing.MaxUsageBatch).
const usageBatchSize = billing.MaxUsageBatch

// usageBench makes the batches of BenchmarkInsertUsage: 1,000 records of
// ten tenants, a tenth of them duplicates of keys sent before (in an
// earlier batch, or earlier in the first one).
type usageBench struct {
	next int // the next new key
}

func (u *usageBench) batch() (recs []billing.UsageRecord, dups int) {
	ts := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	recs = make([]billing.UsageRecord, 0, usageBatchSize)
	for i := range usageBatchSize {
		k := u.next
		if i%10 == 9 && k > 0 {
			k = (u.next*7919 + i*104729) % u.next // an earlier key, spread over the past
			dups++
		} else {
			u.next++
		}
		recs = append(recs, billing.UsageRecord{
			TenantID: fmt.Sprintf("tn_usage%02d", k%10), IdempotencyKey: fmt.Sprintf("evt-%012d", k), Metric: "apiCalls",
			Quantity: int64(k%100 + 1), Subject: fmt.Sprintf("usr_%04d", k%1000),
			Timestamp: ts.Add(time.Duration(k) * time.Millisecond), ReceivedAt: ts.Add(time.Hour),
		})
	}
	return recs, dups
}

// BenchmarkInsertUsage measures InsertUsage on batches of 1,000 records
// with 10% duplicates, reporting records/s. The acceptance floors are
// 75,000 records/s on PostgreSQL and 25,000 on SQLite.
func BenchmarkInsertUsage(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			s := open(b, be.dsn(b))
			var u usageBench
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				recs, dups := u.batch()
				b.StartTimer()
				got, err := s.InsertUsage(b.Context(), recs)
				if err != nil {
					b.Fatalf("InsertUsage: got error %v, want nil", err)
				}
				b.StopTimer()
				n := 0
				for _, ok := range got {
					if !ok {
						n++
					}
				}
				if n != dups {
					b.Fatalf("duplicates: got %d, want %d", n, dups)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*usageBatchSize)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
