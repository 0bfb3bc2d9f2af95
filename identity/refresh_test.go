package identity_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

func TestRefreshRotates(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	r := e.login(t, u)
	sid := mustVerify(t, e, r.AccessToken).SessionID
	seen := map[string]bool{r.RefreshToken: true}
	for i := range 3 {
		e.clock.Advance(time.Minute)
		next, err := e.refresh(r.RefreshToken)
		if err != nil {
			t.Fatalf("refresh %d: got error %v, want nil", i, err)
		}
		if seen[next.RefreshToken] || !strings.HasSuffix(next.RefreshToken, "."+tenantA) {
			t.Errorf("refresh %d: got refresh token %q, want a new one of %s", i, next.RefreshToken, tenantA)
		}
		seen[next.RefreshToken] = true
		c := mustVerify(t, e, next.AccessToken)
		if c.SessionID != sid || c.Subject != u.ID || !c.IssuedAt.Equal(e.clock.Now()) {
			t.Errorf("refresh %d: claims %+v, want session %s of %s issued now", i, c, sid, u.ID)
		}
		if next.User.ID != u.ID || next.ExpiresIn != 3600 {
			t.Errorf("refresh %d: got user %s, expiresIn %d", i, next.User.ID, next.ExpiresIn)
		}
		r = next
	}
}

func mustVerify(t *testing.T, e *env, token string) identity.Claims {
	t.Helper()
	c, err := e.s.VerifyAccessToken(t.Context(), token)
	if err != nil {
		t.Fatalf("VerifyAccessToken: got error %v, want nil", err)
	}
	return c
}

// TestRefreshReuseRevokesFamily: a spent token presented again after the
// grace window is taken for a stolen one, and ends the whole session, the
// newest token included; other sessions live on.
func TestRefreshReuseRevokesFamily(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	first := e.login(t, u)
	otherSession := e.login(t, u)
	second, err := e.refresh(first.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: got error %v, want nil", err)
	}
	ref := refreshRefusal(t, e)

	// Within the grace window: refused, the session lives.
	e.clock.Advance(identity.DefaultRefreshReuseGrace)
	_, err = e.refresh(first.RefreshToken)
	wantRefusal(t, "reuse within the grace", err, ref)
	third, err := e.refresh(second.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh of the newest token after a reuse within the grace: got error %v, want nil", err)
	}

	// After it: the session ends.
	e.clock.Advance(time.Millisecond)
	_, err = e.refresh(first.RefreshToken)
	wantRefusal(t, "reuse after the grace", err, ref)
	_, err = e.refresh(third.RefreshToken)
	wantRefusal(t, "the newest token of a revoked session", err, ref)
	if !strings.Contains(e.logs.String(), "spent refresh token was presented again") {
		t.Errorf("logs: got %q, want the reuse logged", e.logs.String())
	}
	if _, err := e.refresh(otherSession.RefreshToken); err != nil {
		t.Errorf("another session of the user: got error %v, want nil", err)
	}
}

func TestRefreshReuseWithoutGrace(t *testing.T) {
	e := newEnv(t, func(c *identity.Config) { c.RefreshReuseGrace = -1 })
	u := e.user(t, tenantA, "a@example.com")
	first := e.login(t, u)
	second, err := e.refresh(first.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: got error %v, want nil", err)
	}
	_, err = e.refresh(first.RefreshToken)
	wantCode(t, "immediate reuse", err, core.Unauthenticated)
	_, err = e.refresh(second.RefreshToken)
	wantCode(t, "the newest token after an immediate reuse", err, core.Unauthenticated)
}

func refreshRefusal(t *testing.T, e *env) error {
	t.Helper()
	_, err := e.refresh("rt_garbage")
	wantCode(t, "Refresh(rt_garbage)", err, core.Unauthenticated)
	return err
}

// TestRefreshRace: two refreshes with one token at once give exactly one new
// pair, and the session survives for the winner.
func TestRefreshRace(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	tok := e.login(t, u).RefreshToken
	for round := range 20 {
		var wg sync.WaitGroup
		var res [2]identity.TokenResponse
		var errs [2]error
		start := make(chan struct{})
		for i := range 2 {
			wg.Go(func() {
				<-start
				res[i], errs[i] = e.refresh(tok)
			})
		}
		close(start)
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: errors %v and %v, want exactly one success", round, errs[0], errs[1])
		}
		for i := range 2 {
			if errs[i] != nil {
				wantCode(t, "the losing refresh", errs[i], core.Unauthenticated)
			} else {
				tok = res[i].RefreshToken
			}
		}
	}
	if _, err := e.refresh(tok); err != nil {
		t.Errorf("the winner's token after the races: got error %v, want nil", err)
	}
}

func TestRefreshLifetimes(t *testing.T) {
	e := newEnv(t, func(c *identity.Config) {
		c.RefreshIdleTTL = time.Hour
		c.RefreshAbsoluteTTL = 3 * time.Hour
	})
	u := e.user(t, tenantA, "a@example.com")
	ref := refreshRefusal(t, e)

	// Idle: unused for an hour, the token is dead.
	idle := e.login(t, u)
	e.clock.Advance(time.Hour)
	_, err := e.refresh(idle.RefreshToken)
	wantRefusal(t, "a token idle for its lifetime", err, ref)

	// Absolute: refreshed every 50 minutes, the session still ends 3 hours
	// after the login.
	r := e.login(t, u)
	for elapsed := 50 * time.Minute; elapsed < 3*time.Hour; elapsed += 50 * time.Minute {
		e.clock.Advance(50 * time.Minute)
		next, err := e.refresh(r.RefreshToken)
		if err != nil {
			t.Fatalf("refresh at %s: got error %v, want nil", elapsed, err)
		}
		r = next
	}
	e.clock.Advance(30 * time.Minute) // 3h20m after the login
	_, err = e.refresh(r.RefreshToken)
	wantRefusal(t, "past the absolute lifetime", err, ref)
}

// TestRefreshTokenBelongsToItsTenant: a token is bound to its tenant; moved
// to another tenant, or presented where another tenant is expected, it is
// refused.
func TestRefreshTokenBelongsToItsTenant(t *testing.T) {
	e := newEnv(t)
	ua := e.user(t, tenantA, "a@example.com")
	ub := e.user(t, tenantB, "a@example.com")
	staff := e.user(t, "", "staff@example.com")
	ra, rb, rs := e.login(t, ua), e.login(t, ub), e.login(t, staff)
	ref := refreshRefusal(t, e)
	secretA := strings.TrimSuffix(strings.TrimPrefix(ra.RefreshToken, "rt_"), "."+tenantA)
	if strings.Contains(rs.RefreshToken, ".") {
		t.Errorf("a platform user's refresh token %q names a tenant", rs.RefreshToken)
	}
	tests := []struct {
		name  string
		in    identity.RefreshInput
		valid bool
	}{
		{"moved to another tenant", identity.RefreshInput{RefreshToken: "rt_" + secretA + "." + tenantB}, false},
		{"moved out of its tenant", identity.RefreshInput{RefreshToken: "rt_" + secretA}, false},
		{"expected in another tenant", identity.RefreshInput{RefreshToken: ra.RefreshToken, TenantID: new(tenantB)}, false},
		{"expected on the platform", identity.RefreshInput{RefreshToken: ra.RefreshToken, TenantID: new("")}, false},
		{"platform token expected in a tenant", identity.RefreshInput{RefreshToken: rs.RefreshToken, TenantID: new(tenantA)}, false},
		{"malformed tenant", identity.RefreshInput{RefreshToken: "rt_" + secretA + ".acme"}, false},
		{"empty", identity.RefreshInput{}, false},
		{"no secret", identity.RefreshInput{RefreshToken: "rt_." + tenantA}, false},
		{"short secret", identity.RefreshInput{RefreshToken: "rt_" + secretA[:42] + "." + tenantA}, false},
		{"bad characters", identity.RefreshInput{RefreshToken: "rt_" + strings.Repeat("!", 43)}, false},
		{"another prefix", identity.RefreshInput{RefreshToken: "pst_" + secretA + "." + tenantA}, false},
		{"B's own", identity.RefreshInput{RefreshToken: rb.RefreshToken, TenantID: new(tenantB)}, true},
		{"the platform's own", identity.RefreshInput{RefreshToken: rs.RefreshToken, TenantID: new("")}, true},
		{"A's own", identity.RefreshInput{RefreshToken: ra.RefreshToken}, true},
	}
	for _, tt := range tests {
		_, err := e.s.Refresh(t.Context(), tt.in)
		if tt.valid {
			if err != nil {
				t.Errorf("%s: got error %v, want nil", tt.name, err)
			}
			continue
		}
		wantRefusal(t, tt.name, err, ref)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	other := e.user(t, tenantA, "b@example.com")
	s1, s2 := e.login(t, u), e.login(t, u)
	so := e.login(t, other)
	p1 := mustVerify(t, e, s1.AccessToken)
	ref := refreshRefusal(t, e)

	// A token of another user, or of another session of the caller, is
	// refused, and its session lives on.
	for _, tc := range []struct{ name, token string }{{"another user's", so.RefreshToken}, {"another session's", s2.RefreshToken}, {"malformed", "rt_x"}} {
		err := e.s.Logout(t.Context(), identity.LogoutInput{Principal: p1, RefreshToken: tc.token})
		wantRefusal(t, "Logout with "+tc.name+" token", err, ref)
	}
	for _, r := range []identity.TokenResponse{so, s2} {
		if _, err := e.refresh(r.RefreshToken); err != nil {
			t.Fatalf("a session after a refused logout: got error %v, want nil", err)
		}
	}
	// Logout with the session's own token, or with none, ends it.
	if err := e.s.Logout(t.Context(), identity.LogoutInput{Principal: p1, RefreshToken: s1.RefreshToken}); err != nil {
		t.Fatalf("Logout: got error %v, want nil", err)
	}
	_, err := e.refresh(s1.RefreshToken)
	wantRefusal(t, "Refresh after logout", err, ref)

	s3 := e.login(t, u)
	if err := e.s.Logout(t.Context(), identity.LogoutInput{Principal: mustVerify(t, e, s3.AccessToken)}); err != nil {
		t.Fatalf("Logout by the access token's session: got error %v, want nil", err)
	}
	_, err = e.refresh(s3.RefreshToken)
	wantRefusal(t, "Refresh after logout by session", err, ref)

	noSession := p1
	noSession.SessionID = ""
	wantCode(t, "Logout without a session or token", e.s.Logout(t.Context(), identity.LogoutInput{Principal: noSession}), core.Invalid)
	cross := p1
	cross.TenantID, cross.Scope = tenantB, identity.Scope{Kind: identity.ScopeTenant, ID: tenantB}
	err = e.s.Logout(t.Context(), identity.LogoutInput{Principal: cross, RefreshToken: s2.RefreshToken})
	wantRefusal(t, "Logout with a token of another tenant", err, ref)
}

// TestSecretRotation: with the old master secret kept as a previous one,
// the refresh tokens and signing keys it made keep working; once it is
// dropped, its refresh tokens are refused.
func TestSecretRotation(t *testing.T) {
	oldEnv := newEnv(t)
	u := oldEnv.user(t, tenantA, "a@example.com")
	r := oldEnv.login(t, u)
	rotated := newEnvOn(t, oldEnv.store, oldEnv.clock, func(c *identity.Config) {
		c.Secrets = identity.Secrets{Current: secret("s2", 8), Previous: []identity.Secret{secret("s1", 7)}}
	})
	if _, err := rotated.s.VerifyAccessToken(t.Context(), r.AccessToken); err != nil {
		t.Errorf("an access token of the old secret's key: got error %v, want nil", err)
	}
	r2, err := rotated.refresh(r.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh of a token of the old secret: got error %v, want nil", err)
	}
	dropped := newEnvOn(t, oldEnv.store, oldEnv.clock, func(c *identity.Config) {
		c.Secrets = identity.Secrets{Current: secret("s2", 8)}
	})
	if _, err := dropped.refresh(r2.RefreshToken); err != nil {
		t.Errorf("Refresh of a token of the new secret: got error %v, want nil", err)
	}
	r3 := oldEnv.login(t, u)
	_, err = dropped.refresh(r3.RefreshToken)
	wantCode(t, "Refresh of a token of a dropped secret", err, core.Unauthenticated)
}

func TestRefreshConcurrentWithLogout(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	for range 10 {
		r := e.login(t, u)
		p := mustVerify(t, e, r.AccessToken)
		var wg sync.WaitGroup
		var next identity.TokenResponse
		var rerr error
		wg.Go(func() {
			next, rerr = e.s.Refresh(context.Background(), identity.RefreshInput{RefreshToken: r.RefreshToken})
		})
		wg.Go(func() {
			if err := e.s.Logout(context.Background(), identity.LogoutInput{Principal: p}); err != nil {
				t.Errorf("Logout: got error %v, want nil", err)
			}
		})
		wg.Wait()
		// Whatever the order, the session is over.
		if rerr == nil {
			if _, err := e.refresh(next.RefreshToken); core.ErrorCode(err) != core.Unauthenticated {
				t.Errorf("the token a refresh made during logout: got %v, want unauthenticated", err)
			}
		}
	}
}
