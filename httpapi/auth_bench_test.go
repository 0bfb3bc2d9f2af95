package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store/sqlstore"
)

// BenchmarkHTTPLogin is a full password login through the handler on a
// SQLite file: decoding, the failure counter, the user read, argon2id at
// its default (OWASP) parameters, the counter reset, LastLoginAt, the
// session's first refresh token and an RS256 access token.
func BenchmarkHTTPLogin(b *testing.B) {
	for _, alg := range []identity.Algorithm{identity.RS256, identity.EdDSA} {
		b.Run(string(alg), func(b *testing.B) {
			ctx := context.Background()
			st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "atomix.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			cfg := testIdentity(nil)
			cfg.Password = identity.PasswordConfig{} // the defaults: 19 MiB, 2 iterations, 1 lane
			cfg.Algorithm = alg
			p, err := atomix.New(st, atomix.WithIdentity(cfg))
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := p.EnsureSuperAdmin(ctx, atomix.SuperAdminInput{Name: "Root", Email: rootEmail, Password: testPassword}); err != nil {
				b.Fatal(err)
			}
			h := httpapi.New(p)
			body := jsonBody(map[string]string{"email": rootEmail, "password": testPassword})
			login := func() {
				r := httptest.NewRequest(http.MethodPost, "/v1/auth/login", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != http.StatusOK {
					b.Fatalf("login: got %d %s, want 200", rec.Code, rec.Body)
				}
			}
			login() // the first signing key
			b.ReportAllocs()
			for b.Loop() {
				login()
			}
		})
	}
}
