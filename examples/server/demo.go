package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// publishDemo loads the demo data into the store: atom.DemoCatalog,
// seed 000's plans (billing.DemoPlans: Starter 49 USD, 5 atoms, 10 users;
// Professional 149 USD, 15 atoms, 50 users; Enterprise, unlimited) and
// one metered SKU, demoSKU, and the commission plans of
// demoCommissionPlans. It is idempotent: a restart, or several
// servers over one store, add nothing new.
func publishDemo(ctx context.Context, p *atomix.Platform) error {
	ctx = atomix.AsSystem(ctx)
	demo, err := atom.DemoCatalog()
	if err != nil {
		return fmt.Errorf("demo catalog: %w", err)
	}
	if _, err := p.PublishAtoms(ctx, demo.Atoms()...); err != nil {
		return fmt.Errorf("publish the demo catalog: %w", err)
	}
	for _, pl := range billing.DemoPlans() {
		if _, err := p.CreatePlan(ctx, pl); err != nil && core.ErrorCode(err) != core.Conflict {
			return fmt.Errorf("demo plan %s: %w", pl.ID, err)
		}
	}
	sku, err := demoSKU()
	if err != nil {
		return err
	}
	if _, err := p.CreateSKU(ctx, sku); err != nil && core.ErrorCode(err) != core.SKUDuplicate {
		return fmt.Errorf("demo SKU: %w", err)
	}
	for _, pl := range demoCommissionPlans(commission.MonthOf(p.Now())) {
		if _, err := p.CreateCommissionPlan(ctx, pl); err != nil && core.ErrorCode(err) != core.Conflict {
			return fmt.Errorf("demo commission plan %s: %w", pl.ID, err)
		}
	}
	return nil
}

// The demo commission plans: distributors earn 10% and partners 15% of
// every commissionable invoice line, from the month the server first
// started. Assign them with PUT /distributors/{id}/commission-plan and
// PUT /partners/{id}/commission-plan.
const (
	demoDistributorPlan = "cpl_DemoDistributor10pct00"
	demoPartnerPlan     = "cpl_DemoPartner15pct000000"
)

func demoCommissionPlans(month string) []commission.Plan {
	return []commission.Plan{
		{ID: demoDistributorPlan, Name: "Distributor standard (10%)", Level: commission.LevelDistributor,
			Versions: []commission.Version{{Month: month, RateBP: 1000}}},
		{ID: demoPartnerPlan, Name: "Partner standard (15%)", Level: commission.LevelPartner,
			Versions: []commission.Version{{Month: month, RateBP: 1500}}},
	}
}

// demoSKU prices API calls for every USD plan, graduated: the first
// 10,000 calls of a period free, the next 90,000 at 0.001 USD, the rest at
// 0.0005 USD.
func demoSKU() (billing.SKU, error) {
	d := func(s string) money.Decimal {
		v, err := money.ParseDecimal(s)
		if err != nil {
			panic(err) // constant input
		}
		return v
	}
	free, mid := int64(10_000), int64(100_000)
	return billing.SKU{
		Code: "api_calls", Name: "API calls", Aggregation: billing.AggSum, Commissionable: true,
		Price: billing.Price{SKU: "api_calls", Metric: "api_calls", Currency: money.USD, Model: billing.Graduated, Tiers: []billing.Tier{
			{UpTo: &free, UnitAmount: d("0"), FlatAmount: d("0")},
			{UpTo: &mid, UnitAmount: d("0.001"), FlatAmount: d("0")},
			{UnitAmount: d("0.0005"), FlatAmount: d("0")},
		}},
	}, nil
}

// envBool reads a boolean environment variable: "1", "true" and the other
// forms strconv.ParseBool accepts; anything else is false.
func envBool(getenv func(string) string, key string) bool {
	b, _ := strconv.ParseBool(getenv(key))
	return b
}
