package atomix_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
)

// seedCommissions stores n tenants of a partner under a distributor (the
// partner on partnerPlan's version, the distributor on 10%) and one open
// invoice each for January 2026 with three lines (a subscription line and
// two usage lines), straight in the store. It returns the partner's ID.
func seedCommissions(b testing.TB, p *atomix.Platform, n int, partnerPlan commission.Version) string {
	b.Helper()
	ctx := atomix.AsSystem(context.Background())
	rs := p.Resellers()
	dist, err := rs.CreateDistributor(ctx, rsInput("Bench Distribution"))
	if err != nil {
		b.Fatal(err)
	}
	pin := rsInput("Bench Partners")
	pin.DistributorID = dist.ID
	part, err := rs.CreatePartner(ctx, pin)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		id    string
		level commission.Level
		v     commission.Version
	}{{dist.ID, commission.LevelDistributor, commission.Version{Month: "2026-01", RateBP: 1000}}, {part.ID, commission.LevelPartner, partnerPlan}} {
		pl, err := p.CreateCommissionPlan(ctx, commission.Plan{Name: string(c.level), Level: c.level, Versions: []commission.Version{c.v}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.AssignCommissionPlan(ctx, c.id, pl.ID); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	const chunk = 500
	for lo := 0; lo < n; lo += chunk {
		err := p.Store().InTx(ctx, func(tx store.Store) error {
			for i := lo; i < min(lo+chunk, n); i++ {
				t := tenant.Tenant{ID: fmt.Sprintf("tn_comm%015d", i), Name: fmt.Sprintf("Comm %d", i), Subdomain: fmt.Sprintf("comm-%d", i),
					Status: tenant.StatusActive, OwnerID: part.ID, Contact: tenant.Contact{Name: "Jane", Email: "jane@comm.example.com"},
					CreatedAt: start, UpdatedAt: start}
				if err := tx.CreateTenant(ctx, t); err != nil {
					return err
				}
				lines := []billing.InvoiceLine{
					{Kind: billing.LineSubscription, PlanID: "plan_professional", PeriodStart: start, PeriodEnd: end, Quantity: 1, Amount: 14900, Commissionable: true},
					{Kind: billing.LineUsage, SKU: "api_calls", Metric: "api_calls", PeriodStart: start, PeriodEnd: end, Quantity: 1234, Amount: 1234, Commissionable: true},
					{Kind: billing.LineUsage, SKU: "storage_gb", Metric: "storage_gb", PeriodStart: start, PeriodEnd: end, Quantity: 7, Amount: 175, Commissionable: true},
				}
				at := end.Add(time.Hour)
				inv := billing.Invoice{ID: core.NewID(core.PrefixInvoice), TenantID: t.ID, SubscriptionID: fmt.Sprintf("sub_comm%015d", i), PlanID: "plan_professional",
					OwnerID: part.ID, Status: billing.InvoiceOpen, Currency: money.USD, Month: "2026-01", PeriodStart: start, PeriodEnd: end, Lines: lines,
					Subtotal: 16309, Total: 16309, CreatedAt: at, DueAt: at.AddDate(0, 0, 14), FinalizedAt: &at, UpdatedAt: at}
				if _, err := tx.CreateInvoice(ctx, inv); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return part.ID
}

// BenchmarkCommissions calculates the commissions of 10,000 tenants with
// three invoice lines each through a three-level chain (issue 10: under
// 1 s in memory). Each op is a run for January; op 1 stores 90,000
// entries, later ops find them stored.
func BenchmarkCommissions(b *testing.B) {
	for _, bc := range billingBackends() {
		b.Run(bc.name, func(b *testing.B) {
			clk := &rsClock{}
			clk.set(time.Date(2026, time.January, 2, 0, 0, 0, 0, time.UTC))
			p, err := atomix.New(bc.open(b), atomix.WithClock(clk.now))
			if err != nil {
				b.Fatal(err)
			}
			seedCommissions(b, p, benchTenants(), commission.Version{Month: "2026-01", RateBP: 1500})
			clk.set(time.Date(2026, time.February, 2, 0, 0, 0, 0, time.UTC))
			ctx := atomix.AsSystem(context.Background())
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				run, err := p.CalculateCommissions(ctx, "2026-01")
				if err != nil {
					b.Fatal(err)
				}
				if run.Created+run.Existing != 9*benchTenants() {
					b.Fatalf("run: %+v, want %d entries", run, 9*benchTenants())
				}
			}
		})
	}
}
