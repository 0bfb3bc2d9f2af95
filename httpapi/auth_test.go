package httpapi_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
)

// The identity endpoints over the handler, every response validated
// against the document.

const (
	testIssuer   = "https://atomix.test"
	testPassword = "correct horse battery"
	rootEmail    = "root@atomix.test"
)

// testIdentity is the identity configuration of the tests: cheap argon2id
// (the benchmarks measure the real parameters), and the clock given (nil:
// the platform's).
func testIdentity(now func() time.Time) identity.Config {
	return identity.Config{
		Issuer:   testIssuer,
		Secrets:  identity.Secrets{Current: identity.Secret{ID: "k1", Value: bytes.Repeat([]byte{7}, identity.MinSecretLen)}},
		Password: identity.PasswordConfig{Params: identity.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1}},
		Clock:    now,
	}
}

// fakeClock is a clock that moves only when told; it starts at the real
// time, so that third-party libraries checking exp against the wall clock
// agree with it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// authEnv is an env whose platform has identity on a fake clock, and a
// super admin.
type authEnv struct {
	*env
	clock *fakeClock
	store store.Store
	root  identity.User
}

// newAuthEnv returns an authEnv signing with alg ("" for RS256), over st
// (nil: a new memory store).
func newAuthEnv(t testing.TB, alg identity.Algorithm, st store.Store) *authEnv {
	t.Helper()
	if st == nil {
		st = memory.New()
	}
	clk := newFakeClock()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := testIdentity(clk.now)
	cfg.Algorithm = alg
	cfg.Logger = logger
	p, err := atomix.New(st, atomix.WithClock(clk.now), atomix.WithIdentity(cfg))
	if err != nil {
		t.Fatalf("atomix.New: %v", err)
	}
	seedPlans(t, p)
	root, created, err := p.EnsureSuperAdmin(context.Background(), atomix.SuperAdminInput{Name: "Root", Email: rootEmail, Password: testPassword})
	if err != nil || !created {
		t.Fatalf("EnsureSuperAdmin: got created %v, error %v", created, err)
	}
	e := &env{p: p, logs: logs}
	e.h = httpapi.New(p, httpapi.WithAPIKey(testKey), httpapi.WithLogger(logger))
	e.loadDoc(t)
	return &authEnv{env: e, clock: clk, store: st, root: root}
}

// tokenBody is the wire form of a token response.
type tokenBody struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    int    `json:"expiresIn"`
	User         struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Role        string   `json:"role"`
		TenantID    string   `json:"tenantId"`
		Permissions []string `json:"permissions"`
	} `json:"user"`
}

func jsonBody(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// login posts to /auth/login and returns the response.
func (e *authEnv) login(t testing.TB, email, password, tenantID string) *resp {
	t.Helper()
	in := map[string]string{"email": email, "password": password}
	if tenantID != "" {
		in["tenantId"] = tenantID
	}
	return e.do(t, req{method: http.MethodPost, path: "/auth/login", body: jsonBody(in), auth: "-"})
}

// tokens decodes a 200 token response, failing the test on another status.
func (res *resp) tokens(t testing.TB) tokenBody {
	t.Helper()
	res.wantStatus(t, http.StatusOK)
	var tb tokenBody
	if err := json.Unmarshal(res.body, &tb); err != nil {
		t.Fatalf("decoding the tokens %s: %v", res.body, err)
	}
	return tb
}

func (e *authEnv) refresh(t testing.TB, token string) *resp {
	t.Helper()
	return e.do(t, req{method: http.MethodPost, path: "/auth/refresh", body: jsonBody(map[string]string{"refreshToken": token}), auth: "-"})
}

func bearer(token string) string { return "Bearer " + token }

// wantRefused checks a 401 that tells nothing: code unauthenticated and the
// detail given.
func (res *resp) wantRefused(t testing.TB, what, detail string) {
	t.Helper()
	if res.status != http.StatusUnauthorized {
		t.Errorf("%s: got status %d (%s), want 401", what, res.status, res.body)
		return
	}
	p := res.problem(t)
	if p.Code != "unauthenticated" || p.Detail != detail || len(p.Errors) != 0 {
		t.Errorf("%s: got %q %q, want unauthenticated %q", what, p.Code, p.Detail, detail)
	}
	if res.header.Get("WWW-Authenticate") == "" {
		t.Errorf("%s: got no WWW-Authenticate header", what)
	}
}

// TestSuperAdminLogin shows the super admin logging in and receiving seed
// 000's token response, exactly its members, and using the access token.
func TestSuperAdminLogin(t *testing.T) {
	e := newAuthEnv(t, "", nil)
	res := e.login(t, "ROOT@atomix.test", testPassword, "")
	res.wantStatus(t, http.StatusOK)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(res.body, &raw); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range raw {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"accessToken", "expiresIn", "refreshToken", "user"}; !slices.Equal(keys, want) {
		t.Errorf("members: got %v, want %v", keys, want)
	}
	var user map[string]any
	if err := json.Unmarshal(raw["user"], &user); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": e.root.ID, "name": "Root", "role": "super_admin", "tenantId": "", "permissions": []any{}}
	if fmt.Sprint(user) != fmt.Sprint(want) {
		t.Errorf("user: got %v, want %v", user, want)
	}
	tb := res.tokens(t)
	if tb.ExpiresIn != 3600 || !strings.HasPrefix(tb.RefreshToken, "rt_") || strings.Count(tb.AccessToken, ".") != 2 {
		t.Errorf("got expiresIn %d, refresh token %q, access token %q, want 3600, rt_..., a JWT", tb.ExpiresIn, tb.RefreshToken, tb.AccessToken)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", cc)
	}
	e.do(t, req{method: http.MethodGet, path: "/tenants", auth: bearer(tb.AccessToken)}).wantStatus(t, http.StatusOK)
}

// jwkKey converts one JSON Web Key to a Go public key by hand, as a
// verifier outside atomix would.
func jwkKey(t testing.TB, k map[string]string) crypto.PublicKey {
	t.Helper()
	num := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("a JWK member %q: %v", s, err)
		}
		return b
	}
	switch k["kty"] {
	case "RSA":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(num(k["n"])), E: int(new(big.Int).SetBytes(num(k["e"])).Int64())}
	case "EC":
		if k["crv"] != "P-256" {
			t.Fatalf("curve %q, want P-256", k["crv"])
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), slices.Concat([]byte{4}, num(k["x"]), num(k["y"])))
		if err != nil {
			t.Fatalf("an EC key: %v", err)
		}
		return pub
	case "OKP":
		if k["crv"] != "Ed25519" {
			t.Fatalf("curve %q, want Ed25519", k["crv"])
		}
		return ed25519.PublicKey(num(k["x"]))
	}
	t.Fatalf("key type %q", k["kty"])
	return nil
}

// jwks fetches the key set and returns its keys by kid.
func (e *authEnv) jwks(t testing.TB) map[string]map[string]string {
	t.Helper()
	res := e.do(t, req{method: http.MethodGet, path: "/.well-known/jwks.json", auth: "-"})
	res.wantStatus(t, http.StatusOK)
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(res.body, &set); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]map[string]string)
	for _, k := range set.Keys {
		out[k["kid"]] = k
	}
	return out
}

// TestAccessTokenVerifiesWithJWKS verifies access tokens of every algorithm
// with github.com/golang-jwt/jwt/v5, a JWT library other than the one
// atomix signs with, against the keys served at /.well-known/jwks.json.
func TestAccessTokenVerifiesWithJWKS(t *testing.T) {
	for _, alg := range []identity.Algorithm{identity.RS256, identity.ES256, identity.EdDSA} {
		t.Run(string(alg), func(t *testing.T) {
			e := newAuthEnv(t, alg, nil)
			tb := e.login(t, rootEmail, testPassword, "").tokens(t)
			keys := e.jwks(t)
			claims := jwt.MapClaims{}
			tok, err := jwt.ParseWithClaims(tb.AccessToken, claims, func(tok *jwt.Token) (any, error) {
				kid, _ := tok.Header["kid"].(string)
				k, ok := keys[kid]
				if !ok {
					return nil, fmt.Errorf("kid %q is not in the key set", kid)
				}
				if k["alg"] != tok.Method.Alg() || k["use"] != "sig" {
					return nil, fmt.Errorf("key %s: alg %q use %q, token alg %q", kid, k["alg"], k["use"], tok.Method.Alg())
				}
				return jwkKey(t, k), nil
			}, jwt.WithValidMethods([]string{string(alg)}), jwt.WithIssuer(testIssuer), jwt.WithAudience("atomix"),
				jwt.WithSubject(e.root.ID), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
			if err != nil || !tok.Valid {
				t.Fatalf("golang-jwt: got %v (valid %v), want a valid token", err, tok != nil && tok.Valid)
			}
			if claims["role"] != "super_admin" || claims["scope_kind"] != "platform" || claims["sid"] == "" || claims["jti"] == "" {
				t.Errorf("claims: got %v, want role super_admin, scope_kind platform, sid and jti", claims)
			}
			// A token signed by another key fails the same check.
			other := newAuthEnv(t, alg, nil).login(t, rootEmail, testPassword, "").tokens(t)
			if _, err := jwt.Parse(other.AccessToken, func(tok *jwt.Token) (any, error) {
				kid, _ := tok.Header["kid"].(string)
				k, ok := keys[kid]
				if !ok {
					return nil, fmt.Errorf("kid %q is not in the key set", kid)
				}
				return jwkKey(t, k), nil
			}, jwt.WithValidMethods([]string{string(alg)})); err == nil {
				t.Errorf("another platform's token: got no error, want a refusal")
			}
		})
	}
}

// TestRefreshTokenReuseRevokesFamily shows a refresh token used twice past
// the reuse grace ending its session: the pair its first use gave fails
// too; and, within the grace, a second use is refused without harm.
func TestRefreshTokenReuseRevokesFamily(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	first := e.login(t, rootEmail, testPassword, "").tokens(t)
	second := e.refresh(t, first.RefreshToken).tokens(t)
	if second.RefreshToken == first.RefreshToken || second.User.ID != e.root.ID {
		t.Fatalf("refresh: got %+v, want a new refresh token for the super admin", second)
	}

	// Within the grace (two tabs refreshing together): refused, and the
	// session lives on.
	e.clock.advance(time.Second)
	e.refresh(t, first.RefreshToken).wantRefused(t, "reuse within the grace", "the refresh token is not valid")
	third := e.refresh(t, second.RefreshToken).tokens(t)

	// Past the grace: a stolen token. The whole family is revoked.
	e.clock.advance(identity.DefaultRefreshReuseGrace + time.Second)
	e.refresh(t, second.RefreshToken).wantRefused(t, "reuse past the grace", "the refresh token is not valid")
	e.refresh(t, third.RefreshToken).wantRefused(t, "the newest token of a revoked family", "the refresh token is not valid")
	if !strings.Contains(e.logs.String(), "a spent refresh token was presented again") {
		t.Errorf("the reuse was not logged:\n%s", e.logs.String())
	}
	// Another session of the same user is not touched.
	other := e.login(t, rootEmail, testPassword, "").tokens(t)
	e.refresh(t, other.RefreshToken).wantStatus(t, http.StatusOK)
}

// createdBody is the answer to POST /tenants, with the admin.
type createdBody struct {
	ID        string `json:"id"`
	UserCount int    `json:"userCount"`
	AdminUser *struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"adminUser"`
	SetPasswordToken     string `json:"setPasswordToken"`
	SetPasswordExpiresAt string `json:"setPasswordExpiresAt"`
}

func (e *authEnv) createTenant(t testing.TB, subdomain, password string) (createdBody, *resp) {
	t.Helper()
	in := map[string]any{
		"name": "Tenant " + subdomain, "subdomain": subdomain,
		"contact": map[string]string{"name": "Jane Roe", "email": "jane@" + subdomain + ".example.com"},
	}
	if password != "" {
		in["password"] = password
	}
	res := e.do(t, req{method: http.MethodPost, path: "/tenants", body: jsonBody(in)})
	res.wantStatus(t, http.StatusCreated)
	var out createdBody
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatal(err)
	}
	return out, res
}

// TestTenantAdminLogsIn shows a tenant admin made by POST /tenants logging
// in: with the password given there, and, without one, after setting it
// with the one-time token of the answer.
func TestTenantAdminLogsIn(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)

	withPw, res := e.createTenant(t, "with-pw", testPassword)
	if withPw.AdminUser == nil || !core.ValidID(core.PrefixUser, withPw.AdminUser.ID) || withPw.AdminUser.Email != "jane@with-pw.example.com" {
		t.Fatalf("adminUser: got %+v, want the contact's user", withPw.AdminUser)
	}
	if withPw.SetPasswordToken != "" || withPw.UserCount != 1 || res.header.Get("Cache-Control") != "" {
		t.Errorf("with a password: got token %q, userCount %d, Cache-Control %q, want none, 1, none",
			withPw.SetPasswordToken, withPw.UserCount, res.header.Get("Cache-Control"))
	}
	tb := e.login(t, "jane@with-pw.example.com", testPassword, withPw.ID).tokens(t)
	if tb.User.ID != withPw.AdminUser.ID || tb.User.Role != "tenant_admin" || tb.User.TenantID != withPw.ID || tb.User.Name != "Jane Roe" {
		t.Errorf("login: got user %+v, want the tenant admin of %s", tb.User, withPw.ID)
	}
	// The email belongs to that tenant only.
	e.login(t, "jane@with-pw.example.com", testPassword, "").wantRefused(t, "login without the tenant", "the email or password is wrong")

	noPw, res := e.createTenant(t, "no-pw", "")
	if !strings.HasPrefix(noPw.SetPasswordToken, "pst_") || noPw.SetPasswordExpiresAt == "" || res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("without a password: got token %q expiring %q, Cache-Control %q, want a pst_ token, its expiry, no-store",
			noPw.SetPasswordToken, noPw.SetPasswordExpiresAt, res.header.Get("Cache-Control"))
	}
	if exp, err := time.Parse(time.RFC3339, noPw.SetPasswordExpiresAt); err != nil || !exp.Equal(e.clock.now().Add(identity.DefaultSetPasswordTokenTTL)) {
		t.Errorf("setPasswordExpiresAt: got %q (%v), want 72 hours from now", noPw.SetPasswordExpiresAt, err)
	}
	email := noPw.AdminUser.Email
	e.login(t, email, testPassword, noPw.ID).wantRefused(t, "login before a password is set", "the email or password is wrong")

	set := func(token, password string) *resp {
		return e.do(t, req{method: http.MethodPost, path: "/auth/password/set", auth: "-",
			body: jsonBody(map[string]string{"token": token, "password": password})})
	}
	res = set(noPw.SetPasswordToken, "short")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if f := res.problem(t).Errors; len(f) != 1 || f[0].Field != "password" {
		t.Errorf("a short password: got errors %v, want password", f)
	}
	set(noPw.SetPasswordToken, "my own long secret").wantStatus(t, http.StatusNoContent)
	tb = e.login(t, email, "my own long secret", noPw.ID).tokens(t)
	if tb.User.ID != noPw.AdminUser.ID || tb.User.TenantID != noPw.ID {
		t.Errorf("login: got user %+v, want the admin of %s", tb.User, noPw.ID)
	}
	set(noPw.SetPasswordToken, "another long secret").wantRefused(t, "the token again", "the set-password token is not valid")
	set("pst_nonsense", "another long secret").wantRefused(t, "a made-up token", "the set-password token is not valid")

	// The tenant counts its admin.
	res = e.do(t, req{method: http.MethodGet, path: "/tenants/" + noPw.ID})
	res.wantStatus(t, http.StatusOK)
	if n := res.tenant(t).UserCount; n != 1 {
		t.Errorf("userCount: got %d, want 1", n)
	}
}

// TestLoginRefusalsAreIdentical checks that a wrong password, an unknown
// email, a disabled user and a user without a password get the same
// answer.
func TestLoginRefusalsAreIdentical(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	tn, _ := e.createTenant(t, "acme", testPassword)
	disabled, _ := e.createTenant(t, "gone", testPassword)
	if _, err := e.p.Identity().DisableUser(context.Background(), disabled.ID, disabled.AdminUser.ID); err != nil {
		t.Fatal(err)
	}
	noPw, _ := e.createTenant(t, "nopw", "")
	tests := []struct {
		name, email, password, tenantID string
	}{
		{"wrong password", "jane@acme.example.com", "not the password", tn.ID},
		{"unknown email", "nobody@acme.example.com", testPassword, tn.ID},
		{"unknown tenant", "jane@acme.example.com", testPassword, "tn_unknown"},
		{"malformed tenant", "jane@acme.example.com", testPassword, "acme"},
		{"disabled user", "jane@gone.example.com", testPassword, disabled.ID},
		{"no password yet", "jane@nopw.example.com", testPassword, noPw.ID},
		{"empty password", "jane@acme.example.com", "", tn.ID},
	}
	for _, tt := range tests {
		res := e.login(t, tt.email, tt.password, tt.tenantID)
		res.wantRefused(t, tt.name, "the email or password is wrong")
		if len(res.body) == 0 {
			t.Errorf("%s: empty body", tt.name)
		}
	}
}

// craft returns a JWT with the header and claims given, signed by sign
// (nil: no signature).
func craft(header, claims map[string]any, sign func(input []byte) []byte) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestTokenAttacksOverHTTP sends tokens that must not pass: every one is
// 401 with the same answer, and each refusal is logged with its reason.
func TestTokenAttacksOverHTTP(t *testing.T) {
	st := memory.New()
	e := newAuthEnv(t, identity.RS256, st)
	good := e.login(t, rootEmail, testPassword, "").tokens(t)

	// Tokens signed with the platform's own key, by services over the
	// same store that are configured otherwise.
	signedBy := func(edit func(*identity.Config), clockShift time.Duration) string {
		t.Helper()
		cfg := testIdentity(func() time.Time { return e.clock.now().Add(clockShift) })
		if edit != nil {
			edit(&cfg)
		}
		p, err := atomix.New(st, atomix.WithIdentity(cfg))
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Identity().Login(context.Background(), identity.LoginInput{Email: rootEmail, Password: testPassword})
		if err != nil {
			t.Fatalf("Login: %v", err)
		}
		return r.AccessToken
	}
	wrongIss := signedBy(func(c *identity.Config) { c.Issuer = "https://evil.test" }, 0)
	wrongAud := signedBy(func(c *identity.Config) { c.Audience = "another-app" }, 0)
	future := signedBy(nil, 2*time.Hour)
	expired := signedBy(nil, -2*time.Hour)
	unknownKid := newAuthEnv(t, identity.RS256, nil).login(t, rootEmail, testPassword, "").tokens(t).AccessToken

	// Hand-made tokens: "alg: none", and HS256 keyed with the RSA public
	// key as the JWKS serves it.
	parts := strings.Split(good.AccessToken, ".")
	var header, claims map[string]any
	for i, v := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, v) != nil {
			t.Fatalf("decoding the token: %v", err)
		}
	}
	kid := header["kid"].(string)
	pub := jwkKey(t, e.jwks(t)[kid])
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hs256 := func(key []byte) func([]byte) []byte {
		return func(in []byte) []byte {
			m := hmac.New(sha256.New, key)
			m.Write(in)
			return m.Sum(nil)
		}
	}
	none := craft(map[string]any{"alg": "none", "typ": "JWT", "kid": kid}, claims, nil)
	noneUpper := craft(map[string]any{"alg": "NONE", "kid": kid}, claims, nil)
	hsPEM := craft(map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}, claims, hs256(pemKey))
	hsDER := craft(map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}, claims, hs256(der))
	// The good token's signature on claims that make the caller another
	// user.
	forged := maps.Clone(claims)
	forged["sub"] = "usr_someoneelse00000000"
	fb, err := json.Marshal(forged)
	if err != nil {
		t.Fatal(err)
	}
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(fb) + "." + parts[2]

	tests := []struct{ name, auth, reason string }{
		{"malformed", "Bearer abc.def.ghi", "malformed"},
		{"not a JWT nor the key", "Bearer not-a-token", "neither the API key nor a JWT"},
		{"expired", bearer(expired), "exp"},
		{"not yet valid", bearer(future), "nbf"},
		{"wrong issuer", bearer(wrongIss), "iss"},
		{"wrong audience", bearer(wrongAud), "aud"},
		{"unknown kid", bearer(unknownKid), "kid"},
		{"alg none", bearer(none), "malformed"},
		{"alg NONE", bearer(noneUpper), "malformed"},
		{"HS256 keyed with the PEM public key", bearer(hsPEM), "malformed"},
		{"HS256 keyed with the DER public key", bearer(hsDER), "malformed"},
		{"tampered claims", bearer(tampered), "signature"},
		{"two tokens", "Bearer " + good.AccessToken + " " + good.AccessToken, "neither the API key nor a JWT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.logs.String())
			e.do(t, req{method: http.MethodGet, path: "/tenants", auth: tt.auth}).wantRefused(t, tt.name, "the credentials are not valid")
			logged := e.logs.String()[before:]
			if !strings.Contains(logged, `"msg":"authentication refused"`) || !strings.Contains(strings.ToLower(logged), strings.ToLower(tt.reason)) {
				t.Errorf("got log %s, want the refusal logged with a reason mentioning %q", logged, tt.reason)
			}
		})
	}
	// The good token still passes.
	e.do(t, req{method: http.MethodGet, path: "/tenants", auth: bearer(good.AccessToken)}).wantStatus(t, http.StatusOK)
	// Past its lifetime, it does not.
	e.clock.advance(time.Hour + identity.DefaultClockSkew + time.Second)
	e.do(t, req{method: http.MethodGet, path: "/tenants", auth: bearer(good.AccessToken)}).wantRefused(t, "the good token, expired", "the credentials are not valid")
}

// TestAccessUntilRolesLand checks the interim rules: platform endpoints
// need the super admin (403 for others), the atom catalog any user, and a
// user's own endpoints that user (404 for others).
func TestAccessUntilRolesLand(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	a, _ := e.createTenant(t, "alpha", testPassword)
	b, _ := e.createTenant(t, "bravo", testPassword)
	alice := e.login(t, "jane@alpha.example.com", testPassword, a.ID).tokens(t)
	root := e.login(t, rootEmail, testPassword, "").tokens(t)

	tests := []struct {
		name, method, path, body, auth string
		want                           int
	}{
		{"a tenant admin lists tenants", "GET", "/tenants", "", bearer(alice.AccessToken), http.StatusOK},
		{"a tenant admin reads its tenant", "GET", "/tenants/" + a.ID, "", bearer(alice.AccessToken), http.StatusOK},
		{"a tenant admin reads another tenant", "GET", "/tenants/" + b.ID, "", bearer(alice.AccessToken), http.StatusNotFound},
		{"a tenant admin creates a tenant", "POST", "/tenants", createBody("X", "xray"), bearer(alice.AccessToken), http.StatusForbidden},
		{"a tenant admin lists atoms", "GET", "/atoms", "", bearer(alice.AccessToken), http.StatusOK},
		{"a tenant admin on another user", "POST", "/users/" + b.AdminUser.ID + "/totp", "", bearer(alice.AccessToken), http.StatusNotFound},
		{"a tenant admin on itself", "POST", "/users/" + a.AdminUser.ID + "/totp", "", bearer(alice.AccessToken), http.StatusOK},
		{"the super admin on another user", "POST", "/users/" + b.AdminUser.ID + "/totp", "", bearer(root.AccessToken), http.StatusOK},
		{"the super admin lists tenants", "GET", "/tenants", "", bearer(root.AccessToken), http.StatusOK},
		{"the API key logs out", "POST", "/auth/logout", "", "", http.StatusForbidden},
		{"the API key on an unknown user", "POST", "/users/usr_nobody000000000000/totp", "", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		res := e.do(t, req{method: tt.method, path: tt.path, body: tt.body, auth: tt.auth})
		if res.status != tt.want {
			t.Errorf("%s: got %d (%s), want %d", tt.name, res.status, res.body, tt.want)
		}
		if tt.want == http.StatusForbidden && res.problem(t).Code != "forbidden" {
			t.Errorf("%s: got code %q, want forbidden", tt.name, res.problem(t).Code)
		}
	}
}

// TestChangePasswordOverHTTP changes a password: a wrong old one is 422,
// the right one ends every session, and the new one logs in.
func TestChangePasswordOverHTTP(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	tn, _ := e.createTenant(t, "acme", testPassword)
	s1 := e.login(t, "jane@acme.example.com", testPassword, tn.ID).tokens(t)
	path := "/users/" + tn.AdminUser.ID + "/password"
	change := func(old, new string) *resp {
		return e.do(t, req{method: http.MethodPost, path: path, auth: bearer(s1.AccessToken),
			body: jsonBody(map[string]string{"oldPassword": old, "newPassword": new})})
	}
	res := change("not my password", "a new long password")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if f := res.problem(t).Errors; len(f) != 1 || f[0].Field != "oldPassword" {
		t.Errorf("wrong old password: got errors %v, want oldPassword", f)
	}
	res = change(testPassword, "short")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if f := res.problem(t).Errors; len(f) != 1 || f[0].Field != "newPassword" {
		t.Errorf("short new password: got errors %v, want newPassword", f)
	}
	change(testPassword, "a new long password").wantStatus(t, http.StatusNoContent)
	e.refresh(t, s1.RefreshToken).wantRefused(t, "a session from before the change", "the refresh token is not valid")
	e.login(t, "jane@acme.example.com", testPassword, tn.ID).wantRefused(t, "the old password", "the email or password is wrong")
	e.login(t, "jane@acme.example.com", "a new long password", tn.ID).wantStatus(t, http.StatusOK)
}

// TestTOTPOverHTTP enrols TOTP, confirms it, and logs in with a code, a
// replayed code and a recovery code.
func TestTOTPOverHTTP(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	tn, _ := e.createTenant(t, "acme", testPassword)
	email := "jane@acme.example.com"
	s := e.login(t, email, testPassword, tn.ID).tokens(t)
	auth := bearer(s.AccessToken)
	base := "/users/" + tn.AdminUser.ID + "/totp"

	res := e.do(t, req{method: http.MethodPost, path: base, auth: auth})
	res.wantStatus(t, http.StatusOK)
	var en struct {
		URL    string `json:"otpauthUrl"`
		Secret string `json:"secret"`
		QR     string `json:"qrCode"`
	}
	if err := json.Unmarshal(res.body, &en); err != nil {
		t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(en.QR)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("qrCode: got %d bytes (%v), want a base64 PNG", len(png), err)
	}
	if !strings.HasPrefix(en.URL, "otpauth://totp/") || !strings.Contains(en.URL, "secret="+en.Secret) {
		t.Errorf("otpauthUrl: got %q, want an otpauth URL holding the secret", en.URL)
	}
	codeAt := func(at time.Time) string {
		c, err := totp.GenerateCodeCustom(en.Secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	code := func() string { return codeAt(e.clock.now()) }
	verify := func(c string) *resp {
		return e.do(t, req{method: http.MethodPost, path: base + "/verify", auth: auth, body: jsonBody(map[string]string{"code": c})})
	}
	// A code of none of the steps accepted now (the current one and its
	// neighbours).
	wrong := "000000"
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		if codeAt(e.clock.now().Add(d)) == wrong {
			wrong = "123456"
		}
	}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		if codeAt(e.clock.now().Add(d)) == wrong {
			wrong = "654321"
		}
	}
	res = verify(wrong)
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if f := res.problem(t).Errors; len(f) != 1 || f[0].Field != "code" {
		t.Errorf("a wrong code: got errors %v, want code", f)
	}
	res = verify(code())
	res.wantStatus(t, http.StatusOK)
	var rc struct {
		Codes []string `json:"recoveryCodes"`
	}
	if err := json.Unmarshal(res.body, &rc); err != nil || len(rc.Codes) != identity.RecoveryCodeCount {
		t.Fatalf("recovery codes: got %s, want %d", res.body, identity.RecoveryCodeCount)
	}
	if res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", res.header.Get("Cache-Control"))
	}
	e.do(t, req{method: http.MethodPost, path: base, auth: auth}).wantStatus(t, http.StatusConflict)

	withCode := func(c string) *resp {
		return e.do(t, req{method: http.MethodPost, path: "/auth/login", auth: "-",
			body: jsonBody(map[string]string{"email": email, "password": testPassword, "tenantId": tn.ID, "totpCode": c})})
	}
	res = e.login(t, email, testPassword, tn.ID)
	if res.status != http.StatusUnauthorized || res.problem(t).Code != "totp_required" {
		t.Errorf("login without a code: got %d %s, want 401 totp_required", res.status, res.body)
	}
	// The confirming code's step is spent: the same code is a replay.
	if res = withCode(code()); res.status != http.StatusUnauthorized || res.problem(t).Code != "totp_invalid" {
		t.Errorf("a replayed code: got %d %s, want 401 totp_invalid", res.status, res.body)
	}
	e.clock.advance(30 * time.Second)
	withCode(code()).tokens(t)
	withCode(rc.Codes[0]).tokens(t)
	if res = withCode(rc.Codes[0]); res.status != http.StatusUnauthorized || res.problem(t).Code != "totp_invalid" {
		t.Errorf("a recovery code twice: got %d %s, want 401 totp_invalid", res.status, res.body)
	}
}

// TestFailedLoginsAnswer429WithRetryAfter fails logins until the delay
// starts: the next attempt is 429 with a Retry-After header, and the
// delay ends.
func TestFailedLoginsAnswer429WithRetryAfter(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	for i := range identity.DefaultFreeAttempts {
		e.login(t, rootEmail, "wrong password", "").wantRefused(t, fmt.Sprintf("failure %d", i+1), "the email or password is wrong")
	}
	res := e.login(t, rootEmail, testPassword, "")
	res.wantStatus(t, http.StatusTooManyRequests)
	if p := res.problem(t); p.Code != "rate_limited" {
		t.Errorf("got code %q, want rate_limited", p.Code)
	}
	ra, err := strconv.Atoi(res.header.Get("Retry-After"))
	if err != nil || ra != 1 {
		t.Errorf("Retry-After: got %q, want 1 (the first delay is a second)", res.header.Get("Retry-After"))
	}
	e.clock.advance(time.Duration(ra) * time.Second)
	e.login(t, rootEmail, testPassword, "").wantStatus(t, http.StatusOK)
}

// TestLogoutOverHTTP ends sessions: the access token's own, without a
// body, or the one a refresh token names, which must be the caller's.
func TestLogoutOverHTTP(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	tn, _ := e.createTenant(t, "acme", testPassword)
	s1 := e.login(t, rootEmail, testPassword, "").tokens(t)
	s2 := e.login(t, rootEmail, testPassword, "").tokens(t)
	other := e.login(t, "jane@acme.example.com", testPassword, tn.ID).tokens(t)

	e.do(t, req{method: http.MethodPost, path: "/auth/logout", auth: bearer(s1.AccessToken)}).wantStatus(t, http.StatusNoContent)
	e.refresh(t, s1.RefreshToken).wantRefused(t, "a logged-out session", "the refresh token is not valid")
	e.refresh(t, s2.RefreshToken).tokens(t) // the other session lives

	e.do(t, req{method: http.MethodPost, path: "/auth/logout", auth: bearer(s2.AccessToken),
		body: jsonBody(map[string]string{"refreshToken": other.RefreshToken})}).wantRefused(t, "another user's token", "the refresh token is not valid")
	e.refresh(t, other.RefreshToken).wantStatus(t, http.StatusOK)
}

// TestEveryAuthenticatedOperationDocuments403 keeps the document honest
// about the interim rule: any operation that needs credentials may answer
// 403 to a caller that is not the super admin.
func TestEveryAuthenticatedOperationDocuments403(t *testing.T) {
	e := newEnv(t)
	for path, item := range e.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				continue
			}
			if op.Responses.Value("403") == nil {
				t.Errorf("%s %s documents no 403", method, path)
			}
		}
	}
}

// TestWithoutIdentity checks a handler over a platform without identity:
// the key set is empty, login is 401, and the API key still works.
func TestWithoutIdentity(t *testing.T) {
	p, err := atomix.New(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{p: p, logs: &syncBuffer{}}
	e.h = httpapi.New(p, httpapi.WithAPIKey(testKey))
	e.loadDoc(t)
	res := e.do(t, req{method: http.MethodGet, path: "/.well-known/jwks.json", auth: "-"})
	if res.status != http.StatusOK || string(res.body) != `{"keys":[]}` {
		t.Errorf("jwks: got %d %s, want 200 with no keys", res.status, res.body)
	}
	e.do(t, req{method: http.MethodPost, path: "/auth/login", auth: "-", body: `{"email":"a@b.co","password":"whatever-long"}`}).
		wantRefused(t, "login", "this server has no identity service configured; only the platform API key authenticates")
	e.do(t, req{method: http.MethodGet, path: "/tenants", auth: "Bearer a.b.c"}).wantRefused(t, "a JWT", "the credentials are not valid")
	e.do(t, req{method: http.MethodGet, path: "/tenants"}).wantStatus(t, http.StatusOK)
}

// TestCreateTenantBadPasswordCreatesNothing checks that a password that
// breaks the rules is named with the other bad fields, before anything is
// written.
func TestCreateTenantBadPasswordCreatesNothing(t *testing.T) {
	e := newEnv(t)
	before := e.snapshot(t)
	res := e.do(t, req{method: http.MethodPost, path: "/tenants", body: `{"name":"Acme","subdomain":"-acme",
		"contact":{"name":"John Doe","email":"john@acme.com"},"password":"short"}`})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	var fields []string
	for _, f := range res.problem(t).Errors {
		fields = append(fields, f.Field)
	}
	slices.Sort(fields)
	if !slices.Equal(fields, []string{"password", "subdomain"}) {
		t.Errorf("got fields %v, want password and subdomain", fields)
	}
	e.unchanged(t, before)
}
