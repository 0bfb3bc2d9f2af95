package httpapi_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

const (
	entraApp     = "0f3b1c2d-aaaa-bbbb-cccc-123456789abc"
	allowedDir   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	foreignDir   = "9188040d-6c67-4c5b-b112-36a304b66dad"
	entraSubject = "e-456"
)

// entraIssuer starts a local Entra-like issuer: the multi-tenant discovery
// document at /organizations/v2.0 (issuer /{tenantid}/v2.0) and its keys.
// It returns its base URL and a function signing a token of a directory.
func entraIssuer(t testing.TB) (base string, sign func(tid string, now time.Time) string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("GET /organizations/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL + "/{tenantid}/v2.0", "jwks_uri": srv.URL + "/keys",
			"authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, func(tid string, now time.Time) string {
		tok, err := jwt.Signed(signer).Claims(map[string]any{
			"iss": srv.URL + "/" + tid + "/v2.0", "aud": entraApp, "sub": entraSubject, "tid": tid, "email": "ayse@example.com",
			"email_verified": true, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
}

func TestFederatedEndpoint(t *testing.T) {
	base, sign := entraIssuer(t)
	e := newOTPEnv(t, func(c *identity.Config) { c.Federated.EntraBase = base })
	body := func(tid string) string {
		return jsonBody(map[string]string{"provider": "entra", "idToken": sign(tid, e.clock.now()), "tenantId": otpTenant})
	}
	// Off by default.
	wantProblemCode(t, "federated login before the settings turn it on", e.do(t, req{method: "POST", path: "/auth/federated", auth: "-", body: body(allowedDir)}),
		http.StatusForbidden, core.Forbidden)
	e.do(t, req{method: "PATCH", path: "/settings", body: `{"identity":{"loginMethods":{"federated":true},"linkByEmail":true,
		"providers":{"entra":{"enabled":true,"clientId":"` + entraApp + `","allowedTenants":["` + allowedDir + `"]}}}}`}).wantStatus(t, http.StatusOK)

	// A token of a directory outside the allow-list is refused.
	wantProblemCode(t, "an Entra token of a foreign directory", e.do(t, req{method: "POST", path: "/auth/federated", auth: "-", body: body(foreignDir)}),
		http.StatusUnauthorized, core.Unauthenticated)
	res := e.do(t, req{method: "POST", path: "/auth/federated", auth: "-", body: body(allowedDir)})
	res.wantStatus(t, http.StatusOK)
	var tb tokenBody
	if err := json.Unmarshal(res.body, &tb); err != nil || tb.User.ID != e.user.ID {
		t.Errorf("federated login: got %s, want the token response of %s", res.body, e.user.ID)
	}
	for _, tc := range []struct{ name, body string }{
		{"UnknownProvider", `{"provider":"github","idToken":"x"}`},
		{"UnknownField", `{"provider":"entra","idToken":"x","extra":1}`},
	} {
		res := e.do(t, req{method: "POST", path: "/auth/federated", auth: "-", body: tc.body})
		if res.status != http.StatusUnprocessableEntity && res.status != http.StatusBadRequest {
			t.Errorf("%s: got %d, want 422 or 400", tc.name, res.status)
		}
	}
}
