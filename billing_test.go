package atomix_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// events collects threshold events.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) Notify(_ context.Context, ev billing.ThresholdEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, fmt.Sprintf("%s %s %d%% %d/%d", ev.TenantID[:3], ev.Metric, ev.Percent, ev.Used, ev.Limit))
	return nil
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.got...)
}

// billPlatform returns a platform over st with a movable clock standing at
// 2026-03-10 12:00 UTC, the demo atoms and plans, an "api_calls" SKU
// (graduated: 1,000 free, then 0.002 USD) and a "customers" limit of 100
// on a "plan_metered" plan.
func billPlatform(t *testing.T, st store.Store, opts ...atomix.Option) (*atomix.Platform, *rsClock, *events) {
	t.Helper()
	clk := &rsClock{}
	clk.set(time.Date(2026, time.March, 10, 12, 0, 0, 0, time.UTC))
	ev := &events{}
	opts = append([]atomix.Option{atomix.WithClock(clk.now), atomix.WithBilling(atomix.BillingConfig{Notifier: ev})}, opts...)
	p, err := atomix.New(st, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	publishDemo(t, p)
	ctx := sys()
	metered := billing.Plan{ID: "plan_metered", Name: "Metered", Currency: money.USD, Prices: map[billing.Interval]int64{billing.Monthly: 1000},
		Limits: map[string]int64{billing.LimitUsers: 3, billing.LimitAtoms: 2, "customers": 100}}
	if _, err := p.CreatePlan(ctx, metered); err != nil {
		t.Fatalf("CreatePlan: %v", err)
	}
	upTo := int64(1000)
	sku := billing.SKU{Code: "api_calls", Name: "API calls", Aggregation: billing.AggSum, Price: billing.Price{
		Metric: "api_calls", Currency: money.USD, Model: billing.Graduated,
		Tiers: []billing.Tier{{UpTo: &upTo, UnitAmount: dec(t, "0"), FlatAmount: dec(t, "0")}, {UnitAmount: dec(t, "0.002"), FlatAmount: dec(t, "0")}},
	}, Commissionable: true}
	if _, err := p.CreateSKU(ctx, sku); err != nil {
		t.Fatalf("CreateSKU: %v", err)
	}
	return p, clk, ev
}

func sys() context.Context { return atomix.AsSystem(context.Background()) }

func dec(t testing.TB, s string) money.Decimal {
	t.Helper()
	d, err := money.ParseDecimal(s)
	if err != nil {
		t.Fatalf("ParseDecimal(%q): %v", s, err)
	}
	return d
}

func billTenant(t *testing.T, p *atomix.Platform, sub, plan string) tenant.Tenant {
	t.Helper()
	out, err := p.CreateTenant(sys(), atomix.CreateTenantInput{Name: "Tenant " + sub, Subdomain: sub, PlanID: plan,
		Contact: tenant.Contact{Name: "Ada Admin", Email: "ada@" + sub + ".example.com"}})
	if err != nil {
		t.Fatalf("CreateTenant(%s): %v", sub, err)
	}
	return out.Tenant
}

func addUsers(t *testing.T, p *atomix.Platform, tenantID string, n int) {
	t.Helper()
	for i := range n {
		if _, err := p.CreateUser(sys(), tenantID, atomix.NewUserInput{Name: "User", Email: fmt.Sprintf("u%d@x.example.com", i), Role: "tenant_member"}); err != nil {
			t.Fatalf("CreateUser %d: %v", i, err)
		}
	}
}

func TestPlansCRUD(t *testing.T) {
	p, _, _ := billPlatform(t, memory.New())
	ctx := sys()
	pub, err := p.PublicPlans(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, pl := range pub {
		ids = append(ids, pl.ID)
	}
	// Plans made at one instant are ordered by ID.
	if want := []string{"plan_enterprise", "plan_metered", "plan_professional", "plan_starter"}; !cmp.Equal(ids, want) {
		t.Errorf("public plans: got %v, want %v", ids, want)
	}

	// Bad input names every field.
	_, err = p.CreatePlan(ctx, billing.Plan{Name: " ", Prices: map[billing.Interval]int64{"week": 1}, TrialDays: -1,
		Limits: map[string]int64{"maxUsers": -2}})
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.Invalid {
		t.Fatalf("CreatePlan(bad): got %v, want invalid", err)
	}
	var fields []string
	for _, f := range ce.Fields {
		fields = append(fields, f.Field)
	}
	if want := []string{"name", "currency", "prices", "trialDays", "limits.maxUsers"}; !cmp.Equal(fields, want) {
		t.Errorf("fields: got %v, want %v", fields, want)
	}
	_, err = p.CreatePlan(ctx, billing.DemoPlans()[0])
	wantCode(t, "CreatePlan(duplicate)", err, core.Conflict)

	// In use: deleting refused, archiving allowed; an archived plan takes no tenant.
	billTenant(t, p, "acme", "plan_starter")
	wantCode(t, "DeletePlan(in use)", p.DeletePlan(ctx, "plan_starter"), core.PlanInUse)
	starter, err := p.GetPlan(ctx, "plan_starter")
	if err != nil {
		t.Fatal(err)
	}
	starter.Status = billing.PlanArchived
	if _, err := p.UpdatePlan(ctx, "plan_starter", starter); err != nil {
		t.Fatalf("UpdatePlan(archive): %v", err)
	}
	_, err = p.CreateTenant(ctx, atomix.CreateTenantInput{Name: "B", Subdomain: "bee", PlanID: "plan_starter",
		Contact: tenant.Contact{Name: "B", Email: "b@bee.example.com"}})
	wantCode(t, "CreateTenant(archived plan)", err, core.Invalid)
	_, err = p.CreateTenant(ctx, atomix.CreateTenantInput{Name: "B", Subdomain: "bee", PlanID: "plan_nope",
		Contact: tenant.Contact{Name: "B", Email: "b@bee.example.com"}})
	wantCode(t, "CreateTenant(unknown plan)", err, core.Invalid)
	if pub, _ := p.PublicPlans(context.Background()); len(pub) != 3 {
		t.Errorf("public plans after archiving: got %d, want 3", len(pub))
	}
	starter.Currency = money.EUR
	_, err = p.UpdatePlan(ctx, "plan_starter", starter)
	wantCode(t, "UpdatePlan(currency)", err, core.Invalid)

	// An unused plan is deleted; then it is not found.
	if err := p.DeletePlan(ctx, "plan_enterprise"); err != nil {
		t.Fatalf("DeletePlan: %v", err)
	}
	_, err = p.GetPlan(ctx, "plan_enterprise")
	wantCode(t, "GetPlan(deleted)", err, core.NotFound)
	wantCode(t, "DeletePlan(again)", p.DeletePlan(ctx, "plan_enterprise"), core.NotFound)

	// Only the platform manages plans.
	tn := ctxAs(access.Actor{Kind: access.ActorUser, ID: "usr_x", Scope: access.Scope{Kind: access.ScopeTenant, ID: "tn_x"}, Perms: access.MustCompile("*")})
	_, err = p.CreatePlan(tn, billing.DemoPlans()[0])
	wantCode(t, "CreatePlan(tenant actor)", err, core.Forbidden)
}

func ctxAs(a access.Actor) context.Context { return access.WithActor(context.Background(), a) }

func TestSKUBadInput(t *testing.T) {
	p, _, _ := billPlatform(t, memory.New())
	ctx := sys()
	cases := []struct {
		name string
		sku  billing.SKU
		want core.Code
	}{
		{"duplicate", billing.SKU{Code: "api_calls", Name: "Again", Aggregation: billing.AggSum, Price: billing.Price{Metric: "api_calls", Currency: money.USD, Model: billing.PerUnit, UnitAmount: dec(t, "1")}}, core.SKUDuplicate},
		{"metric aggregated otherwise", billing.SKU{Code: "api_max", Name: "Max", Aggregation: billing.AggMax, Price: billing.Price{Metric: "api_calls", Currency: money.USD, Model: billing.PerUnit, UnitAmount: dec(t, "1")}}, core.MetricConflict},
		{"unknown plan", billing.SKU{Code: "seats", Name: "Seats", Aggregation: billing.AggMax, PlanIDs: []string{"plan_nope"}, Price: billing.Price{Metric: "seats", Currency: money.USD, Model: billing.PerUnit, UnitAmount: dec(t, "1")}}, core.Invalid},
		{"plan of another currency", billing.SKU{Code: "seats", Name: "Seats", Aggregation: billing.AggMax, PlanIDs: []string{"plan_starter"}, Price: billing.Price{Metric: "seats", Currency: money.EUR, Model: billing.PerUnit, UnitAmount: dec(t, "1")}}, core.Invalid},
		{"state metric", billing.SKU{Code: "users", Name: "Users", Aggregation: billing.AggMax, Price: billing.Price{Metric: "users", Currency: money.USD, Model: billing.PerUnit, UnitAmount: dec(t, "1")}}, core.Invalid},
		{"bad price", billing.SKU{Code: "x", Name: "X", Aggregation: billing.AggSum, Price: billing.Price{Metric: "x", Currency: money.USD, Model: billing.Package}}, core.PriceInvalid},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.CreateSKU(ctx, tt.sku)
			wantCode(t, "CreateSKU", err, tt.want)
		})
	}
	skus, err := p.ListSKUs(ctx)
	if err != nil || len(skus) != 1 {
		t.Errorf("ListSKUs: got %d SKUs, %v, want only api_calls", len(skus), err)
	}
}

func TestUserAndAtomLimitsFromPlan(t *testing.T) {
	p, _, ev := billPlatform(t, memory.New())
	tn := billTenant(t, p, "acme", "plan_metered") // 3 users, 2 atoms
	addUsers(t, p, tn.ID, 2)                       // with the admin: 3 of 3
	_, err := p.CreateUser(sys(), tn.ID, atomix.NewUserInput{Name: "Four", Email: "four@x.example.com", Role: "tenant_member"})
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.PlanLimitExceeded || ce.Code.Class() != core.LimitExceeded {
		t.Fatalf("CreateUser past maxUsers: got %v, want plan_limit_exceeded", err)
	}
	if !strings.Contains(ce.Message, "allows 3 users") {
		t.Errorf("message: got %q, want it to name the limit", ce.Message)
	}
	// atom_sms and atom_notification, which it needs: 2 of 2 slots.
	if _, err := p.InstallAtom(sys(), tn.ID, atomix.InstallAtomInput{AtomID: "atom_sms"}); err != nil {
		t.Fatalf("InstallAtom(atom_sms): %v", err)
	}
	_, err = p.InstallAtom(sys(), tn.ID, atomix.InstallAtomInput{AtomID: "atom_wireframe"})
	wantCode(t, "InstallAtom past maxAtoms", err, core.PlanLimitExceeded)
	got := ev.list()
	want := []string{"tn_ users 80% 3/3", "tn_ users 100% 3/3", "tn_ atoms 80% 2/2", "tn_ atoms 100% 2/2"}
	if !cmp.Equal(got, want) {
		t.Errorf("threshold events: got %v, want %v", got, want)
	}
}

// TestUserLimitRace creates users concurrently: the limit holds exactly.
func TestUserLimitRace(t *testing.T) {
	p, _, _ := billPlatform(t, memory.New())
	tn := billTenant(t, p, "race", "plan_metered")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.CreateUser(sys(), tn.ID, atomix.NewUserInput{Name: "U", Email: fmt.Sprintf("r%d@x.example.com", i), Role: "tenant_member"})
			mu.Lock()
			defer mu.Unlock()
			switch core.ErrorCode(err) {
			case "":
				ok++
			case core.PlanLimitExceeded:
				refused++
			default:
				t.Errorf("CreateUser: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 2 || refused != 10 {
		t.Errorf("got %d created and %d refused, want 2 and 10", ok, refused)
	}
}

func TestDowngradeRefusedNamingLimits(t *testing.T) {
	p, _, _ := billPlatform(t, memory.New())
	tn := billTenant(t, p, "big", "plan_professional")
	addUsers(t, p, tn.ID, 11) // 12 with the admin
	_, err := p.UpdateSubscription(sys(), tn.ID, atomix.SubscriptionChange{PlanID: "plan_starter"})
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.DowngradeBlocked {
		t.Fatalf("downgrade: got %v, want downgrade_blocked", err)
	}
	if !strings.Contains(ce.Message, "maxUsers") || !strings.Contains(ce.Message, "12") {
		t.Errorf("message: got %q, want it to name maxUsers and 12", ce.Message)
	}
	sub, err := p.GetSubscription(sys(), tn.ID)
	if err != nil || sub.PlanID != "plan_professional" {
		t.Errorf("after the refusal: got plan %q, %v, want plan_professional unchanged", sub.PlanID, err)
	}
}

func TestSubscriptionLifecycleMovesTenant(t *testing.T) {
	p, clk, _ := billPlatform(t, memory.New())
	ctx := sys()
	lazy := billTenant(t, p, "lazy", "plan_starter")
	keen := billTenant(t, p, "keen", "plan_starter")
	sub, err := p.GetSubscription(ctx, lazy.ID)
	if err != nil {
		t.Fatal(err)
	}
	trialEnd := time.Date(2026, time.March, 24, 0, 0, 0, 0, time.UTC)
	if sub.Status != billing.Trialing || sub.TrialEnd == nil || !sub.TrialEnd.Equal(trialEnd) || sub.ExpiresAt == nil || !sub.ExpiresAt.Equal(trialEnd) {
		t.Fatalf("new subscription: got %s until %v (expires %v), want trialing until %s", sub.Status, sub.TrialEnd, sub.ExpiresAt, trialEnd)
	}
	// Activating the tenant converts its trial.
	if _, err := p.TransitionTenant(ctx, keen.ID, tenant.StatusActive); err != nil {
		t.Fatal(err)
	}
	clk.set(trialEnd.Add(time.Hour))
	n, err := p.AdvanceSubscriptions(ctx)
	if err != nil || n != 2 {
		t.Fatalf("AdvanceSubscriptions: got %d, %v, want 2", n, err)
	}
	for _, c := range []struct {
		id      string
		sub     billing.SubscriptionStatus
		tenant  tenant.Status
		invoice bool
	}{{lazy.ID, billing.Expired, tenant.StatusSuspended, false}, {keen.ID, billing.Active, tenant.StatusActive, true}} {
		s, err := p.GetSubscription(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		tt, _ := p.GetTenant(ctx, c.id)
		if s.Status != c.sub || tt.Status != c.tenant {
			t.Errorf("%s: got subscription %s, tenant %s, want %s, %s", c.id, s.Status, tt.Status, c.sub, c.tenant)
		}
	}
	// Reactivating the suspended tenant restarts its subscription today.
	if _, err := p.TransitionTenant(ctx, lazy.ID, tenant.StatusActive); err != nil {
		t.Fatal(err)
	}
	if s, _ := p.GetSubscription(ctx, lazy.ID); s.Status != billing.Active || !s.Anchor.Equal(trialEnd) {
		t.Errorf("restarted: got %s anchored %s, want active anchored %s", s.Status, s.Anchor, trialEnd)
	}
	// Cancelling at the period's end cancels the tenant when it comes.
	if _, err := p.UpdateSubscription(ctx, keen.ID, atomix.SubscriptionChange{Cancel: atomix.CancelPeriodEnd}); err != nil {
		t.Fatal(err)
	}
	if tt, _ := p.GetTenant(ctx, keen.ID); tt.Status != tenant.StatusActive {
		t.Errorf("before the period's end: tenant %s, want active", tt.Status)
	}
	clk.set(time.Date(2026, time.April, 24, 0, 0, 1, 0, time.UTC))
	if _, err := p.AdvanceSubscriptions(ctx); err != nil {
		t.Fatal(err)
	}
	if tt, _ := p.GetTenant(ctx, keen.ID); tt.Status != tenant.StatusCancelled {
		t.Errorf("after the period's end: tenant %s, want cancelled", tt.Status)
	}
	// Cancelling a tenant cancels its subscription now.
	if _, err := p.TransitionTenant(ctx, lazy.ID, tenant.StatusCancelled); err != nil {
		t.Fatal(err)
	}
	if s, _ := p.GetSubscription(ctx, lazy.ID); s.Status != billing.Cancelled {
		t.Errorf("cancelled tenant: subscription %s, want cancelled", s.Status)
	}
	_, err = p.UpdateSubscription(ctx, lazy.ID, atomix.SubscriptionChange{PlanID: "plan_professional"})
	wantCode(t, "change after cancel", err, core.SubscriptionEnded)
}

func usageRec(tenantID, key, metric string, qty int64, ts time.Time) billing.UsageRecord {
	return billing.UsageRecord{TenantID: tenantID, IdempotencyKey: key, Metric: metric, Quantity: qty, Timestamp: ts}
}

func outcomes(res []billing.Result) []string {
	out := make([]string, len(res))
	for i, r := range res {
		out[i] = string(r.Outcome)
		if r.Reason != "" {
			out[i] += ":" + r.Reason
		}
	}
	return out
}

func TestIngestUsage(t *testing.T) {
	p, clk, ev := billPlatform(t, memory.New())
	ctx := sys()
	a := billTenant(t, p, "alpha", "plan_metered") // no trial: active from 2026-03-10
	clk.set(time.Date(2026, time.April, 10, 0, 30, 0, 0, time.UTC))
	ts := time.Date(2026, time.April, 9, 0, 0, 0, 0, time.UTC)
	batch := []billing.UsageRecord{
		usageRec(a.ID, "k1", "api_calls", 700, ts),
		usageRec(a.ID, "k2", "api_calls", 800, ts),
		usageRec(a.ID, "k1", "api_calls", 5, ts),                                           // repeated in the batch
		usageRec(a.ID, "k3", "nope", 1, ts),                                                // no SKU, no limit
		usageRec(a.ID, "k4", "users", 1, ts),                                               // a state metric
		usageRec(a.ID, "k5", "api_calls", 1, clk.now().Add(time.Hour)),                     // the future
		usageRec(a.ID, "k6", "api_calls", 1, time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)),  // before the subscription
		usageRec(a.ID, "k7", "api_calls", 1, time.Date(2026, 4, 9, 23, 0, 0, 0, time.UTC)), // the closed period, within grace
		usageRec("tn_nope00000000000000000", "k8", "api_calls", 1, ts),
		usageRec(a.ID, "bad key", "api_calls", 1, ts),
		usageRec(a.ID, "k9", "customers", 85, ts),
		usageRec(a.ID, "k10", "api_calls", -1, ts),
	}
	res, err := p.IngestUsage(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"accepted", "accepted", "duplicate", "rejected:unknown_metric", "rejected:state_metric", "rejected:timestamp_in_future",
		"rejected:no_subscription", "accepted", "rejected:tenant_not_found", "rejected:invalid", "accepted", "rejected:invalid"}
	if got := outcomes(res); !cmp.Equal(got, want) {
		t.Errorf("outcomes:\n%s", cmp.Diff(want, got))
	}
	// The same batch again: every stored key is a duplicate, forever.
	res, _ = p.IngestUsage(ctx, batch[:2])
	if got := outcomes(res); !cmp.Equal(got, []string{"duplicate", "duplicate"}) {
		t.Errorf("again: got %v, want duplicates", got)
	}
	// Past the grace window, the March-April period is closed.
	clk.set(time.Date(2026, time.April, 10, 1, 0, 0, 0, time.UTC))
	res, _ = p.IngestUsage(ctx, []billing.UsageRecord{usageRec(a.ID, "late", "api_calls", 1, ts)})
	if got := outcomes(res); !cmp.Equal(got, []string{"rejected:period_closed"}) {
		t.Errorf("late: got %v, want period_closed", got)
	}
	// The report of the closed period, and thresholds of the metered limit.
	rep, err := p.TenantUsage(ctx, a.ID, ts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][3]int64{}
	for _, m := range rep.Metrics {
		got[m.Metric] = [3]int64{m.Used, m.Limit, m.PerMille}
	}
	wantRep := map[string][3]int64{"users": {1, 3, 333}, "atoms": {0, 2, 0}, "api_calls": {1501, -1, 0}, "customers": {85, 100, 850}}
	if !cmp.Equal(got, wantRep) {
		t.Errorf("report:\n%s", cmp.Diff(wantRep, got))
	}
	if evs := ev.list(); len(evs) != 0 {
		t.Errorf("events for a past period: got %v, want none", evs)
	}
	res, _ = p.IngestUsage(ctx, []billing.UsageRecord{usageRec(a.ID, "c1", "customers", 80, clk.now()), usageRec(a.ID, "c2", "customers", 30, clk.now())})
	res2, _ := p.IngestUsage(ctx, []billing.UsageRecord{usageRec(a.ID, "c3", "customers", 1, clk.now())})
	if got := outcomes(append(res, res2...)); !cmp.Equal(got, []string{"accepted", "accepted", "accepted"}) {
		t.Errorf("customers: got %v", got)
	}
	if got, want := ev.list(), []string{"tn_ customers 80% 110/100", "tn_ customers 100% 110/100"}; !cmp.Equal(got, want) {
		t.Errorf("events: got %v, want %v (one per threshold per period)", got, want)
	}
	// Bad batches.
	_, err = p.IngestUsage(ctx, nil)
	wantCode(t, "empty batch", err, core.Invalid)
	_, err = p.IngestUsage(ctx, make([]billing.UsageRecord, billing.MaxUsageBatch+1))
	wantCode(t, "oversized batch", err, core.Invalid)
}

// TestUsageScope: a tenant actor's records for another tenant are
// rejected as not found, and it cannot read another tenant's usage.
func TestUsageScope(t *testing.T) {
	p, _, _ := billPlatform(t, memory.New())
	a := billTenant(t, p, "alpha", "plan_metered")
	b := billTenant(t, p, "beta", "plan_metered")
	for _, pair := range [][2]tenant.Tenant{{a, b}, {b, a}} {
		me, other := pair[0], pair[1]
		ctx := ctxAs(access.Actor{Kind: access.ActorAPIKey, ID: "key", Scope: access.Scope{Kind: access.ScopeTenant, ID: me.ID}, Perms: access.MustCompile("usage:*")})
		res, err := p.IngestUsage(ctx, []billing.UsageRecord{usageRec(me.ID, "x", "api_calls", 1, p.Now()), usageRec(other.ID, "x", "api_calls", 1, p.Now())})
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(res); !cmp.Equal(got, []string{"accepted", "rejected:tenant_not_found"}) {
			t.Errorf("%s: got %v", me.Subdomain, got)
		}
		_, err = p.TenantUsage(ctx, other.ID, time.Time{})
		wantCode(t, "TenantUsage(other)", err, core.NotFound)
	}
}

// march is the billing fixture: tenant "alpha" on plan_metered (10.00 USD
// a month, no trial) from 2026-03-10, with 1,500 API calls in its first
// period (500 billable at 0.002).
func march(t *testing.T, p *atomix.Platform, clk *rsClock) tenant.Tenant {
	t.Helper()
	a := billTenant(t, p, "alpha", "plan_metered")
	if _, err := p.UpdateSubscription(sys(), a.ID, atomix.SubscriptionChange{TaxRateBP: ptr(1800)}); err != nil {
		t.Fatal(err)
	}
	clk.set(time.Date(2026, time.March, 25, 0, 0, 0, 0, time.UTC))
	res, err := p.IngestUsage(sys(), []billing.UsageRecord{
		usageRec(a.ID, "b1", "api_calls", 1000, time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)),
		usageRec(a.ID, "b2", "api_calls", 500, time.Date(2026, 3, 21, 0, 0, 0, 0, time.UTC)),
	})
	if err != nil || res[0].Outcome != billing.Accepted || res[1].Outcome != billing.Accepted {
		t.Fatalf("IngestUsage: %v, %v", res, err)
	}
	return a
}

func ptr[T any](v T) *T { return &v }

func TestBillingRun(t *testing.T) {
	p, clk, _ := billPlatform(t, memory.New())
	ctx := sys()
	a := march(t, p, clk)
	_, err := p.RunBilling(ctx, "2026-04", false)
	wantCode(t, "RunBilling(before the month ends)", err, core.PeriodNotEnded)
	_, err = p.RunBilling(ctx, "2026-4", false)
	wantCode(t, "RunBilling(bad month)", err, core.Invalid)

	clk.set(time.Date(2026, time.May, 1, 1, 0, 0, 0, time.UTC))
	run, err := p.RunBilling(ctx, "2026-04", false)
	if err != nil {
		t.Fatal(err)
	}
	if run.Created != 1 || run.Existing != 0 {
		t.Fatalf("run: got %+v, want one invoice", run)
	}
	// By hand: the period 2026-03-10 to 2026-04-10 on plan_metered, 10.00;
	// 1,500 calls, 1,000 free and 500 at 0.002 = 1.00; subtotal 11.00;
	// tax 18% = 1.98; total 12.98.
	inv, err := p.GetInvoice(ctx, run.InvoiceIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	type line struct {
		Kind   billing.LineKind
		Qty    int64
		Amount int64
	}
	var lines []line
	for _, l := range inv.Lines {
		lines = append(lines, line{l.Kind, l.Quantity, l.Amount})
	}
	if want := []line{{billing.LineSubscription, 1, 1000}, {billing.LineUsage, 1500, 100}}; !cmp.Equal(lines, want) {
		t.Errorf("lines:\n%s", cmp.Diff(want, lines))
	}
	if inv.Subtotal != 1100 || inv.Tax != 198 || inv.Total != 1298 || inv.Status != billing.InvoiceOpen || inv.TenantID != a.ID {
		t.Errorf("invoice: got subtotal %d tax %d total %d %s, want 1100 198 1298 open", inv.Subtotal, inv.Tax, inv.Total, inv.Status)
	}
	if len(run.Totals) != 1 || run.Totals[0] != money.New(1298, money.USD) {
		t.Errorf("run totals: got %v, want 12.98 USD", run.Totals)
	}
	// Usage shown for the closed period equals what the invoice billed.
	rep, err := p.TenantUsage(ctx, a.ID, time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rep.Metrics {
		if m.Metric == "api_calls" && m.Used != inv.Lines[1].Quantity {
			t.Errorf("usage of the closed period: got %d, invoice billed %d", m.Used, inv.Lines[1].Quantity)
		}
	}
	// A second run makes nothing.
	again, err := p.RunBilling(ctx, "2026-04", false)
	if err != nil || again.Created != 0 || again.Existing != 1 {
		t.Errorf("second run: got %+v, %v, want nothing created", again, err)
	}
	// The invoice is in the tenant's scope only.
	for _, c := range []struct {
		ctx  context.Context
		want int
	}{
		{ctx, 1},
		{ctxAs(access.Actor{Kind: access.ActorUser, ID: "usr_a", Scope: access.Scope{Kind: access.ScopeTenant, ID: a.ID}, Perms: access.MustCompile("invoice:view")}), 1},
		{ctxAs(access.Actor{Kind: access.ActorUser, ID: "usr_b", Scope: access.Scope{Kind: access.ScopeTenant, ID: "tn_other0000000000000000"}, Perms: access.MustCompile("invoice:view")}), 0},
	} {
		page, err := p.ListInvoices(c.ctx, atomix.InvoiceQuery{Month: "2026-04"})
		if err != nil || page.Total != c.want {
			t.Errorf("ListInvoices: got %d, %v, want %d", page.Total, err, c.want)
		}
	}
	other := ctxAs(access.Actor{Kind: access.ActorUser, ID: "usr_b", Scope: access.Scope{Kind: access.ScopeTenant, ID: "tn_other0000000000000000"}, Perms: access.MustCompile("invoice:view")})
	_, err = p.GetInvoice(other, inv.ID)
	wantCode(t, "GetInvoice(other tenant)", err, core.NotFound)

	// The lifecycle: paid, then no more moves but void.
	if _, err := p.SetInvoiceStatus(ctx, inv.ID, billing.InvoicePaid); err != nil {
		t.Fatal(err)
	}
	_, err = p.SetInvoiceStatus(ctx, inv.ID, billing.InvoiceOpen)
	wantCode(t, "paid -> open", err, core.InvalidTransition)

	sum, err := p.BillingSummary(ctx, "2026-04", "")
	if err != nil {
		t.Fatal(err)
	}
	wantSum := atomix.BillingSummary{Month: "2026-04", Invoices: 1,
		ByCurrency: []atomix.CurrencyTotal{{Currency: money.USD, Invoices: 1, Subtotal: 1100, Tax: 198, Total: 1298, Paid: 1298}},
		ByPlan:     []atomix.PlanTotal{{PlanID: "plan_metered", PlanName: "Metered", Currency: money.USD, Amount: 1000}},
		BySKU:      []atomix.SKUTotal{{SKU: "api_calls", Metric: "api_calls", Currency: money.USD, Quantity: 1500, Amount: 100}},
		ByTenant:   []atomix.TenantTotal{{TenantID: a.ID, Currency: money.USD, Invoices: 1, Subtotal: 1100, Tax: 198, Total: 1298}},
	}
	if diff := cmp.Diff(wantSum, sum, cmp.Comparer(func(a, b money.Currency) bool { return a == b })); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

// TestBillingRunsAtOnce starts several runs of one month at once: each
// invoice is made exactly once.
func TestBillingRunsAtOnce(t *testing.T) {
	p, clk, _ := billPlatform(t, memory.New())
	for i := range 5 {
		billTenant(t, p, fmt.Sprintf("tenant%d", i), "plan_metered")
	}
	clk.set(time.Date(2026, time.May, 1, 1, 0, 0, 0, time.UTC))
	var wg sync.WaitGroup
	created := make([]int, 4)
	for i := range created {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, err := p.RunBilling(sys(), "2026-04", false)
			if err != nil {
				t.Errorf("RunBilling: %v", err)
			}
			created[i] = run.Created
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range created {
		total += n
	}
	if total != 5 {
		t.Errorf("invoices made by the runs: got %d (%v), want 5", total, created)
	}
	page, _ := p.ListInvoices(sys(), atomix.InvoiceQuery{Month: "2026-04"})
	if page.Total != 5 {
		t.Errorf("stored invoices: got %d, want 5", page.Total)
	}
}
