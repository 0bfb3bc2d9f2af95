package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// Goroutine counts of the identity concurrency tests.
const (
	raceEmailCreators = 50 // creators racing for one email
	raceRefreshRounds = 10 // rounds of two rotations of one token
	raceCounters      = 20 // failures recorded at once on one counter
	raceSpenders      = 10 // spenders of one recovery code, TOTP step or set-password token
)

// RunIdentity checks the identity.Store part of a store: users, refresh
// families and tokens, set-password tokens, signing keys, TOTP state and
// failure counters round-trip exactly; uniqueness, not-found and
// conditional updates; a rolled-back transaction leaves nothing; and, under
// contention, one winner for one email, one token or one code.
func RunIdentity(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"UserRoundTrip", testUserRoundTrip},
		{"UserDuplicateID", testUserDuplicateID},
		{"UserDuplicateEmail", testUserDuplicateEmail},
		{"UserNotFound", testUserNotFound},
		{"UserUpdate", testUserUpdate},
		{"UserUpdateRefused", testUserUpdateRefused},
		{"UserDelete", testUserDelete},
		{"UserListAndCount", testUserListAndCount},
		{"TenantUserCount", testTenantUserCount},
		{"RefreshRoundTrip", testRefreshRoundTrip},
		{"RefreshRotate", testRefreshRotate},
		{"RefreshRevoke", testRefreshRevoke},
		{"RefreshDeleteFamilies", testRefreshDeleteFamilies},
		{"SetPasswordTokens", testSetPasswordTokens},
		{"SigningKeys", testSigningKeys},
		{"TOTP", testTOTP},
		{"RecoveryCodes", testRecoveryCodes},
		{"Attempts", testAttempts},
		{"IdentityRollback", testIdentityRollback},
		{"IdentityInTxReadsOwnWrites", testIdentityReadYourWrites},
		{"IdentityClosed", testIdentityClosed},
		{"ConcurrentCreateSameEmail", testConcurrentCreateSameEmail},
		{"ConcurrentRefreshRace", testConcurrentRefreshRace},
		{"ConcurrentRotateAndRevoke", testConcurrentRotateAndRevoke},
		{"ConcurrentCounters", testConcurrentCounters},
		{"ConcurrentSingleUse", testConcurrentSingleUse},
	})
}

// Fixtures.

const (
	tenantA = "tn_idalpha"
	tenantB = "tn_idbravo"
)

// userFixture returns a complete tenant user numbered n of tenantID: ID
// usr_<tenant suffix>_<n>, email user<n>@example.com.
func userFixture(tenantID string, n int) identity.User {
	return identity.User{
		ID:           fmt.Sprintf("usr_%s_%04d", strings.TrimPrefix(tenantID, "tn_"), n),
		TenantID:     tenantID,
		Scope:        identity.Scope{Kind: identity.ScopeTenant, ID: tenantID},
		Name:         fmt.Sprintf("User %04d", n),
		Email:        fmt.Sprintf("user%d@example.com", n),
		Phone:        "+905321234567",
		Role:         identity.RoleTenantMember,
		Permissions:  []string{"task:*", "wireframe:view"},
		Status:       identity.StatusActive,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		CreatedAt:    at(n),
		UpdatedAt:    at(n),
	}
}

// platformUser returns a user without a tenant, numbered n.
func platformUser(n int) identity.User {
	u := userFixture("", n)
	u.ID = fmt.Sprintf("usr_platform_%04d", n)
	u.Scope = identity.Scope{Kind: identity.ScopePlatform}
	u.Role = identity.RoleSuperAdmin
	return u
}

func createUsers(t *testing.T, s identity.Store, us ...identity.User) {
	t.Helper()
	for _, u := range us {
		if err := s.CreateUser(t.Context(), u); err != nil {
			t.Fatalf("CreateUser(%s): got error %v, want nil", u.ID, err)
		}
	}
}

func wantUser(t *testing.T, s identity.Store, want identity.User) {
	t.Helper()
	got, err := s.GetUser(t.Context(), want.TenantID, want.ID)
	if err != nil {
		t.Errorf("GetUser(%q, %s): got error %v, want nil", want.TenantID, want.ID, err)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetUser(%q, %s) mismatch (-want +got):\n%s", want.TenantID, want.ID, diff)
	}
}

func wantNoUser(t *testing.T, s identity.Store, tenantID, id string) {
	t.Helper()
	_, err := s.GetUser(t.Context(), tenantID, id)
	wantCode(t, fmt.Sprintf("GetUser(%q, %s)", tenantID, id), err, core.NotFound)
}

// session returns a family of the user numbered n and its first token,
// started at(n) and lasting a day (idle: an hour).
func session(u identity.User, n int) (identity.RefreshFamily, identity.RefreshToken) {
	f := identity.RefreshFamily{
		TenantID:  u.TenantID,
		ID:        fmt.Sprintf("fam_%s_%d", u.ID, n),
		UserID:    u.ID,
		CreatedAt: at(n),
		ExpiresAt: at(n).Add(24 * time.Hour),
	}
	return f, tokenIn(f, fmt.Sprintf("hash_%s_%d_0", u.ID, n), at(n))
}

// tokenIn returns a token of the family with the hash, created at created.
func tokenIn(f identity.RefreshFamily, hash string, created time.Time) identity.RefreshToken {
	return identity.RefreshToken{
		TenantID:  f.TenantID,
		Hash:      hash,
		KeyID:     "k1",
		FamilyID:  f.ID,
		UserID:    f.UserID,
		CreatedAt: created,
		ExpiresAt: created.Add(time.Hour),
	}
}

func createSession(t *testing.T, s identity.Store, f identity.RefreshFamily, first identity.RefreshToken) {
	t.Helper()
	if err := s.CreateRefreshFamily(t.Context(), f, first); err != nil {
		t.Fatalf("CreateRefreshFamily(%s): got error %v, want nil", f.ID, err)
	}
}

func wantToken(t *testing.T, s identity.Store, want identity.RefreshToken, wantFam identity.RefreshFamily) {
	t.Helper()
	got, fam, err := s.GetRefreshToken(t.Context(), want.TenantID, want.Hash)
	if err != nil {
		t.Errorf("GetRefreshToken(%q, %s): got error %v, want nil", want.TenantID, want.Hash, err)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetRefreshToken(%q, %s) token mismatch (-want +got):\n%s", want.TenantID, want.Hash, diff)
	}
	if diff := cmp.Diff(wantFam, fam); diff != "" {
		t.Errorf("GetRefreshToken(%q, %s) family mismatch (-want +got):\n%s", want.TenantID, want.Hash, diff)
	}
}

// wantFamily reads want's family back under its tenant and compares it.
func wantFamily(t *testing.T, s identity.Store, want identity.RefreshFamily) {
	t.Helper()
	got, err := s.GetRefreshFamily(t.Context(), want.TenantID, want.ID)
	if err != nil {
		t.Errorf("GetRefreshFamily(%q, %s): got error %v, want nil", want.TenantID, want.ID, err)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetRefreshFamily(%q, %s) mismatch (-want +got):\n%s", want.TenantID, want.ID, diff)
	}
}

func wantNoFamily(t *testing.T, s identity.Store, tenantID, id string) {
	t.Helper()
	_, err := s.GetRefreshFamily(t.Context(), tenantID, id)
	wantCode(t, fmt.Sprintf("GetRefreshFamily(%q, %s)", tenantID, id), err, core.NotFound)
}

func wantNoToken(t *testing.T, s identity.Store, tenantID, hash string) {
	t.Helper()
	_, _, err := s.GetRefreshToken(t.Context(), tenantID, hash)
	wantCode(t, fmt.Sprintf("GetRefreshToken(%q, %s)", tenantID, hash), err, core.NotFound)
}

// allUsers lists every user of the tenant, page by page.
func allUsers(t *testing.T, s identity.Store, tenantID string) []identity.User {
	t.Helper()
	var all []identity.User
	for p := 1; ; p++ {
		got, total, err := s.ListUsers(t.Context(), tenantID, core.PageRequest{Page: p, Limit: core.MaxLimit})
		if err != nil {
			t.Fatalf("ListUsers(%q): got error %v, want nil", tenantID, err)
		}
		all = append(all, got...)
		if len(got) == 0 || len(all) >= total {
			return all
		}
	}
}

func userIDs(us []identity.User) []string {
	return idsOf(us, func(u identity.User) string { return u.ID })
}

// Users.

func testUserRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	full := userFixture(tenantA, 1)
	full.Name = "Ünal Yılmaz"
	full.Email = "Ünal.Yilmaz@Example.COM"
	full.Role = identity.RoleTenantAdmin
	full.UpdatedAt = at(30)
	full.LastLoginAt = timePtr(at(31).Add(7 * time.Microsecond))

	minimal := identity.User{
		ID: "usr_min", TenantID: tenantA, Scope: identity.Scope{Kind: identity.ScopeTenant, ID: tenantA},
		Name: "M", Email: "m@example.com", Role: identity.RoleTenantMember, Status: identity.StatusDisabled,
		CreatedAt: at(2), UpdatedAt: at(2),
	}
	reseller := platformUser(3)
	reseller.Scope = identity.Scope{Kind: identity.ScopeDistributor, ID: "dist_acme"}
	reseller.Role = identity.RoleDistributorAdmin
	reseller.Permissions = nil

	all := []identity.User{full, minimal, reseller}
	createUsers(t, s, all...)
	for _, want := range all {
		wantUser(t, s, want)
		got, err := s.FindUser(ctx, want.ID)
		if err != nil {
			t.Errorf("FindUser(%s): got error %v, want nil", want.ID, err)
		} else if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("FindUser(%s) mismatch (-want +got):\n%s", want.ID, diff)
		}
		for _, email := range []string{want.Email, strings.ToUpper(want.Email), " " + strings.ToLower(want.Email) + " "} {
			got, err := s.GetUserByEmail(ctx, want.TenantID, email)
			if err != nil {
				t.Errorf("GetUserByEmail(%q, %q): got error %v, want nil", want.TenantID, email, err)
			} else if got.ID != want.ID {
				t.Errorf("GetUserByEmail(%q, %q): got user %s, want %s", want.TenantID, email, got.ID, want.ID)
			}
		}
	}
	if diff := cmp.Diff([]identity.User{full, minimal}, allUsers(t, s, tenantA)); diff != "" {
		t.Errorf("ListUsers(%q) mismatch (-want +got):\n%s", tenantA, diff)
	}
	if diff := cmp.Diff([]identity.User{reseller}, allUsers(t, s, "")); diff != "" {
		t.Errorf("ListUsers(\"\") mismatch (-want +got):\n%s", diff)
	}

	// What is returned is a copy.
	got, _ := s.GetUser(ctx, full.TenantID, full.ID)
	got.Permissions[0] = "changed"
	*got.LastLoginAt = at(99)
	wantUser(t, s, full)
}

func testUserDuplicateID(t *testing.T, s store.Store) {
	a := userFixture(tenantA, 1)
	createUsers(t, s, a)
	for _, tc := range []struct {
		name     string
		tenantID string
	}{{"same tenant", tenantA}, {"other tenant", tenantB}, {"no tenant", ""}} {
		dup := userFixture(tc.tenantID, 2)
		dup.ID = a.ID
		if tc.tenantID == "" {
			dup = platformUser(2)
			dup.ID = a.ID
		}
		wantCode(t, "CreateUser with a taken ID ("+tc.name+")", s.CreateUser(t.Context(), dup), core.Conflict)
		wantNoUser(t, s, tenantB, a.ID)
	}
	wantUser(t, s, a)
}

func testUserDuplicateEmail(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := userFixture(tenantA, 1)
	a.Email = "Owner@Example.com"
	createUsers(t, s, a)
	for i, email := range []string{"Owner@Example.com", "owner@example.com", "OWNER@EXAMPLE.COM"} {
		dup := userFixture(tenantA, 10+i)
		dup.Email = email
		wantCode(t, fmt.Sprintf("CreateUser with email %q", email), s.CreateUser(ctx, dup), core.EmailTaken)
		wantNoUser(t, s, tenantA, dup.ID)
	}
	// The same email in another tenant, and among users without a tenant,
	// is another login name.
	b := userFixture(tenantB, 2)
	b.Email = a.Email
	p := platformUser(3)
	p.Email = "OWNER@example.com"
	createUsers(t, s, b, p)
	p2 := platformUser(4)
	p2.Email = "owner@EXAMPLE.com"
	wantCode(t, "CreateUser without a tenant with a taken email", s.CreateUser(ctx, p2), core.EmailTaken)
	for _, u := range []identity.User{a, b, p} {
		got, err := s.GetUserByEmail(ctx, u.TenantID, "owner@example.com")
		if err != nil || got.ID != u.ID {
			t.Errorf("GetUserByEmail(%q): got %s, %v, want %s", u.TenantID, got.ID, err, u.ID)
		}
	}
}

func testUserNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := userFixture(tenantA, 1)
	createUsers(t, s, a)
	wantNoUser(t, s, tenantB, a.ID)
	wantNoUser(t, s, "", a.ID)
	wantNoUser(t, s, tenantA, "usr_idalpha_0002")
	_, err := s.FindUser(ctx, "usr_nobody")
	wantCode(t, "FindUser of an unknown ID", err, core.NotFound)
	_, err = s.GetUserByEmail(ctx, tenantB, a.Email)
	wantCode(t, "GetUserByEmail in another tenant", err, core.NotFound)
	_, err = s.UpdateUser(ctx, tenantB, a.ID, func(u identity.User) (identity.User, error) {
		u.Name = "Hijack"
		return u, nil
	})
	wantCode(t, "UpdateUser in another tenant", err, core.NotFound)
	wantCode(t, "DeleteUser in another tenant", s.DeleteUser(ctx, tenantB, a.ID), core.NotFound)
	wantUser(t, s, a)
}

func testUserUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := userFixture(tenantA, 1), userFixture(tenantA, 2)
	createUsers(t, s, a, b)

	want := a
	want.Name = "Renamed"
	want.Email = "New.Address@example.com"
	want.Phone = ""
	want.Role = identity.RoleTenantAdmin
	want.Permissions = []string{"billing:view"}
	want.Status = identity.StatusDisabled
	want.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=2$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
	want.UpdatedAt = at(40)
	want.LastLoginAt = timePtr(at(41))
	calls := 0
	got, err := s.UpdateUser(ctx, tenantA, a.ID, func(u identity.User) (identity.User, error) {
		calls++
		if diff := cmp.Diff(a, u); diff != "" {
			t.Errorf("updater input mismatch (-want +got):\n%s", diff)
		}
		return want, nil
	})
	if err != nil {
		t.Fatalf("UpdateUser: got error %v, want nil", err)
	}
	if calls != 1 {
		t.Errorf("updater calls: got %d, want 1", calls)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UpdateUser result mismatch (-want +got):\n%s", diff)
	}
	wantUser(t, s, want)
	// The old email is free, the new one taken.
	c := userFixture(tenantA, 3)
	c.Email = a.Email
	createUsers(t, s, c)
	d := userFixture(tenantA, 4)
	d.Email = "new.address@EXAMPLE.com"
	wantCode(t, "CreateUser with the updated email", s.CreateUser(ctx, d), core.EmailTaken)

	// Changing only the case of one's own email is not a collision.
	want.Email = "NEW.ADDRESS@example.com"
	if _, err := s.UpdateUser(ctx, tenantA, a.ID, func(u identity.User) (identity.User, error) {
		u.Email = want.Email
		return u, nil
	}); err != nil {
		t.Fatalf("UpdateUser (case of own email): got error %v, want nil", err)
	}
	wantUser(t, s, want)
	wantUser(t, s, b)
}

func testUserUpdateRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := userFixture(tenantA, 1), userFixture(tenantA, 2)
	createUsers(t, s, a, b)
	tests := []struct {
		name   string
		change func(u *identity.User)
		err    error
		code   core.Code
	}{
		{"updater error", func(u *identity.User) { u.Name = "Never" }, errSentinel, core.Internal},
		{"email of another user", func(u *identity.User) { u.Email = strings.ToUpper(b.Email) }, nil, core.EmailTaken},
		{"ID", func(u *identity.User) { u.ID = "usr_other" }, nil, core.Invalid},
		{"tenant", func(u *identity.User) { u.TenantID = tenantB }, nil, core.Invalid},
		{"creation time", func(u *identity.User) { u.CreatedAt = at(77) }, nil, core.Invalid},
	}
	for _, tc := range tests {
		_, err := s.UpdateUser(ctx, tenantA, a.ID, func(u identity.User) (identity.User, error) {
			tc.change(&u)
			return u, tc.err
		})
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: got error %v, want %v", tc.name, err, tc.err)
			}
		} else {
			wantCode(t, tc.name, err, tc.code)
		}
		wantUser(t, s, a)
		wantUser(t, s, b)
	}
}

func testUserDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := userFixture(tenantA, 1), userFixture(tenantA, 2)
	createUsers(t, s, a, b)
	// Everything a and b own.
	fa, ta := session(a, 1)
	fb, tb := session(b, 2)
	createSession(t, s, fa, ta)
	createSession(t, s, fb, tb)
	for _, u := range []identity.User{a, b} {
		if err := s.CreateSetPasswordToken(ctx, setToken(u, 5)); err != nil {
			t.Fatalf("CreateSetPasswordToken: got error %v, want nil", err)
		}
		if err := s.PutTOTP(ctx, totpFixture(u)); err != nil {
			t.Fatalf("PutTOTP: got error %v, want nil", err)
		}
		if ok, err := s.ConfirmTOTP(ctx, u.TenantID, u.ID, 10, at(6), []string{"rc1", "rc2"}); !ok || err != nil {
			t.Fatalf("ConfirmTOTP: got %t, %v, want true, nil", ok, err)
		}
		if _, err := s.RecordFailedAttempt(ctx, u.TenantID, u.ID, identity.AttemptTOTP, at(7)); err != nil {
			t.Fatalf("RecordFailedAttempt: got error %v, want nil", err)
		}
	}
	wantTOTPB, err := s.GetTOTP(ctx, b.TenantID, b.ID)
	if err != nil {
		t.Fatalf("GetTOTP: got error %v, want nil", err)
	}

	if err := s.DeleteUser(ctx, tenantA, a.ID); err != nil {
		t.Fatalf("DeleteUser: got error %v, want nil", err)
	}
	wantNoUser(t, s, tenantA, a.ID)
	if _, err := s.FindUser(ctx, a.ID); core.ErrorCode(err) != core.NotFound {
		t.Errorf("FindUser of a deleted user: got error %v, want code %q", err, core.NotFound)
	}
	wantNoToken(t, s, tenantA, ta.Hash)
	_, err = s.GetSetPasswordToken(ctx, tenantA, setToken(a, 5).Hash)
	wantCode(t, "GetSetPasswordToken of a deleted user", err, core.NotFound)
	_, err = s.GetTOTP(ctx, tenantA, a.ID)
	wantCode(t, "GetTOTP of a deleted user", err, core.NotFound)
	if got, err := s.GetAttempts(ctx, tenantA, a.ID, identity.AttemptTOTP); err != nil || got != (identity.Attempts{}) {
		t.Errorf("GetAttempts of a deleted user: got %+v, %v, want zero, nil", got, err)
	}
	if n, err := s.CountUsers(ctx, tenantA); n != 1 || err != nil {
		t.Errorf("CountUsers: got %d, %v, want 1, nil", n, err)
	}
	wantCode(t, "DeleteUser twice", s.DeleteUser(ctx, tenantA, a.ID), core.NotFound)

	// b keeps everything; a's email and ID are free again.
	wantUser(t, s, b)
	wantToken(t, s, tb, fb)
	if got, err := s.GetTOTP(ctx, b.TenantID, b.ID); err != nil {
		t.Errorf("GetTOTP(b): got error %v, want nil", err)
	} else if diff := cmp.Diff(wantTOTPB, got); diff != "" {
		t.Errorf("GetTOTP(b) mismatch (-want +got):\n%s", diff)
	}
	if got, err := s.GetAttempts(ctx, tenantA, b.ID, identity.AttemptTOTP); err != nil || got.Count != 1 {
		t.Errorf("GetAttempts(b): got %+v, %v, want a count of 1", got, err)
	}
	createUsers(t, s, a)
	wantUser(t, s, a)
}

// testTenantUserCount checks that every tenant read (GetTenant, each kind
// of ListTenants, UpdateTenant's answer) carries the number of the
// tenant's users, that users of other tenants and users without a tenant
// are not counted, that a rolled-back user is not, and that the count is
// never stored.
func testTenantUserCount(t *testing.T, s store.Store) {
	a, b, c := fixture(1), fixture(2), fixture(3)
	c.DeletedAt = timePtr(at(30))
	create(t, s, a, b, c)
	counts := map[string]int{a.ID: 3, b.ID: 1, c.ID: 0}
	for id, n := range counts {
		for i := range n {
			createUsers(t, s, userFixture(id, i+1))
		}
	}
	createUsers(t, s, platformUser(1), userFixture("tn_stnotenant", 1))
	check := func(what string) {
		t.Helper()
		for id, want := range counts {
			if got := get(t, s, id).UserCount; got != want {
				t.Errorf("%s: GetTenant(%s).UserCount: got %d, want %d", what, id, got, want)
			}
		}
		for _, f := range []tenant.Filter{{IncludeDeleted: true}, {Query: "tenant", IncludeDeleted: true}, {PlanID: "plan_starter", IncludeDeleted: true}} {
			got, _ := list(t, s, f)
			if len(got) != len(counts) {
				t.Errorf("%s: ListTenants(%+v): got %d tenants, want %d", what, f, len(got), len(counts))
			}
			for _, tn := range got {
				if tn.UserCount != counts[tn.ID] {
					t.Errorf("%s: ListTenants(%+v): %s UserCount: got %d, want %d", what, f, tn.ID, tn.UserCount, counts[tn.ID])
				}
			}
		}
	}
	check("after creating users")

	errRollback := errors.New("roll back")
	if err := s.InTx(t.Context(), func(tx store.Store) error {
		createUsers(t, tx, userFixture(b.ID, 50))
		if got := get(t, tx, b.ID).UserCount; got != 2 {
			t.Errorf("inside the transaction: GetTenant(%s).UserCount: got %d, want 2", b.ID, got)
		}
		return errRollback
	}); !errors.Is(err, errRollback) {
		t.Fatalf("InTx: got %v, want the rollback error", err)
	}
	check("after a rollback")

	out, err := s.UpdateTenant(t.Context(), a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.UserCount = 40
		x.Name += " Renamed"
		return x, nil
	})
	if err != nil || out.UserCount != 3 {
		t.Errorf("UpdateTenant: got UserCount %d, error %v, want 3, nil", out.UserCount, err)
	}
	if err := s.DeleteUser(t.Context(), a.ID, userFixture(a.ID, 2).ID); err != nil {
		t.Fatalf("DeleteUser: got %v, want nil", err)
	}
	counts[a.ID] = 2
	check("after deleting a user")
}

func testUserListAndCount(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Created out of order, with two at the same instant: the list is by
	// CreatedAt, then ID.
	var want []identity.User
	for _, n := range []int{5, 3, 9, 1, 7, 2, 8, 4, 6} {
		u := userFixture(tenantA, n)
		if n == 8 {
			u.CreatedAt, u.UpdatedAt = at(2), at(2)
		}
		createUsers(t, s, u)
		want = append(want, u)
	}
	createUsers(t, s, userFixture(tenantB, 1), platformUser(1))
	slices.SortFunc(want, func(a, b identity.User) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, tc := range []struct {
		page       core.PageRequest
		from, upto int
	}{
		{core.PageRequest{Page: 1, Limit: 4}, 0, 4},
		{core.PageRequest{Page: 2, Limit: 4}, 4, 8},
		{core.PageRequest{Page: 3, Limit: 4}, 8, 9},
		{core.PageRequest{Page: 4, Limit: 4}, 9, 9},
		{core.PageRequest{Page: 1, Limit: 100}, 0, 9},
	} {
		got, total, err := s.ListUsers(ctx, tenantA, tc.page)
		if err != nil {
			t.Fatalf("ListUsers(%+v): got error %v, want nil", tc.page, err)
		}
		if diff := cmp.Diff(userIDs(want[tc.from:tc.upto]), userIDs(got)); diff != "" || total != len(want) {
			t.Errorf("ListUsers(%+v): got total %d, want %d; IDs mismatch (-want +got):\n%s", tc.page, total, len(want), diff)
		}
	}
	for _, tc := range []struct {
		tenantID string
		want     int
	}{{tenantA, 9}, {tenantB, 1}, {"", 1}, {"tn_empty", 0}} {
		if n, err := s.CountUsers(ctx, tc.tenantID); n != tc.want || err != nil {
			t.Errorf("CountUsers(%q): got %d, %v, want %d, nil", tc.tenantID, n, err, tc.want)
		}
	}
	got, total, err := s.ListUsers(ctx, "tn_empty", core.PageRequest{Page: 1, Limit: 10})
	if err != nil || len(got) != 0 || total != 0 {
		t.Errorf("ListUsers of a tenant without users: got %d users, total %d, error %v; want none, 0, nil", len(got), total, err)
	}
}

// Refresh tokens.

func testRefreshRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := userFixture(tenantA, 1)
	p := platformUser(2)
	createUsers(t, s, a, p)
	fa, ta := session(a, 1)
	fp, tp := session(p, 2)
	fp.RevokedAt = timePtr(at(3))
	tp.UsedAt = timePtr(at(4).Add(3 * time.Microsecond))
	createSession(t, s, fa, ta)
	createSession(t, s, fp, tp)
	wantToken(t, s, ta, fa)
	wantToken(t, s, tp, fp)
	wantFamily(t, s, fa)
	wantFamily(t, s, fp)
	// A copy of what was read changes nothing stored.
	if got, err := s.GetRefreshFamily(ctx, "", fp.ID); err == nil && got.RevokedAt != nil {
		*got.RevokedAt = at(99)
	}
	wantFamily(t, s, fp)

	before := snapshotTokens(t, s, []identity.RefreshToken{ta, tp})
	fam2, tok2 := session(a, 3)
	dupFam := fam2
	dupFam.ID = fa.ID
	tok2.FamilyID = fa.ID
	wantCode(t, "CreateRefreshFamily with a taken family ID", s.CreateRefreshFamily(ctx, dupFam, tok2), core.Conflict)
	fam2, tok2 = session(a, 3)
	tok2.Hash = ta.Hash
	wantCode(t, "CreateRefreshFamily with a taken token hash", s.CreateRefreshFamily(ctx, fam2, tok2), core.Conflict)
	fam2, tok2 = session(a, 3)
	tok2.FamilyID = "fam_other"
	wantCode(t, "CreateRefreshFamily with a token of another family", s.CreateRefreshFamily(ctx, fam2, tok2), core.Invalid)
	fam2, tok2 = session(a, 3)
	tok2.TenantID = tenantB
	wantCode(t, "CreateRefreshFamily with a token of another tenant", s.CreateRefreshFamily(ctx, fam2, tok2), core.Invalid)
	if diff := cmp.Diff(before, snapshotTokens(t, s, []identity.RefreshToken{ta, tp})); diff != "" {
		t.Errorf("refused creates changed tokens (-before +after):\n%s", diff)
	}
	// The refused families were not stored.
	wantCode(t, "RevokeRefreshFamily of a refused family", s.RevokeRefreshFamily(ctx, tenantA, fam2.ID, at(9)), core.NotFound)

	wantNoToken(t, s, tenantB, ta.Hash)
	wantNoToken(t, s, "", ta.Hash)
	wantNoToken(t, s, tenantA, "hash_unknown")
	wantNoFamily(t, s, tenantA, "fam_unknown")
	wantNoFamily(t, s, tenantA, fam2.ID) // refused above
	// Families are read under their own tenant only.
	wantNoFamily(t, s, tenantB, fa.ID)
	wantNoFamily(t, s, "", fa.ID)
	wantNoFamily(t, s, tenantA, fp.ID)

	// The same hash in two tenants is two tokens.
	b := userFixture(tenantB, 1)
	createUsers(t, s, b)
	fb, tb := session(b, 1)
	tb.Hash = ta.Hash
	createSession(t, s, fb, tb)
	wantToken(t, s, tb, fb)
	wantToken(t, s, ta, fa)
}

// snapshotTokens reads the tokens, for before/after comparisons.
func snapshotTokens(t *testing.T, s identity.Store, ts []identity.RefreshToken) []any {
	t.Helper()
	var out []any
	for _, tok := range ts {
		got, fam, err := s.GetRefreshToken(t.Context(), tok.TenantID, tok.Hash)
		out = append(out, got, fam, core.ErrorCode(err))
	}
	return out
}

func testRefreshRotate(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := userFixture(tenantA, 1)
	createUsers(t, s, a)
	f, t0 := session(a, 1)
	createSession(t, s, f, t0)

	t1 := tokenIn(f, "hash_1", at(10))
	ok, err := s.RotateRefreshToken(ctx, tenantA, t0.Hash, t1, at(10))
	if !ok || err != nil {
		t.Fatalf("RotateRefreshToken: got %t, %v, want true, nil", ok, err)
	}
	spent := t0
	spent.UsedAt = timePtr(at(10))
	wantToken(t, s, spent, f)
	wantToken(t, s, t1, f)

	// A spent token rotates no more, and stores nothing.
	t2 := tokenIn(f, "hash_2", at(11))
	ok, err = s.RotateRefreshToken(ctx, tenantA, t0.Hash, t2, at(11))
	if ok || err != nil {
		t.Errorf("RotateRefreshToken of a spent token: got %t, %v, want false, nil", ok, err)
	}
	wantNoToken(t, s, tenantA, t2.Hash)
	wantToken(t, s, spent, f)

	// Refused successors leave the token unspent.
	for _, tc := range []struct {
		name   string
		change func(*identity.RefreshToken)
		code   core.Code
	}{
		{"of another family", func(n *identity.RefreshToken) { n.FamilyID = "fam_other" }, core.Invalid},
		{"of another user", func(n *identity.RefreshToken) { n.UserID = "usr_other" }, core.Invalid},
		{"of another tenant", func(n *identity.RefreshToken) { n.TenantID = tenantB }, core.Invalid},
		{"with a taken hash", func(n *identity.RefreshToken) { n.Hash = t0.Hash }, core.Conflict},
	} {
		next := tokenIn(f, "hash_x", at(12))
		tc.change(&next)
		_, err := s.RotateRefreshToken(ctx, tenantA, t1.Hash, next, at(12))
		wantCode(t, "RotateRefreshToken with a successor "+tc.name, err, tc.code)
		wantToken(t, s, t1, f)
		wantNoToken(t, s, tenantA, "hash_x")
	}
	_, err = s.RotateRefreshToken(ctx, tenantA, "hash_unknown", t2, at(12))
	wantCode(t, "RotateRefreshToken of an unknown token", err, core.NotFound)
	_, err = s.RotateRefreshToken(ctx, tenantB, t1.Hash, t2, at(12))
	wantCode(t, "RotateRefreshToken in another tenant", err, core.NotFound)
	wantToken(t, s, t1, f)

	// The chain goes on, and a revoked family stops it.
	ok, err = s.RotateRefreshToken(ctx, tenantA, t1.Hash, t2, at(13))
	if !ok || err != nil {
		t.Fatalf("RotateRefreshToken of the successor: got %t, %v, want true, nil", ok, err)
	}
	if err := s.RevokeRefreshFamily(ctx, tenantA, f.ID, at(14)); err != nil {
		t.Fatalf("RevokeRefreshFamily: got error %v, want nil", err)
	}
	revoked := f
	revoked.RevokedAt = timePtr(at(14))
	t3 := tokenIn(f, "hash_3", at(15))
	ok, err = s.RotateRefreshToken(ctx, tenantA, t2.Hash, t3, at(15))
	if ok || err != nil {
		t.Errorf("RotateRefreshToken in a revoked family: got %t, %v, want false, nil", ok, err)
	}
	wantToken(t, s, t2, revoked)
	wantNoToken(t, s, tenantA, t3.Hash)
}

func testRefreshRevoke(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := userFixture(tenantA, 1), userFixture(tenantA, 2)
	other := userFixture(tenantB, 1)
	other.ID = a.ID + "x"
	createUsers(t, s, a, b, other)
	f1, t1 := session(a, 1)
	f2, t2 := session(a, 2)
	fb, tb := session(b, 3)
	fo, to := session(other, 4)
	for _, p := range []struct {
		f identity.RefreshFamily
		t identity.RefreshToken
	}{{f1, t1}, {f2, t2}, {fb, tb}, {fo, to}} {
		createSession(t, s, p.f, p.t)
	}

	if err := s.RevokeRefreshFamily(ctx, tenantA, f1.ID, at(20)); err != nil {
		t.Fatalf("RevokeRefreshFamily: got error %v, want nil", err)
	}
	// Revoking again keeps the first time.
	if err := s.RevokeRefreshFamily(ctx, tenantA, f1.ID, at(21)); err != nil {
		t.Fatalf("RevokeRefreshFamily again: got error %v, want nil", err)
	}
	r1 := f1
	r1.RevokedAt = timePtr(at(20))
	wantToken(t, s, t1, r1)
	wantToken(t, s, t2, f2)
	wantFamily(t, s, r1)
	wantFamily(t, s, f2)
	wantNoFamily(t, s, tenantB, f1.ID)
	wantCode(t, "RevokeRefreshFamily of an unknown family", s.RevokeRefreshFamily(ctx, tenantA, "fam_unknown", at(22)), core.NotFound)
	wantCode(t, "RevokeRefreshFamily in another tenant", s.RevokeRefreshFamily(ctx, tenantB, f2.ID, at(22)), core.NotFound)
	wantToken(t, s, t2, f2)

	// All of a's families: only the one not revoked yet counts.
	n, err := s.RevokeUserRefreshFamilies(ctx, tenantA, a.ID, at(30))
	if n != 1 || err != nil {
		t.Errorf("RevokeUserRefreshFamilies: got %d, %v, want 1, nil", n, err)
	}
	r2 := f2
	r2.RevokedAt = timePtr(at(30))
	wantToken(t, s, t1, r1)
	wantToken(t, s, t2, r2)
	wantToken(t, s, tb, fb)
	wantToken(t, s, to, fo)
	wantFamily(t, s, r1)
	wantFamily(t, s, r2)
	wantFamily(t, s, fb)
	wantFamily(t, s, fo)
	if n, err := s.RevokeUserRefreshFamilies(ctx, tenantB, a.ID, at(31)); n != 0 || err != nil {
		t.Errorf("RevokeUserRefreshFamilies in another tenant: got %d, %v, want 0, nil", n, err)
	}
	wantToken(t, s, to, fo)
	wantFamily(t, s, fo)
}

func testRefreshDeleteFamilies(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := userFixture(tenantA, 1)
	p := platformUser(2)
	createUsers(t, s, a, p)
	expired, te := session(a, 1) // expires at(1) + 24h
	revoked, tr := session(p, 2)
	live, tl := session(a, 3000)
	for _, x := range []struct {
		f identity.RefreshFamily
		t identity.RefreshToken
	}{{expired, te}, {revoked, tr}, {live, tl}} {
		createSession(t, s, x.f, x.t)
	}
	next := tokenIn(expired, "hash_next", at(5))
	if ok, err := s.RotateRefreshToken(ctx, tenantA, te.Hash, next, at(5)); !ok || err != nil {
		t.Fatalf("RotateRefreshToken: got %t, %v, want true, nil", ok, err)
	}
	if err := s.RevokeRefreshFamily(ctx, "", revoked.ID, at(6)); err != nil {
		t.Fatalf("RevokeRefreshFamily: got error %v, want nil", err)
	}
	n, err := s.DeleteRefreshFamilies(ctx, at(2000))
	if n != 2 || err != nil {
		t.Errorf("DeleteRefreshFamilies: got %d, %v, want 2, nil", n, err)
	}
	for _, tok := range []identity.RefreshToken{te, next, tr} {
		wantNoToken(t, s, tok.TenantID, tok.Hash)
	}
	wantNoFamily(t, s, expired.TenantID, expired.ID)
	wantNoFamily(t, s, revoked.TenantID, revoked.ID)
	wantToken(t, s, tl, live)
	wantFamily(t, s, live)
	wantCode(t, "RevokeRefreshFamily of a deleted family", s.RevokeRefreshFamily(ctx, tenantA, expired.ID, at(7)), core.NotFound)
}

// Set-password tokens.

func setToken(u identity.User, n int) identity.SetPasswordToken {
	return identity.SetPasswordToken{
		TenantID:  u.TenantID,
		Hash:      fmt.Sprintf("pst_%s_%d", u.ID, n),
		KeyID:     "k1",
		UserID:    u.ID,
		CreatedAt: at(n),
		ExpiresAt: at(n).Add(time.Hour),
	}
}

func testSetPasswordTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := userFixture(tenantA, 1), platformUser(2)
	createUsers(t, s, a, b)
	ta1, ta2, tb := setToken(a, 1), setToken(a, 2), setToken(b, 3)
	for _, tok := range []identity.SetPasswordToken{ta1, ta2, tb} {
		if err := s.CreateSetPasswordToken(ctx, tok); err != nil {
			t.Fatalf("CreateSetPasswordToken: got error %v, want nil", err)
		}
	}
	wantCode(t, "CreateSetPasswordToken with a taken hash", s.CreateSetPasswordToken(ctx, ta1), core.Conflict)
	get := func(tok identity.SetPasswordToken) identity.SetPasswordToken {
		t.Helper()
		got, err := s.GetSetPasswordToken(ctx, tok.TenantID, tok.Hash)
		if err != nil {
			t.Fatalf("GetSetPasswordToken: got error %v, want nil", err)
		}
		return got
	}
	for _, tok := range []identity.SetPasswordToken{ta1, ta2, tb} {
		if diff := cmp.Diff(tok, get(tok)); diff != "" {
			t.Errorf("GetSetPasswordToken mismatch (-want +got):\n%s", diff)
		}
	}
	_, err := s.GetSetPasswordToken(ctx, tenantB, ta1.Hash)
	wantCode(t, "GetSetPasswordToken in another tenant", err, core.NotFound)

	// Used once, at a time before it expires.
	for _, tc := range []struct {
		name     string
		tok      identity.SetPasswordToken
		at       time.Time
		want     bool
		wantUsed *time.Time
	}{
		{"expired", ta1, ta1.ExpiresAt, false, nil},
		{"live", ta1, at(30), true, timePtr(at(30))},
		{"used", ta1, at(31), false, timePtr(at(30))},
	} {
		ok, err := s.UseSetPasswordToken(ctx, tc.tok.TenantID, tc.tok.Hash, tc.at)
		if ok != tc.want || err != nil {
			t.Errorf("UseSetPasswordToken (%s): got %t, %v, want %t, nil", tc.name, ok, err, tc.want)
		}
		want := tc.tok
		want.UsedAt = tc.wantUsed
		if diff := cmp.Diff(want, get(tc.tok)); diff != "" {
			t.Errorf("after UseSetPasswordToken (%s) mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
	_, err = s.UseSetPasswordToken(ctx, tenantA, "pst_unknown", at(30))
	wantCode(t, "UseSetPasswordToken of an unknown token", err, core.NotFound)
	_, err = s.UseSetPasswordToken(ctx, tenantB, ta2.Hash, at(30))
	wantCode(t, "UseSetPasswordToken in another tenant", err, core.NotFound)

	n, err := s.DeleteSetPasswordTokens(ctx, tenantA, a.ID)
	if n != 2 || err != nil {
		t.Errorf("DeleteSetPasswordTokens: got %d, %v, want 2, nil", n, err)
	}
	_, err = s.GetSetPasswordToken(ctx, tenantA, ta2.Hash)
	wantCode(t, "GetSetPasswordToken after delete", err, core.NotFound)
	if diff := cmp.Diff(tb, get(tb)); diff != "" {
		t.Errorf("another user's token mismatch (-want +got):\n%s", diff)
	}
}

// Signing keys.

func signingKey(n int) identity.SigningKey {
	return identity.SigningKey{
		ID:         fmt.Sprintf("kid-%02d", n),
		Algorithm:  []identity.Algorithm{identity.RS256, identity.ES256, identity.EdDSA}[n%3],
		PrivateKey: []byte{1, 0, byte(n), 0xff, 0x00, 0x7f},
		CreatedAt:  at(n),
	}
}

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	k1, k2, k3 := signingKey(1), signingKey(2), signingKey(3)
	k3same := signingKey(4)
	k3same.CreatedAt = k3.CreatedAt // same instant, later ID
	for _, k := range []identity.SigningKey{k3, k1, k3same, k2} {
		if err := s.CreateSigningKey(ctx, k); err != nil {
			t.Fatalf("CreateSigningKey(%s): got error %v, want nil", k.ID, err)
		}
	}
	wantCode(t, "CreateSigningKey with a taken ID", s.CreateSigningKey(ctx, k1), core.Conflict)
	list := func(after time.Time) []identity.SigningKey {
		t.Helper()
		got, err := s.ListSigningKeys(ctx, after)
		if err != nil {
			t.Fatalf("ListSigningKeys: got error %v, want nil", err)
		}
		return got
	}
	if diff := cmp.Diff([]identity.SigningKey{k1, k2, k3, k3same}, list(at(0))); diff != "" {
		t.Errorf("ListSigningKeys mismatch (-want +got):\n%s", diff)
	}

	// Retiring before k3 (same instant, smaller ID) leaves k3same alone.
	n, err := s.RetireSigningKeys(ctx, k3.ID, at(10))
	if n != 2 || err != nil {
		t.Errorf("RetireSigningKeys(%s): got %d, %v, want 2, nil", k3.ID, n, err)
	}
	// Retiring again keeps the first time.
	if n, err := s.RetireSigningKeys(ctx, k3same.ID, at(20)); n != 1 || err != nil {
		t.Errorf("RetireSigningKeys(%s): got %d, %v, want 1, nil", k3same.ID, n, err)
	}
	r1, r2, r3 := k1, k2, k3
	r1.RetiredAt, r2.RetiredAt, r3.RetiredAt = timePtr(at(10)), timePtr(at(10)), timePtr(at(20))
	if diff := cmp.Diff([]identity.SigningKey{r1, r2, r3, k3same}, list(at(0))); diff != "" {
		t.Errorf("ListSigningKeys after retiring mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]identity.SigningKey{r3, k3same}, list(at(10))); diff != "" {
		t.Errorf("ListSigningKeys retired after at(10) mismatch (-want +got):\n%s", diff)
	}
	_, err = s.RetireSigningKeys(ctx, "kid-unknown", at(30))
	wantCode(t, "RetireSigningKeys after an unknown key", err, core.NotFound)

	n, err = s.DeleteSigningKeys(ctx, at(15))
	if n != 2 || err != nil {
		t.Errorf("DeleteSigningKeys: got %d, %v, want 2, nil", n, err)
	}
	if diff := cmp.Diff([]identity.SigningKey{r3, k3same}, list(at(0))); diff != "" {
		t.Errorf("ListSigningKeys after delete mismatch (-want +got):\n%s", diff)
	}
	got := list(at(0))
	got[0].PrivateKey[0] = 9
	if diff := cmp.Diff([]identity.SigningKey{r3, k3same}, list(at(0))); diff != "" {
		t.Errorf("ListSigningKeys returned shared bytes (-want +got):\n%s", diff)
	}
}

// TOTP.

func totpFixture(u identity.User) identity.TOTP {
	return identity.TOTP{
		TenantID:  u.TenantID,
		UserID:    u.ID,
		Secret:    []byte("sealed:" + u.ID),
		CreatedAt: at(5),
	}
}

func testTOTP(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := userFixture(tenantA, 1)
	createUsers(t, s, a)
	get := func() identity.TOTP {
		t.Helper()
		got, err := s.GetTOTP(ctx, tenantA, a.ID)
		if err != nil {
			t.Fatalf("GetTOTP: got error %v, want nil", err)
		}
		return got
	}
	_, err := s.GetTOTP(ctx, tenantA, a.ID)
	wantCode(t, "GetTOTP before enrolment", err, core.NotFound)
	_, err = s.ConfirmTOTP(ctx, tenantA, a.ID, 1, at(1), nil)
	wantCode(t, "ConfirmTOTP before enrolment", err, core.NotFound)
	_, err = s.UseTOTPStep(ctx, tenantA, a.ID, 1)
	wantCode(t, "UseTOTPStep before enrolment", err, core.NotFound)

	first := totpFixture(a)
	if err := s.PutTOTP(ctx, first); err != nil {
		t.Fatalf("PutTOTP: got error %v, want nil", err)
	}
	if diff := cmp.Diff(first, get()); diff != "" {
		t.Errorf("GetTOTP mismatch (-want +got):\n%s", diff)
	}
	// An unconfirmed enrolment is replaced.
	second := first
	second.Secret = []byte{0, 1, 2, 250}
	second.CreatedAt = at(6)
	if err := s.PutTOTP(ctx, second); err != nil {
		t.Fatalf("PutTOTP again: got error %v, want nil", err)
	}
	if diff := cmp.Diff(second, get()); diff != "" {
		t.Errorf("GetTOTP after replacing mismatch (-want +got):\n%s", diff)
	}
	_, err = s.GetTOTP(ctx, tenantB, a.ID)
	wantCode(t, "GetTOTP in another tenant", err, core.NotFound)

	ok, err := s.ConfirmTOTP(ctx, tenantA, a.ID, 100, at(7), []string{"h3", "h1", "h2"})
	if !ok || err != nil {
		t.Fatalf("ConfirmTOTP: got %t, %v, want true, nil", ok, err)
	}
	confirmed := second
	confirmed.Confirmed, confirmed.LastStep, confirmed.ConfirmedAt = true, 100, timePtr(at(7))
	confirmed.RecoveryCodes = []string{"h1", "h2", "h3"}
	if diff := cmp.Diff(confirmed, get()); diff != "" {
		t.Errorf("GetTOTP after confirming mismatch (-want +got):\n%s", diff)
	}
	if ok, err := s.ConfirmTOTP(ctx, tenantA, a.ID, 200, at(8), []string{"x"}); ok || err != nil {
		t.Errorf("ConfirmTOTP twice: got %t, %v, want false, nil", ok, err)
	}
	wantCode(t, "PutTOTP over a confirmed enrolment", s.PutTOTP(ctx, first), core.TOTPAlreadyEnabled)
	if diff := cmp.Diff(confirmed, get()); diff != "" {
		t.Errorf("GetTOTP after refused changes mismatch (-want +got):\n%s", diff)
	}

	// Steps are used once, in increasing order.
	for _, tc := range []struct {
		step int64
		want bool
	}{{100, false}, {99, false}, {101, true}, {101, false}, {105, true}, {103, false}} {
		ok, err := s.UseTOTPStep(ctx, tenantA, a.ID, tc.step)
		if ok != tc.want || err != nil {
			t.Errorf("UseTOTPStep(%d): got %t, %v, want %t, nil", tc.step, ok, err, tc.want)
		}
	}
	if got := get().LastStep; got != 105 {
		t.Errorf("LastStep: got %d, want 105", got)
	}

	if err := s.DeleteTOTP(ctx, tenantA, a.ID); err != nil {
		t.Fatalf("DeleteTOTP: got error %v, want nil", err)
	}
	_, err = s.GetTOTP(ctx, tenantA, a.ID)
	wantCode(t, "GetTOTP after delete", err, core.NotFound)
	wantCode(t, "DeleteTOTP twice", s.DeleteTOTP(ctx, tenantA, a.ID), core.NotFound)
	// A new enrolment starts without the old recovery codes.
	if err := s.PutTOTP(ctx, first); err != nil {
		t.Fatalf("PutTOTP after delete: got error %v, want nil", err)
	}
	if diff := cmp.Diff(first, get()); diff != "" {
		t.Errorf("GetTOTP after re-enrolment mismatch (-want +got):\n%s", diff)
	}
	if ok, err := s.UseRecoveryCode(ctx, tenantA, a.ID, "h1"); ok || err != nil {
		t.Errorf("UseRecoveryCode of a deleted code: got %t, %v, want false, nil", ok, err)
	}
}

func testRecoveryCodes(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := userFixture(tenantA, 1), userFixture(tenantB, 1)
	createUsers(t, s, a, b)
	for _, u := range []identity.User{a, b} {
		if err := s.PutTOTP(ctx, totpFixture(u)); err != nil {
			t.Fatalf("PutTOTP: got error %v, want nil", err)
		}
		if ok, err := s.ConfirmTOTP(ctx, u.TenantID, u.ID, 1, at(2), []string{"c1", "c2"}); !ok || err != nil {
			t.Fatalf("ConfirmTOTP: got %t, %v, want true, nil", ok, err)
		}
	}
	for _, tc := range []struct {
		tenantID, userID, hash string
		want                   bool
	}{
		{tenantA, a.ID, "c1", true},
		{tenantA, a.ID, "c1", false},
		{tenantA, a.ID, "c3", false},
		{tenantB, a.ID, "c2", false},
		{tenantA, b.ID, "c2", false},
	} {
		ok, err := s.UseRecoveryCode(ctx, tc.tenantID, tc.userID, tc.hash)
		if ok != tc.want || err != nil {
			t.Errorf("UseRecoveryCode(%q, %s, %s): got %t, %v, want %t, nil", tc.tenantID, tc.userID, tc.hash, ok, err, tc.want)
		}
	}
	for _, tc := range []struct {
		u    identity.User
		want []string
	}{{a, []string{"c2"}}, {b, []string{"c1", "c2"}}} {
		got, err := s.GetTOTP(ctx, tc.u.TenantID, tc.u.ID)
		if err != nil {
			t.Fatalf("GetTOTP: got error %v, want nil", err)
		}
		if diff := cmp.Diff(tc.want, got.RecoveryCodes); diff != "" {
			t.Errorf("recovery codes of %s mismatch (-want +got):\n%s", tc.u.ID, diff)
		}
	}
}

// Failure counters.

func testAttempts(t *testing.T, s store.Store) {
	ctx := t.Context()
	get := func(tenantID, subject string, kind identity.AttemptKind) identity.Attempts {
		t.Helper()
		a, err := s.GetAttempts(ctx, tenantID, subject, kind)
		if err != nil {
			t.Fatalf("GetAttempts: got error %v, want nil", err)
		}
		return a
	}
	if got := get(tenantA, "ln_x", identity.AttemptPassword); got != (identity.Attempts{}) {
		t.Errorf("GetAttempts before any failure: got %+v, want zero", got)
	}
	for i := 1; i <= 3; i++ {
		got, err := s.RecordFailedAttempt(ctx, tenantA, "ln_x", identity.AttemptPassword, at(i))
		want := identity.Attempts{Count: i, LastFailure: at(i)}
		if err != nil || !cmp.Equal(want, got) {
			t.Errorf("RecordFailedAttempt %d: got %+v, %v, want %+v, nil", i, got, err, want)
		}
	}
	if _, err := s.RecordFailedAttempt(ctx, tenantA, "ln_x", identity.AttemptTOTP, at(9)); err != nil {
		t.Fatalf("RecordFailedAttempt: got error %v, want nil", err)
	}
	if _, err := s.RecordFailedAttempt(ctx, tenantB, "ln_x", identity.AttemptPassword, at(9)); err != nil {
		t.Fatalf("RecordFailedAttempt: got error %v, want nil", err)
	}
	for _, tc := range []struct {
		tenantID, subject string
		kind              identity.AttemptKind
		want              identity.Attempts
	}{
		{tenantA, "ln_x", identity.AttemptPassword, identity.Attempts{Count: 3, LastFailure: at(3)}},
		{tenantA, "ln_x", identity.AttemptTOTP, identity.Attempts{Count: 1, LastFailure: at(9)}},
		{tenantB, "ln_x", identity.AttemptPassword, identity.Attempts{Count: 1, LastFailure: at(9)}},
		{"", "ln_x", identity.AttemptPassword, identity.Attempts{}},
		{tenantA, "ln_y", identity.AttemptPassword, identity.Attempts{}},
	} {
		if got := get(tc.tenantID, tc.subject, tc.kind); !cmp.Equal(tc.want, got) {
			t.Errorf("GetAttempts(%q, %s, %s): got %+v, want %+v", tc.tenantID, tc.subject, tc.kind, got, tc.want)
		}
	}
	if err := s.ResetAttempts(ctx, tenantA, "ln_x", identity.AttemptPassword); err != nil {
		t.Fatalf("ResetAttempts: got error %v, want nil", err)
	}
	if err := s.ResetAttempts(ctx, tenantA, "ln_never", identity.AttemptPassword); err != nil {
		t.Errorf("ResetAttempts of no counter: got error %v, want nil", err)
	}
	if got := get(tenantA, "ln_x", identity.AttemptPassword); got != (identity.Attempts{}) {
		t.Errorf("GetAttempts after reset: got %+v, want zero", got)
	}
	if got := get(tenantA, "ln_x", identity.AttemptTOTP); got.Count != 1 {
		t.Errorf("GetAttempts of the other kind after reset: got %+v, want a count of 1", got)
	}
	got, err := s.RecordFailedAttempt(ctx, tenantA, "ln_x", identity.AttemptPassword, at(20))
	if want := (identity.Attempts{Count: 1, LastFailure: at(20)}); err != nil || !cmp.Equal(want, got) {
		t.Errorf("RecordFailedAttempt after reset: got %+v, %v, want %+v, nil", got, err, want)
	}
}

// Transactions.

// identityState reads everything the rollback tests write.
func identityState(t *testing.T, s identity.Store, users []identity.User, toks []identity.RefreshToken) map[string]any {
	t.Helper()
	ctx := t.Context()
	out := map[string]any{}
	for _, tenantID := range []string{tenantA, tenantB, ""} {
		out["users "+tenantID] = allUsers(t, s, tenantID)
		n, err := s.CountUsers(ctx, tenantID)
		out["count "+tenantID] = fmt.Sprint(n, err)
	}
	for _, u := range users {
		got, err := s.GetUserByEmail(ctx, u.TenantID, u.Email)
		out["email "+u.ID] = fmt.Sprint(got.ID, core.ErrorCode(err))
		totp, err := s.GetTOTP(ctx, u.TenantID, u.ID)
		out["totp "+u.ID] = []any{totp, core.ErrorCode(err)}
		a, err := s.GetAttempts(ctx, u.TenantID, u.ID, identity.AttemptTOTP)
		out["attempts "+u.ID] = []any{a, core.ErrorCode(err)}
		sp, err := s.GetSetPasswordToken(ctx, u.TenantID, setToken(u, 1).Hash)
		out["pst "+u.ID] = []any{sp, core.ErrorCode(err)}
	}
	out["tokens"] = snapshotTokens(t, s, toks)
	keys, err := s.ListSigningKeys(ctx, time.Time{})
	out["keys"] = []any{keys, core.ErrorCode(err)}
	return out
}

// identityWrites runs every kind of identity write inside tx.
func identityWrites(t *testing.T, tx store.Store, a, b identity.User, fa identity.RefreshFamily, ta identity.RefreshToken) error {
	ctx := t.Context()
	c := userFixture(tenantB, 7)
	c.Email = a.Email // another tenant: allowed
	steps := []func() error{
		func() error { return tx.CreateUser(ctx, c) },
		func() error {
			_, err := tx.UpdateUser(ctx, a.TenantID, a.ID, func(u identity.User) (identity.User, error) {
				u.Email, u.Name = "moved@example.com", "Moved"
				return u, nil
			})
			return err
		},
		func() error {
			d := userFixture(tenantA, 8)
			d.Email = a.Email // freed by the update above
			return tx.CreateUser(ctx, d)
		},
		func() error { return tx.DeleteUser(ctx, b.TenantID, b.ID) },
		func() error {
			_, err := tx.RotateRefreshToken(ctx, ta.TenantID, ta.Hash, tokenIn(fa, "hash_tx", at(50)), at(50))
			return err
		},
		func() error { return tx.RevokeRefreshFamily(ctx, fa.TenantID, fa.ID, at(51)) },
		func() error {
			f, first := session(c, 9)
			return tx.CreateRefreshFamily(ctx, f, first)
		},
		func() error { return tx.CreateSetPasswordToken(ctx, setToken(a, 1)) },
		func() error {
			_, err := tx.UseSetPasswordToken(ctx, a.TenantID, setToken(a, 1).Hash, at(2))
			return err
		},
		func() error { return tx.PutTOTP(ctx, totpFixture(a)) },
		func() error {
			_, err := tx.ConfirmTOTP(ctx, a.TenantID, a.ID, 5, at(52), []string{"r1", "r2"})
			return err
		},
		func() error {
			_, err := tx.UseRecoveryCode(ctx, a.TenantID, a.ID, "r1")
			return err
		},
		func() error {
			_, err := tx.UseTOTPStep(ctx, a.TenantID, a.ID, 9)
			return err
		},
		func() error {
			_, err := tx.RecordFailedAttempt(ctx, a.TenantID, a.ID, identity.AttemptTOTP, at(53))
			return err
		},
		func() error { return tx.CreateSigningKey(ctx, signingKey(60)) },
		func() error {
			_, err := tx.RetireSigningKeys(ctx, signingKey(60).ID, at(61))
			return err
		},
		func() error {
			_, err := tx.RevokeUserRefreshFamilies(ctx, c.TenantID, c.ID, at(62))
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
	}
	return nil
}

// identitySeed stores what the rollback tests start from.
func identitySeed(t *testing.T, s store.Store) (a, b identity.User, fa identity.RefreshFamily, ta identity.RefreshToken) {
	a, b = userFixture(tenantA, 1), platformUser(2)
	createUsers(t, s, a, b)
	fa, ta = session(a, 1)
	createSession(t, s, fa, ta)
	fb, tb := session(b, 2)
	createSession(t, s, fb, tb)
	if err := s.PutTOTP(t.Context(), totpFixture(b)); err != nil {
		t.Fatalf("PutTOTP: got error %v, want nil", err)
	}
	if _, err := s.RecordFailedAttempt(t.Context(), b.TenantID, b.ID, identity.AttemptTOTP, at(3)); err != nil {
		t.Fatalf("RecordFailedAttempt: got error %v, want nil", err)
	}
	if err := s.CreateSigningKey(t.Context(), signingKey(1)); err != nil {
		t.Fatalf("CreateSigningKey: got error %v, want nil", err)
	}
	return a, b, fa, ta
}

func testIdentityRollback(t *testing.T, s store.Store) {
	a, b, fa, ta := identitySeed(t, s)
	users := []identity.User{a, b, userFixture(tenantB, 7), userFixture(tenantA, 8)}
	_, tb := session(b, 2)
	toks := []identity.RefreshToken{ta, tb, tokenIn(fa, "hash_tx", at(50))}
	before := identityState(t, s, users, toks)
	err := s.InTx(t.Context(), func(tx store.Store) error {
		if err := identityWrites(t, tx, a, b, fa, ta); err != nil {
			t.Errorf("identityWrites: got error %v, want nil", err)
		}
		return errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Fatalf("InTx: got error %v, want %v", err, errSentinel)
	}
	if diff := cmp.Diff(before, identityState(t, s, users, toks)); diff != "" {
		t.Errorf("a rolled-back transaction left changes (-before +after):\n%s", diff)
	}

	// The same writes commit when fn succeeds.
	if err := s.InTx(t.Context(), func(tx store.Store) error { return identityWrites(t, tx, a, b, fa, ta) }); err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
	after := identityState(t, s, users, toks)
	if cmp.Equal(before, after) {
		t.Error("a committed transaction changed nothing")
	}
	wantNoUser(t, s, b.TenantID, b.ID)
	got, err := s.GetUserByEmail(t.Context(), tenantA, a.Email)
	if err != nil || got.ID != userFixture(tenantA, 8).ID {
		t.Errorf("GetUserByEmail after commit: got %s, %v, want %s", got.ID, err, userFixture(tenantA, 8).ID)
	}
}

func testIdentityReadYourWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := userFixture(tenantA, 1)
	err := s.InTx(ctx, func(tx store.Store) error {
		if err := tx.CreateUser(ctx, a); err != nil {
			return err
		}
		wantUser(t, tx, a)
		if got, err := tx.FindUser(ctx, a.ID); err != nil || got.ID != a.ID {
			t.Errorf("FindUser inside the transaction: got %s, %v", got.ID, err)
		}
		if n, err := tx.CountUsers(ctx, tenantA); n != 1 || err != nil {
			t.Errorf("CountUsers inside the transaction: got %d, %v, want 1, nil", n, err)
		}
		// A refused write leaves the transaction usable.
		wantCode(t, "CreateUser with the transaction's own email", tx.CreateUser(ctx, func() identity.User {
			d := userFixture(tenantA, 2)
			d.Email = a.Email
			return d
		}()), core.EmailTaken)
		f, first := session(a, 1)
		if err := tx.CreateRefreshFamily(ctx, f, first); err != nil {
			return err
		}
		wantCode(t, "CreateRefreshFamily twice", tx.CreateRefreshFamily(ctx, f, first), core.Conflict)
		wantToken(t, tx, first, f)
		wantFamily(t, tx, f)
		if ok, err := tx.RotateRefreshToken(ctx, tenantA, first.Hash, tokenIn(f, "h2", at(3)), at(3)); !ok || err != nil {
			t.Errorf("RotateRefreshToken inside the transaction: got %t, %v, want true, nil", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
	wantUser(t, s, a)
	f, first := session(a, 1)
	wantToken(t, s, tokenIn(f, "h2", at(3)), f)
	spent := first
	spent.UsedAt = timePtr(at(3))
	wantToken(t, s, spent, f)
}

func testIdentityClosed(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := userFixture(tenantA, 1)
	createUsers(t, s, a)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: got error %v, want nil", err)
	}
	_, err := s.GetUser(ctx, tenantA, a.ID)
	wantCode(t, "GetUser on a closed store", err, core.Internal)
	wantCode(t, "CreateUser on a closed store", s.CreateUser(ctx, userFixture(tenantA, 2)), core.Internal)
	_, err = s.RecordFailedAttempt(ctx, tenantA, "x", identity.AttemptPassword, at(1))
	wantCode(t, "RecordFailedAttempt on a closed store", err, core.Internal)
	_, err = s.ListSigningKeys(ctx, at(0))
	wantCode(t, "ListSigningKeys on a closed store", err, core.Internal)
}

// Concurrency.

func testConcurrentCreateSameEmail(t *testing.T, s store.Store) {
	errs := make([]error, raceEmailCreators)
	together(raceEmailCreators, func(i int) {
		u := userFixture(tenantA, i)
		u.Email = []string{"race@example.com", "RACE@example.com", "Race@Example.Com"}[i%3]
		errs[i] = s.CreateUser(t.Context(), u)
	})
	winner := -1
	for i, err := range errs {
		switch code := core.ErrorCode(err); {
		case err == nil:
			if winner >= 0 {
				t.Errorf("creates %d and %d both succeeded, want exactly one", winner, i)
			}
			winner = i
		case code != core.EmailTaken:
			t.Errorf("create %d: got error %v (code %q), want nil or code %q", i, err, code, core.EmailTaken)
		}
	}
	if winner < 0 {
		t.Fatal("no create succeeded, want exactly one")
	}
	if got := userIDs(allUsers(t, s, tenantA)); !cmp.Equal(got, []string{userFixture(tenantA, winner).ID}) {
		t.Errorf("stored users: got %v, want [%s]", got, userFixture(tenantA, winner).ID)
	}
}

func testConcurrentRefreshRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := userFixture(tenantA, 1)
	createUsers(t, s, a)
	f, tok := session(a, 1)
	createSession(t, s, f, tok)
	for round := range raceRefreshRounds {
		var won [2]bool
		var errs [2]error
		together(2, func(i int) {
			next := tokenIn(f, fmt.Sprintf("hash_%d_%d", round, i), at(10+round))
			won[i], errs[i] = s.RotateRefreshToken(ctx, tenantA, tok.Hash, next, at(10+round))
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: rotation %d: got error %v, want nil", round, i, err)
			}
		}
		if won[0] == won[1] {
			t.Fatalf("round %d: rotations won %v, want exactly one", round, won)
		}
		winner := 0
		if won[1] {
			winner = 1
		}
		// Only the winner's successor is stored; it is the next round's
		// token.
		wantNoToken(t, s, tenantA, fmt.Sprintf("hash_%d_%d", round, 1-winner))
		tok = tokenIn(f, fmt.Sprintf("hash_%d_%d", round, winner), at(10+round))
		wantToken(t, s, tok, f)
	}
}

func testConcurrentRotateAndRevoke(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := userFixture(tenantA, 1)
	createUsers(t, s, a)
	for round := range raceRefreshRounds {
		f, tok := session(a, 100+round)
		createSession(t, s, f, tok)
		next := tokenIn(f, fmt.Sprintf("hash_next_%d", round), at(200))
		var rotated bool
		var errs [2]error
		together(2, func(i int) {
			if i == 0 {
				rotated, errs[0] = s.RotateRefreshToken(ctx, tenantA, tok.Hash, next, at(200))
			} else {
				errs[1] = s.RevokeRefreshFamily(ctx, tenantA, f.ID, at(201))
			}
		})
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: got errors %v, %v, want nil", round, errs[0], errs[1])
		}
		// Whichever came first, the family is revoked, and so is the
		// successor when there is one.
		revoked := f
		revoked.RevokedAt = timePtr(at(201))
		if rotated {
			wantToken(t, s, next, revoked)
		} else {
			wantNoToken(t, s, tenantA, next.Hash)
			wantToken(t, s, tok, revoked)
		}
	}
}

func testConcurrentCounters(t *testing.T, s store.Store) {
	errs := make([]error, raceCounters)
	together(raceCounters, func(i int) {
		_, errs[i] = s.RecordFailedAttempt(t.Context(), tenantA, "ln_race", identity.AttemptPassword, at(i))
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("failure %d: got error %v, want nil", i, err)
		}
	}
	got, err := s.GetAttempts(t.Context(), tenantA, "ln_race", identity.AttemptPassword)
	if err != nil || got.Count != raceCounters {
		t.Errorf("GetAttempts: got %+v, %v, want a count of %d", got, err, raceCounters)
	}
}

func testConcurrentSingleUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := userFixture(tenantA, 1)
	createUsers(t, s, a)
	if err := s.PutTOTP(ctx, totpFixture(a)); err != nil {
		t.Fatalf("PutTOTP: got error %v, want nil", err)
	}
	if ok, err := s.ConfirmTOTP(ctx, tenantA, a.ID, 1, at(1), []string{"code"}); !ok || err != nil {
		t.Fatalf("ConfirmTOTP: got %t, %v, want true, nil", ok, err)
	}
	if err := s.CreateSetPasswordToken(ctx, setToken(a, 1)); err != nil {
		t.Fatalf("CreateSetPasswordToken: got error %v, want nil", err)
	}
	for _, tc := range []struct {
		name string
		use  func() (bool, error)
	}{
		{"UseRecoveryCode", func() (bool, error) { return s.UseRecoveryCode(ctx, tenantA, a.ID, "code") }},
		{"UseTOTPStep", func() (bool, error) { return s.UseTOTPStep(ctx, tenantA, a.ID, 2) }},
		{"UseSetPasswordToken", func() (bool, error) { return s.UseSetPasswordToken(ctx, tenantA, setToken(a, 1).Hash, at(2)) }},
	} {
		wins := make([]bool, raceSpenders)
		errs := make([]error, raceSpenders)
		together(raceSpenders, func(i int) { wins[i], errs[i] = tc.use() })
		n := 0
		for i := range wins {
			if errs[i] != nil {
				t.Errorf("%s %d: got error %v, want nil", tc.name, i, errs[i])
			}
			if wins[i] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d of %d calls won, want exactly 1", tc.name, n, raceSpenders)
		}
	}
}

// Isolation rows: users and refresh tokens, seeded for both tenants of
// isolationPair with the same emails, so that per-tenant uniqueness is
// part of what is checked.

// isoUser returns the user numbered n of tn.
func isoUser(tn tenant.Tenant, n int) identity.User {
	u := userFixture(tn.ID, n)
	u.Email = fmt.Sprintf("staff%d@example.com", n)
	return u
}

// isoSession returns the session of tn's first user.
func isoSession(tn tenant.Tenant) (identity.RefreshFamily, identity.RefreshToken) {
	return session(isoUser(tn, 1), 1)
}

// isoHashes are the refresh-token hashes a tenant's snapshot reads: the
// seeded one and those the operations below may add.
func isoHashes(tn tenant.Tenant) []string {
	_, first := isoSession(tn)
	return []string{first.Hash, first.Hash + "_next", first.Hash + "_tx"}
}

func identityIsolationKinds() []isolationKind {
	return []isolationKind{
		{
			name: "users",
			seed: func(t *testing.T, s store.Store, tn tenant.Tenant) {
				createUsers(t, s, isoUser(tn, 1), isoUser(tn, 2))
			},
			snapshot: func(t *testing.T, s store.Store, tenantID string) any {
				all := allUsers(t, s, tenantID)
				n, err := s.CountUsers(t.Context(), tenantID)
				return []any{all, n, core.ErrorCode(err)}
			},
		},
		{
			name: "refresh tokens",
			seed: func(t *testing.T, s store.Store, tn tenant.Tenant) {
				f, first := isoSession(tn)
				createSession(t, s, f, first)
			},
			snapshot: func(t *testing.T, s store.Store, tenantID string) any {
				tn := tenant.Tenant{ID: tenantID}
				var out []any
				for _, h := range isoHashes(tn) {
					tok, fam, err := s.GetRefreshToken(t.Context(), tenantID, h)
					out = append(out, tok, fam, core.ErrorCode(err))
				}
				return out
			},
		},
	}
}

func identityIsolationOps() []isolationOp {
	return []isolationOp{
		{name: "update a user", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			if _, err := s.UpdateUser(t.Context(), actor.ID, isoUser(actor, 1).ID, func(u identity.User) (identity.User, error) {
				u.Name, u.Email = "Renamed", "staff2-old@example.com"
				u.Permissions = append(u.Permissions, "billing:*")
				return u, nil
			}); err != nil {
				t.Fatalf("UpdateUser: got error %v, want nil", err)
			}
		}},
		{name: "delete a user", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			if err := s.DeleteUser(t.Context(), actor.ID, isoUser(actor, 1).ID); err != nil {
				t.Fatalf("DeleteUser: got error %v, want nil", err)
			}
		}},
		{name: "create a user", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			createUsers(t, s, isoUser(actor, 3))
		}},
		{name: "rotate a refresh token", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			f, first := isoSession(actor)
			ok, err := s.RotateRefreshToken(t.Context(), actor.ID, first.Hash, tokenIn(f, first.Hash+"_next", at(60)), at(60))
			if !ok || err != nil {
				t.Fatalf("RotateRefreshToken: got %t, %v, want true, nil", ok, err)
			}
		}},
		{name: "revoke a session", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			f, _ := isoSession(actor)
			if err := s.RevokeRefreshFamily(t.Context(), actor.ID, f.ID, at(61)); err != nil {
				t.Fatalf("RevokeRefreshFamily: got error %v, want nil", err)
			}
		}},
		{name: "revoke a user's sessions", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			if n, err := s.RevokeUserRefreshFamilies(t.Context(), actor.ID, isoUser(actor, 1).ID, at(62)); n != 1 || err != nil {
				t.Fatalf("RevokeUserRefreshFamilies: got %d, %v, want 1, nil", n, err)
			}
		}},
		{name: "reach the other's users and tokens", act: func(t *testing.T, s store.Store, actor, observer tenant.Tenant) {
			ctx := t.Context()
			theirs := isoUser(observer, 1)
			f, first := isoSession(observer)
			_, err := s.GetUser(ctx, actor.ID, theirs.ID)
			wantCode(t, "GetUser of the other's user", err, core.NotFound)
			_, err = s.UpdateUser(ctx, actor.ID, theirs.ID, func(u identity.User) (identity.User, error) {
				u.Name = "Hijack"
				return u, nil
			})
			wantCode(t, "UpdateUser of the other's user", err, core.NotFound)
			wantCode(t, "DeleteUser of the other's user", s.DeleteUser(ctx, actor.ID, theirs.ID), core.NotFound)
			wantCode(t, "CreateUser with the other's user ID", s.CreateUser(ctx, func() identity.User {
				u := isoUser(actor, 9)
				u.ID = theirs.ID
				return u
			}()), core.Conflict)
			got, err := s.GetUserByEmail(ctx, actor.ID, theirs.Email)
			if err != nil || got.TenantID != actor.ID {
				t.Errorf("GetUserByEmail(%s, %s): got a user of tenant %q, error %v; want the actor's own", actor.ID, theirs.Email, got.TenantID, err)
			}
			_, _, err = s.GetRefreshToken(ctx, actor.ID, first.Hash)
			wantCode(t, "GetRefreshToken of the other's token", err, core.NotFound)
			_, err = s.GetRefreshFamily(ctx, actor.ID, f.ID)
			wantCode(t, "GetRefreshFamily of the other's session", err, core.NotFound)
			_, err = s.RotateRefreshToken(ctx, actor.ID, first.Hash, tokenIn(f, first.Hash+"_next", at(63)), at(63))
			wantCode(t, "RotateRefreshToken of the other's token", err, core.NotFound)
			wantCode(t, "RevokeRefreshFamily of the other's session", s.RevokeRefreshFamily(ctx, actor.ID, f.ID, at(63)), core.NotFound)
			if n, err := s.RevokeUserRefreshFamilies(ctx, actor.ID, theirs.ID, at(63)); n != 0 || err != nil {
				t.Errorf("RevokeUserRefreshFamilies of the other's user: got %d, %v, want 0, nil", n, err)
			}
		}},
		{name: "identity writes rolled back", act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			err := s.InTx(t.Context(), func(tx store.Store) error {
				f, first := isoSession(actor)
				if ok, err := tx.RotateRefreshToken(t.Context(), actor.ID, first.Hash, tokenIn(f, first.Hash+"_tx", at(64)), at(64)); !ok || err != nil {
					t.Errorf("RotateRefreshToken: got %t, %v, want true, nil", ok, err)
				}
				if err := tx.DeleteUser(t.Context(), actor.ID, isoUser(actor, 2).ID); err != nil {
					t.Errorf("DeleteUser: got error %v, want nil", err)
				}
				createUsers(t, tx, isoUser(actor, 5))
				return errSentinel
			})
			if !errors.Is(err, errSentinel) {
				t.Fatalf("InTx: got error %v, want %v", err, errSentinel)
			}
		}},
	}
}
