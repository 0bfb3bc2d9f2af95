package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix/identity"
)

// The billing endpoints: every response is validated against the
// document by e.do.

// billCase is one request and what it must answer: the status, and for a
// problem its code and the fields its errors name (in order).
type billCase struct {
	name   string
	rq     req
	status int
	code   string
	fields []string
}

// run sends every case and checks its answer.
func (e *env) run(t *testing.T, cases []billCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, tc.rq)
			if res.status != tc.status {
				t.Fatalf("got status %d (%s), want %d", res.status, res.body, tc.status)
			}
			if tc.code == "" && tc.fields == nil {
				return
			}
			p := res.problem(t)
			if tc.code != "" && p.Code != tc.code {
				t.Errorf("got code %q (%s), want %q", p.Code, p.Detail, tc.code)
			}
			if tc.fields != nil {
				var got []string
				for _, fe := range p.Errors {
					got = append(got, fe.Field)
				}
				if !slices.Equal(got, tc.fields) {
					t.Errorf("got fields %q (%s), want %q", got, res.body, tc.fields)
				}
			}
		})
	}
}

// tenantOn creates a tenant on the plan through POST /tenants, its admin
// jane@<subdomain>.example.com with testPassword, and returns its ID.
func (e *env) tenantOn(t testing.TB, subdomain, planID string, extra map[string]any) string {
	t.Helper()
	in := map[string]any{
		"name": "Tenant " + subdomain, "subdomain": subdomain, "password": testPassword,
		"contact": map[string]string{"name": "Jane Roe", "email": "jane@" + subdomain + ".example.com"},
	}
	if planID != "" {
		in["planId"] = planID
	}
	for k, v := range extra {
		in[k] = v
	}
	res := e.do(t, req{method: http.MethodPost, path: "/tenants", body: jsonBody(in)})
	res.wantStatus(t, http.StatusCreated)
	return res.tenant(t).ID
}

// addUser adds a user of the role to the tenant through the API and
// returns its ID.
func (e *env) addUser(t testing.TB, tenantID, email, role string) string {
	t.Helper()
	res := e.do(t, req{method: http.MethodPost, path: "/tenants/" + tenantID + "/users",
		body: jsonBody(map[string]any{"name": "Some One", "email": email, "role": role, "password": testPassword})})
	res.wantStatus(t, http.StatusCreated)
	return decodeInto[struct {
		ID string `json:"id"`
	}](t, res).ID
}

// adminOf returns the bearer header of the tenant's admin made by tenantOn.
func (e *authEnv) adminOf(t testing.TB, subdomain, tenantID string) string {
	t.Helper()
	return bearer(e.login(t, "jane@"+subdomain+".example.com", testPassword, tenantID).tokens(t).AccessToken)
}

// subBody is the wire form of a subscription, for reading responses.
type subBody struct {
	ID            string  `json:"id"`
	TenantID      string  `json:"tenantId"`
	PlanID        string  `json:"planId"`
	PlanName      string  `json:"planName"`
	Status        string  `json:"status"`
	BillingCycle  string  `json:"billingCycle"`
	StartedAt     string  `json:"startedAt"`
	TrialEnd      *string `json:"trialEnd"`
	ConvertedAt   *string `json:"convertedAt"`
	ExpiresAt     *string `json:"expiresAt"`
	NextInvoiceAt *string `json:"nextInvoiceAt"`
	CurrentPeriod struct {
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"currentPeriod"`
	CancelAtPeriodEnd bool    `json:"cancelAtPeriodEnd"`
	PendingPlanID     *string `json:"pendingPlanId"`
	ChangeAt          *string `json:"changeAt"`
	EndedAt           *string `json:"endedAt"`
	TaxRateBP         int     `json:"taxRateBp"`
	Segments          []struct {
		PlanID string `json:"planId"`
		From   string `json:"from"`
	} `json:"segments"`
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

func TestPublicPlans(t *testing.T) {
	e := newEnv(t)
	// A yearly-only plan in yen, a plan whose features collide with its
	// limits, and an archived plan.
	for _, body := range []string{
		`{"id":"plan_yen","name":"Yen","currency":"JPY","prices":[{"interval":"year","price":"12000"}]}`,
		`{"id":"plan_saas","name":"SaaS","currency":"USD","prices":[{"interval":"month","amount":1000}],` +
			`"limits":{"maxUsers":3,"customers":500},"features":{"maxUsers":99,"customers":"many","api":true}}`,
		`{"id":"plan_old","name":"Old","currency":"USD","prices":[{"interval":"month","amount":500}],"status":"archived"}`,
	} {
		e.do(t, req{method: http.MethodPost, path: "/plans", body: body}).wantStatus(t, http.StatusCreated)
	}
	res := e.do(t, req{method: http.MethodGet, path: "/billing/plans", auth: "-"})
	res.wantStatus(t, http.StatusOK)
	var got struct {
		Data []struct {
			ID        string                     `json:"id"`
			Price     json.RawMessage            `json:"price"`
			Currency  string                     `json:"currency"`
			Interval  string                     `json:"interval"`
			Amount    map[string]any             `json:"amount"`
			TrialDays int                        `json:"trialDays"`
			IsPopular bool                       `json:"isPopular"`
			Features  map[string]json.RawMessage `json:"features"`
		} `json:"data"`
	}
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range got.Data {
		ids = append(ids, p.ID)
	}
	if want := []string{"plan_starter", "plan_professional", "plan_enterprise", "plan_yen", "plan_saas"}; !slices.Equal(ids, want) {
		t.Fatalf("got plans %q, want %q (active ones, by creation)", ids, want)
	}
	feats := func(m map[string]json.RawMessage) string {
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		i                   int
		price, currency, iv string
		features            string
		trialDays           int
		popular             bool
		amount              float64
	}{
		// seed 000's starter: price 49.00 written from the decimal, never a float.
		{0, "49.00", "USD", "month", `{"apiAccess":true,"customDomain":false,"maxAtoms":5,"maxUsers":10,"storage":"10GB"}`, 14, false, 4900},
		{1, "149.00", "USD", "month", `{"apiAccess":true,"customDomain":true,"maxAtoms":15,"maxUsers":50,"storage":"100GB"}`, 14, true, 14900},
		{2, "499.00", "USD", "month", `{"apiAccess":true,"customDomain":true,"maxAtoms":-1,"maxUsers":-1,"storage":"1TB"}`, 0, false, 49900},
		{3, "12000", "JPY", "year", `{}`, 0, false, 12000},
		// A feature wins over a metered limit, never over maxUsers.
		{4, "10.00", "USD", "month", `{"api":true,"customers":"many","maxUsers":3}`, 0, false, 1000},
	}
	for _, tt := range tests {
		p := got.Data[tt.i]
		if string(p.Price) != tt.price || p.Currency != tt.currency || p.Interval != tt.iv || p.TrialDays != tt.trialDays || p.IsPopular != tt.popular {
			t.Errorf("%s: got price %s %s per %s, trial %d, popular %v; want %s %s per %s, %d, %v", p.ID, p.Price, p.Currency, p.Interval,
				p.TrialDays, p.IsPopular, tt.price, tt.currency, tt.iv, tt.trialDays, tt.popular)
		}
		if p.Amount["amount"] != tt.amount || p.Amount["currency"] != tt.currency {
			t.Errorf("%s: got amount %v, want %v %s", p.ID, p.Amount, tt.amount, tt.currency)
		}
		if g := feats(p.Features); g != tt.features {
			t.Errorf("%s: got features %s, want %s", p.ID, g, tt.features)
		}
	}
	e.run(t, []billCase{
		{"a query parameter", req{method: "GET", path: "/billing/plans?all=true", auth: "-"}, 422, "invalid", []string{"all"}},
	})
}

func TestPlanEndpoints(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, req{method: http.MethodPost, path: "/plans", body: `{"id":"plan_team","name":"Team","description":"For teams.","currency":"EUR",` +
		`"prices":[{"interval":"year","amount":19900},{"interval":"month","price":"19.9"}],"trialDays":7,` +
		`"limits":{"maxUsers":5,"customers":100},"features":{"sla": "99.9%"}}`})
	res.wantStatus(t, http.StatusCreated)
	if loc := res.header.Get("Location"); loc != "/v1/plans/plan_team" {
		t.Errorf("got Location %q, want /v1/plans/plan_team", loc)
	}
	type planWire struct {
		ID       string `json:"id"`
		Currency string `json:"currency"`
		Prices   []struct {
			Interval string         `json:"interval"`
			Amount   map[string]any `json:"amount"`
			Price    string         `json:"price"`
		} `json:"prices"`
		Limits    map[string]int64           `json:"limits"`
		Features  map[string]json.RawMessage `json:"features"`
		Status    string                     `json:"status"`
		Name      string                     `json:"name"`
		TrialDays int                        `json:"trialDays"`
		CreatedAt string                     `json:"createdAt"`
	}
	team := decodeInto[planWire](t, res)
	prices := func(p planWire) string {
		var s []string
		for _, pr := range p.Prices {
			s = append(s, fmt.Sprintf("%s %v %s %s", pr.Interval, pr.Amount["amount"], pr.Amount["currency"], pr.Price))
		}
		return strings.Join(s, "; ")
	}
	if got, want := prices(team), "month 1990 EUR 19.90; year 19900 EUR 199.00"; got != want {
		t.Errorf("got prices %q, want %q", got, want)
	}
	if team.Status != "active" || team.TrialDays != 7 || team.Limits["customers"] != 100 || string(team.Features["sla"]) != `"99.9%"` {
		t.Errorf("got %+v, want active, 7 trial days, the limits and the features", team)
	}
	if got := e.do(t, req{method: "GET", path: "/plans/plan_team"}); got.status != 200 || !cmp.Equal(decodeInto[planWire](t, got), team) {
		t.Errorf("GET /plans/plan_team: got %d %s, want the created plan", got.status, got.body)
	}
	list := decodeInto[struct {
		Data       []planWire `json:"data"`
		Pagination struct {
			Total int `json:"total"`
		} `json:"pagination"`
	}](t, e.do(t, req{method: "GET", path: "/plans?limit=2&page=2"}))
	if len(list.Data) != 2 || list.Data[1].ID != "plan_team" || list.Pagination.Total != 4 {
		t.Errorf("GET /plans page 2 of 2: got %+v, want plan_enterprise and plan_team of 4", list)
	}

	// PUT replaces; the currency and the creation stay.
	res = e.do(t, req{method: http.MethodPut, path: "/plans/plan_team", body: `{"name":"Team+","prices":[{"interval":"month","amount":2490}],"status":"archived"}`})
	res.wantStatus(t, http.StatusOK)
	up := decodeInto[planWire](t, res)
	if up.Name != "Team+" || up.Currency != "EUR" || prices(up) != "month 2490 EUR 24.90" || up.Status != "archived" ||
		up.CreatedAt != team.CreatedAt || len(up.Limits) != 0 || up.TrialDays != 0 {
		t.Errorf("after PUT: got %+v, want the new state with EUR and the creation time kept", up)
	}
	pub := e.do(t, req{method: "GET", path: "/billing/plans", auth: "-"})
	if strings.Contains(string(pub.body), "plan_team") {
		t.Errorf("GET /billing/plans lists the archived plan: %s", pub.body)
	}
	if l := decodeInto[struct {
		Pagination struct{ Total int } `json:"pagination"`
	}](t, e.do(t, req{method: "GET", path: "/plans"})); l.Pagination.Total != 3 {
		t.Errorf("GET /plans: got %d plans, want 3 without the archived one", l.Pagination.Total)
	}
	if l := decodeInto[struct {
		Pagination struct{ Total int } `json:"pagination"`
	}](t, e.do(t, req{method: "GET", path: "/plans?includeArchived=true"})); l.Pagination.Total != 4 {
		t.Errorf("GET /plans?includeArchived=true: got %d plans, want 4", l.Pagination.Total)
	}
	e.create(t, "Acme", "acme") // on plan_starter

	post := func(body string) req { return req{method: http.MethodPost, path: "/plans", body: body} }
	put := func(body string) req { return req{method: http.MethodPut, path: "/plans/plan_team", body: body} }
	const month = `"prices":[{"interval":"month","amount":100}]`
	e.run(t, []billCase{
		{"no currency", post(`{"name":"X",` + month + `}`), 422, "invalid", []string{"currency"}},
		{"unknown currency", post(`{"name":"X","currency":"XXX",` + month + `}`), 422, "invalid", []string{"currency"}},
		{"amount and price", post(`{"name":"X","currency":"USD","prices":[{"interval":"month","amount":100,"price":"1.00"}]}`), 422, "invalid", []string{"prices[0]"}},
		{"neither amount nor price", post(`{"name":"X","currency":"USD","prices":[{"interval":"month"}]}`), 422, "invalid", []string{"prices[0]"}},
		{"too precise a price", post(`{"name":"X","currency":"USD","prices":[{"interval":"month","price":"19.999"}]}`), 422, "invalid", []string{"prices[0].price"}},
		{"a float price", post(`{"name":"X","currency":"USD","prices":[{"interval":"month","price":"1e3"}]}`), 422, "invalid", []string{"prices[0].price"}},
		{"an unknown interval", post(`{"name":"X","currency":"USD","prices":[{"interval":"week","amount":1}]}`), 422, "invalid", []string{"prices[0].interval"}},
		{"a repeated interval", post(`{"name":"X","currency":"USD","prices":[{"interval":"month","amount":1},{"interval":"month","amount":2}]}`), 422, "invalid", []string{"prices[1].interval"}},
		{"a negative amount", post(`{"name":"X","currency":"USD","prices":[{"interval":"month","amount":-1}]}`), 422, "invalid", []string{"prices[0].amount"}},
		{"no prices", post(`{"name":"X","currency":"USD"}`), 422, "invalid", []string{"prices"}},
		{"every bad field at once", post(`{"name":"","currency":"XXX","prices":[{"interval":"week","amount":1}],"trialDays":400}`), 422, "invalid",
			[]string{"currency", "name", "prices[0].interval", "trialDays"}},
		{"a bad ID", post(`{"id":"Plan X","name":"X","currency":"USD",` + month + `}`), 422, "invalid", []string{"id"}},
		{"a bad limit", post(`{"name":"X","currency":"USD",` + month + `,"limits":{"maxUsers":-2}}`), 422, "invalid", []string{"limits.maxUsers"}},
		{"a fractional amount", post(`{"name":"X","currency":"USD","prices":[{"interval":"month","amount":1.5}]}`), 400, "invalid_type", nil},
		{"an unknown field", post(`{"name":"X","currency":"USD",` + month + `,"colour":"red"}`), 400, "unknown_field", []string{"colour"}},
		{"a taken ID", post(`{"id":"plan_starter","name":"X","currency":"USD",` + month + `}`), 409, "conflict", nil},
		{"no credentials", req{method: "POST", path: "/plans", body: `{}`, auth: "-"}, 401, "unauthenticated", nil},
		{"an unknown plan", req{method: "GET", path: "/plans/plan_nope"}, 404, "not_found", nil},
		{"a bad includeArchived", req{method: "GET", path: "/plans?includeArchived=yes&x=1"}, 422, "invalid", []string{"includeArchived", "x"}},
		{"PUT another currency", put(`{"name":"X","currency":"USD",` + month + `}`), 422, "invalid", []string{"currency"}},
		{"PUT another ID", put(`{"id":"plan_other","name":"X",` + month + `}`), 422, "invalid", []string{"id"}},
		{"PUT a bad price", put(`{"name":"X","prices":[{"interval":"month","price":"1.234"}]}`), 422, "invalid", []string{"prices[0].price"}},
		{"PUT an unknown plan", req{method: "PUT", path: "/plans/plan_nope", body: `{"name":"X",` + month + `}`}, 404, "not_found", nil},
		{"delete a plan in use", req{method: "DELETE", path: "/plans/plan_starter"}, 409, "plan_in_use", nil},
		{"delete an unused plan", req{method: "DELETE", path: "/plans/plan_team"}, 204, "", nil},
		{"read the deleted plan", req{method: "GET", path: "/plans/plan_team"}, 404, "not_found", nil},
		{"delete it again", req{method: "DELETE", path: "/plans/plan_team"}, 404, "not_found", nil},
	})
}

func TestPricingEndpoints(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, req{method: http.MethodPost, path: "/pricing", body: `{"code":"api_calls","name":"API calls","metric":"api_calls",` +
		`"aggregation":"sum","currency":"USD","model":"graduated","tiers":[{"upTo":1000,"unitAmount":"0"},{"upTo":null,"unitAmount":"0.001"}]}`})
	res.wantStatus(t, http.StatusCreated)
	type skuWire struct {
		Code           string            `json:"code"`
		Model          string            `json:"model"`
		FlatAmount     string            `json:"flatAmount"`
		UnitAmount     string            `json:"unitAmount"`
		Tiers          []json.RawMessage `json:"tiers"`
		PlanIDs        []string          `json:"planIds"`
		Commissionable bool              `json:"commissionable"`
	}
	api := decodeInto[skuWire](t, res)
	if api.FlatAmount != "0" || api.UnitAmount != "0" || len(api.Tiers) != 2 || !api.Commissionable || api.PlanIDs == nil || len(api.PlanIDs) != 0 {
		t.Errorf("got %+v, want decimal strings, two tiers, no plans and commissionable by default", api)
	}
	if got, want := string(api.Tiers[1]), `{"upTo":null,"unitAmount":"0.001","flatAmount":"0"}`; got != want {
		t.Errorf("got tier %s, want %s", got, want)
	}
	res = e.do(t, req{method: http.MethodPost, path: "/pricing", body: `{"code":"sms","name":"SMS","metric":"sms","aggregation":"count",` +
		`"currency":"USD","model":"package","unitAmount":"0.50","packageSize":100,"packageRounding":"up","planIds":["plan_starter"],"commissionable":false}`})
	res.wantStatus(t, http.StatusCreated)
	if sms := decodeInto[skuWire](t, res); sms.UnitAmount != "0.50" || sms.Commissionable || !slices.Equal(sms.PlanIDs, []string{"plan_starter"}) {
		t.Errorf("got %+v, want unitAmount 0.50 kept as written, not commissionable, plan_starter", sms)
	}
	list := decodeInto[struct {
		Data []skuWire `json:"data"`
	}](t, e.do(t, req{method: "GET", path: "/pricing"}))
	if len(list.Data) != 2 || list.Data[0].Code != "api_calls" || list.Data[1].Code != "sms" {
		t.Errorf("GET /pricing: got %+v, want api_calls then sms", list.Data)
	}

	post := func(body string) req { return req{method: http.MethodPost, path: "/pricing", body: body} }
	sku := func(code, rest string) string {
		return `{"code":"` + code + `","name":"X","metric":"` + code + `","aggregation":"sum","currency":"USD",` + rest + `}`
	}
	e.run(t, []billCase{
		{"a number for a decimal", post(sku("a1", `"model":"flat","flatAmount":0.5`)), 400, "invalid_type", []string{"flatAmount"}},
		{"an exponent", post(sku("a2", `"model":"per_unit","unitAmount":"1e-3"`)), 422, "invalid", []string{"unitAmount"}},
		{"a bad tier amount", post(sku("a3", `"model":"volume","tiers":[{"upTo":null,"unitAmount":"x"}]`)), 422, "invalid", []string{"tiers[0].unitAmount"}},
		{"a bounded last tier", post(sku("a4", `"model":"graduated","tiers":[{"upTo":10,"unitAmount":"1"},{"upTo":20,"unitAmount":"0.5"}]`)), 422, "price_invalid", []string{"tiers[1].upTo"}},
		{"a package without size", post(sku("a5", `"model":"package","unitAmount":"1"`)), 422, "price_invalid", []string{"packageSize", "packageRounding"}},
		{"an unknown model", post(sku("a6", `"model":"auction"`)), 422, "price_invalid", []string{"model"}},
		{"no currency", post(`{"code":"a7","name":"X","metric":"a7","aggregation":"sum","model":"flat"}`), 422, "invalid", []string{"currency"}},
		{"a state metric", post(`{"code":"a8","name":"X","metric":"users","aggregation":"max","currency":"USD","model":"flat"}`), 422, "invalid", []string{"metric"}},
		{"an unknown plan", post(sku("a9", `"model":"flat","planIds":["plan_nope"]`)), 422, "invalid", []string{"planIds"}},
		{"a plan of another currency", post(`{"code":"b1","name":"X","metric":"b1","aggregation":"sum","currency":"EUR","model":"flat","planIds":["plan_starter"]}`), 422, "invalid", []string{"planIds"}},
		{"a taken code", post(sku("api_calls", `"model":"flat"`)), 409, "sku_duplicate", nil},
		{"a metric aggregated another way", post(`{"code":"b2","name":"X","metric":"api_calls","aggregation":"max","currency":"USD","model":"flat"}`), 409, "metric_conflict", nil},
		{"an unknown field", post(sku("b3", `"model":"flat","price":"1"`)), 400, "unknown_field", []string{"price"}},
		{"a bad page", req{method: "GET", path: "/pricing?page=0"}, 422, "invalid", []string{"page"}},
		{"no credentials", req{method: "GET", path: "/pricing", auth: "-"}, 401, "unauthenticated", nil},
	})
}

func TestSubscriptionEndpoints(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	start := e.clock.now().UTC()
	today := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	// The clock moves between creations: lists are ordered by creation.
	a := e.tenantOn(t, "alpha", "plan_starter", nil)
	e.clock.advance(time.Second)
	b := e.tenantOn(t, "bravo", "plan_enterprise", nil)
	e.clock.advance(time.Second)
	y := e.tenantOn(t, "yankee", "plan_starter", map[string]any{"billingCycle": "yearly"})
	e.clock.advance(time.Second)
	bare := e.tenantOn(t, "bare", "", nil)
	sub := func(tenantID string) subBody {
		t.Helper()
		res := e.do(t, req{method: "GET", path: "/tenants/" + tenantID + "/subscription"})
		res.wantStatus(t, http.StatusOK)
		return decodeInto[subBody](t, res)
	}

	// A trial of the plan's 14 days: it expires at the trial's end unless
	// converted, and bills nothing before.
	got := sub(a)
	trialEnd := today.AddDate(0, 0, 14).Format(time.RFC3339)
	if got.Status != "trialing" || got.PlanID != "plan_starter" || got.PlanName != "Starter" || got.BillingCycle != "monthly" ||
		str(got.TrialEnd) != trialEnd || str(got.ExpiresAt) != trialEnd || got.NextInvoiceAt != nil || got.PendingPlanID != nil ||
		got.CurrentPeriod.Start != today.Format(time.RFC3339) || got.CurrentPeriod.End != trialEnd || len(got.Segments) != 1 {
		t.Errorf("A's subscription: got %+v, want a monthly Starter trial ending %s", got, trialEnd)
	}
	if got := sub(y); got.BillingCycle != "yearly" {
		t.Errorf("Y's subscription: got billingCycle %q, want yearly", got.BillingCycle)
	}
	if got := sub(b); got.Status != "active" || got.TrialEnd != nil || got.NextInvoiceAt == nil || got.ExpiresAt != nil {
		t.Errorf("B's subscription: got %+v, want active without a trial, with a next invoice", got)
	}

	list := func(query string) []string {
		t.Helper()
		res := e.do(t, req{method: "GET", path: "/subscriptions" + query})
		res.wantStatus(t, http.StatusOK)
		var ids []string
		for _, s := range decodeInto[struct{ Data []subBody }](t, res).Data {
			ids = append(ids, s.TenantID)
		}
		return ids
	}
	for q, want := range map[string][]string{
		"":                      {a, b, y},
		"?status=trialing":      {a, y},
		"?status=active":        {b},
		"?plan=plan_enterprise": {b},
		"?limit=1&page=3":       {y},
		"?status=cancelled":     nil,
	} {
		if got := list(q); !slices.Equal(got, want) {
			t.Errorf("GET /subscriptions%s: got %q, want %q", q, got, want)
		}
	}

	put := func(tenantID, body string) req {
		return req{method: http.MethodPut, path: "/tenants/" + tenantID + "/subscription", body: body}
	}
	change := func(tenantID, body string) subBody {
		t.Helper()
		res := e.do(t, put(tenantID, body))
		res.wantStatus(t, http.StatusOK)
		return decodeInto[subBody](t, res)
	}
	if got := change(a, `{"taxRateBp":1800}`); got.TaxRateBP != 1800 {
		t.Errorf("after taxRateBp 1800: got %d", got.TaxRateBP)
	}
	// Activation converts the trial: the tenant becomes active, billing
	// starts at the trial's end.
	if got := change(a, `{"activate":true}`); got.ConvertedAt == nil || got.ExpiresAt != nil || str(got.NextInvoiceAt) == "<null>" {
		t.Errorf("after activate: got %+v, want converted, no expiry, a next invoice", got)
	}
	if st := e.do(t, req{method: "GET", path: "/tenants/" + a}).tenant(t).Status; st != "active" {
		t.Errorf("after activate: got tenant status %q, want active", st)
	}
	if got := change(a, `{"planId":"plan_professional","when":"period_end"}`); str(got.PendingPlanID) != "plan_professional" || got.ChangeAt == nil || got.PlanID != "plan_starter" {
		t.Errorf("after a change at period end: got %+v, want plan_professional pending", got)
	}
	if got := change(a, `{"planId":"plan_professional"}`); got.PlanID != "plan_professional" || got.PendingPlanID != nil || got.PlanName != "Professional" {
		t.Errorf("after a change now: got %+v, want on plan_professional now", got)
	}
	if tn := e.do(t, req{method: "GET", path: "/tenants/" + a}).tenant(t); tn.PlanID != "plan_professional" {
		t.Errorf("after a change now: got the tenant on %q, want plan_professional", tn.PlanID)
	}
	if got := change(b, `{"cancel":"now"}`); got.Status != "cancelled" || got.EndedAt == nil {
		t.Errorf("after cancel now: got %+v, want cancelled", got)
	}
	if st := e.do(t, req{method: "GET", path: "/tenants/" + b}).tenant(t).Status; st != "cancelled" {
		t.Errorf("after cancel now: got tenant status %q, want cancelled", st)
	}

	// A plan whose limits the tenant's users do not fit: 11 users on
	// professional (50) cannot move to starter (10).
	d := e.tenantOn(t, "delta", "plan_professional", nil)
	for i := range 10 {
		e.addUser(t, d, fmt.Sprintf("user%d@delta.example.com", i), "tenant_member")
	}
	// An 11th user past starter's maxUsers of 10.
	full := e.tenantOn(t, "full", "plan_starter", nil)
	for i := range 9 {
		e.addUser(t, full, fmt.Sprintf("user%d@full.example.com", i), "tenant_member")
	}
	res := e.do(t, req{method: "POST", path: "/tenants/" + full + "/users", body: `{"name":"One Too Many","email":"eleven@full.example.com","role":"tenant_member"}`})
	wantProblemCode(t, "the 11th user on starter", res, http.StatusConflict, "plan_limit_exceeded")
	if p := res.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "limits.maxUsers" {
		t.Errorf("the 11th user on starter: got errors %+v, want limits.maxUsers", p.Errors)
	}
	e.do(t, req{method: "POST", path: "/plans", body: `{"id":"plan_old","name":"Old","currency":"USD","prices":[{"interval":"month","amount":1}],"status":"archived"}`}).
		wantStatus(t, http.StatusCreated)

	alice := e.adminOf(t, "alpha", a)
	e.addUser(t, a, "member@alpha.example.com", "tenant_member")
	member := bearer(e.login(t, "member@alpha.example.com", testPassword, a).tokens(t).AccessToken)
	create := func(body string) req { return req{method: http.MethodPost, path: "/subscriptions", body: body} }
	e.run(t, []billCase{
		{"when unknown", put(a, `{"planId":"plan_starter","when":"later"}`), 422, "invalid", []string{"when"}},
		{"every bad member", put(a, `{"planId":"","cancel":"soon","expiresAt":"tomorrow"}`), 422, "invalid", []string{"cancel", "expiresAt", "planId"}},
		{"a tax rate over 100%", put(a, `{"taxRateBp":20000}`), 422, "invalid", []string{"taxRateBp"}},
		{"an unknown plan", put(a, `{"planId":"plan_nope"}`), 422, "invalid", []string{"planId"}},
		{"an archived plan", put(a, `{"planId":"plan_old"}`), 409, "plan_archived", nil},
		{"a trial end without a trial", put(d, `{"expiresAt":"2099-01-01T00:00:00Z"}`), 422, "invalid", []string{"expiresAt"}},
		{"a downgrade that does not fit", put(d, `{"planId":"plan_starter"}`), 409, "downgrade_blocked", nil},
		{"a change after the end", put(b, `{"planId":"plan_starter"}`), 409, "subscription_ended", nil},
		{"an unknown field", put(a, `{"plan":"plan_starter"}`), 400, "unknown_field", []string{"plan"}},
		{"an unknown tenant", put("tn_doesnotexist0000000000", `{}`), 404, "not_found", nil},
		{"no subscription", req{method: "GET", path: "/tenants/" + bare + "/subscription"}, 404, "not_found", nil},
		{"a bad status filter", req{method: "GET", path: "/subscriptions?status=paused&page=x"}, 422, "invalid", []string{"page", "status"}},
		{"subscribe without a tenant or plan", create(`{}`), 422, "invalid", []string{"planId", "tenantId"}},
		{"subscribe weekly", create(`{"tenantId":"` + bare + `","planId":"plan_starter","billingCycle":"weekly"}`), 422, "invalid", []string{"billingCycle"}},
		{"subscribe yearly to a monthly-only plan", create(`{"tenantId":"` + bare + `","planId":"plan_professional","billingCycle":"yearly"}`), 422, "invalid", []string{"billingCycle"}},
		{"subscribe to no plan", create(`{"tenantId":"` + bare + `","planId":"plan_nope"}`), 422, "invalid", []string{"planId"}},
		{"subscribe to an archived plan", create(`{"tenantId":"` + bare + `","planId":"plan_old"}`), 409, "plan_archived", nil},
		{"subscribe an unknown tenant", create(`{"tenantId":"tn_doesnotexist0000000000","planId":"plan_starter"}`), 404, "not_found", nil},
		{"subscribe", create(`{"tenantId":"` + bare + `","planId":"plan_starter","billingCycle":"yearly"}`), 201, "", nil},
		{"subscribe twice", create(`{"tenantId":"` + bare + `","planId":"plan_starter"}`), 409, "conflict", nil},
		{"create a tenant weekly", req{method: "POST", path: "/tenants", body: strings.Replace(createBody("W", "weekly"), `"planId"`, `"billingCycle":"weekly","planId"`, 1)}, 422, "invalid", []string{"billingCycle"}},
		{"create a tenant yearly on a monthly-only plan", req{method: "POST", path: "/tenants", body: strings.Replace(createBody("W", "weekly"), `"planId":"plan_starter"`, `"billingCycle":"yearly","planId":"plan_professional"`, 1)}, 422, "invalid", []string{"billingCycle"}},
		{"create a tenant on no plan", req{method: "POST", path: "/tenants", body: strings.Replace(createBody("N", "noplan"), "plan_starter", "plan_nope", 1)}, 422, "invalid", []string{"planId"}},
		{"the admin reads its own", req{method: "GET", path: "/tenants/" + a + "/subscription", auth: alice}, 200, "", nil},
		{"the admin reads another's", req{method: "GET", path: "/tenants/" + d + "/subscription", auth: alice}, 404, "not_found", nil},
		{"the admin changes its own", req{method: "PUT", path: "/tenants/" + a + "/subscription", body: `{"taxRateBp":0}`, auth: alice}, 403, "forbidden", nil},
		{"the admin changes another's", req{method: "PUT", path: "/tenants/" + d + "/subscription", body: `{"taxRateBp":0}`, auth: alice}, 404, "not_found", nil},
		{"the admin subscribes", req{method: "POST", path: "/subscriptions", body: `{"tenantId":"` + a + `","planId":"plan_starter"}`, auth: alice}, 403, "forbidden", nil},
		{"a member reads", req{method: "GET", path: "/tenants/" + a + "/subscription", auth: member}, 403, "forbidden", nil},
		{"a member lists", req{method: "GET", path: "/subscriptions", auth: member}, 403, "forbidden", nil},
		{"no credentials", req{method: "GET", path: "/subscriptions", auth: "-"}, 401, "unauthenticated", nil},
	})
	if got := list("?status=trialing"); !slices.Contains(got, bare) {
		t.Errorf("after POST /subscriptions: got trialing %q, want the bare tenant among them", got)
	}
	res = e.do(t, req{method: "GET", path: "/subscriptions", auth: alice})
	if got := decodeInto[struct{ Data []subBody }](t, res).Data; len(got) != 1 || got[0].TenantID != a {
		t.Errorf("GET /subscriptions as A's admin: got %+v, want A's only", got)
	}
}

func TestUsageEndpoints(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	e.do(t, req{method: "POST", path: "/plans", body: `{"id":"plan_saas","name":"SaaS","currency":"USD","prices":[{"interval":"month","amount":1000}],` +
		`"limits":{"maxUsers":10,"customers":500}}`}).wantStatus(t, http.StatusCreated)
	e.do(t, req{method: "POST", path: "/pricing", body: `{"code":"api_calls","name":"API calls","metric":"api_calls","aggregation":"sum",` +
		`"currency":"USD","model":"per_unit","unitAmount":"0.001"}`}).wantStatus(t, http.StatusCreated)
	s := e.tenantOn(t, "saas", "plan_saas", nil)
	other := e.tenantOn(t, "other", "plan_enterprise", nil)
	now := e.clock.now().UTC().Format(time.RFC3339)
	rec := func(key, tenantID, metric, quantity, ts string) map[string]any {
		return map[string]any{"idempotencyKey": key, "tenantId": tenantID, "metric": metric, "quantity": json.RawMessage(quantity), "timestamp": ts}
	}
	ingest := func(recs ...map[string]any) (usageWire, *resp) {
		t.Helper()
		res := e.do(t, req{method: "POST", path: "/usage", body: jsonBody(map[string]any{"records": recs})})
		res.wantStatus(t, http.StatusOK)
		return decodeInto[usageWire](t, res), res
	}
	mixed := []map[string]any{
		rec("c-1", s, "customers", "24", now),
		rec("a-1", s, "api_calls", "1500", now),
		rec("a-2", s, "api_calls", "2.5", now),
		rec("a-3", s, "api_calls", `"5"`, now),
		rec("u-1", s, "users", "1", now),
		rec("t-1", "tn_doesnotexist0000000000", "api_calls", "1", now),
		rec("a-4", s, "api_calls", "1", "yesterday"),
		rec("n-1", s, "nothing", "1", now),
		rec("a-1", s, "api_calls", "7", now),
	}
	runs := e.p.CPUGate().Stats().Runs
	first, _ := ingest(mixed...)
	// Decoding the batch and ingesting it each took a slot in the
	// platform's CPU gate, and gave it back.
	if g := e.p.CPUGate().Stats(); g.Runs != runs+2 || g.Running != 0 {
		t.Errorf("CPU gate after one batch: %d slots taken and %d held, want 2 and 0", g.Runs-runs, g.Running)
	}
	wantResults := "0 c-1 accepted; 1 a-1 accepted; 2 a-2 rejected invalid; 3 a-3 rejected invalid; 4 u-1 rejected state_metric; " +
		"5 t-1 rejected tenant_not_found; 6 a-4 rejected invalid; 7 n-1 rejected unknown_metric; 8 a-1 duplicate"
	if got := first.String(); got != "2 accepted, 1 duplicates, 6 rejected: "+wantResults {
		t.Errorf("the first batch: got %s", got)
	}
	// The same batch again: everything it stored is a duplicate.
	second, _ := ingest(mixed...)
	if second.Accepted != 0 || second.Duplicates != 3 || second.Rejected != 6 {
		t.Errorf("the batch again: got %s, want 0 accepted, 3 duplicates, 6 rejected", second.String())
	}
	clean := []map[string]any{rec("k-1", s, "api_calls", "10", now), rec("k-2", s, "api_calls", "20", now), rec("k-3", other, "api_calls", "5", now)}
	if got, _ := ingest(clean...); got.Accepted != 3 || got.Duplicates != 0 {
		t.Errorf("a clean batch: got %s, want 3 accepted", got.String())
	}
	if got, _ := ingest(clean...); got.Accepted != 0 || got.Duplicates != 3 || got.Rejected != 0 {
		t.Errorf("the clean batch again: got %s, want all 3 duplicates", got.String())
	}

	// Seed 002's report: 24 of 500 customers is 4.8%, written exactly.
	res := e.do(t, req{method: "GET", path: "/tenants/" + s + "/usage"})
	res.wantStatus(t, http.StatusOK)
	var report struct {
		TenantID string          `json:"tenantId"`
		Period   json.RawMessage `json:"period"`
		Usage    json.RawMessage `json:"usage"`
	}
	if err := json.Unmarshal(res.body, &report); err != nil {
		t.Fatal(err)
	}
	wantUsage := `{"users":{"used":1,"limit":10,"percentage":10.0},"atoms":{"used":0,"limit":null,"percentage":null},` +
		`"api_calls":{"used":1530,"limit":null,"percentage":null},"customers":{"used":24,"limit":500,"percentage":4.8}}`
	if report.TenantID != s || string(report.Usage) != wantUsage {
		t.Errorf("got usage %s of %s, want %s", report.Usage, report.TenantID, wantUsage)
	}
	// Seed 002: the tenant itself carries the same usage.
	var withUsage struct {
		ID    string          `json:"id"`
		Usage json.RawMessage `json:"usage"`
	}
	got := e.do(t, req{method: "GET", path: "/tenants/" + s})
	got.wantStatus(t, http.StatusOK)
	if err := json.Unmarshal(got.body, &withUsage); err != nil || withUsage.ID != s || string(withUsage.Usage) != wantUsage {
		t.Errorf("GET /tenants/%s: got usage %s (%v), want %s", s, withUsage.Usage, err, wantUsage)
	}
	// The same report for another moment of the same period.
	at := e.do(t, req{method: "GET", path: "/tenants/" + s + "/usage?at=" + now})
	at.wantStatus(t, http.StatusOK)
	if string(at.body) != string(res.body) {
		t.Errorf("with at=now: got %s, want %s", at.body, res.body)
	}

	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = rec(fmt.Sprint("m-", i), s, "api_calls", "1", now)
	}
	admin := e.adminOf(t, "saas", s)
	e.addUser(t, s, "member@saas.example.com", "tenant_member")
	member := bearer(e.login(t, "member@saas.example.com", testPassword, s).tokens(t).AccessToken)
	post := func(body string) req { return req{method: "POST", path: "/usage", body: body} }
	e.run(t, []billCase{
		{"over 1000 records", post(jsonBody(map[string]any{"records": many})), 422, "invalid", []string{"records"}},
		{"no records", post(`{"records":[]}`), 422, "invalid", []string{"records"}},
		{"no records member", post(`{}`), 422, "invalid", []string{"records"}},
		{"a record's unknown field", post(`{"records":[{"idempotencyKey":"x","tenantId":"` + s + `","metric":"api_calls","quantity":1,"timestamp":"` + now + `","colour":"red"}]}`), 400, "unknown_field", nil},
		{"a bad at", req{method: "GET", path: "/tenants/" + s + "/usage?at=noon"}, 422, "invalid", []string{"at"}},
		{"an at in the future", req{method: "GET", path: "/tenants/" + s + "/usage?at=2999-01-01T00:00:00Z"}, 422, "invalid", []string{"at"}},
		{"an unknown parameter", req{method: "GET", path: "/tenants/" + s + "/usage?metric=x"}, 422, "invalid", []string{"metric"}},
		{"an unknown tenant", req{method: "GET", path: "/tenants/tn_doesnotexist0000000000/usage"}, 404, "not_found", nil},
		{"the admin reads its own", req{method: "GET", path: "/tenants/" + s + "/usage", auth: admin}, 200, "", nil},
		{"the admin reads another's", req{method: "GET", path: "/tenants/" + other + "/usage", auth: admin}, 404, "not_found", nil},
		{"a member reads", req{method: "GET", path: "/tenants/" + s + "/usage", auth: member}, 403, "forbidden", nil},
		{"the admin records usage", req{method: "POST", path: "/usage", body: jsonBody(map[string]any{"records": clean}), auth: admin}, 403, "forbidden", nil},
		// Refused before its body is decoded: not a 422 for the batch.
		{"the admin posts a bad batch", req{method: "POST", path: "/usage", body: jsonBody(map[string]any{"records": many}), auth: admin}, 403, "forbidden", nil},
		{"the admin posts bad JSON", req{method: "POST", path: "/usage", body: `{"records":`, auth: admin}, 403, "forbidden", nil},
		{"no credentials", req{method: "POST", path: "/usage", body: `{"records":[]}`, auth: "-"}, 401, "unauthenticated", nil},
	})
}

// usageWire is the answer to POST /usage.
type usageWire struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   int `json:"rejected"`
	Results    []struct {
		Index          int    `json:"index"`
		IdempotencyKey string `json:"idempotencyKey"`
		Status         string `json:"status"`
		Reason         string `json:"reason"`
		Message        string `json:"message"`
	} `json:"results"`
}

func (u usageWire) String() string {
	var parts []string
	for _, r := range u.Results {
		parts = append(parts, strings.TrimSpace(fmt.Sprintf("%d %s %s %s", r.Index, r.IdempotencyKey, r.Status, r.Reason)))
	}
	return fmt.Sprintf("%d accepted, %d duplicates, %d rejected: %s", u.Accepted, u.Duplicates, u.Rejected, strings.Join(parts, "; "))
}

// invoiceWire is the wire form of an invoice, for reading responses.
type invoiceWire struct {
	ID       string  `json:"id"`
	TenantID string  `json:"tenantId"`
	OwnerID  *string `json:"ownerId"`
	Status   string  `json:"status"`
	Period   string  `json:"period"`
	Lines    []struct {
		Kind        string          `json:"kind"`
		SKU         string          `json:"sku"`
		Quantity    int64           `json:"quantity"`
		Amount      map[string]any  `json:"amount"`
		Calculation json.RawMessage `json:"calculation"`
	} `json:"lines"`
	Subtotal map[string]any `json:"subtotal"`
	Tax      map[string]any `json:"tax"`
	Total    map[string]any `json:"total"`
	PaidAt   *string        `json:"paidAt"`
}

func TestBillingRunAndInvoices(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	// The test clock moves to the 15th of next month, so that the first
	// period's days do not clamp (a day-31 anchor).
	now := e.clock.now().UTC()
	e.clock.advance(time.Date(now.Year(), now.Month()+1, 15, 10, 0, 0, 0, time.UTC).Sub(now))
	e.do(t, req{method: "POST", path: "/plans", body: `{"id":"plan_metered","name":"Metered","currency":"USD","prices":[{"interval":"month","amount":1000}]}`}).
		wantStatus(t, http.StatusCreated)
	e.do(t, req{method: "POST", path: "/pricing", body: `{"code":"api_calls","name":"API calls","metric":"api_calls","aggregation":"sum",` +
		`"currency":"USD","model":"per_unit","unitAmount":"0.001"}`}).wantStatus(t, http.StatusCreated)
	m := e.tenantOn(t, "metered", "plan_metered", nil)
	other := e.tenantOn(t, "other", "", nil) // without a plan: nothing to bill
	e.do(t, req{method: "PUT", path: "/tenants/" + m + "/subscription", body: `{"taxRateBp":1000}`}).wantStatus(t, http.StatusOK)
	start := e.clock.now().UTC()
	usage := func(key string) string {
		return jsonBody(map[string]any{"records": []map[string]any{{"idempotencyKey": key, "tenantId": m, "metric": "api_calls",
			"quantity": 1500, "timestamp": start.Format(time.RFC3339)}}})
	}
	if u := decodeInto[usageWire](t, e.do(t, req{method: "POST", path: "/usage", body: usage("u-1")})); u.Accepted != 1 {
		t.Fatalf("recording usage: got %s", u.String())
	}
	// The first period ends a month after today; it is billed in the
	// month of its last day, once that month and the usage grace are over.
	day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	last := day.AddDate(0, 1, 0).AddDate(0, 0, -1)
	month := last.Format("2006-01")
	runBody := `{"period":"` + month + `"}`
	e.run(t, []billCase{
		{"a run before the month ended", req{method: "POST", path: "/billing/runs", body: runBody}, 409, "period_not_ended", nil},
	})
	e.clock.advance(time.Date(last.Year(), last.Month()+1, 1, 2, 0, 0, 0, time.UTC).Sub(start))
	if u := decodeInto[usageWire](t, e.do(t, req{method: "POST", path: "/usage", body: usage("u-2")})); u.Rejected != 1 || u.Results[0].Reason != "period_closed" {
		t.Errorf("late usage: got %s, want rejected period_closed", u.String())
	}

	type runWire struct {
		Period     string           `json:"period"`
		Created    int              `json:"created"`
		Existing   int              `json:"existing"`
		Totals     []map[string]any `json:"totals"`
		InvoiceIDs []string         `json:"invoiceIds"`
	}
	res := e.do(t, req{method: "POST", path: "/billing/runs", body: runBody})
	res.wantStatus(t, http.StatusOK)
	run := decodeInto[runWire](t, res)
	// 10.00 for the month, 1,500 calls at 0.001 is 1.50, 10% tax: 12.65.
	if run.Period != month || run.Created != 1 || run.Existing != 0 || len(run.InvoiceIDs) != 1 ||
		len(run.Totals) != 1 || run.Totals[0]["amount"] != 1265.0 || run.Totals[0]["currency"] != "USD" {
		t.Fatalf("the first run: got %+v, want one invoice of 12.65 USD", run)
	}
	res = e.do(t, req{method: "POST", path: "/billing/runs", body: runBody})
	res.wantStatus(t, http.StatusOK)
	if again := decodeInto[runWire](t, res); again.Created != 0 || again.Existing != 1 || len(again.InvoiceIDs) != 0 || len(again.Totals) != 0 {
		t.Errorf("the second run: got %+v, want nothing created, one existing", again)
	}

	id := run.InvoiceIDs[0]
	res = e.do(t, req{method: "GET", path: "/invoices/" + id})
	res.wantStatus(t, http.StatusOK)
	inv := decodeInto[invoiceWire](t, res)
	if inv.TenantID != m || inv.Status != "open" || inv.Period != month || inv.OwnerID != nil || len(inv.Lines) != 2 ||
		inv.Subtotal["amount"] != 1150.0 || inv.Tax["amount"] != 115.0 || inv.Total["amount"] != 1265.0 {
		t.Fatalf("the invoice: got %s, want open, 11.50 + 1.15 tax", res.body)
	}
	if l := inv.Lines[1]; l.Kind != "usage" || l.SKU != "api_calls" || l.Quantity != 1500 || l.Amount["amount"] != 150.0 ||
		!strings.Contains(string(l.Calculation), `"exact":"1.500"`) {
		t.Errorf("the usage line: got %+v %s, want 1,500 api_calls for 1.50 exactly 1.500", l, l.Calculation)
	}
	list := decodeInto[struct{ Data []invoiceWire }](t, e.do(t, req{method: "GET", path: "/invoices?period=" + month + "&status=open"}))
	if len(list.Data) != 1 || list.Data[0].ID != id {
		t.Errorf("GET /invoices?period&status: got %+v, want the one invoice", list.Data)
	}

	summary := func() map[string]any {
		t.Helper()
		res := e.do(t, req{method: "GET", path: "/billing/summary?period=" + month})
		res.wantStatus(t, http.StatusOK)
		return decodeInto[map[string]any](t, res)
	}
	sum := summary()
	cur := sum["byCurrency"].([]any)[0].(map[string]any)
	if sum["invoices"] != 1.0 || cur["outstanding"].(map[string]any)["amount"] != 1265.0 || cur["paid"].(map[string]any)["amount"] != 0.0 ||
		len(sum["byPlan"].([]any)) != 1 || len(sum["bySku"].([]any)) != 1 || sum["tenantId"] != nil {
		t.Errorf("the summary: got %v, want one invoice of 12.65 outstanding", sum)
	}
	e.do(t, req{method: "POST", path: "/invoices/" + id + "/pay"}).wantStatus(t, http.StatusOK)
	if cur := summary()["byCurrency"].([]any)[0].(map[string]any); cur["paid"].(map[string]any)["amount"] != 1265.0 || cur["outstanding"].(map[string]any)["amount"] != 0.0 {
		t.Errorf("the summary after payment: got %v, want 12.65 paid", cur)
	}

	admin := e.adminOf(t, "metered", m)
	otherAdmin := e.adminOf(t, "other", other)
	e.run(t, []billCase{
		{"pay twice", req{method: "POST", path: "/invoices/" + id + "/pay"}, 409, "invalid_transition", nil},
		{"finalize a paid invoice", req{method: "POST", path: "/invoices/" + id + "/finalize"}, 409, "invalid_transition", nil},
		{"mark a paid invoice uncollectible", req{method: "POST", path: "/invoices/" + id + "/mark-uncollectible"}, 409, "invalid_transition", nil},
		{"void a paid invoice", req{method: "POST", path: "/invoices/" + id + "/void"}, 409, "invalid_transition", nil},
		{"an unknown invoice", req{method: "GET", path: "/invoices/inv_doesnotexist000000000"}, 404, "not_found", nil},
		{"pay an unknown invoice", req{method: "POST", path: "/invoices/inv_doesnotexist000000000/pay"}, 404, "not_found", nil},
		{"a bad month", req{method: "POST", path: "/billing/runs", body: `{"period":"2026-13"}`}, 422, "invalid", []string{"period"}},
		{"no month", req{method: "POST", path: "/billing/runs", body: `{"draft":true}`}, 422, "invalid", []string{"period"}},
		{"a string for draft", req{method: "POST", path: "/billing/runs", body: `{"period":"2026-01","draft":"yes"}`}, 400, "invalid_type", []string{"draft"}},
		{"bad filters", req{method: "GET", path: "/invoices?period=2026-1&status=late&sort=id"}, 422, "invalid", []string{"period", "sort", "status"}},
		{"a summary without a month", req{method: "GET", path: "/billing/summary"}, 422, "invalid", []string{"period"}},
		{"a summary of an unknown tenant", req{method: "GET", path: "/billing/summary?period=" + month + "&tenantId=tn_doesnotexist0000000000"}, 404, "not_found", nil},
		{"the admin lists its invoices", req{method: "GET", path: "/invoices", auth: admin}, 200, "", nil},
		{"the admin reads its invoice", req{method: "GET", path: "/invoices/" + id, auth: admin}, 200, "", nil},
		{"another admin reads it", req{method: "GET", path: "/invoices/" + id, auth: otherAdmin}, 404, "not_found", nil},
		{"the admin voids it", req{method: "POST", path: "/invoices/" + id + "/void", auth: admin}, 403, "forbidden", nil},
		{"the admin runs billing", req{method: "POST", path: "/billing/runs", body: runBody, auth: admin}, 403, "forbidden", nil},
		{"the admin reads the summary", req{method: "GET", path: "/billing/summary?period=" + month, auth: admin}, 200, "", nil},
		{"no credentials", req{method: "GET", path: "/invoices", auth: "-"}, 401, "unauthenticated", nil},
	})
	if got := decodeInto[struct{ Data []invoiceWire }](t, e.do(t, req{method: "GET", path: "/invoices", auth: otherAdmin})).Data; len(got) != 0 {
		t.Errorf("GET /invoices as the other admin: got %d invoices, want none", len(got))
	}
}
