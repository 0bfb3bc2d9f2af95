package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// The commission endpoints: every response is validated against the
// document by e.do.

// moneyWire is money on the wire, for reading responses.
type moneyWire struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type commissionTotalWire struct {
	TenantID  string    `json:"tenantId"`
	SKU       *string   `json:"sku"`
	Currency  string    `json:"currency"`
	Earned    moneyWire `json:"earned"`
	Clawbacks moneyWire `json:"clawbacks"`
	Net       moneyWire `json:"net"`
	Lines     int       `json:"lines"`
}

type commissionSummaryWire struct {
	Period     string                `json:"period"`
	ResellerID string                `json:"resellerId"`
	ByCurrency []commissionTotalWire `json:"byCurrency"`
	ByTenant   []commissionTotalWire `json:"byTenant"`
	BySKU      []commissionTotalWire `json:"bySku"`
	Excluded   map[string]int        `json:"excluded"`
	Notes      []string              `json:"notes"`
}

type entryWire struct {
	TenantID      string    `json:"tenantId"`
	InvoiceID     string    `json:"invoiceId"`
	Line          int       `json:"line"`
	ResellerID    *string   `json:"resellerId"`
	Party         string    `json:"party"`
	Kind          string    `json:"kind"`
	Period        string    `json:"period"`
	InvoicePeriod string    `json:"invoicePeriod"`
	LineKind      string    `json:"lineKind"`
	SKU           *string   `json:"sku"`
	BillingPlan   *string   `json:"billingPlan"`
	NetAmount     moneyWire `json:"netAmount"`
	RateBP        int       `json:"rateBp"`
	Amount        moneyWire `json:"amount"`
	PlanID        *string   `json:"planId"`
	VersionMonth  *string   `json:"versionMonth"`
	Excluded      *string   `json:"excluded"`
}

type statementWire struct {
	ID         string      `json:"id"`
	ResellerID string      `json:"resellerId"`
	Period     string      `json:"period"`
	Currency   string      `json:"currency"`
	Status     string      `json:"status"`
	Total      moneyWire   `json:"total"`
	Entries    int         `json:"entries"`
	ClosedAt   *string     `json:"closedAt"`
	Items      []entryWire `json:"items"`
}

type commissionPlanWire struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Level    string `json:"level"`
	Versions []struct {
		Month    string         `json:"month"`
		RateBP   int            `json:"rateBp"`
		SKURates map[string]int `json:"skuRates"`
		TierMode *string        `json:"tierMode"`
	} `json:"versions"`
}

type reconciliationWire struct {
	Period     string `json:"period"`
	Currencies []struct {
		Currency     string    `json:"currency"`
		Invoiced     moneyWire `json:"invoiced"`
		Resellers    moneyWire `json:"resellers"`
		Platform     moneyWire `json:"platform"`
		Difference   moneyWire `json:"difference"`
		Invoices     int       `json:"invoices"`
		Uncalculated int       `json:"uncalculated"`
	} `json:"currencies"`
	Balanced bool `json:"balanced"`
}

// commissionChain is the must-show's world: distributor D on 10%, its
// partner P on 15%, and D2 with its partner P2 (outside D's and P's
// scope); months m0 (the plans' first), m1 (the invoice's) and m2 (the
// month after).
type commissionChain struct {
	e                 *authEnv
	d, p, d2, p2      string
	distPlan, prtPlan string
	tenant            string
	m0, m1, m2        string
}

// idOf reads the id of a created resource.
func idOf(t testing.TB, res *resp) string {
	t.Helper()
	return decodeInto[struct {
		ID string `json:"id"`
	}](t, res).ID
}

// staff creates a reseller's admin with testPassword.
func (c *commissionChain) staff(t *testing.T, email string, kind identity.ScopeKind, id string, role identity.Role) {
	t.Helper()
	if _, err := c.e.p.Identity().CreateUser(atomix.AsSystem(context.Background()), identity.CreateUserInput{
		Scope: identity.Scope{Kind: kind, ID: id}, Name: "Some One", Email: email, Role: role, Password: testPassword}); err != nil {
		t.Fatalf("creating %s: %v", email, err)
	}
}

func newCommissionChain(t *testing.T) *commissionChain {
	t.Helper()
	e := newAuthEnv(t, identity.EdDSA, nil)
	// The first of next month, so that the trial ends on the 15th and the
	// first paid period (the 15th to the 15th) is billed by the next
	// month's run.
	now := e.clock.now().UTC()
	first := time.Date(now.Year(), now.Month()+1, 1, 10, 0, 0, 0, time.UTC)
	e.clock.advance(first.Sub(now))
	c := &commissionChain{e: e, m0: first.Format("2006-01"), m1: first.AddDate(0, 1, 0).Format("2006-01"), m2: first.AddDate(0, 2, 0).Format("2006-01")}
	post := func(path, body string) string {
		t.Helper()
		res := e.do(t, req{method: "POST", path: path, body: body})
		res.wantStatus(t, http.StatusCreated)
		return idOf(t, res)
	}
	c.d = post("/distributors", resellerBody("Northwind Distribution", ""))
	c.p = post("/partners", resellerBody("Contoso Partners", c.d))
	c.d2 = post("/distributors", resellerBody("Southwind Distribution", ""))
	c.p2 = post("/partners", resellerBody("Fabrikam Partners", c.d2))
	res := e.do(t, req{method: "POST", path: "/commissions/plans", body: `{"name":"Distributors 10%","level":"distributor","versions":[{"month":"` + c.m0 + `","rateBp":1000}]}`})
	res.wantStatus(t, http.StatusCreated)
	c.distPlan = idOf(t, res)
	if loc := res.header.Get("Location"); loc != "/v1/commissions/plans/"+c.distPlan {
		t.Errorf("got Location %q, want /v1/commissions/plans/%s", loc, c.distPlan)
	}
	e.clock.advance(time.Second) // lists are ordered by creation
	c.prtPlan = post("/commissions/plans", `{"name":"Partners 15%","level":"partner","versions":[{"month":"`+c.m0+`","rateBp":1500}]}`)
	for _, a := range []struct{ path, plan string }{
		{"/distributors/" + c.d, c.distPlan}, {"/partners/" + c.p, c.prtPlan}, {"/distributors/" + c.d2, c.distPlan}, {"/partners/" + c.p2, c.prtPlan},
	} {
		e.do(t, req{method: "PUT", path: a.path + "/commission-plan", body: `{"planId":"` + a.plan + `"}`}).wantStatus(t, http.StatusOK)
	}
	// A tenant of P on plan_professional (149.00 USD), converted from its
	// 14-day trial.
	c.tenant = e.tenantOn(t, "acme", "plan_professional", map[string]any{"ownerId": c.p})
	res = e.do(t, req{method: "PUT", path: "/tenants/" + c.tenant + "/subscription", body: `{"activate":true}`})
	res.wantStatus(t, http.StatusOK)
	if sub := decodeInto[subBody](t, res); str(sub.TrialEnd) != first.AddDate(0, 0, 14).Truncate(24*time.Hour).Format(time.RFC3339) || sub.ConvertedAt == nil {
		t.Fatalf("the subscription: got trial end %s, converted %s; want the 15th, converted", str(sub.TrialEnd), str(sub.ConvertedAt))
	}
	// The first paid period ends on the 15th of m1: m1's run, once m1 and
	// its usage grace are over.
	next := first.AddDate(0, 2, 0).Add(-8 * time.Hour) // the first of m2, 02:00
	e.clock.advance(next.Sub(e.clock.now()))
	c.staff(t, "dist@northwind.example.com", identity.ScopeDistributor, c.d, identity.RoleDistributorAdmin)
	c.staff(t, "partner@contoso.example.com", identity.ScopePartner, c.p, identity.RolePartnerAdmin)
	return c
}

func (c *commissionChain) summary(t *testing.T, query, auth string) commissionSummaryWire {
	t.Helper()
	res := c.e.do(t, req{method: "GET", path: "/commissions/summary" + query, auth: auth})
	res.wantStatus(t, http.StatusOK)
	return decodeInto[commissionSummaryWire](t, res)
}

func (c *commissionChain) statements(t *testing.T, query string) []statementWire {
	t.Helper()
	res := c.e.do(t, req{method: "GET", path: "/commissions/statements" + query})
	res.wantStatus(t, http.StatusOK)
	return decodeInto[struct{ Data []statementWire }](t, res).Data
}

func (c *commissionChain) statement(t *testing.T, id string) (statementWire, []byte) {
	t.Helper()
	res := c.e.do(t, req{method: "GET", path: "/commissions/statements/" + id})
	res.wantStatus(t, http.StatusOK)
	return decodeInto[statementWire](t, res), res.body
}

func (c *commissionChain) reconcile(t *testing.T, month string) reconciliationWire {
	t.Helper()
	res := c.e.do(t, req{method: "GET", path: "/commissions/reconciliation?period=" + month})
	res.wantStatus(t, http.StatusOK)
	return decodeInto[reconciliationWire](t, res)
}

// TestCommissionMustShow is the must-show over HTTP: a partner on
// 15% under a distributor on 10% earn 22.35 and 14.90 of a 149.00
// invoice, the platform keeps 111.75, the books balance; a closed
// statement never changes, and voiding the invoice the next month claws
// the shares back in that month's statements.
func TestCommissionMustShow(t *testing.T) {
	c := newCommissionChain(t)
	e := c.e
	res := e.do(t, req{method: "POST", path: "/billing/runs", body: `{"period":"` + c.m1 + `"}`})
	res.wantStatus(t, http.StatusOK)
	bill := decodeInto[struct {
		Created    int      `json:"created"`
		InvoiceIDs []string `json:"invoiceIds"`
	}](t, res)
	if bill.Created != 1 {
		t.Fatalf("the billing run of %s: got %s, want one invoice", c.m1, res.body)
	}
	inv := bill.InvoiceIDs[0]

	type runWire struct {
		Period   string `json:"period"`
		Invoices int    `json:"invoices"`
		Created  int    `json:"created"`
		Existing int    `json:"existing"`
	}
	run := func() runWire {
		t.Helper()
		res := e.do(t, req{method: "POST", path: "/commissions/runs", body: `{"period":"` + c.m1 + `"}`})
		res.wantStatus(t, http.StatusOK)
		return decodeInto[runWire](t, res)
	}
	if got, want := run(), (runWire{Period: c.m1, Invoices: 1, Created: 3}); got != want {
		t.Errorf("the commission run: got %+v, want %+v (the partner's, the distributor's and the platform's entries)", got, want)
	}
	if got, want := run(), (runWire{Period: c.m1, Invoices: 1, Existing: 3}); got != want {
		t.Errorf("the second run: got %+v, want %+v", got, want)
	}

	usd := func(a int64) moneyWire { return moneyWire{Amount: a, Currency: "USD"} }
	dist := bearer(e.login(t, "dist@northwind.example.com", testPassword, "").tokens(t).AccessToken)
	partner := bearer(e.login(t, "partner@contoso.example.com", testPassword, "").tokens(t).AccessToken)
	for _, tt := range []struct {
		name, query, auth, reseller string
		net                         int64
	}{
		{"the partner", "?period=" + c.m1 + "&partnerId=" + c.p, "", c.p, 2235},
		{"the distributor", "?period=" + c.m1 + "&distributorId=" + c.d, "", c.d, 1490},
		{"the partner itself", "?period=" + c.m1, partner, c.p, 2235},
		{"the distributor itself", "?period=" + c.m1, dist, c.d, 1490},
		{"the distributor's partner", "?period=" + c.m1 + "&partnerId=" + c.p, dist, c.p, 2235},
	} {
		s := c.summary(t, tt.query, tt.auth)
		want := commissionTotalWire{Currency: "USD", Earned: usd(tt.net), Clawbacks: usd(0), Net: usd(tt.net), Lines: 1}
		if s.Period != c.m1 || s.ResellerID != tt.reseller || len(s.ByCurrency) != 1 || s.ByCurrency[0] != want {
			t.Errorf("%s's summary: got %+v, want %s with %+v", tt.name, s, tt.reseller, want)
			continue
		}
		if len(s.ByTenant) != 1 || s.ByTenant[0].TenantID != c.tenant || len(s.BySKU) != 1 || s.BySKU[0].SKU != nil ||
			len(s.Excluded) != 0 || len(s.Notes) != 0 {
			t.Errorf("%s's summary: got %+v, want the tenant, one subscription line (sku null), nothing excluded", tt.name, s)
		}
	}

	sts := c.statements(t, "?period="+c.m1)
	if len(sts) != 2 {
		t.Fatalf("GET /commissions/statements?period=%s: got %+v, want the distributor's and the partner's", c.m1, sts)
	}
	var stP statementWire
	for _, st := range sts {
		want := map[string]int64{c.d: 1490, c.p: 2235}[st.ResellerID]
		if st.Status != "draft" || st.Total != usd(want) || st.Entries != 1 || st.Period != c.m1 || st.ClosedAt != nil {
			t.Errorf("statement of %s: got %+v, want a draft of %d", st.ResellerID, st, want)
		}
		if st.ResellerID == c.p {
			stP = st
		}
	}
	got, _ := c.statement(t, stP.ID)
	wantItem := entryWire{TenantID: c.tenant, InvoiceID: inv, ResellerID: &c.p, Party: "partner", Kind: "earned", Period: c.m1,
		InvoicePeriod: c.m1, LineKind: "subscription", BillingPlan: new("plan_professional"), NetAmount: usd(14900), RateBP: 1500,
		Amount: usd(2235), PlanID: &c.prtPlan, VersionMonth: &c.m0}
	if len(got.Items) != 1 || got.Total != usd(2235) {
		t.Fatalf("the partner's statement: got %+v, want one entry of 22.35", got)
	}
	if diff := cmp.Diff(wantItem, got.Items[0]); diff != "" {
		t.Errorf("the partner's entry (-want +got):\n%s", diff)
	}

	rec := c.reconcile(t, c.m1)
	if len(rec.Currencies) != 1 || !rec.Balanced {
		t.Fatalf("the reconciliation: got %+v, want one balanced currency", rec)
	}
	if ch := rec.Currencies[0]; ch.Invoiced != usd(14900) || ch.Resellers != usd(3725) || ch.Platform != usd(11175) ||
		ch.Difference != usd(0) || ch.Invoices != 1 || ch.Uncalculated != 0 {
		t.Errorf("the reconciliation: got %+v, want 149.00 invoiced, 37.25 to the resellers, 111.75 to the platform, difference 0", ch)
	}

	// Close the partner's statement of m1; it never changes again.
	res = e.do(t, req{method: "POST", path: "/commissions/statements/" + stP.ID + "/close"})
	res.wantStatus(t, http.StatusOK)
	if cl := decodeInto[statementWire](t, res); cl.Status != "closed" || cl.ClosedAt == nil || cl.Total != usd(2235) || cl.Entries != 1 {
		t.Errorf("the closed statement: got %+v, want closed with 22.35 in 1 entry", cl)
	}
	_, closedBody := c.statement(t, stP.ID)

	// m2: void the invoice; the reversal lands in m2's statements.
	e.do(t, req{method: "POST", path: "/invoices/" + inv + "/void"}).wantStatus(t, http.StatusOK)
	if _, body := c.statement(t, stP.ID); string(body) != string(closedBody) {
		t.Errorf("the closed statement changed:\n got %s\nwant %s", body, closedBody)
	}
	claw := c.statements(t, "?period="+c.m2+"&resellerId="+c.p)
	if len(claw) != 1 || claw[0].Total != usd(-2235) || claw[0].Status != "draft" {
		t.Fatalf("the partner's statements of %s: got %+v, want one draft of -22.35", c.m2, claw)
	}
	st2, _ := c.statement(t, claw[0].ID)
	wantClaw := wantItem
	wantClaw.Kind, wantClaw.Period, wantClaw.Amount = "clawback", c.m2, usd(-2235)
	if len(st2.Items) != 1 {
		t.Fatalf("the partner's statement of %s: got %+v, want the clawback", c.m2, st2)
	}
	if diff := cmp.Diff(wantClaw, st2.Items[0]); diff != "" {
		t.Errorf("the clawback (-want +got):\n%s", diff)
	}
	s := c.summary(t, "?period="+c.m2, partner)
	if len(s.ByCurrency) != 1 || s.ByCurrency[0].Clawbacks != usd(-2235) || s.ByCurrency[0].Net != usd(-2235) || s.ByCurrency[0].Earned != usd(0) {
		t.Errorf("the partner's summary of %s: got %+v, want -22.35 clawed back", c.m2, s.ByCurrency)
	}
	if d := c.statements(t, "?period="+c.m2+"&resellerId="+c.d); len(d) != 1 || d[0].Total != usd(-1490) {
		t.Errorf("the distributor's statements of %s: got %+v, want one of -14.90", c.m2, d)
	}
	// The void invoice's shares sum to nothing: m1 still balances.
	rec = c.reconcile(t, c.m1)
	if len(rec.Currencies) != 1 || !rec.Balanced || rec.Currencies[0].Resellers != usd(0) || rec.Currencies[0].Platform != usd(0) || rec.Currencies[0].Invoiced != usd(0) {
		t.Errorf("the reconciliation after the void: got %+v, want all zero, balanced", rec)
	}
	if got := c.statements(t, "?status=closed"); len(got) != 1 || got[0].ID != stP.ID {
		t.Errorf("GET /commissions/statements?status=closed: got %+v, want the partner's of %s", got, c.m1)
	}

	// Out of scope, refused and bad input.
	c.staff(t, "dist@southwind.example.com", identity.ScopeDistributor, c.d2, identity.RoleDistributorAdmin)
	dist2 := bearer(e.login(t, "dist@southwind.example.com", testPassword, "").tokens(t).AccessToken)
	admin := e.adminOf(t, "acme", c.tenant)
	var stD string
	for _, st := range sts {
		if st.ResellerID == c.d {
			stD = st.ID
		}
	}
	sum := func(query, auth string) req {
		return req{method: "GET", path: "/commissions/summary?" + query, auth: auth}
	}
	m1 := "period=" + c.m1
	e.run(t, []billCase{
		{"close twice", req{method: "POST", path: "/commissions/statements/" + stP.ID + "/close"}, 409, "statement_closed", nil},
		{"close a month not over", req{method: "POST", path: "/commissions/statements/" + claw[0].ID + "/close"}, 422, "period_in_future", nil},
		{"close an unknown statement", req{method: "POST", path: "/commissions/statements/cst_doesnotexist000000000/close"}, 404, "not_found", nil},
		{"read an unknown statement", req{method: "GET", path: "/commissions/statements/cst_doesnotexist000000000"}, 404, "not_found", nil},
		{"read a malformed statement ID", req{method: "GET", path: "/commissions/statements/inv_1"}, 404, "not_found", nil},
		{"a summary of month 13", sum("period=2026-13&partnerId="+c.p, ""), 422, "invalid", []string{"period"}},
		{"a summary without a month", sum("partnerId="+c.p, ""), 422, "invalid", []string{"period"}},
		{"a summary of both", sum(m1+"&partnerId="+c.p+"&distributorId="+c.d, ""), 422, "invalid", []string{"distributorId", "partnerId"}},
		{"a summary of nobody by the platform", sum(m1, ""), 422, "invalid", []string{"distributorId", "partnerId"}},
		{"a distributor as partnerId", sum(m1+"&partnerId="+c.d, ""), 422, "invalid", []string{"partnerId"}},
		{"a partner as distributorId", sum(m1+"&distributorId="+c.p, ""), 422, "invalid", []string{"distributorId"}},
		{"an unknown parameter", sum(m1+"&tenantId="+c.tenant, partner), 422, "invalid", []string{"tenantId"}},
		{"a summary of an unknown partner", sum(m1+"&partnerId=prt_doesnotexist000000000", ""), 404, "not_found", nil},
		{"a summary of another distributor's partner", sum(m1+"&partnerId="+c.p2, dist), 404, "not_found", nil},
		{"a summary of another distributor", sum(m1+"&distributorId="+c.d2, dist), 404, "not_found", nil},
		{"the partner's summary of its distributor", sum(m1+"&distributorId="+c.d, partner), 404, "not_found", nil},
		{"another distributor reads the partner's", sum(m1+"&partnerId="+c.p, dist2), 404, "not_found", nil},
		{"a tenant admin's summary", sum(m1, admin), 403, "forbidden", nil},
		{"no credentials", sum(m1, "-"), 401, "unauthenticated", nil},
		{"the partner reads the distributor's statement", req{method: "GET", path: "/commissions/statements/" + stD, auth: partner}, 404, "not_found", nil},
		{"another distributor reads the partner's statement", req{method: "GET", path: "/commissions/statements/" + stP.ID, auth: dist2}, 404, "not_found", nil},
		{"the distributor reads its partner's statement", req{method: "GET", path: "/commissions/statements/" + stP.ID, auth: dist}, 200, "", nil},
		{"a tenant admin reads a statement", req{method: "GET", path: "/commissions/statements/" + stP.ID, auth: admin}, 403, "forbidden", nil},
		{"the distributor closes", req{method: "POST", path: "/commissions/statements/" + stD + "/close", auth: dist}, 403, "forbidden", nil},
		{"bad statement filters", req{method: "GET", path: "/commissions/statements?period=2026-13&status=open&page=0&sort=id"}, 422, "invalid", []string{"page", "period", "sort", "status"}},
		{"a tenant admin lists statements", req{method: "GET", path: "/commissions/statements", auth: admin}, 403, "forbidden", nil},
		{"a reconciliation without a month", req{method: "GET", path: "/commissions/reconciliation"}, 422, "invalid", []string{"period"}},
		{"a reconciliation of month 13", req{method: "GET", path: "/commissions/reconciliation?period=2026-13"}, 422, "invalid", []string{"period"}},
		{"the distributor reconciles", req{method: "GET", path: "/commissions/reconciliation?" + m1, auth: dist}, 403, "forbidden", nil},
		{"a run of month 13", req{method: "POST", path: "/commissions/runs", body: `{"period":"2026-13"}`}, 422, "invalid", []string{"period"}},
		{"a run without a month", req{method: "POST", path: "/commissions/runs", body: `{}`}, 422, "invalid", []string{"period"}},
		{"a run of a month not over", req{method: "POST", path: "/commissions/runs", body: `{"period":"` + c.m2 + `"}`}, 422, "period_in_future", nil},
		{"a run with an unknown field", req{method: "POST", path: "/commissions/runs", body: `{"period":"` + c.m1 + `","draft":true}`}, 400, "unknown_field", []string{"draft"}},
		{"the partner runs", req{method: "POST", path: "/commissions/runs", body: `{"period":"` + c.m1 + `"}`, auth: partner}, 403, "forbidden", nil},
	})
	if got := decodeInto[struct{ Data []statementWire }](t, e.do(t, req{method: "GET", path: "/commissions/statements", auth: partner})).Data; len(got) != 2 ||
		got[0].ResellerID != c.p || got[1].ResellerID != c.p {
		t.Errorf("GET /commissions/statements as the partner: got %+v, want its two only", got)
	}
	if got := decodeInto[struct{ Data []statementWire }](t, e.do(t, req{method: "GET", path: "/commissions/statements?resellerId=" + c.d, auth: partner})).Data; len(got) != 0 {
		t.Errorf("GET /commissions/statements?resellerId=<its distributor> as the partner: got %+v, want none", got)
	}
	if got := decodeInto[struct{ Data []statementWire }](t, e.do(t, req{method: "GET", path: "/commissions/statements", auth: dist})).Data; len(got) != 4 {
		t.Errorf("GET /commissions/statements as the distributor: got %d, want its own and its partner's, 4", len(got))
	}
	if got := decodeInto[struct{ Data []statementWire }](t, e.do(t, req{method: "GET", path: "/commissions/statements", auth: dist2})).Data; len(got) != 0 {
		t.Errorf("GET /commissions/statements as another distributor: got %+v, want none", got)
	}
}

func TestCommissionPlanEndpoints(t *testing.T) {
	c := newCommissionChain(t) // the clock is in m2 now
	e := c.e
	partner := bearer(e.login(t, "partner@contoso.example.com", testPassword, "").tokens(t).AccessToken)
	m3 := func() string {
		m, _ := time.Parse("2006-01", c.m2)
		return m.AddDate(0, 1, 0).Format("2006-01")
	}()

	res := e.do(t, req{method: "GET", path: "/commissions/plans"})
	res.wantStatus(t, http.StatusOK)
	list := decodeInto[struct{ Data []commissionPlanWire }](t, res).Data
	if len(list) != 2 || list[0].ID != c.distPlan || list[1].ID != c.prtPlan || list[1].Level != "partner" || list[1].Versions[0].RateBP != 1500 {
		t.Errorf("GET /commissions/plans: got %+v, want the distributors' then the partners' plan", list)
	}
	if got := decodeInto[struct{ Data []commissionPlanWire }](t, e.do(t, req{method: "GET", path: "/commissions/plans?limit=1&page=2"})).Data; len(got) != 1 || got[0].ID != c.prtPlan {
		t.Errorf("GET /commissions/plans page 2 of 1: got %+v, want the partners' plan", got)
	}
	res = e.do(t, req{method: "POST", path: "/commissions/plans/" + c.prtPlan + "/versions",
		body: `{"month":"` + m3 + `","rateBp":1200,"skuRates":{"api_calls":500},"tiers":[{"upTo":100000,"rateBp":1000},{"upTo":null,"rateBp":1400}],"tierMode":"graduated","tierCurrency":"USD"}`})
	res.wantStatus(t, http.StatusOK)
	pl := decodeInto[commissionPlanWire](t, res)
	if len(pl.Versions) != 2 || pl.Versions[1].Month != m3 || pl.Versions[1].SKURates["api_calls"] != 500 || str(pl.Versions[1].TierMode) != "graduated" ||
		pl.Versions[0].TierMode != nil {
		t.Errorf("after a new version: got %+v, want the %s version with its overrides and tiers", pl, m3)
	}
	res = e.do(t, req{method: "GET", path: "/commissions/plans/" + c.prtPlan})
	res.wantStatus(t, http.StatusOK)
	if got := decodeInto[commissionPlanWire](t, res); !cmp.Equal(got, pl) {
		t.Errorf("GET /commissions/plans/%s: got %+v, want %+v", c.prtPlan, got, pl)
	}
	// A fresh partner and plan to assign.
	res = e.do(t, req{method: "POST", path: "/partners", body: resellerBody("Tailspin Partners", c.d)})
	res.wantStatus(t, http.StatusCreated)
	fresh := idOf(t, res)
	res = e.do(t, req{method: "PUT", path: "/partners/" + fresh + "/commission-plan", body: `{"planId":"` + c.prtPlan + `"}`})
	res.wantStatus(t, http.StatusOK)
	if a := decodeInto[struct {
		ResellerID string `json:"resellerId"`
		PlanID     string `json:"planId"`
		UpdatedAt  string `json:"updatedAt"`
	}](t, res); a.ResellerID != fresh || a.PlanID != c.prtPlan || a.UpdatedAt == "" {
		t.Errorf("the assignment: got %+v, want %s on %s", a, fresh, c.prtPlan)
	}
	greedy := idOf(t, e.do(t, req{method: "POST", path: "/commissions/plans", body: `{"name":"Greedy","level":"partner","versions":[{"month":"` + c.m2 + `","rateBp":9500}]}`}))

	plans := func(body string) req { return req{method: "POST", path: "/commissions/plans", body: body} }
	version := func(planID, body string) req {
		return req{method: "POST", path: "/commissions/plans/" + planID + "/versions", body: body}
	}
	assign := func(path, body string) req { return req{method: "PUT", path: path + "/commission-plan", body: body} }
	v := func(month, rest string) string { return `{"month":"` + month + `"` + rest + `}` }
	e.run(t, []billCase{
		{"two versions in one month", plans(`{"name":"X","level":"partner","versions":[` + v(c.m2, `,"rateBp":100`) + `,` + v(c.m2, `,"rateBp":200`) + `]}`), 409, "commission_overlap", nil},
		{"a version in a month over", plans(`{"name":"X","level":"partner","versions":[` + v(c.m1, `,"rateBp":100`) + `]}`), 422, "commission_past_period", nil},
		{"versions out of order", plans(`{"name":"X","level":"partner","versions":[` + v(m3, "") + `,` + v(c.m2, "") + `]}`), 422, "invalid", []string{"versions"}},
		{"a rate over 100%", plans(`{"name":"X","level":"partner","versions":[` + v(c.m2, `,"rateBp":10001`) + `]}`), 422, "invalid", []string{"versions[0].rateBp"}},
		{"every bad field at once", plans(`{"id":"plan_x","name":"","level":"reseller","versions":[` + v("2026-13", `,"rateBp":-1,"tierCurrency":"XXX"`) + `]}`), 422, "invalid",
			[]string{"id", "level", "name", "versions[0].month", "versions[0].rateBp", "versions[0].tierCurrency"}},
		{"no versions", plans(`{"name":"X","level":"partner","versions":[]}`), 422, "invalid", []string{"versions"}},
		{"tiers without mode or currency", plans(`{"name":"X","level":"partner","versions":[` + v(c.m2, `,"tiers":[{"upTo":null,"rateBp":100}]`) + `]}`), 422, "invalid",
			[]string{"versions[0].tierCurrency", "versions[0].tierMode"}},
		{"a fractional rate", plans(`{"name":"X","level":"partner","versions":[` + v(c.m2, `,"rateBp":12.5`) + `]}`), 400, "invalid_type", nil},
		{"an unknown field", plans(`{"name":"X","level":"partner","rate":1,"versions":[]}`), 400, "unknown_field", []string{"rate"}},
		{"a taken ID", plans(`{"id":"` + c.prtPlan + `","name":"X","level":"partner","versions":[` + v(c.m2, "") + `]}`), 409, "conflict", nil},
		{"the partner creates a plan", req{method: "POST", path: "/commissions/plans", body: `{"name":"X","level":"partner","versions":[]}`, auth: partner}, 403, "forbidden", nil},
		{"the partner lists plans", req{method: "GET", path: "/commissions/plans", auth: partner}, 403, "forbidden", nil},
		{"the partner reads a plan", req{method: "GET", path: "/commissions/plans/" + c.prtPlan, auth: partner}, 403, "forbidden", nil},
		{"a bad page", req{method: "GET", path: "/commissions/plans?page=0"}, 422, "invalid", []string{"page"}},
		{"an unknown plan", req{method: "GET", path: "/commissions/plans/cpl_doesnotexist000000000"}, 404, "not_found", nil},
		{"a billing plan's ID", req{method: "GET", path: "/commissions/plans/plan_starter"}, 404, "not_found", nil},
		{"no credentials", req{method: "GET", path: "/commissions/plans", auth: "-"}, 401, "unauthenticated", nil},

		{"a version again in its month", version(c.prtPlan, v(m3, `,"rateBp":100`)), 409, "commission_overlap", nil},
		{"a version in a month over", version(c.prtPlan, v(c.m1, `,"rateBp":100`)), 422, "commission_past_period", nil},
		{"a version's bad fields", version(c.prtPlan, v("2026-1", `,"rateBp":-5,"skuRates":{"sms":20000},"tierCurrency":"ABC"`)), 422, "invalid",
			[]string{"month", "rateBp", "skuRates.sms", "tierCurrency"}},
		{"a version's bad tiers", version(c.prtPlan, v(c.m2, `,"tiers":[{"upTo":null,"rateBp":100},{"upTo":5,"rateBp":100}],"tierMode":"flat","tierCurrency":"USD"`)), 422, "invalid",
			[]string{"tierMode", "tiers[0].upTo", "tiers[1].upTo"}},
		{"a version taking the chain over 100%", version(c.prtPlan, v("2099-01", `,"rateBp":9500`)), 422, "commission_rates_exceed", nil},
		{"a version of an unknown plan", version("cpl_doesnotexist000000000", v(m3, "")), 404, "not_found", nil},
		{"the partner adds a version", req{method: "POST", path: "/commissions/plans/" + c.prtPlan + "/versions", body: v("2099-01", ""), auth: partner}, 403, "forbidden", nil},

		{"rates over 100% together", assign("/partners/"+fresh, `{"planId":"`+greedy+`"}`), 422, "commission_rates_exceed", nil},
		{"a partner plan for a distributor", assign("/distributors/"+c.d, `{"planId":"`+c.prtPlan+`"}`), 422, "invalid", []string{"planId"}},
		{"an unknown plan", assign("/partners/"+fresh, `{"planId":"cpl_doesnotexist000000000"}`), 422, "invalid", []string{"planId"}},
		{"no plan", assign("/partners/"+fresh, `{}`), 422, "invalid", []string{"planId"}},
		{"an unknown distributor", assign("/distributors/dist_doesnotexist000000000", `{"planId":"`+c.distPlan+`"}`), 404, "not_found", nil},
		{"a partner on the distributors' path", assign("/distributors/"+c.p, `{"planId":"`+c.prtPlan+`"}`), 404, "not_found", nil},
		{"a distributor on the partners' path", assign("/partners/"+c.d, `{"planId":"`+c.distPlan+`"}`), 404, "not_found", nil},
		{"an unknown field", assign("/partners/"+fresh, `{"plan":"x"}`), 400, "unknown_field", []string{"plan"}},
		{"the partner assigns itself", req{method: "PUT", path: "/partners/" + c.p + "/commission-plan", body: `{"planId":"` + c.prtPlan + `"}`, auth: partner}, 403, "forbidden", nil},
	})
	// The refused version and assignment changed nothing.
	if got := decodeInto[commissionPlanWire](t, e.do(t, req{method: "GET", path: "/commissions/plans/" + c.prtPlan})); len(got.Versions) != 2 {
		t.Errorf("after the refused versions: got %d versions, want 2", len(got.Versions))
	}
	var months []string
	for _, v := range decodeInto[commissionPlanWire](t, e.do(t, req{method: "GET", path: "/commissions/plans/" + c.prtPlan})).Versions {
		months = append(months, v.Month)
	}
	if want := []string{c.m0, m3}; !slices.Equal(months, want) {
		t.Errorf("the plan's versions: got %q, want %q", months, want)
	}
	if s := c.summary(t, "?period="+c.m2+"&partnerId="+fresh, ""); len(s.Notes) != 0 || len(s.ByCurrency) != 0 {
		t.Errorf("the fresh partner's summary: got %+v, want nothing and no note (it has a plan in force)", s)
	}
	res = e.do(t, req{method: "POST", path: "/partners", body: resellerBody("Planless Partners", c.d)})
	planless := idOf(t, res)
	if s := c.summary(t, "?period="+c.m2+"&partnerId="+planless, ""); len(s.Notes) != 1 || !strings.Contains(s.Notes[0], "no commission plan") {
		t.Errorf("a partner without a plan: got notes %q, want one saying it has no commission plan", s.Notes)
	}
}

// commissionBenchTenants is the number of tenants of the benchmark's
// partner: the answers stay under the 64 KiB that benchServe's loopback
// reader holds.
const commissionBenchTenants = 100

// BenchmarkCommissionEndpoints reads, through the real handler, the
// summary and the statement of a partner whose 100 tenants' invoices a
// run split with its distributor: 100 entries each.
func BenchmarkCommissionEndpoints(b *testing.B) {
	clk := &clock{t: time.Date(2026, time.March, 1, 10, 0, 0, 0, time.UTC)}
	p, err := atomix.New(memory.New(), atomix.WithClock(clk.now))
	if err != nil {
		b.Fatal(err)
	}
	seedPlans(b, p)
	ctx := atomix.AsSystem(context.Background())
	rs := p.Resellers()
	in := reseller.Input{Name: "Northwind Distribution", Contact: tenant.Contact{Name: "Mia Wong", Email: "mia@example.com"},
		Address: reseller.Address{Line1: "100 George St", Postcode: "2000", City: "Sydney", Country: "AU"}}
	dist, err := rs.CreateDistributor(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	in.Name, in.DistributorID = "Contoso Partners", dist.ID
	part, err := rs.CreatePartner(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		id    string
		level commission.Level
		bp    int
	}{{dist.ID, commission.LevelDistributor, 1000}, {part.ID, commission.LevelPartner, 1500}} {
		pl, err := p.CreateCommissionPlan(ctx, commission.Plan{Name: string(c.level), Level: c.level,
			Versions: []commission.Version{{Month: "2026-03", RateBP: c.bp}}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.AssignCommissionPlan(ctx, c.id, pl.ID); err != nil {
			b.Fatal(err)
		}
	}
	for i := range commissionBenchTenants {
		if _, err := p.CreateTenant(ctx, atomix.CreateTenantInput{Name: fmt.Sprintf("Company %04d", i), Subdomain: fmt.Sprintf("company-%04d", i),
			PlanID: "plan_enterprise", OwnerID: part.ID, Contact: tenant.Contact{Name: "John Doe", Email: "john@acme.com"}}); err != nil {
			b.Fatal(err)
		}
	}
	clk.set(time.Date(2026, time.April, 1, 2, 0, 0, 0, time.UTC))
	if run, err := p.RunBilling(ctx, "2026-03", false); err != nil || run.Created != commissionBenchTenants {
		b.Fatalf("the billing run: got %+v, %v", run, err)
	}
	if run, err := p.CalculateCommissions(ctx, "2026-03"); err != nil || run.Created != 3*commissionBenchTenants {
		b.Fatalf("the commission run: got %+v, %v", run, err)
	}
	pg, err := p.ListStatements(ctx, atomix.StatementQuery{ResellerID: part.ID})
	if err != nil || len(pg.Items) != 1 {
		b.Fatalf("the partner's statements: got %+v, %v", pg.Items, err)
	}
	h := httpapi.New(p, httpapi.WithAPIKey(testKey))
	for _, bc := range []struct{ name, path string }{
		{"summary", "/v1/commissions/summary?period=2026-03&partnerId=" + part.ID},
		{"statement", "/v1/commissions/statements/" + pg.Items[0].ID},
	} {
		b.Run(bc.name, func(b *testing.B) { benchServe(b, h, bc.path, answer(b, h, bc.path)) })
	}
}
