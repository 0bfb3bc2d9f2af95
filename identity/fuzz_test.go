package identity_test

import (
	"context"
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
	good, err := identity.IssueAccessToken(ctx, e.s, benchUser, "sid")
	if err != nil {
		f.Fatal(err)
	}
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
			if c.Subject != benchUser.ID {
				t.Fatalf("VerifyAccessToken(%q) accepted a token for %q", token, c.Subject)
			}
			return
		}
		if core.ErrorCode(err) != core.Unauthenticated || core.ErrorMessage(err) != core.ErrorMessage(ref) {
			t.Fatalf("VerifyAccessToken(%q): got %v, want the one unauthenticated refusal", token, err)
		}
	})
}
