package main

// This test is internal to package main: it runs the server in process,
// as the binary would, with a clock it can move, which a billing run needs
// (a month's run starts after the month ends).

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
)

// movable is a clock the test sets.
type movable struct {
	mu sync.Mutex
	t  time.Time
}

func (m *movable) now() time.Time  { m.mu.Lock(); defer m.mu.Unlock(); return m.t }
func (m *movable) set(t time.Time) { m.mu.Lock(); defer m.mu.Unlock(); m.t = t }

// inProcess is a server run by run() in this process.
type inProcess struct {
	base string
	key  string
}

func (s inProcess) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode, out
}

// startInProcess runs the demo server on a SQLite file with the clock.
func startInProcess(t *testing.T, clk *movable) inProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	env := map[string]string{"ATOMIX_API_KEY": "demo-key"}
	done := make(chan error, 1)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "atomix.db")
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-dsn", dsn, "-demo"}, func(k string) string { return env[k] }, pw, io.Discard,
			atomix.WithClock(clk.now))
		_ = pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	re := regexp.MustCompile(`listening on (http://\S+/v1)`)
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, pr) }()
			return inProcess{base: m[1], key: "demo-key"}
		}
	}
	t.Fatalf("the server did not start: %v", sc.Err())
	return inProcess{}
}

func day(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, time.UTC) }

func usageBatch(tenantID, prefix string, qty ...int) string {
	var recs []string
	for i, q := range qty {
		recs = append(recs, fmt.Sprintf(`{"idempotencyKey":"%s-%d","tenantId":"%s","metric":"api_calls","quantity":%d,"timestamp":"2026-03-2%dT10:00:00Z"}`,
			prefix, i, tenantID, q, i))
	}
	return `{"records":[` + strings.Join(recs, ",") + `]}`
}

// TestServerBillingMustShow is issue 9's must-show with the demo data:
// a new tenant is trialing on its plan; three usage batches, one sent
// twice, count once; the month's billing run, started twice at once,
// makes one invoice whose lines and total match a hand calculation; the
// usage report shows used, limit and percentage; a user past maxUsers is
// refused with 409.
func TestServerBillingMustShow(t *testing.T) {
	clk := &movable{}
	clk.set(day(time.March, 1, 10))
	s := startInProcess(t, clk)

	code, tn := s.do(t, "POST", "/tenants", `{"name":"Acme","subdomain":"acme","planId":"plan_professional","contact":{"name":"John Doe","email":"john@acme.com"}}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /tenants: got %d %v, want 201", code, tn)
	}
	id := tn["id"].(string)
	code, sub := s.do(t, "GET", "/tenants/"+id+"/subscription", "")
	if code != http.StatusOK || sub["status"] != "trialing" || sub["planId"] != "plan_professional" || sub["expiresAt"] != "2026-03-15T00:00:00Z" {
		t.Fatalf("subscription: got %d %v, want trialing on plan_professional until 2026-03-15", code, sub)
	}
	// The tenant converts during its trial; its first paid period is
	// 2026-03-15 to 2026-04-15.
	if code, got := s.do(t, "POST", "/tenants/"+id+"/activate", ""); code != http.StatusOK || got["status"] != "active" {
		t.Fatalf("activate: got %d %v", code, got)
	}
	clk.set(day(time.March, 28, 12))

	// Three batches, the second sent twice: 20,000 + 30,000 + 60,000 calls.
	batches := []string{usageBatch(id, "a", 5000, 5000, 5000, 5000), usageBatch(id, "b", 10000, 10000, 10000), usageBatch(id, "c", 30000, 30000)}
	for i, b := range append(batches, batches[1]) {
		code, res := s.do(t, "POST", "/usage", b)
		want := map[string]any{"accepted": float64(strings.Count(b, "idempotencyKey")), "duplicates": 0.0, "rejected": 0.0}
		if i == 3 {
			want = map[string]any{"accepted": 0.0, "duplicates": 3.0, "rejected": 0.0}
		}
		if code != http.StatusOK || res["accepted"] != want["accepted"] || res["duplicates"] != want["duplicates"] || res["rejected"] != want["rejected"] {
			t.Fatalf("batch %d: got %d %v, want %v", i, code, res, want)
		}
	}
	code, usage := s.do(t, "GET", "/tenants/"+id+"/usage", "")
	u, _ := usage["usage"].(map[string]any)
	calls, _ := u["api_calls"].(map[string]any)
	users, _ := u["users"].(map[string]any)
	if code != http.StatusOK || calls["used"] != 110000.0 || users["used"] != 1.0 || users["limit"] != 50.0 || users["percentage"] != 2.0 {
		t.Errorf("usage: got %d %v, want 110000 calls and 1 of 50 users (2.0%%)", code, usage)
	}

	// A starter tenant (10 users): the admin and nine more fit, the
	// eleventh is refused.
	code, st := s.do(t, "POST", "/tenants", `{"name":"Small","subdomain":"small","planId":"plan_starter","contact":{"name":"Sam","email":"sam@small.com"}}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /tenants small: got %d %v", code, st)
	}
	for i := range 10 {
		code, got := s.do(t, "POST", "/tenants/"+st["id"].(string)+"/users", fmt.Sprintf(`{"name":"U%d","email":"u%d@small.com","role":"tenant_member"}`, i, i))
		want := http.StatusCreated
		if i == 9 {
			want = http.StatusConflict
		}
		if code != want || (i == 9 && got["code"] != "plan_limit_exceeded") {
			t.Fatalf("user %d: got %d %v, want %d", i+2, code, got, want)
		}
	}

	// After April and its usage grace, two runs at once make one invoice.
	clk.set(day(time.May, 1, 2))
	var wg sync.WaitGroup
	runs := make([]map[string]any, 2)
	codes := make([]int, 2)
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], runs[i] = s.do(t, "POST", "/billing/runs", `{"period":"2026-04"}`)
		}()
	}
	wg.Wait()
	if codes[0] != http.StatusOK || codes[1] != http.StatusOK || runs[0]["created"].(float64)+runs[1]["created"].(float64) != 1 {
		t.Fatalf("runs: got %d %v and %d %v, want one invoice made in all", codes[0], runs[0], codes[1], runs[1])
	}
	code, list := s.do(t, "GET", "/invoices?period=2026-04", "")
	data, _ := list["data"].([]any)
	if code != http.StatusOK || len(data) != 1 {
		t.Fatalf("invoices: got %d %v, want one", code, list)
	}
	// By hand: Professional for the period, 149.00; 110,000 calls:
	// 10,000 free, 90,000 at 0.001 = 90.00, 10,000 at 0.0005 = 5.00;
	// total 244.00 USD, no tax.
	inv := data[0].(map[string]any)
	var lines []string
	for _, l := range inv["lines"].([]any) {
		lm := l.(map[string]any)
		lines = append(lines, fmt.Sprintf("%s %v %v", lm["kind"], lm["quantity"], lm["amount"].(map[string]any)["amount"]))
	}
	if want := []string{"subscription 1 14900", "usage 110000 9500"}; fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("lines: got %v, want %v", lines, want)
	}
	if total := inv["total"].(map[string]any); total["amount"] != 24400.0 || total["currency"] != "USD" || inv["tenantId"] != id ||
		inv["periodStart"] != "2026-03-15T00:00:00Z" || inv["periodEnd"] != "2026-04-15T00:00:00Z" {
		t.Errorf("invoice: got %v, want 244.00 USD for %s, 2026-03-15 to 2026-04-15", inv, id)
	}
	// The starter tenant's trial ended unconverted: no invoice, suspended.
	if code, got := s.do(t, "GET", "/tenants/"+st["id"].(string), ""); code != http.StatusOK || got["status"] != "suspended" {
		t.Errorf("unconverted trial: got %d %v, want the tenant suspended", code, got)
	}
}

// TestServerCommissionMustShow is issue 10's must-show with the demo
// data: a distributor at 10% and its partner at 15% on a 149.00 USD
// invoice get exactly their shares and the platform the rest; voiding the
// invoice the next month shows the reversal in that month's statement
// while the first month's closed statement is unchanged.
func TestServerCommissionMustShow(t *testing.T) {
	clk := &movable{}
	clk.set(day(time.March, 1, 10))
	s := startInProcess(t, clk)
	reseller := func(path, body string) string {
		t.Helper()
		code, r := s.do(t, "POST", path, body)
		if code != http.StatusCreated {
			t.Fatalf("POST %s: got %d %v", path, code, r)
		}
		return r["id"].(string)
	}
	address := `"billingAddress":{"line1":"100 George St","postcode":"2000","city":"Sydney","country":"AU"}`
	dist := reseller("/distributors", `{"name":"Northwind Distribution","contact":{"name":"Mia","email":"mia@northwind.example"},`+address+`}`)
	part := reseller("/partners", `{"name":"Contoso Partners","distributorId":"`+dist+`","contact":{"name":"Ana","email":"ana@contoso.example"},`+address+`}`)
	for _, a := range [][2]string{{"/distributors/" + dist, demoDistributorPlan}, {"/partners/" + part, demoPartnerPlan}} {
		if code, got := s.do(t, "PUT", a[0]+"/commission-plan", `{"planId":"`+a[1]+`"}`); code != http.StatusOK {
			t.Fatalf("PUT %s/commission-plan: got %d %v", a[0], code, got)
		}
	}
	code, tn := s.do(t, "POST", "/tenants", `{"name":"Acme","subdomain":"acme","planId":"plan_professional","ownerId":"`+part+`","contact":{"name":"John Doe","email":"john@acme.com"}}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /tenants: got %d %v", code, tn)
	}
	id := tn["id"].(string)
	if code, got := s.do(t, "POST", "/tenants/"+id+"/activate", ""); code != http.StatusOK {
		t.Fatalf("activate: got %d %v", code, got)
	}
	// April's run bills the first paid period, 2026-03-15 to 2026-04-15.
	clk.set(day(time.May, 1, 2))
	if code, got := s.do(t, "POST", "/billing/runs", `{"period":"2026-04"}`); code != http.StatusOK || got["created"] != 1.0 {
		t.Fatalf("billing run: got %d %v", code, got)
	}
	if code, got := s.do(t, "POST", "/commissions/runs", `{"period":"2026-04"}`); code != http.StatusOK || got["created"] != 3.0 {
		t.Fatalf("commission run: got %d %v", code, got)
	}
	// 149.00 USD: partner 15% = 22.35, distributor 10% = 14.90, platform 111.75.
	net := func(resellerID, month string) (float64, string) {
		t.Helper()
		code, sum := s.do(t, "GET", "/commissions/summary?period="+month+"&"+map[bool]string{true: "partnerId", false: "distributorId"}[resellerID == part]+"="+resellerID, "")
		byCur, _ := sum["byCurrency"].([]any)
		if code != http.StatusOK || len(byCur) != 1 {
			t.Fatalf("summary of %s in %s: got %d %v", resellerID, month, code, sum)
		}
		c := byCur[0].(map[string]any)
		return c["net"].(map[string]any)["amount"].(float64), c["currency"].(string)
	}
	if got, cur := net(part, "2026-04"); got != 2235 || cur != "USD" {
		t.Errorf("partner: got %v %s, want 2235 USD", got, cur)
	}
	if got, _ := net(dist, "2026-04"); got != 1490 {
		t.Errorf("distributor: got %v, want 1490", got)
	}
	code, rec := s.do(t, "GET", "/commissions/reconciliation?period=2026-04", "")
	curs, _ := rec["currencies"].([]any)
	if code != http.StatusOK || len(curs) != 1 || rec["balanced"] != true {
		t.Fatalf("reconciliation: got %d %v", code, rec)
	}
	c := curs[0].(map[string]any)
	amount := func(k string) float64 { return c[k].(map[string]any)["amount"].(float64) }
	if amount("invoiced") != 14900 || amount("resellers") != 3725 || amount("platform") != 11175 || amount("difference") != 0 {
		t.Errorf("reconciliation: got %v, want 149.00 = 37.25 + 111.75", c)
	}
	// Close the partner's April statement; void the invoice in May.
	code, list := s.do(t, "GET", "/commissions/statements?period=2026-04&resellerId="+part, "")
	items, _ := list["data"].([]any)
	if code != http.StatusOK || len(items) != 1 {
		t.Fatalf("statements: got %d %v", code, list)
	}
	april := items[0].(map[string]any)["id"].(string)
	clk.set(day(time.May, 2, 0))
	if code, got := s.do(t, "POST", "/commissions/statements/"+april+"/close", ""); code != http.StatusOK || got["status"] != "closed" {
		t.Fatalf("close: got %d %v", code, got)
	}
	clk.set(day(time.May, 10, 0))
	code, invs := s.do(t, "GET", "/invoices?period=2026-04", "")
	data, _ := invs["data"].([]any)
	if code != http.StatusOK || len(data) != 1 {
		t.Fatalf("invoices: got %d %v", code, invs)
	}
	if code, got := s.do(t, "POST", "/invoices/"+data[0].(map[string]any)["id"].(string)+"/void", ""); code != http.StatusOK {
		t.Fatalf("void: got %d %v", code, got)
	}
	if got, _ := net(part, "2026-05"); got != -2235 {
		t.Errorf("May: partner got %v, want -2235 (the reversal)", got)
	}
	code, st := s.do(t, "GET", "/commissions/statements/"+april, "")
	if total := st["total"].(map[string]any); code != http.StatusOK || st["status"] != "closed" || total["amount"] != 2235.0 {
		t.Errorf("April's closed statement: got %d %v, want 22.35 unchanged", code, st)
	}
}
