package commission_test

import (
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

var now = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

const month = "2026-11"

// Reseller IDs of the test chain.
const (
	dist    = "dist_north"
	partner = "prt_acme"
)

func upTo(v int64) *int64 { return &v }

// version returns a version from month at rate bp.
func version(m string, bp int) commission.Version {
	return commission.Version{Month: m, RateBP: bp}
}

func plan(id string, level commission.Level, versions ...commission.Version) commission.Plan {
	return commission.Plan{ID: id, Name: id, Level: level, Versions: versions, CreatedAt: now}
}

func subLine(billingPlan string, amount int64) billing.InvoiceLine {
	return billing.InvoiceLine{Kind: billing.LineSubscription, PlanID: billingPlan, Amount: amount, Commissionable: true}
}

func prorationLine(billingPlan string, amount int64) billing.InvoiceLine {
	return billing.InvoiceLine{Kind: billing.LineProration, PlanID: billingPlan, Amount: amount, Commissionable: true}
}

func usageLine(sku string, amount int64) billing.InvoiceLine {
	return billing.InvoiceLine{Kind: billing.LineUsage, SKU: sku, Metric: sku, Amount: amount, Commissionable: true}
}

// invoice returns an open invoice of the tenant, on plan_pro, its
// Subtotal the sum of its lines.
func invoice(id, tenantID string, c money.Currency, lines ...billing.InvoiceLine) billing.Invoice {
	inv := billing.Invoice{ID: id, TenantID: tenantID, PlanID: "plan_pro", Status: billing.InvoiceOpen, Currency: c, Month: month, Lines: lines, CreatedAt: now}
	for _, l := range lines {
		inv.Subtotal += l.Amount
	}
	inv.Total = inv.Subtotal
	return inv
}

func withStatus(inv billing.Invoice, s billing.InvoiceStatus) billing.Invoice {
	inv.Status = s
	return inv
}

// chain is a partner under a distributor.
var chain = commission.Owner{PartnerID: partner, DistributorID: dist}

// chainPlans are the distributor at 10% and its partner at 15%.
func chainPlans() map[string]commission.Plan {
	return map[string]commission.Plan{
		dist:    plan("cpl_dist10", commission.LevelDistributor, version("2026-01", 1000)),
		partner: plan("cpl_prt15", commission.LevelPartner, version("2026-01", 1500)),
	}
}

func calculate(t *testing.T, in commission.Input) []commission.Entry {
	t.Helper()
	if in.Month == "" {
		in.Month = month
	}
	if in.Now.IsZero() {
		in.Now = now
	}
	entries, err := commission.Calculate(in)
	if err != nil {
		t.Fatalf("Calculate: got error %v, want none", err)
	}
	return entries
}

// split is a line's three shares.
type split struct{ partner, distributor, platform int64 }

// splits returns each line's shares, by invoice ID and line index, and
// checks that every line's shares sum to its net amount.
func splits(t *testing.T, entries []commission.Entry) map[string]map[int]split {
	t.Helper()
	out := map[string]map[int]split{}
	sums := map[string]map[int]int64{}
	net := map[string]map[int]int64{}
	for _, e := range entries {
		if out[e.InvoiceID] == nil {
			out[e.InvoiceID], sums[e.InvoiceID], net[e.InvoiceID] = map[int]split{}, map[int]int64{}, map[int]int64{}
		}
		s := out[e.InvoiceID][e.Line]
		switch e.Party {
		case commission.PartyPartner:
			s.partner += e.Amount
		case commission.PartyDistributor:
			s.distributor += e.Amount
		case commission.PartyPlatform:
			s.platform += e.Amount
		}
		out[e.InvoiceID][e.Line] = s
		sums[e.InvoiceID][e.Line] += e.Amount
		net[e.InvoiceID][e.Line] = e.NetAmount
	}
	for id, lines := range sums {
		for i, sum := range lines {
			if sum != net[id][i] {
				t.Errorf("invoice %s line %d: shares sum to %d, want the net amount %d", id, i, sum, net[id][i])
			}
		}
	}
	return out
}

func entryOf(t *testing.T, entries []commission.Entry, invoiceID string, line int, p commission.Party) commission.Entry {
	t.Helper()
	for _, e := range entries {
		if e.InvoiceID == invoiceID && e.Line == line && e.Party == p {
			return e
		}
	}
	t.Fatalf("no %s entry for invoice %s line %d", p, invoiceID, line)
	return commission.Entry{}
}

func TestCalculateChainSplit(t *testing.T) {
	inv := invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 14900))
	entries := calculate(t, commission.Input{
		Invoices: []billing.Invoice{inv},
		Owners:   map[string]commission.Owner{"inv_1": chain},
		Plans:    chainPlans(),
	})
	if len(entries) != 3 {
		t.Fatalf("entries: got %d, want 3", len(entries))
	}
	want := []struct {
		party    commission.Party
		reseller string
		rate     int
		amount   int64
		planID   string
	}{
		{commission.PartyPartner, partner, 1500, 2235, "cpl_prt15"},
		{commission.PartyDistributor, dist, 1000, 1490, "cpl_dist10"},
		{commission.PartyPlatform, "", 7500, 11175, ""},
	}
	var sum int64
	for i, w := range want {
		e := entries[i]
		if e.Party != w.party || e.ResellerID != w.reseller || e.RateBP != w.rate || e.Amount != w.amount || e.PlanID != w.planID {
			t.Errorf("entry %d: got %s %q rate %d amount %d plan %q, want %s %q rate %d amount %d plan %q",
				i, e.Party, e.ResellerID, e.RateBP, e.Amount, e.PlanID, w.party, w.reseller, w.rate, w.amount, w.planID)
		}
		wantVersion := ""
		if w.planID != "" {
			wantVersion = "2026-01"
		}
		if e.VersionMonth != wantVersion {
			t.Errorf("entry %d version month: got %q, want %q", i, e.VersionMonth, wantVersion)
		}
		if e.TenantID != "tn_1" || e.InvoiceID != "inv_1" || e.Line != 0 || e.Kind != commission.Earned ||
			e.Month != month || e.InvoiceMonth != month || e.Currency != money.USD || e.LineKind != billing.LineSubscription ||
			e.BillingPlan != "plan_pro" || e.NetAmount != 14900 || e.Excluded != "" || e.StatementID != "" || !e.CreatedAt.Equal(now) {
			t.Errorf("entry %d: got %+v, want the line's tenant, invoice, months, currency, kind and plan, created now", i, e)
		}
		sum += e.Amount
	}
	if got := money.New(sum, money.USD).String(); got != "149.00 USD" {
		t.Errorf("sum of shares: got %s, want 149.00 USD", got)
	}
}

func TestCalculateOwners(t *testing.T) {
	plans := chainPlans()
	plans["prt_solo"] = plan("cpl_solo", commission.LevelPartner, version("2026-01", 2000))
	tests := []struct {
		name  string
		owner commission.Owner
		want  split
		n     int
	}{
		{"platform", commission.Owner{}, split{0, 0, 10000}, 1},
		{"distributor", commission.Owner{DistributorID: dist}, split{0, 1000, 9000}, 2},
		{"partner under distributor", chain, split{1500, 1000, 7500}, 3},
		{"partner without distributor", commission.Owner{PartnerID: "prt_solo"}, split{2000, 0, 8000}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := calculate(t, commission.Input{
				Invoices: []billing.Invoice{invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 10000))},
				Owners:   map[string]commission.Owner{"inv_1": tt.owner},
				Plans:    plans,
			})
			if len(entries) != tt.n {
				t.Fatalf("entries: got %d, want %d", len(entries), tt.n)
			}
			if got := splits(t, entries)["inv_1"][0]; got != tt.want {
				t.Errorf("split: got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCalculateOverrides(t *testing.T) {
	v := version("2026-01", 1000)
	v.SKURates = map[string]int{"api_calls": 500}
	v.PlanRates = map[string]int{"plan_pro": 2000, "plan_basic": 0}
	plans := map[string]commission.Plan{dist: plan("cpl_d", commission.LevelDistributor, v)}
	inv := invoice("inv_1", "tn_1", money.USD,
		subLine("plan_pro", 10000),       // plan override 20%
		prorationLine("plan_pro", 5000),  // plan override 20%
		prorationLine("plan_team", 5000), // no override: 10%
		usageLine("api_calls", 10000),    // SKU override 5%
		usageLine("emails", 10000),       // no SKU override; plan rates never apply to usage: 10%
		subLine("plan_basic", 10000),     // plan override 0%
	)
	entries := calculate(t, commission.Input{
		Invoices: []billing.Invoice{inv},
		Owners:   map[string]commission.Owner{"inv_1": {DistributorID: dist}},
		Plans:    plans,
	})
	splits(t, entries)
	tests := []struct {
		line   int
		rate   int
		amount int64
		plan   string
		detail string
	}{
		{0, 2000, 2000, "plan_pro", "plan override: 20.00%"},
		{1, 2000, 1000, "plan_pro", "plan override: 20.00%"},
		{2, 1000, 500, "plan_team", ""},
		{3, 500, 500, "plan_pro", "sku override: 5.00%"},
		{4, 1000, 1000, "plan_pro", ""},
		{5, 0, 0, "plan_basic", "plan override: 0.00%"},
	}
	for _, tt := range tests {
		e := entryOf(t, entries, "inv_1", tt.line, commission.PartyDistributor)
		if e.RateBP != tt.rate || e.Amount != tt.amount || e.BillingPlan != tt.plan || e.Detail != tt.detail || e.Excluded != "" {
			t.Errorf("line %d: got rate %d amount %d plan %q detail %q excluded %q, want rate %d amount %d plan %q detail %q",
				tt.line, e.RateBP, e.Amount, e.BillingPlan, e.Detail, e.Excluded, tt.rate, tt.amount, tt.plan, tt.detail)
		}
	}
}

func TestCalculateExclusions(t *testing.T) {
	excl := version("2026-01", 1000)
	excl.ExcludedSKUs = []string{"sms"}
	later := plan("cpl_later", commission.LevelDistributor, version("2026-12", 1000))
	twoVersions := plan("cpl_two", commission.LevelDistributor, version("2026-01", 500), version("2026-11", 800), version("2026-12", 3000))
	tests := []struct {
		name        string
		plans       map[string]commission.Plan
		line        billing.InvoiceLine
		wantPartner commission.Entry // RateBP, Amount, Excluded, PlanID, VersionMonth
		wantDist    commission.Entry
	}{
		{
			name:        "not commissionable: every reseller",
			plans:       chainPlans(),
			line:        billing.InvoiceLine{Kind: billing.LineUsage, SKU: "setup", Amount: 10000},
			wantPartner: commission.Entry{Excluded: commission.ExcludedNotCommissionable, PlanID: "cpl_prt15", VersionMonth: "2026-01"},
			wantDist:    commission.Entry{Excluded: commission.ExcludedNotCommissionable, PlanID: "cpl_dist10", VersionMonth: "2026-01"},
		},
		{
			name:        "excluded SKU: that reseller only",
			plans:       map[string]commission.Plan{dist: chainPlans()[dist], partner: plan("cpl_p", commission.LevelPartner, excl)},
			line:        usageLine("sms", 10000),
			wantPartner: commission.Entry{Excluded: commission.ExcludedSKU, PlanID: "cpl_p", VersionMonth: "2026-01"},
			wantDist:    commission.Entry{RateBP: 1000, Amount: 1000, PlanID: "cpl_dist10", VersionMonth: "2026-01"},
		},
		{
			name:        "no plan",
			plans:       map[string]commission.Plan{dist: chainPlans()[dist]},
			line:        subLine("plan_pro", 10000),
			wantPartner: commission.Entry{Excluded: commission.ExcludedNoPlan},
			wantDist:    commission.Entry{RateBP: 1000, Amount: 1000, PlanID: "cpl_dist10", VersionMonth: "2026-01"},
		},
		{
			name:        "no version in force yet: a later month's version does not apply",
			plans:       map[string]commission.Plan{partner: chainPlans()[partner], dist: later},
			line:        subLine("plan_pro", 10000),
			wantPartner: commission.Entry{RateBP: 1500, Amount: 1500, PlanID: "cpl_prt15", VersionMonth: "2026-01"},
			wantDist:    commission.Entry{Excluded: commission.ExcludedNoPlan},
		},
		{
			name:        "the version of the month, not a later one",
			plans:       map[string]commission.Plan{partner: chainPlans()[partner], dist: twoVersions},
			line:        subLine("plan_pro", 10000),
			wantPartner: commission.Entry{RateBP: 1500, Amount: 1500, PlanID: "cpl_prt15", VersionMonth: "2026-01"},
			wantDist:    commission.Entry{RateBP: 800, Amount: 800, PlanID: "cpl_two", VersionMonth: "2026-11"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := calculate(t, commission.Input{
				Invoices: []billing.Invoice{invoice("inv_1", "tn_1", money.USD, tt.line)},
				Owners:   map[string]commission.Owner{"inv_1": chain},
				Plans:    tt.plans,
			})
			splits(t, entries)
			for _, w := range []struct {
				party commission.Party
				want  commission.Entry
			}{{commission.PartyPartner, tt.wantPartner}, {commission.PartyDistributor, tt.wantDist}} {
				e := entryOf(t, entries, "inv_1", 0, w.party)
				if e.RateBP != w.want.RateBP || e.Amount != w.want.Amount || e.Excluded != w.want.Excluded || e.PlanID != w.want.PlanID || e.VersionMonth != w.want.VersionMonth {
					t.Errorf("%s: got rate %d amount %d excluded %q plan %q version %q, want rate %d amount %d excluded %q plan %q version %q",
						w.party, e.RateBP, e.Amount, e.Excluded, e.PlanID, e.VersionMonth,
						w.want.RateBP, w.want.Amount, w.want.Excluded, w.want.PlanID, w.want.VersionMonth)
				}
			}
		})
	}
}

// tiered returns a distributor plan: 10% up to 1200.00 USD of monthly
// revenue, 12.50% up to 5000.00, 15% above; 5% base rate.
func tiered(mode commission.TierMode) map[string]commission.Plan {
	v := version("2026-01", 500)
	v.Tiers = []commission.Tier{{UpTo: upTo(120000), RateBP: 1000}, {UpTo: upTo(500000), RateBP: 1250}, {RateBP: 1500}}
	v.TierMode = mode
	v.TierCurrency = money.USD
	v.SKURates = map[string]int{"api_calls": 300}
	return map[string]commission.Plan{dist: plan("cpl_tiers", commission.LevelDistributor, v)}
}

func TestCalculateTiers(t *testing.T) {
	eur, err := money.ParseCurrency("EUR")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		rate   int
		amount int64
		detail string
	}
	tests := []struct {
		name     string
		mode     commission.TierMode
		invoices []billing.Invoice
		want     []want // the distributor's entries, in order
	}{
		{
			name: "volume: revenue at the edge stays in the lower tier",
			mode: commission.Volume,
			invoices: []billing.Invoice{
				invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 70000)),
				invoice("inv_2", "tn_2", money.USD, subLine("plan_pro", 50000)),
			},
			want: []want{{1000, 7000, "volume: 1200.00 monthly revenue at 10.00%"}, {1000, 5000, "volume: 1200.00 monthly revenue at 10.00%"}},
		},
		{
			name: "volume: one cent past the edge moves every line up",
			mode: commission.Volume,
			invoices: []billing.Invoice{
				invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 70000)),
				invoice("inv_2", "tn_2", money.USD, subLine("plan_pro", 50001)),
			},
			want: []want{{1250, 8750, "volume: 1200.01 monthly revenue at 12.50%"}, {1250, 6250, "volume: 1200.01 monthly revenue at 12.50%"}},
		},
		{
			name: "graduated: a line split across the edge",
			mode: commission.Graduated,
			invoices: []billing.Invoice{
				invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 150000)),
			},
			want: []want{{1250, 15750, "graduated: 1200.00 at 10.00%, 300.00 at 12.50%"}},
		},
		{
			name: "graduated: lines in order, the second crossing the edge",
			mode: commission.Graduated,
			invoices: []billing.Invoice{
				invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 90000)),
				invoice("inv_2", "tn_2", money.USD, subLine("plan_pro", 60000)),
			},
			want: []want{{1000, 9000, "graduated: 900.00 at 10.00%"}, {1250, 6750, "graduated: 300.00 at 10.00%, 300.00 at 12.50%"}},
		},
		{
			name: "graduated: a line ending at the edge, the next starting above it",
			mode: commission.Graduated,
			invoices: []billing.Invoice{
				invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 120000), subLine("plan_pro", 1)),
			},
			want: []want{{1000, 12000, "graduated: 1200.00 at 10.00%"}, {1250, 0, "graduated: 0.01 at 12.50%"}},
		},
		{
			name: "graduated: three tiers in one line",
			mode: commission.Graduated,
			invoices: []billing.Invoice{
				invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 600000)),
			},
			// 1200.00*10% + 3800.00*12.5% + 1000.00*15% = 120 + 475 + 150
			want: []want{{1500, 74500, "graduated: 1200.00 at 10.00%, 3800.00 at 12.50%, 1000.00 at 15.00%"}},
		},
		{
			name: "overridden lines and other currencies neither use nor count toward tiers",
			mode: commission.Volume,
			invoices: []billing.Invoice{
				invoice("inv_1", "tn_1", money.USD, usageLine("api_calls", 1000000), subLine("plan_pro", 100000)),
				invoice("inv_2", "tn_2", eur, subLine("plan_pro", 1000000)),
			},
			want: []want{{300, 30000, "sku override: 3.00%"}, {1000, 10000, "volume: 1000.00 monthly revenue at 10.00%"}, {500, 50000, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			owners := map[string]commission.Owner{}
			for _, inv := range tt.invoices {
				owners[inv.ID] = commission.Owner{DistributorID: dist}
			}
			entries := calculate(t, commission.Input{Invoices: tt.invoices, Owners: owners, Plans: tiered(tt.mode)})
			splits(t, entries)
			var got []want
			for _, e := range entries {
				if e.Party == commission.PartyDistributor {
					got = append(got, want{e.RateBP, e.Amount, e.Detail})
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("distributor entries: got %d, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("entry %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestCalculateTierRevenueSpansPartners: a distributor's monthly revenue
// holds its partners' tenants; each partner's holds only its own.
func TestCalculateTierRevenueSpansPartners(t *testing.T) {
	plans := tiered(commission.Volume)
	pv := version("2026-01", 0)
	pv.Tiers = []commission.Tier{{UpTo: upTo(100000), RateBP: 100}, {RateBP: 200}}
	pv.TierMode, pv.TierCurrency = commission.Volume, money.USD
	plans[partner] = plan("cpl_ptiers", commission.LevelPartner, pv)
	entries := calculate(t, commission.Input{
		Invoices: []billing.Invoice{
			invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 80000)),
			invoice("inv_2", "tn_2", money.USD, subLine("plan_pro", 80000)),
		},
		Owners: map[string]commission.Owner{"inv_1": {DistributorID: dist}, "inv_2": chain},
		Plans:  plans,
	})
	splits(t, entries)
	// The distributor: 1600.00 in tier 2 (12.50%); the partner: 800.00 in
	// tier 1 (1%).
	if e := entryOf(t, entries, "inv_1", 0, commission.PartyDistributor); e.RateBP != 1250 || e.Amount != 10000 {
		t.Errorf("distributor on its own tenant: got rate %d amount %d, want 1250 10000", e.RateBP, e.Amount)
	}
	if e := entryOf(t, entries, "inv_2", 0, commission.PartyDistributor); e.RateBP != 1250 || e.Amount != 10000 {
		t.Errorf("distributor on its partner's tenant: got rate %d amount %d, want 1250 10000", e.RateBP, e.Amount)
	}
	if e := entryOf(t, entries, "inv_2", 0, commission.PartyPartner); e.RateBP != 100 || e.Amount != 800 {
		t.Errorf("partner: got rate %d amount %d, want 100 800", e.RateBP, e.Amount)
	}
}

func TestCalculateRounding(t *testing.T) {
	kwd, err := money.ParseCurrency("KWD")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name              string
		c                 money.Currency
		amount            int64
		partnerBP, distBP int
		want              split
	}{
		{"1 cent", money.USD, 1, 1500, 1000, split{0, 0, 1}},
		// 1.05, 0.70, 5.25: floors 1, 0, 5; the unit left goes to 0.70.
		{"7 cents", money.USD, 7, 1500, 1000, split{1, 1, 5}},
		{"1 yen", money.JPY, 1, 1500, 1000, split{0, 0, 1}},
		{"0.001 KWD", kwd, 1, 1500, 1000, split{0, 0, 1}},
		// 0.6666, 0.6666, 0.6668: the two units go to the platform, then the partner.
		{"2 cents in thirds", money.USD, 2, 3333, 3333, split{1, 0, 1}},
		{"1 yen in thirds", money.JPY, 1, 3333, 3333, split{0, 0, 1}},
		{"odd amount", money.USD, 14901, 1500, 1000, split{2235, 1490, 11176}},
		{"resellers take it all", money.USD, 7, 6000, 4000, split{4, 3, 0}},
		{"nothing to resellers", money.USD, 7, 0, 0, split{0, 0, 7}},
		{"negative line", money.USD, -7, 1500, 1000, split{-1, -1, -5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := calculate(t, commission.Input{
				Invoices: []billing.Invoice{invoice("inv_1", "tn_1", tt.c, subLine("plan_pro", tt.amount))},
				Owners:   map[string]commission.Owner{"inv_1": chain},
				Plans: map[string]commission.Plan{
					partner: plan("cpl_p", commission.LevelPartner, version("2026-01", tt.partnerBP)),
					dist:    plan("cpl_d", commission.LevelDistributor, version("2026-01", tt.distBP)),
				},
			})
			if got := splits(t, entries)["inv_1"][0]; got != tt.want {
				t.Errorf("split: got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCalculateRatesOver100(t *testing.T) {
	plans := map[string]commission.Plan{
		partner: plan("cpl_p", commission.LevelPartner, version("2026-01", 6000)),
		dist:    plan("cpl_d", commission.LevelDistributor, version("2026-01", 4001)),
	}
	_, err := commission.Calculate(commission.Input{
		Invoices: []billing.Invoice{invoice("inv_9", "tn_9", money.USD, subLine("plan_pro", 100), subLine("plan_pro", 10000))},
		Owners:   map[string]commission.Owner{"inv_9": chain},
		Plans:    plans,
		Month:    month,
		Now:      now,
	})
	if got := core.ErrorCode(err); got != core.CommissionRatesExceed {
		t.Fatalf("code: got %q (%v), want %q", got, err, core.CommissionRatesExceed)
	}
	for _, s := range []string{"tn_9", "inv_9", "line 0"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message: got %q, want it to name %q", err.Error(), s)
		}
	}
}

func TestCalculateErrors(t *testing.T) {
	bad := plan("cpl_bad", commission.LevelPartner, version("2026-01", 10001))
	tests := []struct {
		name  string
		in    commission.Input
		want  core.Code
		field string
	}{
		{"bad month", commission.Input{Month: "2026-13"}, core.Invalid, "month"},
		{"invalid plan", commission.Input{
			Month:    month,
			Invoices: []billing.Invoice{invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 100))},
			Owners:   map[string]commission.Owner{"inv_1": {PartnerID: partner}},
			Plans:    map[string]commission.Plan{partner: bad},
		}, core.Invalid, "versions[0].rateBp"},
		{"amount overflow", commission.Input{
			Month:    month,
			Invoices: []billing.Invoice{invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 1<<62))},
		}, core.AmountOverflow, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := commission.Calculate(tt.in)
			if got := core.ErrorCode(err); got != tt.want {
				t.Fatalf("code: got %q (%v), want %q", got, err, tt.want)
			}
			if tt.field != "" && !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error: got %q, want it to name %q", err.Error(), tt.field)
			}
		})
	}
}

func TestCalculateUncollectible(t *testing.T) {
	claw := version("2026-01", 1500)
	claw.ClawbackUncollectible = true
	plans := map[string]commission.Plan{
		partner: plan("cpl_p", commission.LevelPartner, claw),
		dist:    chainPlans()[dist],
	}
	tests := []struct {
		name   string
		status billing.InvoiceStatus
		want   split
		reason string // the partner's Excluded
	}{
		{"open", billing.InvoiceOpen, split{1500, 1000, 7500}, ""},
		{"uncollectible: the partner's plan claws back, the distributor's does not", billing.InvoiceUncollectible, split{0, 1000, 9000}, commission.ExcludedUncollectible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := calculate(t, commission.Input{
				Invoices: []billing.Invoice{withStatus(invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 10000)), tt.status)},
				Owners:   map[string]commission.Owner{"inv_1": chain},
				Plans:    plans,
			})
			if got := splits(t, entries)["inv_1"][0]; got != tt.want {
				t.Errorf("split: got %+v, want %+v", got, tt.want)
			}
			if e := entryOf(t, entries, "inv_1", 0, commission.PartyPartner); e.Excluded != tt.reason {
				t.Errorf("partner excluded: got %q, want %q", e.Excluded, tt.reason)
			}
		})
	}
}

func TestCalculateStatuses(t *testing.T) {
	tests := []struct {
		status billing.InvoiceStatus
		want   int
	}{
		{billing.InvoiceDraft, 0},
		{billing.InvoiceOpen, 3},
		{billing.InvoicePaid, 3},
		{billing.InvoiceUncollectible, 3},
		{billing.InvoiceVoid, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			// The zero line makes no entry.
			inv := withStatus(invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 0), subLine("plan_pro", 10000)), tt.status)
			entries := calculate(t, commission.Input{
				Invoices: []billing.Invoice{inv},
				Owners:   map[string]commission.Owner{"inv_1": chain},
				Plans:    chainPlans(),
			})
			if len(entries) != tt.want {
				t.Fatalf("entries: got %d, want %d", len(entries), tt.want)
			}
			for _, e := range entries {
				if e.Line != 1 {
					t.Errorf("entry line: got %d, want 1", e.Line)
				}
			}
		})
	}
}

func TestReverse(t *testing.T) {
	entries := calculate(t, commission.Input{
		Invoices: []billing.Invoice{invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 14900))},
		Owners:   map[string]commission.Owner{"inv_1": chain},
		Plans:    chainPlans(),
	})
	for i := range entries {
		entries[i].StatementID = "cst_1"
	}
	later := now.AddDate(0, 1, 0)
	back := commission.Reverse(append(entries, commission.Entry{Kind: commission.Clawback, Amount: 5}), "2027-01", later)
	if len(back) != len(entries) {
		t.Fatalf("clawbacks: got %d, want %d (one per Earned entry)", len(back), len(entries))
	}
	var sum int64
	for i, c := range back {
		e := entries[i]
		want := e
		want.Kind, want.Amount, want.Month, want.CreatedAt, want.StatementID = commission.Clawback, -e.Amount, "2027-01", later, ""
		if c != want {
			t.Errorf("clawback %d: got %+v, want %+v", i, c, want)
		}
		sum += c.Amount
	}
	if sum != -14900 {
		t.Errorf("clawbacks sum: got %d, want -14900", sum)
	}
	if entries[0].Kind != commission.Earned || entries[0].StatementID != "cst_1" {
		t.Errorf("Reverse changed its input: got %+v", entries[0])
	}
}

func TestReconcile(t *testing.T) {
	kwd, err := money.ParseCurrency("KWD")
	if err != nil {
		t.Fatal(err)
	}
	invoices := []billing.Invoice{
		invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 14900), usageLine("api", 7)),
		invoice("inv_2", "tn_2", kwd, subLine("plan_pro", 12345)),
		invoice("inv_3", "tn_3", money.USD, subLine("plan_pro", 999)),
		invoice("inv_4", "tn_4", money.USD, subLine("plan_pro", 500)),
	}
	owners := map[string]commission.Owner{"inv_1": chain, "inv_2": {DistributorID: dist}, "inv_3": {PartnerID: partner}}
	earned := calculate(t, commission.Input{Invoices: invoices[:3], Owners: owners, Plans: chainPlans()})
	var inv3 []commission.Entry
	for _, e := range earned {
		if e.InvoiceID == "inv_3" {
			inv3 = append(inv3, e)
		}
	}
	voided := append([]billing.Invoice(nil), invoices...)
	voided[2].Status = billing.InvoiceVoid
	draft := withStatus(invoice("inv_5", "tn_5", money.USD, subLine("plan_pro", 100)), billing.InvoiceDraft)
	tampered := append([]commission.Entry(nil), earned...)
	tampered[0].Amount++

	tests := []struct {
		name     string
		invoices []billing.Invoice
		entries  []commission.Entry
		want     []commission.CurrencyCheck
	}{
		{
			name:     "standing commissions balance; an invoice without entries is uncalculated",
			invoices: invoices,
			entries:  earned,
			want: []commission.CurrencyCheck{
				{Currency: kwd, Invoiced: 12345, Resellers: 1235, Platform: 11110, Invoices: 1},
				{Currency: money.USD, Invoiced: 15906, Resellers: 2236 + 1490 + 1 + 150, Platform: 11175 + 5 + 849, Invoices: 2, Uncalculated: 1},
			},
		},
		{
			name:     "a void invoice whose entries were reversed counts nowhere; drafts neither",
			invoices: append(voided, draft),
			entries:  append(append([]commission.Entry(nil), earned...), commission.Reverse(inv3, "2026-12", now)...),
			want: []commission.CurrencyCheck{
				{Currency: kwd, Invoiced: 12345, Resellers: 1235, Platform: 11110, Invoices: 1},
				{Currency: money.USD, Invoiced: 14907, Resellers: 2236 + 1490 + 1, Platform: 11175 + 5, Invoices: 1, Uncalculated: 1},
			},
		},
		{
			name:     "a partly reversed invoice shows as a difference",
			invoices: voided,
			entries:  append(append([]commission.Entry(nil), earned...), commission.Reverse(inv3[:1], "2026-12", now)...),
			want: []commission.CurrencyCheck{
				{Currency: kwd, Invoiced: 12345, Resellers: 1235, Platform: 11110, Invoices: 1},
				{Currency: money.USD, Invoiced: 14907, Resellers: 2236 + 1490 + 1, Platform: 11175 + 5 + 849, Difference: -849, Invoices: 1, Uncalculated: 1},
			},
		},
		{
			name:     "a wrong share shows as a difference",
			invoices: invoices[:3],
			entries:  tampered,
			want: []commission.CurrencyCheck{
				{Currency: kwd, Invoiced: 12345, Resellers: 1235, Platform: 11110, Invoices: 1},
				{Currency: money.USD, Invoiced: 15906, Resellers: 2236 + 1490 + 1 + 150 + 1, Platform: 11175 + 5 + 849, Difference: -1, Invoices: 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commission.Reconcile(tt.invoices, tt.entries)
			if err != nil {
				t.Fatalf("Reconcile: got error %v, want none", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("checks: got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("check %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestReconcileErrors(t *testing.T) {
	inv := invoice("inv_1", "tn_1", money.USD, subLine("plan_pro", 100))
	tests := []struct {
		name     string
		invoices []billing.Invoice
		entries  []commission.Entry
		want     core.Code
	}{
		{"entry of an unknown invoice", []billing.Invoice{inv}, []commission.Entry{{InvoiceID: "inv_2", Currency: money.USD}}, core.Invalid},
		{"invoice given twice", []billing.Invoice{inv, inv}, nil, core.Invalid},
		{"entry in another currency", []billing.Invoice{inv}, []commission.Entry{{InvoiceID: "inv_1", Currency: money.EUR}}, core.CurrencyMismatch},
		{"overflow", []billing.Invoice{inv}, []commission.Entry{
			{InvoiceID: "inv_1", Currency: money.USD, Party: commission.PartyPlatform, Amount: 1 << 62},
			{InvoiceID: "inv_1", Currency: money.USD, Party: commission.PartyPlatform, Amount: 1 << 62},
		}, core.AmountOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := commission.Reconcile(tt.invoices, tt.entries)
			if got := core.ErrorCode(err); got != tt.want {
				t.Errorf("code: got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestCheckChain(t *testing.T) {
	tiers := version("2026-01", 1000)
	tiers.Tiers = []commission.Tier{{UpTo: upTo(100), RateBP: 2000}, {RateBP: 4000}}
	tiers.TierMode, tiers.TierCurrency = commission.Graduated, money.USD
	over := version("2026-01", 1000)
	over.SKURates = map[string]int{"api": 7000}
	p := func(vs ...commission.Version) *commission.Plan {
		pl := plan("cpl_x", commission.LevelPartner, vs...)
		return &pl
	}
	tests := []struct {
		name                 string
		partner, distributor *commission.Plan
		want                 core.Code
	}{
		{"both nil", nil, nil, ""},
		{"partner only at 100%", p(version("2026-01", 10000)), nil, ""},
		{"exactly 100%", p(version("2026-01", 6000)), p(version("2026-01", 4000)), ""},
		{"a later version over", p(version("2026-01", 1000), version("2026-12", 6001)), p(version("2026-01", 4000)), core.CommissionRatesExceed},
		{"a tier over", p(tiers), p(version("2026-01", 6001)), core.CommissionRatesExceed},
		{"an override over", p(version("2026-01", 100)), p(over), ""},
		{"an override over with the partner", p(version("2026-01", 3001)), p(over), core.CommissionRatesExceed},
		{"distributor only over nothing", nil, p(version("2026-01", 10000)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := core.ErrorCode(commission.CheckChain(tt.partner, tt.distributor)); got != tt.want {
				t.Errorf("code: got %q, want %q", got, tt.want)
			}
		})
	}
}
