package atomix_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/settings"
)

// auditOf returns the entries of action as "target outcome code", sorted.
func auditOf(t *testing.T, w *authzWorld, action string) []string {
	t.Helper()
	pg, err := w.p.Audit(w.sys, atomix.AuditQuery{Page: core.PageRequest{Page: 1, Limit: core.MaxLimit}})
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	var out []string
	for _, e := range pg.Items {
		if e.Action == action {
			out = append(out, e.ActorID+" "+e.Target+" "+string(e.Outcome)+" "+e.Code)
		}
	}
	slices.Sort(out)
	return out
}

// TestSettingsAccess checks that the platform's settings are the
// platform's alone: read with settings:view, changed with settings:edit,
// every change (refusals included) in the audit log.
func TestSettingsAccess(t *testing.T) {
	w := newAuthzWorld(t)
	viewer := access.WithActor(context.Background(), access.Actor{Kind: access.ActorUser, ID: "usr_viewer", Role: "auditor",
		Scope: access.Scope{Kind: access.ScopePlatform}, Perms: access.MustCompile("settings:view")})
	editor := access.WithActor(context.Background(), access.Actor{Kind: access.ActorUser, ID: "usr_editor", Role: "branding",
		Scope: access.Scope{Kind: access.ScopePlatform}, Perms: access.MustCompile("settings:*")})
	name := "Renamed"
	patch := settings.Patch{Branding: &settings.BrandingPatch{DisplayName: &name}}
	tests := []struct {
		name             string
		ctx              context.Context
		getCode, setCode core.Code
	}{
		{"no actor", context.Background(), core.Unauthenticated, core.Unauthenticated},
		{"the system", w.sys, "", ""},
		{"a platform user with settings:view", viewer, "", core.Forbidden},
		{"a platform user with settings:*", editor, "", ""},
		{"a distributor admin", w.as(t, w.distUser), core.Forbidden, core.Forbidden},
		{"a partner admin", w.as(t, w.prUser), core.Forbidden, core.Forbidden},
		{"a tenant admin", w.as(t, w.adminA), core.Forbidden, core.Forbidden},
	}
	for _, tt := range tests {
		_, err := w.p.Settings(tt.ctx)
		wantAuthz(t, tt.name+" reading", err, tt.getCode)
		s, err := w.p.UpdateSettings(tt.ctx, patch)
		wantAuthz(t, tt.name+" changing", err, tt.setCode)
		if err == nil && s.Branding.DisplayName != name {
			t.Errorf("%s: got display name %q, want %q", tt.name, s.Branding.DisplayName, name)
		}
	}
	got := auditOf(t, w, "settings.update")
	want := []string{
		" settings denied unauthenticated",
		"system settings succeeded ",
		"usr_editor settings succeeded ",
		"usr_viewer settings denied forbidden",
		w.adminA + " settings denied forbidden",
		w.distUser + " settings denied forbidden",
		w.prUser + " settings denied forbidden",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("settings.update entries: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAccountAccess checks the account methods: the user itself manages
// its password, TOTP and sessions; an administrator in scope only
// disables TOTP; outside the scope the user does not exist; and every call
// is in the audit log.
func TestAccountAccess(t *testing.T) {
	w := newAuthzWorld(t)
	member, admin := w.as(t, w.memberA), w.as(t, w.adminA)
	if err := w.p.Identity().SetPassword(w.sys, w.a, w.memberA, "the first long secret"); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	// The user itself.
	if err := w.p.ChangePassword(member, w.memberA, "the first long secret", "the second long secret"); err != nil {
		t.Fatalf("ChangePassword by the user: %v", err)
	}
	if _, err := w.p.EnrollTOTP(member, w.memberA); err != nil {
		t.Fatalf("EnrollTOTP by the user: %v", err)
	}
	_, err := w.p.ConfirmTOTP(member, w.memberA, "000000x")
	wantAuthz(t, "ConfirmTOTP with a malformed code", err, core.TOTPInvalid)
	// Others.
	wantAuthz(t, "ChangePassword by the tenant admin", w.p.ChangePassword(admin, w.memberA, "x", "the third long secret"), core.Forbidden)
	_, err = w.p.EnrollTOTP(admin, w.memberA)
	wantAuthz(t, "EnrollTOTP by the tenant admin", err, core.Forbidden)
	_, err = w.p.EnrollTOTP(w.as(t, w.adminA), w.b)
	wantAuthz(t, "EnrollTOTP of a tenant ID", err, core.NotFound)
	wantAuthz(t, "ChangePassword by a distributor admin on a partner admin", w.p.ChangePassword(w.as(t, w.distUser), w.prUser, "x", "y long secret"), core.NotFound)
	wantAuthz(t, "DisableTOTP by a member on its admin", w.p.DisableTOTP(member, w.adminA), core.Forbidden)
	if err := w.p.DisableTOTP(admin, w.memberA); err != nil {
		t.Errorf("DisableTOTP by the tenant admin: %v", err)
	}
	wantAuthz(t, "Logout of another user", w.p.Logout(admin, identity.LogoutInput{Principal: identity.Claims{Subject: w.memberA, TenantID: w.a}}), core.Forbidden)
	wantAuthz(t, "Logout by the system", w.p.Logout(w.sys, identity.LogoutInput{Principal: identity.Claims{Subject: w.memberA, TenantID: w.a}}), core.Forbidden)

	tests := []struct {
		action string
		want   []string
	}{
		{"user.password", []string{
			w.adminA + " " + w.memberA + " denied forbidden",
			w.distUser + " " + w.prUser + " denied not_found",
			w.memberA + " " + w.memberA + " succeeded ",
		}},
		{"user.totp.enroll", []string{
			w.adminA + " " + w.b + " failed not_found", // no such user at all
			w.adminA + " " + w.memberA + " denied forbidden",
			w.memberA + " " + w.memberA + " succeeded ",
		}},
		{"user.totp.confirm", []string{w.memberA + " " + w.memberA + " failed totp_invalid"}},
		{"user.totp.disable", []string{
			w.adminA + " " + w.memberA + " succeeded ",
			w.memberA + " " + w.adminA + " denied forbidden",
		}},
		{"user.logout", []string{
			w.adminA + " " + w.memberA + " denied forbidden",
			"system " + w.memberA + " denied forbidden",
		}},
	}
	for _, tt := range tests {
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if got := auditOf(t, w, tt.action); !slices.Equal(got, want) {
			t.Errorf("%s entries: got\n%s\nwant\n%s", tt.action, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestTenantSettings checks a tenant's own settings: reached like its
// tenant record, validated within what the platform allows, audited, and
// enforced at its users' password login at once.
func TestTenantSettings(t *testing.T) {
	w := newAuthzWorld(t)
	for _, u := range []struct{ tenant, user string }{{w.a, w.memberA}, {w.a, w.adminA}} {
		if err := w.p.Identity().SetPassword(w.sys, u.tenant, u.user, "a long enough secret"); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
	}
	memberB, err := w.p.Identity().CreateUser(w.sys, identity.CreateUserInput{TenantID: w.b, Name: "Bee", Email: "bee@bravo.example.com",
		Role: identity.RoleTenantMember, Password: "a long enough secret"})
	if err != nil {
		t.Fatalf("CreateUser in B: %v", err)
	}
	login := func(tenantID, email string) error {
		_, err := w.p.Identity().Login(context.Background(), identity.LoginInput{Email: email, Password: "a long enough secret", TenantID: tenantID})
		return err
	}
	off, on, color, bad := false, true, "#1a73e8", "blue"
	passwordOff := settings.TenantPatch{
		Branding: &settings.BrandingPatch{PrimaryColor: &color},
		Identity: &settings.TenantIdentityPatch{LoginMethods: &settings.LoginMethodsPatch{Password: &off}},
	}
	admin := w.as(t, w.adminA)

	// Access, as for the tenant record.
	access := []struct {
		name             string
		ctx              context.Context
		tenantID         string
		getCode, setCode core.Code
	}{
		{"the admin of A on B", admin, w.b, core.NotFound, core.NotFound},
		{"a member of A", w.as(t, w.memberA), w.a, "", core.Forbidden},
		{"the partner of A's tree on B", w.as(t, w.prUser), w.b, core.NotFound, core.NotFound},
		{"the distributor of A's tree", w.as(t, w.distUser), w.a, "", ""},
		{"the admin of A", admin, w.a, "", ""},
	}
	for _, tt := range access {
		_, err := w.p.TenantSettings(tt.ctx, tt.tenantID)
		wantAuthz(t, tt.name+" reading", err, tt.getCode)
		_, err = w.p.UpdateTenantSettings(tt.ctx, tt.tenantID, passwordOff)
		wantAuthz(t, tt.name+" changing", err, tt.setCode)
	}

	s, err := w.p.TenantSettings(admin, w.a)
	if err != nil {
		t.Fatal(err)
	}
	want := settings.LoginMethods{Password: false, OTP: true, Federated: false} // federated is off on the platform
	if s.TenantID != w.a || s.Branding.PrimaryColor != color || s.Identity.Effective != want || s.Version != 2 {
		t.Errorf("A's settings: got %+v, want %s, %s, effective %+v, version 2", s, w.a, color, want)
	}
	if b, err := w.p.TenantSettings(w.sys, w.b); err != nil || b.Version != 0 || !b.Identity.Effective.Password {
		t.Errorf("B's settings: got %+v (%v), want the defaults with password on", b, err)
	}

	// Enforced at login, for A's users only.
	wantAuthz(t, "a member of A logging in with a password", login(w.a, "member@alpha.example.com"), core.Forbidden)
	wantAuthz(t, "a member of B logging in with a password", login(w.b, memberB.Email), "")

	// Within what the platform allows.
	_, err = w.p.UpdateTenantSettings(admin, w.a, settings.TenantPatch{
		Branding: &settings.BrandingPatch{PrimaryColor: &bad},
		Identity: &settings.TenantIdentityPatch{LoginMethods: &settings.LoginMethodsPatch{OTP: &off}},
	})
	if got := fieldNames(t, err); !slices.Equal(got, []string{"branding.primaryColor", "identity.loginMethods"}) {
		t.Errorf("a bad colour and no method left: got fields %v, want branding.primaryColor, identity.loginMethods", got)
	}
	if _, err := w.p.UpdateTenantSettings(admin, w.a, settings.TenantPatch{
		Identity: &settings.TenantIdentityPatch{LoginMethods: &settings.LoginMethodsPatch{Password: &on}},
	}); err != nil {
		t.Fatalf("turning password login back on: %v", err)
	}
	wantAuthz(t, "a member of A logging in after password login is back", login(w.a, "member@alpha.example.com"), "")

	got := auditOf(t, w, "tenant.settings.update")
	wantAudit := []string{
		w.adminA + " " + w.b + " denied not_found",
		w.memberA + " " + w.a + " denied forbidden",
		w.prUser + " " + w.b + " denied not_found",
		w.distUser + " " + w.a + " succeeded ",
		w.adminA + " " + w.a + " succeeded ",
		w.adminA + " " + w.a + " failed invalid",
		w.adminA + " " + w.a + " succeeded ",
	}
	slices.Sort(wantAudit)
	if !slices.Equal(got, wantAudit) {
		t.Errorf("tenant.settings.update entries: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantAudit, "\n"))
	}
}
