package identity

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
)

// Role is a user's role. Each role belongs to one kind of scope.
type Role string

// The roles of the REST contract.
const (
	RoleSuperAdmin       Role = "super_admin"       // scope platform
	RoleDistributorAdmin Role = "distributor_admin" // scope distributor
	RolePartnerAdmin     Role = "partner_admin"     // scope partner
	RoleTenantAdmin      Role = "tenant_admin"      // scope tenant
	RoleTenantMember     Role = "tenant_member"     // scope tenant
)

// Roles lists every role, from the platform down.
var Roles = []Role{RoleSuperAdmin, RoleDistributorAdmin, RolePartnerAdmin, RoleTenantAdmin, RoleTenantMember}

// ScopeKind says where a user works: for the platform, a distributor, a
// partner or a tenant.
type ScopeKind string

// The scope kinds.
const (
	ScopePlatform    ScopeKind = "platform"
	ScopeDistributor ScopeKind = "distributor"
	ScopePartner     ScopeKind = "partner"
	ScopeTenant      ScopeKind = "tenant"
)

// Scope is the organisation a user works for: Kind, and the ID of the
// distributor, partner or tenant (empty for the platform).
type Scope struct {
	Kind ScopeKind
	ID   string
}

// Kind returns the scope kind the role belongs to, or "" for an unknown
// role.
func (r Role) Kind() ScopeKind {
	switch r {
	case RoleSuperAdmin:
		return ScopePlatform
	case RoleDistributorAdmin:
		return ScopeDistributor
	case RolePartnerAdmin:
		return ScopePartner
	case RoleTenantAdmin, RoleTenantMember:
		return ScopeTenant
	}
	return ""
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.Kind() != "" }

// Status is a user's state.
type Status string

// The user states. A disabled user cannot log in and holds no live refresh
// token.
const (
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == StatusActive || s == StatusDisabled }

// User is one person who may call atomix.
type User struct {
	ID string
	// TenantID is the tenant the user belongs to; empty for platform and
	// reseller users.
	TenantID string
	// Scope is {ScopeTenant, TenantID} for a tenant user, and says which
	// platform, distributor or partner a user without a tenant works for.
	Scope Scope
	Name  string
	// Email is kept as given (trimmed); it is unique per tenant compared
	// in lower case (strings.ToLower).
	Email string
	Phone string // E.164, may be empty
	Role  Role
	// Permissions are extra grants on top of the role's own, kept in the
	// order given, without duplicates. They are opaque strings here.
	Permissions []string
	Status      Status
	// PasswordHash is the argon2id hash in PHC form, empty while the user
	// has no password. The Service never returns it: users it returns
	// have it empty.
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
}

// EmailKey returns how an email is compared: in lower case.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Field limits of users.
const (
	MaxNameLen        = 200
	MaxPermissions    = 100
	MaxPermissionLen  = 100
	maxLoginEmailSize = 1024 // a login email longer than this is refused unread
)

// validateUser checks the fields of u a caller sets and records what is
// wrong in f, with wire field names.
func validateUser(f *core.Fields, u User) {
	validateName(f, "name", u.Name)
	if m := tenant.ValidateEmail(u.Email); m != "" {
		f.Add("email", "%s", m)
	}
	if u.Phone != "" {
		if m := tenant.ValidatePhone(u.Phone); m != "" {
			f.Add("phone", "%s", m)
		}
	}
	validatePlacement(f, u.TenantID, u.Scope, u.Role)
	validatePermissions(f, u.Permissions)
}

// validatePlacement checks that role, tenant and scope agree: a tenant user
// has a tenant role and the scope of its tenant; a user without a tenant has
// the role of its scope, and the scope names a distributor or partner by ID
// (the platform scope has no ID).
func validatePlacement(f *core.Fields, tenantID string, sc Scope, role Role) {
	if !role.Valid() {
		f.Add("role", "must be one of super_admin, distributor_admin, partner_admin, tenant_admin, tenant_member")
		return
	}
	if tenantID != "" {
		if !core.ValidID(core.PrefixTenant, tenantID) {
			f.Add("tenantId", "must be a tenant ID such as \"tn_abc123\"")
		}
		if role.Kind() != ScopeTenant {
			f.Add("role", "a tenant user must be tenant_admin or tenant_member")
		}
		if sc != (Scope{Kind: ScopeTenant, ID: tenantID}) {
			f.Add("scope", "a tenant user's scope is its tenant")
		}
		return
	}
	switch sc.Kind {
	case ScopePlatform:
		if sc.ID != "" {
			f.Add("scope.id", "must be empty for the platform")
		}
	case ScopeDistributor:
		if !core.ValidID(core.PrefixDistributor, sc.ID) {
			f.Add("scope.id", "must be a distributor ID such as \"dist_abc123\"")
		}
	case ScopePartner:
		if !core.ValidID(core.PrefixPartner, sc.ID) {
			f.Add("scope.id", "must be a partner ID such as \"prt_abc123\"")
		}
	case ScopeTenant:
		f.Add("tenantId", "is required for a tenant user")
		return
	default:
		f.Add("scope.kind", "must be one of platform, distributor, partner, tenant")
		return
	}
	if role.Kind() != sc.Kind {
		f.Add("role", "must be the role of a %s user", sc.Kind)
	}
}

func validateName(f *core.Fields, field, s string) {
	switch {
	case strings.TrimSpace(s) == "":
		f.Add(field, "is required")
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > MaxNameLen:
		f.Add(field, "must be at most %d characters", MaxNameLen)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		f.Add(field, "must not contain control characters")
	}
}

// validatePermissions checks the grants: at most MaxPermissions, each 1 to
// MaxPermissionLen characters of letters, digits and ":_*.-", and "!" for
// a deny ("!crm:delete").
func validatePermissions(f *core.Fields, ps []string) {
	if len(ps) > MaxPermissions {
		f.Add("permissions", "may hold at most %d grants", MaxPermissions)
		return
	}
	for _, p := range ps {
		if p == "" || len(p) > MaxPermissionLen || strings.ContainsFunc(p, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":_*.-!", r))
		}) {
			f.Add("permissions", "each grant must be 1 to %d characters of letters, digits and \":_*.-\", such as \"task:*\"", MaxPermissionLen)
			return
		}
	}
}

// dedupe returns ps without repeats, in first-seen order; nil for none.
func dedupe(ps []string) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// public returns u as the Service hands it out: without the password hash,
// sharing nothing with the caller's copy.
func public(u User) User {
	u.PasswordHash = ""
	u.Permissions = slices.Clone(u.Permissions)
	if u.LastLoginAt != nil {
		t := *u.LastLoginAt
		u.LastLoginAt = &t
	}
	return u
}
