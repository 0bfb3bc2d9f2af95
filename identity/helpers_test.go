package identity_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store/memory"
)

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, time.March, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logs collects what a service logs.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// cheap are argon2id parameters that make tests fast; the tests about the
// real defaults say so.
var cheap = identity.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1}

const (
	issuer  = "https://atomix.test"
	tenantA = "tn_alpha"
	tenantB = "tn_bravo"
	pass    = "correct horse battery"
)

func secret(id string, fill byte) identity.Secret {
	return identity.Secret{ID: id, Value: bytes.Repeat([]byte{fill}, 32)}
}

// env is a service over a memory store with a settable clock.
type env struct {
	s     *identity.Service
	store *memory.Store
	clock *clock
	logs  *logs
	cfg   identity.Config
}

// newEnv returns a service with cheap hashing; edit changes the config
// first.
func newEnv(t testing.TB, edit ...func(*identity.Config)) *env {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, st, newClock(), edit...)
}

// newEnvOn returns a service over st, for several services sharing a store.
func newEnvOn(t testing.TB, st *memory.Store, c *clock, edit ...func(*identity.Config)) *env {
	t.Helper()
	l := &logs{}
	cfg := identity.Config{
		Issuer:   issuer,
		Secrets:  identity.Secrets{Current: secret("s1", 7)},
		Password: identity.PasswordConfig{Params: cheap},
		Clock:    c.Now,
		Logger:   slog.New(slog.NewTextHandler(l, nil)),
	}
	for _, e := range edit {
		if e != nil {
			e(&cfg)
		}
	}
	s, err := identity.NewService(st, cfg)
	if err != nil {
		t.Fatalf("NewService: got error %v, want nil", err)
	}
	return &env{s: s, store: st, clock: c, logs: l, cfg: cfg}
}

// user creates an active tenant admin of tenantID with the email and the
// package's test password.
func (e *env) user(t testing.TB, tenantID, email string) identity.User {
	t.Helper()
	in := identity.CreateUserInput{TenantID: tenantID, Name: "Ayşe Demir", Email: email, Role: identity.RoleTenantAdmin, Password: pass}
	if tenantID == "" {
		in.Scope = identity.Scope{Kind: identity.ScopePlatform}
		in.Role = identity.RoleSuperAdmin
	}
	u, err := e.s.CreateUser(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateUser(%q, %s): got error %v, want nil", tenantID, email, err)
	}
	return u
}

// login logs u in with the test password, failing the test on an error.
func (e *env) login(t testing.TB, u identity.User) identity.TokenResponse {
	t.Helper()
	r, err := e.s.Login(context.Background(), identity.LoginInput{Email: u.Email, Password: pass, TenantID: u.TenantID})
	if err != nil {
		t.Fatalf("Login(%s): got error %v, want nil", u.Email, err)
	}
	return r
}

func (e *env) refresh(token string) (identity.TokenResponse, error) {
	return e.s.Refresh(context.Background(), identity.RefreshInput{RefreshToken: token})
}

// wantCode checks that err carries code.
func wantCode(t testing.TB, what string, err error, code core.Code) {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Errorf("%s: got error %v (code %q), want code %q", what, err, got, code)
	}
}

// wantRefusal checks that err is exactly the refusal ref is: same code, same
// message, and a reason kept for the logs.
func wantRefusal(t testing.TB, what string, err, ref error) {
	t.Helper()
	var got, want *core.Error
	if !errors.As(err, &got) || !errors.As(ref, &want) {
		t.Errorf("%s: got error %v, want %v", what, err, ref)
		return
	}
	if got.Code != want.Code || got.Message != want.Message || len(got.Fields) != 0 {
		t.Errorf("%s: got %q %q, want %q %q", what, got.Code, got.Message, want.Code, want.Message)
	}
}

// fieldsOf returns the field names of an Invalid error.
func fieldsOf(err error) []string {
	var e *core.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func hasField(err error, field string) bool {
	for _, f := range fieldsOf(err) {
		if f == field || strings.HasPrefix(f, field+".") {
			return true
		}
	}
	return false
}
