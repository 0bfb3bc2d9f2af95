package httpapi

import (
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/ratelimit"
)

// RateLimits configures WithRateLimits: the store the buckets live in and
// a policy per class; a nil policy turns its class off. A request counts
// against exactly one class:
//
//   - Auth, per client address: the public auth endpoints (POST
//     {prefix}/auth/login, /auth/refresh, /auth/password/set,
//     /auth/otp/send, /auth/otp/verify, /auth/federated), before they do
//     any work;
//   - IP, per client address: the other public endpoints, and the
//     requests whose credentials are missing or do not verify (counted
//     after the check, before the 401);
//   - APIKey, per platform API key (the bucket is named by a hash of the
//     key, never the key): requests bearing it;
//   - User, per user ID: requests bearing a user's access token.
//
// Authenticated requests are limited by who they are, not by address, so
// that many callers behind one NAT or proxy do not share a bucket.
type RateLimits struct {
	// Store keeps the buckets; every instance given the same store (the
	// platform's) shares them. Required when any class is on.
	Store ratelimit.Store
	// Policies per class; nil turns the class off.
	APIKey, User, IP, Auth *ratelimit.Policy
	// TrustedProxies lists the networks of the reverse proxies in front
	// of the server. The client address is the request's peer
	// (RemoteAddr); only when the peer is in one of these networks are
	// the Forwarded (RFC 7239) or else X-Forwarded-For headers read: the
	// client is the rightmost address that is not a trusted proxy. An
	// IPv6 client is limited by its /64 network.
	TrustedProxies []netip.Prefix
	// Clock is the limiter's clock (default the system clock).
	Clock core.Clock
	// MaxEntries bounds the keys kept in memory (default
	// ratelimit.DefaultMaxEntries).
	MaxEntries int
}

// Default policies of DefaultRateLimits, in ratelimit.ParsePolicy's form.
const (
	// DefaultAPIKeyLimit: the platform API key is a trusted server's; the
	// limit bounds a runaway script, not normal use. Leases of 150.
	DefaultAPIKeyLimit = "3000/1s,burst=3000"
	// DefaultUserLimit: 20 requests a second per user, bursts of 200.
	DefaultUserLimit = "1200/1m,burst=200"
	// DefaultIPLimit: 10 requests a second per address for public
	// endpoints and failed credentials, bursts of 120.
	DefaultIPLimit = "600/1m,burst=120"
	// DefaultAuthLimit: 20 auth requests (logins, refreshes, OTP sends
	// and tries...) a minute per address, bursts of 20, every one a store
	// call (lease 1), so instances share it exactly.
	DefaultAuthLimit = "20/1m,burst=20,lease=1"
)

// DefaultRateLimits returns the default policies (DefaultAPIKeyLimit,
// DefaultUserLimit, DefaultIPLimit, DefaultAuthLimit, named "api-key",
// "user", "ip" and "auth") over s, with no trusted proxy.
func DefaultRateLimits(s ratelimit.Store) RateLimits {
	pol := func(name, s string) *ratelimit.Policy {
		p := ratelimit.MustParsePolicy(name, s)
		return &p
	}
	return RateLimits{
		Store:  s,
		APIKey: pol("api-key", DefaultAPIKeyLimit),
		User:   pol("user", DefaultUserLimit),
		IP:     pol("ip", DefaultIPLimit),
		Auth:   pol("auth", DefaultAuthLimit),
	}
}

// WithRateLimits turns rate limiting on (see RateLimits). Every limited
// response carries the headers of the IETF draft
// (draft-ietf-httpapi-ratelimit-headers) for its class:
//
//	RateLimit-Policy: "user";q=1200;w=60
//	RateLimit: "user";r=187;t=3
//
// q is the policy's Limit per window of w seconds; r the tokens left in
// the bucket; t the seconds until it is full again. A refused request is
// answered 429 with the code rate_limited and Retry-After, in whole
// seconds, until the bucket holds a token. The buckets are shared through
// the store with leases (package ratelimit): a generous class costs one
// store write per many requests.
//
// When the store fails, the request is let through (fail open) and the
// error is logged at level Error: a store that cannot count requests
// cannot serve them either, and refusing everything would turn a blip
// into an outage.
//
// New panics when a policy is not valid or no Store is given.
func WithRateLimits(rl RateLimits) Option {
	return func(c *config) { c.limits = &rl }
}

// Limit classes.
const (
	classAPIKey = iota
	classUser
	classIP
	classAuth
	classes
)

var classKeys = [classes]string{"k/", "u/", "ip/", "auth/"}

// limits is the handler's rate limiting.
type limits struct {
	l        *ratelimit.Limiter
	policies [classes]*ratelimit.Policy
	// headers holds each class's RateLimit-Policy value.
	headers [classes]string
	trusted []netip.Prefix
}

// newLimits checks rl and builds the limiter; nil when every class is off.
func newLimits(rl *RateLimits) *limits {
	if rl == nil {
		return nil
	}
	lm := &limits{policies: [classes]*ratelimit.Policy{rl.APIKey, rl.User, rl.IP, rl.Auth}, trusted: rl.TrustedProxies}
	on := false
	for i, p := range lm.policies {
		if p == nil {
			continue
		}
		on = true
		if err := p.Validate(); err != nil {
			panic("httpapi: rate limit policy " + p.Name + ": " + err.Error())
		}
		lm.headers[i] = strconv.Quote(p.Name) + ";q=" + strconv.Itoa(p.Limit) + ";w=" + strconv.FormatInt(ratelimit.RetrySeconds(p.Window), 10)
	}
	if !on {
		return nil
	}
	if rl.Store == nil {
		panic("httpapi: WithRateLimits needs a Store")
	}
	opts := []ratelimit.LimiterOption{ratelimit.WithClock(rl.Clock)}
	if rl.MaxEntries > 0 {
		opts = append(opts, ratelimit.WithMaxEntries(rl.MaxEntries))
	}
	lm.l = ratelimit.NewLimiter(rl.Store, opts...)
	return lm
}

// isAuthRoute reports whether rt is one of the public auth endpoints.
func isAuthRoute(rt *route) bool {
	return rt.public && strings.HasPrefix(rt.pattern, "/auth/")
}

// limitPublic counts a public request against the auth or IP class.
// Errors: core.RateLimited.
func (h *handler) limitPublic(c *call, r *http.Request, rt *route) error {
	class := classIP
	if isAuthRoute(rt) {
		class = classAuth
	}
	return h.limit(c, r, class, "")
}

// limitPrincipal counts an authenticated request (p non-nil) against its
// key's or user's class, or, when authentication failed, against the IP
// class.
// Errors: core.RateLimited.
func (h *handler) limitPrincipal(c *call, r *http.Request, p *Principal) error {
	switch {
	case p == nil:
		return h.limit(c, r, classIP, "")
	case p.Kind == PrincipalAPIKey:
		return h.limit(c, r, classAPIKey, h.keyID)
	default:
		return h.limit(c, r, classUser, p.ID)
	}
}

// limit takes a token of class for id (the client address when id is
// empty), sets the RateLimit headers, and refuses when the bucket is
// empty. A store error is logged and lets the request through.
// Errors: core.RateLimited.
func (h *handler) limit(c *call, r *http.Request, class int, id string) error {
	lm := h.limits
	if lm == nil || lm.policies[class] == nil {
		return nil
	}
	p := lm.policies[class]
	if id == "" {
		id = lm.clientKey(r)
	}
	d, err := lm.l.Allow(r.Context(), *p, classKeys[class]+id)
	if err != nil {
		h.log.LogAttrs(r.Context(), failureLevel(err), "rate limit store failed; request admitted",
			slog.String("requestId", c.requestID),
			slog.String("policy", p.Name),
			slog.String("error", err.Error()),
		)
		return nil
	}
	hd := c.Header()
	hd.Set("RateLimit-Policy", lm.headers[class])
	b := make([]byte, 0, 48)
	b = strconv.AppendQuote(b, p.Name)
	b = append(b, ";r="...)
	b = strconv.AppendInt(b, int64(d.Remaining), 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, ceilSeconds(d.Reset), 10)
	hd.Set("RateLimit", string(b))
	if !d.Allowed() {
		return ratelimit.Refused(p.Name, d.RetryAfter)
	}
	return nil
}

// ceilSeconds is d in whole seconds, rounded up (0 for 0).
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// keyIDOf names the platform API key's bucket by its hash.
func keyIDOf(sum []byte) string { return hex.EncodeToString(sum[:12]) }

// clientKey returns the key of r's client address (see
// RateLimits.TrustedProxies): the address, or an IPv6 client's /64.
func (lm *limits) clientKey(r *http.Request) string {
	addr, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return "unknown"
	}
	if lm.trustedAddr(addr) {
		chain := forwardedFor(r.Header)
		for i := len(chain) - 1; i >= 0; i-- {
			a, ok := parseAddr(chain[i])
			if !ok {
				break
			}
			addr = a
			if !lm.trustedAddr(a) {
				break
			}
		}
	}
	if addr.Is6() {
		pfx, _ := addr.Prefix(64)
		return pfx.String()
	}
	return addr.String()
}

func (lm *limits) trustedAddr(a netip.Addr) bool {
	for _, p := range lm.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr reads an address with or without a port, IPv6 in brackets or
// bare; an IPv4-mapped IPv6 address reads as IPv4.
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// forwardedFor returns the client chain a proxy recorded, leftmost
// first: the for= parameters of Forwarded when it is present, else the
// entries of X-Forwarded-For. Entries are raw (they may be garbage,
// "unknown" or obfuscated); parseAddr refuses those.
func forwardedFor(hd http.Header) []string {
	var out []string
	if v := hd.Values("Forwarded"); len(v) > 0 {
		for _, line := range v {
			for elem := range strings.SplitSeq(line, ",") {
				for pair := range strings.SplitSeq(elem, ";") {
					k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if ok && strings.EqualFold(k, "for") {
						out = append(out, strings.Trim(val, `"`))
					}
				}
			}
		}
		return out
	}
	for _, line := range hd.Values("X-Forwarded-For") {
		for v := range strings.SplitSeq(line, ",") {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}
