package identity_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/google/go-cmp/cmp"
)

func TestCreateUserValidation(t *testing.T) {
	valid := identity.CreateUserInput{TenantID: tenantA, Name: "Ayşe", Email: "ayse@example.com", Role: identity.RoleTenantMember}
	tests := []struct {
		name  string
		edit  func(*identity.CreateUserInput)
		field string // "" means valid
	}{
		{"valid tenant member", func(*identity.CreateUserInput) {}, ""},
		{"valid with phone and grants", func(in *identity.CreateUserInput) {
			in.Phone, in.Permissions = "+905321234567", []string{"task:*", "wireframe:view", "task:*"}
		}, ""},
		{"valid super admin", func(in *identity.CreateUserInput) {
			in.TenantID, in.Scope, in.Role = "", identity.Scope{Kind: identity.ScopePlatform}, identity.RoleSuperAdmin
		}, ""},
		{"valid distributor admin", func(in *identity.CreateUserInput) {
			in.TenantID, in.Scope, in.Role = "", identity.Scope{Kind: identity.ScopeDistributor, ID: "dist_acme"}, identity.RoleDistributorAdmin
		}, ""},
		{"valid partner admin", func(in *identity.CreateUserInput) {
			in.TenantID, in.Scope, in.Role = "", identity.Scope{Kind: identity.ScopePartner, ID: "prt_acme"}, identity.RolePartnerAdmin
		}, ""},
		{"no name", func(in *identity.CreateUserInput) { in.Name = "  " }, "name"},
		{"long name", func(in *identity.CreateUserInput) { in.Name = strings.Repeat("ş", identity.MaxNameLen+1) }, "name"},
		{"control in name", func(in *identity.CreateUserInput) { in.Name = "a\nb" }, "name"},
		{"bad email", func(in *identity.CreateUserInput) { in.Email = "not-an-email" }, "email"},
		{"email with display name", func(in *identity.CreateUserInput) { in.Email = "Ayşe <ayse@example.com>" }, "email"},
		{"bad phone", func(in *identity.CreateUserInput) { in.Phone = "05321234567" }, "phone"},
		{"unknown role", func(in *identity.CreateUserInput) { in.Role = "owner" }, "role"},
		{"platform role in a tenant", func(in *identity.CreateUserInput) { in.Role = identity.RoleSuperAdmin }, "role"},
		{"bad tenant ID", func(in *identity.CreateUserInput) { in.TenantID = "acme"; in.Scope = identity.Scope{} }, "tenantId"},
		{"tenant user with another scope", func(in *identity.CreateUserInput) {
			in.Scope = identity.Scope{Kind: identity.ScopeTenant, ID: tenantB}
		}, "scope"},
		{"tenant scope without a tenant", func(in *identity.CreateUserInput) {
			in.TenantID, in.Scope = "", identity.Scope{Kind: identity.ScopeTenant, ID: tenantA}
		}, "tenantId"},
		{"no scope without a tenant", func(in *identity.CreateUserInput) { in.TenantID = "" }, "scope"},
		{"tenant role on the platform", func(in *identity.CreateUserInput) {
			in.TenantID, in.Scope = "", identity.Scope{Kind: identity.ScopePlatform}
		}, "role"},
		{"platform scope with an ID", func(in *identity.CreateUserInput) {
			in.TenantID, in.Scope, in.Role = "", identity.Scope{Kind: identity.ScopePlatform, ID: "x"}, identity.RoleSuperAdmin
		}, "scope"},
		{"distributor without its ID", func(in *identity.CreateUserInput) {
			in.TenantID, in.Scope, in.Role = "", identity.Scope{Kind: identity.ScopeDistributor}, identity.RoleDistributorAdmin
		}, "scope"},
		{"partner role for a distributor", func(in *identity.CreateUserInput) {
			in.TenantID, in.Scope, in.Role = "", identity.Scope{Kind: identity.ScopeDistributor, ID: "dist_a"}, identity.RolePartnerAdmin
		}, "role"},
		{"bad grant", func(in *identity.CreateUserInput) { in.Permissions = []string{"task view"} }, "permissions"},
		{"empty grant", func(in *identity.CreateUserInput) { in.Permissions = []string{""} }, "permissions"},
		{"too many grants", func(in *identity.CreateUserInput) {
			for i := range identity.MaxPermissions + 1 {
				in.Permissions = append(in.Permissions, fmt.Sprintf("p:%d", i))
			}
		}, "permissions"},
		{"short password", func(in *identity.CreateUserInput) { in.Password = "short" }, "password"},
		{"common password", func(in *identity.CreateUserInput) { in.Password = "Password1" }, "password"},
		{"password is the email", func(in *identity.CreateUserInput) { in.Password = "AYSE@example.com" }, "password"},
		{"valid with a password", func(in *identity.CreateUserInput) { in.Password = pass }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			in := valid
			tt.edit(&in)
			u, err := e.s.CreateUser(t.Context(), in)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("CreateUser: got error %v, want nil", err)
				}
				if u.Status != identity.StatusActive || !core.ValidID(core.PrefixUser, u.ID) || u.PasswordHash != "" {
					t.Errorf("CreateUser: got status %q, ID %q, hash %q; want active, a usr_ ID, no hash", u.Status, u.ID, u.PasswordHash)
				}
				return
			}
			wantCode(t, "CreateUser", err, core.Invalid)
			if !hasField(err, tt.field) {
				t.Errorf("CreateUser: got fields %v, want %q among them", fieldsOf(err), tt.field)
			}
			if n, _ := e.s.CountUsers(t.Context(), in.TenantID); n != 0 {
				t.Errorf("CountUsers after a refused create: got %d, want 0", n)
			}
		})
	}
}

func TestCreateUserStoresWhatItReturns(t *testing.T) {
	e := newEnv(t)
	in := identity.CreateUserInput{
		TenantID: tenantA, Name: "  Ayşe Demir ", Email: " Ayse@Example.com ", Phone: "+905321234567",
		Role: identity.RoleTenantAdmin, Permissions: []string{"task:*", "task:*", "wireframe:view"}, Password: pass,
	}
	u, err := e.s.CreateUser(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateUser: got error %v, want nil", err)
	}
	want := identity.User{
		ID: u.ID, TenantID: tenantA, Scope: identity.Scope{Kind: identity.ScopeTenant, ID: tenantA}, Name: "Ayşe Demir",
		Email: "Ayse@Example.com", Phone: "+905321234567", Role: identity.RoleTenantAdmin,
		Permissions: []string{"task:*", "wireframe:view"}, Status: identity.StatusActive,
		CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now(),
	}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("CreateUser result mismatch (-want +got):\n%s", diff)
	}
	got, err := e.s.GetUser(t.Context(), tenantA, u.ID)
	if err != nil {
		t.Fatalf("GetUser: got error %v, want nil", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetUser mismatch (-want +got):\n%s", diff)
	}
	// The store holds an argon2id hash; the service never hands it out.
	stored, err := e.store.GetUser(t.Context(), tenantA, u.ID)
	if err != nil {
		t.Fatalf("store GetUser: got error %v, want nil", err)
	}
	if !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(stored.PasswordHash, pass) {
		t.Errorf("stored hash: got %q, want an argon2id hash with the configured parameters", stored.PasswordHash)
	}
	found, err := e.s.FindUser(t.Context(), u.ID)
	if err != nil || found.PasswordHash != "" || found.ID != u.ID {
		t.Errorf("FindUser: got %+v, %v; want the user without its hash", found, err)
	}
}

func TestEmailUniquePerTenant(t *testing.T) {
	e := newEnv(t)
	e.user(t, tenantA, "Owner@Example.com")
	for _, email := range []string{"owner@example.com", "OWNER@EXAMPLE.COM"} {
		_, err := e.s.CreateUser(t.Context(), identity.CreateUserInput{TenantID: tenantA, Name: "X", Email: email, Role: identity.RoleTenantMember})
		wantCode(t, "CreateUser with "+email, err, core.EmailTaken)
		if core.ErrorCode(err).Class() != core.Conflict {
			t.Errorf("class of %q: got %q, want %q", core.ErrorCode(err), core.ErrorCode(err).Class(), core.Conflict)
		}
	}
	// Another tenant, and the platform's users, are other groups.
	e.user(t, tenantB, "owner@example.com")
	e.user(t, "", "owner@example.com")
	_, err := e.s.CreateUser(t.Context(), identity.CreateUserInput{
		Scope: identity.Scope{Kind: identity.ScopePartner, ID: "prt_x"}, Name: "X", Email: "OWNER@example.com", Role: identity.RolePartnerAdmin,
	})
	wantCode(t, "CreateUser of a reseller with a platform user's email", err, core.EmailTaken)
}

func TestGetUserOfAnotherTenant(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	for _, tc := range []struct{ tenantID, id string }{
		{tenantB, u.ID}, {"", u.ID}, {tenantA, "usr_nobody"}, {tenantA, "not-an-id"}, {"bad", u.ID},
	} {
		_, err := e.s.GetUser(t.Context(), tc.tenantID, tc.id)
		wantCode(t, "GetUser("+tc.tenantID+", "+tc.id+")", err, core.NotFound)
	}
	_, err := e.s.FindUser(t.Context(), "bad")
	wantCode(t, "FindUser of a malformed ID", err, core.NotFound)
}

func TestUpdateUser(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	other := e.user(t, tenantA, "b@example.com")
	e.clock.Advance(1000)
	name, email, phone, role := "New Name", "New@example.com", "+4930123456", identity.RoleTenantMember
	perms := []string{"x:y", "x:y"}
	got, err := e.s.UpdateUser(t.Context(), tenantA, u.ID, identity.UpdateUserInput{Name: &name, Email: &email, Phone: &phone, Role: &role, Permissions: &perms})
	if err != nil {
		t.Fatalf("UpdateUser: got error %v, want nil", err)
	}
	want := u
	want.Name, want.Email, want.Phone, want.Role, want.Permissions = name, email, phone, role, []string{"x:y"}
	want.UpdatedAt = e.clock.Now()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UpdateUser mismatch (-want +got):\n%s", diff)
	}
	// The password still works after a profile change.
	e.login(t, got)
	want, _ = e.s.GetUser(t.Context(), tenantA, u.ID)

	for _, tc := range []struct {
		name string
		in   identity.UpdateUserInput
		code core.Code
	}{
		{"taken email", identity.UpdateUserInput{Email: new("B@EXAMPLE.com")}, core.EmailTaken},
		{"bad email", identity.UpdateUserInput{Email: new("nope")}, core.Invalid},
		{"platform role", identity.UpdateUserInput{Role: new(identity.RoleSuperAdmin)}, core.Invalid},
		{"empty name", identity.UpdateUserInput{Name: new("")}, core.Invalid},
	} {
		_, err := e.s.UpdateUser(t.Context(), tenantA, u.ID, tc.in)
		wantCode(t, "UpdateUser with "+tc.name, err, tc.code)
	}
	_, err = e.s.UpdateUser(t.Context(), tenantB, other.ID, identity.UpdateUserInput{Name: &name})
	wantCode(t, "UpdateUser in another tenant", err, core.NotFound)
	if cur, _ := e.s.GetUser(t.Context(), tenantA, u.ID); !cmp.Equal(want, cur) {
		t.Errorf("user after refused updates: got %+v, want %+v", cur, want)
	}
}

func TestListAndCountUsers(t *testing.T) {
	e := newEnv(t)
	var want []string
	for i := range 5 {
		want = append(want, e.user(t, tenantA, string(rune('a'+i))+"@example.com").ID)
		e.clock.Advance(1000)
	}
	e.user(t, tenantB, "z@example.com")
	page, err := e.s.ListUsers(t.Context(), tenantA, core.PageRequest{Page: 2, Limit: 2})
	if err != nil {
		t.Fatalf("ListUsers: got error %v, want nil", err)
	}
	var got []string
	for _, u := range page.Items {
		got = append(got, u.ID)
		if u.PasswordHash != "" {
			t.Errorf("ListUsers item %s carries its password hash", u.ID)
		}
	}
	if diff := cmp.Diff(want[2:4], got); diff != "" || page.Total != 5 || page.TotalPages != 3 {
		t.Errorf("ListUsers page 2: got total %d, pages %d; IDs (-want +got):\n%s", page.Total, page.TotalPages, diff)
	}
	_, err = e.s.ListUsers(t.Context(), tenantA, core.PageRequest{Limit: 1000})
	wantCode(t, "ListUsers with a bad limit", err, core.Invalid)
	if n, err := e.s.CountUsers(t.Context(), tenantB); n != 1 || err != nil {
		t.Errorf("CountUsers: got %d, %v, want 1, nil", n, err)
	}
}

func TestDisableEnableDeleteUser(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	r1, r2 := e.login(t, u), e.login(t, u)
	d, err := e.s.DisableUser(t.Context(), tenantA, u.ID)
	if err != nil || d.Status != identity.StatusDisabled {
		t.Fatalf("DisableUser: got %q, %v, want disabled, nil", d.Status, err)
	}
	for i, r := range []identity.TokenResponse{r1, r2} {
		_, err := e.refresh(r.RefreshToken)
		wantCode(t, "Refresh of a session of a disabled user "+string(rune('1'+i)), err, core.Unauthenticated)
	}
	_, err = e.s.Login(t.Context(), identity.LoginInput{Email: u.Email, Password: pass, TenantID: tenantA})
	wantCode(t, "Login of a disabled user", err, core.Unauthenticated)

	if a, err := e.s.EnableUser(t.Context(), tenantA, u.ID); err != nil || a.Status != identity.StatusActive {
		t.Fatalf("EnableUser: got %q, %v, want active, nil", a.Status, err)
	}
	// Enabling brings no revoked session back.
	_, err = e.refresh(r1.RefreshToken)
	wantCode(t, "Refresh of a revoked session after enabling", err, core.Unauthenticated)
	r3 := e.login(t, u)

	if err := e.s.DeleteUser(t.Context(), tenantA, u.ID); err != nil {
		t.Fatalf("DeleteUser: got error %v, want nil", err)
	}
	_, err = e.refresh(r3.RefreshToken)
	wantCode(t, "Refresh of a deleted user's session", err, core.Unauthenticated)
	wantCode(t, "DeleteUser twice", e.s.DeleteUser(t.Context(), tenantA, u.ID), core.NotFound)
	_, err = e.s.DisableUser(t.Context(), tenantA, u.ID)
	wantCode(t, "DisableUser of a deleted user", err, core.NotFound)
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		pw, email string
		ok        bool
	}{
		{"12345678a", "", true},
		{"correct horse", "a@b.co", true},
		{"ŞşĞğÜüÖö", "", true},                 // 8 characters, 16 bytes
		{"ﬃﬃﬃﬃ", "", true},                     // NFKC makes 12 characters of 4
		{"1234567", "", false},                 // 7 characters
		{"ŞşĞğÜüÖ", "", false},                 // 7 characters, 14 bytes
		{strings.Repeat("x", 64), "", true},    // NIST: allow at least 64
		{strings.Repeat("x", 1024), "", true},  // the byte cap
		{strings.Repeat("x", 1025), "", false}, // over the cap
		{"no\xffutf8!", "", false},             // not UTF-8
		{"password", "", false},                // common
		{"QWERTYUIOP", "", false},              // common, any case
		{"jane.doe@example.com", "Jane.Doe@example.com", false},
		{"jane.doe", "jane.doe@example.com", false}, // the local part
		{"aaaaaaaa", "", true},                      // no composition rules
		{"        ", "", true},                      // spaces are characters
	}
	for _, tt := range tests {
		if got := identity.ValidatePassword(tt.pw, tt.email) == ""; got != tt.ok {
			t.Errorf("ValidatePassword(%q, %q): got ok %t, want %t (%q)", tt.pw, tt.email, got, tt.ok, identity.ValidatePassword(tt.pw, tt.email))
		}
	}
}

func TestHashPasswordBeforeATransaction(t *testing.T) {
	e := newEnv(t)
	h, err := e.s.HashPassword(t.Context(), pass, "a@example.com")
	if err != nil || h.IsZero() {
		t.Fatalf("HashPassword: got %v, %v, want a hash", h, err)
	}
	_, err = e.s.HashPassword(t.Context(), "short", "")
	wantCode(t, "HashPassword of a short password", err, core.Invalid)
	before := e.s.HashStats().Hashes
	u, err := e.s.CreateUser(t.Context(), identity.CreateUserInput{TenantID: tenantA, Name: "A", Email: "a@example.com", Role: identity.RoleTenantAdmin, PasswordHash: h})
	if err != nil {
		t.Fatalf("CreateUser with a hash: got error %v, want nil", err)
	}
	if got := e.s.HashStats().Hashes; got != before {
		t.Errorf("hashes made by CreateUser with a ready hash: got %d, want 0", got-before)
	}
	e.login(t, u)
	_, err = e.s.CreateUser(t.Context(), identity.CreateUserInput{TenantID: tenantA, Name: "B", Email: "b@example.com", Role: identity.RoleTenantAdmin, PasswordHash: h, Password: pass})
	wantCode(t, "CreateUser with a password and a hash", err, core.Invalid)
}

func TestSetAndChangePassword(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	r := e.login(t, u)
	const next = "a much newer secret"

	err := e.s.ChangePassword(t.Context(), tenantA, u.ID, "wrong password!", next)
	wantCode(t, "ChangePassword with a wrong old password", err, core.Unauthenticated)
	err = e.s.ChangePassword(t.Context(), tenantA, u.ID, pass, "short")
	wantCode(t, "ChangePassword to a short password", err, core.Invalid)
	if !hasField(err, "newPassword") {
		t.Errorf("ChangePassword fields: got %v, want newPassword", fieldsOf(err))
	}
	// Neither touched the session.
	r, err = e.refresh(r.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh after refused changes: got error %v, want nil", err)
	}
	if err := e.s.ChangePassword(t.Context(), tenantA, u.ID, pass, next); err != nil {
		t.Fatalf("ChangePassword: got error %v, want nil", err)
	}
	_, err = e.refresh(r.RefreshToken)
	wantCode(t, "Refresh after a password change", err, core.Unauthenticated)
	_, err = e.s.Login(t.Context(), identity.LoginInput{Email: u.Email, Password: pass, TenantID: tenantA})
	wantCode(t, "Login with the old password", err, core.Unauthenticated)
	r, err = e.s.Login(t.Context(), identity.LoginInput{Email: u.Email, Password: next, TenantID: tenantA})
	if err != nil {
		t.Fatalf("Login with the new password: got error %v, want nil", err)
	}

	// An administrator's reset needs no old password, and ends sessions.
	if err := e.s.SetPassword(t.Context(), tenantA, u.ID, pass); err != nil {
		t.Fatalf("SetPassword: got error %v, want nil", err)
	}
	_, err = e.refresh(r.RefreshToken)
	wantCode(t, "Refresh after SetPassword", err, core.Unauthenticated)
	e.login(t, u)
	wantCode(t, "SetPassword too short", e.s.SetPassword(t.Context(), tenantA, u.ID, "x"), core.Invalid)
	wantCode(t, "SetPassword in another tenant", e.s.SetPassword(t.Context(), tenantB, u.ID, pass), core.NotFound)
}
