package atomix

import (
	"context"
	"slices"
	"strings"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/role"
)

// Users and roles, checked against the context's actor (authz.go). A
// tenant's users are reached through their tenant's scope; platform and
// reseller users by the platform, and by the users of the same reseller.

// userNotFound is the answer for a user that does not exist, or lies
// outside the actor's scope.
func userNotFound(id string) error { return core.Errorf(core.NotFound, "user %q not found", id) }

// reachUser returns the user with the ID when the context's actor reaches
// it and holds perm; an actor always reads itself.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden.
func (p *Platform) reachUser(ctx context.Context, perm, id string) (access.Actor, identity.User, error) {
	a, err := actor(ctx)
	if err != nil {
		return a, identity.User{}, err
	}
	u, err := p.users.FindUser(ctx, id)
	if core.ErrorCode(err) == core.NotFound {
		return a, identity.User{}, userNotFound(id)
	}
	if err != nil {
		return a, identity.User{}, err
	}
	noteTenant(ctx, u.TenantID)
	self := a.Kind == access.ActorUser && a.ID == u.ID
	if !self {
		in := false
		switch {
		case u.TenantID != "":
			if a.Scope.Kind == access.ScopeTenant {
				in = u.TenantID == a.Scope.ID
			} else if t, err := p.tenants.Get(ctx, u.TenantID); err == nil {
				if in, err = p.tenantInScope(ctx, a, t); err != nil {
					return a, identity.User{}, err
				}
			} else if core.ErrorCode(err) != core.NotFound {
				return a, identity.User{}, err
			}
		case platformActor(a):
			in = true
		default:
			in = a.Scope.Kind != access.ScopeTenant && string(u.Scope.Kind) == string(a.Scope.Kind) && u.Scope.ID == a.Scope.ID
		}
		if !in {
			noteOutOfScope(ctx)
			return a, identity.User{}, userNotFound(id)
		}
	}
	if self && perm == PermUserView {
		return a, u, nil
	}
	if !a.Perms.Check(perm) {
		return a, identity.User{}, forbidden(perm)
	}
	return a, u, nil
}

// ListUsers returns one page of the tenant's users, ordered by creation.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without user:view; core.Invalid naming "page" or
// "limit".
func (p *Platform) ListUsers(ctx context.Context, tenantID string, page core.PageRequest) (core.Page[identity.User], error) {
	if _, _, err := p.reachTenant(ctx, PermUserView, tenantID); err != nil {
		return core.Page[identity.User]{}, err
	}
	return p.users.ListUsers(ctx, tenantID, page)
}

// NewUserInput is the input of CreateUser: a user of a tenant.
type NewUserInput struct {
	Name  string
	Email string
	Phone string
	// Role is tenant_admin or tenant_member.
	Role identity.Role
	// Permissions are grants on top of the role's (K-002, "!" denies).
	Permissions []string
	// Password is optional; without one the user cannot log in until it
	// is given one.
	Password string
}

// CreateUser adds a user to the tenant. The actor can give only what it
// holds itself, and only permissions the platform or the tenant's
// installed atoms define.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without user:create, or for a role or grant above
// the actor's own; core.Invalid with fields (name, email, phone, role,
// permissions, which names a grant no installed atom defines, password);
// core.EmailTaken; core.PlanLimitExceeded when the tenant's plan allows
// no more users (checked holding the tenant, so no race passes it).
func (p *Platform) CreateUser(ctx context.Context, tenantID string, in NewUserInput) (identity.User, error) {
	ctx, done := p.audited(ctx, "user.create")
	out, err := p.doCreateUser(ctx, tenantID, in)
	done(out.ID, tenantID, err)
	return out, err
}

// doCreateUser is CreateUser without its audit record.
func (p *Platform) doCreateUser(ctx context.Context, tenantID string, in NewUserInput) (identity.User, error) {
	a, _, err := p.reachTenant(ctx, PermUserCreate, tenantID)
	if err != nil {
		return identity.User{}, err
	}
	if err := p.checkGrants(ctx, a, tenantID, in.Role, in.Permissions); err != nil {
		return identity.User{}, err
	}
	return p.createUserIn(ctx, identity.CreateUserInput{
		TenantID: tenantID, Name: in.Name, Email: in.Email, Phone: in.Phone,
		Role: in.Role, Permissions: in.Permissions, Password: in.Password,
	})
}

// GetUser returns the user with the ID.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without user:view (a user always reads itself).
func (p *Platform) GetUser(ctx context.Context, id string) (identity.User, error) {
	_, u, err := p.reachUser(ctx, PermUserView, id)
	return u, err
}

// UserPatch changes some of a user's profile; nil fields are left as they
// are.
type UserPatch struct {
	Name  *string
	Email *string
	Phone *string
}

// UpdateUser changes a user's name, email or phone.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without user:edit; core.Invalid with fields;
// core.EmailTaken.
func (p *Platform) UpdateUser(ctx context.Context, id string, in UserPatch) (identity.User, error) {
	ctx, done := p.audited(ctx, "user.update")
	out, err := p.doUpdateUser(ctx, id, in)
	done(id, out.TenantID, err)
	return out, err
}

// doUpdateUser is UpdateUser without its audit record.
func (p *Platform) doUpdateUser(ctx context.Context, id string, in UserPatch) (identity.User, error) {
	_, u, err := p.reachUser(ctx, PermUserEdit, id)
	if err != nil {
		return identity.User{}, err
	}
	return p.users.UpdateUser(ctx, u.TenantID, id, identity.UpdateUserInput{Name: in.Name, Email: in.Email, Phone: in.Phone})
}

// DeleteUser deletes a user and its sessions.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without user:delete.
func (p *Platform) DeleteUser(ctx context.Context, id string) error {
	ctx, done := p.audited(ctx, "user.delete")
	err := p.doDeleteUser(ctx, id)
	done(id, "", err)
	return err
}

// doDeleteUser is DeleteUser without its audit record.
func (p *Platform) doDeleteUser(ctx context.Context, id string) error {
	_, u, err := p.reachUser(ctx, PermUserDelete, id)
	if err != nil {
		return err
	}
	return p.users.DeleteUser(ctx, u.TenantID, id)
}

// SetUserPermissions replaces a user's grants (seed 000's PATCH
// /users/{userId}/permissions). For a tenant user each grant must be
// defined by the platform or by an atom the tenant has installed, and the
// actor must hold what it grants.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without user:grant or for a grant above the
// actor's own; core.Invalid naming "permissions" and the grant at fault.
func (p *Platform) SetUserPermissions(ctx context.Context, id string, perms []string) (identity.User, error) {
	ctx, done := p.audited(ctx, "user.permissions")
	out, err := p.doSetUserPermissions(ctx, id, perms)
	done(id, out.TenantID, err)
	return out, err
}

// doSetUserPermissions is SetUserPermissions without its audit record.
func (p *Platform) doSetUserPermissions(ctx context.Context, id string, perms []string) (identity.User, error) {
	a, u, err := p.reachUser(ctx, PermUserGrant, id)
	if err != nil {
		return identity.User{}, err
	}
	if err := p.checkGrants(ctx, a, u.TenantID, "", perms); err != nil {
		return identity.User{}, err
	}
	if perms == nil {
		perms = []string{}
	}
	return p.users.UpdateUser(ctx, u.TenantID, id, identity.UpdateUserInput{Permissions: &perms})
}

// SetUserRole gives a user another role of its scope.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without user:grant or for a role above the
// actor's own; core.Invalid naming "role".
func (p *Platform) SetUserRole(ctx context.Context, id string, role identity.Role) (identity.User, error) {
	ctx, done := p.audited(ctx, "user.role")
	out, err := p.doSetUserRole(ctx, id, role)
	done(id, out.TenantID, err)
	return out, err
}

// doSetUserRole is SetUserRole without its audit record.
func (p *Platform) doSetUserRole(ctx context.Context, id string, role identity.Role) (identity.User, error) {
	a, u, err := p.reachUser(ctx, PermUserGrant, id)
	if err != nil {
		return identity.User{}, err
	}
	if !role.Valid() && u.TenantID != "" {
		// A custom role of the user's tenant: a member with its grants.
		c, err := p.store.GetRole(ctx, u.TenantID, string(role))
		if core.ErrorCode(err) == core.NotFound {
			return identity.User{}, core.InvalidField("role", "names neither a built-in role nor a custom role of the tenant")
		}
		if err != nil {
			return identity.User{}, err
		}
		member := identity.RoleTenantMember
		if err := p.checkGrants(ctx, a, u.TenantID, member, c.Permissions); err != nil {
			return identity.User{}, err
		}
		perms := slices.Clone(c.Permissions)
		return p.users.UpdateUser(ctx, u.TenantID, id, identity.UpdateUserInput{Role: &member, Permissions: &perms})
	}
	if err := p.checkGrants(ctx, a, u.TenantID, role, nil); err != nil {
		return identity.User{}, err
	}
	return p.users.UpdateUser(ctx, u.TenantID, id, identity.UpdateUserInput{Role: &role})
}

// checkGrants checks what an actor gives a user of tenantID ("" for a
// user without a tenant): the grants parse; on a tenant, each is defined
// by the platform or by an installed atom; and, unless the actor works for
// the platform, the actor holds the role's permissions and every grant.
// Errors: core.Invalid naming "permissions" or "role"; core.Forbidden.
func (p *Platform) checkGrants(ctx context.Context, a access.Actor, tenantID string, role identity.Role, grants []string) error {
	for _, g := range grants {
		if _, err := access.Parse(g); err != nil {
			return err
		}
	}
	if tenantID != "" && len(grants) > 0 {
		atomPerms, err := p.installedPermissions(ctx, tenantID)
		if err != nil {
			return err
		}
		if g, ok := grantable(grants, atomPerms); !ok {
			res, _, _ := strings.Cut(strings.TrimPrefix(g, "!"), ":")
			return core.InvalidField("permissions", "%q is defined neither by the platform nor by an atom the tenant has installed (no atom defining %q is installed)", g, res)
		}
	}
	if platformActor(a) {
		return nil
	}
	if role != "" && !role.Valid() {
		return core.InvalidField("role", "must be one of super_admin, distributor_admin, partner_admin, tenant_admin, tenant_member")
	}
	for _, g := range append(RolePermissions(role), grants...) {
		if !holds(a, g) {
			return core.Errorf(core.Forbidden, "%q is above the caller's own permissions", g)
		}
	}
	return nil
}

// holds reports whether a holds grant g itself, so that it may give it
// (access.Set.Covers): denies lower and are always allowed.
func holds(a access.Actor, g string) bool { return a.Perms.Covers(g) }

// Role is a role and its default permissions, as GET /roles lists them:
// a built-in role, or a custom role of a tenant.
type Role struct {
	Name identity.Role
	// Scope is the kind of scope its users work in.
	Scope identity.ScopeKind
	// Permissions are its default grants.
	Permissions []string
	// Custom is set for a tenant's custom role, with its tenant and
	// description.
	Custom      bool
	TenantID    string
	Description string
}

// Roles returns the built-in roles with their default permissions, then
// the custom roles of tenantID by name. A tenant user's tenant is its own
// whatever tenantID says; "" lists the built-in roles only for the others.
// Errors: core.Unauthenticated; core.Forbidden without role:view;
// core.NotFound for a tenant outside the actor's scope.
func (p *Platform) Roles(ctx context.Context, tenantID string) ([]Role, error) {
	a, err := need(ctx, PermRoleView)
	if err != nil {
		return nil, err
	}
	if a.Scope.Kind == access.ScopeTenant && tenantID == "" {
		tenantID = a.Scope.ID
	}
	out := make([]Role, 0, len(identity.Roles))
	for _, r := range identity.Roles {
		out = append(out, Role{Name: r, Scope: r.Kind(), Permissions: RolePermissions(r)})
	}
	if tenantID == "" {
		return out, nil
	}
	if _, _, err := p.reachTenant(ctx, PermRoleView, tenantID); err != nil {
		return nil, err
	}
	custom, err := p.store.ListRoles(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, c := range custom {
		out = append(out, Role{Name: identity.Role(c.Name), Scope: identity.ScopeTenant, Permissions: c.Permissions,
			Custom: true, TenantID: c.TenantID, Description: c.Description})
	}
	return out, nil
}

// NewRoleInput is the input of CreateRole.
type NewRoleInput struct {
	Name        string
	Description string
	Permissions []string
}

// CreateRole defines a custom role of the tenant from permissions the
// platform or the tenant's installed atoms define, all held by the actor.
// Giving it to a user (SetUserRole) makes the user a tenant_member whose
// grants are the role's permissions.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without role:create or for a permission above the
// actor's own; core.Invalid naming "name", "description" or "permissions";
// core.Conflict when the tenant has a role of that name.
func (p *Platform) CreateRole(ctx context.Context, tenantID string, in NewRoleInput) (Role, error) {
	ctx, done := p.audited(ctx, "role.create")
	out, err := p.doCreateRole(ctx, tenantID, in)
	done(in.Name, tenantID, err)
	return out, err
}

// doCreateRole is CreateRole without its audit record.
func (p *Platform) doCreateRole(ctx context.Context, tenantID string, in NewRoleInput) (Role, error) {
	a, _, err := p.reachTenant(ctx, PermRoleCreate, tenantID)
	if err != nil {
		return Role{}, err
	}
	var f core.Fields
	switch {
	case !role.ValidName(in.Name):
		f.Add("name", "must be 1 to %d of a-z, 0-9 and _, starting with a letter", role.MaxNameLen)
	case identity.Role(in.Name).Valid():
		f.Add("name", "is a built-in role's")
	}
	if len(in.Description) > 500 {
		f.Add("description", "must be at most 500 bytes")
	}
	if len(in.Permissions) == 0 {
		f.Add("permissions", "must hold at least one grant")
	}
	if err := f.Err(); err != nil {
		return Role{}, err
	}
	if err := p.checkGrants(ctx, a, tenantID, "", in.Permissions); err != nil {
		return Role{}, err
	}
	c := role.Custom{TenantID: tenantID, Name: in.Name, Description: in.Description,
		Permissions: slices.Clone(in.Permissions), CreatedAt: p.now.Now()}
	if err := p.store.CreateRole(ctx, c); err != nil {
		return Role{}, err
	}
	return Role{Name: identity.Role(c.Name), Scope: identity.ScopeTenant, Permissions: c.Permissions,
		Custom: true, TenantID: tenantID, Description: c.Description}, nil
}
