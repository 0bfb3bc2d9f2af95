package atomix_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// cheapArgon2 makes the tests' password hashing fast; the benchmarks and
// the identity package measure the real parameters.
var cheapArgon2 = identity.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1}

const adminPassword = "correct horse battery"

// identityConfig is the identity configuration of the tests.
func identityConfig() identity.Config {
	return identity.Config{
		Issuer:   "https://atomix.test",
		Secrets:  identity.Secrets{Current: identity.Secret{ID: "k1", Value: bytes.Repeat([]byte{9}, identity.MinSecretLen)}},
		Password: identity.PasswordConfig{Params: cheapArgon2},
	}
}

// identityPlatform returns a platform over st with identity configured,
// the demo catalog and seed 000's plan limits.
func identityPlatform(t *testing.T, st store.Store) *atomix.Platform {
	t.Helper()
	p, err := atomix.New(st, atomix.WithIdentity(identityConfig()),
		atomix.WithLimits(atom.StaticLimits{"plan_starter": 1, "plan_professional": 15}))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	publishDemo(t, p)
	return p
}

func adminInput(subdomain, password string) atomix.CreateTenantInput {
	return atomix.CreateTenantInput{
		Name: "Tenant " + subdomain, Subdomain: subdomain, PlanID: "plan_professional",
		Contact:  tenant.Contact{Name: "Jane Roe", Email: "Jane@" + subdomain + ".example.com", Phone: "+905321234567"},
		Password: password,
	}
}

// login logs in the tenant's user, failing the test on an error.
func login(t *testing.T, p *atomix.Platform, tenantID, email, password string) identity.TokenResponse {
	t.Helper()
	r, err := p.Identity().Login(atomix.AsSystem(context.Background()), identity.LoginInput{Email: email, Password: password, TenantID: tenantID})
	if err != nil {
		t.Fatalf("Login(%s, %s): got error %v, want nil", tenantID, email, err)
	}
	return r
}

// TestCreateTenantAdmin shows, on every store, that CreateTenant makes the
// tenant admin from the contact in its transaction: with a password the
// admin logs in at once; without one, the one-time token sets it, and then
// the admin logs in; the tenant counts its user on every read.
func TestCreateTenantAdmin(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := atomix.AsSystem(context.Background())
			p := identityPlatform(t, b.open(t))

			withPw, err := p.CreateTenant(ctx, adminInput("with-pw", adminPassword))
			if err != nil {
				t.Fatalf("CreateTenant with a password: %v", err)
			}
			tn := withPw.Tenant
			if !core.ValidID(core.PrefixUser, withPw.AdminUser.ID) || withPw.AdminUser.Email != "Jane@with-pw.example.com" {
				t.Errorf("AdminUser: got %+v, want a usr_ ID and the contact's email", withPw.AdminUser)
			}
			if withPw.SetPasswordToken != nil || tn.UserCount != 1 {
				t.Errorf("with a password: got token %v, UserCount %d, want no token and 1", withPw.SetPasswordToken, tn.UserCount)
			}
			u, err := p.Identity().GetUser(ctx, tn.ID, withPw.AdminUser.ID)
			if err != nil {
				t.Fatalf("GetUser: %v", err)
			}
			if u.Role != identity.RoleTenantAdmin || u.Name != "Jane Roe" || u.Phone != "+905321234567" || u.Status != identity.StatusActive ||
				u.Scope != (identity.Scope{Kind: identity.ScopeTenant, ID: tn.ID}) {
				t.Errorf("the admin: got %+v, want an active tenant_admin of %s made from the contact", u, tn.ID)
			}
			r := login(t, p, tn.ID, "jane@with-pw.example.com", adminPassword)
			if r.User.ID != u.ID || r.User.TenantID != tn.ID || r.User.Role != identity.RoleTenantAdmin {
				t.Errorf("login: got user %+v, want the admin of %s", r.User, tn.ID)
			}

			noPw, err := p.CreateTenant(ctx, adminInput("no-pw", ""))
			if err != nil {
				t.Fatalf("CreateTenant without a password: %v", err)
			}
			tok := noPw.SetPasswordToken
			if tok == nil || !strings.HasPrefix(tok.Token, "pst_") || !tok.ExpiresAt.After(time.Now()) {
				t.Fatalf("without a password: got token %+v, want a pst_ token expiring later", tok)
			}
			if _, err := p.Identity().Login(ctx, identity.LoginInput{Email: noPw.AdminUser.Email, Password: adminPassword, TenantID: noPw.Tenant.ID}); core.ErrorCode(err) != core.Unauthenticated {
				t.Errorf("login before setting a password: got %v, want unauthenticated", err)
			}
			if _, err := p.Identity().UsePasswordToken(ctx, tok.Token, "a brand new secret"); err != nil {
				t.Fatalf("UsePasswordToken: %v", err)
			}
			login(t, p, noPw.Tenant.ID, noPw.AdminUser.Email, "a brand new secret")
			if _, err := p.Identity().UsePasswordToken(ctx, tok.Token, "yet another secret"); core.ErrorCode(err) != core.Unauthenticated {
				t.Errorf("UsePasswordToken twice: got %v, want unauthenticated", err)
			}

			// Every read counts the users: the admin, and a member.
			if _, err := p.Identity().CreateUser(ctx, identity.CreateUserInput{
				TenantID: tn.ID, Name: "Member", Email: "member@with-pw.example.com", Role: identity.RoleTenantMember,
			}); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			got, err := p.Tenants().Get(ctx, tn.ID)
			if err != nil || got.UserCount != 2 {
				t.Errorf("Get(%s): got UserCount %d, error %v, want 2", tn.ID, got.UserCount, err)
			}
			page, err := p.Tenants().List(ctx, tenant.ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{tn.ID: 2, noPw.Tenant.ID: 1}
			for _, x := range page.Items {
				if x.UserCount != want[x.ID] {
					t.Errorf("List: %s UserCount: got %d, want %d", x.ID, x.UserCount, want[x.ID])
				}
			}
		})
	}
}

// spyStore records the users created through it and its transactions.
type spyStore struct {
	store.Store
	mu      *sync.Mutex
	created *[]identity.User
}

func (s spyStore) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	return s.Store.InTx(ctx, func(tx store.Store) error { return fn(spyStore{tx, s.mu, s.created}) })
}

func (s spyStore) CreateUser(ctx context.Context, u identity.User) error {
	err := s.Store.CreateUser(ctx, u)
	if err == nil {
		s.mu.Lock()
		*s.created = append(*s.created, u)
		s.mu.Unlock()
	}
	return err
}

// TestCreateTenantAdminRollback shows that a failure after the admin was
// made (an initial atom over the plan's limit) leaves no user behind, and
// that bad input, the password's included, is named all at once before
// any work.
func TestCreateTenantAdminRollback(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	var created []identity.User
	st := spyStore{Store: memory.New(), mu: &sync.Mutex{}, created: &created}
	p := identityPlatform(t, st)

	in := adminInput("over", adminPassword)
	in.PlanID = "plan_starter" // one atom slot
	in.InitialAtoms = []string{"atom_wireframe", "atom_task"}
	_, err := p.CreateTenant(ctx, in)
	wantCode(t, "CreateTenant over the limit", err, core.PlanLimitExceeded)
	if len(created) != 1 {
		t.Fatalf("got %d users created in the transaction, want 1 (the admin, before the atoms)", len(created))
	}
	if _, err := p.Identity().FindUser(ctx, created[0].ID); core.ErrorCode(err) != core.NotFound {
		t.Errorf("FindUser(the rolled-back admin): got %v, want not_found", err)
	}
	if n := len(allTenants(t, p)); n != 0 {
		t.Errorf("got %d tenants, want 0", n)
	}

	bad := adminInput("-bad", "short")
	_, err = p.CreateTenant(ctx, bad)
	if got := strings.Join(fieldNames(t, err), " "); got != "password subdomain" {
		t.Errorf("fields: got %q, want \"password subdomain\"", got)
	}
	bad = adminInput("same-as-email", "jane@same-as-email.example.com")
	_, err = p.CreateTenant(ctx, bad)
	if got := strings.Join(fieldNames(t, err), " "); got != "password" {
		t.Errorf("a password equal to the email: got fields %q, want \"password\"", got)
	}
	if len(created) != 1 {
		t.Errorf("got %d users created, want still 1", len(created))
	}
}

// TestPlatformWithoutIdentity shows what a platform made without
// WithIdentity does: it makes tenant admins and counts them, but offers no
// login and no set-password token.
func TestPlatformWithoutIdentity(t *testing.T) {
	p, _ := newPlatform(t)
	if p.Identity() != nil {
		t.Errorf("Identity(): got a service, want nil without WithIdentity")
	}
	out, err := p.CreateTenant(atomix.AsSystem(context.Background()), seedInput())
	if err != nil {
		t.Fatal(err)
	}
	if !core.ValidID(core.PrefixUser, out.AdminUser.ID) || out.AdminUser.Email != "john@acme.com" ||
		out.SetPasswordToken != nil || out.Tenant.UserCount != 1 {
		t.Errorf("got admin %+v, token %v, UserCount %d, want the admin, no token, 1", out.AdminUser, out.SetPasswordToken, out.Tenant.UserCount)
	}
}

func TestWithIdentityRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*identity.Config)
		want string
	}{
		{"no issuer", func(c *identity.Config) { c.Issuer = "" }, "Issuer"},
		{"short secret", func(c *identity.Config) { c.Secrets.Current.Value = []byte("short") }, "at least 32"},
		{"bad algorithm", func(c *identity.Config) { c.Algorithm = "HS256" }, "HS256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := identityConfig()
			tt.edit(&cfg)
			p, err := atomix.New(memory.New(), atomix.WithIdentity(cfg))
			if p != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: got %v, %v, want nil and an error naming %q", p, err, tt.want)
			}
		})
	}
}

func TestEnsureSuperAdmin(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p := identityPlatform(t, memory.New())
	in := atomix.SuperAdminInput{Name: "Root", Email: "root@example.com", Password: adminPassword}
	u, created, err := p.EnsureSuperAdmin(ctx, in)
	if err != nil || !created || u.Role != identity.RoleSuperAdmin || u.TenantID != "" || u.Scope.Kind != identity.ScopePlatform {
		t.Fatalf("first EnsureSuperAdmin: got %+v, %v, %v, want a new platform super_admin", u, created, err)
	}
	// Again, with another password and the email in another case: nothing
	// changes, and the first password still logs in.
	in.Email, in.Password = "ROOT@example.com", "another long password"
	if _, created, err := p.EnsureSuperAdmin(ctx, in); err != nil || created {
		t.Errorf("second EnsureSuperAdmin: got created %v, error %v, want false, nil", created, err)
	}
	r := login(t, p, "", "root@example.com", adminPassword)
	if r.User.ID != u.ID || r.User.Role != identity.RoleSuperAdmin || r.User.TenantID != "" {
		t.Errorf("login: got %+v, want the super admin", r.User)
	}
	if _, _, err := p.EnsureSuperAdmin(ctx, atomix.SuperAdminInput{Name: "X", Email: "x@example.com", Password: "short"}); core.ErrorCode(err) != core.Invalid {
		t.Errorf("a short password: got %v, want invalid", err)
	}
}
