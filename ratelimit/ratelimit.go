package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/core"
)

// Bounds of a valid Policy.
const (
	MaxLimit     = 1_000_000_000 // tokens per window
	MaxBurst     = 1_000_000_000 // bucket capacity
	MinWindow    = time.Millisecond
	MaxWindow    = 24 * time.Hour
	MaxFillTime  = 7 * 24 * time.Hour // Burst·Interval: the time an empty bucket takes to fill
	MaxNameLen   = 32
	LeaseTTLMin  = time.Second // the least a lease lasts (see the package doc)
	leaseDivisor = 20          // the default lease is Burst/leaseDivisor
)

// Policy is one token bucket's parameters: it holds at most Burst tokens
// and refills Limit tokens every Window. Name names it in the RateLimit
// and RateLimit-Policy headers; it is made of lowercase letters, digits,
// "-" and "_". Lease is how many tokens a Limiter takes from the store at
// a time (0: the default, max(1, Burst/20)); Lease 1 makes every request a
// store call, the strictest sharing.
type Policy struct {
	Name   string
	Limit  int
	Window time.Duration
	Burst  int
	Lease  int
}

// Validate checks the policy's bounds.
// Errors: core.Invalid, whose fields name each bad one (name, limit,
// window, burst, lease).
func (p Policy) Validate() error {
	var f core.Fields
	if !validName(p.Name) {
		f.Add("name", "must be 1 to %d lowercase letters, digits, '-' or '_'", MaxNameLen)
	}
	limitOK := p.Limit >= 1 && p.Limit <= MaxLimit
	if !limitOK {
		f.Add("limit", "must be between 1 and %d", MaxLimit)
	}
	windowOK := p.Window >= MinWindow && p.Window <= MaxWindow
	if !windowOK {
		f.Add("window", "must be between %s and %s", MinWindow, MaxWindow)
	}
	switch {
	case p.Burst < 1 || p.Burst > MaxBurst:
		f.Add("burst", "must be between 1 and %d", MaxBurst)
	case limitOK && windowOK && time.Duration(p.Burst) > MaxFillTime/p.Interval():
		f.Add("burst", "fills in more than %s at this rate; take a smaller burst or a higher rate", MaxFillTime)
	}
	if p.Lease < 0 || (p.Burst >= 1 && p.Lease > p.Burst) {
		f.Add("lease", "must be between 0 (the default) and burst")
	}
	return f.Err()
}

func validName(s string) bool {
	if s == "" || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Interval is the time one token takes to refill: Window/Limit, rounded up
// to the nanosecond (so the bucket never refills faster than the policy
// says). The policy must be valid.
func (p Policy) Interval() time.Duration {
	return (p.Window + time.Duration(p.Limit) - 1) / time.Duration(p.Limit)
}

// LeaseSize is how many tokens a Limiter takes from the store at a time:
// Lease, or by default max(1, Burst/20).
func (p Policy) LeaseSize() int {
	if p.Lease > 0 {
		return p.Lease
	}
	return max(1, p.Burst/leaseDivisor)
}

// String returns the policy in ParsePolicy's form.
func (p Policy) String() string {
	s := strconv.Itoa(p.Limit) + "/" + p.Window.String() + ",burst=" + strconv.Itoa(p.Burst)
	if p.Lease > 0 {
		s += ",lease=" + strconv.Itoa(p.Lease)
	}
	return s
}

// ParsePolicy reads the text form of a policy named name (see the package
// doc): "LIMIT/WINDOW[,burst=N][,lease=N]", or "off". It returns the
// policy and true, or false for "off".
// Errors: core.Invalid when s does not parse or the policy is not valid;
// its fields name the part at fault.
func ParsePolicy(name, s string) (Policy, bool, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return Policy{}, false, nil
	}
	p := Policy{Name: name}
	parts := strings.Split(s, ",")
	lim, win, ok := strings.Cut(strings.TrimSpace(parts[0]), "/")
	if !ok {
		return Policy{}, false, core.InvalidField("limit", "%q is not LIMIT/WINDOW such as 100/1m, or off", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(lim))
	if err != nil {
		return Policy{}, false, core.InvalidField("limit", "%q is not a whole number", lim)
	}
	p.Limit = n
	win = strings.TrimSpace(win)
	switch win {
	case "s", "m", "h":
		win = "1" + win
	}
	if p.Window, err = time.ParseDuration(win); err != nil {
		return Policy{}, false, core.InvalidField("window", "%q is not a duration such as 1m", win)
	}
	seen := map[string]bool{}
	for _, kv := range parts[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		k = strings.TrimSpace(k)
		if !ok || (k != "burst" && k != "lease") || seen[k] {
			return Policy{}, false, core.InvalidField("limit", "%q is not burst=N or lease=N (each at most once)", kv)
		}
		seen[k] = true
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return Policy{}, false, core.InvalidField(k, "%q is not a whole number", v)
		}
		if k == "burst" {
			p.Burst = n
		} else {
			p.Lease = n
		}
	}
	if !seen["burst"] {
		p.Burst = p.Limit
	}
	if err := p.Validate(); err != nil {
		return Policy{}, false, err
	}
	return p, true, nil
}

// MustParsePolicy is ParsePolicy for policies written in the program; it
// panics when s does not parse or is "off".
func MustParsePolicy(name, s string) Policy {
	p, on, err := ParsePolicy(name, s)
	if err != nil || !on {
		panic(fmt.Sprintf("ratelimit: policy %s %q: %v", name, s, err))
	}
	return p
}

// Decision is the state of a bucket after a take.
type Decision struct {
	// Taken is the tokens taken: 0 when the bucket held none (the request
	// is refused), else at most the number asked for.
	Taken int
	// Remaining is the tokens left in the bucket.
	Remaining int
	// Reset is how long until the bucket is full again.
	Reset time.Duration
	// RetryAfter is, when Taken is 0, how long until the bucket holds a
	// token; 0 otherwise.
	RetryAfter time.Duration
}

// Allowed reports whether the take took a token.
func (d Decision) Allowed() bool { return d.Taken > 0 }

// Take is the bucket arithmetic every Store uses: given the bucket's TAT
// (Unix nanoseconds; 0 for a bucket never seen), it takes up to n tokens
// at now under p and returns the new TAT and the decision. A refusal
// leaves the TAT as it was. p must be valid and n at least 1.
func Take(tat int64, p Policy, n int, now time.Time) (int64, Decision) {
	t := int64(p.Interval())
	nowNs := now.UnixNano()
	full := nowNs + int64(p.Burst)*t // the TAT of an empty bucket
	base := max(tat, nowNs)
	avail := max(0, (full-base)/t)
	taken := min(int64(n), avail)
	if taken == 0 {
		return tat, Decision{
			Remaining:  0,
			Reset:      time.Duration(base - nowNs),
			RetryAfter: time.Duration(base + t - full),
		}
	}
	next := base + taken*t
	return next, Decision{
		Taken:     int(taken),
		Remaining: int((full - next) / t),
		Reset:     time.Duration(next - nowNs),
	}
}

// Outcome is the decision of a take that got taken tokens (0: refused)
// and left the bucket's TAT at tat: what a store that computes Take in its
// own language (one SQL statement) returns. p must be valid.
func Outcome(tat int64, taken int, p Policy, now time.Time) Decision {
	if taken == 0 {
		_, d := Take(tat, p, 1, now)
		if d.Allowed() { // the bucket refilled since: report it empty, retry at once
			return Decision{RetryAfter: time.Nanosecond}
		}
		return d
	}
	t := int64(p.Interval())
	nowNs := now.UnixNano()
	full := nowNs + int64(p.Burst)*t
	return Decision{Taken: taken, Remaining: int(max(0, (full-tat)/t)), Reset: time.Duration(max(0, tat-nowNs))}
}

// Store keeps the buckets, so that every instance over one store shares
// them. Keys are the Limiter's (a class and an API key hash, user ID or
// client address); they belong to no tenant. Implementations live in
// atomix/store/...; each must pass atomix/store/storetest.
type Store interface {
	// TakeRateTokens takes up to n tokens from the bucket key under p at
	// now, as Take computes, in one atomic step: of concurrent takes on a
	// key no more tokens are handed out than the bucket holds. A refusal
	// (Taken 0) changes nothing.
	// Errors: core.Invalid when p is not valid or n is below 1;
	// core.Internal when the store fails; ctx.Err() when ctx is done.
	TakeRateTokens(ctx context.Context, key string, p Policy, n int, now time.Time) (Decision, error)

	// DeleteRateBuckets deletes every bucket that is full at now (its TAT
	// at or before now; it reads as new when next taken from), and
	// returns how many it deleted.
	// Errors: core.Internal when the store fails; ctx.Err() when ctx is
	// done.
	DeleteRateBuckets(ctx context.Context, now time.Time) (int, error)
}

// CheckTake validates the arguments of Store.TakeRateTokens; stores call
// it first.
// Errors: core.Invalid.
func CheckTake(p Policy, n int) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if n < 1 {
		return core.InvalidField("n", "must be at least 1")
	}
	return nil
}

// refusal is the cause of the core.RateLimited error of Refused.
type refusal struct {
	policy string
	after  time.Duration
}

func (r *refusal) Error() string {
	return fmt.Sprintf("rate limit %q: retry after %s", r.policy, r.after)
}

// Refused returns the core.RateLimited error of a request refused by the
// policy named policy, to retry after d (RetryAfter reads it back).
func Refused(policy string, d time.Duration) error {
	secs := RetrySeconds(d)
	return &core.Error{
		Code:    core.RateLimited,
		Message: fmt.Sprintf("too many requests (rate limit %q); try again in %d second%s", policy, secs, plural(secs)),
		Err:     &refusal{policy: policy, after: d},
	}
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// RetryAfter returns the wait of an error made by Refused.
func RetryAfter(err error) (time.Duration, bool) {
	var r *refusal
	if errors.As(err, &r) {
		return r.after, true
	}
	return 0, false
}

// RetrySeconds is d in whole seconds, rounded up, at least 1: the value of
// a Retry-After header.
func RetrySeconds(d time.Duration) int64 {
	return max(1, int64((d+time.Second-1)/time.Second))
}
