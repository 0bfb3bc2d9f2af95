package atomix_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// benchTenants is the size of the billing and commission benchmarks'
// platform: the issues' 10,000 tenants, or 1,000 with -short (CI runs
// every benchmark once with -short, to keep them working; the README's
// figures come from full runs).
func benchTenants() int {
	if testing.Short() {
		return 1_000
	}
	return 10_000
}

// seedBilling stores n tenants on plan_bench (10.00 USD a month, no
// trial) from 2026-01-01, three metered SKUs (api_calls graduated by sum,
// storage_gb per unit by max, active_users volume by unique count) and
// three usage records per SKU and tenant in January 2026, written straight
// to the store. It returns the tenant IDs.
func seedBilling(b *testing.B, p *atomix.Platform, n int) []string {
	b.Helper()
	ctx := atomix.AsSystem(context.Background())
	plan := billing.Plan{ID: "plan_bench", Name: "Bench", Currency: money.USD, Prices: map[billing.Interval]int64{billing.Monthly: 1000},
		Limits: map[string]int64{billing.LimitUsers: 10, "api_calls": 1_000_000}}
	pl, err := p.CreatePlan(ctx, plan)
	if err != nil {
		b.Fatal(err)
	}
	hundred, thousand := int64(100), int64(1000)
	skus := []billing.SKU{
		{Code: "api_calls", Name: "API calls", Aggregation: billing.AggSum, Price: billing.Price{Metric: "api_calls", Currency: money.USD, Model: billing.Graduated,
			Tiers: []billing.Tier{{UpTo: &thousand, UnitAmount: dec(b, "0"), FlatAmount: dec(b, "0")}, {UnitAmount: dec(b, "0.001"), FlatAmount: dec(b, "0")}}}},
		{Code: "storage_gb", Name: "Storage", Aggregation: billing.AggMax, Price: billing.Price{Metric: "storage_gb", Currency: money.USD, Model: billing.PerUnit, UnitAmount: dec(b, "0.25")}},
		{Code: "active_users", Name: "Active users", Aggregation: billing.AggUnique, Price: billing.Price{Metric: "active_users", Currency: money.USD, Model: billing.Volume,
			Tiers: []billing.Tier{{UpTo: &hundred, UnitAmount: dec(b, "1"), FlatAmount: dec(b, "0")}, {UnitAmount: dec(b, "0.5"), FlatAmount: dec(b, "0")}}}},
	}
	for _, s := range skus {
		if _, err := p.CreateSKU(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Date(2026, time.January, 1, 8, 0, 0, 0, time.UTC)
	ids := make([]string, 0, n)
	st := p.Store()
	const chunk = 500
	for lo := 0; lo < n; lo += chunk {
		var recs []billing.UsageRecord
		err := st.InTx(ctx, func(tx store.Store) error {
			for i := lo; i < min(lo+chunk, n); i++ {
				t := tenant.Tenant{ID: fmt.Sprintf("tn_bench%014d", i), Name: fmt.Sprintf("Bench %d", i), Subdomain: fmt.Sprintf("bench-%d", i),
					Status: tenant.StatusActive, PlanID: pl.ID, Contact: tenant.Contact{Name: "Jane", Email: "jane@bench.example.com"},
					CreatedAt: start, UpdatedAt: start}
				if err := tx.CreateTenant(ctx, t); err != nil {
					return err
				}
				sub, err := billing.NewSubscription(t.ID, pl, billing.Monthly, start)
				if err != nil {
					return err
				}
				if err := tx.CreateSubscription(ctx, sub); err != nil {
					return err
				}
				ids = append(ids, t.ID)
				for j := range 3 {
					at := start.Add(time.Duration(j+1) * 24 * time.Hour)
					recs = append(recs,
						billing.UsageRecord{TenantID: t.ID, IdempotencyKey: fmt.Sprintf("c%d", j), Metric: "api_calls", Quantity: int64(700 * (j + 1)), Timestamp: at, ReceivedAt: at},
						billing.UsageRecord{TenantID: t.ID, IdempotencyKey: fmt.Sprintf("s%d", j), Metric: "storage_gb", Quantity: int64(10 + j), Timestamp: at, ReceivedAt: at},
						billing.UsageRecord{TenantID: t.ID, IdempotencyKey: fmt.Sprintf("u%d", j), Metric: "active_users", Quantity: 1, Subject: fmt.Sprintf("usr_%d", j%2), Timestamp: at, ReceivedAt: at})
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		for k := 0; k < len(recs); k += billing.MaxUsageBatch {
			if _, err := st.InsertUsage(ctx, recs[k:min(k+billing.MaxUsageBatch, len(recs))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	return ids
}

// billingBackends are the stores the billing benchmarks run on.
func billingBackends() []struct {
	name string
	open func(b *testing.B) store.Store
} {
	out := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"memory", func(b *testing.B) store.Store { s := memory.New(); b.Cleanup(func() { _ = s.Close() }); return s }},
		{"sqlite", func(b *testing.B) store.Store { return openSQL(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db")) }},
	}
	if dsn := os.Getenv("ATOMIX_TEST_POSTGRES_DSN"); dsn != "" {
		out = append(out, struct {
			name string
			open func(b *testing.B) store.Store
		}{"postgres", func(b *testing.B) store.Store { return openSQL(b, postgresSchema(b, dsn)) }})
	}
	return out
}

// BenchmarkBillingRun runs billing for 10,000 tenants with three metered
// SKUs each (issue 9: under 10 s on SQLite). Each op is one month's run,
// making 10,000 invoices; op 1 bills January's usage.
func BenchmarkBillingRun(b *testing.B) {
	for _, bc := range billingBackends() {
		b.Run(bc.name, func(b *testing.B) {
			clk := &rsClock{}
			clk.set(time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC))
			p, err := atomix.New(bc.open(b), atomix.WithClock(clk.now))
			if err != nil {
				b.Fatal(err)
			}
			seedBilling(b, p, benchTenants())
			ctx := atomix.AsSystem(context.Background())
			month := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				run, err := p.RunBilling(ctx, month.AddDate(0, i, 0).Format("2006-01"), false)
				if err != nil {
					b.Fatal(err)
				}
				if run.Created != benchTenants() {
					b.Fatalf("run %d: made %d invoices, want %d", i, run.Created, benchTenants())
				}
			}
			b.ReportMetric(float64(benchTenants()*b.N)/b.Elapsed().Seconds(), "invoices/s")
		})
	}
}

// BenchmarkTenantUsage reads one tenant's usage report (issue 9: under
// 1 ms) among 10,000 tenants with 90,000 usage records.
func BenchmarkTenantUsage(b *testing.B) {
	for _, bc := range billingBackends() {
		b.Run(bc.name, func(b *testing.B) {
			clk := &rsClock{}
			clk.set(time.Date(2026, time.January, 20, 0, 0, 0, 0, time.UTC))
			p, err := atomix.New(bc.open(b), atomix.WithClock(clk.now))
			if err != nil {
				b.Fatal(err)
			}
			ids := seedBilling(b, p, benchTenants())
			ctx := atomix.AsSystem(context.Background())
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				rep, err := p.TenantUsage(ctx, ids[i%len(ids)], time.Time{})
				if err != nil {
					b.Fatal(err)
				}
				if len(rep.Metrics) != 5 {
					b.Fatalf("report: got %d metrics, want 5", len(rep.Metrics))
				}
				i += 7919
			}
		})
	}
}
