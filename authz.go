package atomix

import (
	"context"
	"slices"
	"strings"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/tenant"
)

// Access control on the platform. Every Platform method that reads or
// changes a record takes its actor from the context (access.ActorFrom):
// without one it answers core.Unauthenticated. A record outside the
// actor's scope does not exist for it (core.NotFound); inside its scope,
// an operation its permissions do not allow is core.Forbidden.
//
// Scopes: a platform actor reaches every tenant; a distributor the tenants
// it owns and those its partners own; a partner the tenants it owns; a
// tenant user its own tenant only.

// The platform's permission catalogue: what the platform itself defines,
// beside the permissions of atoms.
const (
	PermTenantView      = "tenant:view"
	PermTenantCreate    = "tenant:create"
	PermTenantEdit      = "tenant:edit"
	PermTenantDelete    = "tenant:delete"
	PermTenantLifecycle = "tenant:lifecycle" // suspend, activate, cancel
	PermTenantMove      = "tenant:move"      // change the owner
	PermUserView        = "user:view"
	PermUserCreate      = "user:create"
	PermUserEdit        = "user:edit"
	PermUserDelete      = "user:delete"
	PermUserGrant       = "user:grant" // permissions and roles
	PermRoleView        = "role:view"
	PermRoleCreate      = "role:create"
	PermAtomView        = "atom:view"
	PermAtomPublish     = "atom:publish"
	PermInstallView     = "installation:view"
	PermInstallCreate   = "installation:create"
	PermInstallEdit     = "installation:edit"
	PermInstallDelete   = "installation:delete"
	PermResellerView    = "reseller:view"
	PermResellerCreate  = "reseller:create"
	PermResellerEdit    = "reseller:edit"
	PermResellerDelete  = "reseller:delete"
	PermCustomerView    = "customer:view"
	PermCustomerCreate  = "customer:create"
	PermCustomerDelete  = "customer:delete"
	PermAuditView       = "audit:view"
)

// PlatformPermissions lists the platform's permission catalogue.
func PlatformPermissions() []string {
	return []string{
		PermTenantView, PermTenantCreate, PermTenantEdit, PermTenantDelete, PermTenantLifecycle, PermTenantMove,
		PermUserView, PermUserCreate, PermUserEdit, PermUserDelete, PermUserGrant,
		PermRoleView, PermRoleCreate,
		PermAtomView, PermAtomPublish,
		PermInstallView, PermInstallCreate, PermInstallEdit, PermInstallDelete,
		PermResellerView, PermResellerCreate, PermResellerEdit, PermResellerDelete,
		PermCustomerView, PermCustomerCreate, PermCustomerDelete,
		PermAuditView,
		PermSettingsView, PermSettingsEdit,
		PermPlanView, PermPlanCreate, PermPlanEdit, PermPlanDelete, PermPricingView, PermPricingCreate,
		PermSubscriptionView, PermSubscriptionCreate, PermSubscriptionEdit, PermUsageView, PermUsageWrite,
		PermInvoiceView, PermInvoiceEdit, PermBillingRun, PermBillingView,
		PermCommissionView, PermCommissionPlan, PermCommissionRun, PermCommissionClose,
	}
}

// platformResource reports whether res is a resource of the platform's
// catalogue.
func platformResource(res string) bool {
	switch res {
	case "tenant", "user", "role", "atom", "installation", "reseller", "customer", "audit", "settings",
		"plan", "pricing", "subscription", "usage", "invoice", "billing", "commission":
		return true
	}
	return false
}

// RolePermissions returns the default grants of a role; nil for an unknown
// one. A tenant admin also holds every permission of its tenant's
// installed atoms (see Platform.ActorForUser).
func RolePermissions(role identity.Role) []string {
	switch role {
	case identity.RoleSuperAdmin:
		return []string{"*"}
	case identity.RoleDistributorAdmin:
		return []string{"tenant:*", "user:*", "role:*", "atom:view", "installation:*",
			PermResellerView, PermResellerCreate, PermResellerEdit, "customer:*", PermAuditView,
			PermSubscriptionView, PermSubscriptionCreate, PermSubscriptionEdit, PermUsageView, PermInvoiceView, PermBillingView,
			PermCommissionView}
	case identity.RolePartnerAdmin:
		return []string{"tenant:*", "user:*", "role:*", "atom:view", "installation:*",
			PermResellerView, "customer:*", PermAuditView,
			PermSubscriptionView, PermSubscriptionCreate, PermSubscriptionEdit, PermUsageView, PermInvoiceView, PermBillingView,
			PermCommissionView}
	case identity.RoleTenantAdmin:
		return []string{PermTenantView, PermTenantEdit, "user:*", "role:*", PermAtomView, "installation:*", PermAuditView,
			PermSubscriptionView, PermUsageView, PermInvoiceView, PermBillingView}
	case identity.RoleTenantMember:
		return []string{PermTenantView, PermAtomView, PermInstallView, PermRoleView}
	}
	return nil
}

// AsSystem returns ctx carrying the system actor (access.System): every
// permission, the platform's scope. It is for trusted internal work, and
// for embedders calling the platform on their own behalf.
func AsSystem(ctx context.Context) context.Context { return access.AsSystem(ctx) }

// actor returns the context's actor.
// Errors: core.Unauthenticated when the context carries none.
func actor(ctx context.Context) (access.Actor, error) {
	a, ok := access.ActorFrom(ctx)
	if !ok {
		return access.Actor{}, core.Errorf(core.Unauthenticated, "the operation needs an actor in its context (atomix.AsSystem for trusted work)")
	}
	return a, nil
}

// forbidden returns the error of an actor lacking perm.
func forbidden(perm string) error {
	return core.Errorf(core.Forbidden, "the operation needs the permission %q", perm)
}

// need returns the context's actor when it holds perm.
// Errors: core.Unauthenticated; core.Forbidden.
func need(ctx context.Context, perm string) (access.Actor, error) {
	a, err := actor(ctx)
	if err != nil {
		return a, err
	}
	if !a.Perms.Check(perm) {
		return a, forbidden(perm)
	}
	return a, nil
}

// platformActor reports whether a works for the whole platform.
func platformActor(a access.Actor) bool { return a.Scope.Kind == access.ScopePlatform }

// ownerInScope reports whether a tenant owned by ownerID ("" for the
// platform) lies in a reseller actor's tree.
// Errors: those of the store.
func (p *Platform) ownerInScope(ctx context.Context, a access.Actor, ownerID string) (bool, error) {
	switch a.Scope.Kind {
	case access.ScopePlatform:
		return true, nil
	case access.ScopePartner:
		return ownerID != "" && ownerID == a.Scope.ID, nil
	case access.ScopeDistributor:
		if ownerID == "" {
			return false, nil
		}
		if ownerID == a.Scope.ID {
			return true, nil
		}
		if reseller.KindOf(ownerID) != reseller.KindPartner {
			return false, nil
		}
		r, err := p.store.GetReseller(ctx, ownerID)
		if core.ErrorCode(err) == core.NotFound {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return r.DistributorID == a.Scope.ID, nil
	}
	return false, nil
}

// tenantInScope reports whether a reaches t.
// Errors: those of the store.
func (p *Platform) tenantInScope(ctx context.Context, a access.Actor, t tenant.Tenant) (bool, error) {
	if a.Scope.Kind == access.ScopeTenant {
		return t.ID == a.Scope.ID, nil
	}
	return p.ownerInScope(ctx, a, t.OwnerID)
}

// tenantNotFound is the answer for a tenant that does not exist, or lies
// outside the actor's scope: the two are the same to the actor.
func tenantNotFound(id string) error { return core.Errorf(core.NotFound, "tenant %q not found", id) }

// reachTenant returns the tenant with the ID when the context's actor
// reaches it and holds perm.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden.
func (p *Platform) reachTenant(ctx context.Context, perm, id string) (access.Actor, tenant.Tenant, error) {
	a, err := actor(ctx)
	if err != nil {
		return a, tenant.Tenant{}, err
	}
	if a.Scope.Kind == access.ScopeTenant && id != a.Scope.ID {
		noteOutOfScope(ctx)
		return a, tenant.Tenant{}, tenantNotFound(id)
	}
	t, err := p.tenants.Get(ctx, id)
	if err != nil {
		return a, tenant.Tenant{}, err
	}
	ok, err := p.tenantInScope(ctx, a, t)
	if err != nil {
		return a, tenant.Tenant{}, err
	}
	if !ok {
		noteOutOfScope(ctx)
		return a, tenant.Tenant{}, tenantNotFound(id)
	}
	if !a.Perms.Check(perm) {
		return a, tenant.Tenant{}, forbidden(perm)
	}
	return a, t, nil
}

// resellerInScope reports whether a reaches the reseller r: the platform
// every one; a distributor itself and its partners; a partner itself.
func resellerInScope(a access.Actor, r reseller.Reseller) bool {
	switch a.Scope.Kind {
	case access.ScopePlatform:
		return true
	case access.ScopeDistributor:
		return r.ID == a.Scope.ID || r.DistributorID == a.Scope.ID
	case access.ScopePartner:
		return r.ID == a.Scope.ID
	}
	return false
}

// scopedOwner returns the owner a tenant made by a gets: ownerID when it
// lies in a's tree (the actor itself when ownerID is empty and a is a
// reseller).
// Errors: core.OwnerUnknown for an owner outside a's tree, as for one that
// does not exist; those of the store.
func (p *Platform) scopedOwner(ctx context.Context, a access.Actor, ownerID string) (string, error) {
	if ownerID == "" && (a.Scope.Kind == access.ScopeDistributor || a.Scope.Kind == access.ScopePartner) {
		return a.Scope.ID, nil
	}
	ok, err := p.ownerInScope(ctx, a, ownerID)
	if err != nil {
		return "", err
	}
	if !ok {
		noteOutOfScope(ctx)
		return "", &core.Error{
			Code:    core.OwnerUnknown,
			Message: "no distributor or partner " + ownerID + " exists",
			Fields:  []core.FieldError{{Field: "ownerId", Message: "names no distributor or partner"}},
		}
	}
	return ownerID, nil
}

// scanLimit is the page size walks read the store with.
const scanLimit = core.MaxLimit

// walk calls fn with every item of a store list, in list order. It reads
// keyset pages of scanLimit: list(after, pr) returns page pr (always the
// first) of the items that sort after after (nil: from the first), which
// a store list reads with its filter's After and Page set to them. Each
// page starts after the last item of the one before (key gives an item's
// place), so an item entering or leaving the store's filter before that
// place while the walk runs shifts nothing: none is seen twice or
// skipped, as offset pages would. It stops at the first short page or at
// fn's first error. Errors: those of list and fn.
func walk[T any](list func(after *core.ListKey, pr core.PageRequest) ([]T, error), key func(T) core.ListKey, fn func(T) error) error {
	pr := core.PageRequest{Page: 1, Limit: scanLimit}
	var after *core.ListKey
	for {
		items, err := list(after, pr)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if len(items) < scanLimit {
			return nil
		}
		after = new(key(items[len(items)-1]))
	}
}

// scopedPage returns the page req of the items of a store list that keep
// accepts, walking the whole list (walk, with list and key). Lists whose
// scope the store cannot filter use it.
// Errors: core.Invalid naming "page" or "limit" for a bad req; those of
// list and keep.
func scopedPage[T any](req core.PageRequest, list func(*core.ListKey, core.PageRequest) ([]T, error), key func(T) core.ListKey, keep func(T) (bool, error)) (core.Page[T], error) {
	req, err := req.Normalize()
	if err != nil {
		return core.Page[T]{}, err
	}
	lo, hi := req.Offset(), req.Offset()+req.Limit
	var page []T
	n := 0
	err = walk(list, key, func(it T) error {
		ok, err := keep(it)
		if err != nil || !ok {
			return err
		}
		if n >= lo && n < hi {
			page = append(page, it)
		}
		n++
		return nil
	})
	if err != nil {
		return core.Page[T]{}, err
	}
	return core.NewPage(req, page, n), nil
}

// ActorForUser returns the actor of a signed-in user, read from the store
// so that revoked grants and a disabled user apply at once: the user's
// role, scope, and effective permissions, compiled once. Effective
// permissions are the role's (RolePermissions) plus the user's grants;
// denies ("!x:y") win. For a tenant user, a grant on a resource that is
// neither the platform's nor defined by an atom the tenant has installed
// is inert; a tenant admin holds every permission of its installed atoms.
// Errors: core.Unauthenticated when the user does not exist or is
// disabled; those of the store.
func (p *Platform) ActorForUser(ctx context.Context, userID string) (access.Actor, error) {
	u, err := p.users.FindUser(ctx, userID)
	if core.ErrorCode(err) == core.NotFound || (err == nil && u.Status != identity.StatusActive) {
		return access.Actor{}, core.Errorf(core.Unauthenticated, "the user is unknown or disabled")
	}
	if err != nil {
		return access.Actor{}, err
	}
	grants := slices.Clone(RolePermissions(u.Role))
	if u.TenantID != "" {
		atomPerms, err := p.installedPermissions(ctx, u.TenantID)
		if err != nil {
			return access.Actor{}, err
		}
		if u.Role == identity.RoleTenantAdmin {
			grants = append(grants, atomPerms...)
		}
		grants = append(grants, effectiveGrants(u.Permissions, atomPerms)...)
	} else {
		grants = append(grants, u.Permissions...)
	}
	set, err := access.Compile(validGrants(grants))
	if err != nil {
		return access.Actor{}, err
	}
	return access.Actor{
		Kind:  access.ActorUser,
		ID:    u.ID,
		Role:  string(u.Role),
		Scope: access.Scope{Kind: access.ScopeKind(u.Scope.Kind), ID: u.Scope.ID},
		Perms: set,
	}, nil
}

// validGrants drops the grants access.Parse refuses: a grant stored
// before the grammar was enforced allows nothing.
func validGrants(gs []string) []string {
	out := gs[:0]
	for _, g := range gs {
		if _, err := access.Parse(g); err == nil {
			out = append(out, g)
		}
	}
	return out
}

// effectiveGrants returns the grants of a tenant user that are not inert:
// those on a platform resource or on one an installed atom defines
// (atomPerms), and "*".
func effectiveGrants(grants, atomPerms []string) []string {
	var out []string
	for _, g := range grants {
		pm, err := access.Parse(g)
		if err != nil {
			continue
		}
		if pm.Resource == "*" || platformResource(pm.Resource) || definesResource(atomPerms, pm.Resource) {
			out = append(out, g)
		}
	}
	return out
}

// definesResource reports whether one of perms is on res.
func definesResource(perms []string, res string) bool {
	for _, p := range perms {
		if r, _, _ := strings.Cut(p, ":"); r == res {
			return true
		}
	}
	return false
}

// installedPermissions returns the permissions the tenant's installed
// atoms define, at their installed versions.
// Errors: those of the store.
func (p *Platform) installedPermissions(ctx context.Context, tenantID string) ([]string, error) {
	insts, err := p.store.ListInstallations(ctx, tenantID)
	if err != nil || len(insts) == 0 {
		return nil, err
	}
	cat, err := p.catalogIn(ctx, p.store)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, in := range insts {
		a, err := cat.Get(in.AtomID, in.Version)
		if err != nil {
			continue // an atom gone from the catalog grants nothing
		}
		out = append(out, a.Permissions...)
	}
	return out, nil
}

// grantable reports the first grant of gs that the tenant cannot grant:
// one on a resource neither the platform nor an installed atom defines.
func grantable(gs, atomPerms []string) (string, bool) {
	for _, g := range gs {
		pm, err := access.Parse(g)
		if err != nil {
			return g, false
		}
		if pm.Resource != "*" && !platformResource(pm.Resource) && !definesResource(atomPerms, pm.Resource) {
			return g, false
		}
	}
	return "", true
}

// needPlatform checks that the context's actor works for the platform and
// holds perm.
// Errors: core.Unauthenticated; core.Forbidden.
func needPlatform(ctx context.Context, perm string) error {
	a, err := need(ctx, perm)
	if err != nil {
		return err
	}
	if !platformActor(a) {
		return core.Errorf(core.Forbidden, "the operation is the platform's")
	}
	return nil
}

// reachReseller returns the reseller with the ID when the context's actor
// reaches it and holds perm.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden.
func (p *Platform) reachReseller(ctx context.Context, perm, id string) (access.Actor, reseller.Reseller, error) {
	a, err := actor(ctx)
	if err != nil {
		return a, reseller.Reseller{}, err
	}
	notFound := core.Errorf(core.NotFound, "reseller %q not found", id)
	if k := reseller.KindOf(id); k != reseller.KindDistributor && k != reseller.KindPartner {
		return a, reseller.Reseller{}, notFound
	}
	r, err := p.store.GetReseller(ctx, id)
	if err != nil {
		return a, reseller.Reseller{}, err
	}
	if !resellerInScope(a, r) {
		noteOutOfScope(ctx)
		return a, reseller.Reseller{}, notFound
	}
	if !a.Perms.Check(perm) {
		return a, reseller.Reseller{}, forbidden(perm)
	}
	return a, r, nil
}
