package billing_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite the want of billing/testdata/invoices/*.json from the code (check every number by hand after)")

// scenario is one file of testdata/invoices: a subscription's history,
// the billing runs over it and the invoices they must make. Dates in the
// expected output are UTC days; a period's end is exclusive.
type scenario struct {
	Why      string         `json:"why"`
	Currency string         `json:"currency"`
	TaxBP    int            `json:"taxBp"`
	Plans    []scenarioPlan `json:"plans"`
	SKUs     []scenarioSKU  `json:"skus,omitempty"`
	Steps    []step         `json:"steps"`
	Runs     []run          `json:"runs"`
	Want     want           `json:"want"`
}

type scenarioPlan struct {
	ID        string                     `json:"id"`
	Name      string                     `json:"name"`
	Currency  string                     `json:"currency,omitempty"` // the scenario's when empty
	Prices    map[billing.Interval]int64 `json:"prices"`
	TrialDays int                        `json:"trialDays,omitempty"`
	Limits    map[string]int64           `json:"limits,omitempty"`
}

type scenarioSKU struct {
	Code           string          `json:"code"`
	Name           string          `json:"name"`
	PlanIDs        []string        `json:"planIds,omitempty"`
	Commissionable bool            `json:"commissionable"`
	Price          json.RawMessage `json:"price"` // a billing.Price; sku and currency default to the SKU's code and the scenario's currency
}

// step is one call on the subscription: start, convert, change, cancel or
// advance. A change with Used first checks CheckFits(plan, used).
type step struct {
	Op          string           `json:"op"`
	At          time.Time        `json:"at"`
	Plan        string           `json:"plan,omitempty"`
	Interval    billing.Interval `json:"interval,omitempty"`
	AtPeriodEnd bool             `json:"atPeriodEnd,omitempty"`
	Overdue     bool             `json:"overdue,omitempty"`
	Used        map[string]int64 `json:"used,omitempty"`
}

// run is one monthly billing run with the usage totals of each period it
// bills.
type run struct {
	Month string           `json:"month"`
	Usage map[string]int64 `json:"usage,omitempty"`
}

type want struct {
	StepErrors []stepError     `json:"stepErrors,omitempty"`
	Invoices   []goldenInvoice `json:"invoices"`
}

type stepError struct {
	Step    int               `json:"step"`
	Code    core.Code         `json:"code"`
	Message string            `json:"message"`
	Fields  []core.FieldError `json:"fields,omitempty"`
}

type goldenInvoice struct {
	Month       string       `json:"month"`
	PeriodStart string       `json:"periodStart"`
	PeriodEnd   string       `json:"periodEnd"`
	PlanID      string       `json:"planId"`
	Currency    string       `json:"currency"`
	Lines       []goldenLine `json:"lines"`
	Subtotal    int64        `json:"subtotal"`
	TaxRateBP   int          `json:"taxRateBp"`
	Tax         int64        `json:"tax"`
	Total       int64        `json:"total"`
}

type goldenLine struct {
	Kind           billing.LineKind `json:"kind"`
	Description    string           `json:"description"`
	PlanID         string           `json:"planId,omitempty"`
	SKU            string           `json:"sku,omitempty"`
	PeriodStart    string           `json:"periodStart"`
	PeriodEnd      string           `json:"periodEnd"`
	Quantity       int64            `json:"quantity"`
	Days           int64            `json:"days,omitempty"`
	PeriodDays     int64            `json:"periodDays,omitempty"`
	Exact          *money.Decimal   `json:"exact,omitempty"`
	Breakdown      []goldenTier     `json:"breakdown,omitempty"`
	Amount         int64            `json:"amount"`
	Commissionable bool             `json:"commissionable"`
}

type goldenTier struct {
	Tier     int           `json:"tier"`
	Quantity int64         `json:"quantity"`
	Amount   money.Decimal `json:"amount"`
}

func TestGoldenInvoices(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invoices", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 12 {
		t.Fatalf("golden scenarios: got %d files, want at least 12", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var sc scenario
			dec := json.NewDecoder(strings.NewReader(string(raw)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&sc); err != nil {
				t.Fatalf("decoding %s: %v", file, err)
			}
			if strings.TrimSpace(sc.Why) == "" {
				t.Errorf("%s: got no why, want the hand arithmetic", file)
			}
			got := play(t, sc)
			if *update {
				sc.Want = got
				out, err := json.MarshalIndent(sc, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, append(out, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			opts := cmp.Options{
				cmp.Comparer(func(a, b money.Decimal) bool { return a.Cmp(b) == 0 }),
				cmpopts.EquateEmpty(),
			}
			if diff := cmp.Diff(sc.Want, got, opts); diff != "" {
				t.Errorf("invoices mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// play runs the scenario's steps with the pure transitions, then its
// billing runs with BillablePeriods and BuildInvoice.
func play(t *testing.T, sc scenario) want {
	t.Helper()
	plans := map[string]billing.Plan{}
	for _, sp := range sc.Plans {
		code := sp.Currency
		if code == "" {
			code = sc.Currency
		}
		p := billing.Plan{ID: sp.ID, Name: sp.Name, Currency: cur(t, code), Prices: sp.Prices,
			TrialDays: sp.TrialDays, Limits: sp.Limits, Status: billing.PlanActive}
		if err := p.Validate(); err != nil {
			t.Fatalf("plan %s: %v", sp.ID, err)
		}
		plans[sp.ID] = p
	}
	var skus []billing.SKU
	for _, ss := range sc.SKUs {
		var pr billing.Price
		if err := json.Unmarshal(ss.Price, &pr); err != nil {
			t.Fatalf("sku %s price: %v", ss.Code, err)
		}
		if pr.SKU == "" {
			pr.SKU = ss.Code
		}
		if pr.Currency.IsZero() {
			pr.Currency = cur(t, sc.Currency)
		}
		k := billing.SKU{Code: ss.Code, Name: ss.Name, Aggregation: billing.AggSum, Price: pr,
			PlanIDs: ss.PlanIDs, Commissionable: ss.Commissionable}
		if err := k.Validate(); err != nil {
			t.Fatalf("sku %s: %v", ss.Code, err)
		}
		skus = append(skus, k)
	}

	var out want
	var sub billing.Subscription
	started := false
	for i, st := range sc.Steps {
		plan, hasPlan := plans[st.Plan]
		if st.Plan != "" && !hasPlan {
			t.Fatalf("step %d: unknown plan %q", i, st.Plan)
		}
		var err error
		switch st.Op {
		case "start":
			sub, err = billing.NewSubscription("tn_golden", plan, st.Interval, st.At)
			sub.TaxRateBP = sc.TaxBP
			started = err == nil
		case "convert":
			sub, err = sub.Convert(st.At)
		case "change":
			if err = billing.CheckFits(plan, st.Used); err == nil {
				sub, err = sub.ChangePlan(plan, st.AtPeriodEnd, st.At)
			}
		case "cancel":
			sub, err = sub.Cancel(st.AtPeriodEnd, st.At)
		case "advance":
			sub, _ = sub.Advance(st.At, st.Overdue)
		default:
			t.Fatalf("step %d: unknown op %q", i, st.Op)
		}
		if err != nil {
			var e *core.Error
			if !errors.As(err, &e) {
				t.Fatalf("step %d: got %v, want a *core.Error", i, err)
			}
			out.StepErrors = append(out.StepErrors, stepError{Step: i, Code: e.Code, Message: e.Message, Fields: e.Fields})
		}
	}
	if !started {
		t.Fatal("the scenario never starts a subscription")
	}

	for _, r := range sc.Runs {
		ms, me, err := billing.ParseMonth(r.Month)
		if err != nil {
			t.Fatalf("run %s: %v", r.Month, err)
		}
		periods, err := sub.BillablePeriods(ms, me)
		if err != nil {
			t.Fatalf("BillablePeriods(%s): %v", r.Month, err)
		}
		for _, pd := range periods {
			now := me.Add(2 * time.Hour)
			inv, err := billing.BuildInvoice(billing.InvoiceInput{
				Subscription: sub, Period: pd, Plans: plans, SKUs: skus, Usage: r.Usage,
				OwnerID: "dist_golden", Month: r.Month, Now: now, DueDays: billing.DefaultInvoiceDays,
			})
			if err != nil {
				t.Fatalf("BuildInvoice(%s, %v): %v", r.Month, pd, err)
			}
			checkEnvelope(t, inv, sub, now)
			out.Invoices = append(out.Invoices, golden(inv))
		}
	}
	return out
}

// checkEnvelope checks the fields the golden view leaves out.
func checkEnvelope(t *testing.T, inv billing.Invoice, sub billing.Subscription, now time.Time) {
	t.Helper()
	if !core.ValidID(core.PrefixInvoice, inv.ID) {
		t.Errorf("invoice ID: got %q, want an %q ID", inv.ID, core.PrefixInvoice)
	}
	if inv.Status != billing.InvoiceDraft {
		t.Errorf("invoice status: got %q, want %q", inv.Status, billing.InvoiceDraft)
	}
	if inv.TenantID != sub.TenantID || inv.SubscriptionID != sub.ID || inv.OwnerID != "dist_golden" {
		t.Errorf("invoice owner: got %s/%s/%s, want %s/%s/dist_golden", inv.TenantID, inv.SubscriptionID, inv.OwnerID, sub.TenantID, sub.ID)
	}
	if !inv.CreatedAt.Equal(now) || !inv.UpdatedAt.Equal(now) || !inv.DueAt.Equal(now.AddDate(0, 0, billing.DefaultInvoiceDays)) {
		t.Errorf("invoice times: got created %v updated %v due %v, want %v and due 14 days later", inv.CreatedAt, inv.UpdatedAt, inv.DueAt, now)
	}
	if inv.FinalizedAt != nil || inv.PaidAt != nil || inv.VoidedAt != nil || inv.UncollectibleAt != nil {
		t.Errorf("draft invoice: got a finalized, paid, voided or uncollectible time, want none")
	}
}

func golden(inv billing.Invoice) goldenInvoice {
	g := goldenInvoice{
		Month: inv.Month, PeriodStart: ymd(inv.PeriodStart), PeriodEnd: ymd(inv.PeriodEnd),
		PlanID: inv.PlanID, Currency: inv.Currency.Code(),
		Subtotal: inv.Subtotal, TaxRateBP: inv.TaxRateBP, Tax: inv.Tax, Total: inv.Total,
	}
	for _, l := range inv.Lines {
		gl := goldenLine{
			Kind: l.Kind, Description: l.Description, PlanID: l.PlanID, SKU: l.SKU,
			PeriodStart: ymd(l.PeriodStart), PeriodEnd: ymd(l.PeriodEnd), Quantity: l.Quantity,
			Days: l.Days, PeriodDays: l.PeriodDays, Amount: l.Amount, Commissionable: l.Commissionable,
		}
		if c := l.Calculation; c != nil {
			exact := c.Exact
			gl.Exact = &exact
			for _, b := range c.Breakdown {
				gl.Breakdown = append(gl.Breakdown, goldenTier{Tier: b.Tier, Quantity: b.Quantity, Amount: b.Amount})
			}
		}
		g.Lines = append(g.Lines, gl)
	}
	return g
}

func ymd(t time.Time) string { return t.UTC().Format(time.DateOnly) }
