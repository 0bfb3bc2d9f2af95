package reseller

import (
	"context"

	"github.com/atomixplatform/atomix/core"
)

// Store is what the reseller chain needs from storage. Implementations live
// in atomix/store/...; each must pass atomix/store/storetest.
//
// Resellers belong to the platform. Ownership rows and customer profiles
// belong to a tenant and are addressed by its ID first; a call naming one
// tenant never reads or changes another's. Records are returned by value,
// and times are stored to the microsecond, in UTC.
type Store interface {
	// CreateReseller stores a new reseller as given.
	// Errors: core.Conflict when the ID is taken; core.Invalid when a
	// partner's DistributorID names no stored distributor.
	CreateReseller(ctx context.Context, r Reseller) error

	// GetReseller returns the reseller with the ID, deleted or not.
	// Errors: core.NotFound.
	GetReseller(ctx context.Context, id string) (Reseller, error)

	// HoldReseller returns the reseller with the ID, as GetReseller, and
	// keeps it from being changed by another transaction until the
	// surrounding one ends, so that what the caller checked (active, not
	// deleted) stays true while it writes what depends on it. Holds taken
	// by concurrent transactions do not exclude each other.
	// Errors: core.NotFound.
	HoldReseller(ctx context.Context, id string) (Reseller, error)

	// UpdateReseller reads the reseller, holds it against concurrent
	// writers until the surrounding transaction ends, passes a copy to
	// update and stores what update returns. An error from update is
	// returned as it is and nothing is written.
	// Errors: core.NotFound; core.Invalid when update changes the ID,
	// kind, distributor or creation time; those of update.
	UpdateReseller(ctx context.Context, id string, update func(Reseller) (Reseller, error)) (Reseller, error)

	// ListResellers returns one page of the resellers matching f, ordered
	// by CreatedAt then ID, and the total number matching. f.Page is
	// normalized; a page past the end is empty, not an error. With
	// f.After set the page is the first f.Page.Limit matching resellers
	// that sort strictly after it (a keyset page: writes elsewhere in the
	// list do not shift it) and the total still counts every matching
	// reseller, After ignored.
	// Errors: core.Invalid naming "page" when f.After is set and
	// f.Page.Page is past the first (core.CheckAfter).
	ListResellers(ctx context.Context, f Filter) ([]Reseller, int, error)

	// CountHoldings returns how many tenants that are not deleted the
	// reseller owns now (Tenant.OwnerID), and how many partners that are
	// not deleted sell under it.
	CountHoldings(ctx context.Context, id string) (Holdings, error)

	// AppendOwnership stores o as the tenant's newest ownership row and
	// closes the row before it: that row's ValidTo becomes o.ValidFrom.
	// Earlier rows are never changed. o.ValidTo must be nil, and
	// o.ValidFrom after the ValidFrom of every stored row of the tenant.
	// Errors: core.NotFound when the tenant does not exist; core.Invalid
	// when o.ValidTo is set or o.ValidFrom is not after the newest row's.
	AppendOwnership(ctx context.Context, o Ownership) error

	// ListOwnerships returns the tenant's ownership rows, oldest first;
	// none for a tenant without history.
	ListOwnerships(ctx context.Context, tenantID string) ([]Ownership, error)

	// PutCustomerProfile stores the tenant's customer profile, replacing
	// the one it has. Errors: core.NotFound when the tenant does not exist.
	PutCustomerProfile(ctx context.Context, p Profile) error

	// GetCustomerProfile returns the tenant's customer profile.
	// Errors: core.NotFound when it has none.
	GetCustomerProfile(ctx context.Context, tenantID string) (Profile, error)

	// ListCustomers returns one page of the tenants matching f with their
	// profiles, ordered by the tenants' CreatedAt then ID, and the total
	// number matching. f.Page is normalized; a page past the end is empty,
	// not an error.
	ListCustomers(ctx context.Context, f CustomerFilter) ([]Customer, int, error)
}

// Filter selects resellers for ListResellers. Zero fields do not filter.
type Filter struct {
	Kind          Kind
	DistributorID string // partners under this distributor
	Status        Status
	// Query matches resellers whose name contains it case-insensitively:
	// strings.ToLower(name) contains strings.ToLower(Query).
	Query          string
	IncludeDeleted bool
	// After, when set, makes the page a keyset page: the resellers that
	// sort strictly after it in list order (CreatedAt, then ID; times are
	// compared to the microsecond, in UTC, as stored), Page.Limit of
	// them. Page.Page must then be 0 or 1 (core.CheckAfter). A walk of a whole
	// list passes the ListKey of the last reseller of each page, and so
	// sees every reseller once even when resellers enter or leave the
	// filter before its place meanwhile; offset pages would shift.
	After *core.ListKey
	Page  core.PageRequest
}

// ListKey returns the reseller's place in ListResellers, the Filter.After
// that continues a list from it.
func (r Reseller) ListKey() core.ListKey { return core.ListKey{CreatedAt: r.CreatedAt, ID: r.ID} }

// Holdings is what a reseller holds that keeps it from being deleted.
type Holdings struct {
	Tenants  int // tenants not deleted that it owns
	Partners int // partners not deleted under it (a distributor)
}

// CustomerFilter selects tenants for ListCustomers.
type CustomerFilter struct {
	// Under is the reseller whose customers to list: the tenants a partner
	// owns, or those a distributor owns and those its partners own (its
	// partners deleted or not). Empty lists every tenant.
	Under string
	// Query matches tenants whose name contains it case-insensitively, by
	// the rule of tenant.Filter.Query.
	Query          string
	IncludeDeleted bool
	Page           core.PageRequest
}
