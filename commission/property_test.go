package commission_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/money"
)

var (
	propSKUs   = []string{"api_calls", "emails", "sms", "storage"}
	propPlans  = []string{"plan_basic", "plan_pro", "plan_team"}
	propMonths = []string{"2026-01", "2026-09", "2026-11", "2026-12", "2027-02"}
)

// randomRate returns a rate in [0, max], often one of the edges.
func randomRate(r *rand.Rand, limit int) int {
	switch r.IntN(5) {
	case 0:
		return 0
	case 1:
		return limit
	}
	return r.IntN(limit + 1)
}

// randomVersion returns a version from month m whose every rate is at
// most limit.
func randomVersion(r *rand.Rand, m string, limit int, currencies []money.Currency) commission.Version {
	v := commission.Version{Month: m, RateBP: randomRate(r, limit), ClawbackUncollectible: r.IntN(2) == 0}
	for _, s := range propSKUs {
		switch r.IntN(4) {
		case 0:
			if v.SKURates == nil {
				v.SKURates = map[string]int{}
			}
			v.SKURates[s] = randomRate(r, limit)
		case 1:
			v.ExcludedSKUs = append(v.ExcludedSKUs, s)
		}
	}
	for _, p := range propPlans {
		if r.IntN(3) == 0 {
			if v.PlanRates == nil {
				v.PlanRates = map[string]int{}
			}
			v.PlanRates[p] = randomRate(r, limit)
		}
	}
	if r.IntN(2) == 0 {
		n := 1 + r.IntN(4)
		bound := int64(0)
		for i := range n {
			t := commission.Tier{RateBP: randomRate(r, limit)}
			if i < n-1 {
				bound += 1 + r.Int64N(50000)
				t.UpTo = upTo(bound)
			}
			v.Tiers = append(v.Tiers, t)
		}
		v.TierMode = commission.Graduated
		if r.IntN(2) == 0 {
			v.TierMode = commission.Volume
		}
		v.TierCurrency = currencies[r.IntN(len(currencies))]
	}
	return v
}

// randomPlan returns a valid plan whose rates are at most limit, or
// false for a reseller without one.
func randomPlan(t *testing.T, r *rand.Rand, id string, level commission.Level, limit int, currencies []money.Currency) (commission.Plan, bool) {
	if r.IntN(6) == 0 {
		return commission.Plan{}, false
	}
	p := plan("cpl_"+id, level)
	for _, m := range propMonths {
		if r.IntN(2) == 0 {
			p.Versions = append(p.Versions, randomVersion(r, m, limit, currencies))
		}
	}
	if len(p.Versions) == 0 {
		p.Versions = append(p.Versions, randomVersion(r, propMonths[r.IntN(len(propMonths))], limit, currencies))
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("random plan %+v: got error %v, want none", p, err)
	}
	return p, true
}

// TestCalculateProperty runs random months through random reseller
// chains and checks that every line's shares sum to the line, that no
// share is negative, and that after random voids the month reconciles
// exactly in every currency.
func TestCalculateProperty(t *testing.T) {
	kwd, err := money.ParseCurrency("KWD")
	if err != nil {
		t.Fatal(err)
	}
	currencies := []money.Currency{money.USD, money.EUR, money.JPY, kwd}
	r := rand.New(rand.NewPCG(11, 2026))
	lines, reversed := 0, 0
	for iter := range 400 {
		// The chain: distributors, partners under them or under the
		// platform, each plan kept within 100% with its distributor's.
		plans := map[string]commission.Plan{}
		var owners []commission.Owner
		owners = append(owners, commission.Owner{})
		distMax := map[string]int{}
		for d := range 1 + r.IntN(3) {
			id := fmt.Sprintf("dist_%d", d)
			distMax[id] = randomRate(r, commission.MaxRateBP)
			if p, ok := randomPlan(t, r, id, commission.LevelDistributor, distMax[id], currencies); ok {
				plans[id] = p
			}
			owners = append(owners, commission.Owner{DistributorID: id})
		}
		for p := range 1 + r.IntN(5) {
			id := fmt.Sprintf("prt_%d", p)
			o := commission.Owner{PartnerID: id}
			limit := commission.MaxRateBP
			if r.IntN(3) > 0 {
				o.DistributorID = fmt.Sprintf("dist_%d", r.IntN(len(distMax)))
				limit -= distMax[o.DistributorID]
			}
			if pl, ok := randomPlan(t, r, id, commission.LevelPartner, limit, currencies); ok {
				plans[id] = pl
				var dp *commission.Plan
				if d, ok := plans[o.DistributorID]; ok {
					dp = &d
				}
				if err := commission.CheckChain(&pl, dp); err != nil {
					t.Fatalf("iteration %d: CheckChain of a chain within 100%%: got %v, want nil", iter, err)
				}
			}
			owners = append(owners, o)
		}

		// The month's invoices: tenants that move between owners from one
		// invoice to the next, every status, odd amounts.
		statuses := []billing.InvoiceStatus{billing.InvoiceDraft, billing.InvoiceOpen, billing.InvoicePaid, billing.InvoicePaid, billing.InvoiceUncollectible, billing.InvoiceVoid}
		in := commission.Input{Owners: map[string]commission.Owner{}, Plans: plans, Month: "2026-11", Now: now}
		for i := range 5 + r.IntN(40) {
			c := currencies[r.IntN(len(currencies))]
			inv := invoice(fmt.Sprintf("inv_%d", i), fmt.Sprintf("tn_%d", r.IntN(8)), c)
			inv.PlanID = propPlans[r.IntN(len(propPlans))]
			inv.Status = statuses[r.IntN(len(statuses))]
			for range 1 + r.IntN(4) {
				var amount int64
				switch r.IntN(4) {
				case 0:
					amount = r.Int64N(10)
				case 1:
					amount = r.Int64N(100_000)
				default:
					amount = r.Int64N(10_000_000)
				}
				var l billing.InvoiceLine
				switch r.IntN(3) {
				case 0:
					l = subLine(propPlans[r.IntN(len(propPlans))], amount)
				case 1:
					l = prorationLine(propPlans[r.IntN(len(propPlans))], amount)
				default:
					l = usageLine(propSKUs[r.IntN(len(propSKUs))], amount)
				}
				l.Commissionable = r.IntN(5) > 0
				inv.Lines = append(inv.Lines, l)
				inv.Subtotal += amount
			}
			in.Invoices = append(in.Invoices, inv)
			if o := owners[r.IntN(len(owners))]; o != (commission.Owner{}) {
				in.Owners[inv.ID] = o
			}
		}
		entries, err := commission.Calculate(in)
		if err != nil {
			t.Fatalf("iteration %d: Calculate: got error %v, want none", iter, err)
		}

		// Every calculated line: one entry per party present, none
		// negative, summing to the line.
		type key struct {
			inv  string
			line int
		}
		sums := map[key]int64{}
		count := map[key]int{}
		for _, e := range entries {
			if e.Amount < 0 {
				t.Fatalf("iteration %d: entry %+v: got a negative share, want none", iter, e)
			}
			if e.Excluded != "" && e.Amount != 0 {
				t.Fatalf("iteration %d: excluded entry %+v: got amount %d, want 0", iter, e, e.Amount)
			}
			k := key{e.InvoiceID, e.Line}
			sums[k] += e.Amount
			count[k]++
		}
		byInvoice := map[string][]commission.Entry{}
		for _, e := range entries {
			byInvoice[e.InvoiceID] = append(byInvoice[e.InvoiceID], e)
		}
		for _, inv := range in.Invoices {
			o := in.Owners[inv.ID]
			parties := 1
			if o.PartnerID != "" {
				parties++
			}
			if o.DistributorID != "" {
				parties++
			}
			calculated := inv.Status == billing.InvoiceOpen || inv.Status == billing.InvoicePaid || inv.Status == billing.InvoiceUncollectible
			for li, l := range inv.Lines {
				k := key{inv.ID, li}
				want := 0
				if calculated && l.Amount != 0 {
					want = parties
					lines++
				}
				if count[k] != want {
					t.Fatalf("iteration %d: invoice %s (%s) line %d: got %d entries, want %d", iter, inv.ID, inv.Status, li, count[k], want)
				}
				if want > 0 && sums[k] != l.Amount {
					t.Fatalf("iteration %d: invoice %s line %d: shares sum to %d, want %d", iter, inv.ID, li, sums[k], l.Amount)
				}
			}
		}

		// Random voids: the invoice goes void and its entries are reversed
		// the next month.
		all := entries
		for i := range in.Invoices {
			inv := &in.Invoices[i]
			if len(byInvoice[inv.ID]) > 0 && r.IntN(4) == 0 {
				inv.Status = billing.InvoiceVoid
				all = append(all, commission.Reverse(byInvoice[inv.ID], "2026-12", now)...)
				reversed++
			}
		}
		checks, err := commission.Reconcile(in.Invoices, all)
		if err != nil {
			t.Fatalf("iteration %d: Reconcile: got error %v, want none", iter, err)
		}
		for _, c := range checks {
			if c.Difference != 0 || c.Uncalculated != 0 {
				t.Fatalf("iteration %d: %s: got difference %d and %d uncalculated, want 0 and 0 (%+v)", iter, c.Currency, c.Difference, c.Uncalculated, c)
			}
		}
	}
	if lines < 5000 || reversed < 500 {
		t.Errorf("coverage: got %d lines and %d voids, want at least 5000 and 500", lines, reversed)
	}
}
