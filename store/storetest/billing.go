package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// Goroutine counts of the billing concurrency tests.
const (
	raceBillingRuns  = 10 // billing runs racing for one invoice or threshold
	raceUsageBatches = 8  // batches of overlapping usage
)

// RunBilling checks the billing.Store part of a store: plans, SKUs,
// subscriptions and invoices round-trip exactly, are unique and update
// through their updaters; a plan in use cannot be deleted; usage is stored
// once per tenant and key and totalled per aggregation over [from, to);
// threshold marks and invoices are exactly-once under concurrency; a
// rolled-back transaction leaves no billing write behind.
func RunBilling(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"PlanRoundTrip", testPlanRoundTrip},
		{"PlanDuplicate", testPlanDuplicate},
		{"PlanNotFound", testPlanNotFound},
		{"PlanUpdate", testPlanUpdate},
		{"PlanUpdateRules", testPlanUpdateRules},
		{"PlanListOrderAndArchived", testPlanList},
		{"PlanDelete", testPlanDelete},
		{"PlanDeleteInUse", testPlanDeleteInUse},
		{"SKURoundTripAndDuplicate", testSKURoundTrip},
		{"SubscriptionRoundTrip", testSubscriptionRoundTrip},
		{"SubscriptionDuplicate", testSubscriptionDuplicate},
		{"SubscriptionUnknownPlan", testSubscriptionUnknownPlan},
		{"SubscriptionNotFound", testSubscriptionNotFound},
		{"SubscriptionUpdate", testSubscriptionUpdate},
		{"SubscriptionList", testSubscriptionList},
		{"SubscriptionListAfter", testSubscriptionListAfter},
		{"SubscriptionScan", testSubscriptionScan},
		{"UsageDuplicates", testUsageDuplicates},
		{"UsageTotals", testUsageTotals},
		{"MarkThresholdOnce", testMarkThresholdOnce},
		{"InvoiceRoundTrip", testInvoiceRoundTrip},
		{"InvoiceExactlyOnce", testInvoiceExactlyOnce},
		{"InvoiceNotFound", testInvoiceNotFound},
		{"InvoiceUpdate", testInvoiceUpdate},
		{"InvoiceList", testInvoiceList},
		{"InvoiceListDueBefore", testInvoiceListDueBefore},
		{"InvoiceListAfter", testInvoiceListAfter},
		{"InvoiceScan", testInvoiceScan},
		{"TxRollback", testBillingRollback},
		{"TxSeesOwnWrites", testBillingTxOwnWrites},
		{"ConcurrentCreateInvoice", testConcurrentCreateInvoice},
		{"ConcurrentMarkThreshold", testConcurrentMarkThreshold},
		{"ConcurrentInsertUsage", testConcurrentInsertUsage},
		{"ConcurrentDeletePlanAndSubscribe", testConcurrentDeletePlan},
		{"ConcurrentUpdatesLoseNothing", testConcurrentBillingUpdates},
	})
}

// billingOpts compare money values by their meaning: a Currency by its
// code, a Decimal by its text (which keeps its trailing zeros).
var billingOpts = cmp.Options{
	cmp.Comparer(func(a, b money.Currency) bool { return a == b }),
	cmp.Comparer(func(a, b money.Decimal) bool { return a.String() == b.String() }),
}

func usd(t *testing.T) money.Currency {
	t.Helper()
	c, err := money.ParseCurrency("USD")
	if err != nil {
		t.Fatalf("ParseCurrency(USD): %v", err)
	}
	return c
}

func dec(t *testing.T, s string) money.Decimal {
	t.Helper()
	d, err := money.ParseDecimal(s)
	if err != nil {
		t.Fatalf("ParseDecimal(%q): %v", s, err)
	}
	return d
}

// day returns 2024-03-01 00:00 UTC plus n days.
func day(n int) time.Time {
	return time.Date(2024, time.March, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
}

// billingPlan returns a complete plan with the ID, created at(n).
func billingPlan(t *testing.T, id string, n int) billing.Plan {
	return billing.Plan{
		ID: id, Name: "Plan " + id, Description: "For teams of <" + id + ">", Currency: usd(t),
		Prices:    map[billing.Interval]int64{billing.Monthly: 4900, billing.Yearly: 49000},
		TrialDays: 14,
		Limits:    map[string]int64{billing.LimitUsers: 10, billing.LimitAtoms: billing.Unlimited, "apiCalls": 100_000},
		Features:  map[string]json.RawMessage{"apiAccess": json.RawMessage(`true`), "storage": json.RawMessage(`{"gb":10,"tier":"ssd"}`)},
		IsPopular: true, Status: billing.PlanActive, CreatedAt: at(n), UpdatedAt: at(n),
	}
}

func createPlans(t *testing.T, s billing.Store, ps ...billing.Plan) {
	t.Helper()
	for _, p := range ps {
		if err := s.CreatePlan(t.Context(), p); err != nil {
			t.Fatalf("CreatePlan(%s): got error %v, want nil", p.ID, err)
		}
	}
}

func wantPlan(t *testing.T, s billing.Store, want billing.Plan) {
	t.Helper()
	got, err := s.GetPlan(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("GetPlan(%s): got error %v, want nil", want.ID, err)
	}
	if d := cmp.Diff(want, got, billingOpts); d != "" {
		t.Errorf("GetPlan(%s) mismatch (-want +got):\n%s", want.ID, d)
	}
}

func billingSKU(t *testing.T, code string, n int) billing.SKU {
	upTo := int64(1000)
	return billing.SKU{
		Code: code, Name: "SKU " + code, Aggregation: billing.AggSum,
		Price: billing.Price{
			SKU: code, Metric: "apiCalls", Currency: usd(t), Model: billing.Graduated,
			Tiers: []billing.Tier{
				{UpTo: &upTo, UnitAmount: dec(t, "0.0010"), FlatAmount: dec(t, "0")},
				{UnitAmount: dec(t, "0.0005"), FlatAmount: dec(t, "1.50")},
			},
		},
		PlanIDs: []string{"plan_st_a", "plan_st_b"}, Commissionable: true, CreatedAt: at(n),
	}
}

// billingSub returns a complete trialing subscription of the tenant to the
// plan, numbered n.
func billingSub(tenantID, planID string, n int) billing.Subscription {
	trialEnd := day(14)
	return billing.Subscription{
		ID: fmt.Sprintf("sub_st%04d", n), TenantID: tenantID, PlanID: planID, Status: billing.Trialing,
		Interval: billing.Monthly, Anchor: trialEnd, StartedAt: at(n), TrialEnd: &trialEnd,
		Segments: []billing.Segment{{PlanID: planID, From: day(0)}}, TaxRateBP: 1800,
		CreatedAt: at(n), UpdatedAt: at(n),
	}
}

func createSubs(t *testing.T, s billing.Store, subs ...billing.Subscription) {
	t.Helper()
	for _, sub := range subs {
		if err := s.CreateSubscription(t.Context(), sub); err != nil {
			t.Fatalf("CreateSubscription(%s): got error %v, want nil", sub.ID, err)
		}
	}
}

func wantSub(t *testing.T, s billing.Store, want billing.Subscription) {
	t.Helper()
	got, err := s.GetSubscription(t.Context(), want.TenantID)
	if err != nil {
		t.Fatalf("GetSubscription(%s): got error %v, want nil", want.TenantID, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("GetSubscription(%s) mismatch (-want +got):\n%s", want.TenantID, d)
	}
}

// billingInvoice returns a complete draft invoice of the subscription for
// the month period starting on day(start).
func billingInvoice(t *testing.T, id, tenantID, subID string, start, n int) billing.Invoice {
	sku := billingSKU(t, "api_calls", 0)
	calc, err := sku.Price.Calculate(1500)
	if err != nil {
		t.Fatalf("Calculate: %v", err)
	}
	ps, pe := day(start), day(start).AddDate(0, 1, 0)
	return billing.Invoice{
		ID: id, TenantID: tenantID, SubscriptionID: subID, PlanID: "plan_st_a", OwnerID: "dist_st",
		Status: billing.InvoiceDraft, Currency: usd(t), Month: pe.Format("2006-01"), PeriodStart: ps, PeriodEnd: pe,
		Lines: []billing.InvoiceLine{
			{Kind: billing.LineSubscription, Description: "Plan A", PlanID: "plan_st_a", PeriodStart: ps, PeriodEnd: pe, Quantity: 1, Amount: 4900},
			{Kind: billing.LineUsage, Description: "API calls", SKU: "api_calls", Metric: "apiCalls", PeriodStart: ps, PeriodEnd: pe,
				Quantity: 1500, Amount: calc.Amount.Amount, Calculation: &calc, Commissionable: true},
		},
		Subtotal: 4900 + calc.Amount.Amount, TaxRateBP: 1800, Tax: 900, Total: 4900 + calc.Amount.Amount + 900,
		CreatedAt: at(n), DueAt: pe.AddDate(0, 0, billing.DefaultInvoiceDays), UpdatedAt: at(n),
	}
}

func createInvoice(t *testing.T, s billing.Store, inv billing.Invoice) {
	t.Helper()
	ok, err := s.CreateInvoice(t.Context(), inv)
	if err != nil || !ok {
		t.Fatalf("CreateInvoice(%s): got %t, %v, want true, nil", inv.ID, ok, err)
	}
}

func wantInvoice(t *testing.T, s billing.Store, want billing.Invoice) {
	t.Helper()
	got, err := s.GetInvoice(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("GetInvoice(%s): got error %v, want nil", want.ID, err)
	}
	if d := cmp.Diff(want, got, billingOpts); d != "" {
		t.Errorf("GetInvoice(%s) mismatch (-want +got):\n%s", want.ID, d)
	}
}

// usageRec returns a usage record of the tenant at minute n of day 1.
func usageRec(tenantID, key, metric string, qty int64, subject string, ts time.Time) billing.UsageRecord {
	return billing.UsageRecord{TenantID: tenantID, IdempotencyKey: key, Metric: metric, Quantity: qty, Subject: subject, Timestamp: ts, ReceivedAt: ts.Add(time.Second)}
}

func insertUsage(t *testing.T, s billing.Store, recs []billing.UsageRecord, want []bool) {
	t.Helper()
	got, err := s.InsertUsage(t.Context(), recs)
	if err != nil {
		t.Fatalf("InsertUsage: got error %v, want nil", err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("InsertUsage results: got %v, want %v", got, want)
	}
}

func testPlanRoundTrip(t *testing.T, s store.Store) {
	full := billingPlan(t, "plan_st_a", 1)
	bare := billing.Plan{ID: "plan_st_b", Name: "Bare", Currency: usd(t), Prices: map[billing.Interval]int64{billing.Yearly: 0},
		Limits: map[string]int64{}, Status: billing.PlanArchived, CreatedAt: at(2), UpdatedAt: at(3)}
	createPlans(t, s, full, bare)
	wantPlan(t, s, full)
	wantPlan(t, s, bare)
	got, _ := s.GetPlan(t.Context(), full.ID)
	got.Prices[billing.Monthly] = 1
	got.Features["apiAccess"][0] = 'X'
	wantPlan(t, s, full)
}

func testPlanDuplicate(t *testing.T, s store.Store) {
	p := billingPlan(t, "plan_st_a", 1)
	createPlans(t, s, p)
	other := billingPlan(t, "plan_st_a", 2)
	other.Name = "Other"
	wantCode(t, "CreatePlan with a taken ID", s.CreatePlan(t.Context(), other), core.Conflict)
	wantPlan(t, s, p)
}

func testPlanNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetPlan(ctx, "plan_st_none")
	wantCode(t, "GetPlan", err, core.NotFound)
	_, err = s.UpdatePlan(ctx, "plan_st_none", func(p billing.Plan) (billing.Plan, error) { return p, nil })
	wantCode(t, "UpdatePlan", err, core.NotFound)
	wantCode(t, "DeletePlan", s.DeletePlan(ctx, "plan_st_none"), core.NotFound)
}

func testPlanUpdate(t *testing.T, s store.Store) {
	p := billingPlan(t, "plan_st_a", 1)
	createPlans(t, s, p)
	want := p
	want.Name, want.Status, want.UpdatedAt = "Renamed", billing.PlanArchived, at(50)
	want.Prices = map[billing.Interval]int64{billing.Monthly: 5900}
	want.Features = nil
	got, err := s.UpdatePlan(t.Context(), p.ID, func(cur billing.Plan) (billing.Plan, error) {
		if d := cmp.Diff(p, cur, billingOpts); d != "" {
			t.Errorf("updater got (-want +got):\n%s", d)
		}
		cur.Name, cur.Status, cur.UpdatedAt = "Renamed", billing.PlanArchived, at(50)
		cur.Prices = map[billing.Interval]int64{billing.Monthly: 5900}
		cur.Features = nil
		return cur, nil
	})
	if err != nil {
		t.Fatalf("UpdatePlan: got error %v, want nil", err)
	}
	if d := cmp.Diff(want, got, billingOpts); d != "" {
		t.Errorf("UpdatePlan result (-want +got):\n%s", d)
	}
	wantPlan(t, s, want)
}

func testPlanUpdateRules(t *testing.T, s store.Store) {
	p := billingPlan(t, "plan_st_a", 1)
	createPlans(t, s, p)
	wantUpdatesRefused(t, func(fn func(billing.Plan) (billing.Plan, error)) error {
		_, err := s.UpdatePlan(t.Context(), p.ID, fn)
		return err
	}, func() { wantPlan(t, s, p) }, []updateRefusal[billing.Plan]{
		{"updater fails", func(x billing.Plan) (billing.Plan, error) { x.Name = "Never"; return x, errSentinel }, ""},
		{"ID changes", func(x billing.Plan) (billing.Plan, error) { x.ID = "plan_st_z"; return x, nil }, core.Invalid},
		{"creation time changes", func(x billing.Plan) (billing.Plan, error) { x.CreatedAt = at(99); return x, nil }, core.Invalid},
	})
}

func testPlanList(t *testing.T, s store.Store) {
	c := billingPlan(t, "plan_st_c", 1)
	a := billingPlan(t, "plan_st_a", 2)
	b := billingPlan(t, "plan_st_b", 2)
	arch := billingPlan(t, "plan_st_0", 1)
	arch.Status = billing.PlanArchived
	createPlans(t, s, b, arch, a, c)
	for _, tc := range []struct {
		all  bool
		want []billing.Plan
	}{{false, []billing.Plan{c, a, b}}, {true, []billing.Plan{arch, c, a, b}}} {
		got, err := s.ListPlans(t.Context(), tc.all)
		if err != nil {
			t.Fatalf("ListPlans(%t): got error %v, want nil", tc.all, err)
		}
		if d := cmp.Diff(tc.want, got, billingOpts); d != "" {
			t.Errorf("ListPlans(%t) (-want +got):\n%s", tc.all, d)
		}
	}
}

func testPlanDelete(t *testing.T, s store.Store) {
	a, b := billingPlan(t, "plan_st_a", 1), billingPlan(t, "plan_st_b", 2)
	createPlans(t, s, a, b)
	// A deleted tenant's plan is not in use.
	tn := fixture(1)
	tn.PlanID, tn.DeletedAt = a.ID, timePtr(at(5))
	create(t, s, tn)
	if err := s.DeletePlan(t.Context(), a.ID); err != nil {
		t.Fatalf("DeletePlan: got error %v, want nil", err)
	}
	_, err := s.GetPlan(t.Context(), a.ID)
	wantCode(t, "GetPlan after DeletePlan", err, core.NotFound)
	wantCode(t, "DeletePlan again", s.DeletePlan(t.Context(), a.ID), core.NotFound)
	wantPlan(t, s, b)
}

func testPlanDeleteInUse(t *testing.T, s store.Store) {
	byTenant, bySub, byPending, free := billingPlan(t, "plan_st_tenant", 1), billingPlan(t, "plan_st_sub", 2),
		billingPlan(t, "plan_st_pending", 3), billingPlan(t, "plan_st_free", 4)
	createPlans(t, s, byTenant, bySub, byPending, free)
	tn := fixture(1)
	tn.PlanID = byTenant.ID
	create(t, s, tn)
	sub := billingSub("tn_other", bySub.ID, 1)
	sub.PendingPlanID, sub.ChangeAt = byPending.ID, timePtr(day(31))
	sub.Status = billing.Cancelled // of any status
	createSubs(t, s, sub)
	for _, p := range []billing.Plan{byTenant, bySub, byPending} {
		wantCode(t, "DeletePlan("+p.ID+")", s.DeletePlan(t.Context(), p.ID), core.PlanInUse)
		wantPlan(t, s, p)
	}
	// In a transaction too, which goes on after the refusal.
	err := s.InTx(t.Context(), func(tx store.Store) error {
		wantCode(t, "DeletePlan in a transaction", tx.DeletePlan(t.Context(), bySub.ID), core.PlanInUse)
		return tx.DeletePlan(t.Context(), free.ID)
	})
	if err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
	_, err = s.GetPlan(t.Context(), free.ID)
	wantCode(t, "GetPlan of the deleted free plan", err, core.NotFound)
}

func testSKURoundTrip(t *testing.T, s store.Store) {
	a := billingSKU(t, "api_calls", 2)
	b := billing.SKU{Code: "seats", Name: "Seats", Aggregation: billing.AggMax,
		Price: billing.Price{SKU: "seats", Metric: "seats", Currency: usd(t), Model: billing.Package, UnitAmount: dec(t, "10.00"),
			PackageSize: 5, PackageRounding: billing.RoundUp}, CreatedAt: at(1)}
	c := billingSKU(t, "storage", 2)
	c.PlanIDs = []string{}
	for _, sku := range []billing.SKU{c, a, b} {
		if err := s.CreateSKU(t.Context(), sku); err != nil {
			t.Fatalf("CreateSKU(%s): got error %v, want nil", sku.Code, err)
		}
	}
	dup := billingSKU(t, "api_calls", 9)
	wantCode(t, "CreateSKU with a taken code", s.CreateSKU(t.Context(), dup), core.SKUDuplicate)
	got, err := s.ListSKUs(t.Context())
	if err != nil {
		t.Fatalf("ListSKUs: got error %v, want nil", err)
	}
	if d := cmp.Diff([]billing.SKU{b, a, c}, got, billingOpts); d != "" {
		t.Errorf("ListSKUs (-want +got):\n%s", d)
	}
}

func testSubscriptionRoundTrip(t *testing.T, s store.Store) {
	createPlans(t, s, billingPlan(t, "plan_st_a", 1), billingPlan(t, "plan_st_b", 2))
	full := billingSub("tn_st0001", "plan_st_b", 1)
	full.Status, full.ConvertedAt, full.CancelAtPeriodEnd = billing.Active, timePtr(at(7)), true
	full.PendingPlanID, full.ChangeAt, full.EndedAt = "plan_st_a", timePtr(day(45)), timePtr(day(60))
	full.Segments = append(full.Segments, billing.Segment{PlanID: "plan_st_b", From: day(20)})
	bare := billing.Subscription{ID: "sub_st0002", TenantID: "tn_st0002", PlanID: "plan_st_a", Status: billing.Active,
		Interval: billing.Yearly, Anchor: day(0), StartedAt: at(2), CreatedAt: at(2), UpdatedAt: at(2)}
	createSubs(t, s, full, bare)
	wantSub(t, s, full)
	wantSub(t, s, bare)
	got, _ := s.GetSubscription(t.Context(), full.TenantID)
	got.Segments[0].PlanID = "plan_x"
	*got.TrialEnd = at(0)
	wantSub(t, s, full)
}

func testSubscriptionDuplicate(t *testing.T, s store.Store) {
	createPlans(t, s, billingPlan(t, "plan_st_a", 1))
	sub := billingSub("tn_st0001", "plan_st_a", 1)
	createSubs(t, s, sub)
	second := billingSub("tn_st0001", "plan_st_a", 2)
	wantCode(t, "CreateSubscription for a tenant that has one", s.CreateSubscription(t.Context(), second), core.Conflict)
	sameID := billingSub("tn_st0002", "plan_st_a", 1)
	wantCode(t, "CreateSubscription with a taken ID", s.CreateSubscription(t.Context(), sameID), core.Conflict)
	wantSub(t, s, sub)
	_, err := s.GetSubscription(t.Context(), "tn_st0002")
	wantCode(t, "GetSubscription of the refused tenant", err, core.NotFound)
}

func testSubscriptionUnknownPlan(t *testing.T, s store.Store) {
	createPlans(t, s, billingPlan(t, "plan_st_a", 1))
	sub := billingSub("tn_st0001", "plan_st_none", 1)
	wantCode(t, "CreateSubscription to no plan", s.CreateSubscription(t.Context(), sub), core.Invalid)
	sub = billingSub("tn_st0001", "plan_st_a", 1)
	sub.PendingPlanID = "plan_st_none"
	wantCode(t, "CreateSubscription pending no plan", s.CreateSubscription(t.Context(), sub), core.Invalid)
	sub.PendingPlanID = ""
	createSubs(t, s, sub)
	_, err := s.UpdateSubscription(t.Context(), sub.TenantID, func(x billing.Subscription) (billing.Subscription, error) {
		x.PlanID = "plan_st_none"
		return x, nil
	})
	wantCode(t, "UpdateSubscription to no plan", err, core.Invalid)
	wantSub(t, s, sub)
}

func testSubscriptionNotFound(t *testing.T, s store.Store) {
	_, err := s.GetSubscription(t.Context(), "tn_st0001")
	wantCode(t, "GetSubscription", err, core.NotFound)
	_, err = s.UpdateSubscription(t.Context(), "tn_st0001", func(x billing.Subscription) (billing.Subscription, error) { return x, nil })
	wantCode(t, "UpdateSubscription", err, core.NotFound)
}

func testSubscriptionUpdate(t *testing.T, s store.Store) {
	createPlans(t, s, billingPlan(t, "plan_st_a", 1), billingPlan(t, "plan_st_b", 2))
	sub := billingSub("tn_st0001", "plan_st_a", 1)
	createSubs(t, s, sub)
	want := sub
	want.Status, want.PendingPlanID, want.ChangeAt, want.TrialEnd, want.UpdatedAt = billing.Active, "plan_st_b", timePtr(day(45)), nil, at(9)
	got, err := s.UpdateSubscription(t.Context(), sub.TenantID, func(x billing.Subscription) (billing.Subscription, error) {
		if d := cmp.Diff(sub, x); d != "" {
			t.Errorf("updater got (-want +got):\n%s", d)
		}
		x.Status, x.PendingPlanID, x.ChangeAt, x.TrialEnd, x.UpdatedAt = billing.Active, "plan_st_b", timePtr(day(45)), nil, at(9)
		return x, nil
	})
	if err != nil {
		t.Fatalf("UpdateSubscription: got error %v, want nil", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("UpdateSubscription result (-want +got):\n%s", d)
	}
	wantSub(t, s, want)
	wantUpdatesRefused(t, func(fn func(billing.Subscription) (billing.Subscription, error)) error {
		_, err := s.UpdateSubscription(t.Context(), sub.TenantID, fn)
		return err
	}, func() { wantSub(t, s, want) }, []updateRefusal[billing.Subscription]{
		{"updater fails", func(x billing.Subscription) (billing.Subscription, error) {
			x.Status = billing.Cancelled
			return x, errSentinel
		}, ""},
		{"ID changes", func(x billing.Subscription) (billing.Subscription, error) { x.ID = "sub_other"; return x, nil }, core.Invalid},
		{"tenant changes", func(x billing.Subscription) (billing.Subscription, error) { x.TenantID = "tn_other"; return x, nil }, core.Invalid},
		{"creation time changes", func(x billing.Subscription) (billing.Subscription, error) { x.CreatedAt = at(99); return x, nil }, core.Invalid},
	})
}

func subIDs(subs []billing.Subscription) []string {
	return idsOf(subs, func(s billing.Subscription) string { return s.ID })
}

func testSubscriptionList(t *testing.T, s store.Store) {
	createPlans(t, s, billingPlan(t, "plan_st_a", 1), billingPlan(t, "plan_st_b", 2))
	// Five subscriptions; 3 and 4 share a creation time, so the ID breaks
	// the tie.
	var all []billing.Subscription
	for i, tc := range []struct {
		plan   string
		status billing.SubscriptionStatus
		n      int
	}{{"plan_st_a", billing.Active, 5}, {"plan_st_b", billing.Trialing, 1}, {"plan_st_a", billing.PastDue, 3}, {"plan_st_b", billing.Active, 3}, {"plan_st_a", billing.Cancelled, 2}} {
		sub := billingSub(fmt.Sprintf("tn_st%04d", i+1), tc.plan, i+1)
		sub.Status, sub.CreatedAt = tc.status, at(tc.n)
		all = append(all, sub)
	}
	createSubs(t, s, all...)
	ordered := []string{"sub_st0002", "sub_st0005", "sub_st0003", "sub_st0004", "sub_st0001"}
	for _, tc := range []struct {
		name  string
		f     billing.SubscriptionFilter
		want  []string
		total int
	}{
		{"all", billing.SubscriptionFilter{}, ordered, 5},
		{"statuses", billing.SubscriptionFilter{Statuses: []billing.SubscriptionStatus{billing.Active, billing.PastDue}}, []string{"sub_st0003", "sub_st0004", "sub_st0001"}, 3},
		{"plan", billing.SubscriptionFilter{PlanID: "plan_st_b"}, []string{"sub_st0002", "sub_st0004"}, 2},
		{"tenants", billing.SubscriptionFilter{TenantIDs: []string{"tn_st0001", "tn_st0005", "tn_none"}}, []string{"sub_st0005", "sub_st0001"}, 2},
		{"plan and status", billing.SubscriptionFilter{PlanID: "plan_st_a", Statuses: []billing.SubscriptionStatus{billing.Active}}, []string{"sub_st0001"}, 1},
		{"no match", billing.SubscriptionFilter{PlanID: "plan_st_none"}, []string{}, 0},
		{"page 2", billing.SubscriptionFilter{Page: core.PageRequest{Page: 2, Limit: 2}}, ordered[2:4], 5},
		{"page 3", billing.SubscriptionFilter{Page: core.PageRequest{Page: 3, Limit: 2}}, ordered[4:], 5},
		{"past the end", billing.SubscriptionFilter{Page: core.PageRequest{Page: 4, Limit: 2}}, []string{}, 5},
	} {
		got, total, err := s.ListSubscriptions(t.Context(), tc.f)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tc.name, err)
			continue
		}
		if !slices.Equal(subIDs(got), tc.want) || total != tc.total {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tc.name, subIDs(got), total, tc.want, tc.total)
		}
	}
	got, _, _ := s.ListSubscriptions(t.Context(), billing.SubscriptionFilter{TenantIDs: []string{"tn_st0003"}})
	if len(got) == 1 {
		if d := cmp.Diff(all[2], got[0]); d != "" {
			t.Errorf("listed subscription mismatch (-want +got):\n%s", d)
		}
	}
	_, _, err := s.ListSubscriptions(t.Context(), billing.SubscriptionFilter{Page: core.PageRequest{Limit: core.MaxLimit + 1}})
	wantCode(t, "ListSubscriptions with a bad limit", err, core.Invalid)
	_, _, err = s.ListSubscriptions(t.Context(), billing.SubscriptionFilter{TenantIDs: make([]string, billing.MaxFilterIDs+1)})
	wantCode(t, "ListSubscriptions with too many tenants", err, core.Invalid)
}

func testSubscriptionScan(t *testing.T, s store.Store) {
	createPlans(t, s, billingPlan(t, "plan_st_a", 1))
	// Created out of tenant order, one cancelled: the scan goes by tenant
	// ID and keeps every status.
	byTenant := map[string]billing.Subscription{}
	for i, tn := range []string{"tn_sc03", "tn_sc01", "tn_sc05", "tn_sc02", "tn_sc04"} {
		sub := billingSub(tn, "plan_st_a", i+1)
		if tn == "tn_sc04" {
			sub.Status = billing.Cancelled
		}
		createSubs(t, s, sub)
		byTenant[tn] = sub
	}
	tenantIDs := func(subs []billing.Subscription) []string {
		out := []string{}
		for _, sub := range subs {
			out = append(out, sub.TenantID)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		after string
		limit int
		want  []string
	}{
		{"from the start", "", 10, []string{"tn_sc01", "tn_sc02", "tn_sc03", "tn_sc04", "tn_sc05"}},
		{"limit", "", 2, []string{"tn_sc01", "tn_sc02"}},
		{"after a tenant", "tn_sc02", 2, []string{"tn_sc03", "tn_sc04"}},
		{"after an ID between tenants", "tn_sc025", 1, []string{"tn_sc03"}},
		{"after a prefix", "tn_sc", billing.MaxScanLimit, []string{"tn_sc01", "tn_sc02", "tn_sc03", "tn_sc04", "tn_sc05"}},
		{"limit 1", "tn_sc04", 1, []string{"tn_sc05"}},
		{"after the last", "tn_sc05", 10, []string{}},
	} {
		got, err := s.ScanSubscriptions(t.Context(), tc.after, tc.limit)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tc.name, err)
			continue
		}
		if !slices.Equal(tenantIDs(got), tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, tenantIDs(got), tc.want)
		}
		for _, sub := range got {
			if d := cmp.Diff(byTenant[sub.TenantID], sub); d != "" {
				t.Errorf("%s: scanned subscription %s mismatch (-want +got):\n%s", tc.name, sub.TenantID, d)
			}
		}
	}
	// Walking with the last tenant as the cursor visits each once.
	var walked []string
	for after := ""; ; {
		got, err := s.ScanSubscriptions(t.Context(), after, 2)
		if err != nil {
			t.Fatalf("ScanSubscriptions(%q, 2): got error %v, want nil", after, err)
		}
		if len(got) == 0 {
			break
		}
		walked = append(walked, tenantIDs(got)...)
		after = got[len(got)-1].TenantID
	}
	if want := []string{"tn_sc01", "tn_sc02", "tn_sc03", "tn_sc04", "tn_sc05"}; !slices.Equal(walked, want) {
		t.Errorf("walk by 2: got %v, want %v", walked, want)
	}
	for _, limit := range []int{0, -1, billing.MaxScanLimit + 1} {
		_, err := s.ScanSubscriptions(t.Context(), "", limit)
		wantCode(t, fmt.Sprintf("ScanSubscriptions with limit %d", limit), err, core.Invalid)
	}
	// A transaction scans its own writes.
	err := s.InTx(t.Context(), func(tx store.Store) error {
		createSubs(t, tx, billingSub("tn_sc00", "plan_st_a", 9))
		got, err := tx.ScanSubscriptions(t.Context(), "", 1)
		if err != nil {
			return err
		}
		if want := []string{"tn_sc00"}; !slices.Equal(tenantIDs(got), want) {
			t.Errorf("scan in the transaction: got %v, want %v", tenantIDs(got), want)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
}

func testUsageDuplicates(t *testing.T, s store.Store) {
	ts := at(10)
	insertUsage(t, s, []billing.UsageRecord{
		usageRec("tn_a", "k1", "apiCalls", 1, "", ts),
		usageRec("tn_a", "k2", "apiCalls", 2, "", ts),
		usageRec("tn_a", "k1", "apiCalls", 100, "", ts), // a duplicate in the batch: the first wins
		usageRec("tn_b", "k1", "apiCalls", 4, "", ts),   // another tenant's key
	}, []bool{true, true, false, true})
	insertUsage(t, s, []billing.UsageRecord{
		usageRec("tn_a", "k2", "apiCalls", 200, "", ts), // an earlier batch's key
		usageRec("tn_a", "k3", "apiCalls", 8, "", ts),
		usageRec("tn_b", "k1", "apiCalls", 400, "", ts),
		usageRec("tn_b", "k3", "apiCalls", 16, "", ts),
		usageRec("tn_b", "k3", "apiCalls", 32, "", ts),
	}, []bool{false, true, false, true, false})
	insertUsage(t, s, []billing.UsageRecord{}, []bool{})
	aggs := map[string]billing.Aggregation{"apiCalls": billing.AggSum}
	for tn, want := range map[string]int64{"tn_a": 11, "tn_b": 20} {
		got, err := s.UsageTotals(t.Context(), tn, at(0), at(20), aggs)
		if err != nil {
			t.Fatalf("UsageTotals(%s): got error %v, want nil", tn, err)
		}
		if got["apiCalls"] != want {
			t.Errorf("UsageTotals(%s) sum: got %d, want %d (duplicates must not count)", tn, got["apiCalls"], want)
		}
	}
}

func testUsageTotals(t *testing.T, s store.Store) {
	from, to := at(100), at(200)
	in := func(m int) time.Time { return at(m) }
	recs := []billing.UsageRecord{
		// Outside the window: just before from, and at to.
		usageRec("tn_a", "out1", "calls", 1000, "u9", from.Add(-time.Microsecond)),
		usageRec("tn_a", "out2", "calls", 1000, "u9", to),
		usageRec("tn_a", "out3", "seats", 1000, "u9", to),
		usageRec("tn_a", "out4", "level", 1000, "u9", to),
		usageRec("tn_a", "out5", "users", 1000, "u9", from.Add(-time.Microsecond)),
		usageRec("tn_a", "out6", "docs", 1000, "u9", to),
		// Inside: from itself and just before to.
		usageRec("tn_a", "c1", "calls", 5, "u1", from),
		usageRec("tn_a", "c2", "calls", 7, "u2", in(150)),
		usageRec("tn_a", "c3", "calls", 11, "u1", to.Add(-time.Microsecond)),
		usageRec("tn_a", "d1", "docs", 3, "", in(120)),
		usageRec("tn_a", "d2", "docs", 4, "", in(121)),
		usageRec("tn_a", "s1", "seats", 9, "", in(110)),
		usageRec("tn_a", "s2", "seats", 30, "", in(130)),
		usageRec("tn_a", "s3", "seats", 12, "", in(190)),
		// last: the latest timestamp, ties broken by the larger key.
		usageRec("tn_a", "l-b", "level", 6, "", in(180)),
		usageRec("tn_a", "l-c", "level", 2, "", in(170)),
		usageRec("tn_a", "l-a", "level", 4, "", in(180)),
		// unique: distinct subjects; an empty one is no subject.
		usageRec("tn_a", "u1", "users", 1, "alice", in(101)),
		usageRec("tn_a", "u2", "users", 1, "bob", in(102)),
		usageRec("tn_a", "u3", "users", 1, "alice", in(103)),
		usageRec("tn_a", "u4", "users", 1, "", in(104)),
		// Another tenant's records never count.
		usageRec("tn_b", "c1", "calls", 500, "z", in(150)),
		usageRec("tn_b", "l-z", "level", 99, "z", in(199)),
	}
	want := make([]bool, len(recs))
	for i := range want {
		want[i] = true
	}
	insertUsage(t, s, recs, want)
	aggs := map[string]billing.Aggregation{
		"calls": billing.AggSum, "docs": billing.AggCount, "seats": billing.AggMax, "level": billing.AggLast,
		"users": billing.AggUnique, "none": billing.AggSum, "nolast": billing.AggLast,
	}
	got, err := s.UsageTotals(t.Context(), "tn_a", from, to, aggs)
	if err != nil {
		t.Fatalf("UsageTotals: got error %v, want nil", err)
	}
	wantTotals := map[string]int64{"calls": 23, "docs": 2, "seats": 30, "level": 6, "users": 2, "none": 0, "nolast": 0}
	if d := cmp.Diff(wantTotals, got); d != "" {
		t.Errorf("UsageTotals (-want +got):\n%s", d)
	}
	// Each aggregation on the same metric.
	for agg, want := range map[billing.Aggregation]int64{billing.AggSum: 23, billing.AggCount: 3, billing.AggMax: 11, billing.AggLast: 11, billing.AggUnique: 2} {
		got, err := s.UsageTotals(t.Context(), "tn_a", from, to, map[string]billing.Aggregation{"calls": agg})
		if err != nil {
			t.Fatalf("UsageTotals(%s): got error %v, want nil", agg, err)
		}
		if got["calls"] != want {
			t.Errorf("UsageTotals of calls by %s: got %d, want %d", agg, got["calls"], want)
		}
	}
	got, err = s.UsageTotals(t.Context(), "tn_a", from, to, map[string]billing.Aggregation{})
	if err != nil || len(got) != 0 {
		t.Errorf("UsageTotals of nothing: got %v, %v, want an empty map", got, err)
	}
	_, err = s.UsageTotals(t.Context(), "tn_a", from, to, map[string]billing.Aggregation{"calls": "median"})
	wantCode(t, "UsageTotals with an unknown aggregation", err, core.Invalid)
}

func testMarkThresholdOnce(t *testing.T, s store.Store) {
	for i, tc := range []struct {
		tenant, metric string
		start          time.Time
		percent        int
		want           bool
	}{
		{"tn_a", "calls", day(0), 80, true},
		{"tn_a", "calls", day(0), 80, false},
		{"tn_a", "calls", day(0), 100, true},
		{"tn_a", "calls", day(31), 80, true},
		{"tn_a", "docs", day(0), 80, true},
		{"tn_b", "calls", day(0), 80, true},
		{"tn_b", "calls", day(0), 80, false},
		{"tn_a", "calls", day(0), 100, false},
	} {
		got, err := s.MarkThreshold(t.Context(), tc.tenant, tc.metric, tc.start, tc.percent)
		if err != nil || got != tc.want {
			t.Errorf("MarkThreshold #%d %+v: got %t, %v, want %t, nil", i, tc, got, err, tc.want)
		}
	}
}

func testInvoiceRoundTrip(t *testing.T, s store.Store) {
	full := billingInvoice(t, "inv_st0001", "tn_a", "sub_a", 0, 1)
	full.Status, full.FinalizedAt, full.PaidAt = billing.InvoicePaid, timePtr(at(40)), timePtr(at(41))
	full.VoidedAt, full.UncollectibleAt = timePtr(at(42)), timePtr(at(43))
	bare := billing.Invoice{ID: "inv_st0002", TenantID: "tn_a", SubscriptionID: "sub_a", Status: billing.InvoiceDraft,
		Currency: usd(t), Month: "2024-05", PeriodStart: day(31), PeriodEnd: day(61), CreatedAt: at(2), DueAt: day(75), UpdatedAt: at(2)}
	createInvoice(t, s, full)
	createInvoice(t, s, bare)
	wantInvoice(t, s, full)
	wantInvoice(t, s, bare)
	got, _ := s.GetInvoice(t.Context(), full.ID)
	got.Lines[1].Calculation.Breakdown[0].Quantity = 0
	*got.Lines[1].Calculation.Breakdown[0].To = 0
	wantInvoice(t, s, full)
}

func testInvoiceExactlyOnce(t *testing.T, s store.Store) {
	inv := billingInvoice(t, "inv_st0001", "tn_a", "sub_a", 0, 1)
	createInvoice(t, s, inv)
	again := billingInvoice(t, "inv_st0002", "tn_a", "sub_a", 0, 2)
	ok, err := s.CreateInvoice(t.Context(), again)
	if err != nil || ok {
		t.Errorf("CreateInvoice for the same period: got %t, %v, want false, nil", ok, err)
	}
	_, err = s.GetInvoice(t.Context(), again.ID)
	wantCode(t, "GetInvoice of the refused invoice", err, core.NotFound)
	taken := billingInvoice(t, "inv_st0001", "tn_a", "sub_a", 31, 3)
	ok, err = s.CreateInvoice(t.Context(), taken)
	wantCode(t, "CreateInvoice with a taken ID", err, core.Conflict)
	if ok {
		t.Errorf("CreateInvoice with a taken ID: got true, want false")
	}
	wantInvoice(t, s, inv)
	// Another period, subscription or tenant is another invoice.
	createInvoice(t, s, billingInvoice(t, "inv_st0004", "tn_a", "sub_a", 31, 4))
	createInvoice(t, s, billingInvoice(t, "inv_st0005", "tn_a", "sub_a2", 0, 5))
	createInvoice(t, s, billingInvoice(t, "inv_st0006", "tn_b", "sub_a", 0, 6))
	// In a transaction the refusal does not break the transaction.
	err = s.InTx(t.Context(), func(tx store.Store) error {
		ok, err := tx.CreateInvoice(t.Context(), again)
		if err != nil || ok {
			t.Errorf("CreateInvoice for the same period in a transaction: got %t, %v, want false, nil", ok, err)
		}
		_, err = tx.CreateInvoice(t.Context(), billingInvoice(t, "inv_st0001", "tn_a", "sub_a", 92, 3))
		wantCode(t, "CreateInvoice with a taken ID in a transaction", err, core.Conflict)
		ok, err = tx.CreateInvoice(t.Context(), billingInvoice(t, "inv_st0007", "tn_a", "sub_a", 61, 7))
		if err != nil || !ok {
			t.Errorf("CreateInvoice after the refusals: got %t, %v, want true, nil", ok, err)
		}
		return err
	})
	if err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
	if _, err := s.GetInvoice(t.Context(), "inv_st0007"); err != nil {
		t.Errorf("GetInvoice of the invoice made in the transaction: got error %v, want nil", err)
	}
}

func testInvoiceNotFound(t *testing.T, s store.Store) {
	_, err := s.GetInvoice(t.Context(), "inv_none")
	wantCode(t, "GetInvoice", err, core.NotFound)
	_, err = s.UpdateInvoice(t.Context(), "inv_none", func(x billing.Invoice) (billing.Invoice, error) { return x, nil })
	wantCode(t, "UpdateInvoice", err, core.NotFound)
}

func testInvoiceUpdate(t *testing.T, s store.Store) {
	inv := billingInvoice(t, "inv_st0001", "tn_a", "sub_a", 0, 1)
	createInvoice(t, s, inv)
	want := inv
	want.Status, want.FinalizedAt, want.UpdatedAt = billing.InvoiceOpen, timePtr(at(50)), at(50)
	want.Lines = want.Lines[:1]
	want.Subtotal, want.Tax, want.Total = 4900, 882, 5782
	got, err := s.UpdateInvoice(t.Context(), inv.ID, func(x billing.Invoice) (billing.Invoice, error) {
		if d := cmp.Diff(inv, x, billingOpts); d != "" {
			t.Errorf("updater got (-want +got):\n%s", d)
		}
		x.Status, x.FinalizedAt, x.UpdatedAt = billing.InvoiceOpen, timePtr(at(50)), at(50)
		x.Lines = x.Lines[:1]
		x.Subtotal, x.Tax, x.Total = 4900, 882, 5782
		return x, nil
	})
	if err != nil {
		t.Fatalf("UpdateInvoice: got error %v, want nil", err)
	}
	if d := cmp.Diff(want, got, billingOpts); d != "" {
		t.Errorf("UpdateInvoice result (-want +got):\n%s", d)
	}
	wantInvoice(t, s, want)
	wantUpdatesRefused(t, func(fn func(billing.Invoice) (billing.Invoice, error)) error {
		_, err := s.UpdateInvoice(t.Context(), inv.ID, fn)
		return err
	}, func() { wantInvoice(t, s, want) }, []updateRefusal[billing.Invoice]{
		{"updater fails", func(x billing.Invoice) (billing.Invoice, error) {
			x.Status = billing.InvoiceVoid
			return x, errSentinel
		}, ""},
		{"ID changes", func(x billing.Invoice) (billing.Invoice, error) { x.ID = "inv_other"; return x, nil }, core.Invalid},
		{"tenant changes", func(x billing.Invoice) (billing.Invoice, error) { x.TenantID = "tn_other"; return x, nil }, core.Invalid},
		{"creation time changes", func(x billing.Invoice) (billing.Invoice, error) { x.CreatedAt = at(99); return x, nil }, core.Invalid},
		{"period changes", func(x billing.Invoice) (billing.Invoice, error) { x.PeriodEnd = day(90); return x, nil }, core.Invalid},
	})
}

func invoiceIDs(invs []billing.Invoice) []string {
	return idsOf(invs, func(inv billing.Invoice) string { return inv.ID })
}

func testInvoiceList(t *testing.T, s store.Store) {
	for i, tc := range []struct {
		tenant, owner string
		start, n      int
		status        billing.InvoiceStatus
	}{
		{"tn_a", "dist_a", 0, 5, billing.InvoiceDraft},
		{"tn_a", "dist_a", 31, 1, billing.InvoiceOpen},
		{"tn_b", "", 0, 3, billing.InvoicePaid},
		{"tn_c", "prt_c", 0, 3, billing.InvoiceOpen},
		{"tn_c", "prt_c", 31, 2, billing.InvoiceVoid},
	} {
		inv := billingInvoice(t, fmt.Sprintf("inv_st%04d", i+1), tc.tenant, "sub_"+tc.tenant, tc.start, tc.n)
		inv.OwnerID, inv.Status = tc.owner, tc.status
		createInvoice(t, s, inv)
	}
	ordered := []string{"inv_st0002", "inv_st0005", "inv_st0003", "inv_st0004", "inv_st0001"}
	for _, tc := range []struct {
		name  string
		f     billing.InvoiceFilter
		want  []string
		total int
	}{
		{"all", billing.InvoiceFilter{}, ordered, 5},
		{"tenant", billing.InvoiceFilter{TenantID: "tn_c"}, []string{"inv_st0005", "inv_st0004"}, 2},
		{"owners", billing.InvoiceFilter{OwnerIDs: []string{"dist_a", "prt_none"}}, []string{"inv_st0002", "inv_st0001"}, 2},
		{"platform's own", billing.InvoiceFilter{OwnerIDs: []string{""}}, []string{"inv_st0003"}, 1},
		{"platform's and a partner's", billing.InvoiceFilter{OwnerIDs: []string{"", "prt_c"}}, []string{"inv_st0005", "inv_st0003", "inv_st0004"}, 3},
		{"month", billing.InvoiceFilter{Month: "2024-04"}, []string{"inv_st0003", "inv_st0004", "inv_st0001"}, 3},
		{"statuses", billing.InvoiceFilter{Statuses: []billing.InvoiceStatus{billing.InvoiceOpen, billing.InvoiceVoid}}, []string{"inv_st0002", "inv_st0005", "inv_st0004"}, 3},
		{"month and owner", billing.InvoiceFilter{Month: "2024-05", OwnerIDs: []string{"prt_c"}}, []string{"inv_st0005"}, 1},
		{"no match", billing.InvoiceFilter{TenantID: "tn_none"}, []string{}, 0},
		{"page 2", billing.InvoiceFilter{Page: core.PageRequest{Page: 2, Limit: 2}}, ordered[2:4], 5},
		{"past the end", billing.InvoiceFilter{Page: core.PageRequest{Page: 9, Limit: 2}}, []string{}, 5},
	} {
		got, total, err := s.ListInvoices(t.Context(), tc.f)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tc.name, err)
			continue
		}
		if !slices.Equal(invoiceIDs(got), tc.want) || total != tc.total {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tc.name, invoiceIDs(got), total, tc.want, tc.total)
		}
	}
	_, _, err := s.ListInvoices(t.Context(), billing.InvoiceFilter{Page: core.PageRequest{Page: -1}})
	wantCode(t, "ListInvoices with a bad page", err, core.Invalid)
	_, _, err = s.ListInvoices(t.Context(), billing.InvoiceFilter{OwnerIDs: make([]string, billing.MaxFilterIDs+1)})
	wantCode(t, "ListInvoices with too many owners", err, core.Invalid)
}

func testInvoiceListDueBefore(t *testing.T, s store.Store) {
	for i, tc := range []struct {
		tenant string
		due    time.Time
		status billing.InvoiceStatus
	}{
		{"tn_a", day(10), billing.InvoiceOpen},
		{"tn_b", day(20), billing.InvoiceOpen},
		{"tn_a", day(20).Add(time.Microsecond), billing.InvoiceOpen},
		{"tn_b", day(5), billing.InvoicePaid},
	} {
		inv := billingInvoice(t, fmt.Sprintf("inv_st%04d", i+1), tc.tenant, "sub_"+tc.tenant, i*31, i+1)
		inv.DueAt, inv.Status = tc.due, tc.status
		createInvoice(t, s, inv)
	}
	open := []billing.InvoiceStatus{billing.InvoiceOpen}
	for _, tc := range []struct {
		name  string
		f     billing.InvoiceFilter
		want  []string
		total int
	}{
		{"zero does not filter", billing.InvoiceFilter{}, []string{"inv_st0001", "inv_st0002", "inv_st0003", "inv_st0004"}, 4},
		{"due at the time is excluded", billing.InvoiceFilter{DueBefore: day(20)}, []string{"inv_st0001", "inv_st0004"}, 2},
		{"a microsecond later", billing.InvoiceFilter{DueBefore: day(20).Add(time.Microsecond)}, []string{"inv_st0001", "inv_st0002", "inv_st0004"}, 3},
		{"open and overdue", billing.InvoiceFilter{Statuses: open, DueBefore: day(21)}, []string{"inv_st0001", "inv_st0002", "inv_st0003"}, 3},
		{"a tenant's overdue", billing.InvoiceFilter{TenantID: "tn_a", Statuses: open, DueBefore: day(20)}, []string{"inv_st0001"}, 1},
		{"in another zone", billing.InvoiceFilter{DueBefore: day(20).In(time.FixedZone("X", 3600))}, []string{"inv_st0001", "inv_st0004"}, 2},
		{"before every due date", billing.InvoiceFilter{DueBefore: day(5)}, []string{}, 0},
		{"paged", billing.InvoiceFilter{Statuses: open, DueBefore: day(21), Page: core.PageRequest{Page: 2, Limit: 2}}, []string{"inv_st0003"}, 3},
	} {
		got, total, err := s.ListInvoices(t.Context(), tc.f)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tc.name, err)
			continue
		}
		if !slices.Equal(invoiceIDs(got), tc.want) || total != tc.total {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tc.name, invoiceIDs(got), total, tc.want, tc.total)
		}
	}
}

// testInvoiceListAfter walks a list with keyset pages (InvoiceFilter.After)
// while invoices before the cursor enter and leave the filter: each
// invoice is seen once, in order. Offset pages would repeat one after the
// first change and skip one after the second.
func testInvoiceListAfter(t *testing.T, s store.Store) {
	t0 := at(100) // a time with microseconds
	us := time.Microsecond
	byID := map[string]billing.Invoice{}
	// Created out of list order; three share t0 (the ID breaks the tie),
	// two t0+1µs.
	for _, tc := range []struct {
		id, tenant string
		at         time.Time
		status     billing.InvoiceStatus
	}{
		{"inv_kc02", "tn_k", t0.Add(time.Minute), billing.InvoiceOpen},
		{"inv_ka03", "tn_k", t0, billing.InvoiceOpen},
		{"inv_kb02", "tn_k", t0.Add(us), billing.InvoiceOpen},
		{"inv_ka01", "tn_k", t0, billing.InvoiceOpen},
		{"inv_kb01", "tn_l", t0.Add(-us), billing.InvoiceDraft},
		{"inv_ka02", "tn_l", t0, billing.InvoiceOpen},
		{"inv_kb00", "tn_l", t0.Add(us), billing.InvoiceDraft},
		{"inv_kd01", "tn_l", t0.Add(2 * time.Minute), billing.InvoiceOpen},
		{"inv_kc01", "tn_l", t0.Add(time.Minute), billing.InvoiceOpen},
	} {
		inv := billingInvoice(t, tc.id, tc.tenant, "sub_"+tc.id, 0, 0)
		inv.Status, inv.CreatedAt, inv.UpdatedAt = tc.status, tc.at, tc.at
		createInvoice(t, s, inv)
		byID[inv.ID] = inv
	}
	open := []billing.InvoiceStatus{billing.InvoiceOpen}
	setStatus := func(id string, st billing.InvoiceStatus) {
		t.Helper()
		if _, err := s.UpdateInvoice(t.Context(), id, func(inv billing.Invoice) (billing.Invoice, error) {
			inv.Status = st
			return inv, nil
		}); err != nil {
			t.Fatalf("UpdateInvoice(%s): got error %v, want nil", id, err)
		}
	}
	// The walk: pages of 2, each after the last invoice of the one
	// before, until a page comes back short. After page 1 a draft before
	// the cursor is finalized; after page 2 two invoices before it leave
	// the filter.
	changes := map[int]func(){
		1: func() { setStatus("inv_kb01", billing.InvoiceOpen) },
		2: func() { setStatus("inv_ka01", billing.InvoiceVoid); setStatus("inv_ka03", billing.InvoicePaid) },
	}
	walked := keysetWalk(t, 2, func(pr core.PageRequest, after *core.ListKey) ([]billing.Invoice, int, error) {
		return s.ListInvoices(t.Context(), billing.InvoiceFilter{Statuses: open, After: after, Page: pr})
	}, billing.Invoice.ListKey, func(inv billing.Invoice) string { return inv.ID }, func(pg int, inv billing.Invoice) {
		want := byID[inv.ID]
		want.Status = inv.Status
		if d := cmp.Diff(want, inv, billingOpts); d != "" {
			t.Errorf("walk page %d: invoice %s mismatch (-want +got):\n%s", pg, inv.ID, d)
		}
	}, changes, []int{7, 8, 6, 6})
	want := []string{"inv_ka01", "inv_ka02", "inv_ka03", "inv_kb02", "inv_kc01", "inv_kc02", "inv_kd01"}
	if !slices.Equal(walked, want) {
		t.Errorf("walk: got %v, want %v (each once, in order)", walked, want)
	}

	// Now open: kb01 (t0-1µs), ka02 (t0), kb02 (t0+1µs), kc01, kc02, kd01.
	for _, tc := range []struct {
		name  string
		f     billing.InvoiceFilter
		want  []string
		total int
	}{
		{"after the first", billing.InvoiceFilter{Statuses: open, After: afterKey(t0.Add(-us), "inv_kb01")}, []string{"inv_ka02", "inv_kb02", "inv_kc01", "inv_kc02", "inv_kd01"}, 6},
		{"a tie broken by ID", billing.InvoiceFilter{After: afterKey(t0, "inv_ka02")}, []string{"inv_ka03", "inv_kb00", "inv_kb02", "inv_kc01", "inv_kc02", "inv_kd01"}, 9},
		{"before a time's first ID", billing.InvoiceFilter{After: afterKey(t0, ""), Page: core.PageRequest{Limit: 3}}, []string{"inv_ka01", "inv_ka02", "inv_ka03"}, 9},
		{"a microsecond later", billing.InvoiceFilter{After: afterKey(t0.Add(us), ""), Page: core.PageRequest{Limit: 2}}, []string{"inv_kb00", "inv_kb02"}, 9},
		{"an ID past a time's last", billing.InvoiceFilter{After: afterKey(t0, "inv_kz"), Page: core.PageRequest{Limit: 1}}, []string{"inv_kb00"}, 9},
		{"in another zone", billing.InvoiceFilter{Statuses: open, After: afterKey(t0.In(time.FixedZone("X", -5*3600)), "inv_ka02")}, []string{"inv_kb02", "inv_kc01", "inv_kc02", "inv_kd01"}, 6},
		{"a tenant's", billing.InvoiceFilter{TenantID: "tn_l", After: afterKey(t0, "inv_ka02")}, []string{"inv_kb00", "inv_kc01", "inv_kd01"}, 5},
		{"a tenant's open, page 1", billing.InvoiceFilter{TenantID: "tn_k", Statuses: open, After: afterKey(t0.Add(-us), ""), Page: core.PageRequest{Page: 1, Limit: 1}}, []string{"inv_kb02"}, 2},
		{"after the last", billing.InvoiceFilter{Statuses: open, After: afterKey(t0.Add(2*time.Minute), "inv_kd01")}, []string{}, 6},
		{"after every time", billing.InvoiceFilter{TenantID: "tn_k", After: afterKey(t0.Add(time.Hour), "")}, []string{}, 4},
		{"the zero key starts at the first", billing.InvoiceFilter{Statuses: open, After: &core.ListKey{}, Page: core.PageRequest{Limit: 2}}, []string{"inv_kb01", "inv_ka02"}, 6},
	} {
		got, total, err := s.ListInvoices(t.Context(), tc.f)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tc.name, err)
			continue
		}
		if !slices.Equal(invoiceIDs(got), tc.want) || total != tc.total {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tc.name, invoiceIDs(got), total, tc.want, tc.total)
		}
	}

	_, _, err := s.ListInvoices(t.Context(), billing.InvoiceFilter{After: afterKey(t0, ""), Page: core.PageRequest{Page: 2, Limit: 2}})
	wantCode(t, "ListInvoices with After and page 2", err, core.Invalid)
	var ce *core.Error
	if errors.As(err, &ce) && (len(ce.Fields) != 1 || ce.Fields[0].Field != "page") {
		t.Errorf("ListInvoices with After and page 2: got fields %+v, want one naming page", ce.Fields)
	}
}

func testInvoiceScan(t *testing.T, s store.Store) {
	// Created out of key order (and in another order than list order),
	// in two months and of every status: the scan keeps the month's
	// invoices, of any status, by tenant then ID.
	byID := map[string]billing.Invoice{}
	for i, tc := range []struct {
		id, tenant, sub string
		start           int
		status          billing.InvoiceStatus
	}{
		{"inv_sc03", "tn_sb", "sub_sb1", 0, billing.InvoiceOpen},
		{"inv_sc05", "tn_sa", "sub_sa", 0, billing.InvoicePaid},
		{"inv_sc04", "tn_sa", "sub_sa", 31, billing.InvoiceOpen},
		{"inv_sc02", "tn_sc", "sub_sc", 0, billing.InvoiceVoid},
		{"inv_sc01", "tn_sb", "sub_sb2", 0, billing.InvoiceDraft},
		{"inv_sc06", "tn_sb", "sub_sb1", 31, billing.InvoiceUncollectible},
	} {
		inv := billingInvoice(t, tc.id, tc.tenant, tc.sub, tc.start, 10-i)
		inv.Status = tc.status
		if tc.status == billing.InvoicePaid {
			inv.FinalizedAt, inv.PaidAt, inv.VoidedAt, inv.UncollectibleAt = timePtr(at(40)), timePtr(at(41)), timePtr(at(42)), timePtr(at(43))
		}
		createInvoice(t, s, inv)
		byID[inv.ID] = inv
	}
	const april, may = "2024-04", "2024-05"
	key := func(tenantID, id string) billing.InvoiceKey { return billing.InvoiceKey{TenantID: tenantID, ID: id} }
	all := []string{"inv_sc05", "inv_sc01", "inv_sc03", "inv_sc02"}
	for _, tc := range []struct {
		name  string
		month string
		after billing.InvoiceKey
		limit int
		want  []string
	}{
		{"from the start", april, billing.InvoiceKey{}, 10, all},
		{"limit", april, billing.InvoiceKey{}, 2, all[:2]},
		{"limit 1", april, billing.InvoiceKey{}, 1, all[:1]},
		{"after an invoice", april, key("tn_sb", "inv_sc01"), 10, all[2:]},
		{"after a tenant's prefix", april, key("tn_sb", ""), 10, all[1:]},
		{"after a tenant's last", april, key("tn_sb", "inv_sc09"), 10, all[3:]},
		{"after an ID between tenants", april, key("tn_sa5", ""), 2, all[1:3]},
		{"after an invoice of another month", april, key("tn_sa", "inv_sc04"), 10, all},
		{"after the last", april, key("tn_sc", "inv_sc02"), 10, []string{}},
		{"another month", may, billing.InvoiceKey{}, billing.MaxScanLimit, []string{"inv_sc04", "inv_sc06"}},
		{"a month without invoices", "2024-06", billing.InvoiceKey{}, 10, []string{}},
	} {
		got, err := s.ScanInvoices(t.Context(), tc.month, tc.after, tc.limit)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tc.name, err)
			continue
		}
		if !slices.Equal(invoiceIDs(got), tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, invoiceIDs(got), tc.want)
		}
		for _, inv := range got {
			if d := cmp.Diff(byID[inv.ID], inv, billingOpts); d != "" {
				t.Errorf("%s: scanned invoice %s mismatch (-want +got):\n%s", tc.name, inv.ID, d)
			}
		}
	}
	// Walking with the last invoice's key as the cursor visits each once.
	var walked []string
	for after := (billing.InvoiceKey{}); ; {
		got, err := s.ScanInvoices(t.Context(), april, after, 1)
		if err != nil {
			t.Fatalf("ScanInvoices(%s, %+v, 1): got error %v, want nil", april, after, err)
		}
		if len(got) == 0 {
			break
		}
		walked = append(walked, invoiceIDs(got)...)
		after = got[len(got)-1].Key()
	}
	if !slices.Equal(walked, all) {
		t.Errorf("walk by 1: got %v, want %v", walked, all)
	}
	for _, limit := range []int{0, -1, billing.MaxScanLimit + 1} {
		_, err := s.ScanInvoices(t.Context(), april, billing.InvoiceKey{}, limit)
		wantCode(t, fmt.Sprintf("ScanInvoices with limit %d", limit), err, core.Invalid)
	}
	// A transaction scans its own writes.
	err := s.InTx(t.Context(), func(tx store.Store) error {
		createInvoice(t, tx, billingInvoice(t, "inv_sc00", "tn_s0", "sub_s0", 0, 20))
		got, err := tx.ScanInvoices(t.Context(), april, billing.InvoiceKey{}, 2)
		if err != nil {
			return err
		}
		if want := []string{"inv_sc00", "inv_sc05"}; !slices.Equal(invoiceIDs(got), want) {
			t.Errorf("scan in the transaction: got %v, want %v", invoiceIDs(got), want)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
}

// billingWrites makes one write of every billing kind through s.
func billingWrites(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	steps := []func() error{
		func() error { return s.CreatePlan(ctx, billingPlan(t, "plan_st_tx", 1)) },
		func() error { return s.CreateSKU(ctx, billingSKU(t, "tx_calls", 1)) },
		func() error { return s.CreateSubscription(ctx, billingSub("tn_a", "plan_st_tx", 1)) },
		func() error {
			_, err := s.InsertUsage(ctx, []billing.UsageRecord{usageRec("tn_a", "k1", "calls", 5, "", at(1))})
			return err
		},
		func() error {
			_, err := s.MarkThreshold(ctx, "tn_a", "calls", day(0), 80)
			return err
		},
		func() error {
			_, err := s.CreateInvoice(ctx, billingInvoice(t, "inv_st_tx", "tn_a", "sub_st0001", 0, 1))
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("billing write %d: got error %v, want nil", i, err)
		}
	}
}

func testBillingRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	err := s.InTx(ctx, func(tx store.Store) error {
		billingWrites(t, tx)
		return errSentinel
	})
	if err != errSentinel {
		t.Fatalf("InTx: got %v, want the sentinel", err)
	}
	if _, err := s.GetPlan(ctx, "plan_st_tx"); core.ErrorCode(err) != core.NotFound {
		t.Errorf("GetPlan after a rollback: got %v, want not found", err)
	}
	if skus, err := s.ListSKUs(ctx); err != nil || len(skus) != 0 {
		t.Errorf("ListSKUs after a rollback: got %d SKUs, %v, want none", len(skus), err)
	}
	if _, err := s.GetSubscription(ctx, "tn_a"); core.ErrorCode(err) != core.NotFound {
		t.Errorf("GetSubscription after a rollback: got %v, want not found", err)
	}
	if _, err := s.GetInvoice(ctx, "inv_st_tx"); core.ErrorCode(err) != core.NotFound {
		t.Errorf("GetInvoice after a rollback: got %v, want not found", err)
	}
	// The lists leave nothing behind either, and after the writes each
	// holds them once.
	lists := func(when string, want int) {
		t.Helper()
		if subs, err := s.ScanSubscriptions(ctx, "", billing.MaxScanLimit); err != nil || len(subs) != want {
			t.Errorf("ScanSubscriptions %s: got %d, %v, want %d, nil", when, len(subs), err, want)
		}
		if subs, total, err := s.ListSubscriptions(ctx, billing.SubscriptionFilter{}); err != nil || len(subs) != want || total != want {
			t.Errorf("ListSubscriptions %s: got %d (total %d), %v, want %d", when, len(subs), total, err, want)
		}
		for _, f := range []billing.InvoiceFilter{{}, {TenantID: "tn_a"}} {
			if invs, total, err := s.ListInvoices(ctx, f); err != nil || len(invs) != want || total != want {
				t.Errorf("ListInvoices(%+v) %s: got %d (total %d), %v, want %d", f, when, len(invs), total, err, want)
			}
		}
	}
	lists("after a rollback", 0)
	// What was rolled back can be written again: the usage key and the
	// threshold mark are free.
	billingWrites(t, s)
	lists("after the writes", 1)
	ok, err := s.MarkThreshold(ctx, "tn_a", "calls", day(0), 80)
	if err != nil || ok {
		t.Errorf("MarkThreshold after the writes: got %t, %v, want false, nil", ok, err)
	}
	got, err := s.UsageTotals(ctx, "tn_a", at(0), at(10), map[string]billing.Aggregation{"calls": billing.AggSum})
	if err != nil || got["calls"] != 5 {
		t.Errorf("UsageTotals after the writes: got %v, %v, want calls 5", got, err)
	}
}

func testBillingTxOwnWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	err := s.InTx(ctx, func(tx store.Store) error {
		billingWrites(t, tx)
		got, err := tx.InsertUsage(ctx, []billing.UsageRecord{usageRec("tn_a", "k1", "calls", 7, "", at(2)), usageRec("tn_a", "k2", "calls", 7, "", at(2))})
		if err != nil || !slices.Equal(got, []bool{false, true}) {
			t.Errorf("InsertUsage in the transaction: got %v, %v, want [false true]", got, err)
		}
		totals, err := tx.UsageTotals(ctx, "tn_a", at(0), at(10), map[string]billing.Aggregation{"calls": billing.AggSum})
		if err != nil || totals["calls"] != 12 {
			t.Errorf("UsageTotals in the transaction: got %v, %v, want calls 12", totals, err)
		}
		if _, err := tx.GetSubscription(ctx, "tn_a"); err != nil {
			t.Errorf("GetSubscription in the transaction: got %v, want nil", err)
		}
		subs, n, err := tx.ListSubscriptions(ctx, billing.SubscriptionFilter{})
		if err != nil || n != 1 || len(subs) != 1 {
			t.Errorf("ListSubscriptions in the transaction: got %d (total %d), %v, want 1", len(subs), n, err)
		}
		invs, n, err := tx.ListInvoices(ctx, billing.InvoiceFilter{TenantID: "tn_a"})
		if err != nil || n != 1 || len(invs) != 1 {
			t.Errorf("ListInvoices in the transaction: got %d (total %d), %v, want 1", len(invs), n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
	got, err := s.UsageTotals(ctx, "tn_a", at(0), at(10), map[string]billing.Aggregation{"calls": billing.AggCount})
	if err != nil || got["calls"] != 2 {
		t.Errorf("UsageTotals after the commit: got %v, %v, want calls 2", got, err)
	}
}

func testConcurrentCreateInvoice(t *testing.T, s store.Store) {
	wins := make([]bool, raceBillingRuns)
	errs := make([]error, raceBillingRuns)
	together(raceBillingRuns, func(i int) {
		wins[i], errs[i] = s.CreateInvoice(t.Context(), billingInvoice(t, fmt.Sprintf("inv_race%02d", i), "tn_a", "sub_a", 0, i))
	})
	n := 0
	for i := range wins {
		if errs[i] != nil {
			t.Errorf("CreateInvoice %d: got error %v, want nil", i, errs[i])
		}
		if wins[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("CreateInvoice for one period: %d of %d calls stored, want exactly 1", n, raceBillingRuns)
	}
	invs, total, err := s.ListInvoices(t.Context(), billing.InvoiceFilter{})
	if err != nil || total != 1 || len(invs) != 1 {
		t.Errorf("ListInvoices: got %d (total %d), %v, want 1", len(invs), total, err)
	}
}

func testConcurrentMarkThreshold(t *testing.T, s store.Store) {
	wins := make([]bool, raceBillingRuns)
	errs := make([]error, raceBillingRuns)
	together(raceBillingRuns, func(i int) { wins[i], errs[i] = s.MarkThreshold(t.Context(), "tn_a", "calls", day(0), 100) })
	n := 0
	for i := range wins {
		if errs[i] != nil {
			t.Errorf("MarkThreshold %d: got error %v, want nil", i, errs[i])
		}
		if wins[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("MarkThreshold: %d of %d calls won, want exactly 1", n, raceBillingRuns)
	}
}

func testConcurrentInsertUsage(t *testing.T, s store.Store) {
	// Batch i holds keys i*10 .. i*10+29 of one tenant (each overlaps the
	// next two) and keys of a second tenant shared by every batch.
	const perBatch = 30
	var inserted atomic.Int64
	errs := make([]error, raceUsageBatches)
	firsts := make([]map[string]bool, raceUsageBatches)
	together(raceUsageBatches, func(i int) {
		var recs []billing.UsageRecord
		for k := i * 10; k < i*10+perBatch; k++ {
			recs = append(recs, usageRec("tn_a", fmt.Sprintf("key%04d", k), "calls", 1, "", at(1)))
		}
		for k := range 5 {
			recs = append(recs, usageRec("tn_b", fmt.Sprintf("key%04d", k), "calls", 1, "", at(1)))
		}
		got, err := s.InsertUsage(t.Context(), recs)
		errs[i] = err
		firsts[i] = map[string]bool{}
		for j, ok := range got {
			if ok {
				inserted.Add(1)
				firsts[i][recs[j].TenantID+"/"+recs[j].IdempotencyKey] = true
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("InsertUsage %d: got error %v, want nil", i, err)
		}
	}
	distinct := (raceUsageBatches-1)*10 + perBatch + 5
	if got := inserted.Load(); got != int64(distinct) {
		t.Errorf("records reported inserted: got %d, want %d (each key once)", got, distinct)
	}
	seen := map[string]int{}
	for _, m := range firsts {
		for k := range m {
			seen[k]++
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("key %s reported inserted %d times, want once", k, n)
		}
	}
	for tn, want := range map[string]int64{"tn_a": int64(distinct - 5), "tn_b": 5} {
		got, err := s.UsageTotals(t.Context(), tn, at(0), at(10), map[string]billing.Aggregation{"calls": billing.AggCount})
		if err != nil || got["calls"] != want {
			t.Errorf("UsageTotals(%s): got %v, %v, want calls %d", tn, got, err, want)
		}
	}
}

// Isolation: a tenant's subscription, usage, threshold marks and invoices.

const isoPlan = "plan_st_iso"

// billingIsolationKinds are the tenant-owned billing records.
func billingIsolationKinds() []isolationKind {
	allAggs := map[string]billing.Aggregation{"calls": billing.AggSum, "docs": billing.AggCount, "seats": billing.AggMax, "level": billing.AggLast, "users": billing.AggUnique}
	return []isolationKind{
		{
			name: "subscription",
			seed: func(t *testing.T, s store.Store, tn tenant.Tenant) {
				if err := s.CreatePlan(t.Context(), billingPlan(t, isoPlan, 0)); err != nil && core.ErrorCode(err) != core.Conflict {
					t.Fatalf("CreatePlan: got error %v, want nil", err)
				}
				sub := billingSub(tn.ID, isoPlan, 0)
				sub.ID = "sub_" + token(tn)
				createSubs(t, s, sub)
			},
			snapshot: func(t *testing.T, s store.Store, id string) any {
				sub, err := s.GetSubscription(t.Context(), id)
				if err != nil {
					t.Fatalf("GetSubscription(%s): got error %v, want nil", id, err)
				}
				return sub
			},
		},
		{
			name: "usage",
			seed: func(t *testing.T, s store.Store, tn tenant.Tenant) {
				// Both tenants use the same keys.
				insertUsage(t, s, []billing.UsageRecord{
					usageRec(tn.ID, "k1", "calls", 5, "alice", at(1)),
					usageRec(tn.ID, "k2", "docs", 1, "", at(2)),
					usageRec(tn.ID, "k3", "seats", 7, "", at(3)),
					usageRec(tn.ID, "k4", "level", 3, "", at(4)),
					usageRec(tn.ID, "k5", "users", 1, "bob", at(5)),
				}, []bool{true, true, true, true, true})
			},
			snapshot: func(t *testing.T, s store.Store, id string) any {
				got, err := s.UsageTotals(t.Context(), id, at(0), at(1000), allAggs)
				if err != nil {
					t.Fatalf("UsageTotals(%s): got error %v, want nil", id, err)
				}
				return got
			},
		},
		{
			name: "invoices",
			seed: func(t *testing.T, s store.Store, tn tenant.Tenant) {
				createInvoice(t, s, billingInvoice(t, "inv_"+token(tn), tn.ID, "sub_shared", 0, 1))
			},
			snapshot: func(t *testing.T, s store.Store, id string) any {
				invs, total, err := s.ListInvoices(t.Context(), billing.InvoiceFilter{TenantID: id})
				if err != nil {
					t.Fatalf("ListInvoices(%s): got error %v, want nil", id, err)
				}
				// JSON, which go-cmp compares without knowing money's
				// internals.
				b, err := json.Marshal(invs)
				if err != nil {
					t.Fatalf("encode the invoices: %v", err)
				}
				return fmt.Sprintf("total %d: %s", total, b)
			},
		},
		{
			name: "threshold marks",
			seed: func(t *testing.T, s store.Store, tn tenant.Tenant) {
				for _, metric := range []string{"calls", "only_" + token(tn)} {
					if ok, err := s.MarkThreshold(t.Context(), tn.ID, metric, day(0), 80); err != nil || !ok {
						t.Fatalf("MarkThreshold(%s, %s): got %t, %v, want true, nil", tn.ID, metric, ok, err)
					}
				}
			},
			// Marks have no read; the operations probe them.
			snapshot: func(*testing.T, store.Store, string) any { return nil },
		},
	}
}

// billingIsolationOps are the operations on a tenant's billing records.
func billingIsolationOps() []isolationOp {
	return []isolationOp{
		{name: "update subscription", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			if _, err := s.UpdateSubscription(t.Context(), actor.ID, func(x billing.Subscription) (billing.Subscription, error) {
				x.Status, x.TaxRateBP, x.UpdatedAt = billing.PastDue, 0, at(600)
				return x, nil
			}); err != nil {
				t.Fatalf("UpdateSubscription(%s): got error %v, want nil", actor.ID, err)
			}
		}},
		{name: "failing subscription updater", act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			_, err := s.UpdateSubscription(t.Context(), actor.ID, func(x billing.Subscription) (billing.Subscription, error) {
				x.Status = billing.Cancelled
				return x, errSentinel
			})
			if err != errSentinel {
				t.Fatalf("UpdateSubscription with a failing updater: got %v, want the sentinel", err)
			}
		}},
		{name: "insert usage with the other's keys", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			insertUsage(t, s, []billing.UsageRecord{
				usageRec(actor.ID, "k1", "calls", 100, "", at(6)), // the actor's own: a duplicate
				usageRec(actor.ID, "k9", "calls", 100, "carol", at(6)),
				usageRec(actor.ID, "k10", "users", 1, "carol", at(7)),
				usageRec(actor.ID, "k11", "level", 1, "", at(8)),
			}, []bool{false, true, true, true})
		}},
		{name: "create invoice for the other's period", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			// A new period is stored; the period both tenants were
			// invoiced for is the actor's own, so refused.
			createInvoice(t, s, billingInvoice(t, "inv_"+token(actor)+"_2", actor.ID, "sub_shared", 31, 2))
			ok, err := s.CreateInvoice(t.Context(), billingInvoice(t, "inv_"+token(actor)+"_3", actor.ID, "sub_shared", 0, 3))
			if err != nil || ok {
				t.Fatalf("CreateInvoice of the actor's own period: got %t, %v, want false, nil", ok, err)
			}
		}},
		{name: "update invoice", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			if _, err := s.UpdateInvoice(t.Context(), "inv_"+token(actor), func(x billing.Invoice) (billing.Invoice, error) {
				x.Status, x.FinalizedAt, x.UpdatedAt = billing.InvoiceOpen, timePtr(at(600)), at(600)
				return x, nil
			}); err != nil {
				t.Fatalf("UpdateInvoice: got error %v, want nil", err)
			}
		}},
		{name: "billing writes rolled back", act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			err := s.InTx(t.Context(), func(tx store.Store) error {
				if _, err := tx.UpdateSubscription(t.Context(), actor.ID, func(x billing.Subscription) (billing.Subscription, error) {
					x.Status = billing.Cancelled
					return x, nil
				}); err != nil {
					return err
				}
				if _, err := tx.InsertUsage(t.Context(), []billing.UsageRecord{usageRec(actor.ID, "k99", "calls", 1, "", at(9))}); err != nil {
					return err
				}
				if _, err := tx.CreateInvoice(t.Context(), billingInvoice(t, "inv_never", actor.ID, "sub_x", 0, 9)); err != nil {
					return err
				}
				return errSentinel
			})
			if err != errSentinel {
				t.Fatalf("InTx: got %v, want the sentinel", err)
			}
		}},
		{name: "mark thresholds", act: func(t *testing.T, s store.Store, actor, observer tenant.Tenant) {
			for _, tc := range []struct {
				metric string
				want   bool
			}{
				{"calls", false},                   // the actor's own mark
				{"only_" + token(observer), true},  // only the observer marked it
				{"only_" + token(observer), false}, // now the actor has
			} {
				ok, err := s.MarkThreshold(t.Context(), actor.ID, tc.metric, day(0), 80)
				if err != nil || ok != tc.want {
					t.Errorf("MarkThreshold(%s, %s): got %t, %v, want %t, nil", actor.ID, tc.metric, ok, err, tc.want)
				}
			}
			// The observer's marks are still there.
			if ok, err := s.MarkThreshold(t.Context(), observer.ID, "only_"+token(observer), day(0), 80); err != nil || ok {
				t.Errorf("MarkThreshold(%s) of its own mark: got %t, %v, want false, nil", observer.ID, ok, err)
			}
		}},
	}
}

// testConcurrentDeletePlan races DeletePlan against subscriptions to the
// plan: either the plan is deleted and no subscription refers to it, or
// the subscriptions are stored and the delete is refused.
func testConcurrentDeletePlan(t *testing.T, s store.Store) {
	for round := range 3 {
		p := billingPlan(t, fmt.Sprintf("plan_st_race%d", round), round)
		createPlans(t, s, p)
		const subscribers = 4
		errs := make([]error, subscribers+1)
		together(subscribers+1, func(i int) {
			if i == subscribers {
				errs[i] = s.DeletePlan(t.Context(), p.ID)
				return
			}
			errs[i] = s.CreateSubscription(t.Context(), billingSub(fmt.Sprintf("tn_race%d_%d", round, i), p.ID, round*10+i))
		})
		deleted := errs[subscribers] == nil
		if !deleted {
			wantCode(t, "DeletePlan", errs[subscribers], core.PlanInUse)
		}
		stored := 0
		for i, err := range errs[:subscribers] {
			switch code := core.ErrorCode(err); {
			case err == nil:
				stored++
			case code == core.Invalid && deleted:
			default:
				t.Errorf("CreateSubscription %d: got %v, want nil or invalid (plan deleted)", i, err)
			}
		}
		subs, total, err := s.ListSubscriptions(t.Context(), billing.SubscriptionFilter{PlanID: p.ID})
		if err != nil {
			t.Fatalf("ListSubscriptions: got error %v, want nil", err)
		}
		if total != stored || len(subs) != stored {
			t.Errorf("round %d: subscriptions stored: got %d (total %d), want %d", round, len(subs), total, stored)
		}
		if deleted && stored > 0 {
			t.Errorf("round %d: the plan was deleted and %d subscriptions to it were stored", round, stored)
		}
		if !deleted && stored == 0 {
			t.Errorf("round %d: DeletePlan refused with no subscription stored", round)
		}
	}
}

// testConcurrentBillingUpdates runs concurrent read-modify-write updates of
// one plan, one subscription and one invoice: each adds one, and none is
// lost.
func testConcurrentBillingUpdates(t *testing.T, s store.Store) {
	createPlans(t, s, billingPlan(t, "plan_st_a", 1))
	createSubs(t, s, billingSub("tn_a", "plan_st_a", 1))
	createInvoice(t, s, billingInvoice(t, "inv_st0001", "tn_a", "sub_a", 0, 1))
	errs := make([]error, 3*raceUpdaters)
	together(3*raceUpdaters, func(i int) {
		switch i % 3 {
		case 0:
			_, errs[i] = s.UpdatePlan(t.Context(), "plan_st_a", func(p billing.Plan) (billing.Plan, error) {
				p.TrialDays++
				return p, nil
			})
		case 1:
			_, errs[i] = s.UpdateSubscription(t.Context(), "tn_a", func(x billing.Subscription) (billing.Subscription, error) {
				x.TaxRateBP++
				return x, nil
			})
		default:
			_, errs[i] = s.UpdateInvoice(t.Context(), "inv_st0001", func(x billing.Invoice) (billing.Invoice, error) {
				x.Subtotal++
				return x, nil
			})
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("update %d: got error %v, want nil", i, err)
		}
	}
	p, err := s.GetPlan(t.Context(), "plan_st_a")
	if err != nil || p.TrialDays != 14+raceUpdaters {
		t.Errorf("plan trial days: got %d, %v, want %d", p.TrialDays, err, 14+raceUpdaters)
	}
	sub, err := s.GetSubscription(t.Context(), "tn_a")
	if err != nil || sub.TaxRateBP != 1800+raceUpdaters {
		t.Errorf("subscription tax rate: got %d, %v, want %d", sub.TaxRateBP, err, 1800+raceUpdaters)
	}
	want := billingInvoice(t, "inv_st0001", "tn_a", "sub_a", 0, 1).Subtotal + raceUpdaters
	inv, err := s.GetInvoice(t.Context(), "inv_st0001")
	if err != nil || inv.Subtotal != want {
		t.Errorf("invoice subtotal: got %d, %v, want %d", inv.Subtotal, err, want)
	}
}

// testSubscriptionListAfter walks a list with keyset pages
// (SubscriptionFilter.After) while subscriptions before the cursor enter
// and leave the filter and a new one is created before it: every
// subscription is seen once, in order, where offset pages would repeat one
// and skip another. Then single keyset pages: ties on the time broken by
// the ID, microseconds, other zones, tenants and statuses, a total that
// ignores After, and page 2 with After refused.
func testSubscriptionListAfter(t *testing.T, s store.Store) {
	createPlans(t, s, billingPlan(t, "plan_st_a", 1))
	t0 := at(100) // a time with microseconds
	us := time.Microsecond
	mk := func(id string, at time.Time, status billing.SubscriptionStatus) billing.Subscription {
		sub := billingSub("tn_"+id[4:], "plan_st_a", 1)
		sub.ID, sub.Status, sub.CreatedAt, sub.UpdatedAt = id, status, at, at
		return sub
	}
	// Created out of list order; three share t0 (the ID breaks the tie),
	// two t0+1µs.
	createSubs(t, s,
		mk("sub_kc02", t0.Add(time.Minute), billing.Active),
		mk("sub_ka03", t0, billing.Active),
		mk("sub_kb02", t0.Add(us), billing.Active),
		mk("sub_ka01", t0, billing.Active),
		mk("sub_kb01", t0.Add(-us), billing.Trialing),
		mk("sub_ka02", t0, billing.Active),
		mk("sub_kb00", t0.Add(us), billing.Trialing),
		mk("sub_kd02", t0.Add(3*time.Minute), billing.Active),
		mk("sub_kd01", t0.Add(2*time.Minute), billing.Active),
		mk("sub_kc01", t0.Add(time.Minute), billing.Active),
	)
	setStatus := func(tenantID string, st billing.SubscriptionStatus) {
		t.Helper()
		if _, err := s.UpdateSubscription(t.Context(), tenantID, func(sub billing.Subscription) (billing.Subscription, error) {
			sub.Status = st
			return sub, nil
		}); err != nil {
			t.Fatalf("UpdateSubscription(%s): got error %v, want nil", tenantID, err)
		}
	}
	// The walk: pages of 2 of the active subscriptions. After page 1 a
	// trial before the cursor converts; after page 2 two before it leave
	// (past due, cancelled); after page 3 one is created before it.
	changes := map[int]func(){
		1: func() { setStatus("tn_kb01", billing.Active) },
		2: func() { setStatus("tn_ka01", billing.PastDue); setStatus("tn_ka03", billing.Cancelled) },
		3: func() { createSubs(t, s, mk("sub_ka00", t0.Add(-time.Minute), billing.Active)) },
	}
	active := []billing.SubscriptionStatus{billing.Active}
	walked := keysetWalk(t, 2, func(pr core.PageRequest, after *core.ListKey) ([]billing.Subscription, int, error) {
		return s.ListSubscriptions(t.Context(), billing.SubscriptionFilter{Statuses: active, After: after, Page: pr})
	}, billing.Subscription.ListKey, func(sub billing.Subscription) string { return sub.ID }, func(pg int, sub billing.Subscription) {
		want, err := s.GetSubscription(t.Context(), sub.TenantID)
		if err != nil {
			t.Fatalf("GetSubscription(%s): got error %v, want nil", sub.TenantID, err)
		}
		if d := cmp.Diff(want, sub); d != "" {
			t.Errorf("walk page %d: subscription %s mismatch (-want +got):\n%s", pg, sub.ID, d)
		}
	}, changes, []int{8, 9, 7, 8, 8})
	want := []string{"sub_ka01", "sub_ka02", "sub_ka03", "sub_kb02", "sub_kc01", "sub_kc02", "sub_kd01", "sub_kd02"}
	if !slices.Equal(walked, want) {
		t.Errorf("walk: got %v, want %v (each once, in order)", walked, want)
	}

	// Now: ka00 (t0-1m), kb01 (t0-1µs), ka01 (past due), ka02, ka03
	// (cancelled) at t0, kb00 (trialing), kb02 at t0+1µs, kc01, kc02, kd01,
	// kd02; all but ka01, ka03 and kb00 active.
	for _, tc := range []struct {
		name  string
		f     billing.SubscriptionFilter
		want  []string
		total int
	}{
		{"a tie broken by ID", billing.SubscriptionFilter{After: afterKey(t0, "sub_ka01")}, []string{"sub_ka02", "sub_ka03", "sub_kb00", "sub_kb02", "sub_kc01", "sub_kc02", "sub_kd01", "sub_kd02"}, 11},
		{"before a time's first ID", billing.SubscriptionFilter{After: afterKey(t0, ""), Page: core.PageRequest{Limit: 3}}, []string{"sub_ka01", "sub_ka02", "sub_ka03"}, 11},
		{"a microsecond later", billing.SubscriptionFilter{After: afterKey(t0.Add(us), ""), Page: core.PageRequest{Limit: 2}}, []string{"sub_kb00", "sub_kb02"}, 11},
		{"an ID past a time's last", billing.SubscriptionFilter{After: afterKey(t0, "sub_kz"), Page: core.PageRequest{Limit: 1}}, []string{"sub_kb00"}, 11},
		{"in another zone", billing.SubscriptionFilter{Statuses: active, After: afterKey(t0.In(time.FixedZone("X", -5*3600)), "sub_ka02")}, []string{"sub_kb02", "sub_kc01", "sub_kc02", "sub_kd01", "sub_kd02"}, 8},
		{"tenants", billing.SubscriptionFilter{TenantIDs: []string{"tn_ka01", "tn_kc02", "tn_kd01", "tn_none"}, After: afterKey(t0, "sub_ka01")}, []string{"sub_kc02", "sub_kd01"}, 3},
		{"statuses, page 1", billing.SubscriptionFilter{Statuses: []billing.SubscriptionStatus{billing.PastDue, billing.Cancelled}, After: afterKey(t0, "sub_ka01"), Page: core.PageRequest{Page: 1, Limit: 5}}, []string{"sub_ka03"}, 2},
		{"after the last", billing.SubscriptionFilter{After: afterKey(t0.Add(3*time.Minute), "sub_kd02")}, []string{}, 11},
		{"the zero key starts at the first", billing.SubscriptionFilter{Statuses: active, After: &core.ListKey{}, Page: core.PageRequest{Limit: 2}}, []string{"sub_ka00", "sub_kb01"}, 8},
	} {
		got, total, err := s.ListSubscriptions(t.Context(), tc.f)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tc.name, err)
			continue
		}
		if !slices.Equal(subIDs(got), tc.want) || total != tc.total {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tc.name, subIDs(got), total, tc.want, tc.total)
		}
	}

	_, _, err := s.ListSubscriptions(t.Context(), billing.SubscriptionFilter{After: afterKey(t0, ""), Page: core.PageRequest{Page: 2, Limit: 2}})
	wantPageField(t, "ListSubscriptions with After and page 2", err)
}
