package main_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// codeFromLog waits for the log line the log sender writes for the
// request, and returns its code.
func (s *server) codeFromLog(t *testing.T, requestID string) string {
	t.Helper()
	re := regexp.MustCompile(`msg="otp code" phone=\+\d+ code=(\d+) requestId=` + regexp.QuoteMeta(requestID) + `\b`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(s.logs.String()); m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no code for %s in the server's log:\n%s", requestID, s.logs)
	return ""
}

// TestServerOTPMustShow drives phone OTP's must-show over real HTTP
// against the example server: a tenant created with contact.phone gets its
// admin; an OTP sent to that phone is read from the server's log (the
// default log sender), verified, and answers seed 000's token response; a
// fourth try on a challenge is refused whatever the code.
func TestServerOTPMustShow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	s := start(t, bin, t.TempDir(), adminEnv(), "-dsn", "memory:", "-demo")
	access := s.login(t, adminEmail, adminPassword, "")["accessToken"].(string)

	tenants := map[string]string{}
	for _, tc := range []struct{ name, sub, phone string }{
		{"Acme Corporation", "acme", "+905321234567"},
		{"Globex", "globex", "+905321112233"},
	} {
		code, out := s.post(t, "/tenants", access, map[string]any{
			"name": tc.name, "subdomain": tc.sub, "planId": "plan_professional",
			"contact": map[string]string{"name": "John Doe", "email": "john@" + tc.sub + ".com", "phone": tc.phone},
		})
		if code != http.StatusCreated {
			t.Fatalf("POST /tenants %s: got %d %v, want 201", tc.sub, code, out)
		}
		tenants[tc.sub] = out["id"].(string)
	}

	code, sent := s.post(t, "/auth/otp/send", "", map[string]string{"phone": "+905321234567", "tenantId": tenants["acme"]})
	if code != http.StatusOK || sent["expiresIn"] != 120.0 || sent["attemptsRemaining"] != 3.0 || sent["maskedPhone"] != "+90 532 *** ** 67" ||
		!strings.HasPrefix(fmt.Sprint(sent["requestId"]), "otp_") || len(sent) != 4 {
		t.Fatalf("POST /auth/otp/send: got %d %v, want seed 000's answer", code, sent)
	}
	reqID := sent["requestId"].(string)
	otp := s.codeFromLog(t, reqID)
	code, tok := s.post(t, "/auth/otp/verify", "", map[string]string{"requestId": reqID, "code": otp})
	user, _ := tok["user"].(map[string]any)
	if code != http.StatusOK || len(tok) != 4 || tok["expiresIn"] != 3600.0 || !strings.HasPrefix(fmt.Sprint(tok["refreshToken"]), "rt_") ||
		user["role"] != "tenant_admin" || user["tenantId"] != tenants["acme"] || user["name"] != "John Doe" {
		t.Fatalf("POST /auth/otp/verify: got %d %v, want seed 000's token response for the tenant admin", code, tok)
	}
	if claims := s.verifyWithJWKS(t, tok["accessToken"].(string)); claims["sub"] != user["id"] {
		t.Errorf("access token sub: got %v, want %v", claims["sub"], user["id"])
	}
	if code, p := s.post(t, "/auth/otp/verify", "", map[string]string{"requestId": reqID, "code": otp}); code != http.StatusUnauthorized || p["code"] != "otp_used" {
		t.Errorf("the code again: got %d %v, want 401 otp_used", code, p)
	}

	// Three wrong codes, then the right one: refused.
	code, sent = s.post(t, "/auth/otp/send", "", map[string]string{"phone": "+905321112233", "tenantId": tenants["globex"]})
	if code != http.StatusOK {
		t.Fatalf("POST /auth/otp/send: got %d %v, want 200", code, sent)
	}
	reqID = sent["requestId"].(string)
	otp = s.codeFromLog(t, reqID)
	wrong := "000000"
	if wrong == otp {
		wrong = "111111"
	}
	for i, want := range []string{"otp_invalid", "otp_invalid", "otp_attempts_exceeded", "otp_attempts_exceeded"} {
		try := wrong
		if i == 3 {
			try = otp
		}
		if code, p := s.post(t, "/auth/otp/verify", "", map[string]string{"requestId": reqID, "code": try}); code != http.StatusUnauthorized || p["code"] != want {
			t.Errorf("try %d: got %d %v, want 401 %s", i+1, code, p, want)
		}
	}
	// A resend during the cooldown.
	res, err := http.Post(s.base+"/auth/otp/send", "application/json", strings.NewReader(`{"phone":"+905321112233","tenantId":"`+tenants["globex"]+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("a resend during the cooldown: got %d with Retry-After %q, want 429 with one", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

// TestServerFederatedMustShow: over the example server, with Entra
// pointed at a local issuer (ATOMIX_ENTRA_BASE) and enabled in the
// settings for one directory, a token of a directory outside the
// allow-list is refused, and one of the allowed directory signs in the
// tenant admin it links by email.
func TestServerFederatedMustShow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	const app, allowed, foreign = "0f3b1c2d-aaaa-bbbb-cccc-123456789abc", "72f988bf-86f1-41af-91ab-2d7cd011db47", "9188040d-6c67-4c5b-b112-36a304b66dad"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var iss *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("GET /organizations/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": iss.URL + "/{tenantid}/v2.0", "jwks_uri": iss.URL + "/keys",
			"authorization_endpoint": iss.URL + "/authorize", "token_endpoint": iss.URL + "/token"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}}})
	})
	iss = httptest.NewServer(mux)
	defer iss.Close()
	sign := func(tid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"iss": iss.URL + "/" + tid + "/v2.0", "aud": app, "sub": "entra-subject", "tid": tid, "email": "john@acme.com",
			"email_verified": true, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	bin := buildServer(t)
	s := start(t, bin, t.TempDir(), adminEnv("ATOMIX_ENTRA_BASE="+iss.URL), "-dsn", "memory:")
	access := s.login(t, adminEmail, adminPassword, "")["accessToken"].(string)
	code, out := s.post(t, "/tenants", access, map[string]any{"name": "Acme Corporation", "subdomain": "acme",
		"contact": map[string]string{"name": "John Doe", "email": "john@acme.com", "phone": "+905321234567"}})
	if code != http.StatusCreated {
		t.Fatalf("POST /tenants: got %d %v", code, out)
	}
	tenantID := out["id"].(string)
	code, out = s.do(t, "PATCH", "/settings", access, `{"identity":{"loginMethods":{"federated":true},"linkByEmail":true,
		"providers":{"entra":{"enabled":true,"clientId":"`+app+`","allowedTenants":["`+allowed+`"]}}}}`)
	if code != http.StatusOK {
		t.Fatalf("PATCH /settings: got %d %v", code, out)
	}
	code, out = s.post(t, "/auth/federated", "", map[string]string{"provider": "entra", "idToken": sign(foreign), "tenantId": tenantID})
	if code != http.StatusUnauthorized || out["code"] != "unauthenticated" {
		t.Errorf("an Entra token of a directory outside the allow-list: got %d %v, want 401", code, out)
	}
	code, out = s.post(t, "/auth/federated", "", map[string]string{"provider": "entra", "idToken": sign(allowed), "tenantId": tenantID})
	if user, _ := out["user"].(map[string]any); code != http.StatusOK || user["tenantId"] != tenantID || user["role"] != "tenant_admin" {
		t.Errorf("an Entra token of the allowed directory: got %d %v, want the tenant admin's token response", code, out)
	}
}
