package identity_test

import (
	"context"
	"testing"
	"time"

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

// BenchmarkVerifyAccessToken verifies the access token of a live session:
// with the session check on and the session's state cached (the common
// case: one store read per Config.SessionCheck), and with the check off
// (stateless tokens). The difference is the check's cost.
func BenchmarkVerifyAccessToken(b *testing.B) {
	for _, alg := range algorithms {
		for _, mode := range []struct {
			name  string
			check time.Duration
		}{{"session=cached", 0}, {"session=off", -1}} {
			b.Run(string(alg)+"/"+mode.name, func(b *testing.B) {
				e := newEnv(b, func(c *identity.Config) { c.Algorithm, c.SessionCheck = alg, mode.check })
				ctx := context.Background()
				tok := e.login(b, e.user(b, tenantA, "a@example.com")).AccessToken
				if _, err := e.s.VerifyAccessToken(ctx, tok); err != nil {
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
}

// BenchmarkSessionCheck is the session check alone, over 64 sessions whose
// states are cached, on one goroutine and on all at once (the cache is
// sharded by session).
func BenchmarkSessionCheck(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	u := e.user(b, tenantA, "a@example.com")
	var claims []identity.Claims
	for range 64 {
		c, err := e.s.VerifyAccessToken(ctx, e.login(b, u).AccessToken)
		if err != nil {
			b.Fatal(err)
		}
		claims = append(claims, c)
	}
	now := e.clock.Now() // read once: the test clock's lock is no part of the check
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := identity.CheckSession(ctx, e.s, &claims[i%len(claims)], now); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if err := identity.CheckSession(ctx, e.s, &claims[i%len(claims)], now); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
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
