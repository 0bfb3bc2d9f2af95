package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
)

// resellerData is the reseller chain's state, part of data.
type resellerData struct {
	byID map[string]reseller.Reseller
	// order holds every reseller ID, sorted by CreatedAt then ID (neither
	// changes). A write replaces the slice, never changes it in place, so
	// that the undo log can put the old one back.
	order []string
	// owners holds each tenant's ownership rows, oldest first; replaced,
	// never changed in place.
	owners   map[string][]reseller.Ownership
	profiles map[string]reseller.Profile
}

func newResellerData() *resellerData {
	return &resellerData{
		byID:     make(map[string]reseller.Reseller),
		owners:   make(map[string][]reseller.Ownership),
		profiles: make(map[string]reseller.Profile),
	}
}

func cloneReseller(r reseller.Reseller) reseller.Reseller {
	r.DeletedAt = clonePtr(r.DeletedAt)
	return r
}

func cloneOwnerships(in []reseller.Ownership) []reseller.Ownership {
	out := make([]reseller.Ownership, len(in))
	for i, o := range in {
		o.ValidTo = clonePtr(o.ValidTo)
		out[i] = o
	}
	return out
}

func resellerNotFound(id string) error {
	return core.Errorf(core.NotFound, "reseller %q not found", id)
}

func (d *resellerData) get(id string) (reseller.Reseller, error) {
	r, ok := d.byID[id]
	if !ok {
		return reseller.Reseller{}, resellerNotFound(id)
	}
	return cloneReseller(r), nil
}

func (d *resellerData) compare(a, b string) int {
	ra, rb := d.byID[a], d.byID[b]
	if c := ra.CreatedAt.Compare(rb.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// The Store's reseller methods: each runs under the read lock, or as a
// transaction of its own.

// CreateReseller implements reseller.Store.
// Errors: core.Conflict; core.Invalid; core.Internal when closed.
func (s *Store) CreateReseller(ctx context.Context, r reseller.Reseller) error {
	return s.write(ctx, func(tx *txStore) error { return tx.CreateReseller(ctx, r) })
}

// GetReseller implements reseller.Store. Errors: core.NotFound.
func (s *Store) GetReseller(ctx context.Context, id string) (reseller.Reseller, error) {
	var out reseller.Reseller
	err := s.read(ctx, func(d *data) (err error) {
		out, err = d.resellers.get(id)
		return err
	})
	return out, err
}

// HoldReseller implements reseller.Store: outside a transaction it is
// GetReseller. Errors: core.NotFound.
func (s *Store) HoldReseller(ctx context.Context, id string) (reseller.Reseller, error) {
	return s.GetReseller(ctx, id)
}

// UpdateReseller implements reseller.Store.
// Errors: core.NotFound; core.Invalid; those of update.
func (s *Store) UpdateReseller(ctx context.Context, id string, update func(reseller.Reseller) (reseller.Reseller, error)) (reseller.Reseller, error) {
	var out reseller.Reseller
	err := s.write(ctx, func(tx *txStore) (err error) {
		out, err = tx.UpdateReseller(ctx, id, update)
		return err
	})
	return out, err
}

// ListResellers implements reseller.Store.
// Errors: core.Invalid naming "page" for a page past the first with After;
// core.Internal when closed.
func (s *Store) ListResellers(ctx context.Context, f reseller.Filter) ([]reseller.Reseller, int, error) {
	if err := core.CheckAfter(f.After, f.Page); err != nil {
		return nil, 0, err
	}
	var out []reseller.Reseller
	var total int
	err := s.read(ctx, func(d *data) error {
		out, total = d.resellers.list(f)
		return nil
	})
	return out, total, err
}

// CountHoldings implements reseller.Store.
func (s *Store) CountHoldings(ctx context.Context, id string) (reseller.Holdings, error) {
	var out reseller.Holdings
	err := s.read(ctx, func(d *data) error {
		out = d.holdings(id)
		return nil
	})
	return out, err
}

// AppendOwnership implements reseller.Store.
// Errors: core.NotFound; core.Invalid.
func (s *Store) AppendOwnership(ctx context.Context, o reseller.Ownership) error {
	return s.write(ctx, func(tx *txStore) error { return tx.AppendOwnership(ctx, o) })
}

// ListOwnerships implements reseller.Store.
func (s *Store) ListOwnerships(ctx context.Context, tenantID string) ([]reseller.Ownership, error) {
	var out []reseller.Ownership
	err := s.read(ctx, func(d *data) error {
		out = cloneOwnerships(d.resellers.owners[tenantID])
		return nil
	})
	return out, err
}

// PutCustomerProfile implements reseller.Store. Errors: core.NotFound.
func (s *Store) PutCustomerProfile(ctx context.Context, p reseller.Profile) error {
	return s.write(ctx, func(tx *txStore) error { return tx.PutCustomerProfile(ctx, p) })
}

// GetCustomerProfile implements reseller.Store. Errors: core.NotFound.
func (s *Store) GetCustomerProfile(ctx context.Context, tenantID string) (reseller.Profile, error) {
	var out reseller.Profile
	err := s.read(ctx, func(d *data) (err error) {
		out, err = d.resellers.profile(tenantID)
		return err
	})
	return out, err
}

// ListCustomers implements reseller.Store.
func (s *Store) ListCustomers(ctx context.Context, f reseller.CustomerFilter) ([]reseller.Customer, int, error) {
	var out []reseller.Customer
	var total int
	err := s.read(ctx, func(d *data) error {
		out, total = d.listCustomers(f)
		return nil
	})
	return out, total, err
}

// The transaction's reseller methods. Each holds tx.mu while it touches
// the data; the updater runs without it, so that it may read through tx.

// resellersWithin runs fn with tx.mu held, after checking that tx is still
// usable.
func resellersWithin[T any](ctx context.Context, tx *txStore, fn func(d *data) (T, error)) (T, error) {
	if err := tx.begin(ctx); err != nil {
		var zero T
		return zero, err
	}
	defer tx.mu.Unlock()
	return fn(tx.s.data)
}

func (tx *txStore) CreateReseller(ctx context.Context, r reseller.Reseller) error {
	_, err := resellersWithin(ctx, tx, func(d *data) (struct{}, error) {
		rd := d.resellers
		if _, ok := rd.byID[r.ID]; ok {
			return struct{}{}, core.Errorf(core.Conflict, "reseller %s already exists", r.ID)
		}
		if r.DistributorID != "" {
			if dist, ok := rd.byID[r.DistributorID]; !ok || dist.Kind != reseller.KindDistributor {
				return struct{}{}, core.Errorf(core.Invalid, "distributor %q is not stored", r.DistributorID)
			}
		}
		put(tx, rd.byID, r.ID, cloneReseller(r))
		old := rd.order
		i, _ := slices.BinarySearchFunc(old, r.ID, rd.compare)
		rd.order = slices.Insert(slices.Clone(old), i, r.ID)
		tx.undo = append(tx.undo, func() { rd.order = old })
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) GetReseller(ctx context.Context, id string) (reseller.Reseller, error) {
	return resellersWithin(ctx, tx, func(d *data) (reseller.Reseller, error) { return d.resellers.get(id) })
}

// HoldReseller reads the reseller: the transaction holds the store's write
// lock, so nothing else changes it before the transaction ends.
func (tx *txStore) HoldReseller(ctx context.Context, id string) (reseller.Reseller, error) {
	return tx.GetReseller(ctx, id)
}

func (tx *txStore) UpdateReseller(ctx context.Context, id string, update func(reseller.Reseller) (reseller.Reseller, error)) (reseller.Reseller, error) {
	cur, err := tx.GetReseller(ctx, id)
	if err != nil {
		return reseller.Reseller{}, err
	}
	old := cloneReseller(cur)
	next, err := update(cur)
	if err != nil {
		return reseller.Reseller{}, err
	}
	return resellersWithin(ctx, tx, func(d *data) (reseller.Reseller, error) {
		switch {
		case next.ID != old.ID, next.Kind != old.Kind, next.DistributorID != old.DistributorID:
			return reseller.Reseller{}, core.Errorf(core.Invalid, "a reseller's ID, kind and distributor cannot change")
		case !next.CreatedAt.Equal(old.CreatedAt):
			return reseller.Reseller{}, core.Errorf(core.Invalid, "a reseller's creation time cannot change")
		}
		next.CreatedAt = old.CreatedAt // the same instant, kept exactly
		put(tx, d.resellers.byID, id, cloneReseller(next))
		return cloneReseller(next), nil
	})
}

func (tx *txStore) ListResellers(ctx context.Context, f reseller.Filter) ([]reseller.Reseller, int, error) {
	if err := core.CheckAfter(f.After, f.Page); err != nil {
		return nil, 0, err
	}
	type page struct {
		items []reseller.Reseller
		total int
	}
	p, err := resellersWithin(ctx, tx, func(d *data) (page, error) {
		items, total := d.resellers.list(f)
		return page{items, total}, nil
	})
	return p.items, p.total, err
}

func (tx *txStore) CountHoldings(ctx context.Context, id string) (reseller.Holdings, error) {
	return resellersWithin(ctx, tx, func(d *data) (reseller.Holdings, error) { return d.holdings(id), nil })
}

func (tx *txStore) AppendOwnership(ctx context.Context, o reseller.Ownership) error {
	_, err := resellersWithin(ctx, tx, func(d *data) (struct{}, error) {
		if _, ok := d.tenants[o.TenantID]; !ok {
			return struct{}{}, notFound(o.TenantID)
		}
		if o.ValidTo != nil {
			return struct{}{}, core.Errorf(core.Invalid, "a new ownership row is open: its ValidTo must be nil")
		}
		rd := d.resellers
		old := rd.owners[o.TenantID]
		next := cloneOwnerships(old)
		if n := len(next); n > 0 {
			if !o.ValidFrom.After(next[n-1].ValidFrom) {
				return struct{}{}, core.Errorf(core.Invalid, "an ownership row of tenant %s must start after %s", o.TenantID, next[n-1].ValidFrom)
			}
			next[n-1].ValidTo = new(o.ValidFrom)
		}
		next = append(next, o)
		rd.owners[o.TenantID] = next
		tx.undo = append(tx.undo, func() {
			if old == nil {
				delete(rd.owners, o.TenantID)
			} else {
				rd.owners[o.TenantID] = old
			}
		})
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) ListOwnerships(ctx context.Context, tenantID string) ([]reseller.Ownership, error) {
	return resellersWithin(ctx, tx, func(d *data) ([]reseller.Ownership, error) {
		return cloneOwnerships(d.resellers.owners[tenantID]), nil
	})
}

func (tx *txStore) PutCustomerProfile(ctx context.Context, p reseller.Profile) error {
	_, err := resellersWithin(ctx, tx, func(d *data) (struct{}, error) {
		if _, ok := d.tenants[p.TenantID]; !ok {
			return struct{}{}, notFound(p.TenantID)
		}
		put(tx, d.resellers.profiles, p.TenantID, p)
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) GetCustomerProfile(ctx context.Context, tenantID string) (reseller.Profile, error) {
	return resellersWithin(ctx, tx, func(d *data) (reseller.Profile, error) { return d.resellers.profile(tenantID) })
}

func (tx *txStore) ListCustomers(ctx context.Context, f reseller.CustomerFilter) ([]reseller.Customer, int, error) {
	type page struct {
		items []reseller.Customer
		total int
	}
	p, err := resellersWithin(ctx, tx, func(d *data) (page, error) {
		items, total := d.listCustomers(f)
		return page{items, total}, nil
	})
	return p.items, p.total, err
}

// Reads shared by the Store and its transactions.

func (d *resellerData) profile(tenantID string) (reseller.Profile, error) {
	p, ok := d.profiles[tenantID]
	if !ok {
		return reseller.Profile{}, core.Errorf(core.NotFound, "tenant %q has no customer profile", tenantID)
	}
	return p, nil
}

// pageBounds returns the offset and limit of a page request, with the
// defaults for a request that is not normalized.
func pageBounds(p core.PageRequest) (offset, limit int) {
	if p.Page < 1 {
		p.Page = core.DefaultPage
	}
	if p.Limit < 1 {
		p.Limit = core.DefaultLimit
	}
	return p.Offset(), p.Limit
}

func (d *resellerData) list(f reseller.Filter) ([]reseller.Reseller, int) {
	offset, limit := pageBounds(f.Page)
	q := strings.ToLower(f.Query)
	// With After, the page starts at the first reseller past the key
	// (times compared to the microsecond, in UTC, as the SQL stores keep
	// them) and the total still counts every match.
	from := 0
	if f.After != nil {
		from = afterIndex(d.order, *f.After, func(id string) (time.Time, string) { return d.byID[id].CreatedAt, id })
		offset = 0
	}
	out := make([]reseller.Reseller, 0, min(limit, len(d.order)))
	total, matched := 0, 0
	for i, id := range d.order {
		r := d.byID[id]
		if (!f.IncludeDeleted && r.Deleted()) || (f.Kind != "" && r.Kind != f.Kind) ||
			(f.DistributorID != "" && r.DistributorID != f.DistributorID) ||
			(f.Status != "" && r.Status != f.Status) || !strings.Contains(strings.ToLower(r.Name), q) {
			continue
		}
		if i >= from {
			if matched >= offset && len(out) < limit {
				out = append(out, cloneReseller(r))
			}
			matched++
		}
		total++
	}
	return out, total
}

// holdings counts what the reseller holds: its tenants not deleted, from
// the tenant counts, and its partners not deleted.
func (d *data) holdings(id string) reseller.Holdings {
	var h reseller.Holdings
	for k, n := range d.counts {
		if k.owner == id && !k.deleted {
			h.Tenants += n
		}
	}
	for _, r := range d.resellers.byID {
		if r.DistributorID == id && !r.Deleted() {
			h.Partners++
		}
	}
	return h
}

func (d *data) listCustomers(f reseller.CustomerFilter) ([]reseller.Customer, int) {
	offset, limit := pageBounds(f.Page)
	q := strings.ToLower(f.Query)
	var owners map[string]bool
	if f.Under != "" {
		owners = map[string]bool{f.Under: true}
		for id, r := range d.resellers.byID {
			if r.DistributorID == f.Under {
				owners[id] = true
			}
		}
	}
	out := make([]reseller.Customer, 0, min(limit, len(d.order)))
	total := 0
	for _, r := range d.order {
		if (!f.IncludeDeleted && r.t.Deleted()) || (owners != nil && !owners[r.t.OwnerID]) || !strings.Contains(r.lowerName, q) {
			continue
		}
		if total >= offset && len(out) < limit {
			c := reseller.Customer{Tenant: *cloneTenant(r.t)}
			if p, ok := d.resellers.profiles[r.t.ID]; ok {
				c.Profile = &p
			}
			out = append(out, c)
		}
		total++
	}
	return out, total
}
