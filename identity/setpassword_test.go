package identity_test

import (
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

// invited creates a tenant user without a password, as a tenant admin
// created without one is.
func invited(t *testing.T, e *env, tenantID, email string) identity.User {
	t.Helper()
	in := identity.CreateUserInput{TenantID: tenantID, Name: "Invited", Email: email, Role: identity.RoleTenantAdmin}
	if tenantID == "" {
		in.Scope, in.Role = identity.Scope{Kind: identity.ScopePlatform}, identity.RoleSuperAdmin
	}
	u, err := e.s.CreateUser(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func TestSetPasswordToken(t *testing.T) {
	e := newEnv(t)
	u := invited(t, e, tenantA, "a@example.com")
	// Without a password, nothing logs in.
	_, err := e.s.Login(t.Context(), identity.LoginInput{Email: u.Email, Password: pass, TenantID: tenantA})
	wantCode(t, "Login before a password is set", err, core.Unauthenticated)

	it, err := e.s.IssueSetPasswordToken(t.Context(), tenantA, u.ID)
	if err != nil {
		t.Fatalf("IssueSetPasswordToken: got error %v, want nil", err)
	}
	if !strings.HasPrefix(it.Token, "pst_") || !strings.HasSuffix(it.Token, "."+tenantA) ||
		!it.ExpiresAt.Equal(e.clock.Now().Add(identity.DefaultSetPasswordTokenTTL)) {
		t.Errorf("issued: got %+v, want a pst_ token of %s expiring in %s", it, tenantA, identity.DefaultSetPasswordTokenTTL)
	}
	// A weak password is refused without spending the token.
	_, err = e.s.UsePasswordToken(t.Context(), it.Token, "short")
	wantCode(t, "UsePasswordToken with a short password", err, core.Invalid)
	got, err := e.s.UsePasswordToken(t.Context(), it.Token, pass)
	if err != nil || got.ID != u.ID || got.PasswordHash != "" {
		t.Fatalf("UsePasswordToken: got %+v, %v, want the user without its hash", got, err)
	}
	e.login(t, u)
	_, err = e.s.UsePasswordToken(t.Context(), it.Token, "another password")
	wantCode(t, "UsePasswordToken twice", err, core.Unauthenticated)
	e.login(t, u) // the password did not change
}

func TestSetPasswordTokenRefusals(t *testing.T) {
	e := newEnv(t)
	u := invited(t, e, tenantA, "a@example.com")
	staff := invited(t, e, "", "staff@example.com")
	issue := func(tenantID, id string) string {
		t.Helper()
		it, err := e.s.IssueSetPasswordToken(t.Context(), tenantID, id)
		if err != nil {
			t.Fatalf("IssueSetPasswordToken: %v", err)
		}
		return it.Token
	}
	_, ref := e.s.UsePasswordToken(t.Context(), "pst_garbage", pass)
	wantCode(t, "UsePasswordToken(pst_garbage)", ref, core.Unauthenticated)

	replaced := issue(tenantA, u.ID)
	current := issue(tenantA, u.ID)
	_, err := e.s.UsePasswordToken(t.Context(), replaced, pass)
	wantRefusal(t, "a replaced token", err, ref)

	secretPart := strings.TrimSuffix(strings.TrimPrefix(current, "pst_"), "."+tenantA)
	for _, tc := range []struct{ name, token string }{
		{"moved to another tenant", "pst_" + secretPart + "." + tenantB},
		{"moved out of its tenant", "pst_" + secretPart},
		{"a refresh token's prefix", "rt_" + secretPart + "." + tenantA},
		{"empty", ""},
	} {
		_, err := e.s.UsePasswordToken(t.Context(), tc.token, pass)
		wantRefusal(t, tc.name, err, ref)
	}

	staffToken := issue("", staff.ID)
	if strings.Contains(staffToken, ".") {
		t.Errorf("a platform user's token %q names a tenant", staffToken)
	}
	if _, err := e.s.DisableUser(t.Context(), "", staff.ID); err != nil {
		t.Fatalf("DisableUser: %v", err)
	}
	_, err = e.s.UsePasswordToken(t.Context(), staffToken, pass)
	wantRefusal(t, "a disabled user's token", err, ref)

	e.clock.Advance(identity.DefaultSetPasswordTokenTTL)
	_, err = e.s.UsePasswordToken(t.Context(), current, pass)
	wantRefusal(t, "an expired token", err, ref)

	_, err = e.s.IssueSetPasswordToken(t.Context(), tenantB, u.ID)
	wantCode(t, "IssueSetPasswordToken in another tenant", err, core.NotFound)
	// Setting a password by any way ends the outstanding tokens.
	fresh := issue(tenantA, u.ID)
	if err := e.s.SetPassword(t.Context(), tenantA, u.ID, pass); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	_, err = e.s.UsePasswordToken(t.Context(), fresh, "another password")
	wantRefusal(t, "a token after SetPassword", err, ref)
}
