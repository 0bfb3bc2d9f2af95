package commission_test

import (
	"fmt"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/money"
)

// A partner at 15% under a distributor at 10% sells a 149.00 USD
// subscription: the line splits exactly, the platform keeping the rest.
func ExampleCalculate() {
	plans := map[string]commission.Plan{
		"dist_north": {ID: "cpl_dist", Name: "Distributors", Level: commission.LevelDistributor,
			Versions: []commission.Version{{Month: "2026-01", RateBP: 1000}}},
		"prt_acme": {ID: "cpl_partner", Name: "Partners", Level: commission.LevelPartner,
			Versions: []commission.Version{{Month: "2026-01", RateBP: 1500}}},
	}
	inv := billing.Invoice{
		ID: "inv_1", TenantID: "tn_1", PlanID: "plan_pro", Status: billing.InvoicePaid, Currency: money.USD, Month: "2026-11",
		Lines:    []billing.InvoiceLine{{Kind: billing.LineSubscription, PlanID: "plan_pro", Amount: 14900, Commissionable: true}},
		Subtotal: 14900,
	}
	entries, err := commission.Calculate(commission.Input{
		Invoices: []billing.Invoice{inv},
		Owners:   map[string]commission.Owner{"inv_1": {PartnerID: "prt_acme", DistributorID: "dist_north"}},
		Plans:    plans,
		Month:    "2026-11",
		Now:      time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries {
		fmt.Printf("%-11s %-10s %s\n", e.Party, e.ResellerID, money.New(e.Amount, e.Currency))
	}
	checks, err := commission.Reconcile([]billing.Invoice{inv}, entries)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range checks {
		fmt.Printf("%s: invoiced %d, resellers %d, platform %d, difference %d\n", c.Currency, c.Invoiced, c.Resellers, c.Platform, c.Difference)
	}
	// Output:
	// partner     prt_acme   22.35 USD
	// distributor dist_north 14.90 USD
	// platform               111.75 USD
	// USD: invoiced 14900, resellers 3725, platform 11175, difference 0
}
