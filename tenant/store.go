package tenant

import (
	"context"

	"github.com/atomixplatform/atomix/core"
)

// Store is what the tenant domain needs from storage. Implementations live
// in atomix/store/...; each must pass atomix/store/storetest.
//
// Tenants are returned by value: a caller may change what it receives
// without changing what is stored.
type Store interface {
	// CreateTenant stores a new tenant as given.
	// Errors: core.SubdomainTaken when a tenant that is not deleted holds the
	// same subdomain, compared case-insensitively; core.Conflict when the ID
	// is taken.
	CreateTenant(ctx context.Context, t Tenant) error

	// GetTenant returns the tenant with the ID, deleted or not.
	// Errors: core.NotFound.
	GetTenant(ctx context.Context, id string) (Tenant, error)

	// UpdateTenant reads the tenant, holds it against concurrent writers
	// until the surrounding transaction ends, passes a copy to update and
	// stores what update returns (its ID must not change). An error from
	// update is returned as it is and nothing is written.
	// Errors: core.NotFound; core.SubdomainTaken (as in CreateTenant); those
	// of update.
	UpdateTenant(ctx context.Context, id string, update func(Tenant) (Tenant, error)) (Tenant, error)

	// ListTenants returns one page of the tenants matching f, ordered by
	// CreatedAt then ID, and the total number matching. f.Page is
	// normalized. A page past the end is empty, not an error.
	ListTenants(ctx context.Context, f Filter) ([]Tenant, int, error)
}

// MaxOwnerIDs bounds Filter.OwnerIDs: SQL stores send each as a
// parameter.
const MaxOwnerIDs = 1000

// Filter selects tenants for ListTenants. Zero fields do not filter.
type Filter struct {
	Status Status
	PlanID string
	// Query matches tenants whose name contains it, case-insensitively:
	// strings.ToLower(name) contains strings.ToLower(Query), the same rule
	// in every store.
	Query string
	// OwnerID restricts the list to tenants owned by one reseller.
	OwnerID string
	// OwnerIDs, when not empty, restricts the list to tenants owned by
	// any of these resellers (a distributor and its partners), served by
	// the stores' owner index; with OwnerID, both apply. An empty entry
	// names no reseller and matches nothing (the platform's tenants are
	// not listed by owner). At most MaxOwnerIDs.
	OwnerIDs []string
	// IncludeDeleted lists soft-deleted tenants too.
	IncludeDeleted bool
	Page           core.PageRequest
}
