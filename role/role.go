// Package role holds the custom roles a tenant defines: a name and a set
// of permissions taken from the platform's catalogue and from the atoms
// the tenant has installed. The built-in roles (super_admin down to
// tenant_member) are the root package's (atomix.RolePermissions).
package role

import (
	"context"
	"time"

	"github.com/atomixplatform/atomix/core"
)

// Custom is one custom role of one tenant.
type Custom struct {
	TenantID    string
	Name        string // unique per tenant; [a-z0-9_], 1 to 64, not a built-in role's
	Description string
	Permissions []string
	CreatedAt   time.Time
}

// MaxNameLen bounds a custom role's name.
const MaxNameLen = 64

// ValidName reports whether name is 1 to MaxNameLen of [a-z0-9_], starting
// with a letter.
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > MaxNameLen || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Store keeps custom roles, addressed by tenant first: a call naming one
// tenant never reads or changes another's.
type Store interface {
	// CreateRole stores a new custom role.
	// Errors: core.Conflict when the tenant has a role of that name.
	CreateRole(ctx context.Context, r Custom) error
	// GetRole returns the tenant's custom role of that name.
	// Errors: core.NotFound.
	GetRole(ctx context.Context, tenantID, name string) (Custom, error)
	// ListRoles returns the tenant's custom roles ordered by name.
	ListRoles(ctx context.Context, tenantID string) ([]Custom, error)
}

// NotFound is the error of a custom role that does not exist.
func NotFound(name string) error { return core.Errorf(core.NotFound, "role %q not found", name) }
