package identity_test

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/cpugate"
	"github.com/atomixplatform/atomix/identity"
	"github.com/google/go-cmp/cmp"
)

func TestLoginAnswersSeedShape(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "Ayse@Example.com")
	r, err := e.s.Login(t.Context(), identity.LoginInput{Email: " ayse@example.COM ", Password: pass, TenantID: tenantA})
	if err != nil {
		t.Fatalf("Login: got error %v, want nil", err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("json.Unmarshal: %v", err)
	}
	want := map[string]any{
		"accessToken":  r.AccessToken,
		"refreshToken": r.RefreshToken,
		"expiresIn":    float64(3600),
		"user": map[string]any{
			"id": u.ID, "name": "Ayşe Demir", "role": "tenant_admin", "tenantId": tenantA, "permissions": []any{},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("token response JSON mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(r.RefreshToken, "rt_") || !strings.HasPrefix(r.AccessToken, "eyJ") {
		t.Errorf("tokens: got %q and %q, want rt_... and a JWT", r.RefreshToken, r.AccessToken)
	}
	c, err := e.s.VerifyAccessToken(t.Context(), r.AccessToken)
	if err != nil {
		t.Fatalf("VerifyAccessToken: got error %v, want nil", err)
	}
	now := e.clock.Now()
	wantClaims := identity.Claims{
		Issuer: issuer, Audience: []string{"atomix"}, Subject: u.ID, TenantID: tenantA, Role: identity.RoleTenantAdmin,
		Scope: identity.Scope{Kind: identity.ScopeTenant, ID: tenantA}, SessionID: c.SessionID, ID: c.ID,
		IssuedAt: now, NotBefore: now, Expiry: now.Add(time.Hour),
	}
	if diff := cmp.Diff(wantClaims, c); diff != "" || c.SessionID == "" || c.ID == "" {
		t.Errorf("claims mismatch (-want +got):\n%s", diff)
	}
	stored, _ := e.store.GetUser(t.Context(), tenantA, u.ID)
	if stored.LastLoginAt == nil || !stored.LastLoginAt.Equal(now) {
		t.Errorf("LastLoginAt: got %v, want %v", stored.LastLoginAt, now)
	}
}

// TestLoginFailuresLookAlike: a wrong password, an unknown email, a user
// without a password, a disabled user and a user of another tenant all get
// the same error, and each costs exactly one argon2id computation (a dummy
// one where no hash exists), so neither the answer nor the work tells them
// apart.
func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	e.user(t, tenantA, "known@example.com")
	disabled := e.user(t, tenantA, "disabled@example.com")
	if _, err := e.s.DisableUser(t.Context(), tenantA, disabled.ID); err != nil {
		t.Fatalf("DisableUser: %v", err)
	}
	if _, err := e.s.CreateUser(t.Context(), identity.CreateUserInput{TenantID: tenantA, Name: "N", Email: "nopass@example.com", Role: identity.RoleTenantMember}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	e.user(t, "", "staff@example.com")

	_, ref := e.s.Login(t.Context(), identity.LoginInput{Email: "known@example.com", Password: "wrong password", TenantID: tenantA})
	wantCode(t, "Login with a wrong password", ref, core.Unauthenticated)
	tests := []struct {
		name string
		in   identity.LoginInput
	}{
		{"unknown email", identity.LoginInput{Email: "nobody@example.com", Password: pass, TenantID: tenantA}},
		{"disabled user, right password", identity.LoginInput{Email: "disabled@example.com", Password: pass, TenantID: tenantA}},
		{"disabled user, wrong password", identity.LoginInput{Email: "disabled@example.com", Password: "wrong password", TenantID: tenantA}},
		{"user without a password", identity.LoginInput{Email: "nopass@example.com", Password: pass, TenantID: tenantA}},
		{"user of another tenant", identity.LoginInput{Email: "known@example.com", Password: pass, TenantID: tenantB}},
		{"tenant user without the tenant", identity.LoginInput{Email: "known@example.com", Password: pass}},
		{"platform user within a tenant", identity.LoginInput{Email: "staff@example.com", Password: pass, TenantID: tenantA}},
	}
	for _, tt := range tests {
		before := e.s.HashStats().Hashes
		_, err := e.s.Login(t.Context(), tt.in)
		wantRefusal(t, tt.name, err, ref)
		if got := e.s.HashStats().Hashes - before; got != 1 {
			t.Errorf("%s: argon2id computations: got %d, want 1", tt.name, got)
		}
	}
	// Input that cannot be a login is refused without work, and alike.
	for _, in := range []identity.LoginInput{
		{Email: "known@example.com", Password: strings.Repeat("x", identity.MaxPasswordBytes+1), TenantID: tenantA},
		{Email: "", Password: pass, TenantID: tenantA},
		{Email: "known@example.com", Password: "", TenantID: tenantA},
		{Email: "known@example.com", Password: pass, TenantID: "not a tenant"},
	} {
		before := e.s.HashStats().Hashes
		_, err := e.s.Login(t.Context(), in)
		wantRefusal(t, "malformed login", err, ref)
		if got := e.s.HashStats().Hashes - before; got != 0 {
			t.Errorf("malformed login: argon2id computations: got %d, want 0", got)
		}
	}
	// The platform user logs in without a tenant.
	if _, err := e.s.Login(t.Context(), identity.LoginInput{Email: "STAFF@example.com", Password: pass}); err != nil {
		t.Errorf("Login of a platform user: got error %v, want nil", err)
	}
}

func TestAttemptPolicyDelay(t *testing.T) {
	def := identity.AttemptPolicy{}
	tests := []struct {
		p    identity.AttemptPolicy
		n    int
		want time.Duration
	}{
		{def, 0, 0}, {def, 4, 0}, {def, 5, time.Second}, {def, 6, 2 * time.Second}, {def, 7, 4 * time.Second},
		{def, 14, 512 * time.Second}, {def, 15, 15 * time.Minute}, {def, 1000, 15 * time.Minute},
		{identity.AttemptPolicy{Free: 2, MaxDelay: 3 * time.Second}, 1, 0},
		{identity.AttemptPolicy{Free: 2, MaxDelay: 3 * time.Second}, 2, time.Second},
		{identity.AttemptPolicy{Free: 2, MaxDelay: 3 * time.Second}, 4, 3 * time.Second},
	}
	for _, tt := range tests {
		if got := tt.p.Delay(tt.n); got != tt.want {
			t.Errorf("%+v.Delay(%d): got %s, want %s", tt.p, tt.n, got, tt.want)
		}
	}
}

// TestProgressiveDelay walks the delay after failed logins: five free
// failures, then attempts refused until the delay ends (without any work,
// and the right password too), each further failure doubling the delay,
// and a success resetting it. An unknown email is treated the same, so the
// delay tells nothing about which emails exist.
func TestProgressiveDelay(t *testing.T) {
	for _, known := range []bool{true, false} {
		name := map[bool]string{true: "known email", false: "unknown email"}[known]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			u := e.user(t, tenantA, "known@example.com")
			email := u.Email
			if !known {
				email = "unknown@example.com"
			}
			wrong := identity.LoginInput{Email: email, Password: "wrong password", TenantID: tenantA}
			right := identity.LoginInput{Email: email, Password: pass, TenantID: tenantA}
			for i := range 5 {
				_, err := e.s.Login(t.Context(), wrong)
				wantCode(t, "failure "+string(rune('1'+i)), err, core.Unauthenticated)
			}
			for _, in := range []identity.LoginInput{wrong, right, {Email: strings.ToUpper(email), Password: pass, TenantID: tenantA}} {
				before := e.s.HashStats().Hashes
				_, err := e.s.Login(t.Context(), in)
				wantCode(t, "attempt during the delay", err, core.RateLimited)
				if d, ok := identity.RetryAfter(err); !ok || d != time.Second {
					t.Errorf("RetryAfter: got %s, %t, want 1s, true", d, ok)
				}
				if got := e.s.HashStats().Hashes - before; got != 0 {
					t.Errorf("argon2id computations during the delay: got %d, want 0", got)
				}
			}
			// Other login names are not delayed.
			if _, err := e.s.Login(t.Context(), identity.LoginInput{Email: email, Password: "wrong password", TenantID: tenantB}); core.ErrorCode(err) != core.Unauthenticated {
				t.Errorf("the same email in another tenant: got %v, want unauthenticated", err)
			}
			e.clock.Advance(time.Second)
			_, err := e.s.Login(t.Context(), wrong) // the 6th failure: 2 s
			wantCode(t, "failure after the delay", err, core.Unauthenticated)
			e.clock.Advance(1500 * time.Millisecond)
			_, err = e.s.Login(t.Context(), right)
			wantCode(t, "attempt within the doubled delay", err, core.RateLimited)
			if d, _ := identity.RetryAfter(err); d != time.Second {
				t.Errorf("RetryAfter with 0.5 s left: got %s, want 1s (rounded up)", d)
			}
			e.clock.Advance(500 * time.Millisecond)
			_, err = e.s.Login(t.Context(), right)
			if known {
				if err != nil {
					t.Fatalf("right password after the delay: got error %v, want nil", err)
				}
				// The success reset the counter: five more free failures.
				for range 5 {
					_, err := e.s.Login(t.Context(), wrong)
					wantCode(t, "failure after a success", err, core.Unauthenticated)
				}
			} else {
				wantCode(t, "unknown email after the delay", err, core.Unauthenticated)
			}
			_, err = e.s.Login(t.Context(), wrong)
			wantCode(t, "attempt past the free ones", err, core.RateLimited)
			if !strings.Contains(e.logs.String(), "failed attempts delay") {
				t.Errorf("logs: got %q, want the delay logged", e.logs.String())
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	if _, ok := identity.RetryAfter(core.Errorf(core.RateLimited, "x")); ok {
		t.Error("RetryAfter of a rate-limited error without a delay: got ok, want not ok")
	}
	if _, ok := identity.RetryAfter(core.Errorf(core.Unauthenticated, "x")); ok {
		t.Error("RetryAfter of an unauthenticated error: got ok, want not ok")
	}
	if _, ok := identity.RetryAfter(nil); ok {
		t.Error("RetryAfter(nil): got ok, want not ok")
	}
}

// TestLoginRehashes: a login re-hashes a password whose hash was made with
// other parameters than the configured ones.
func TestLoginRehashes(t *testing.T) {
	old := newEnv(t)
	u := old.user(t, tenantA, "a@example.com")
	next := newEnvOn(t, old.store, old.clock, func(c *identity.Config) {
		c.Password.Params = identity.Argon2Params{Memory: 128, Iterations: 2, Parallelism: 2}
	})
	before := next.s.HashStats().Hashes
	next.login(t, u)
	if got := next.s.HashStats().Hashes - before; got != 2 {
		t.Errorf("argon2id computations of a login with stale parameters: got %d, want 2 (check, re-hash)", got)
	}
	stored, _ := next.store.GetUser(t.Context(), tenantA, u.ID)
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=128,t=2,p=2$") {
		t.Errorf("stored hash after the login: got %q, want the new parameters", stored.PasswordHash)
	}
	before = next.s.HashStats().Hashes
	next.login(t, u)
	if got := next.s.HashStats().Hashes - before; got != 1 {
		t.Errorf("argon2id computations of a login with current parameters: got %d, want 1", got)
	}
}

// TestStoredHashBounds: a stored hash that asks for more than the bounds,
// or does not parse, is refused before any work.
func TestStoredHashBounds(t *testing.T) {
	tests := []struct{ name, hash string }{
		{"1 GiB of memory", "$argon2id$v=19$m=1048576,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"},
		{"1000 iterations", "$argon2id$v=19$m=64,t=1000,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"},
		{"255 lanes", "$argon2id$v=19$m=4096,t=1,p=255$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"},
		{"no lanes", "$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"},
		{"empty key", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$"},
		{"not a hash", "plaintext"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.user(t, tenantA, "a@example.com")
			if _, err := e.store.UpdateUser(t.Context(), tenantA, u.ID, func(x identity.User) (identity.User, error) {
				x.PasswordHash = tt.hash
				return x, nil
			}); err != nil {
				t.Fatalf("store UpdateUser: %v", err)
			}
			before := e.s.HashStats().Hashes
			_, err := e.s.Login(t.Context(), identity.LoginInput{Email: u.Email, Password: pass, TenantID: tenantA})
			wantCode(t, "Login against "+tt.name, err, core.Internal)
			if got := e.s.HashStats().Hashes - before; got != 0 {
				t.Errorf("argon2id computations: got %d, want 0", got)
			}
		})
	}
}

func TestNewServiceConfig(t *testing.T) {
	good := func() identity.Config {
		return identity.Config{Issuer: issuer, Secrets: identity.Secrets{Current: secret("s1", 1)}}
	}
	tests := []struct {
		name string
		edit func(*identity.Config)
		ok   bool
	}{
		{"defaults", func(*identity.Config) {}, true},
		{"no issuer", func(c *identity.Config) { c.Issuer = " " }, false},
		{"no secret", func(c *identity.Config) { c.Secrets = identity.Secrets{} }, false},
		{"short secret", func(c *identity.Config) { c.Secrets.Current.Value = make([]byte, 31) }, false},
		{"bad secret ID", func(c *identity.Config) { c.Secrets.Current.ID = "a b" }, false},
		{"duplicate secret ID", func(c *identity.Config) { c.Secrets.Previous = []identity.Secret{secret("s1", 2)} }, false},
		{"previous secret", func(c *identity.Config) { c.Secrets.Previous = []identity.Secret{secret("s0", 2)} }, true},
		{"bad algorithm", func(c *identity.Config) { c.Algorithm = "HS256" }, false},
		{"EdDSA", func(c *identity.Config) { c.Algorithm = identity.EdDSA }, true},
		{"retention shorter than a token", func(c *identity.Config) { c.KeyRetention = 30 * time.Minute }, false},
		{"lanes without memory", func(c *identity.Config) { c.Password.Params = identity.Argon2Params{Memory: 8, Parallelism: 4} }, false},
		{"parameters past the bounds", func(c *identity.Config) { c.Password.Params.Memory = identity.MaxArgon2Memory + 1 }, false},
		{"raised bounds", func(c *identity.Config) {
			c.Password.Params.Memory = identity.MaxArgon2Memory + 1
			c.Password.Max.Memory = identity.MaxArgon2Memory * 2
		}, true},
	}
	for _, tt := range tests {
		cfg := good()
		tt.edit(&cfg)
		s, err := identity.NewService(nil, cfg)
		if (err == nil) != tt.ok {
			t.Errorf("NewService (%s): got error %v, want ok %t", tt.name, err, tt.ok)
		}
		if err == nil {
			c := s.Config()
			if c.AccessTokenTTL != time.Hour || c.Audience != "atomix" || c.RefreshReuseGrace != identity.DefaultRefreshReuseGrace {
				t.Errorf("NewService (%s): defaults not filled: %+v", tt.name, c)
			}
		}
	}
}

// TestHashPoolWaitsWithinDeadline: when the pool is full, a login waits
// for its turn within its context and is refused with core.RateLimited
// when the deadline passes first.
func TestHashPoolWaitsWithinDeadline(t *testing.T) {
	e := newEnv(t, func(c *identity.Config) {
		// One slow hash (hundreds of milliseconds) fills the pool.
		c.Password.Params = identity.Argon2Params{Memory: 64 << 10, Iterations: 10, Parallelism: 1}
		c.Password.MaxConcurrent = 1
	})
	if got := e.s.HashStats().Capacity; got != 64<<10 {
		t.Fatalf("pool capacity: got %d KiB, want %d", got, 64<<10)
	}
	u := e.user(t, tenantA, "a@example.com")
	done := make(chan error, 1)
	go func() {
		_, err := e.s.Login(context.Background(), identity.LoginInput{Email: u.Email, Password: pass, TenantID: tenantA})
		done <- err
	}()
	for e.s.HashStats().Running == 0 {
		runtime.Gosched()
	}
	// 50 ms is ample for the store lookups before the pool, and far less
	// than the slow hash holding it, so the deadline passes in the pool.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := e.s.Login(ctx, identity.LoginInput{Email: u.Email, Password: pass, TenantID: tenantA})
	wantCode(t, "Login while the pool is full", err, core.RateLimited)
	if _, ok := identity.RetryAfter(err); !ok {
		t.Errorf("RetryAfter of a busy pool: got not ok, want ok")
	}
	if err := <-done; err != nil {
		t.Errorf("the login holding the pool: got error %v, want nil", err)
	}
	// With room again, the same login goes through.
	e.login(t, u)
}

// TestHashWaitsForCPUGate: a hash takes a slot in the configured CPU
// gate; while other heavy work holds every slot, a login waits within its
// deadline and is refused with core.RateLimited, giving its turn in the
// pool back; once a slot frees, the same login goes through in it.
func TestHashWaitsForCPUGate(t *testing.T) {
	gate := cpugate.New(1)
	e := newEnv(t, func(c *identity.Config) {
		c.Password.Gate = gate
		c.Password.MaxConcurrent = 1
	})
	u := e.user(t, tenantA, "a@example.com")
	runsBefore := gate.Stats().Runs
	if runsBefore == 0 {
		t.Fatalf("hashing the user's password took no slot in the gate: Runs = 0, want at least 1")
	}
	if err := gate.Acquire(t.Context()); err != nil { // another heavy job
		t.Fatalf("Acquire: got error %v, want nil", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := e.s.Login(ctx, identity.LoginInput{Email: u.Email, Password: pass, TenantID: tenantA})
	wantCode(t, "Login while the gate is full", err, core.RateLimited)
	if got := e.s.HashStats(); got.Running != 0 || got.Waiting != 0 {
		t.Errorf("after the refusal: %d hashes running and %d waiting, want 0 and 0", got.Running, got.Waiting)
	}
	gate.Release()
	e.login(t, u) // the pool's turn was given back: MaxConcurrent is 1
	if got := gate.Stats().Runs - runsBefore; got != 2 {
		t.Errorf("slots taken since the user was made: got %d, want 2 (the test's job and the login's hash)", got)
	}
}

// TestConcurrentLoginsMemory: 200 simultaneous logins at the default
// argon2id memory (19 MiB each, 3.7 GiB if all ran at once) keep the heap
// under 256 MiB, because the pool lets only as many hashes run as its
// budget holds. The heap is sampled while they run.
func TestConcurrentLoginsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 200 argon2id hashes of 19 MiB")
	}
	const logins = 200
	const limit = 256 << 20
	e := newEnv(t, func(c *identity.Config) {
		// The default memory; one iteration halves the time and not the
		// memory, which is what this test is about.
		c.Password.Params = identity.Argon2Params{Iterations: 1}
		c.Password.MaxWait = 5 * time.Minute // the race detector slows hashing down
	})
	u := e.user(t, tenantA, "a@example.com")
	runtime.GC()

	var peak atomic.Uint64
	var peakRunning atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			if r := e.s.HashStats().Running; r > peakRunning.Load() {
				peakRunning.Store(r)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := make(chan struct{})
	for range logins {
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			if _, err := e.s.Login(ctx, identity.LoginInput{Email: u.Email, Password: pass, TenantID: tenantA}); err != nil {
				failed.Add(1)
				t.Errorf("Login: got error %v, want nil", err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(stop)
	<-sampled
	st := e.s.HashStats()
	t.Logf("peak heap in use %d MiB, peak running hashes %d, pool %d KiB", peak.Load()>>20, peakRunning.Load(), st.Capacity)
	if failed.Load() != 0 {
		t.Fatalf("%d logins failed", failed.Load())
	}
	if peak.Load() >= limit {
		t.Errorf("peak heap in use: got %d MiB, want under %d MiB", peak.Load()>>20, limit>>20)
	}
	if max := st.Capacity / identity.DefaultArgon2Memory; peakRunning.Load() > max {
		t.Errorf("peak running hashes: got %d, want at most %d", peakRunning.Load(), max)
	}
}
