package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/ratelimit"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/google/go-cmp/cmp"
)

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		in     string
		want   ratelimit.Policy
		on     bool
		fields []string // of the core.Invalid error; nil: no error
	}{
		{"100/1m", ratelimit.Policy{Name: "p", Limit: 100, Window: time.Minute, Burst: 100}, true, nil},
		{" 100 / m , burst = 20 ", ratelimit.Policy{Name: "p", Limit: 100, Window: time.Minute, Burst: 20}, true, nil},
		{"20/1m,burst=5,lease=1", ratelimit.Policy{Name: "p", Limit: 20, Window: time.Minute, Burst: 5, Lease: 1}, true, nil},
		{"3000/1s,burst=3000", ratelimit.Policy{Name: "p", Limit: 3000, Window: time.Second, Burst: 3000}, true, nil},
		{"5/h", ratelimit.Policy{Name: "p", Limit: 5, Window: time.Hour, Burst: 5}, true, nil},
		{"off", ratelimit.Policy{}, false, nil},
		{"OFF", ratelimit.Policy{}, false, nil},
		{"", ratelimit.Policy{}, false, []string{"limit"}},
		{"100", ratelimit.Policy{}, false, []string{"limit"}},
		{"x/1m", ratelimit.Policy{}, false, []string{"limit"}},
		{"100/week", ratelimit.Policy{}, false, []string{"window"}},
		{"100/1m,burst=x", ratelimit.Policy{}, false, []string{"burst"}},
		{"100/1m,size=3", ratelimit.Policy{}, false, []string{"limit"}},
		{"100/1m,burst=3,burst=4", ratelimit.Policy{}, false, []string{"limit"}},
		{"0/1m", ratelimit.Policy{}, false, []string{"limit", "burst"}},
		{"-1/0s", ratelimit.Policy{}, false, []string{"limit", "window", "burst"}},
		{"10/48h", ratelimit.Policy{}, false, []string{"window"}},
		{"10/1m,burst=0", ratelimit.Policy{}, false, []string{"burst"}},
		{"1/24h,burst=8", ratelimit.Policy{}, false, []string{"burst"}},
		{"10/1m,lease=11", ratelimit.Policy{}, false, []string{"lease"}},
	}
	for _, tc := range tests {
		got, on, err := ratelimit.ParsePolicy("p", tc.in)
		if tc.fields == nil {
			if err != nil || on != tc.on || got != tc.want {
				t.Errorf("ParsePolicy(%q): got %+v, %v, %v, want %+v, %v, nil", tc.in, got, on, err, tc.want, tc.on)
			}
			continue
		}
		var fields []string
		if ce, ok := err.(*core.Error); ok && ce.Code == core.Invalid {
			for _, f := range ce.Fields {
				fields = append(fields, f.Field)
			}
		}
		if !cmp.Equal(fields, tc.fields) {
			t.Errorf("ParsePolicy(%q): got error %v (fields %v), want core.Invalid naming %v", tc.in, err, fields, tc.fields)
		}
	}
}

func TestPolicyValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"auth", true}, {"api-key_2", true}, {"", false}, {"Auth", false}, {"a b", false}, {"abcdefghijabcdefghijabcdefghijabc", false},
	}
	for _, tc := range tests {
		p := ratelimit.Policy{Name: tc.name, Limit: 1, Window: time.Second, Burst: 1}
		if err := p.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(name %q): got %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func TestPolicyDerived(t *testing.T) {
	tests := []struct {
		p        ratelimit.Policy
		interval time.Duration
		lease    int
		str      string
	}{
		{ratelimit.Policy{Limit: 100, Window: time.Minute, Burst: 100}, 600 * time.Millisecond, 5, "100/1m0s,burst=100"},
		{ratelimit.Policy{Limit: 3, Window: time.Second, Burst: 10}, 333333334, 1, "3/1s,burst=10"},
		{ratelimit.Policy{Limit: 3000, Window: time.Second, Burst: 3000, Lease: 7}, 333334, 7, "3000/1s,burst=3000,lease=7"},
	}
	for _, tc := range tests {
		if got := tc.p.Interval(); got != tc.interval {
			t.Errorf("%+v.Interval(): got %s, want %s", tc.p, got, tc.interval)
		}
		if got := tc.p.LeaseSize(); got != tc.lease {
			t.Errorf("%+v.LeaseSize(): got %d, want %d", tc.p, got, tc.lease)
		}
		if got := tc.p.String(); got != tc.str {
			t.Errorf("%+v.String(): got %q, want %q", tc.p, got, tc.str)
		}
	}
}

func TestRefused(t *testing.T) {
	err := ratelimit.Refused("auth", 1500*time.Millisecond)
	if got := core.ErrorCode(err); got != core.RateLimited {
		t.Errorf("code: got %q, want %q", got, core.RateLimited)
	}
	if d, ok := ratelimit.RetryAfter(err); !ok || d != 1500*time.Millisecond {
		t.Errorf("RetryAfter: got %s, %v, want 1.5s, true", d, ok)
	}
	if got, want := core.ErrorMessage(err), `too many requests (rate limit "auth"); try again in 2 seconds`; got != want {
		t.Errorf("message: got %q, want %q", got, want)
	}
	if _, ok := ratelimit.RetryAfter(core.Errorf(core.RateLimited, "x")); ok {
		t.Error("RetryAfter of another error: got true, want false")
	}
	for _, tc := range []struct {
		d    time.Duration
		want int64
	}{{0, 1}, {time.Nanosecond, 1}, {time.Second, 1}, {time.Second + 1, 2}, {59 * time.Second, 59}} {
		if got := ratelimit.RetrySeconds(tc.d); got != tc.want {
			t.Errorf("RetrySeconds(%s): got %d, want %d", tc.d, got, tc.want)
		}
	}
}

// counting counts the store calls a Limiter makes.
type counting struct {
	ratelimit.Store
	takes atomic.Int64
}

func (c *counting) TakeRateTokens(ctx context.Context, key string, p ratelimit.Policy, n int, now time.Time) (ratelimit.Decision, error) {
	c.takes.Add(1)
	return c.Store.TakeRateTokens(ctx, key, p, n, now)
}

// clock is a settable clock.
type clock struct{ t atomic.Pointer[time.Time] }

func newClock() *clock {
	c := &clock{}
	c.set(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	return c
}
func (c *clock) set(t time.Time)     { c.t.Store(&t) }
func (c *clock) add(d time.Duration) { c.set(c.t.Load().Add(d)) }
func (c *clock) now() time.Time      { return *c.t.Load() }
func (c *clock) clock() core.Clock   { return c.now }
func newLimiter(t *testing.T, opts ...ratelimit.LimiterOption) (*ratelimit.Limiter, *counting, *clock) {
	t.Helper()
	s := memory.New()
	t.Cleanup(func() { _ = s.Close() })
	cs := &counting{Store: s}
	clk := newClock()
	return ratelimit.NewLimiter(cs, append([]ratelimit.LimiterOption{ratelimit.WithClock(clk.clock()), ratelimit.WithSweep(0, nil)}, opts...)...), cs, clk
}

func TestLimiterLeases(t *testing.T) {
	tests := []struct {
		name       string
		p          ratelimit.Policy
		requests   int
		wantOK     int
		wantTakes  int64
		wantRetry  time.Duration
		wantRemain int // of the last allowed decision
	}{
		// Burst 100: leases of 5; 100 requests are 20 store calls, the
		// 101st is one more call refused, the rest refused locally.
		{"generous", ratelimit.Policy{Name: "g", Limit: 100, Window: time.Minute, Burst: 100}, 150, 100, 21, 600 * time.Millisecond, 0},
		// Lease 1: every admitted request and the first refusal are store
		// calls.
		{"strict", ratelimit.Policy{Name: "s", Limit: 10, Window: time.Minute, Burst: 3, Lease: 1}, 10, 3, 4, 6 * time.Second, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, cs, _ := newLimiter(t)
			ok := 0
			var last, refused ratelimit.Decision
			for range tc.requests {
				d, err := l.Allow(t.Context(), tc.p, "key")
				if err != nil {
					t.Fatalf("Allow: got error %v, want nil", err)
				}
				if d.Allowed() {
					ok++
					last = d
				} else {
					refused = d
				}
			}
			if ok != tc.wantOK {
				t.Errorf("allowed: got %d, want %d", ok, tc.wantOK)
			}
			if got := cs.takes.Load(); got != tc.wantTakes {
				t.Errorf("store calls: got %d, want %d", got, tc.wantTakes)
			}
			if refused.RetryAfter != tc.wantRetry {
				t.Errorf("RetryAfter: got %s, want %s", refused.RetryAfter, tc.wantRetry)
			}
			if last.Remaining != tc.wantRemain {
				t.Errorf("last Remaining: got %d, want %d", last.Remaining, tc.wantRemain)
			}
		})
	}
}

func TestLimiterRefillAndRemaining(t *testing.T) {
	l, cs, clk := newLimiter(t)
	p := ratelimit.Policy{Name: "g", Limit: 60, Window: time.Minute, Burst: 40} // leases of 2, a token a second
	want := []int{39, 38, 37, 36}
	for i, w := range want {
		d, err := l.Allow(t.Context(), p, "k")
		if err != nil || !d.Allowed() || d.Remaining != w {
			t.Fatalf("Allow %d: got %+v, %v, want allowed with %d remaining", i, d, err, w)
		}
	}
	for range 36 {
		_, _ = l.Allow(t.Context(), p, "k")
	}
	d, _ := l.Allow(t.Context(), p, "k")
	if d.Allowed() || d.RetryAfter != time.Second {
		t.Fatalf("Allow when empty: got %+v, want refused with RetryAfter 1s", d)
	}
	calls := cs.takes.Load()
	clk.add(500 * time.Millisecond)
	if d, _ := l.Allow(t.Context(), p, "k"); d.Allowed() || d.RetryAfter != 500*time.Millisecond {
		t.Errorf("Allow 0.5s later: got %+v, want refused with RetryAfter 0.5s", d)
	}
	if got := cs.takes.Load(); got != calls {
		t.Errorf("store calls while refused: got %d, want %d (refusals are cached)", got, calls)
	}
	clk.add(2500 * time.Millisecond) // three tokens refilled
	for i := range 3 {
		if d, _ := l.Allow(t.Context(), p, "k"); !d.Allowed() {
			t.Errorf("Allow %d after 3s: got %+v, want allowed", i, d)
		}
	}
	if d, _ := l.Allow(t.Context(), p, "k"); d.Allowed() {
		t.Errorf("Allow 4 after 3s: got %+v, want refused", d)
	}
}

func TestLimiterKeysAndPolicies(t *testing.T) {
	l, _, _ := newLimiter(t)
	a := ratelimit.Policy{Name: "a", Limit: 1, Window: time.Hour, Burst: 1}
	b := ratelimit.Policy{Name: "b", Limit: 1, Window: time.Hour, Burst: 1}
	steps := []struct {
		p    ratelimit.Policy
		key  string
		want bool
	}{
		{a, "x", true}, {a, "x", false}, {a, "y", true}, {b, "x", true}, {b, "x", false}, {a, "y", false},
	}
	for i, s := range steps {
		d, err := l.Allow(t.Context(), s.p, s.key)
		if err != nil || d.Allowed() != s.want {
			t.Errorf("step %d (%s, %s): got %+v, %v, want allowed %v", i, s.p.Name, s.key, d, err, s.want)
		}
	}
}

func TestLimiterSharedStore(t *testing.T) {
	// Two limiters (two instances) over one store share the bucket: with
	// leases of 1 they admit exactly the burst between them.
	s := memory.New()
	defer s.Close()
	clk := newClock()
	p := ratelimit.Policy{Name: "s", Limit: 1, Window: time.Hour, Burst: 5, Lease: 1}
	l1 := ratelimit.NewLimiter(s, ratelimit.WithClock(clk.clock()), ratelimit.WithSweep(0, nil))
	l2 := ratelimit.NewLimiter(s, ratelimit.WithClock(clk.clock()), ratelimit.WithSweep(0, nil))
	ok := 0
	for i := range 10 {
		l := l1
		if i%2 == 1 {
			l = l2
		}
		if d, _ := l.Allow(t.Context(), p, "k"); d.Allowed() {
			ok++
		}
	}
	if ok != 5 {
		t.Errorf("allowed across two limiters: got %d, want 5", ok)
	}
}

func TestLimiterBounded(t *testing.T) {
	l, _, _ := newLimiter(t, ratelimit.WithMaxEntries(3))
	p := ratelimit.Policy{Name: "a", Limit: 1, Window: time.Hour, Burst: 1}
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		_, _ = l.Allow(t.Context(), p, k)
	}
	if got := l.Len(); got != 3 {
		t.Errorf("Len: got %d, want 3", got)
	}
	// "a" was forgotten locally, not in the store: still refused.
	if d, _ := l.Allow(t.Context(), p, "a"); d.Allowed() {
		t.Errorf("Allow(a) after eviction: got allowed, want refused by the store")
	}
}

func TestLimiterSweeps(t *testing.T) {
	s := memory.New()
	defer s.Close()
	clk := newClock()
	done := make(chan int, 1)
	l := ratelimit.NewLimiter(s, ratelimit.WithClock(clk.clock()), ratelimit.WithSweep(time.Minute, func(n int, err error) {
		if err != nil {
			t.Errorf("sweep: got error %v, want nil", err)
		}
		done <- n
	}))
	p := ratelimit.Policy{Name: "a", Limit: 1, Window: time.Second, Burst: 1}
	_, _ = l.Allow(t.Context(), p, "old")
	clk.add(time.Minute)
	_, _ = l.Allow(t.Context(), p, "new")
	if n := <-done; n != 1 {
		t.Errorf("swept: got %d, want 1", n)
	}
}

func TestLimiterInvalidPolicy(t *testing.T) {
	l, _, _ := newLimiter(t)
	_, err := l.Allow(t.Context(), ratelimit.Policy{Name: "x"}, "k")
	if got := core.ErrorCode(err); got != core.Invalid {
		t.Errorf("Allow with an invalid policy: got %v, want code %q", err, core.Invalid)
	}
}

// TestLimiterConcurrent: goroutines sharing a key (leases of 8, taken
// ahead in the background) are admitted exactly as many times as the
// bucket holds.
func TestLimiterConcurrent(t *testing.T) {
	l, _, _ := newLimiter(t)
	p := ratelimit.Policy{Name: "c", Limit: 1, Window: time.Hour, Burst: 100, Lease: 8}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 10 {
				d, err := l.Allow(t.Context(), p, "k")
				if err != nil {
					t.Errorf("Allow: got error %v, want nil", err)
				}
				allowed.Add(int64(d.Taken))
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 100 {
		t.Errorf("allowed: got %d, want 100", got)
	}
}
