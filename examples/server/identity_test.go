package main_test

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	adminEmail    = "root@example.com"
	adminPassword = "correct horse battery"
	testIssuer    = "https://atomix.example.com"
)

// adminEnv are the environment variables of a server with a super admin
// and a fixed issuer.
func adminEnv(extra ...string) []string {
	return append([]string{"ATOMIX_API_KEY=", "ATOMIX_SECRET=", "ATOMIX_ISSUER=" + testIssuer,
		"ATOMIX_ADMIN_EMAIL=" + adminEmail, "ATOMIX_ADMIN_PASSWORD=" + adminPassword}, extra...)
}

// post sends a JSON body with an optional bearer token.
func (s *server) post(t *testing.T, path, token string, body any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return s.do(t, "POST", path, token, string(b))
}

// login logs in over HTTP and returns the token response, failing unless
// it is a 200.
func (s *server) login(t *testing.T, email, password, tenantID string) map[string]any {
	t.Helper()
	in := map[string]string{"email": email, "password": password}
	if tenantID != "" {
		in["tenantId"] = tenantID
	}
	code, out := s.post(t, "/auth/login", "", in)
	if code != http.StatusOK {
		t.Fatalf("login %s: got %d %v, want 200", email, code, out)
	}
	return out
}

// verifyWithJWKS verifies an RS256 access token with
// github.com/golang-jwt/jwt/v5 against the key set the server serves,
// each JWK turned into an RSA key by hand. It returns the claims.
func (s *server) verifyWithJWKS(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	res, err := http.Get(s.base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &set) != nil || len(set.Keys) == 0 {
		t.Fatalf("GET /.well-known/jwks.json: got %d %s, want a key set", res.StatusCode, raw)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k["kid"] != tok.Header["kid"] {
				continue
			}
			if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" {
				return nil, fmt.Errorf("key %v is not an RS256 signing key", k)
			}
			n, err1 := base64.RawURLEncoding.DecodeString(k["n"])
			e, err2 := base64.RawURLEncoding.DecodeString(k["e"])
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("key %v does not decode", k)
			}
			return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
		}
		return nil, fmt.Errorf("no key %v in the set", tok.Header["kid"])
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(testIssuer), jwt.WithAudience("atomix"),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil {
		t.Fatalf("golang-jwt: the access token does not verify against the served JWKS: %v", err)
	}
	return claims
}

// TestServerIdentityMustShow drives identity's must-show over real HTTP
// against the example server: the super admin of ATOMIX_ADMIN_EMAIL logs in
// and receives seed 000's token response, whose access token verifies with
// a third-party JWT library against the served JWKS; a refresh token
// rotates; a tenant admin made by POST /tenants with a password logs in,
// and one made without sets its password with the one-time token and then
// logs in.
func TestServerIdentityMustShow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	s := start(t, bin, t.TempDir(), adminEnv(), "-dsn", "memory:")

	tok := s.login(t, "ROOT@example.com", adminPassword, "")
	user, _ := tok["user"].(map[string]any)
	if len(tok) != 4 || tok["expiresIn"] != 3600.0 || !strings.HasPrefix(fmt.Sprint(tok["refreshToken"]), "rt_") ||
		user["role"] != "super_admin" || user["name"] != "Super Admin" || user["tenantId"] != "" || fmt.Sprint(user["permissions"]) != "[]" {
		t.Errorf("token response: got %v, want seed 000's shape for the super admin", tok)
	}
	access := tok["accessToken"].(string)
	claims := s.verifyWithJWKS(t, access)
	if claims["sub"] != user["id"] || claims["role"] != "super_admin" {
		t.Errorf("claims: got %v, want the super admin's", claims)
	}

	code, next := s.post(t, "/auth/refresh", "", map[string]any{"refreshToken": tok["refreshToken"]})
	if code != http.StatusOK || next["refreshToken"] == tok["refreshToken"] {
		t.Errorf("refresh: got %d %v, want a new pair", code, next)
	}

	// The super admin's token manages tenants, as the API key does.
	code, withPw := s.post(t, "/tenants", access, map[string]any{
		"name": "Acme", "subdomain": "acme", "contact": map[string]string{"name": "John Doe", "email": "john@acme.com"},
		"password": "john's own passphrase",
	})
	admin, _ := withPw["adminUser"].(map[string]any)
	if code != http.StatusCreated || admin["email"] != "john@acme.com" || withPw["setPasswordToken"] != nil || withPw["userCount"] != 1.0 {
		t.Fatalf("POST /tenants with a password: got %d %v, want 201 with adminUser and no token", code, withPw)
	}
	got := s.login(t, "john@acme.com", "john's own passphrase", withPw["id"].(string))
	if u := got["user"].(map[string]any); u["id"] != admin["id"] || u["role"] != "tenant_admin" || u["tenantId"] != withPw["id"] {
		t.Errorf("the tenant admin's login: got %v, want %v of %v", u, admin["id"], withPw["id"])
	}
	if code, p := s.do(t, "POST", "/tenants", got["accessToken"].(string), `{"name":"Xray","subdomain":"xray","contact":{"name":"X Ray","email":"x@xray.com"}}`); code != http.StatusForbidden || p["code"] != "forbidden" {
		t.Errorf("POST /tenants as a tenant admin: got %d %v, want 403 forbidden", code, p["code"])
	}

	code, noPw := s.post(t, "/tenants", access, map[string]any{
		"name": "Globex", "subdomain": "globex", "contact": map[string]string{"name": "Hank Scorpio", "email": "hank@globex.com"},
	})
	pst, _ := noPw["setPasswordToken"].(string)
	if code != http.StatusCreated || !strings.HasPrefix(pst, "pst_") || noPw["setPasswordExpiresAt"] == nil {
		t.Fatalf("POST /tenants without a password: got %d %v, want 201 with a setPasswordToken", code, noPw)
	}
	if code, out := s.post(t, "/auth/password/set", "", map[string]string{"token": pst, "password": "hank's new passphrase"}); code != http.StatusNoContent {
		t.Fatalf("POST /auth/password/set: got %d %v, want 204", code, out)
	}
	got = s.login(t, "hank@globex.com", "hank's new passphrase", noPw["id"].(string))
	if u := got["user"].(map[string]any); u["tenantId"] != noPw["id"] || u["role"] != "tenant_admin" {
		t.Errorf("the second tenant admin's login: got %v", u)
	}
	s.stop(t)
}

// TestServerIdentityStartup checks how the server gets its master secret
// and super admin: a SQLite database gets a 0600 secret file beside it,
// which the next start reads (a token from before the restart still
// verifies, and the super admin is not made twice); PostgreSQL without
// ATOMIX_SECRET, a short secret, and half the admin variables are refused.
func TestServerIdentityStartup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)

	t.Run("sqlite secret file", func(t *testing.T) {
		dir := t.TempDir()
		s := start(t, bin, dir, adminEnv())
		access := s.login(t, adminEmail, adminPassword, "")["accessToken"].(string)
		s.stop(t)
		fi, err := os.Stat(filepath.Join(dir, "atomix.db.secret"))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("secret file: got %v, %v, want atomix.db.secret with mode 0600", fi, err)
		}
		first, _ := os.ReadFile(filepath.Join(dir, "atomix.db.secret"))

		s = start(t, bin, dir, adminEnv("ATOMIX_ADMIN_PASSWORD=a different password"))
		if code, _ := s.do(t, "GET", "/tenants", access, ""); code != http.StatusOK {
			t.Errorf("a token from before the restart: got %d, want 200", code)
		}
		s.login(t, adminEmail, adminPassword, "") // the first password: the admin was left as it was
		s.stop(t)
		if !strings.Contains(s.logs.String(), "the super admin exists") {
			t.Errorf("second start: got logs %s, want the super admin left as it is", s.logs)
		}
		again, _ := os.ReadFile(filepath.Join(dir, "atomix.db.secret"))
		if string(again) != string(first) || len(strings.TrimSpace(string(first))) < 32 {
			t.Errorf("the secret file changed across the restart, or is short")
		}
	})

	refused := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"postgres without a secret", adminEnv(), []string{"-dsn", "postgres://nobody@127.0.0.1:1/none?sslmode=disable"}, "ATOMIX_SECRET is required with PostgreSQL"},
		{"a short secret", adminEnv("ATOMIX_SECRET=too-short"), []string{"-dsn", "memory:"}, "at least 32 bytes"},
		{"half the admin", []string{"ATOMIX_ADMIN_EMAIL=root@example.com", "ATOMIX_ADMIN_PASSWORD="}, []string{"-dsn", "memory:"}, "ATOMIX_ADMIN_EMAIL and ATOMIX_ADMIN_PASSWORD"},
		{"a weak admin password", adminEnv("ATOMIX_ADMIN_PASSWORD=password"), []string{"-dsn", "memory:"}, "too common"},
		{"an unknown algorithm", adminEnv(), []string{"-dsn", "memory:", "-token-alg", "HS256"}, "HS256"},
		{"a session check that is no duration", adminEnv("ATOMIX_SESSION_CHECK=soon"), []string{"-dsn", "memory:"}, "ATOMIX_SESSION_CHECK"},
		{"a session check of zero", adminEnv("ATOMIX_SESSION_CHECK=0s"), []string{"-dsn", "memory:"}, "ATOMIX_SESSION_CHECK"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{"-addr", "127.0.0.1:0"}, tt.args...)...)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tt.want) || strings.Contains(string(out), "listening on") {
				t.Errorf("got %v and output %s, want a refusal to start naming %q", err, out, tt.want)
			}
		})
	}
}
