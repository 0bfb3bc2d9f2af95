package atomix_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/tenant"
)

// authzWorld is a platform with distributor D, its partner P, another
// partner Q directly under the platform, tenant A owned by P (with
// atom_task) and tenant B owned by Q, and users of each.
type authzWorld struct {
	p                *atomix.Platform
	sys              context.Context
	d, pr, q         string
	a, b             string
	adminA, memberA  string
	ownA             string
	distUser, prUser string
}

func newAuthzWorld(t *testing.T) *authzWorld {
	t.Helper()
	p, _ := newPlatform(t, atomix.WithIdentity(identityConfig()))
	w := &authzWorld{p: p, sys: atomix.AsSystem(context.Background())}
	demo, err := atom.DemoCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PublishAtoms(w.sys, demo.Atoms()...); err != nil {
		t.Fatal(err)
	}
	rs := p.Resellers()
	d := rsMust[reseller.Reseller](t, "distributor")(rs.CreateDistributor(w.sys, rsInput("Dist Co")))
	in := rsInput("Part Co")
	in.DistributorID = d.ID
	pr := rsMust[reseller.Reseller](t, "partner")(rs.CreatePartner(w.sys, in))
	q := rsMust[reseller.Reseller](t, "partner")(rs.CreatePartner(w.sys, rsInput("Other Co")))
	w.d, w.pr, w.q = d.ID, pr.ID, q.ID
	mk := func(sub, owner string) (string, string) {
		out, err := p.CreateTenant(w.sys, atomix.CreateTenantInput{Name: "Tenant " + sub, Subdomain: sub, OwnerID: owner,
			InitialAtoms: []string{"atom_task"}, Contact: tenant.Contact{Name: "Jane Roe", Email: "jane@" + sub + ".example.com"}})
		if err != nil {
			t.Fatalf("CreateTenant %s: %v", sub, err)
		}
		return out.Tenant.ID, out.AdminUser.ID
	}
	w.a, w.adminA = mk("alpha", w.pr)
	w.b, _ = mk("bravo", w.q)
	user := func(email, tenantID string, sc identity.Scope, role identity.Role, perms ...string) string {
		u, err := p.Identity().CreateUser(w.sys, identity.CreateUserInput{TenantID: tenantID, Scope: sc, Name: "Some One",
			Email: email, Role: role, Permissions: perms})
		if err != nil {
			t.Fatalf("CreateUser %s: %v", email, err)
		}
		return u.ID
	}
	w.memberA = user("member@alpha.example.com", w.a, identity.Scope{}, identity.RoleTenantMember)
	w.ownA = user("own@alpha.example.com", w.a, identity.Scope{}, identity.RoleTenantMember, "task:edit_own")
	w.distUser = user("dist@example.com", "", identity.Scope{Kind: identity.ScopeDistributor, ID: w.d}, identity.RoleDistributorAdmin)
	w.prUser = user("part@example.com", "", identity.Scope{Kind: identity.ScopePartner, ID: w.pr}, identity.RolePartnerAdmin)
	return w
}

// as returns a context acting as the user.
func (w *authzWorld) as(t *testing.T, userID string) context.Context {
	t.Helper()
	a, err := w.p.ActorForUser(w.sys, userID)
	if err != nil {
		t.Fatalf("ActorForUser %s: %v", userID, err)
	}
	return access.WithActor(context.Background(), a)
}

func wantAuthz(t *testing.T, what string, err error, want core.Code) {
	t.Helper()
	if got := core.ErrorCode(err); got != want {
		t.Errorf("%s: got code %q (%v), want %q", what, got, err, want)
	}
}

// TestNoActorIsUnauthenticated checks that the Platform refuses work
// whose context carries no actor.
func TestNoActorIsUnauthenticated(t *testing.T) {
	w := newAuthzWorld(t)
	ctx := context.Background()
	_, err := w.p.CreateTenant(ctx, seedInput())
	wantAuthz(t, "CreateTenant", err, core.Unauthenticated)
	_, err = w.p.GetTenant(ctx, w.a)
	wantAuthz(t, "GetTenant", err, core.Unauthenticated)
	_, err = w.p.ListTenants(ctx, tenant.ListQuery{})
	wantAuthz(t, "ListTenants", err, core.Unauthenticated)
	_, err = w.p.ListTenantAtoms(ctx, w.a)
	wantAuthz(t, "ListTenantAtoms", err, core.Unauthenticated)
	_, err = w.p.Resellers().ListCustomers(ctx, reseller.CustomerFilter{})
	wantAuthz(t, "ListCustomers", err, core.Unauthenticated)
	_, err = w.p.GetUser(ctx, w.adminA)
	wantAuthz(t, "GetUser", err, core.Unauthenticated)
}

// TestScopes checks the 404 outside a scope and the 403 inside it without
// the permission, for each kind of actor, through Go.
func TestScopes(t *testing.T) {
	w := newAuthzWorld(t)
	tests := []struct {
		name   string
		user   string
		tenant string
		op     func(ctx context.Context, id string) error
		want   core.Code
	}{
		{"distributor reads its partner's tenant", w.distUser, w.a, w.get, ""},
		{"distributor reads another's tenant", w.distUser, w.b, w.get, core.NotFound},
		{"partner reads its tenant", w.prUser, w.a, w.get, ""},
		{"partner reads another's tenant", w.prUser, w.b, w.get, core.NotFound},
		{"tenant admin reads its tenant", w.adminA, w.a, w.get, ""},
		{"tenant admin reads B", w.adminA, w.b, w.get, core.NotFound},
		{"tenant admin deletes its tenant", w.adminA, w.a, w.del, core.Forbidden},
		{"tenant admin deletes B", w.adminA, w.b, w.del, core.NotFound},
		{"tenant admin lists B's users", w.adminA, w.b, w.users, core.NotFound},
		{"tenant admin lists B's atoms", w.adminA, w.b, w.atoms, core.NotFound},
		{"member lists A's users", w.memberA, w.a, w.users, core.Forbidden},
		{"member reads a made-up tenant", w.memberA, "tn_doesnotexist0000000000", w.get, core.NotFound},
	}
	for _, tt := range tests {
		wantAuthz(t, tt.name, tt.op(w.as(t, tt.user), tt.tenant), tt.want)
	}
}

func (w *authzWorld) get(ctx context.Context, id string) error {
	_, err := w.p.GetTenant(ctx, id)
	return err
}

func (w *authzWorld) del(ctx context.Context, id string) error {
	_, err := w.p.DeleteTenant(ctx, id)
	return err
}

func (w *authzWorld) users(ctx context.Context, id string) error {
	_, err := w.p.ListUsers(ctx, id, core.PageRequest{})
	return err
}

func (w *authzWorld) atoms(ctx context.Context, id string) error {
	_, err := w.p.ListTenantAtoms(ctx, id)
	return err
}

// TestScopedLists checks that lists hold only what the actor reaches.
func TestScopedLists(t *testing.T) {
	w := newAuthzWorld(t)
	tests := []struct {
		name string
		user string
		want []string
	}{
		{"distributor", w.distUser, []string{w.a}},
		{"partner", w.prUser, []string{w.a}},
		{"tenant admin", w.adminA, []string{w.a}},
		{"member", w.memberA, []string{w.a}},
	}
	for _, tt := range tests {
		pg, err := w.p.ListTenants(w.as(t, tt.user), tenant.ListQuery{})
		if err != nil {
			t.Fatalf("%s: ListTenants: %v", tt.name, err)
		}
		var got []string
		for _, tn := range pg.Items {
			got = append(got, tn.ID)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") || pg.Total != len(tt.want) {
			t.Errorf("%s: got tenants %v (total %d), want %v", tt.name, got, pg.Total, tt.want)
		}
	}
	all, err := w.p.ListTenants(w.sys, tenant.ListQuery{})
	if err != nil || all.Total != 2 {
		t.Errorf("system: got total %d (%v), want 2", all.Total, err)
	}
}

// TestResellerCallers is issue 6's items 3 and 4: a partner admin's new
// tenant is the partner's; the customer view derives the reseller from the
// caller, and another reseller's customers are unknown to it.
func TestResellerCallers(t *testing.T) {
	w := newAuthzWorld(t)
	ctx := w.as(t, w.prUser)
	out, err := w.p.CreateTenant(ctx, atomix.CreateTenantInput{Name: "Charlie", Subdomain: "charlie",
		Contact: tenant.Contact{Name: "Cal Lee", Email: "cal@charlie.example.com"}})
	if err != nil {
		t.Fatalf("CreateTenant as a partner admin: %v", err)
	}
	if out.Tenant.OwnerID != w.pr {
		t.Errorf("owner: got %q, want the partner %q", out.Tenant.OwnerID, w.pr)
	}
	_, err = w.p.CreateTenant(ctx, atomix.CreateTenantInput{Name: "Delta", Subdomain: "delta", OwnerID: w.q,
		Contact: tenant.Contact{Name: "Dee Lee", Email: "dee@delta.example.com"}})
	wantAuthz(t, "CreateTenant for another partner", err, core.OwnerUnknown)

	pg, err := w.p.Resellers().ListCustomers(ctx, reseller.CustomerFilter{})
	if err != nil || pg.Total != 2 {
		t.Fatalf("ListCustomers as the partner: got total %d (%v), want 2 (alpha, charlie)", pg.Total, err)
	}
	for _, c := range pg.Items {
		if c.Tenant.OwnerID != w.pr {
			t.Errorf("ListCustomers as the partner: got %s owned by %q, want only the partner's", c.Tenant.ID, c.Tenant.OwnerID)
		}
	}
	_, err = w.p.Resellers().ListCustomers(ctx, reseller.CustomerFilter{Under: w.q})
	wantAuthz(t, "ListCustomers under another partner", err, core.OwnerUnknown)
	pg, err = w.p.Resellers().ListCustomers(w.as(t, w.distUser), reseller.CustomerFilter{})
	if err != nil || pg.Total != 2 {
		t.Errorf("ListCustomers as the distributor: got total %d (%v), want its partner's 2", pg.Total, err)
	}
	_, err = w.p.Resellers().ListCustomers(w.as(t, w.adminA), reseller.CustomerFilter{})
	wantAuthz(t, "ListCustomers as a tenant admin", err, core.Forbidden)
}

// TestGrants checks what a tenant admin may give: only permissions its
// tenant's atoms or the platform define (422 naming the grant), never
// above its own (403), and that an uninstalled atom's grants are inert.
func TestGrants(t *testing.T) {
	w := newAuthzWorld(t)
	admin := w.as(t, w.adminA)

	_, err := w.p.SetUserPermissions(admin, w.memberA, []string{"task:view", "crm:view"})
	wantAuthz(t, "granting crm:view without atom_crm", err, core.Invalid)
	if err == nil || !strings.Contains(err.Error(), `"crm:view"`) {
		t.Errorf("granting crm:view: got %v, want the grant named", err)
	}
	_, err = w.p.SetUserPermissions(admin, w.adminA, []string{"reseller:view"})
	wantAuthz(t, "raising itself above its permissions", err, core.Forbidden)
	_, err = w.p.SetUserPermissions(admin, w.memberA, []string{"task:view", "!task:create"})
	wantAuthz(t, "granting task:view and denying task:create", err, "")
	_, err = w.p.SetUserPermissions(admin, w.memberA, []string{"task:"})
	wantAuthz(t, "a malformed grant", err, core.Invalid)

	member := w.as(t, w.memberA)
	a, _ := access.ActorFrom(member)
	if !a.Perms.Check("task:view") || a.Perms.Check("task:create") {
		t.Errorf("member: got task:view %v, task:create %v, want true, false", a.Perms.Check("task:view"), a.Perms.Check("task:create"))
	}
	_, err = w.p.SetUserRole(member, w.memberA, identity.RoleTenantAdmin)
	wantAuthz(t, "a member raising itself", err, core.Forbidden)

	// task:edit_own: the owner passes, another user does not.
	own := w.as(t, w.ownA)
	oa, _ := access.ActorFrom(own)
	if !oa.Perms.CheckOwn("task:edit", w.ownA, w.ownA) {
		t.Errorf("CheckOwn on its own task: got false, want true")
	}
	if oa.Perms.CheckOwn("task:edit", w.memberA, w.ownA) || oa.Perms.Check("task:edit") {
		t.Errorf("CheckOwn on another's task: got true, want false")
	}

	// Uninstalling atom_task makes its grants inert.
	if _, err := w.p.UninstallAtom(w.sys, w.a, "atom_task", atomix.AtomUninstall{}); err != nil {
		t.Fatalf("UninstallAtom: %v", err)
	}
	oa, err = w.p.ActorForUser(w.sys, w.ownA)
	if err != nil {
		t.Fatal(err)
	}
	if oa.Perms.CheckOwn("task:edit", w.ownA, w.ownA) {
		t.Errorf("CheckOwn after uninstalling atom_task: got true, want false")
	}
	_, err = w.p.SetUserPermissions(admin, w.memberA, []string{"task:view"})
	wantAuthz(t, "granting task:view after uninstalling atom_task", err, core.Invalid)
}

// TestAuditLog checks that mutating calls are recorded with their outcome,
// denials included, and that each actor reads the log within its scope.
func TestAuditLog(t *testing.T) {
	w := newAuthzWorld(t)
	admin := w.as(t, w.adminA)
	name := "Alpha Renamed"
	if _, err := w.p.UpdateTenant(admin, w.a, tenant.UpdateInput{Name: &name}); err != nil {
		t.Fatalf("UpdateTenant: %v", err)
	}
	_, err := w.p.DeleteTenant(admin, w.b)
	wantAuthz(t, "deleting B", err, core.NotFound)
	_, err = w.p.DeleteTenant(admin, w.a)
	wantAuthz(t, "deleting A", err, core.Forbidden)
	_, err = w.p.SetUserPermissions(admin, w.memberA, []string{"crm:view"})
	wantAuthz(t, "granting crm:view", err, core.Invalid)

	pg, err := w.p.Audit(w.sys, atomix.AuditQuery{ActorID: w.adminA})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range pg.Items {
		got = append(got, e.Action+" "+e.TenantID+" "+string(e.Outcome)+" "+e.Code)
	}
	want := []string{
		"user.permissions " + w.a + " failed invalid",
		"tenant.delete " + w.a + " denied forbidden",
		"tenant.delete " + w.b + " denied not_found",
		"tenant.update " + w.a + " succeeded ",
	}
	// Entries of one instant come in no set order.
	slices.Sort(got)
	slices.Sort(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the admin's entries: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range pg.Items {
		if e.ActorKind != "user" || e.ActorRole != "tenant_admin" || e.At.IsZero() || !strings.HasPrefix(e.ID, "aud_") {
			t.Errorf("entry %+v: want a user tenant_admin actor, a time and an aud_ ID", e)
		}
	}

	// Each actor reads its scope only.
	tests := []struct {
		name       string
		user       string
		q          atomix.AuditQuery
		wantTenant map[string]bool
		code       core.Code
	}{
		{"the tenant admin", w.adminA, atomix.AuditQuery{}, map[string]bool{w.a: true}, ""},
		{"the tenant admin on B", w.adminA, atomix.AuditQuery{TenantID: w.b}, nil, core.NotFound},
		{"the partner", w.prUser, atomix.AuditQuery{}, map[string]bool{w.a: true}, ""},
		{"the distributor", w.distUser, atomix.AuditQuery{}, map[string]bool{w.a: true}, ""},
		{"a member", w.memberA, atomix.AuditQuery{}, nil, core.Forbidden},
	}
	for _, tt := range tests {
		pg, err := w.p.Audit(w.as(t, tt.user), tt.q)
		wantAuthz(t, tt.name, err, tt.code)
		if err != nil {
			continue
		}
		if len(pg.Items) == 0 {
			t.Errorf("%s: got no entries, want A's", tt.name)
		}
		for _, e := range pg.Items {
			if !tt.wantTenant[e.TenantID] {
				t.Errorf("%s: got an entry of tenant %q (%s), want only %v", tt.name, e.TenantID, e.Action, tt.wantTenant)
			}
		}
	}
}

// TestCustomRoles checks a tenant's custom roles: made only from
// permissions its atoms or the platform define and the maker holds, listed
// with the built-in ones, and given to a member as its grants.
func TestCustomRoles(t *testing.T) {
	w := newAuthzWorld(t)
	admin := w.as(t, w.adminA)
	in := atomix.NewRoleInput{Name: "support", Description: "Tasks", Permissions: []string{"task:view", "task:edit_own"}}
	if _, err := w.p.CreateRole(admin, w.b, in); core.ErrorCode(err) != core.NotFound {
		t.Errorf("a role in B: got %v, want not_found", err)
	}
	r, err := w.p.CreateRole(admin, w.a, in)
	if err != nil || !r.Custom || r.TenantID != w.a {
		t.Fatalf("CreateRole: got %+v, %v, want a custom role of A", r, err)
	}
	_, err = w.p.CreateRole(admin, w.a, in)
	wantAuthz(t, "the same name again", err, core.Conflict)
	_, err = w.p.CreateRole(admin, w.a, atomix.NewRoleInput{Name: "sales", Permissions: []string{"crm:view"}})
	wantAuthz(t, "a role with crm:view without atom_crm", err, core.Invalid)
	_, err = w.p.CreateRole(admin, w.a, atomix.NewRoleInput{Name: "boss", Permissions: []string{"reseller:view"}})
	wantAuthz(t, "a role above the admin", err, core.Forbidden)
	_, err = w.p.CreateRole(admin, w.a, atomix.NewRoleInput{Name: "tenant_admin", Permissions: []string{"task:view"}})
	wantAuthz(t, "a built-in name", err, core.Invalid)

	roles, err := w.p.Roles(w.as(t, w.memberA), "")
	if err != nil {
		t.Fatal(err)
	}
	if last := roles[len(roles)-1]; len(roles) != 6 || last.Name != "support" || !last.Custom {
		t.Errorf("Roles as a member of A: got %d roles ending %+v, want the 5 built-in and support", len(roles), last)
	}

	u, err := w.p.SetUserRole(admin, w.memberA, "support")
	if err != nil || u.Role != identity.RoleTenantMember || strings.Join(u.Permissions, ",") != "task:view,task:edit_own" {
		t.Fatalf("SetUserRole support: got %s %v (%v), want a member with the role's grants", u.Role, u.Permissions, err)
	}
	_, err = w.p.SetUserRole(admin, w.memberA, "nobody")
	wantAuthz(t, "an unknown role", err, core.Invalid)
	a, _ := access.ActorFrom(w.as(t, w.memberA))
	if !a.Perms.CheckOwn("task:edit", w.memberA, w.memberA) || a.Perms.CheckOwn("task:edit", w.ownA, w.memberA) {
		t.Errorf("the member with support: want task:edit on its own tasks only")
	}
}
