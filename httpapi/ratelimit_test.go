package httpapi_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/ratelimit"
	"github.com/atomixplatform/atomix/store/memory"
)

// limitEnv is an authEnv whose handler has rate limits on their own
// memory store and clock.
type limitEnv struct {
	*authEnv
	lclock *fakeClock
}

// policy parses a test policy, failing the test when it does not parse.
func policy(t testing.TB, name, s string) *ratelimit.Policy {
	t.Helper()
	p, on, err := ratelimit.ParsePolicy(name, s)
	if err != nil || !on {
		t.Fatalf("ParsePolicy(%q): got %v, %v", s, on, err)
	}
	return &p
}

func newLimitEnv(t testing.TB, rl httpapi.RateLimits) *limitEnv {
	t.Helper()
	ae := newAuthEnv(t, "", nil)
	clk := newFakeClock()
	if rl.Store == nil {
		s := memory.New()
		t.Cleanup(func() { _ = s.Close() })
		rl.Store = s
	}
	rl.Clock = clk.now
	logger := slog.New(slog.NewJSONHandler(ae.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ae.h = httpapi.New(ae.p, httpapi.WithAPIKey(testKey), httpapi.WithLogger(logger), httpapi.WithRateLimits(rl))
	return &limitEnv{authEnv: ae, lclock: clk}
}

// wantLimitHeaders checks the RateLimit-Policy and RateLimit headers.
func (res *resp) wantLimitHeaders(t testing.TB, what, policy, limit string) {
	t.Helper()
	if got := res.header.Get("RateLimit-Policy"); got != policy {
		t.Errorf("%s: got RateLimit-Policy %q, want %q", what, got, policy)
	}
	if got := res.header.Get("RateLimit"); got != limit {
		t.Errorf("%s: got RateLimit %q, want %q", what, got, limit)
	}
}

// want429 checks a rate_limited problem with its Retry-After.
func (res *resp) want429(t testing.TB, what, retryAfter string) {
	t.Helper()
	if res.status != http.StatusTooManyRequests {
		t.Errorf("%s: got status %d (%s), want 429", what, res.status, res.body)
		return
	}
	if p := res.problem(t); p.Code != string(core.RateLimited) {
		t.Errorf("%s: got code %q, want %q", what, p.Code, core.RateLimited)
	}
	if got := res.header.Get("Retry-After"); got != retryAfter {
		t.Errorf("%s: got Retry-After %q, want %q", what, got, retryAfter)
	}
}

// TestRateLimitBurstAnswers429 sends a burst with the API key: the bucket
// of 3 lets 3 through, each with the draft's headers, then answers 429
// with Retry-After until the clock moves on and a token refills.
func TestRateLimitBurstAnswers429(t *testing.T) {
	e := newLimitEnv(t, httpapi.RateLimits{APIKey: policy(t, "api-key", "3/1m")})
	const pol = `"api-key";q=3;w=60`
	for i, want := range []string{`"api-key";r=2;t=20`, `"api-key";r=1;t=40`, `"api-key";r=0;t=60`} {
		res := e.do(t, req{method: http.MethodGet, path: "/tenants"})
		res.wantStatus(t, http.StatusOK)
		res.wantLimitHeaders(t, "request "+string(rune('1'+i)), pol, want)
	}
	res := e.do(t, req{method: http.MethodGet, path: "/tenants"})
	res.want429(t, "the 4th request", "20")
	res.wantLimitHeaders(t, "the 4th request", pol, `"api-key";r=0;t=60`)
	if p := res.problem(t); !strings.Contains(p.Detail, "try again in 20 seconds") {
		t.Errorf("detail: got %q, want it to say when to try again", p.Detail)
	}

	e.lclock.advance(19 * time.Second)
	e.do(t, req{method: http.MethodGet, path: "/tenants"}).want429(t, "19s later", "1")
	e.lclock.advance(time.Second)
	res = e.do(t, req{method: http.MethodGet, path: "/tenants"})
	res.wantStatus(t, http.StatusOK)
	res.wantLimitHeaders(t, "20s later", pol, `"api-key";r=0;t=60`)
	e.lclock.advance(time.Hour)
	res = e.do(t, req{method: http.MethodGet, path: "/tenants"})
	res.wantStatus(t, http.StatusOK)
	res.wantLimitHeaders(t, "an hour later", pol, `"api-key";r=2;t=20`)
}

// TestRateLimitClassesIndependent empties each class's bucket in turn and
// checks that the others still answer.
func TestRateLimitClassesIndependent(t *testing.T) {
	e := newLimitEnv(t, httpapi.RateLimits{
		APIKey: policy(t, "api-key", "1/1h"),
		User:   policy(t, "user", "1/1h"),
		IP:     policy(t, "ip", "1/1h"),
		Auth:   policy(t, "auth", "2/1h"),
	})
	// auth: the login and one more; the login's token is the user's.
	tok := e.login(t, rootEmail, testPassword, "").tokens(t)
	e.login(t, rootEmail, "wrong password", "").wantRefused(t, "a wrong password", "the email or password is wrong")
	e.login(t, rootEmail, testPassword, "").want429(t, "a third login", "1800")

	steps := []struct {
		name   string
		rq     req
		status int
		policy string
	}{
		{"the API key", req{method: http.MethodGet, path: "/tenants"}, http.StatusOK, `"api-key";q=1;w=3600`},
		{"the API key again", req{method: http.MethodGet, path: "/tenants"}, http.StatusTooManyRequests, `"api-key";q=1;w=3600`},
		{"the user", req{method: http.MethodGet, path: "/tenants", auth: bearer(tok.AccessToken)}, http.StatusOK, `"user";q=1;w=3600`},
		{"the user again", req{method: http.MethodGet, path: "/tenants", auth: bearer(tok.AccessToken)}, http.StatusTooManyRequests, `"user";q=1;w=3600`},
		{"a public endpoint", req{method: http.MethodGet, path: "/billing/plans", auth: "-"}, http.StatusOK, `"ip";q=1;w=3600`},
		{"failed credentials", req{method: http.MethodGet, path: "/tenants", auth: "Bearer wrong"}, http.StatusTooManyRequests, `"ip";q=1;w=3600`},
		{"a refresh", req{method: http.MethodPost, path: "/auth/refresh", body: jsonBody(map[string]string{"refreshToken": tok.RefreshToken}), auth: "-"}, http.StatusTooManyRequests, `"auth";q=2;w=3600`},
	}
	for _, s := range steps {
		res := e.do(t, s.rq)
		if res.status != s.status {
			t.Errorf("%s: got status %d (%s), want %d", s.name, res.status, res.body, s.status)
		}
		if got := res.header.Get("RateLimit-Policy"); got != s.policy {
			t.Errorf("%s: got RateLimit-Policy %q, want %q", s.name, got, s.policy)
		}
	}
}

// TestRateLimitFailedCredentials counts requests whose credentials fail
// against the client address: the first is 401, the next 429.
func TestRateLimitFailedCredentials(t *testing.T) {
	e := newLimitEnv(t, httpapi.RateLimits{IP: policy(t, "ip", "1/1m")})
	e.do(t, req{method: http.MethodGet, path: "/tenants", auth: "Bearer wrong"}).wantRefused(t, "a wrong key", "the credentials are not valid")
	e.do(t, req{method: http.MethodGet, path: "/tenants", auth: "-"}).want429(t, "no key", "60")
	// The API key's class is off: it is not limited at all.
	for range 3 {
		res := e.do(t, req{method: http.MethodGet, path: "/tenants"})
		res.wantStatus(t, http.StatusOK)
		res.wantLimitHeaders(t, "the API key", "", "")
	}
}

// TestRateLimitClientAddress checks which address a request is counted
// against: the peer, or, behind a trusted proxy, the rightmost untrusted
// address of Forwarded or X-Forwarded-For; IPv6 clients by their /64.
func TestRateLimitClientAddress(t *testing.T) {
	e := newLimitEnv(t, httpapi.RateLimits{
		IP:             policy(t, "ip", "1/1h"),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")},
	})
	steps := []struct {
		name   string
		remote string
		header map[string]string
		status int
	}{
		{"an untrusted peer", "192.0.2.1:1234", map[string]string{"X-Forwarded-For": "198.51.100.1"}, 200},
		{"its forged header is ignored", "192.0.2.1:5678", map[string]string{"X-Forwarded-For": "198.51.100.2"}, 429},
		{"a client behind the proxy", "10.0.0.1:80", map[string]string{"X-Forwarded-For": "203.0.113.9, 10.1.1.1"}, 200},
		{"the same client, a forged left entry", "10.0.0.2:80", map[string]string{"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}, 429},
		{"another client behind the proxy", "10.0.0.1:80", map[string]string{"X-Forwarded-For": "203.0.113.10"}, 200},
		{"the proxy itself", "10.0.0.1:80", nil, 200},
		{"the proxy itself again", "10.0.0.1:80", nil, 429},
		{"Forwarded before X-Forwarded-For", "[fd00::1]:80", map[string]string{"Forwarded": `for=192.0.2.60;proto=https, for="[2001:db8:cafe::17]:4711"`, "X-Forwarded-For": "203.0.113.77"}, 200},
		{"the same /64", "10.0.0.1:80", map[string]string{"Forwarded": `for="[2001:db8:cafe::99]"`}, 429},
		{"X-Forwarded-For untouched", "10.0.0.1:80", map[string]string{"X-Forwarded-For": "203.0.113.77"}, 200},
		{"garbage stops the walk at the proxy", "10.0.0.3:80", map[string]string{"X-Forwarded-For": "203.0.113.50, unknown"}, 200},
		{"the same proxy", "10.0.0.3:80", nil, 429},
		{"an IPv4-mapped peer", "[::ffff:192.0.2.1]:1", nil, 429},
	}
	for _, s := range steps {
		r := httptest.NewRequest(http.MethodGet, e.prefix+"/billing/plans", nil)
		r.RemoteAddr = s.remote
		for k, v := range s.header {
			r.Header.Set(k, v)
		}
		if res := e.serve(t, r); res.status != s.status {
			t.Errorf("%s: got status %d, want %d", s.name, res.status, s.status)
		}
	}
}

// failingStore is a rate-limit store that always fails.
type failingStore struct{}

func (failingStore) TakeRateTokens(context.Context, string, ratelimit.Policy, int, time.Time) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errors.New("the database is gone")
}

func (failingStore) DeleteRateBuckets(context.Context, time.Time) (int, error) {
	return 0, errors.New("the database is gone")
}

// TestRateLimitStoreFailsOpen: a failing store lets requests through and
// logs the error.
func TestRateLimitStoreFailsOpen(t *testing.T) {
	e := newLimitEnv(t, httpapi.RateLimits{Store: failingStore{}, APIKey: policy(t, "api-key", "1/1h")})
	for range 2 {
		res := e.do(t, req{method: http.MethodGet, path: "/tenants"})
		res.wantStatus(t, http.StatusOK)
		res.wantLimitHeaders(t, "with a failing store", "", "")
	}
	if logs := e.logs.String(); !strings.Contains(logs, "rate limit store failed; request admitted") || !strings.Contains(logs, "the database is gone") {
		t.Errorf("logs: got %s, want the store's error", logs)
	}
}

// TestRateLimitsOff: without WithRateLimits, or with every class off, no
// request is limited and no header is sent.
func TestRateLimitsOff(t *testing.T) {
	for _, rl := range []*httpapi.RateLimits{nil, {Store: memory.New()}} {
		var e *env
		if rl == nil {
			e = newEnv(t)
		} else {
			e = newLimitEnv(t, *rl).env
		}
		for range 3 {
			res := e.do(t, req{method: http.MethodGet, path: "/billing/plans", auth: "-"})
			res.wantStatus(t, http.StatusOK)
			res.wantLimitHeaders(t, "unlimited", "", "")
		}
	}
}

// TestRateLimitsPanics: an invalid policy or a missing store is a
// programming error.
func TestRateLimitsPanics(t *testing.T) {
	ae := newAuthEnv(t, "", nil)
	for _, tc := range []struct {
		name string
		rl   httpapi.RateLimits
	}{
		{"invalid policy", httpapi.RateLimits{Store: memory.New(), IP: &ratelimit.Policy{Name: "ip"}}},
		{"no store", httpapi.RateLimits{IP: policy(t, "ip", "1/1m")}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: New did not panic", tc.name)
				}
			}()
			httpapi.New(ae.p, httpapi.WithRateLimits(tc.rl))
		}()
	}
}

// TestDefaultRateLimits checks the defaults parse into the four classes.
func TestDefaultRateLimits(t *testing.T) {
	rl := httpapi.DefaultRateLimits(memory.New())
	for _, tc := range []struct {
		p    *ratelimit.Policy
		name string
		want string
	}{
		{rl.APIKey, "api-key", "3000/1s,burst=3000"},
		{rl.User, "user", "1200/1m0s,burst=200"},
		{rl.IP, "ip", "600/1m0s,burst=120"},
		{rl.Auth, "auth", "20/1m0s,burst=20,lease=1"},
	} {
		if tc.p == nil || tc.p.Name != tc.name || tc.p.String() != tc.want {
			t.Errorf("default %s: got %+v, want %s", tc.name, tc.p, tc.want)
		}
	}
}
