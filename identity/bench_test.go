package identity_test

import (
	"context"
	"testing"

	"github.com/atomixplatform/atomix/identity"
)

var algorithms = []identity.Algorithm{identity.RS256, identity.ES256, identity.EdDSA}

// benchUser is a user as the token benchmarks sign for.
var benchUser = identity.User{
	ID: "usr_4FzQ9aB2cD3eF4gH5iJ6kL", TenantID: tenantA, Scope: identity.Scope{Kind: identity.ScopeTenant, ID: tenantA},
	Name: "Bench", Email: "bench@example.com", Role: identity.RoleTenantAdmin, Status: identity.StatusActive,
}

func BenchmarkIssueAccessToken(b *testing.B) {
	for _, alg := range algorithms {
		b.Run(string(alg), func(b *testing.B) {
			e := newEnv(b, func(c *identity.Config) { c.Algorithm = alg })
			ctx := context.Background()
			if _, err := identity.IssueAccessToken(ctx, e.s, benchUser, "sid"); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := identity.IssueAccessToken(ctx, e.s, benchUser, "sid"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyAccessToken(b *testing.B) {
	for _, alg := range algorithms {
		b.Run(string(alg), func(b *testing.B) {
			e := newEnv(b, func(c *identity.Config) { c.Algorithm = alg })
			ctx := context.Background()
			tok, err := identity.IssueAccessToken(ctx, e.s, benchUser, "sid")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.s.VerifyAccessToken(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkArgon2idDefault hashes a password at the default parameters
// (19 MiB, 2 iterations, 1 lane).
func BenchmarkArgon2idDefault(b *testing.B) {
	e := newEnv(b, func(c *identity.Config) { c.Password.Params = identity.Argon2Params{} })
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.s.HashPassword(ctx, pass, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefreshRotation spends a refresh token and issues the next pair,
// on the memory store: look-up, user read, conditional rotation and an
// access token.
func BenchmarkRefreshRotation(b *testing.B) {
	for _, alg := range []identity.Algorithm{identity.RS256, identity.EdDSA} {
		b.Run(string(alg), func(b *testing.B) {
			e := newEnv(b, func(c *identity.Config) { c.Algorithm = alg })
			u := e.user(b, tenantA, "a@example.com")
			tok := e.login(b, u).RefreshToken
			b.ReportAllocs()
			for b.Loop() {
				r, err := e.refresh(tok)
				if err != nil {
					b.Fatal(err)
				}
				tok = r.RefreshToken
			}
		})
	}
}
