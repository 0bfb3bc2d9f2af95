package atomix_test

import (
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// chain is the commission fixture: a distributor on a 10% plan, its
// partner on a 15% plan, and a tenant of the partner on
// plan_professional (149.00 USD), converted from its trial, whose first
// paid period (2026-03-15 to 2026-04-15) is invoiced by April's run.
type chain struct {
	p          *atomix.Platform
	clk        *rsClock
	dist, part reseller.Reseller
	tenant     tenant.Tenant
	invoice    billing.Invoice
}

func newChain(t *testing.T) chain {
	t.Helper()
	p, clk, _ := billPlatform(t, memory.New())
	clk.set(time.Date(2026, time.March, 1, 10, 0, 0, 0, time.UTC))
	ctx := sys()
	rs := p.Resellers()
	dist, err := rs.CreateDistributor(ctx, rsInput("Northwind Distribution"))
	if err != nil {
		t.Fatal(err)
	}
	pin := rsInput("Contoso Partners")
	pin.DistributorID = dist.ID
	part, err := rs.CreatePartner(ctx, pin)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r     reseller.Reseller
		level commission.Level
		bp    int
	}{{dist, commission.LevelDistributor, 1000}, {part, commission.LevelPartner, 1500}} {
		pl, err := p.CreateCommissionPlan(ctx, commission.Plan{Name: string(c.level), Level: c.level,
			Versions: []commission.Version{{Month: "2026-03", RateBP: c.bp}}})
		if err != nil {
			t.Fatalf("CreateCommissionPlan: %v", err)
		}
		if _, err := p.AssignCommissionPlan(ctx, c.r.ID, pl.ID); err != nil {
			t.Fatalf("AssignCommissionPlan: %v", err)
		}
	}
	out, err := p.CreateTenant(ctx, atomix.CreateTenantInput{Name: "Acme", Subdomain: "acme", PlanID: "plan_professional", OwnerID: part.ID,
		Contact: tenant.Contact{Name: "John Doe", Email: "john@acme.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.TransitionTenant(ctx, out.Tenant.ID, tenant.StatusActive); err != nil {
		t.Fatal(err)
	}
	clk.set(time.Date(2026, time.May, 1, 2, 0, 0, 0, time.UTC))
	run, err := p.RunBilling(ctx, "2026-04", false)
	if err != nil || run.Created != 1 {
		t.Fatalf("RunBilling: %+v, %v", run, err)
	}
	inv, err := p.GetInvoice(ctx, run.InvoiceIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	if inv.Total != 14900 {
		t.Fatalf("the invoice: got %d, want 14900", inv.Total)
	}
	return chain{p: p, clk: clk, dist: dist, part: part, tenant: out.Tenant, invoice: inv}
}

func statementOf(t *testing.T, p *atomix.Platform, resellerID, month string) commission.Statement {
	t.Helper()
	page, err := p.ListStatements(sys(), atomix.StatementQuery{ResellerID: resellerID, Month: month})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("statements of %s in %s: got %v, %v, want one", resellerID, month, page.Items, err)
	}
	return page.Items[0]
}

// TestCommissionMustShow is issue 10's must-show: a distributor at 10% and
// its partner at 15% on a 149.00 USD invoice get exactly their shares and
// the platform the rest; voiding the invoice the next month shows the
// reversal in that month's statement, while the closed statement of the
// first month is unchanged.
func TestCommissionMustShow(t *testing.T) {
	c := newChain(t)
	ctx := sys()
	_, err := c.p.CalculateCommissions(ctx, "2026-05")
	wantCode(t, "CalculateCommissions(a month not over)", err, core.PeriodInFuture)
	run, err := c.p.CalculateCommissions(ctx, "2026-04")
	if err != nil || run.Created != 3 {
		t.Fatalf("CalculateCommissions: got %+v, %v, want 3 entries", run, err)
	}
	if again, err := c.p.CalculateCommissions(ctx, "2026-04"); err != nil || again.Created != 0 || again.Existing != 3 {
		t.Errorf("again: got %+v, %v, want nothing new", again, err)
	}
	// 149.00: partner 15% = 22.35, distributor 10% = 14.90, platform 111.75.
	checks, err := c.p.Reconciliation(ctx, "2026-04")
	if err != nil || len(checks) != 1 || checks[0].Invoiced != 14900 || checks[0].Resellers != 2235+1490 || checks[0].Platform != 11175 || checks[0].Difference != 0 {
		t.Fatalf("reconciliation: got %+v, %v", checks, err)
	}
	ps, ds := statementOf(t, c.p, c.part.ID, "2026-04"), statementOf(t, c.p, c.dist.ID, "2026-04")
	if ps.Total != 2235 || ds.Total != 1490 {
		t.Errorf("April statements: partner %d, distributor %d, want 2235 and 1490", ps.Total, ds.Total)
	}
	// The partner's summary, seen by the distributor.
	distActor := ctxAs(access.Actor{Kind: access.ActorUser, ID: "usr_d", Scope: access.Scope{Kind: access.ScopeDistributor, ID: c.dist.ID}, Perms: access.MustCompile("commission:view")})
	sum, err := c.p.CommissionSummary(distActor, "2026-04", c.part.ID)
	if err != nil || len(sum.ByCurrency) != 1 || sum.ByCurrency[0].Net != 2235 || len(sum.ByTenant) != 1 || sum.ByTenant[0].Key != c.tenant.ID {
		t.Errorf("summary: got %+v, %v", sum, err)
	}
	partActor := ctxAs(access.Actor{Kind: access.ActorUser, ID: "usr_p", Scope: access.Scope{Kind: access.ScopePartner, ID: c.part.ID}, Perms: access.MustCompile("commission:view")})
	_, err = c.p.CommissionSummary(partActor, "2026-04", c.dist.ID)
	wantCode(t, "the partner reads its distributor's summary", err, core.NotFound)

	// Close April; closing it again is refused.
	c.clk.set(time.Date(2026, time.May, 2, 0, 0, 0, 0, time.UTC))
	closed, err := c.p.CloseStatement(ctx, ps.ID)
	if err != nil || closed.Status != commission.StatementClosed || closed.Total != 2235 {
		t.Fatalf("CloseStatement: got %+v, %v", closed, err)
	}
	_, err = c.p.CloseStatement(ctx, ps.ID)
	wantCode(t, "CloseStatement twice", err, core.StatementClosed)

	// Voided in May: the reversal is in May's statement; April's stays.
	c.clk.set(time.Date(2026, time.May, 10, 0, 0, 0, 0, time.UTC))
	if _, err := c.p.SetInvoiceStatus(ctx, c.invoice.ID, billing.InvoiceVoid); err != nil {
		t.Fatal(err)
	}
	if may := statementOf(t, c.p, c.part.ID, "2026-05"); may.Total != -2235 {
		t.Errorf("May's partner statement: got %d, want -2235", may.Total)
	}
	if april, err := c.p.GetStatement(ctx, ps.ID); err != nil || april.Total != 2235 || april.Status != commission.StatementClosed || len(april.Entries) != 1 {
		t.Errorf("April's closed statement: got %+v, %v, want 22.35 unchanged", april.Statement, err)
	}
	checks, err = c.p.Reconciliation(ctx, "2026-04")
	if err != nil || len(checks) != 1 || checks[0].Invoiced != 0 || checks[0].Difference != 0 || checks[0].Resellers != 0 || checks[0].Platform != 0 {
		t.Errorf("reconciliation after the void: got %+v, %v, want all zero", checks, err)
	}
}

func TestCommissionPlanRules(t *testing.T) {
	c := newChain(t)
	ctx := sys()
	// A partner plan of 95% under a 10% distributor: over 100%.
	greedy, err := c.p.CreateCommissionPlan(ctx, commission.Plan{Name: "greedy", Level: commission.LevelPartner,
		Versions: []commission.Version{{Month: "2026-05", RateBP: 9500}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.p.AssignCommissionPlan(ctx, c.part.ID, greedy.ID)
	wantCode(t, "AssignCommissionPlan(over 100%)", err, core.CommissionRatesExceed)
	// A distributor plan on a partner.
	plans, _ := c.p.ListCommissionPlans(ctx)
	var distPlan string
	for _, pl := range plans {
		if pl.Level == commission.LevelDistributor {
			distPlan = pl.ID
		}
	}
	_, err = c.p.AssignCommissionPlan(ctx, c.part.ID, distPlan)
	wantCode(t, "AssignCommissionPlan(other level)", err, core.Invalid)
	// A version in a month already over, and one overlapping.
	_, err = c.p.AddCommissionVersion(ctx, distPlan, commission.Version{Month: "2026-04", RateBP: 500})
	wantCode(t, "AddCommissionVersion(past)", err, core.CommissionPastPeriod)
	if _, err := c.p.AddCommissionVersion(ctx, distPlan, commission.Version{Month: "2026-06", RateBP: 500}); err != nil {
		t.Fatal(err)
	}
	_, err = c.p.AddCommissionVersion(ctx, distPlan, commission.Version{Month: "2026-06", RateBP: 600})
	wantCode(t, "AddCommissionVersion(overlap)", err, core.CommissionOverlap)
	// Raising the distributor past 100% with its partner is refused.
	_, err = c.p.AddCommissionVersion(ctx, distPlan, commission.Version{Month: "2026-07", RateBP: 9000})
	wantCode(t, "AddCommissionVersion(over 100% with the partner)", err, core.CommissionRatesExceed)
	// Only the platform manages plans.
	distActor := ctxAs(access.Actor{Kind: access.ActorUser, ID: "usr_d", Scope: access.Scope{Kind: access.ScopeDistributor, ID: c.dist.ID}, Perms: access.MustCompile("*")})
	_, err = c.p.CreateCommissionPlan(distActor, commission.Plan{Name: "x", Level: commission.LevelPartner, Versions: []commission.Version{{Month: "2026-06"}}})
	wantCode(t, "CreateCommissionPlan(distributor)", err, core.Forbidden)
}

// TestCommissionFollowsTheMove moves the customer to the platform in
// June: May's invoice pays the partner, June's nobody but the platform.
func TestCommissionFollowsTheMove(t *testing.T) {
	c := newChain(t)
	ctx := sys()
	c.clk.set(time.Date(2026, time.May, 20, 0, 0, 0, 0, time.UTC))
	if _, err := c.p.Resellers().Move(ctx, c.tenant.ID, atomix.MoveInput{OwnerID: ""}); err != nil {
		t.Fatal(err)
	}
	c.clk.set(time.Date(2026, time.July, 1, 2, 0, 0, 0, time.UTC))
	for _, m := range []string{"2026-05", "2026-06"} {
		if _, err := c.p.RunBilling(ctx, m, false); err != nil {
			t.Fatal(err)
		}
		if _, err := c.p.CalculateCommissions(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// May's invoice covers 2026-04-15 to 2026-05-15: the partner's then.
	if st := statementOf(t, c.p, c.part.ID, "2026-05"); st.Total != 2235 {
		t.Errorf("May: partner got %d, want 2235", st.Total)
	}
	page, err := c.p.ListStatements(ctx, atomix.StatementQuery{ResellerID: c.part.ID, Month: "2026-06"})
	if err != nil || page.Total != 0 {
		t.Errorf("June: got %d statements for the partner, %v, want none", page.Total, err)
	}
	for _, m := range []string{"2026-05", "2026-06"} {
		checks, err := c.p.Reconciliation(ctx, m)
		if err != nil || len(checks) != 1 || checks[0].Difference != 0 || checks[0].Invoiced != 14900 {
			t.Errorf("reconciliation %s: got %+v, %v", m, checks, err)
		}
	}
}

// TestCommissionTiersSpanPages runs a month of more invoices than one page
// of the run on a graduated partner plan: the tiers see the whole month's
// revenue, as one calculation over every invoice does.
func TestCommissionTiersSpanPages(t *testing.T) {
	clk := &rsClock{}
	clk.set(time.Date(2026, time.January, 2, 0, 0, 0, 0, time.UTC))
	p, err := atomix.New(memory.New(), atomix.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	first, second := int64(5_000_000), int64(10_000_000)
	tiers := commission.Version{Month: "2026-01", RateBP: 1000, TierMode: commission.Graduated, TierCurrency: money.USD,
		Tiers: []commission.Tier{{UpTo: &first, RateBP: 1000}, {UpTo: &second, RateBP: 1200}, {RateBP: 1500}}}
	part := seedCommissions(t, p, 1100, tiers)
	clk.set(time.Date(2026, time.February, 2, 0, 0, 0, 0, time.UTC))
	ctx := sys()
	if _, err := p.CalculateCommissions(ctx, "2026-01"); err != nil {
		t.Fatal(err)
	}
	// The reference: one calculation over all the month's invoices, in the
	// run's order. 1,100 invoices of 163.09 are 179,399.00 of revenue:
	// 50,000.00 at 10%, 50,000.00 at 12% and 79,399.00 at 15%, which is
	// 22,909.85 before each line's share is rounded to the cent.
	invs, err := p.ListInvoices(ctx, atomix.InvoiceQuery{Month: "2026-01", Page: core.PageRequest{Limit: core.MaxLimit}})
	if err != nil || invs.Total != 1100 {
		t.Fatalf("invoices: %d, %v", invs.Total, err)
	}
	var all []billing.Invoice
	for pg := 1; len(all) < invs.Total; pg++ {
		page, err := p.ListInvoices(ctx, atomix.InvoiceQuery{Month: "2026-01", Page: core.PageRequest{Page: pg, Limit: core.MaxLimit}})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Items...)
	}
	plans, _ := p.ListCommissionPlans(ctx)
	in := commission.Input{Invoices: all, Owners: map[string]commission.Owner{}, Plans: map[string]commission.Plan{}, Month: "2026-01", Now: clk.now()}
	pr, err := p.Store().GetReseller(ctx, part)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range all {
		in.Owners[inv.ID] = commission.Owner{PartnerID: part, DistributorID: pr.DistributorID}
	}
	for _, pl := range plans {
		if pl.Level == commission.LevelPartner {
			in.Plans[part] = pl
		} else {
			in.Plans[pr.DistributorID] = pl
		}
	}
	ref, err := commission.Calculate(in)
	if err != nil {
		t.Fatal(err)
	}
	want := int64(0)
	for _, e := range ref {
		if e.Party == commission.PartyPartner {
			want += e.Amount
		}
	}
	if want < 2_290_985-3300 || want > 2_290_985+3300 {
		t.Fatalf("the reference: %d, want 2290985 within a cent a line", want)
	}
	if st := statementOf(t, p, part, "2026-01"); st.Total != want {
		t.Errorf("the partner's January: got %d, want %d", st.Total, want)
	}
	checks, err := p.Reconciliation(ctx, "2026-01")
	if err != nil || len(checks) != 1 || checks[0].Difference != 0 || checks[0].Invoiced != 1100*16309 {
		t.Errorf("reconciliation: got %+v, %v", checks, err)
	}
}

// TestCommissionUncollectibleThenPaid: a partner plan that claws back
// uncollectible invoices reverses them when marked so, and reinstates them
// when the invoice is paid after all; the month reconciles throughout.
func TestCommissionUncollectibleThenPaid(t *testing.T) {
	c := newChain(t)
	ctx := sys()
	plans, _ := c.p.ListCommissionPlans(ctx)
	for _, pl := range plans {
		if pl.Level == commission.LevelPartner {
			if _, err := c.p.AddCommissionVersion(ctx, pl.ID, commission.Version{Month: "2026-05", RateBP: 1500, ClawbackUncollectible: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.clk.set(time.Date(2026, time.June, 1, 2, 0, 0, 0, time.UTC))
	run, err := c.p.RunBilling(ctx, "2026-05", false)
	if err != nil || run.Created != 1 {
		t.Fatalf("RunBilling: %+v, %v", run, err)
	}
	if _, err := c.p.CalculateCommissions(ctx, "2026-05"); err != nil {
		t.Fatal(err)
	}
	balanced := func(when string, invoiced int64) {
		t.Helper()
		checks, err := c.p.Reconciliation(ctx, "2026-05")
		if err != nil || len(checks) != 1 || checks[0].Difference != 0 || checks[0].Invoiced != invoiced {
			t.Errorf("%s: reconciliation got %+v, %v, want %d invoiced, balanced", when, checks, err, invoiced)
		}
	}
	balanced("calculated", 14900)
	c.clk.set(time.Date(2026, time.June, 5, 0, 0, 0, 0, time.UTC))
	if _, err := c.p.SetInvoiceStatus(ctx, run.InvoiceIDs[0], billing.InvoiceUncollectible); err != nil {
		t.Fatal(err)
	}
	if june := statementOf(t, c.p, c.part.ID, "2026-06"); june.Total != -2235 {
		t.Errorf("June after uncollectible: got %d, want -2235", june.Total)
	}
	balanced("uncollectible", 0)
	if _, err := c.p.SetInvoiceStatus(ctx, run.InvoiceIDs[0], billing.InvoicePaid); err != nil {
		t.Fatal(err)
	}
	if june := statementOf(t, c.p, c.part.ID, "2026-06"); june.Total != 0 {
		t.Errorf("June after payment: got %d, want 0 (reversed, then reinstated)", june.Total)
	}
	if may := statementOf(t, c.p, c.part.ID, "2026-05"); may.Total != 2235 {
		t.Errorf("May: got %d, want 2235", may.Total)
	}
	balanced("paid", 14900)
}
