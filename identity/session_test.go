package identity_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store/memory"
)

// wantSessionEnded checks that err is the one refusal of an access token,
// with a reason that says the session ended.
func wantSessionEnded(t *testing.T, what string, e *env, err error) {
	t.Helper()
	wantRefusal(t, what, err, refusal(t, e))
	if r := errors.Unwrap(err); r == nil || !strings.Contains(r.Error(), "session ended") {
		t.Errorf("%s: got reason %v, want one that says the session ended", what, r)
	}
}

func wantVerified(t *testing.T, what string, e *env, token string) {
	t.Helper()
	if _, err := e.s.VerifyAccessToken(t.Context(), token); err != nil {
		t.Errorf("%s: got error %v, want nil", what, err)
	}
}

// TestLogoutEndsAccessToken: after a logout, with the refresh token or by
// the access token's session, the session's access tokens (the first and
// those refreshes issued) are refused at once by the instance that logged
// out, though it had the session cached as live; another session of the
// same user lives on.
func TestLogoutEndsAccessToken(t *testing.T) {
	for _, tc := range []struct {
		name        string
		withRefresh bool
	}{{"with the refresh token", true}, {"by the access token's session", false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.user(t, tenantA, "a@example.com")
			s1, s2 := e.login(t, u), e.login(t, u)
			e.clock.Advance(time.Minute)
			s1b, err := e.refresh(s1.RefreshToken)
			if err != nil {
				t.Fatalf("Refresh: got error %v, want nil", err)
			}
			for _, tok := range []string{s1.AccessToken, s1b.AccessToken, s2.AccessToken} {
				wantVerified(t, "before the logout", e, tok)
			}
			in := identity.LogoutInput{Principal: mustVerify(t, e, s1b.AccessToken)}
			if tc.withRefresh {
				in.RefreshToken = s1b.RefreshToken
			}
			if err := e.s.Logout(t.Context(), in); err != nil {
				t.Fatalf("Logout: got error %v, want nil", err)
			}
			for _, tok := range []string{s1.AccessToken, s1b.AccessToken} {
				_, err := e.s.VerifyAccessToken(t.Context(), tok)
				wantSessionEnded(t, "an access token of the logged-out session", e, err)
			}
			wantVerified(t, "the other session's access token", e, s2.AccessToken)
		})
	}
}

// TestSessionEndSeenByOtherInstances: another Service over the same store
// trusts the session state it read for Config.SessionCheck: it accepts a
// logged-out session's token until SessionCheck has passed since its read,
// and refuses it from then on. A session it never read it refuses at once.
func TestSessionEndSeenByOtherInstances(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check time.Duration
		want  time.Duration
	}{
		{"the default", 0, identity.DefaultSessionCheck},
		{"a minute", time.Minute, time.Minute},
		{"a microsecond", time.Microsecond, time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edit := func(c *identity.Config) { c.SessionCheck = tc.check }
			a := newEnv(t, edit)
			b := newEnvOn(t, a.store, a.clock, edit)
			if got := b.s.Config().SessionCheck; got != tc.want {
				t.Fatalf("Config().SessionCheck: got %s, want %s", got, tc.want)
			}
			u := a.user(t, tenantA, "a@example.com")
			r, unread := a.login(t, u), a.login(t, u)
			wantVerified(t, "B, before the logout", b, r.AccessToken) // B reads the session now
			for _, s := range []identity.TokenResponse{r, unread} {
				if err := a.s.Logout(t.Context(), identity.LogoutInput{Principal: mustVerify(t, a, s.AccessToken)}); err != nil {
					t.Fatalf("Logout on A: got error %v, want nil", err)
				}
			}
			_, err := a.s.VerifyAccessToken(t.Context(), r.AccessToken)
			wantSessionEnded(t, "A, which logged out", a, err)
			_, err = b.s.VerifyAccessToken(t.Context(), unread.AccessToken)
			wantSessionEnded(t, "B, a session it never read", b, err)

			a.clock.Advance(tc.want - time.Microsecond)
			wantVerified(t, "B, within SessionCheck of its read", b, r.AccessToken)
			a.clock.Advance(time.Microsecond)
			_, err = b.s.VerifyAccessToken(t.Context(), r.AccessToken)
			wantSessionEnded(t, "B, SessionCheck after its read", b, err)
		})
	}
}

// TestRevocationsEndAccessTokens: disabling the user, deleting it, and
// setting or changing its password end all of its sessions' access tokens;
// refresh-token reuse ends those of its session. The instance that acted
// refuses them at once, though it had them cached as live; another
// instance within SessionCheck. The tokens of other sessions live on.
func TestRevocationsEndAccessTokens(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		act  func(e *env, u identity.User, s1 identity.TokenResponse) error
		// whole is set when every session of the user ends, not s1's only.
		whole bool
	}{
		{"DisableUser", func(e *env, u identity.User, _ identity.TokenResponse) error {
			_, err := e.s.DisableUser(ctx, u.TenantID, u.ID)
			return err
		}, true},
		{"DeleteUser", func(e *env, u identity.User, _ identity.TokenResponse) error {
			return e.s.DeleteUser(ctx, u.TenantID, u.ID)
		}, true},
		{"ChangePassword", func(e *env, u identity.User, _ identity.TokenResponse) error {
			return e.s.ChangePassword(ctx, u.TenantID, u.ID, pass, "a much newer secret")
		}, true},
		{"SetPassword", func(e *env, u identity.User, _ identity.TokenResponse) error {
			return e.s.SetPassword(ctx, u.TenantID, u.ID, "a much newer secret")
		}, true},
		{"UsePasswordToken", func(e *env, u identity.User, _ identity.TokenResponse) error {
			tok, err := e.s.IssueSetPasswordToken(ctx, u.TenantID, u.ID)
			if err != nil {
				return err
			}
			_, err = e.s.UsePasswordToken(ctx, tok.Token, "a much newer secret")
			return err
		}, true},
		{"refresh-token reuse", func(e *env, _ identity.User, s1 identity.TokenResponse) error {
			if _, err := e.refresh(s1.RefreshToken); err != nil {
				return err
			}
			e.clock.Advance(identity.DefaultRefreshReuseGrace + time.Second)
			_, err := e.refresh(s1.RefreshToken)
			if core.ErrorCode(err) != core.Unauthenticated {
				return errors.New("the reuse was not refused")
			}
			return nil
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			o := newEnvOn(t, e.store, e.clock)
			u := e.user(t, tenantA, "a@example.com")
			bystander := e.user(t, tenantA, "b@example.com")
			s1, s2, sb := e.login(t, u), e.login(t, u), e.login(t, bystander)
			for _, x := range []*env{e, o} {
				for _, s := range []identity.TokenResponse{s1, s2, sb} {
					wantVerified(t, "before", x, s.AccessToken)
				}
			}
			if err := tc.act(e, u, s1); err != nil {
				t.Fatalf("%s: got error %v, want nil", tc.name, err)
			}
			for i, x := range []*env{e, o} {
				if i == 1 {
					e.clock.Advance(identity.DefaultSessionCheck)
				}
				_, err := x.s.VerifyAccessToken(t.Context(), s1.AccessToken)
				wantSessionEnded(t, "the ended session's token", x, err)
				if _, err := x.s.VerifyAccessToken(t.Context(), s2.AccessToken); tc.whole {
					wantSessionEnded(t, "the user's other session's token", x, err)
				} else if err != nil {
					t.Errorf("the user's other session's token: got error %v, want nil", err)
				}
				wantVerified(t, "another user's token", x, sb.AccessToken)
			}
		})
	}
}

// TestSessionPastItsEnd: a token outliving its session's absolute end is
// refused from that end on, even while the session's state is cached.
func TestSessionPastItsEnd(t *testing.T) {
	e := newEnv(t, func(c *identity.Config) { c.RefreshAbsoluteTTL = 30 * time.Minute })
	u := e.user(t, tenantA, "a@example.com")
	tok := e.login(t, u).AccessToken
	e.clock.Advance(30*time.Minute - time.Second)
	wantVerified(t, "a second before the session's end", e, tok)
	e.clock.Advance(time.Second) // within SessionCheck of the read
	_, err := e.s.VerifyAccessToken(t.Context(), tok)
	wantSessionEnded(t, "at the session's end", e, err)
	if r := errors.Unwrap(err); r == nil || !strings.Contains(r.Error(), "absolute end") {
		t.Errorf("reason: got %v, want the session's absolute end", r)
	}
}

// TestSessionCheckTokens: with the check on, a token naming no session, an
// unknown session or another user's session is refused; a negative
// SessionCheck turns the check off and brings the stateless tokens back:
// such tokens, and those of a logged-out session, verify until they
// expire.
func TestSessionCheckTokens(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check time.Duration
	}{{"on", 0}, {"off", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *identity.Config) { c.SessionCheck = tc.check })
			on := tc.check >= 0
			if got := e.s.Config().SessionCheck; (got > 0) != on {
				t.Errorf("Config().SessionCheck: got %s, want it positive: %t", got, on)
			}
			u, v := e.user(t, tenantA, "a@example.com"), e.user(t, tenantA, "b@example.com")
			loggedOut := e.login(t, u).AccessToken
			if err := e.s.Logout(t.Context(), identity.LogoutInput{Principal: mustVerify(t, e, loggedOut)}); err != nil {
				t.Fatalf("Logout: got error %v, want nil", err)
			}
			theirs := mustVerify(t, e, e.login(t, v).AccessToken).SessionID
			issue := func(sid string) string {
				tok, err := identity.IssueAccessToken(t.Context(), e.s, u, sid)
				if err != nil {
					t.Fatalf("IssueAccessToken: %v", err)
				}
				return tok
			}
			for _, tt := range []struct {
				name, token, reason string
			}{
				{"no sid", issue(""), "names no session"},
				{"an unknown sid", issue("nosuchsession"), "no longer exists"},
				{"another user's sid", issue(theirs), "another user"},
				{"a logged-out session", loggedOut, "revoked"},
			} {
				_, err := e.s.VerifyAccessToken(t.Context(), tt.token)
				if !on {
					if err != nil {
						t.Errorf("%s: got error %v, want nil with the check off", tt.name, err)
					}
					continue
				}
				wantRefusal(t, tt.name, err, refusal(t, e))
				if r := errors.Unwrap(err); r == nil || !strings.Contains(r.Error(), tt.reason) {
					t.Errorf("%s: got reason %v, want one with %q", tt.name, r, tt.reason)
				}
			}
		})
	}
}

// familyStore is a memory store whose GetRefreshFamily counts its calls,
// fails with err when set, and runs during (once) between its read and its
// answer.
type familyStore struct {
	*memory.Store
	mu     sync.Mutex
	reads  int
	err    error
	during func()
}

func (f *familyStore) GetRefreshFamily(ctx context.Context, tenantID, familyID string) (identity.RefreshFamily, error) {
	f.mu.Lock()
	f.reads++
	err, during := f.err, f.during
	f.during = nil
	f.mu.Unlock()
	if err != nil {
		return identity.RefreshFamily{}, err
	}
	fam, err := f.Store.GetRefreshFamily(ctx, tenantID, familyID)
	if during != nil {
		during()
	}
	return fam, err
}

func (f *familyStore) set(err error, during func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err, f.during = err, during
}

func (f *familyStore) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// newFamilyEnv returns an env whose service works on a familyStore over
// its memory store.
func newFamilyEnv(t *testing.T) (*env, *familyStore) {
	t.Helper()
	e := newEnv(t)
	fs := &familyStore{Store: e.store}
	s, err := identity.NewService(fs, e.cfg)
	if err != nil {
		t.Fatalf("NewService: got error %v, want nil", err)
	}
	e.s = s
	return e, fs
}

// TestSessionCheckCaches: a busy session costs one store read per
// SessionCheck, not one per request.
func TestSessionCheckCaches(t *testing.T) {
	e, fs := newFamilyEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	tok := e.login(t, u).AccessToken
	for range 100 {
		mustVerify(t, e, tok)
	}
	if got := fs.readCount(); got != 1 {
		t.Errorf("store reads for 100 verifications: got %d, want 1", got)
	}
	e.clock.Advance(identity.DefaultSessionCheck)
	for range 100 {
		mustVerify(t, e, tok)
	}
	if got := fs.readCount(); got != 2 {
		t.Errorf("store reads after SessionCheck: got %d, want 2", got)
	}
}

// TestSessionCheckStoreFailure: a store failure while checking the session
// is answered as it is, not as a refused token (a 401 would log users out
// for an outage), and is not remembered.
func TestSessionCheckStoreFailure(t *testing.T) {
	e, fs := newFamilyEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	tok := e.login(t, u).AccessToken
	down := &core.Error{Code: core.Unavailable, Message: "the store is down"}
	fs.set(down, nil)
	_, err := e.s.VerifyAccessToken(t.Context(), tok)
	if !errors.Is(err, down) || core.ErrorCode(err) != core.Unavailable {
		t.Errorf("VerifyAccessToken with the store down: got %v (code %q), want %v", err, core.ErrorCode(err), down)
	}
	fs.set(nil, nil)
	wantVerified(t, "the store back", e, tok)
}

// TestSessionReadRacingRevocation: a verification whose store read began
// before this Service revoked the session does not put the stale, live
// state back in the cache; the next verification is refused.
func TestSessionReadRacingRevocation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		revoke func(e *env, u identity.User, c identity.Claims) error
	}{
		{"Logout", func(e *env, _ identity.User, c identity.Claims) error {
			return e.s.Logout(context.Background(), identity.LogoutInput{Principal: c})
		}},
		{"DisableUser", func(e *env, u identity.User, _ identity.Claims) error {
			_, err := e.s.DisableUser(context.Background(), u.TenantID, u.ID)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, fs := newFamilyEnv(t)
			u := e.user(t, tenantA, "a@example.com")
			tok := e.login(t, u).AccessToken
			c := mustVerify(t, e, tok)
			e.clock.Advance(identity.DefaultSessionCheck) // the next verification reads
			fs.set(nil, func() {
				if err := tc.revoke(e, u, c); err != nil {
					t.Errorf("%s: got error %v, want nil", tc.name, err)
				}
			})
			// It read the session live before the revocation: accepted.
			wantVerified(t, "the verification racing the revocation", e, tok)
			_, err := e.s.VerifyAccessToken(t.Context(), tok)
			wantSessionEnded(t, "the next verification", e, err)
		})
	}
}

// TestSessionCacheBounded: the cache never holds more than its bound,
// however many sessions are verified; tokens of evicted sessions are
// checked against the store again; a user-wide revocation drops the user's
// entries.
func TestSessionCacheBounded(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	identity.FillSessionCache(e.s, tenantA, u.ID, 3*identity.SessionCacheSize)
	if n := identity.SessionCacheLen(e.s); n > identity.SessionCacheSize || n < identity.SessionCacheSize/2 {
		t.Errorf("cache size after %d sessions: got %d, want at most %d (and most of it used)", 3*identity.SessionCacheSize, n, identity.SessionCacheSize)
	}
	if _, err := e.s.DisableUser(t.Context(), tenantA, u.ID); err != nil {
		t.Fatalf("DisableUser: got error %v, want nil", err)
	}
	if n := identity.SessionCacheLen(e.s); n != 0 {
		t.Errorf("cache size after disabling the only user: got %d, want 0", n)
	}

	// Through verifications, with a small bound.
	const bound = 16
	identity.ShrinkSessionCache(e.s, bound)
	v := e.user(t, tenantA, "b@example.com")
	var toks []string
	for range 3 * bound {
		toks = append(toks, e.login(t, v).AccessToken)
	}
	for _, tok := range toks {
		mustVerify(t, e, tok)
	}
	if n := identity.SessionCacheLen(e.s); n > bound {
		t.Errorf("cache size after %d sessions: got %d, want at most %d", len(toks), n, bound)
	}
	// Every session, remembered or evicted, still verifies, and ends.
	for _, tok := range toks {
		mustVerify(t, e, tok)
	}
	if err := e.s.Logout(t.Context(), identity.LogoutInput{Principal: mustVerify(t, e, toks[0])}); err != nil {
		t.Fatalf("Logout: got error %v, want nil", err)
	}
	for range 3 * bound { // verifying the others evicts its entry
		for _, tok := range toks[1:] {
			mustVerify(t, e, tok)
		}
		_, err := e.s.VerifyAccessToken(t.Context(), toks[0])
		wantSessionEnded(t, "the logged-out session", e, err)
	}

	off := newEnv(t, func(c *identity.Config) { c.SessionCheck = -1 })
	if n := identity.SessionCacheLen(off.s); n != -1 {
		t.Errorf("cache with the check off: got %d entries, want none (-1)", n)
	}
}

// TestSessionCheckConcurrent: verifications racing logouts and user-wide
// revocations (for the race detector); once a revocation returns, the
// tokens it ended are refused.
func TestSessionCheckConcurrent(t *testing.T) {
	e := newEnv(t)
	const users = 4
	var wg sync.WaitGroup
	for i := range users {
		u := e.user(t, tenantA, string(rune('a'+i))+"@example.com")
		r1, r2 := e.login(t, u), e.login(t, u)
		c := mustVerify(t, e, r1.AccessToken)
		wg.Go(func() {
			for range 50 {
				_, _ = e.s.VerifyAccessToken(context.Background(), r1.AccessToken)
				_, _ = e.s.VerifyAccessToken(context.Background(), r2.AccessToken)
			}
		})
		wg.Go(func() {
			ended := []string{r1.AccessToken}
			if i%2 == 0 {
				if err := e.s.Logout(context.Background(), identity.LogoutInput{Principal: c}); err != nil {
					t.Errorf("Logout: got error %v, want nil", err)
				}
			} else {
				if _, err := e.s.DisableUser(context.Background(), u.TenantID, u.ID); err != nil {
					t.Errorf("DisableUser: got error %v, want nil", err)
				}
				ended = append(ended, r2.AccessToken)
			}
			for _, tok := range ended {
				if _, err := e.s.VerifyAccessToken(context.Background(), tok); core.ErrorCode(err) != core.Unauthenticated {
					t.Errorf("an ended session's token: got %v, want unauthenticated", err)
				}
			}
		})
	}
	wg.Wait()
}
