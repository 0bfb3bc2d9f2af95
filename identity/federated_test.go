package identity_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

// issuerServer is a local OIDC issuer: Google's discovery at /google, the
// multi-tenant Entra document at /entra/organizations/v2.0 (issuer
// /entra/{tenantid}/v2.0), one key set at /jwks.
type issuerServer struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	jwksHits atomic.Int32
}

const (
	googleClient = "google-client-id"
	entraClient  = "0f3b1c2d-aaaa-bbbb-cccc-123456789abc"
	allowedTID   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	foreignTID   = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

func newIssuer(t testing.TB) *issuerServer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuerServer{key: key}
	mux := http.NewServeMux()
	disc := func(issuer string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{
				"issuer": strings.ReplaceAll(issuer, "BASE", is.srv.URL), "jwks_uri": is.srv.URL + "/jwks",
				"authorization_endpoint": is.srv.URL + "/auth", "token_endpoint": is.srv.URL + "/token",
				"id_token_signing_alg_values_supported": []string{"RS256"},
			})
		}
	}
	mux.HandleFunc("GET /google/.well-known/openid-configuration", disc("BASE/google"))
	mux.HandleFunc("GET /entra/organizations/v2.0/.well-known/openid-configuration", disc("BASE/entra/{tenantid}/v2.0"))
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		is.jwksHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

// sign signs claims with key (the issuer's when nil) as key k1.
func (is *issuerServer) sign(t testing.TB, claims map[string]any, key *rsa.PrivateKey) string {
	t.Helper()
	if key == nil {
		key = is.key
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (is *issuerServer) google(now time.Time, edit func(map[string]any)) map[string]any {
	c := map[string]any{
		"iss": is.srv.URL + "/google", "aud": googleClient, "sub": "g-123", "email": "ayse@acme.com", "email_verified": true,
		"hd": "acme.com", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if edit != nil {
		edit(c)
	}
	return c
}

func (is *issuerServer) entra(now time.Time, tid string, edit func(map[string]any)) map[string]any {
	c := map[string]any{
		"iss": is.srv.URL + "/entra/" + tid + "/v2.0", "aud": entraClient, "sub": "e-456", "tid": tid, "email": "ayse@acme.com",
		"email_verified": true, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	if edit != nil {
		edit(c)
	}
	return c
}

// fedEnv is a service whose federated policy is pol, over the local
// issuer, with a tenant user ayse@acme.com and a platform user.
func fedEnv(t testing.TB, pol *identity.FederatedPolicy) (*env, *issuerServer, identity.User) {
	t.Helper()
	is := newIssuer(t)
	e := newEnv(t, func(c *identity.Config) {
		c.Federated = identity.FederatedConfig{
			Policy:       func(context.Context) (identity.FederatedPolicy, error) { return *pol, nil },
			GoogleIssuer: is.srv.URL + "/google",
			EntraBase:    is.srv.URL + "/entra",
		}
	})
	u := e.user(t, tenantA, "ayse@acme.com")
	e.user(t, "", "root@acme.com")
	return e, is, u
}

func onPolicy() *identity.FederatedPolicy {
	return &identity.FederatedPolicy{
		LinkByEmail: true,
		Google:      identity.ProviderPolicy{Enabled: true, ClientID: googleClient, AllowedDomains: []string{"acme.com"}},
		Entra:       identity.ProviderPolicy{Enabled: true, ClientID: entraClient, AllowedTenants: []string{allowedTID}},
	}
}

func (e *env) federated(p identity.FederatedProvider, tok, nonce, tenantID string) (identity.TokenResponse, error) {
	return e.s.FederatedLogin(context.Background(), identity.FederatedInput{Provider: p, IDToken: tok, Nonce: nonce, TenantID: tenantID})
}

func TestFederatedLinkAndLogin(t *testing.T) {
	for _, p := range []identity.FederatedProvider{identity.ProviderGoogle, identity.ProviderEntra} {
		t.Run(string(p), func(t *testing.T) {
			e, is, u := fedEnv(t, onPolicy())
			now := e.clock.Now()
			claims := is.google(now, nil)
			if p == identity.ProviderEntra {
				claims = is.entra(now, allowedTID, nil)
			}
			tok := is.sign(t, claims, nil)
			// Without a tenant there is nothing to link to yet.
			_, err := e.federated(p, tok, "", "")
			wantCode(t, "an unlinked identity without a tenant", err, core.Unauthenticated)
			tr, err := e.federated(p, tok, "", tenantA)
			if err != nil || tr.User.ID != u.ID {
				t.Fatalf("FederatedLogin linking by email: got %+v, %v, want a session of %s", tr.User, err, u.ID)
			}
			// Linked now: no tenant needed, and the keys are cached.
			hits := is.jwksHits.Load()
			tr, err = e.federated(p, tok, "", "")
			if err != nil || tr.User.ID != u.ID {
				t.Errorf("FederatedLogin by the link: got %+v, %v, want a session of %s", tr.User, err, u.ID)
			}
			if is.jwksHits.Load() != hits {
				t.Errorf("the key set was fetched again: %d fetches, want %d", is.jwksHits.Load(), hits)
			}
		})
	}
}

func TestFederatedRefusals(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name     string
		provider identity.FederatedProvider
		claims   func(is *issuerServer, now time.Time) map[string]any
		key      *rsa.PrivateKey
		nonce    string
		tenant   string
		policy   func(*identity.FederatedPolicy)
		want     core.Code
	}
	g := func(edit func(map[string]any)) func(*issuerServer, time.Time) map[string]any {
		return func(is *issuerServer, now time.Time) map[string]any { return is.google(now, edit) }
	}
	en := func(tid string, edit func(map[string]any)) func(*issuerServer, time.Time) map[string]any {
		return func(is *issuerServer, now time.Time) map[string]any { return is.entra(now, tid, edit) }
	}
	for _, c := range []tc{
		{name: "BadSignature", provider: identity.ProviderGoogle, claims: g(nil), key: other, want: core.Unauthenticated},
		{name: "WrongAudience", provider: identity.ProviderGoogle, claims: g(func(m map[string]any) { m["aud"] = "someone-else" }), want: core.Unauthenticated},
		{name: "Expired", provider: identity.ProviderGoogle, claims: func(is *issuerServer, now time.Time) map[string]any {
			return is.google(now, func(m map[string]any) { m["iat"], m["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix() })
		}, want: core.Unauthenticated},
		{name: "WrongIssuer", provider: identity.ProviderGoogle, claims: g(func(m map[string]any) { m["iss"] = "https://evil.example.com" }), want: core.Unauthenticated},
		{name: "EmailNotVerified", provider: identity.ProviderGoogle, claims: g(func(m map[string]any) { m["email_verified"] = false }), want: core.Unauthenticated},
		{name: "EmailVerifiedMissing", provider: identity.ProviderGoogle, claims: g(func(m map[string]any) { delete(m, "email_verified") }), want: core.Unauthenticated},
		{name: "HostedDomainNotAllowed", provider: identity.ProviderGoogle, claims: g(func(m map[string]any) { m["hd"] = "gmail.com" }), want: core.Unauthenticated},
		{name: "HostedDomainMissing", provider: identity.ProviderGoogle, claims: g(func(m map[string]any) { delete(m, "hd") }), want: core.Unauthenticated},
		{name: "NonceMismatch", provider: identity.ProviderGoogle, claims: g(func(m map[string]any) { m["nonce"] = "n1" }), nonce: "n2", want: core.Unauthenticated},
		{name: "NonceNotSent", provider: identity.ProviderGoogle, claims: g(func(m map[string]any) { m["nonce"] = "n1" }), want: core.Unauthenticated},
		{name: "NonceMissingFromToken", provider: identity.ProviderGoogle, claims: g(nil), nonce: "n1", want: core.Unauthenticated},
		{name: "EntraForeignDirectory", provider: identity.ProviderEntra, claims: en(foreignTID, nil), want: core.Unauthenticated},
		{name: "EntraIssuerOfAnotherDirectory", provider: identity.ProviderEntra, claims: en(allowedTID, func(m map[string]any) {
			m["iss"] = strings.Replace(m["iss"].(string), allowedTID, foreignTID, 1)
		}), want: core.Unauthenticated},
		{name: "EntraTemplateIssuer", provider: identity.ProviderEntra, claims: en(allowedTID, func(m map[string]any) {
			m["iss"] = strings.Replace(m["iss"].(string), allowedTID, "{tenantid}", 1)
		}), want: core.Unauthenticated},
		{name: "EntraWrongAudience", provider: identity.ProviderEntra, claims: en(allowedTID, func(m map[string]any) { m["aud"] = googleClient }), want: core.Unauthenticated},
		{name: "EntraTokenAsGoogle", provider: identity.ProviderGoogle, claims: en(allowedTID, nil), want: core.Unauthenticated},
		{name: "NoLinkingAllowed", provider: identity.ProviderGoogle, claims: g(nil), policy: func(p *identity.FederatedPolicy) { p.LinkByEmail = false }, want: core.Unauthenticated},
		{name: "UnknownEmail", provider: identity.ProviderGoogle, claims: g(func(m map[string]any) { m["email"] = "nobody@acme.com" }), want: core.Unauthenticated},
		{name: "NoTenantToLinkIn", provider: identity.ProviderGoogle, claims: g(func(m map[string]any) { m["email"] = "root@acme.com" }), tenant: "-", want: core.Unauthenticated},
		{name: "FederatedOff", provider: identity.ProviderGoogle, claims: g(nil), policy: func(p *identity.FederatedPolicy) { p.Off = true }, want: core.Forbidden},
		{name: "ProviderOff", provider: identity.ProviderEntra, claims: en(allowedTID, nil), policy: func(p *identity.FederatedPolicy) { p.Entra.Enabled = false }, want: core.Forbidden},
		{name: "UnknownProvider", provider: "github", claims: g(nil), want: core.Invalid},
		{name: "Garbage", provider: identity.ProviderGoogle, claims: nil, want: core.Unauthenticated},
	} {
		t.Run(c.name, func(t *testing.T) {
			pol := onPolicy()
			if c.policy != nil {
				c.policy(pol)
			}
			e, is, _ := fedEnv(t, pol)
			tok := "not.a.token"
			if c.claims != nil {
				tok = is.sign(t, c.claims(is, e.clock.Now()), c.key)
			}
			tenant := tenantA
			if c.tenant == "-" {
				tenant = ""
			}
			_, err := e.federated(c.provider, tok, c.nonce, tenant)
			wantCode(t, "FederatedLogin", err, c.want)
			if c.want == core.Unauthenticated && core.ErrorMessage(err) != "the identity token is not accepted" {
				t.Errorf("refusal message: got %q, want the one message", core.ErrorMessage(err))
			}
		})
	}
}

// TestFederatedNeverSignsInStaff: even a link to a platform user (made
// outside the service) does not sign it in.
func TestFederatedNeverSignsInStaff(t *testing.T) {
	e, is, _ := fedEnv(t, onPolicy())
	root, err := e.store.GetUserByEmail(context.Background(), "", "root@acme.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateFederatedLink(context.Background(), identity.FederatedLink{
		Provider: identity.ProviderGoogle, Subject: "g-123", TenantID: "", UserID: root.ID, CreatedAt: e.clock.Now(),
	}); err != nil {
		t.Fatal(err)
	}
	_, err = e.federated(identity.ProviderGoogle, is.sign(t, is.google(e.clock.Now(), nil), nil), "", "")
	wantCode(t, "a platform user's federated login", err, core.Unauthenticated)
}

func TestFederatedDisabledUser(t *testing.T) {
	e, is, u := fedEnv(t, onPolicy())
	tok := is.sign(t, is.google(e.clock.Now(), nil), nil)
	if _, err := e.federated(identity.ProviderGoogle, tok, "", tenantA); err != nil {
		t.Fatalf("first login: %v", err)
	}
	if _, err := e.s.DisableUser(context.Background(), tenantA, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.federated(identity.ProviderGoogle, tok, "", "")
	wantCode(t, "a disabled user's login", err, core.Unauthenticated)
}

// BenchmarkFederatedVerify measures a federated login with the discovery
// document and keys cached: verification, the link lookup and the session.
func BenchmarkFederatedVerify(b *testing.B) {
	e, is, _ := fedEnv(b, onPolicy())
	tok := is.sign(b, is.entra(e.clock.Now(), allowedTID, nil), nil)
	if _, err := e.federated(identity.ProviderEntra, tok, "", tenantA); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.federated(identity.ProviderEntra, tok, "", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFederatedTenantPolicy: a tenant that turned federated login off
// refuses it to its users, even through an existing link.
func TestFederatedTenantPolicy(t *testing.T) {
	off := false
	is := newIssuer(t)
	pol := onPolicy()
	e := newEnv(t, func(c *identity.Config) {
		c.Federated = identity.FederatedConfig{
			Policy:       func(context.Context) (identity.FederatedPolicy, error) { return *pol, nil },
			GoogleIssuer: is.srv.URL + "/google",
			EntraBase:    is.srv.URL + "/entra",
		}
		c.LoginPolicy = func(_ context.Context, tenantID string) (identity.LoginPolicy, error) {
			return identity.LoginPolicy{FederatedOff: off && tenantID == tenantA}, nil
		}
	})
	u := e.user(t, tenantA, "ayse@acme.com")
	tok := is.sign(t, is.google(e.clock.Now(), nil), nil)
	if tr, err := e.federated(identity.ProviderGoogle, tok, "", tenantA); err != nil || tr.User.ID != u.ID {
		t.Fatalf("FederatedLogin while on: got %+v, %v, want a session of %s", tr.User, err, u.ID)
	}
	off = true
	_, err := e.federated(identity.ProviderGoogle, tok, "", "")
	wantCode(t, "FederatedLogin after the tenant turned it off", err, core.Forbidden)
}
