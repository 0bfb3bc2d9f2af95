package billing_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/google/go-cmp/cmp"
)

func TestParseMonth(t *testing.T) {
	tests := []struct {
		in         string
		start, end string // "" for an error
	}{
		{"2026-11", "2026-11-01", "2026-12-01"},
		{"2026-12", "2026-12-01", "2027-01-01"},
		{"2024-02", "2024-02-01", "2024-03-01"},
		{"0001-01", "0001-01-01", "0001-02-01"},
		{"2026-1", "", ""},
		{"2026-13", "", ""},
		{"2026-00", "", ""},
		{"26-11", "", ""},
		{"2026-11-01", "", ""},
		{"2026/11", "", ""},
		{" 2026-11", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		s, e, err := billing.ParseMonth(tt.in)
		if tt.start == "" {
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Code != core.Invalid || len(ce.Fields) != 1 || ce.Fields[0].Field != "period" {
				t.Errorf("ParseMonth(%q): got %v, want invalid naming period", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMonth(%q): got %v, want nil", tt.in, err)
			continue
		}
		if s != date(tt.start) || e != date(tt.end) || s.Location() != time.UTC {
			t.Errorf("ParseMonth(%q): got %v..%v, want %s..%s UTC", tt.in, s, e, tt.start, tt.end)
		}
	}
}

// plan returns an active plan of the currency with a monthly price.
func plan(t testing.TB, id, code string, monthly int64) billing.Plan {
	t.Helper()
	return billing.Plan{ID: id, Name: id, Currency: cur(t, code), Prices: map[billing.Interval]int64{billing.Monthly: monthly}, Status: billing.PlanActive}
}

// must returns s, panicking on err (a broken test setup).
func must(s billing.Subscription, err error) billing.Subscription {
	if err != nil {
		panic(err)
	}
	return s
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBillablePeriods(t *testing.T) {
	pro := plan(t, "plan_pro", "USD", 4900)
	trial := pro
	trial.TrialDays = 14
	start := func(p billing.Plan, when string) billing.Subscription {
		s, err := billing.NewSubscription("tn_1", p, billing.Monthly, at(when))
		return must(s, err)
	}
	active := start(pro, "2026-11-15T10:00:00Z")
	cancelled := must(active.Cancel(false, at("2027-01-20T10:00:00Z")))
	expired, _ := start(trial, "2026-11-03T10:00:00Z").Advance(at("2026-11-17T00:00:00Z"), false)
	converted := must(start(trial, "2026-11-03T10:00:00Z").Convert(at("2026-11-05T00:00:00Z")))
	unadvanced := start(trial, "2026-11-03T10:00:00Z")
	yearly := must(billing.NewSubscription("tn_1", billing.Plan{ID: "plan_y", Currency: cur(t, "USD"),
		Prices: map[billing.Interval]int64{billing.Yearly: 100}, Status: billing.PlanActive}, billing.Yearly, at("2024-02-29T00:00:00Z")))
	tests := []struct {
		name  string
		sub   billing.Subscription
		month string
		want  []string // "start..end"
	}{
		{"first month has no ended period", active, "2026-11", nil},
		{"period ending in the month", active, "2026-12", []string{"2026-11-15..2026-12-15"}},
		{"next month", active, "2027-01", []string{"2026-12-15..2027-01-15"}},
		{"cancelled inside the period: billed in its end's month", cancelled, "2027-02", []string{"2027-01-15..2027-02-15"}},
		{"after cancellation", cancelled, "2027-03", nil},
		{"expired trial", expired, "2026-12", nil},
		{"expired trial, later", expired, "2027-01", nil},
		{"converted trial, first paid period", converted, "2026-12", []string{"2026-11-17..2026-12-17"}},
		{"converted trial, trial month", converted, "2026-11", nil},
		{"trial not converted nor advanced", unadvanced, "2026-12", nil},
		{"yearly Feb 29, common year", yearly, "2025-02", []string{"2024-02-29..2025-02-28"}},
		{"yearly, other month", yearly, "2025-03", nil},
		{"yearly, leap again", yearly, "2028-02", []string{"2027-02-28..2028-02-29"}},
		{"month before the start", active, "2026-10", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, me, err := billing.ParseMonth(tt.month)
			if err != nil {
				t.Fatal(err)
			}
			ps, err := tt.sub.BillablePeriods(ms, me)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, ymd(p.Start)+".."+ymd(p.End))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("BillablePeriods(%s) mismatch (-want +got):\n%s", tt.month, diff)
			}
		})
	}
	if _, err := active.BillablePeriods(date("2026-12-01"), date("2026-11-01")); core.ErrorCode(err) != core.Invalid {
		t.Errorf("BillablePeriods(reversed month): got %v, want %q", err, core.Invalid)
	}
}

func TestCheckFits(t *testing.T) {
	p := plan(t, "plan_basic", "USD", 2900)
	p.Limits = map[string]int64{billing.LimitUsers: 10, billing.LimitAtoms: billing.Unlimited, "customers": 500}
	tests := []struct {
		name   string
		used   map[string]int64
		fields []string
	}{
		{"fits", map[string]int64{"users": 10, "customers": 500, "atoms": 1_000_000}, nil},
		{"nothing used", nil, nil},
		{"metric without a limit", map[string]int64{"invoices": 1 << 40}, nil},
		{"one over", map[string]int64{"users": 11}, []string{"limits.maxUsers"}},
		{"limit name as key", map[string]int64{"maxUsers": 12}, []string{"limits.maxUsers"}},
		{"two over, sorted", map[string]int64{"users": 12, "customers": 501}, []string{"limits.customers", "limits.maxUsers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := billing.CheckFits(p, tt.used)
			if tt.fields == nil {
				if err != nil {
					t.Errorf("CheckFits: got %v, want nil", err)
				}
				return
			}
			var e *core.Error
			if !errors.As(err, &e) || e.Code != core.DowngradeBlocked {
				t.Fatalf("CheckFits: got %v, want %q", err, core.DowngradeBlocked)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if diff := cmp.Diff(tt.fields, got); diff != "" {
				t.Errorf("CheckFits fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
	err := billing.CheckFits(p, map[string]int64{"users": 12})
	if got, want := core.ErrorMessage(err), "current usage does not fit plan plan_basic: maxUsers: 12 used, plan allows 10"; got != want {
		t.Errorf("CheckFits message: got %q, want %q", got, want)
	}
	if core.ErrorCode(err).Class() != core.LimitExceeded {
		t.Errorf("CheckFits class: got %q, want %q", core.ErrorCode(err).Class(), core.LimitExceeded)
	}
}

func TestTax(t *testing.T) {
	usd, jpy, kwd := cur(t, "USD"), cur(t, "JPY"), cur(t, "KWD")
	tests := []struct {
		sub  money.Money
		bp   int
		want int64
	}{
		{money.New(1025, usd), 1800, 184}, // 184.5 -> even
		{money.New(1075, usd), 1800, 194}, // 193.5 -> even
		{money.New(1, usd), 5000, 0},      // 0.5 -> 0
		{money.New(3, usd), 5000, 2},      // 1.5 -> 2
		{money.New(14365, jpy), 1000, 1436},
		{money.New(6795, kwd), 500, 340},
		{money.New(999, usd), 0, 0},
		{money.New(999, usd), 10000, 999},
		{money.New(math.MaxInt64, usd), 10000, math.MaxInt64},
		{money.New(math.MaxInt64, usd), 1, 922337203685478}, // 922337203685477.5807 -> up
	}
	for _, tt := range tests {
		got, err := billing.Tax(tt.sub, tt.bp)
		if err != nil || got.Amount != tt.want || got.Currency != tt.sub.Currency {
			t.Errorf("Tax(%v, %d): got %v, %v, want %d", tt.sub, tt.bp, got, err, tt.want)
		}
	}
	for _, bp := range []int{-1, 10001} {
		if _, err := billing.Tax(money.New(1, usd), bp); core.ErrorCode(err) != core.Invalid {
			t.Errorf("Tax(bp %d): got %v, want %q", bp, err, core.Invalid)
		}
	}
}

// invoiceInput is a November 2026 run over a subscription started on
// 2026-11-01 on a 49.00 USD plan.
func invoiceInput(t testing.TB) billing.InvoiceInput {
	t.Helper()
	pro := plan(t, "plan_pro", "USD", 4900)
	s := must(billing.NewSubscription("tn_1", pro, billing.Monthly, at("2026-11-01T09:00:00Z")))
	return billing.InvoiceInput{
		Subscription: s,
		Period:       billing.Period{Start: date("2026-11-01"), End: date("2026-12-01")},
		Plans:        map[string]billing.Plan{pro.ID: pro},
		Month:        "2026-11",
		Now:          at("2026-12-01T02:00:00Z"),
		DueDays:      14,
	}
}

func TestBuildInvoiceErrors(t *testing.T) {
	eur := plan(t, "plan_eur", "EUR", 4000)
	huge := plan(t, "plan_huge", "USD", math.MaxInt64)
	apiSKU := func(t testing.TB, unit string) billing.SKU {
		return billing.SKU{Code: "api", Name: "API", Aggregation: billing.AggSum,
			Price: billing.Price{SKU: "api", Metric: "api_calls", Currency: cur(t, "USD"), Model: billing.PerUnit, UnitAmount: dec(t, unit)}}
	}
	tests := []struct {
		name  string
		edit  func(in *billing.InvoiceInput)
		code  core.Code
		field string
	}{
		{"trial period", func(in *billing.InvoiceInput) {
			p := in.Plans["plan_pro"]
			p.TrialDays = 10
			in.Subscription = must(billing.NewSubscription("tn_1", p, billing.Monthly, at("2026-11-01T09:00:00Z")))
			in.Subscription = must(in.Subscription.Convert(at("2026-11-02T00:00:00Z")))
		}, core.Invalid, "period"},
		{"cancelled before the period", func(in *billing.InvoiceInput) {
			in.Subscription = must(in.Subscription.Cancel(false, at("2026-10-20T00:00:00Z")))
		}, core.Invalid, "period"},
		{"cancelled on the period's first day", func(in *billing.InvoiceInput) {
			in.Subscription = must(in.Subscription.Cancel(false, at("2026-11-01T18:00:00Z")))
		}, core.Invalid, "period"},
		{"not a period of the cycle", func(in *billing.InvoiceInput) {
			in.Period = billing.Period{Start: date("2026-11-02"), End: date("2026-12-02")}
		}, core.Invalid, "period"},
		{"month without the period's end", func(in *billing.InvoiceInput) { in.Month = "2026-12" }, core.Invalid, "month"},
		{"malformed month", func(in *billing.InvoiceInput) { in.Month = "Nov 2026" }, core.Invalid, "month"},
		{"tax rate", func(in *billing.InvoiceInput) { in.Subscription.TaxRateBP = 10001 }, core.Invalid, "taxRateBp"},
		{"due days", func(in *billing.InvoiceInput) { in.DueDays = -1 }, core.Invalid, "dueDays"},
		{"repeated SKU", func(in *billing.InvoiceInput) { in.SKUs = []billing.SKU{apiSKU(t, "1"), apiSKU(t, "2")} }, core.Invalid, "skus"},
		{"negative usage", func(in *billing.InvoiceInput) {
			in.SKUs = []billing.SKU{apiSKU(t, "1")}
			in.Usage = map[string]int64{"api_calls": -1}
		}, core.Invalid, "quantity"},
		{"plan missing", func(in *billing.InvoiceInput) { in.Plans = nil }, core.PlanUnknown, ""},
		{"no price for the interval", func(in *billing.InvoiceInput) {
			p := in.Plans["plan_pro"]
			p.Prices = map[billing.Interval]int64{billing.Yearly: 1}
			in.Plans = map[string]billing.Plan{p.ID: p}
		}, core.PlanUnknown, ""},
		{"two currencies in a period", func(in *billing.InvoiceInput) {
			in.Subscription = must(in.Subscription.ChangePlan(eur, false, at("2026-11-10T00:00:00Z")))
			in.Plans[eur.ID] = eur
		}, core.CurrencyMismatch, ""},
		{"usage line overflows", func(in *billing.InvoiceInput) {
			in.SKUs = []billing.SKU{apiSKU(t, "100000000000000000")}
			in.Usage = map[string]int64{"api_calls": 1000}
		}, core.AmountOverflow, ""},
		{"subtotal overflows", func(in *billing.InvoiceInput) {
			in.Subscription = must(billing.NewSubscription("tn_1", huge, billing.Monthly, at("2026-11-01T09:00:00Z")))
			in.Plans = map[string]billing.Plan{huge.ID: huge}
			in.SKUs = []billing.SKU{apiSKU(t, "0.01")}
			in.Usage = map[string]int64{"api_calls": 1}
		}, core.AmountOverflow, ""},
		{"tax overflows the total", func(in *billing.InvoiceInput) {
			in.Subscription = must(billing.NewSubscription("tn_1", huge, billing.Monthly, at("2026-11-01T09:00:00Z")))
			in.Subscription.TaxRateBP = 100
			in.Plans = map[string]billing.Plan{huge.ID: huge}
		}, core.AmountOverflow, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := invoiceInput(t)
			tt.edit(&in)
			_, err := billing.BuildInvoice(in)
			var e *core.Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Fatalf("BuildInvoice: got %v, want %q", err, tt.code)
			}
			if tt.field != "" && (len(e.Fields) != 1 || e.Fields[0].Field != tt.field) {
				t.Errorf("BuildInvoice fields: got %v, want %q", e.Fields, tt.field)
			}
		})
	}
}

func TestBuildInvoiceEnvelope(t *testing.T) {
	in := invoiceInput(t)
	in.OwnerID = "prt_1"
	in.Subscription.TaxRateBP = 1800
	inv, err := billing.BuildInvoice(in)
	if err != nil {
		t.Fatal(err)
	}
	s := in.Subscription
	checks := []struct {
		name      string
		got, want any
	}{
		{"status", inv.Status, billing.InvoiceDraft},
		{"tenant", inv.TenantID, s.TenantID},
		{"subscription", inv.SubscriptionID, s.ID},
		{"plan", inv.PlanID, "plan_pro"},
		{"owner", inv.OwnerID, "prt_1"},
		{"currency", inv.Currency.Code(), "USD"},
		{"month", inv.Month, "2026-11"},
		{"period", ymd(inv.PeriodStart) + ".." + ymd(inv.PeriodEnd), "2026-11-01..2026-12-01"},
		{"created", inv.CreatedAt, in.Now},
		{"updated", inv.UpdatedAt, in.Now},
		{"due", inv.DueAt, at("2026-12-15T02:00:00Z")},
		{"subtotal", inv.Subtotal, int64(4900)},
		{"tax rate", inv.TaxRateBP, 1800},
		{"tax", inv.Tax, int64(882)},
		{"total", inv.Total, int64(5782)},
		{"lines", len(inv.Lines), 1},
		{"line kind", inv.Lines[0].Kind, billing.LineSubscription},
	}
	for _, c := range checks {
		if !cmp.Equal(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if !core.ValidID(core.PrefixInvoice, inv.ID) {
		t.Errorf("ID: got %q, want an inv_ ID", inv.ID)
	}
	again, err := billing.BuildInvoice(in)
	if err != nil || again.ID == inv.ID {
		t.Errorf("second BuildInvoice: got ID %q (%v), want a new ID", again.ID, err)
	}
}

// TestBuildInvoiceSKUPlans: only the SKUs applying to the plan in force
// on the period's last billed day are billed.
func TestBuildInvoiceSKUPlans(t *testing.T) {
	in := invoiceInput(t)
	basic := plan(t, "plan_basic", "USD", 1000)
	in.Plans[basic.ID] = basic
	in.Subscription = must(in.Subscription.ChangePlan(basic, false, at("2026-11-20T00:00:00Z")))
	sku := func(code string, plans ...string) billing.SKU {
		return billing.SKU{Code: code, Name: code, Aggregation: billing.AggSum, PlanIDs: plans,
			Price: billing.Price{SKU: code, Metric: "m", Currency: cur(t, "USD"), Model: billing.Flat, FlatAmount: dec(t, "1")}}
	}
	jpy := sku("yen")
	jpy.Price.Currency = cur(t, "JPY")
	in.SKUs = []billing.SKU{sku("pro_only", "plan_pro"), sku("basic_only", "plan_basic"), sku("any"), jpy}
	inv, err := billing.BuildInvoice(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range inv.Lines {
		got = append(got, string(l.Kind)+":"+l.PlanID+l.SKU)
	}
	want := []string{"proration:plan_pro", "proration:plan_basic", "usage:any", "usage:basic_only"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines mismatch (-want +got):\n%s", diff)
	}
	if inv.PlanID != "plan_basic" {
		t.Errorf("PlanID: got %q, want plan_basic", inv.PlanID)
	}
	// Pro: 4900 split 19:11 of 30 = 3103 | 1797; Basic: 1000 split 19:11 = 633 | 367.
	if got, want := []int64{inv.Lines[0].Amount, inv.Lines[1].Amount, inv.Subtotal}, []int64{3103, 367, 3103 + 367 + 200}; !cmp.Equal(got, want) {
		t.Errorf("amounts: got %v, want %v", got, want)
	}
}
