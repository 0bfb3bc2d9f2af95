package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/ratelimit"
)

// Rate-limit environment variables; each policy is ratelimit.ParsePolicy's
// "LIMIT/WINDOW[,burst=N][,lease=N]" or "off".
const (
	envRateLimits     = "ATOMIX_RATE_LIMITS"        // "off" turns every class off
	envRateLimitKey   = "ATOMIX_RATE_LIMIT_API_KEY" // per platform API key
	envRateLimitUser  = "ATOMIX_RATE_LIMIT_USER"    // per user
	envRateLimitIP    = "ATOMIX_RATE_LIMIT_IP"      // per address: public endpoints, failed credentials
	envRateLimitAuth  = "ATOMIX_RATE_LIMIT_AUTH"    // per address: the public auth endpoints
	envTrustedProxies = "ATOMIX_TRUSTED_PROXIES"    // CIDRs or addresses, comma-separated
)

// rateLimits reads the rate limits from the environment over s (the
// platform's store, so that every instance shares the buckets): the
// httpapi defaults, each class replaced or turned off by its variable.
// It returns false when every class is off.
func rateLimits(getenv func(string) string, s ratelimit.Store) (httpapi.RateLimits, bool, error) {
	if v := strings.TrimSpace(getenv(envRateLimits)); v != "" {
		if !strings.EqualFold(v, "off") && !strings.EqualFold(v, "on") {
			return httpapi.RateLimits{}, false, fmt.Errorf("%s %q: want on or off", envRateLimits, v)
		}
		if strings.EqualFold(v, "off") {
			return httpapi.RateLimits{}, false, nil
		}
	}
	rl := httpapi.DefaultRateLimits(s)
	for _, c := range []struct {
		env  string
		name string
		p    **ratelimit.Policy
	}{
		{envRateLimitKey, "api-key", &rl.APIKey},
		{envRateLimitUser, "user", &rl.User},
		{envRateLimitIP, "ip", &rl.IP},
		{envRateLimitAuth, "auth", &rl.Auth},
	} {
		v := getenv(c.env)
		if v == "" {
			continue
		}
		p, on, err := ratelimit.ParsePolicy(c.name, v)
		if err != nil {
			return httpapi.RateLimits{}, false, fmt.Errorf("%s %q: %w", c.env, v, err)
		}
		*c.p = nil
		if on {
			*c.p = &p
		}
	}
	for part := range strings.SplitSeq(getenv(envTrustedProxies), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return httpapi.RateLimits{}, false, fmt.Errorf("%s: %q is not a CIDR such as 10.0.0.0/8 or an address", envTrustedProxies, part)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		rl.TrustedProxies = append(rl.TrustedProxies, pfx.Masked())
	}
	on := rl.APIKey != nil || rl.User != nil || rl.IP != nil || rl.Auth != nil
	return rl, on, nil
}

// describeLimits returns the classes of rl for the start-up log.
func describeLimits(rl httpapi.RateLimits) string {
	var b strings.Builder
	for _, p := range []*ratelimit.Policy{rl.APIKey, rl.User, rl.IP, rl.Auth} {
		if p != nil {
			if b.Len() > 0 {
				b.WriteString(" ")
			}
			b.WriteString(p.Name + "=" + p.String())
		}
	}
	return b.String()
}
