package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/atomixplatform/atomix/tenant"
)

// instancesKey and instancesSecret are shared by every instance over the
// database, as a deployment's replicas share them.
const (
	instancesKey    = "instances-platform-key"
	instancesSecret = "instances-test-master-secret-0123456789abcdef"
)

// TestServerInstancesShareOnePostgres is issue 11's several-instances
// must-show: two server processes, A and B, started at once over one
// PostgreSQL schema, behave as one platform. An OTP sent through A
// verifies through B, once; a refresh token rotated on one is refused on
// the other, and its reuse past the grace revokes the session on both;
// two billing runs of a month started at once, one on each, make each
// invoice once, with the right totals; a user's rate limit is one bucket
// in the store, spent by requests through either.
func TestServerInstancesShareOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	dsn := postgresDSN(t)
	// The billing data is made first, in the past, by a platform in this
	// process with a clock of its own: the servers run on the real clock.
	rounds := seedBillingRounds(t, dsn, time.Now().UTC())

	// The rate limits: a small per-user class for the "rate limits"
	// subtest, each token taken from the store (lease=1); the auth class
	// (per address: every request here comes from 127.0.0.1, through A
	// and B alike) roomy enough for the other subtests.
	env := adminEnv("ATOMIX_API_KEY="+instancesKey, "ATOMIX_SECRET="+instancesSecret,
		fmt.Sprintf("ATOMIX_RATE_LIMIT_USER=%d/1h,lease=1", userLimit), "ATOMIX_RATE_LIMIT_AUTH=1000/1m",
		"ATOMIX_SESSION_CHECK="+sessionCheck.String())
	inst := startInstances(t, bin, 2, env, "-dsn", dsn)
	a, b := inst[0], inst[1]
	// Both ran EnsureSuperAdmin at start-up, at once: one made the admin.
	for _, s := range inst {
		s.waitLog(t, regexp.MustCompile(`created the super admin|the super admin exists`))
	}
	if made := strings.Count(a.logs.String()+b.logs.String(), "created the super admin"); made != 1 {
		t.Errorf("super admins created by the two instances: got %d, want 1; logs:\nA:\n%s\nB:\n%s", made, a.logs, b.logs)
	}

	t.Run("otp", func(t *testing.T) {
		code, tn := a.post(t, "/tenants", instancesKey, map[string]any{
			"name": "Acme Corporation", "subdomain": "acme",
			"contact": map[string]string{"name": "John Doe", "email": "john@acme.com", "phone": "+905321234567"},
		})
		if code != http.StatusCreated {
			t.Fatalf("POST /tenants: got %d %v, want 201", code, tn)
		}
		send := map[string]string{"phone": "+905321234567", "tenantId": tn["id"].(string)}
		code, sent := a.post(t, "/auth/otp/send", "", send)
		if code != http.StatusOK {
			t.Fatalf("POST /auth/otp/send through A: got %d %v, want 200", code, sent)
		}
		reqID := sent["requestId"].(string)
		// The resend cooldown is kept in the store: B refuses a resend.
		if code, h, p, err := request("POST", b.base+"/auth/otp/send", "", send); err != nil || code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
			t.Errorf("a resend through B during A's cooldown: got %d %v (Retry-After %q, %v), want 429 with Retry-After", code, p, h.Get("Retry-After"), err)
		}
		otp := a.codeFromLog(t, reqID)
		if strings.Contains(b.logs.String(), reqID) {
			t.Errorf("B's log names %s: got a code sent by B, want it sent by A only", reqID)
		}
		code, tok := b.post(t, "/auth/otp/verify", "", map[string]string{"requestId": reqID, "code": otp})
		if user, _ := tok["user"].(map[string]any); code != http.StatusOK || tok["accessToken"] == nil || user["tenantId"] != tn["id"] || user["role"] != "tenant_admin" {
			t.Fatalf("POST /auth/otp/verify through B of A's challenge: got %d %v, want 200 with the tenant admin's tokens", code, tok)
		}
		if code, p := a.post(t, "/auth/otp/verify", "", map[string]string{"requestId": reqID, "code": otp}); code != http.StatusUnauthorized || p["code"] != "otp_used" {
			t.Errorf("the code again, through A: got %d %v, want 401 otp_used", code, p)
		}
		// The session B opened is A's too.
		if code, p := a.post(t, "/auth/refresh", "", map[string]any{"refreshToken": tok["refreshToken"]}); code != http.StatusOK {
			t.Errorf("refresh through A of B's OTP session: got %d %v, want 200", code, p)
		}
	})

	t.Run("refresh", func(t *testing.T) {
		tok := a.login(t, adminEmail, adminPassword, "")
		access := tok["accessToken"].(string)
		// A and B sign with the keys in the store: B serves A's key and
		// accepts its token.
		if claims := b.verifyWithJWKS(t, access); claims["role"] != "super_admin" {
			t.Errorf("A's access token verified with B's JWKS: got claims %v, want the super admin's", claims)
		}
		if code, p := b.do(t, "GET", "/tenants?limit=1", access, ""); code != http.StatusOK {
			t.Errorf("GET /tenants through B with A's access token: got %d %v, want 200", code, p)
		}

		rt0 := tok["refreshToken"]
		code, next := a.post(t, "/auth/refresh", "", map[string]any{"refreshToken": rt0})
		if code != http.StatusOK || next["refreshToken"] == rt0 {
			t.Fatalf("refresh through A: got %d %v, want a new pair", code, next)
		}
		rt1 := next["refreshToken"]
		// B takes the successor A issued and rotates it in turn.
		code, last := b.post(t, "/auth/refresh", "", map[string]any{"refreshToken": rt1})
		if code != http.StatusOK || last["refreshToken"] == rt1 {
			t.Fatalf("refresh through B of A's successor: got %d %v, want a new pair", code, last)
		}
		spent := time.Now() // both rotations are stored by now
		rt2 := last["refreshToken"]
		if code, p := b.post(t, "/auth/refresh", "", map[string]any{"refreshToken": rt0}); code != http.StatusUnauthorized || p["code"] != "unauthenticated" {
			t.Errorf("the token A rotated, presented to B: got %d %v, want 401 unauthenticated", code, p)
		}
		// Past the reuse grace (identity.DefaultRefreshReuseGrace), a
		// spent token is taken for a stolen one and its session is revoked
		// (identity.Service.Refresh): on both instances. The wait is a
		// lower bound, whatever the machine's speed.
		time.Sleep(time.Until(spent.Add(2*time.Second + 250*time.Millisecond)))
		if code, p := a.post(t, "/auth/refresh", "", map[string]any{"refreshToken": rt1}); code != http.StatusUnauthorized {
			t.Errorf("the token B rotated, presented to A past the grace: got %d %v, want 401", code, p)
		}
		a.waitLog(t, regexp.MustCompile(`a spent refresh token was presented again`))
		if code, p := b.post(t, "/auth/refresh", "", map[string]any{"refreshToken": rt2}); code != http.StatusUnauthorized {
			t.Errorf("the session's live token, through B, after the reuse on A: got %d %v, want 401 (the session is revoked)", code, p)
		}
	})

	t.Run("logout", func(t *testing.T) {
		// A user of its own, so as not to spend the admin's bucket.
		id := newTenantAdmin(t, a, "Initech", "initech", "Peter Gibbons", "peter@initech.com", "peter's own passphrase")
		tok := a.login(t, "peter@initech.com", "peter's own passphrase", id)
		access := tok["accessToken"].(string)
		// B reads the session and trusts it for ATOMIX_SESSION_CHECK.
		if code, p := b.do(t, "GET", "/tenants/"+id, access, ""); code != http.StatusOK {
			t.Fatalf("GET through B before the logout: got %d %v, want 200", code, p)
		}
		if code, p := a.post(t, "/auth/logout", access, map[string]any{"refreshToken": tok["refreshToken"]}); code != http.StatusNoContent {
			t.Fatalf("POST /auth/logout through A: got %d %v, want 204", code, p)
		}
		loggedOut := time.Now()
		// A, which ended the session, refuses its access token at once.
		if code, p := a.do(t, "GET", "/tenants/"+id, access, ""); code != http.StatusUnauthorized {
			t.Errorf("GET through A after the logout: got %d %v, want 401", code, p)
		}
		// B, within the session check (a lower bound, whatever the
		// machine's speed): refused too.
		time.Sleep(time.Until(loggedOut.Add(sessionCheck + 250*time.Millisecond)))
		if code, p := b.do(t, "GET", "/tenants/"+id, access, ""); code != http.StatusUnauthorized {
			t.Errorf("GET through B %s after the logout on A: got %d %v, want 401", sessionCheck, code, p)
		}
	})

	t.Run("billing", func(t *testing.T) {
		// Every tenant of the rounds so far is billed in each month: the
		// new ones their first period with its usage, the earlier ones a
		// renewal at the plan's price.
		want := map[string]int64{} // tenant ID -> the month's invoice total
		subs := 0
		for _, r := range rounds {
			subs += len(r.totals)
		}
		for k, r := range rounds {
			for id, total := range r.totals {
				want[id] = total
			}
			// The first runs bring every subscription to now (trial ends,
			// renewals): each moves once, by one run or the other.
			wantAdvanced := 0
			if k == 0 {
				wantAdvanced = subs
			}
			if got := runBillingTwice(t, a, b, r.month, want); got != wantAdvanced {
				t.Errorf("%s: subscriptions advanced by the two runs: got %d, want %d", r.month, got, wantAdvanced)
			}
			for id, pl := range r.plan {
				want[id] = planPrice[pl]
			}
		}
	})

	t.Run("rate limits", func(t *testing.T) {
		// A fresh user has a bucket of its own: userLimit requests an hour.
		id := newTenantAdmin(t, a, "Globex", "globex", "Hank Scorpio", "hank@globex.com", "hank's own passphrase")
		access := b.login(t, "hank@globex.com", "hank's own passphrase", id)["accessToken"].(string)
		via := map[byte]*server{'A': a, 'B': b}
		// Six requests through A and four through B, interleaved, spend
		// the bucket: each answer counts what is left of it on both.
		const spread = "ABABABABAA"
		for i, name := range []byte(spread) {
			code, h, p, err := request("GET", via[name].base+"/tenants/"+id, access, nil)
			want := fmt.Sprintf(`"user";r=%d;`, userLimit-1-i)
			if err != nil || code != http.StatusOK || !strings.HasPrefix(h.Get("RateLimit"), want) {
				t.Fatalf("request %d, through %c: got %d %v with RateLimit %q (%v), want 200 with %s...", i+1, name, code, p, h.Get("RateLimit"), err, want)
			}
		}
		// The next, through either, is refused until a token refills.
		for _, name := range []byte("AB") {
			code, h, p, err := request("GET", via[name].base+"/tenants/"+id, access, nil)
			retry, _ := strconv.Atoi(h.Get("Retry-After"))
			if err != nil || code != http.StatusTooManyRequests || p["code"] != "rate_limited" || retry < 1 || retry > 3600/userLimit {
				t.Errorf("request %d, through %c: got %d %v with Retry-After %q (%v), want 429 rate_limited with Retry-After 1 to %d",
					len(spread)+1, name, code, p, h.Get("Retry-After"), err, 3600/userLimit)
			}
		}
	})
}

// userLimit is the per-user rate limit of the instances, per hour.
const userLimit = 10

// newTenantAdmin creates a tenant through s, with the platform key, whose
// admin (the contact) has the password, and returns the tenant's ID.
func newTenantAdmin(t *testing.T, s *server, name, subdomain, person, email, password string) string {
	t.Helper()
	code, tn := s.post(t, "/tenants", instancesKey, map[string]any{
		"name": name, "subdomain": subdomain, "password": password,
		"contact": map[string]string{"name": person, "email": email},
	})
	if code != http.StatusCreated {
		t.Fatalf("POST /tenants (%s): got %d %v, want 201", subdomain, code, tn)
	}
	return tn["id"].(string)
}

// sessionCheck is the instances' ATOMIX_SESSION_CHECK: how long B may
// trust a session A ended.
const sessionCheck = time.Second

// startInstances starts n server processes at once with the same
// environment and arguments, as a deployment's replicas start, and waits
// until each listens and answers /readyz.
func startInstances(t *testing.T, bin string, n int, env []string, args ...string) []*server {
	t.Helper()
	out := make([]*server, n)
	found := make([]<-chan string, n)
	for i := range n {
		out[i], found[i] = launch(t, bin, t.TempDir(), env, args...)
	}
	deadline := time.After(30 * time.Second)
	for i, s := range out {
		s.await(t, found[i], deadline, fmt.Sprintf("instance %d", i))
		res, err := http.Get(strings.TrimSuffix(s.base, "/v1") + "/readyz")
		if err != nil {
			t.Fatalf("instance %d: GET /readyz: %v", i, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("instance %d: GET /readyz: got %d, want 200; logs:\n%s", i, res.StatusCode, s.logs)
		}
	}
	return out
}

// waitLog waits for a line matching re in the server's log, which
// reaches the buffer through a pipe, after the answers the process sent
// before it.
func (s *server) waitLog(t *testing.T, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !re.MatchString(s.logs.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no line matching %q in the server's log:\n%s", re, s.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// request sends a JSON body without failing the test, for goroutines and
// for answers whose headers count. It returns the status, the headers
// and the decoded JSON object, if any.
func request(method, url, token string, body any) (int, http.Header, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return res.StatusCode, res.Header, nil, fmt.Errorf("%s %s: body is not a JSON object: %q", method, url, raw)
		}
	}
	return res.StatusCode, res.Header, out, nil
}

// billingRound is one month to bill: the tenants made for it, each with
// its plan and the total its first invoice must have.
type billingRound struct {
	month  string
	totals map[string]int64  // tenant ID -> invoice total, in cents
	plan   map[string]string // tenant ID -> plan ID
}

// planPrice is the monthly price of billing.DemoPlans, in cents.
var planPrice = map[string]int64{"plan_starter": 4900, "plan_professional": 14900}

// seedBillingRounds opens the schema of dsn in this process (migrating
// it) and, with a platform whose clock is set months before now, stores
// seed 000's plans, an api_calls SKU and three rounds of tenants, each
// made on the first of a month, converted during its trial (its first
// paid period runs from the 15th to the 15th of the next month) and given
// usage in that period. Each round's month, the one its first period
// ends in, is over by at least two months, whatever the date.
func seedBillingRounds(t *testing.T, dsn string, now time.Time) []billingRound {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	defer st.Close()
	var clock atomic.Int64
	p, err := atomix.New(st, atomix.WithClock(func() time.Time { return time.Unix(0, clock.Load()).UTC() }))
	if err != nil {
		t.Fatal(err)
	}
	sys := atomix.AsSystem(ctx)
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	clock.Store(thisMonth.AddDate(0, -7, 0).UnixNano())
	for _, pl := range billing.DemoPlans() {
		if _, err := p.CreatePlan(sys, pl); err != nil {
			t.Fatalf("plan %s: %v", pl.ID, err)
		}
	}
	if _, err := p.CreateSKU(sys, apiCallsSKU(t)); err != nil {
		t.Fatalf("SKU: %v", err)
	}

	// Each round's tenants: a plan and the calls of their first period.
	// By hand, with apiCallsSKU: 30,000 calls = 20,000 past the free
	// 10,000 at 0.001 = 20.00; 60,000 = 50.00; 110,000 = 90.00 + 10,000 at
	// 0.0005 = 95.00.
	tenants := []struct {
		plan  string
		calls int64
		total int64
	}{
		{"plan_starter", 30_000, 4900 + 2000},
		{"plan_professional", 60_000, 14900 + 5000},
		{"plan_professional", 110_000, 14900 + 9500},
	}
	var rounds []billingRound
	for k := range 3 {
		made := thisMonth.AddDate(0, k-6, 0).Add(10 * time.Hour)
		clock.Store(made.UnixNano())
		r := billingRound{month: made.AddDate(0, 1, 0).Format("2006-01"), totals: map[string]int64{}, plan: map[string]string{}}
		var recs []billing.UsageRecord
		for j, tc := range tenants {
			sub := fmt.Sprintf("round%dtenant%d", k, j)
			out, err := p.CreateTenant(sys, atomix.CreateTenantInput{Name: sub, Subdomain: sub, PlanID: tc.plan,
				Contact: tenant.Contact{Name: "Owner " + sub, Email: "owner@" + sub + ".example.com"}})
			if err != nil {
				t.Fatalf("tenant %s: %v", sub, err)
			}
			id := out.Tenant.ID
			if _, err := p.TransitionTenant(sys, id, tenant.StatusActive); err != nil {
				t.Fatalf("activate %s: %v", sub, err)
			}
			r.totals[id], r.plan[id] = tc.total, tc.plan
			// The calls in two records, on the 20th and 21st.
			for i, q := range []int64{tc.calls / 2, tc.calls - tc.calls/2} {
				recs = append(recs, billing.UsageRecord{TenantID: id, IdempotencyKey: fmt.Sprintf("%s-%d", sub, i), Metric: "api_calls",
					Quantity: q, Timestamp: made.AddDate(0, 0, 19+i)})
			}
		}
		clock.Store(made.AddDate(0, 0, 27).UnixNano())
		res, err := p.IngestUsage(sys, recs)
		if err != nil {
			t.Fatalf("usage of round %d: %v", k, err)
		}
		for i, x := range res {
			if x.Outcome != billing.Accepted {
				t.Fatalf("usage record %d of round %d: got %v, want it accepted", i, k, x)
			}
		}
		rounds = append(rounds, r)
	}
	return rounds
}

// apiCallsSKU prices API calls for every USD plan, graduated, as the demo
// server's: the first 10,000 calls of a period free, the next 90,000 at
// 0.001 USD, the rest at 0.0005 USD.
func apiCallsSKU(t *testing.T) billing.SKU {
	t.Helper()
	d := func(s string) money.Decimal {
		v, err := money.ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	free, mid := int64(10_000), int64(100_000)
	return billing.SKU{
		Code: "api_calls", Name: "API calls", Aggregation: billing.AggSum,
		Price: billing.Price{SKU: "api_calls", Metric: "api_calls", Currency: money.USD, Model: billing.Graduated, Tiers: []billing.Tier{
			{UpTo: &free, UnitAmount: d("0"), FlatAmount: d("0")},
			{UpTo: &mid, UnitAmount: d("0.001"), FlatAmount: d("0")},
			{UnitAmount: d("0.0005"), FlatAmount: d("0")},
		}},
	}
}

// runBillingTwice starts the month's billing run on a and on b at the
// same moment and checks that between them they made one invoice per
// tenant of want, each with its total, and that each run saw them all.
// It returns how many subscriptions the two runs advanced.
func runBillingTwice(t *testing.T, a, b *server, month string, want map[string]int64) int {
	t.Helper()
	type answer struct {
		code int
		body map[string]any
		err  error
	}
	var (
		wg   sync.WaitGroup
		gate = make(chan struct{})
		got  = make([]answer, 2)
	)
	for i, s := range []*server{a, b} {
		wg.Go(func() {
			<-gate
			code, _, body, err := request("POST", s.base+"/billing/runs", instancesKey, map[string]string{"period": month})
			got[i] = answer{code, body, err}
		})
	}
	close(gate)
	wg.Wait()
	created, advanced := 0, 0
	ids := map[string]bool{}
	for i, g := range got {
		if g.err != nil || g.code != http.StatusOK {
			t.Fatalf("%s: the run on instance %d: got %d %v (%v), want 200", month, i, g.code, g.body, g.err)
		}
		c, e := int(g.body["created"].(float64)), int(g.body["existing"].(float64))
		if c+e != len(want) {
			t.Errorf("%s: the run on instance %d: got %d created + %d existing, want %d invoices seen", month, i, c, e, len(want))
		}
		created += c
		advanced += int(g.body["advanced"].(float64))
		for _, id := range g.body["invoiceIds"].([]any) {
			if ids[id.(string)] {
				t.Errorf("%s: invoice %s reported made by both runs", month, id)
			}
			ids[id.(string)] = true
		}
	}
	if created != len(want) {
		t.Errorf("%s: invoices made by the two runs: got %d, want %d", month, created, len(want))
	}

	code, list := b.do(t, "GET", "/invoices?limit=100&period="+month, instancesKey, "")
	data, _ := list["data"].([]any)
	if code != http.StatusOK {
		t.Fatalf("%s: GET /invoices: got %d %v, want 200", month, code, list)
	}
	seen := map[string]int{} // tenant and period start -> invoices
	for _, v := range data {
		inv := v.(map[string]any)
		tenantID := inv["tenantId"].(string)
		seen[tenantID+" "+inv["periodStart"].(string)]++
		if !ids[inv["id"].(string)] {
			t.Errorf("%s: invoice %s is listed, but neither run reported making it", month, inv["id"])
		}
		total := inv["total"].(map[string]any)
		if w, ok := want[tenantID]; !ok || total["amount"] != float64(w) || total["currency"] != "USD" {
			t.Errorf("%s: invoice of %s: got total %v, want %d USD", month, tenantID, total, w)
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s: invoices of %s: got %d, want 1", month, k, n)
		}
	}
	if len(data) != len(want) || len(seen) != len(want) {
		t.Errorf("%s: invoices listed: got %d for %d tenant periods, want %d", month, len(data), len(seen), len(want))
	}
	return advanced
}
