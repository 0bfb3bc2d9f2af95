package identity_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

// FuzzVerifyToken: whatever the input, VerifyAccessToken does not panic
// and refuses with core.Unauthenticated and the one message, unless the
// input is a token the service itself signed.
func FuzzVerifyToken(f *testing.F) {
	e := newEnv(f)
	ctx := context.Background()
	u := e.user(f, tenantA, "a@example.com")
	good := e.login(f, u).AccessToken // of a live session
	parts := strings.Split(good, ".")
	_, ref := e.s.VerifyAccessToken(ctx, "x")
	for _, seed := range []string{
		good, "", ".", "..", "...", parts[0] + "." + parts[1] + ".",
		"eyJhbGciOiJub25lIn0." + parts[1] + ".",
		"eyJhbGciOiJIUzI1NiJ9." + parts[1] + "." + parts[2],
		parts[0] + ".e30." + parts[2], "e30.e30.e30", `{"protected":"e30"}`,
		good[:len(good)-1], good + "A",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := e.s.VerifyAccessToken(ctx, token)
		if err == nil {
			if c.Subject != u.ID {
				t.Fatalf("VerifyAccessToken(%q) accepted a token for %q", token, c.Subject)
			}
			return
		}
		if core.ErrorCode(err) != core.Unauthenticated || core.ErrorMessage(err) != core.ErrorMessage(ref) {
			t.Fatalf("VerifyAccessToken(%q): got %v, want the one unauthenticated refusal", token, err)
		}
	})
}

// FuzzParsePhone: whatever the input, ParsePhone does not panic; what it
// accepts is E.164 that parses back to itself, and MaskPhone of it keeps
// the country code and hides some digits.
func FuzzParsePhone(f *testing.F) {
	for _, seed := range []string{
		"+905321234567", "+90 532 123 45 67", "+1 (201) 555-0123", "+44 20 7946 0958", "", "+", "++90",
		"+999123", "0532 123 45 67", "+90532123456789012345", "+٩٠٥٣٢١٢٣٤٥٦٧", "+90 532 123 45 67 ext. 12", "+49\x00151",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		e164, cc, err := identity.ParsePhone(in)
		if err != nil {
			if core.ErrorCode(err) != core.Invalid {
				t.Fatalf("ParsePhone(%q): got %v, want core.Invalid", in, err)
			}
			return
		}
		again, cc2, err := identity.ParsePhone(e164)
		if err != nil || again != e164 || cc2 != cc || e164[0] != '+' {
			t.Fatalf("ParsePhone(%q) = %q (+%d), which parses to %q (+%d), %v", in, e164, cc, again, cc2, err)
		}
		m := identity.MaskPhone(e164)
		if !strings.HasPrefix(m, "+"+strconv.Itoa(cc)+" ") || !strings.Contains(m, "*") {
			t.Fatalf("MaskPhone(%q) = %q, want the country code and hidden digits", e164, m)
		}
	})
}
