package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/settings"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// The fuzz targets send arbitrary request bodies (FuzzBodies) and query
// strings (FuzzQueries) to every operation that reads one, through the
// real handler over a memory store holding a small world, with the
// platform API key. Every answer must be below 500, be JSON (a problem
// with application/problem+json for 4xx) and match the served OpenAPI
// document; a refused request (4xx), and any GET, must leave the store's
// fingerprint (fuzzWorld.fingerprint) unchanged.
//
//	go test -run '^$' -fuzz '^FuzzBodies$' -fuzztime 60s ./httpapi/
//	go test -run '^$' -fuzz '^FuzzQueries$' -fuzztime 60s ./httpapi/

// fuzzWorld is an env over a memory store kept at hand for fingerprints,
// with a record of each kind for the paths' IDs: distributor d, partners
// p and p2 under it, tenant tn owned by p with user u, tenant spare for
// the status changes, a bare tenant (no plan) to subscribe, the invoices
// of month (a draft and two open), the commission plans of d and p and
// their statements, and a SKU pricing "api_calls".
type fuzzWorld struct {
	*env
	st                   *memory.Store
	d, p, p2             string
	tn, u, email, bare   string
	spare                string // the tenant suspended, activated and cancelled
	month                string
	draft, open, open2   string // open2 is marked uncollectible
	distPlan, prtPlan    string
	stmtDist, stmtPrt    string
	nextMonth, thisMonth string
	usageAt              string // a usage timestamp in the current period
}

func newFuzzWorld(f testing.TB) *fuzzWorld {
	f.Helper()
	start := time.Date(2026, 1, 16, 12, 0, 0, 0, time.UTC)
	clk := &clock{t: start}
	st := memory.New()
	cfg := testIdentity(nil)
	cfg.OTP.Sender = discardSMS{} // without one, sending a code is an internal error
	p, err := atomix.New(st, atomix.WithClock(clk.now), atomix.WithLimits(atom.StaticLimits{"plan_starter": 5}),
		atomix.WithIdentity(cfg))
	if err != nil {
		f.Fatalf("atomix.New: %v", err)
	}
	clk.set(start.Add(-time.Hour))
	seedPlans(f, p)
	clk.set(start)
	publishDemo(f, p)
	e := &env{p: p, clk: clk, logs: &syncBuffer{}}
	e.h = httpapi.New(p, httpapi.WithAPIKey(testKey), httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	e.loadDoc(f)
	w := &fuzzWorld{env: e, st: st}

	ctx := atomix.AsSystem(context.Background())
	must := func(what string, err error) {
		if err != nil {
			f.Fatalf("%s: %v", what, err)
		}
	}
	mkReseller := func(name, dist string) string {
		in := reseller.Input{Name: name, Contact: tenant.Contact{Name: "Mia Wong", Email: "mia@example.com"},
			Address: reseller.Address{Line1: "100 George St", Postcode: "2000", City: "Sydney", Country: "AU"}, DistributorID: dist}
		var r reseller.Reseller
		var err error
		if dist == "" {
			r, err = p.Resellers().CreateDistributor(ctx, in)
		} else {
			r, err = p.Resellers().CreatePartner(ctx, in)
		}
		must("creating a reseller", err)
		return r.ID
	}
	w.d = mkReseller("Fuzz Distribution", "")
	w.p = mkReseller("Fuzz Partner", w.d)
	w.p2 = mkReseller("Fuzz Second Partner", w.d)
	mkTenant := func(sub, plan string) string {
		out, err := p.CreateTenant(ctx, atomix.CreateTenantInput{Name: "Tenant " + sub, Subdomain: sub, OwnerID: w.p,
			InitialAtoms: []string{"atom_task"}, PlanID: plan, Password: testPassword,
			Contact: tenant.Contact{Name: "Jane Roe", Email: "jane@" + sub + ".example.com"}})
		must("creating a tenant", err)
		return out.Tenant.ID
	}
	w.tn = mkTenant("fuzzalpha", "plan_enterprise")
	w.email = "member@fuzzalpha.example.com"
	u, err := p.Identity().CreateUser(ctx, identity.CreateUserInput{TenantID: w.tn, Name: "Fuzz Member",
		Email: w.email, Role: identity.RoleTenantMember, Password: testPassword})
	must("creating a user", err)
	w.u = u.ID
	second := mkTenant("fuzzbravo", "plan_enterprise")
	w.spare = mkTenant("fuzzcharlie", "plan_enterprise")

	month := commission.MonthOf(clk.now())
	mkPlan := func(level commission.Level, bp int, resellerID string) string {
		pl, err := p.CreateCommissionPlan(ctx, commission.Plan{Name: "Fuzz " + string(level), Level: level,
			Versions: []commission.Version{{Month: month, RateBP: bp}}})
		must("creating a commission plan", err)
		_, err = p.AssignCommissionPlan(ctx, resellerID, pl.ID)
		must("assigning a commission plan", err)
		return pl.ID
	}
	w.distPlan = mkPlan(commission.LevelDistributor, 1000, w.d)
	w.prtPlan = mkPlan(commission.LevelPartner, 1500, w.p)

	// Bill the first period's month as drafts, as in isolation_test.go.
	now := clk.now()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	last := billing.Cycle{Interval: billing.Monthly, Anchor: day}.Boundary(1).AddDate(0, 0, -1)
	w.month = last.Format("2006-01")
	clk.set(time.Date(last.Year(), last.Month()+1, 1, 2, 0, 0, 0, time.UTC))
	_, err = p.RunBilling(ctx, w.month, true)
	must("running billing", err)
	inv := func(tenantID string) string {
		pg, err := p.ListInvoices(ctx, atomix.InvoiceQuery{TenantID: tenantID})
		if err != nil || len(pg.Items) != 1 {
			f.Fatalf("the invoices of %s: got %d, %v; want one", tenantID, len(pg.Items), err)
		}
		return pg.Items[0].ID
	}
	w.draft = inv(second)
	open, err := p.SetInvoiceStatus(ctx, inv(w.tn), billing.InvoiceOpen)
	must("finalizing", err)
	w.open = open.ID
	open, err = p.SetInvoiceStatus(ctx, inv(w.spare), billing.InvoiceOpen)
	must("finalizing", err)
	w.open2 = open.ID
	_, err = p.CalculateCommissions(ctx, w.month)
	must("running commissions", err)
	stmt := func(resellerID string) string {
		pg, err := p.ListStatements(ctx, atomix.StatementQuery{ResellerID: resellerID, Month: w.month})
		if err != nil || len(pg.Items) != 1 {
			f.Fatalf("the statements of %s: got %d, %v; want one", resellerID, len(pg.Items), err)
		}
		return pg.Items[0].ID
	}
	w.stmtDist, w.stmtPrt = stmt(w.d), stmt(w.p)
	now = clk.now().UTC()
	w.usageAt = now.Add(-time.Minute).Format(time.RFC3339)
	w.thisMonth = now.Format("2006-01")
	w.nextMonth = time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	out, err := p.CreateTenant(ctx, atomix.CreateTenantInput{Name: "Tenant fuzzbare", Subdomain: "fuzzbare", OwnerID: w.p,
		Contact: tenant.Contact{Name: "Jo Bare", Email: "jo@fuzzbare.example.com"}})
	must("creating a bare tenant", err)
	w.bare = out.Tenant.ID
	// A SKU pricing the metric of the usage seeds.
	w.do(f, req{method: http.MethodPost, path: "/pricing", body: `{"code":"api_calls","name":"API calls","metric":"api_calls",` +
		`"aggregation":"sum","currency":"USD","model":"per_unit","unitAmount":"0.01"}`}).wantStatus(f, http.StatusCreated)
	return w
}

// discardSMS is an identity.SMSSender dropping every message.
type discardSMS struct{}

func (discardSMS) Send(context.Context, identity.SMS) error { return nil }

// path fills the pattern's parameters with the world's IDs.
func (w *fuzzWorld) path(pattern string) string {
	planID := "plan_starter"
	if strings.HasPrefix(pattern, "/commissions/plans/") {
		planID = w.prtPlan
	}
	invoiceID := w.draft
	switch {
	case strings.HasSuffix(pattern, "/pay"):
		invoiceID = w.open
	case strings.HasSuffix(pattern, "/mark-uncollectible"):
		invoiceID = w.open2
	}
	tenantID := w.tn
	if strings.HasSuffix(pattern, "/suspend") || strings.HasSuffix(pattern, "/activate") || strings.HasSuffix(pattern, "/cancel") {
		tenantID = w.spare
	}
	return strings.NewReplacer(
		"{tenantId}", tenantID,
		"{atomId}", "atom_task",
		"{distributorId}", w.d,
		"{partnerId}", w.p,
		"{userId}", w.u,
		"{planId}", planID,
		"{invoiceId}", invoiceID,
		"{statementId}", w.stmtDist,
	).Replace(pattern)
}

// fingerprint hashes the store's business records: tenants (deleted
// ones too) with each one's users, installed atoms, settings, custom
// roles, ownership history, customer profile and usage record counts of
// "api_calls" and every SKU; platform users; resellers (deleted ones
// too); the platform settings; billing plans (archived too), SKUs,
// subscriptions and invoices; commission plans, assignments and
// statements; the catalog version. It leaves out what a refused request
// may write by design: the audit log, failed-attempt and OTP counters,
// OTP challenges, refresh tokens, set-password tokens, TOTP enrolments,
// signing keys and federated links.
func (w *fuzzWorld) fingerprint(t testing.TB) [sha256.Size]byte {
	t.Helper()
	ctx := context.Background()
	h := sha256.New()
	enc := json.NewEncoder(h)
	add := func(what string, v any, err error) {
		t.Helper()
		if err != nil && core.ErrorCode(err) != core.NotFound {
			t.Fatalf("fingerprint: reading %s: %v", what, err)
		}
		fmt.Fprintf(h, "%s:", what)
		if err := enc.Encode(v); err != nil {
			t.Fatalf("fingerprint: encoding %s: %v", what, err)
		}
	}
	// pages calls list for pages 1, 2, ... until the total is read.
	pages := func(what string, list func(core.PageRequest) (any, int, int, error)) {
		t.Helper()
		for page := 1; ; page++ {
			items, n, total, err := list(core.PageRequest{Page: page, Limit: core.MaxLimit})
			add(what, items, err)
			if err != nil || n == 0 || page*core.MaxLimit >= total {
				return
			}
		}
	}
	skus, err := w.st.ListSKUs(ctx)
	add("skus", skus, err)
	aggs := map[string]billing.Aggregation{"api_calls": billing.AggCount}
	for _, s := range skus {
		aggs[s.Code] = billing.AggCount
	}
	var tenants []string
	pages("tenants", func(pr core.PageRequest) (any, int, int, error) {
		items, total, err := w.st.ListTenants(ctx, tenant.Filter{IncludeDeleted: true, Page: pr})
		for _, tn := range items {
			tenants = append(tenants, tn.ID)
		}
		return items, len(items), total, err
	})
	for _, id := range append(tenants, "") {
		pages("users", func(pr core.PageRequest) (any, int, int, error) {
			items, total, err := w.st.ListUsers(ctx, id, pr)
			return items, len(items), total, err
		})
		if id == "" {
			continue
		}
		inst, err := w.st.ListInstallations(ctx, id)
		add("installations", inst, err)
		ts, err := w.st.GetTenantSettings(ctx, id)
		add("tenant settings", ts, err)
		roles, err := w.st.ListRoles(ctx, id)
		add("roles", roles, err)
		owners, err := w.st.ListOwnerships(ctx, id)
		add("ownerships", owners, err)
		prof, err := w.st.GetCustomerProfile(ctx, id)
		add("profile", prof, err)
		usage, err := w.st.UsageTotals(ctx, id, time.Time{}, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), aggs)
		add("usage", usage, err)
	}
	pages("resellers", func(pr core.PageRequest) (any, int, int, error) {
		items, total, err := w.st.ListResellers(ctx, reseller.Filter{IncludeDeleted: true, Page: pr})
		return items, len(items), total, err
	})
	ps, err := w.st.GetSettings(ctx, settings.ScopePlatform)
	add("settings", ps, err)
	plans, err := w.st.ListPlans(ctx, true)
	add("plans", plans, err)
	pages("subscriptions", func(pr core.PageRequest) (any, int, int, error) {
		items, total, err := w.st.ListSubscriptions(ctx, billing.SubscriptionFilter{Page: pr})
		return items, len(items), total, err
	})
	pages("invoices", func(pr core.PageRequest) (any, int, int, error) {
		items, total, err := w.st.ListInvoices(ctx, billing.InvoiceFilter{Page: pr})
		return items, len(items), total, err
	})
	cplans, err := w.st.ListCommissionPlans(ctx)
	add("commission plans", cplans, err)
	assigns, err := w.st.ListAssignments(ctx)
	add("assignments", assigns, err)
	pages("statements", func(pr core.PageRequest) (any, int, int, error) {
		items, total, err := w.st.ListStatements(ctx, commission.StatementFilter{Page: pr})
		return items, len(items), total, err
	})
	cv, err := w.st.CatalogVersion(ctx)
	add("catalog", cv, err)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// fuzzOp is one operation the fuzz targets send to: its route and the
// seed inputs (a body or a raw query) beside the near-misses every
// operation gets.
type fuzzOp struct {
	method, pattern string
	seeds           []string
}

// bodySeeds returns a valid body of every operation that takes one (""
// for those that take none) and the operations' IDs filled in.
func (w *fuzzWorld) bodySeeds() map[string][]string {
	nextMonth := func(bp int) string { return jsonBody(map[string]any{"month": w.nextMonth, "rateBp": bp}) }
	return map[string][]string{
		"POST /tenants": {jsonBody(map[string]any{"name": "Fuzz New", "subdomain": "fuzznew", "planId": "plan_starter", "ownerId": w.p,
			"contact": map[string]string{"name": "Ann Lee", "email": "ann@fuzznew.example.com"}, "initialAtoms": []string{"atom_wireframe"},
			"settings": map[string]string{"industry": "technology"}}), seedCreateBody},
		"PATCH /tenants/{tenantId}":                {`{"name":"Renamed","contact":{"phone":"+905321234567"}}`},
		"POST /tenants/{tenantId}/suspend":         {""},
		"POST /tenants/{tenantId}/activate":        {""},
		"POST /tenants/{tenantId}/cancel":          {""},
		"POST /tenants/{tenantId}/atoms":           {`{"atomId":"atom_wireframe","config":{"a":1}}`},
		"PATCH /tenants/{tenantId}/atoms/{atomId}": {`{"config":{"columns":["todo","done"]}}`},
		"POST /distributors":                       {resellerBody("Fuzzed Dist Co", "")},
		"PATCH /distributors/{distributorId}":      {`{"website":"https://renamed.example.com","billingAddress":{"city":"Perth"}}`},
		"POST /partners":                           {resellerBody("Fuzzed Partner Co", w.d)},
		"PATCH /partners/{partnerId}":              {`{"website":"https://renamed.example.com"}`},
		"POST /tenants/{tenantId}/owner":           {jsonBody(map[string]string{"ownerId": w.p2})},
		"POST /customers":                          {jsonBody(map[string]any{"name": "Fuzz Customer", "nickname": "fuzzcust", "addressLine1": "1 Main St", "postcode": "2000", "country": "AU", "ownerId": w.p})},
		"POST /auth/login": {jsonBody(map[string]string{"email": w.email, "password": testPassword, "tenantId": w.tn}),
			jsonBody(map[string]string{"email": w.email, "password": "not the password", "tenantId": w.tn})},
		"POST /auth/refresh":                                {`{"refreshToken":"rt_nonsense"}`},
		"POST /auth/logout":                                 {""},
		"POST /auth/password/set":                           {`{"token":"pst_nonsense","password":"a long new secret"}`},
		"POST /auth/otp/send":                               {`{"phone":"+905321234567"}`, `{"phone":"12"}`},
		"POST /auth/otp/verify":                             {`{"requestId":"otp_nonsense","code":"000000"}`},
		"POST /auth/federated":                              {`{"provider":"google","idToken":"x.y.z"}`},
		"PATCH /settings":                                   {`{"branding":{"displayName":"Fuzz","primaryColor":"#112233"}}`},
		"PATCH /tenants/{tenantId}/settings":                {`{"branding":{"displayName":"Fuzz"}}`},
		"POST /users/{userId}/password":                     {`{"oldPassword":"not the password","newPassword":"a long new secret"}`},
		"POST /users/{userId}/totp":                         {""},
		"POST /users/{userId}/totp/verify":                  {`{"code":"000000"}`},
		"POST /tenants/{tenantId}/users":                    {`{"name":"New User","email":"fuzz.new@example.com","role":"tenant_member","permissions":["tenant:view"]}`},
		"PATCH /users/{userId}":                             {`{"name":"Renamed User","phone":"+905321234567"}`},
		"PATCH /users/{userId}/permissions":                 {`{"permissions":["tenant:view","!user:delete"]}`},
		"PUT /users/{userId}/role":                          {`{"role":"tenant_admin"}`},
		"POST /roles":                                       {jsonBody(map[string]any{"tenantId": w.tn, "name": "fuzz_role", "permissions": []string{"tenant:view"}})},
		"POST /plans":                                       {`{"id":"plan_fuzz","name":"Fuzz","currency":"USD","prices":[{"interval":"month","amount":1000}],"limits":{"atoms":3},"trialDays":7}`},
		"PUT /plans/{planId}":                               {`{"name":"Renamed","prices":[{"interval":"month","price":"12.50"}]}`},
		"POST /pricing":                                     {`{"code":"fuzz_calls","name":"Fuzz","metric":"fuzz_calls","aggregation":"sum","currency":"USD","model":"per_unit","unitAmount":"0.01"}`},
		"POST /subscriptions":                               {jsonBody(map[string]any{"tenantId": w.bare, "planId": "plan_starter", "billingCycle": "monthly"})},
		"PUT /tenants/{tenantId}/subscription":              {`{"taxRateBp":1000}`, `{"planId":"plan_professional","billingCycle":"monthly"}`},
		"POST /usage":                                       {jsonBody(map[string]any{"records": []map[string]any{{"idempotencyKey": "fuzz-1", "tenantId": w.tn, "metric": "api_calls", "quantity": 1, "timestamp": w.usageAt}}})},
		"POST /billing/runs":                                {jsonBody(map[string]any{"period": w.month}), jsonBody(map[string]any{"period": w.month, "draft": true})},
		"POST /invoices/{invoiceId}/finalize":               {""},
		"POST /invoices/{invoiceId}/pay":                    {""},
		"POST /invoices/{invoiceId}/void":                   {""},
		"POST /invoices/{invoiceId}/mark-uncollectible":     {""},
		"POST /commissions/statements/{statementId}/close":  {""},
		"POST /commissions/runs":                            {jsonBody(map[string]any{"period": w.month})},
		"POST /commissions/plans":                           {jsonBody(map[string]any{"name": "Fuzz Plan", "level": "partner", "versions": []map[string]any{{"month": w.thisMonth, "rateBp": 1000}}})},
		"POST /commissions/plans/{planId}/versions":         {nextMonth(700)},
		"PUT /distributors/{distributorId}/commission-plan": {jsonBody(map[string]string{"planId": w.distPlan})},
		"PUT /partners/{partnerId}/commission-plan":         {jsonBody(map[string]string{"planId": w.prtPlan})},
	}
}

// querySeeds returns a valid query of the GET operations that read more
// than page and limit.
func (w *fuzzWorld) querySeeds() map[string][]string {
	return map[string][]string{
		"GET /tenants":                    {"status=active&plan=plan_starter&q=fuzz&includeDeleted=true&page=1&limit=5"},
		"GET /atoms":                      {"category=productivity&q=task"},
		"GET /distributors":               {"status=active&q=fuzz&includeDeleted=false"},
		"GET /partners":                   {"distributorId=" + w.d + "&status=active&q=fuzz"},
		"GET /customers":                  {"ownerId=" + w.p + "&name=tenant&includeDeleted=true"},
		"GET /audit":                      {"tenantId=" + w.tn + "&actorId=platform&from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z"},
		"GET /roles":                      {"tenantId=" + w.tn},
		"GET /plans":                      {"includeArchived=true"},
		"GET /subscriptions":              {"status=active&plan=plan_enterprise"},
		"GET /tenants/{tenantId}/usage":   {"at=" + w.usageAt},
		"GET /billing/summary":            {"period=" + w.month + "&tenantId=" + w.tn},
		"GET /invoices":                   {"tenantId=" + w.tn + "&period=" + w.month + "&status=open"},
		"GET /commissions/summary":        {"month=" + w.month + "&partnerId=" + w.p},
		"GET /commissions/statements":     {"resellerId=" + w.p + "&month=" + w.month + "&status=draft"},
		"GET /commissions/reconciliation": {"month=" + w.month},
		"GET /tenants/{tenantId}/users":   {"page=1&limit=2"},
		"GET /commissions/plans":          {"page=1"},
		"GET /tenants/{tenantId}/atoms":   {"enabled=true"},
		"GET /tenants/{tenantId}/owners":  {""},
	}
}

// bodyNearMisses returns a body's near-misses: truncated, with an unknown
// key, a key in another case, a repeated key, data after the object, and
// other JSON values.
func bodyNearMisses(valid string) []string {
	out := []string{"", "{}", "null", "[]", `""`, `{"a":1,"a":2}`, "{", `{"name":null}`}
	if len(valid) < 3 || valid[0] != '{' {
		return out
	}
	out = append(out,
		valid[:len(valid)/2],
		`{"unknownField":true,`+valid[1:],
		valid+"{}",
		valid[:len(valid)-1]+","+valid[1:],
		strings.Replace(valid, `":"`, `":1234567890123456789012,"x":"`, 1),
	)
	if i := strings.Index(valid, `"`); i >= 0 && i+1 < len(valid) {
		out = append(out, valid[:i+1]+strings.ToUpper(valid[i+1:i+2])+valid[i+2:])
	}
	return out
}

// queryNearMisses are the query near-misses every GET operation gets.
var queryNearMisses = []string{
	"", "page=0", "page=-1", "limit=0", "limit=101", "page=abc&limit=1e3", "page=99999999999999999999",
	"unknown=1", "status=nonsense", "includeDeleted=maybe", "q=%ff%fe", "period=2026-13", "month=26-01",
	"page=1&page=2", "tenantId=&q=", "at=yesterday", "%zz=1", "a;b=c",
}

// fuzzOps lists the operations of the mounted routes the target sends to:
// those with the method, or all but GET and DELETE for "" (the ones that
// may read a body). Each needs a row in seeds, so that a new route fails
// here until it has one.
func fuzzOps(t testing.TB, w *fuzzWorld, bodies bool) []fuzzOp {
	t.Helper()
	seeds := w.querySeeds()
	if bodies {
		seeds = w.bodySeeds()
	}
	var ops []fuzzOp
	for _, rt := range httpapi.MountedRoutes(w.h) {
		key := rt.Method + " " + rt.Pattern
		isGet := rt.Method == http.MethodGet
		if rt.Method == http.MethodDelete || isGet == bodies {
			continue
		}
		s, ok := seeds[key]
		if !ok && bodies {
			t.Fatalf("%s (%s) takes a body but has no seed in bodySeeds", key, rt.OperationID)
		}
		ops = append(ops, fuzzOp{method: rt.Method, pattern: rt.Pattern, seeds: s})
	}
	for key := range seeds {
		if !slices.ContainsFunc(ops, func(o fuzzOp) bool { return o.method+" "+o.pattern == key }) {
			t.Fatalf("seed row %s names no mounted route", key)
		}
	}
	return ops
}

// check serves r and checks the answer: below 500, JSON (a problem for
// 4xx), as documented, and a fingerprint unchanged when the request was
// refused or only reads.
func (w *fuzzWorld) check(t *testing.T, r *http.Request, input string) {
	before := w.fingerprint(t)
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, r)
	res := &resp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	what := fmt.Sprintf("%s %s with %q", r.Method, r.URL.Path, input)
	if res.status >= 500 {
		t.Fatalf("%s: got status %d (%s), want < 500", what, res.status, res.body)
	}
	ct := res.header.Get("Content-Type")
	switch {
	case res.status == http.StatusNoContent:
		if len(res.body) != 0 {
			t.Fatalf("%s: got a body %q with 204, want none", what, res.body)
		}
	case (ct == "application/json" || ct == "application/problem+json") && !json.Valid(res.body):
		t.Fatalf("%s: got status %d with a body that is not JSON: %q", what, res.status, res.body)
	case res.status >= 300:
		if ct != "application/problem+json" {
			t.Fatalf("%s: got status %d with Content-Type %q, want application/problem+json", what, res.status, ct)
		}
	case ct != "application/json" && !strings.HasPrefix(ct, "text/html"):
		// Only JSON and the HTML of the /swagger page are served.
		t.Fatalf("%s: got status %d with Content-Type %q, want JSON", what, res.status, ct)
	}
	w.validate(t, r, res)
	if res.status >= 400 || r.Method == http.MethodGet {
		if after := w.fingerprint(t); after != before {
			t.Fatalf("%s: got status %d (%s) and a changed store, want it unchanged", what, res.status, res.body)
		}
	}
}

// FuzzBodies sends arbitrary bodies to every operation but GET and
// DELETE, chosen by op modulo their number.
func FuzzBodies(f *testing.F) {
	w := newFuzzWorld(f)
	ops := fuzzOps(f, w, true)
	for i, op := range ops {
		for _, s := range op.seeds {
			f.Add(uint8(i), []byte(s))
			for _, m := range bodyNearMisses(s) {
				f.Add(uint8(i), []byte(m))
			}
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		o := ops[int(op)%len(ops)]
		r := httptest.NewRequest(o.method, w.prefix+w.path(o.pattern), bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+testKey)
		w.check(t, r, string(body))
	})
}

// FuzzQueries sends arbitrary raw query strings to every GET operation,
// chosen by op modulo their number. A query a server would not parse out
// of a request line is skipped.
func FuzzQueries(f *testing.F) {
	w := newFuzzWorld(f)
	ops := fuzzOps(f, w, false)
	for i, op := range ops {
		for _, s := range append(op.seeds, queryNearMisses...) {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, raw string) {
		o := ops[int(op)%len(ops)]
		uri := w.prefix + w.path(o.pattern) + "?" + raw
		if strings.ContainsAny(raw, " \t\r\n") {
			return
		}
		u, err := url.ParseRequestURI(uri)
		if err != nil {
			return
		}
		r := httptest.NewRequest(o.method, w.prefix+w.path(o.pattern), nil)
		r.URL, r.RequestURI = u, uri
		r.Header.Set("Authorization", "Bearer "+testKey)
		w.check(t, r, raw)
	})
}

// TestFuzzFingerprint shows the fingerprint seeing a change the API makes
// and staying the same across a refused request and a GET.
func TestFuzzFingerprint(t *testing.T) {
	w := newFuzzWorld(t)
	tests := []struct {
		name, method, path, body string
		status                   int
		changed                  bool
	}{
		{"rename", http.MethodPatch, "/tenants/" + w.tn, `{"name":"Fingerprinted"}`, http.StatusOK, true},
		{"refused rename", http.MethodPatch, "/tenants/" + w.tn, `{"name":""}`, http.StatusUnprocessableEntity, false},
		{"platform settings", http.MethodPatch, "/settings", `{"branding":{"displayName":"Fingerprinted"}}`, http.StatusOK, true},
		{"usage", http.MethodPost, "/usage", w.bodySeeds()["POST /usage"][0], http.StatusOK, true},
		{"read", http.MethodGet, "/tenants/" + w.tn, "", http.StatusOK, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.fingerprint(t)
			res := w.do(t, req{method: tt.method, path: tt.path, body: tt.body})
			res.wantStatus(t, tt.status)
			if changed := w.fingerprint(t) != before; changed != tt.changed {
				t.Errorf("got a changed fingerprint %v, want %v", changed, tt.changed)
			}
		})
	}
}
