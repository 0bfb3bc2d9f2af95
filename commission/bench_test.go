package commission_test

import (
	"fmt"
	"testing"

	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/money"
)

// BenchmarkCalculate reckons a month of 10,000 tenants with 3 lines each
// (a subscription and two usage SKUs), every one owned by one of 20
// partners under a distributor paid by graduated tiers: 90,000 entries.
// The target is under 1 s for the whole monthly workflow in
// memory; this engine is a small part of it.
func BenchmarkCalculate(b *testing.B) {
	dv := version("2026-01", 800)
	dv.Tiers = []commission.Tier{{UpTo: upTo(10_000_00), RateBP: 800}, {UpTo: upTo(100_000_00), RateBP: 1000}, {RateBP: 1200}}
	dv.TierMode, dv.TierCurrency = commission.Graduated, money.USD
	pv := version("2026-01", 1500)
	pv.SKURates = map[string]int{"api_calls": 1000}
	pv.ExcludedSKUs = []string{"sms"}
	in := commission.Input{
		Owners: map[string]commission.Owner{},
		Plans:  map[string]commission.Plan{dist: plan("cpl_dist", commission.LevelDistributor, dv)},
		Month:  month,
		Now:    now,
	}
	for p := range 20 {
		id := fmt.Sprintf("prt_%d", p)
		in.Plans[id] = plan("cpl_"+id, commission.LevelPartner, pv)
	}
	for i := range 10_000 {
		inv := invoice(fmt.Sprintf("inv_%05d", i), fmt.Sprintf("tn_%05d", i), money.USD,
			subLine("plan_pro", 14900), usageLine("api_calls", int64(1000+i)), usageLine("sms", int64(7+i%13)))
		in.Invoices = append(in.Invoices, inv)
		in.Owners[inv.ID] = commission.Owner{PartnerID: fmt.Sprintf("prt_%d", i%20), DistributorID: dist}
	}
	entries, err := commission.Calculate(in)
	if err != nil {
		b.Fatal(err)
	}
	if len(entries) != 90_000 {
		b.Fatalf("entries: got %d, want 90000", len(entries))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := commission.Calculate(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReconcile reconciles the same month.
func BenchmarkReconcile(b *testing.B) {
	in := commission.Input{
		Owners: map[string]commission.Owner{},
		Plans:  chainPlans(),
		Month:  month,
		Now:    now,
	}
	for i := range 10_000 {
		inv := invoice(fmt.Sprintf("inv_%05d", i), fmt.Sprintf("tn_%05d", i), money.USD,
			subLine("plan_pro", 14900), usageLine("api_calls", int64(1000+i)), usageLine("sms", int64(7+i%13)))
		in.Invoices = append(in.Invoices, inv)
		in.Owners[inv.ID] = chain
	}
	entries, err := commission.Calculate(in)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := commission.Reconcile(in.Invoices, entries); err != nil {
			b.Fatal(err)
		}
	}
}
