package main_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// rlSend sends an unauthenticated or keyed request and returns the status,
// headers and problem code.
func rlSend(t *testing.T, method, url, key, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p struct {
		Code string `json:"code"`
	}
	_ = json.NewDecoder(res.Body).Decode(&p)
	return res.StatusCode, res.Header, p.Code
}

// TestServerRateLimitBurst runs the binary with a small API key limit: a
// burst answers 429 with Retry-After and the draft's headers; the auth
// class is on by default (20 requests a minute per address, bursts of
// 20).
func TestServerRateLimitBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	const key = "ak_ratelimit_test"
	s := start(t, buildServer(t), t.TempDir(), []string{"ATOMIX_API_KEY=" + key, "ATOMIX_RATE_LIMITS=", "ATOMIX_RATE_LIMIT_API_KEY=3/1m",
		"ATOMIX_RATE_LIMIT_AUTH=", "ATOMIX_RATE_LIMIT_IP=", "ATOMIX_RATE_LIMIT_USER=", "ATOMIX_TRUSTED_PROXIES="}, "-dsn", "memory:")

	for i, want := range []int{200, 200, 200, 429} {
		code, h, pcode := rlSend(t, "GET", s.base+"/tenants", key, "")
		if code != want {
			t.Fatalf("GET /tenants %d: got %d (%s), want %d", i+1, code, pcode, want)
		}
		if got := h.Get("RateLimit-Policy"); got != `"api-key";q=3;w=60` {
			t.Errorf("GET /tenants %d: got RateLimit-Policy %q, want \"api-key\";q=3;w=60", i+1, got)
		}
		if !strings.HasPrefix(h.Get("RateLimit"), `"api-key";r=`) {
			t.Errorf("GET /tenants %d: got RateLimit %q, want the bucket's state", i+1, h.Get("RateLimit"))
		}
		if code == 429 {
			if pcode != "rate_limited" || h.Get("Retry-After") != "20" {
				t.Errorf("the burst's 429: got code %q, Retry-After %q, want rate_limited, 20", pcode, h.Get("Retry-After"))
			}
		}
	}

	// The default auth class: 20 refreshes from one address, then 429.
	for i := range 21 {
		code, h, pcode := rlSend(t, "POST", s.base+"/auth/refresh", "", `{"refreshToken":"not-a-token"}`)
		want, wantCode := 401, "unauthenticated"
		if i == 20 {
			want, wantCode = 429, "rate_limited"
		}
		if code != want || pcode != wantCode {
			t.Fatalf("refresh %d: got %d %q, want %d %q", i+1, code, pcode, want, wantCode)
		}
		if code == 429 && h.Get("Retry-After") != "3" {
			t.Errorf("refresh %d: got Retry-After %q, want 3", i+1, h.Get("Retry-After"))
		}
	}
	if !strings.Contains(s.logs.String(), "rate limits") {
		t.Errorf("logs: got no rate limits line:\n%s", s.logs)
	}
}

// TestServerRateLimitsOff: ATOMIX_RATE_LIMITS=off sends no RateLimit
// header and limits nothing.
func TestServerRateLimitsOff(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	s := start(t, buildServer(t), t.TempDir(), []string{"ATOMIX_RATE_LIMITS=off", "ATOMIX_RATE_LIMIT_AUTH=1/1h"}, "-dsn", "memory:")
	for i := range 3 {
		code, h, _ := rlSend(t, "POST", s.base+"/auth/refresh", "", `{"refreshToken":"not-a-token"}`)
		if code != 401 || h.Get("RateLimit") != "" {
			t.Errorf("refresh %d: got %d with RateLimit %q, want 401 without it", i+1, code, h.Get("RateLimit"))
		}
	}
}

// TestServerRateLimitBadConfig: a policy or proxy list that does not
// parse stops the server with a message naming the variable.
func TestServerRateLimitBadConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	for _, env := range []string{"ATOMIX_RATE_LIMIT_IP=100", "ATOMIX_RATE_LIMIT_AUTH=5/1m,burst=0", "ATOMIX_TRUSTED_PROXIES=10.0.0.0/8,nope", "ATOMIX_RATE_LIMITS=maybe"} {
		cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-dsn", "memory:")
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "ATOMIX_API_KEY=k", env)
		out, err := cmd.CombinedOutput()
		name, _, _ := strings.Cut(env, "=")
		if err == nil || !strings.Contains(string(out), name) {
			t.Errorf("%s: got %v, output:\n%s\nwant a failed start naming %s", env, err, out, name)
		}
	}
}
