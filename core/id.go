package core

import (
	"crypto/rand"
	"strings"
)

// ID prefixes, one per record type of the REST contract. An ID is the prefix,
// an underscore and IDRandomLen base-62 characters from crypto/rand.
const (
	PrefixTenant       = "tn"
	PrefixUser         = "usr"
	PrefixAtom         = "atom"
	PrefixInstallation = "inst"
	PrefixPlan         = "plan"
	PrefixSubscription = "sub"
	PrefixOTP          = "otp"
	PrefixRefreshToken = "rt"
	PrefixInvoice      = "inv"
	PrefixDistributor  = "dist"
	PrefixPartner      = "prt"
	PrefixRequest      = "req"
	// Commissions: plans and statements.
	PrefixCommissionPlan = "cpl"
	PrefixStatement      = "cst"
)

// IDRandomLen is the number of random base-62 characters in a new ID: 22
// characters carry about 131 bits.
const IDRandomLen = 22

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewID returns a new opaque ID such as "tn_4Fz...". It panics only when the
// operating system's random source fails, as crypto/rand itself does.
func NewID(prefix string) string {
	b := make([]byte, len(prefix)+1+IDRandomLen)
	n := copy(b, prefix)
	b[n] = '_'
	out := b[n+1:]
	// Rejection sampling over bytes: 248 = 4*62 keeps every character
	// equally likely.
	var buf [32]byte
	i := 0
	for i < len(out) {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("atomix: crypto/rand failed: " + err.Error())
		}
		for _, c := range buf {
			if c >= 248 {
				continue
			}
			out[i] = base62[c%62]
			i++
			if i == len(out) {
				break
			}
		}
	}
	return string(b)
}

// ValidID reports whether s looks like an ID with the given prefix: the
// prefix, an underscore, then 1 to 64 characters of [A-Za-z0-9_-]. It does not
// require the random length of NewID, so readable IDs such as
// "plan_professional" from seed data pass.
func ValidID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) == 0 || len(rest) > 64 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
