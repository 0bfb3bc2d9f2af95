package billing_test

import (
	"testing"

	"github.com/atomixplatform/atomix/billing"
)

// BenchmarkBuildInvoice bills a prorated period (one plan change) with
// three usage SKUs: two graduated over five tiers and one per unit at a
// tenth of a cent.
func BenchmarkBuildInvoice(b *testing.B) {
	in := invoiceInput(b)
	basic := plan(b, "plan_basic", "USD", 1900)
	in.Plans[basic.ID] = basic
	in.Subscription = must(in.Subscription.ChangePlan(basic, false, at("2026-11-18T10:00:00Z")))
	in.Subscription.TaxRateBP = 1800
	g1 := fiveTiers(b, billing.Graduated, "USD")
	g1.SKU, g1.Metric = "api_calls", "api_calls"
	g2 := fiveTiers(b, billing.Graduated, "USD")
	g2.SKU, g2.Metric = "emails", "emails"
	unit := billing.Price{SKU: "storage", Metric: "storage_mb", Currency: cur(b, "USD"), Model: billing.PerUnit, UnitAmount: dec(b, "0.001")}
	for _, p := range []billing.Price{g1, g2, unit} {
		in.SKUs = append(in.SKUs, billing.SKU{Code: p.SKU, Name: p.SKU, Aggregation: billing.AggSum, Price: p, Commissionable: true})
	}
	in.Usage = map[string]int64{"api_calls": 123_456, "emails": 4_321, "storage_mb": 12_345}
	inv, err := billing.BuildInvoice(in)
	if err != nil {
		b.Fatal(err)
	}
	if len(inv.Lines) != 5 {
		b.Fatalf("lines: got %d, want 5 (2 prorations, 3 usage)", len(inv.Lines))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := billing.BuildInvoice(in); err != nil {
			b.Fatal(err)
		}
	}
}
