package identity_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store/memory"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// refusal returns the service's refusal of an access token, as the
// reference the other refusals must equal.
func refusal(t *testing.T, e *env) error {
	t.Helper()
	_, err := e.s.VerifyAccessToken(t.Context(), "garbage")
	wantCode(t, "VerifyAccessToken(garbage)", err, core.Unauthenticated)
	return err
}

// jwks returns the service's key set, parsed by go-jose.
func jwks(t *testing.T, e *env) jose.JSONWebKeySet {
	t.Helper()
	b, err := e.s.JWKS(t.Context())
	if err != nil {
		t.Fatalf("JWKS: got error %v, want nil", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatalf("JWKS %s does not parse: %v", b, err)
	}
	return set
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatalf("parse %q: %v", token, err)
	}
	return tok.Headers[0].KeyID
}

func b64(v any) string {
	b, ok := v.([]byte)
	if !ok {
		b, _ = json.Marshal(v)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// payloadOf returns the claims of a token, unverified.
func payloadOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("unmarshal payload: %v", err)
	}
	return m
}

// TestVerifyRefusesAttacks: every way a token can be wrong gives the same
// core.Unauthenticated error, with the reason kept for the logs.
func TestVerifyRefusesAttacks(t *testing.T) {
	c := newClock()
	st := memory.New()
	e := newEnvOn(t, st, c)
	u := e.user(t, tenantA, "a@example.com")
	good := e.login(t, u).AccessToken
	ref := refusal(t, e)
	kid := kidOf(t, good)
	payload := payloadOf(t, good)
	set := jwks(t, e)
	rsaPub := set.Key(kid)[0].Key.(*rsa.PublicKey)

	// Tokens of other services sharing the store and secrets, and so the
	// keys, but not the issuer, audience or time.
	other := func(edit func(*identity.Config), ahead time.Duration) string {
		oc := &clock{t: c.Now().Add(ahead)}
		o := newEnvOn(t, st, oc, edit)
		tok, err := identity.IssueAccessToken(t.Context(), o.s, u, "sid")
		if err != nil {
			t.Fatalf("IssueAccessToken: %v", err)
		}
		return tok
	}
	wrongAud := other(func(c *identity.Config) { c.Audience = "someone-else" }, 0)
	wrongIss := other(func(c *identity.Config) { c.Issuer = "https://evil.test" }, 0)
	future := other(nil, 10*time.Minute)
	// A token of a service with its own keys.
	stranger := newEnv(t)
	unknownKid, err := identity.IssueAccessToken(t.Context(), stranger.s, u, "sid")
	if err != nil {
		t.Fatalf("IssueAccessToken: %v", err)
	}

	hs256 := func(key []byte) string {
		h := b64(map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid})
		p := b64(payload)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(h + "." + p))
		return h + "." + p + "." + b64(mac.Sum(nil))
	}
	der, _ := x509.MarshalPKIXPublicKey(rsaPub)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	jwkJSON, _ := json.Marshal(set.Key(kid)[0])
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(rsaPub)})

	unsigned := func(alg string) string {
		return b64(map[string]any{"alg": alg, "typ": "JWT", "kid": kid}) + "." + b64(payload) + "."
	}
	// Signed with an attacker's key under the real kid, with the key's
	// algorithm or another one.
	signWith := func(alg jose.SignatureAlgorithm, key any) string {
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
		if err != nil {
			t.Fatalf("NewSigner: %v", err)
		}
		tok, err := jwt.Signed(sig).Claims(payload).Serialize()
		if err != nil {
			t.Fatalf("Serialize: %v", err)
		}
		return tok
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)

	parts := strings.Split(good, ".")
	tampered := payloadOf(t, good)
	tampered["role"] = "super_admin"
	tampered["tenant_id"] = ""

	sign := func(edit func(m map[string]any)) string {
		m := payloadOf(t, good)
		edit(m)
		tok, err := identity.SignClaims(t.Context(), e.s, m)
		if err != nil {
			t.Fatalf("SignClaims: %v", err)
		}
		return tok
	}

	tests := []struct{ name, token string }{
		{"empty", ""},
		{"one part", "abc"},
		{"two parts", parts[0] + "." + parts[1]},
		{"four parts", good + ".x"},
		{"bad base64", parts[0] + ".%%%." + parts[2]},
		{"JSON serialization", `{"payload":"` + parts[1] + `","signatures":[]}`},
		{"too long", good + strings.Repeat("A", 9000)},
		{"alg none", unsigned("none")},
		{"alg None", unsigned("None")},
		{"alg empty", unsigned("")},
		{"HS256 keyed with the PEM public key", hs256(pemKey)},
		{"HS256 keyed with the DER public key", hs256(der)},
		{"HS256 keyed with the PKCS #1 public key", hs256(pkcs1)},
		{"HS256 keyed with the JWK", hs256(jwkJSON)},
		{"HS256 keyed with the modulus", hs256(rsaPub.N.Bytes())},
		{"RS256 by another key under the kid", signWith(jose.RS256, rsaKey)},
		{"ES256 under an RS256 kid", signWith(jose.ES256, ecKey)},
		{"PS256 under an RS256 kid", signWith(jose.PS256, rsaKey)},
		{"tampered claims", parts[0] + "." + b64(tampered) + "." + parts[2]},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(unknownKid, ".")[2]},
		{"unknown kid", unknownKid},
		{"wrong audience", wrongAud},
		{"wrong issuer", wrongIss},
		{"not yet valid", future},
		{"no exp", sign(func(m map[string]any) { delete(m, "exp") })},
		{"no iat", sign(func(m map[string]any) { delete(m, "iat") })},
		{"no nbf", sign(func(m map[string]any) { delete(m, "nbf") })},
		{"no jti", sign(func(m map[string]any) { delete(m, "jti") })},
		{"no aud", sign(func(m map[string]any) { delete(m, "aud") })},
		{"subject not a user", sign(func(m map[string]any) { m["sub"] = "tn_alpha" })},
		{"unknown role", sign(func(m map[string]any) { m["role"] = "god" })},
		{"role of another scope", sign(func(m map[string]any) { m["role"] = "super_admin" })},
		{"role not a string", sign(func(m map[string]any) { m["role"] = 7 })},
		{"tenant without its scope", sign(func(m map[string]any) { m["scope_id"] = tenantB })},
		{"issued in the future", sign(func(m map[string]any) { m["iat"] = c.Now().Add(time.Hour).Unix() })},
		{"exp not a number", sign(func(m map[string]any) { m["exp"] = "tomorrow" })},
	}
	for _, tt := range tests {
		_, err := e.s.VerifyAccessToken(t.Context(), tt.token)
		wantRefusal(t, tt.name, err, ref)
		if errors.Unwrap(err) == nil {
			t.Errorf("%s: the refusal keeps no reason for the logs", tt.name)
		}
	}
	if _, err := e.s.VerifyAccessToken(t.Context(), good); err != nil {
		t.Errorf("the good token: got error %v, want nil", err)
	}
}

func TestVerifyExpiry(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	tok := e.login(t, u).AccessToken
	ref := refusal(t, e)
	// Valid through its hour and the clock skew, refused after.
	e.clock.Advance(time.Hour + 29*time.Second)
	if _, err := e.s.VerifyAccessToken(t.Context(), tok); err != nil {
		t.Errorf("within the skew: got error %v, want nil", err)
	}
	e.clock.Advance(2 * time.Second)
	_, err := e.s.VerifyAccessToken(t.Context(), tok)
	wantRefusal(t, "expired", err, ref)
	if !errors.Is(err, jwt.ErrExpired) {
		t.Errorf("reason: got %v, want %v", errors.Unwrap(err), jwt.ErrExpired)
	}
}

// TestKeyRotation: after a rotation new tokens carry the new kid, tokens of
// the old key verify for the retention window and not after, and the key
// set publishes exactly the keys that verify.
func TestKeyRotation(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	old := e.login(t, u).AccessToken
	oldKid := kidOf(t, old)
	// A token of the old key that outlives the retention window.
	m := payloadOf(t, old)
	m["exp"] = e.clock.Now().Add(72 * time.Hour).Unix()
	long, err := identity.SignClaims(t.Context(), e.s, m)
	if err != nil {
		t.Fatalf("SignClaims: %v", err)
	}

	newKid, err := e.s.RotateSigningKey(t.Context())
	if err != nil {
		t.Fatalf("RotateSigningKey: got error %v, want nil", err)
	}
	if newKid == oldKid {
		t.Fatalf("RotateSigningKey: got the old kid %q again", newKid)
	}
	fresh := e.login(t, u).AccessToken
	if got := kidOf(t, fresh); got != newKid {
		t.Errorf("kid after rotation: got %q, want %q", got, newKid)
	}
	for _, tok := range []string{old, long, fresh} {
		if _, err := e.s.VerifyAccessToken(t.Context(), tok); err != nil {
			t.Errorf("after rotation: got error %v, want nil", err)
		}
	}
	if got := kids(jwks(t, e)); !equalSets(got, []string{oldKid, newKid}) {
		t.Errorf("JWKS kids: got %v, want %v", got, []string{oldKid, newKid})
	}

	// Past the retention (and the cache), the old key is gone.
	if e.s.Config().KeyRetention != identity.DefaultKeyRetention {
		t.Fatalf("KeyRetention: got %s, want the default", e.s.Config().KeyRetention)
	}
	e.clock.Advance(identity.DefaultKeyRetention + time.Minute)
	_, err = e.s.VerifyAccessToken(t.Context(), long)
	wantRefusal(t, "a token of a key retired past the retention", err, refusal(t, e))
	if got := kids(jwks(t, e)); !equalSets(got, []string{newKid}) {
		t.Errorf("JWKS kids after the retention: got %v, want [%s]", got, newKid)
	}
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestKeysSharedByInstances: two services over one store share the keys;
// one rotating is seen by the other at its next cache refresh, or at once
// when a token names the new key.
func TestKeysSharedByInstances(t *testing.T) {
	a := newEnv(t)
	b := newEnvOn(t, a.store, a.clock)
	u := a.user(t, tenantA, "a@example.com")
	ta := a.login(t, u).AccessToken
	if _, err := b.s.VerifyAccessToken(t.Context(), ta); err != nil {
		t.Fatalf("B verifies A's token: got error %v, want nil", err)
	}
	tb := b.login(t, u).AccessToken
	if kidOf(t, ta) != kidOf(t, tb) {
		t.Errorf("kids of A and B: got %q and %q, want one shared key", kidOf(t, ta), kidOf(t, tb))
	}
	k2, err := a.s.RotateSigningKey(t.Context())
	if err != nil {
		t.Fatalf("RotateSigningKey: %v", err)
	}
	// B still signs with its cached key, which A accepts.
	tb2 := b.login(t, u).AccessToken
	if kidOf(t, tb2) == k2 {
		t.Errorf("B signed with the new key before its cache refresh")
	}
	if _, err := a.s.VerifyAccessToken(t.Context(), tb2); err != nil {
		t.Errorf("A verifies B's token of the old key: got error %v, want nil", err)
	}
	// A token of the new key makes B reload.
	ta2 := a.login(t, u).AccessToken
	if _, err := b.s.VerifyAccessToken(t.Context(), ta2); err != nil {
		t.Errorf("B verifies A's token of the new key: got error %v, want nil", err)
	}
	b.clock.Advance(b.s.Config().KeyRefresh + time.Second)
	if got := kidOf(t, b.login(t, u).AccessToken); got != k2 {
		t.Errorf("B's kid after its cache refresh: got %q, want %q", got, k2)
	}
}

// TestAlgorithms: each algorithm signs tokens the JWKS verifies with go-jose
// on its own, and switching algorithm rotates the key.
func TestAlgorithms(t *testing.T) {
	st := memory.New()
	c := newClock()
	var prev string
	for _, alg := range []identity.Algorithm{identity.RS256, identity.ES256, identity.EdDSA} {
		e := newEnvOn(t, st, c, func(cfg *identity.Config) { cfg.Algorithm = alg })
		u := e.user(t, tenantA, strings.ToLower(string(alg))+"@example.com")
		tok := e.login(t, u).AccessToken
		kid := kidOf(t, tok)
		if kid == prev {
			t.Errorf("%s: the key did not rotate with the algorithm", alg)
		}
		prev = kid
		set := jwks(t, e)
		keys := set.Key(kid)
		if len(keys) != 1 || keys[0].Algorithm != string(alg) || keys[0].Use != "sig" || !keys[0].IsPublic() {
			t.Fatalf("%s: JWKS entry for %q: got %+v, want one public signing key", alg, kid, keys)
		}
		// Verified by go-jose with the published key alone.
		parsed, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
		if err != nil {
			t.Fatalf("%s: ParseSignedCompact: %v", alg, err)
		}
		body, err := parsed.Verify(keys[0])
		if err != nil {
			t.Errorf("%s: verification with the JWKS key: %v", alg, err)
		}
		var claims map[string]any
		if err := json.Unmarshal(body, &claims); err != nil || claims["sub"] != u.ID {
			t.Errorf("%s: claims: got %v, %v, want sub %s", alg, claims, err, u.ID)
		}
		if _, err := e.s.VerifyAccessToken(t.Context(), tok); err != nil {
			t.Errorf("%s: VerifyAccessToken: got error %v, want nil", alg, err)
		}
		raw, _ := e.s.JWKS(t.Context())
		if strings.Contains(string(raw), `"d"`) || strings.Contains(string(raw), `"p"`) {
			t.Errorf("%s: the JWKS holds private key material: %s", alg, raw)
		}
	}
}

func TestAutomaticRotation(t *testing.T) {
	e := newEnv(t, func(c *identity.Config) { c.KeyRotation = 2 * time.Hour })
	u := e.user(t, tenantA, "a@example.com")
	k1 := kidOf(t, e.login(t, u).AccessToken)
	e.clock.Advance(time.Hour)
	if got := kidOf(t, e.login(t, u).AccessToken); got != k1 {
		t.Errorf("kid before the rotation age: got %q, want %q", got, k1)
	}
	e.clock.Advance(time.Hour)
	if got := kidOf(t, e.login(t, u).AccessToken); got == k1 {
		t.Errorf("kid at the rotation age: got the old %q, want a new one", got)
	}
}

// TestSigningKeysSealed: private keys are sealed at rest, bound to their
// record, and useless without the master secret.
func TestSigningKeysSealed(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	tok := e.login(t, u).AccessToken
	keys, err := e.store.ListSigningKeys(t.Context(), time.Time{})
	if err != nil || len(keys) != 1 {
		t.Fatalf("ListSigningKeys: got %d keys, %v, want 1", len(keys), err)
	}
	if _, err := x509.ParsePKCS8PrivateKey(keys[0].PrivateKey); err == nil {
		t.Error("the stored private key parses as PKCS #8: it is not sealed")
	}
	// A record that copies the sealed key under another ID or algorithm
	// does not open, and is not published.
	forged := keys[0]
	forged.ID, forged.CreatedAt = "forged", e.clock.Now().Add(time.Second)
	forged2 := keys[0]
	forged2.ID, forged2.Algorithm, forged2.CreatedAt = "forged-es", identity.ES256, e.clock.Now().Add(time.Second)
	for _, k := range []identity.SigningKey{forged, forged2} {
		if err := e.store.CreateSigningKey(t.Context(), k); err != nil {
			t.Fatalf("CreateSigningKey: %v", err)
		}
	}
	fresh := newEnvOn(t, e.store, e.clock)
	if got := kids(jwks(t, fresh)); !equalSets(got, []string{keys[0].ID}) {
		t.Errorf("JWKS with forged records: got %v, want [%s]", got, keys[0].ID)
	}
	if _, err := fresh.s.VerifyAccessToken(t.Context(), tok); err != nil {
		t.Errorf("VerifyAccessToken: got error %v, want nil", err)
	}
	if !strings.Contains(fresh.logs.String(), "does not open") {
		t.Errorf("logs: got %q, want the unreadable keys logged", fresh.logs.String())
	}
	// Another master secret opens none of them, and refuses the first
	// one's tokens.
	other := newEnvOn(t, e.store, e.clock, func(c *identity.Config) { c.Secrets.Current = secret("s9", 9) })
	_, err = other.s.VerifyAccessToken(t.Context(), tok)
	wantCode(t, "VerifyAccessToken under another master secret", err, core.Unauthenticated)
}
