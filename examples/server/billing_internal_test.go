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
