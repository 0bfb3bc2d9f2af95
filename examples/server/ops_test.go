package main_test

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// get fetches url and returns the status, Content-Type and body.
func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// series returns the value of the series named exactly line (name and
// labels, as exposed) in a text exposition, and false when it is absent.
func series(exposition, line string) (string, bool) {
	for l := range strings.Lines(exposition) {
		if rest, ok := strings.CutPrefix(strings.TrimSuffix(l, "\n"), line+" "); ok {
			return rest, true
		}
	}
	return "", false
}

func TestServerOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	const key = "test-platform-key"
	dir := t.TempDir()
	s := start(t, bin, dir, []string{"ATOMIX_API_KEY=" + key}, "-dsn", "sqlite:"+filepath.Join(dir, "atomix.db"))
	root := strings.TrimSuffix(s.base, "/v1")

	probes := []struct {
		path   string
		status int
		body   string
	}{
		{"/healthz", http.StatusOK, `{"status":"ok"}` + "\n"},
		{"/readyz", http.StatusOK, `{"status":"ready"}` + "\n"},
	}
	for _, p := range probes {
		code, ctype, body := get(t, root+p.path)
		if code != p.status || body != p.body || ctype != "application/json" {
			t.Errorf("GET %s: got %d %q %q, want %d %q application/json", p.path, code, body, ctype, p.status, p.body)
		}
	}

	// Use the API: a list, a missing tenant, a billing run of a month
	// long over and a failed login.
	if code, _ := s.do(t, "GET", "/tenants", key, ""); code != http.StatusOK {
		t.Fatalf("GET /tenants: got %d, want 200", code)
	}
	if code, _ := s.do(t, "GET", "/tenants/tn_missing", key, ""); code != http.StatusNotFound {
		t.Fatalf("GET /tenants/tn_missing: got %d, want 404", code)
	}
	if code, out := s.do(t, "POST", "/billing/runs", key, `{"period":"2025-12"}`); code != http.StatusOK {
		t.Fatalf("POST /billing/runs: got %d %v, want 200", code, out)
	}

	// A login for nobody still costs one (dummy) password hash, in a slot
	// of the CPU gate.
	if code, out := s.do(t, "POST", "/auth/login", "", `{"email":"nobody@example.com","password":"not a password at all"}`); code != http.StatusUnauthorized {
		t.Fatalf("POST /auth/login for nobody: got %d %v, want 401", code, out)
	}

	code, _, metrics := get(t, root+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: got %d, want 200", code)
	}
	tests := []struct {
		line string // the series, as exposed
		want string // its value; "+" for any value but 0
	}{
		{`atomix_http_requests_total{method="GET",route="/tenants",status="200"}`, "1"},
		{`atomix_http_requests_total{method="GET",route="/tenants/{tenantId}",status="404"}`, "1"},
		{`atomix_http_request_duration_seconds_count{method="GET",route="/tenants"}`, "1"},
		{`atomix_billing_runs_total{kind="billing",outcome="ok"}`, "1"},
		{`atomix_billing_runs_total{kind="billing",outcome="error"}`, "0"},
		{`atomix_billing_run_duration_seconds_count{kind="billing",outcome="ok"}`, "1"},
		{`atomix_store_duration_seconds_count{op="select",outcome="ok"}`, "+"},
		{`atomix_store_duration_seconds_count{op="tx",outcome="ok"}`, "+"},
		{`atomix_store_duration_seconds_count{op="tx",outcome="error"}`, "0"},
		{`go_goroutines`, "+"},
		{`atomix_cpu_gate_slots`, "+"},
		{`atomix_cpu_gate_running`, "0"},
		{`atomix_cpu_gate_waiting`, "0"},
		{`atomix_cpu_gate_jobs_total`, "+"},
		{`atomix_password_hashes_waiting`, "0"},
		{`atomix_password_hashes_total`, "+"},
	}
	for _, tc := range tests {
		got, ok := series(metrics, tc.line)
		switch {
		case !ok:
			t.Errorf("%s: got no such series, want %s", tc.line, tc.want)
		case tc.want == "+" && got == "0", tc.want != "+" && got != tc.want:
			t.Errorf("%s: got %s, want %s", tc.line, got, tc.want)
		}
	}
	if strings.Contains(metrics, "tn_missing") || strings.Contains(metrics, `route="/v1`) {
		t.Error("metrics: got a raw path in a label, want route patterns only")
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", metrics)
	}
	s.stop(t)
}
