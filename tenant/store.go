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
	// normalized. A page past the end is empty, not an error. With f.After
	// set the page is the first f.Page.Limit matching tenants that sort
	// strictly after it (a keyset page: writes elsewhere in the list do
	// not shift it) and the total still counts every matching tenant,
	// After ignored.
	// Errors: core.Invalid naming "page" when f.After is set and
	// f.Page.Page is past the first (core.CheckAfter).
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
	// After, when set, makes the page a keyset page: the tenants that
	// sort strictly after it in list order (CreatedAt, then ID; times are
	// compared to the microsecond, in UTC, as stored), Page.Limit of
	// them. Page.Page must then be 0 or 1 (core.CheckAfter). A walk of a whole
	// list passes the ListKey of the last tenant of each page, and so sees
	// every tenant once even when tenants enter or leave the filter
	// before its place meanwhile; offset pages would shift.
	After *core.ListKey
	Page  core.PageRequest
}

// ListKey returns the tenant's place in ListTenants, the Filter.After that
// continues a list from it.
func (t Tenant) ListKey() core.ListKey { return core.ListKey{CreatedAt: t.CreatedAt, ID: t.ID} }
