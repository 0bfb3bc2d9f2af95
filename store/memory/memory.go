// Package memory is an in-process implementation of store.Store, safe for
// concurrent use, with real transactional rollback. It suits tests, demos
// and single-process embedders that keep nothing across restarts.
//
// Transactions are serialized: a transaction holds the store's write lock
// from its first statement to its end, and readers outside it wait, so no
// one ever sees uncommitted writes. Each write inside a transaction records
// how to undo itself; a failed transaction replays those records backwards.
package memory

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
)

// Store is the in-memory store. Create one with New.
type Store struct {
	mu     sync.RWMutex
	closed bool
	data   *data
}

// data is the state guarded by Store.mu.
type data struct {
	tenants map[string]*tenant.Tenant
	// order holds every tenant, sorted by CreatedAt then ID.
	order []*tenant.Tenant
	// subdomains maps the subdomain of each tenant that is not deleted to
	// its ID.
	subdomains map[string]string
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{data: &data{
		tenants:    make(map[string]*tenant.Tenant),
		subdomains: make(map[string]string),
	}}
}

// Close marks the store closed; later calls fail.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

var errClosed = &core.Error{Code: core.Internal, Message: "the store is closed", Err: errors.New("memory store closed")}

// InTx runs fn in a transaction. See store.Store.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	tx := &txStore{s: s}
	committed := false
	defer func() {
		if !committed {
			tx.rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tx.done = true
	committed = true
	return nil
}

// read runs fn under the read lock.
func (s *Store) read(ctx context.Context, fn func(d *data) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	return fn(s.data)
}

// write runs fn as a transaction of its own.
func (s *Store) write(ctx context.Context, fn func(tx *txStore) error) error {
	return s.InTx(ctx, func(tx store.Store) error { return fn(tx.(*txStore)) })
}

// CreateTenant implements tenant.Store.
func (s *Store) CreateTenant(ctx context.Context, t tenant.Tenant) error {
	return s.write(ctx, func(tx *txStore) error { return tx.CreateTenant(ctx, t) })
}

// GetTenant implements tenant.Store.
func (s *Store) GetTenant(ctx context.Context, id string) (tenant.Tenant, error) {
	var out tenant.Tenant
	err := s.read(ctx, func(d *data) (err error) {
		out, err = d.getTenant(id)
		return err
	})
	return out, err
}

// UpdateTenant implements tenant.Store.
func (s *Store) UpdateTenant(ctx context.Context, id string, update func(tenant.Tenant) (tenant.Tenant, error)) (tenant.Tenant, error) {
	var out tenant.Tenant
	err := s.write(ctx, func(tx *txStore) (err error) {
		out, err = tx.UpdateTenant(ctx, id, update)
		return err
	})
	return out, err
}

// ListTenants implements tenant.Store.
func (s *Store) ListTenants(ctx context.Context, f tenant.Filter) ([]tenant.Tenant, int, error) {
	var out []tenant.Tenant
	var total int
	err := s.read(ctx, func(d *data) error {
		out, total = d.listTenants(f)
		return nil
	})
	return out, total, err
}

// txStore is a Store bound to a running transaction; the write lock is
// held by the InTx that made it.
type txStore struct {
	s    *Store
	undo []func()
	done bool
}

func (tx *txStore) check(ctx context.Context) error {
	if tx.done {
		return &core.Error{Code: core.Internal, Message: "the transaction has ended", Err: errors.New("memory: use of finished transaction")}
	}
	return ctx.Err()
}

func (tx *txStore) rollback() {
	for i := len(tx.undo) - 1; i >= 0; i-- {
		tx.undo[i]()
	}
	tx.undo = nil
	tx.done = true
}

// InTx joins the running transaction.
func (tx *txStore) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	return fn(tx)
}

// Close is not allowed on a transaction.
func (tx *txStore) Close() error {
	return errors.New("memory: Close called on a transaction")
}

func (tx *txStore) CreateTenant(ctx context.Context, t tenant.Tenant) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	d := tx.s.data
	if _, ok := d.tenants[t.ID]; ok {
		return core.Errorf(core.Conflict, "tenant %s already exists", t.ID)
	}
	if !t.Deleted() {
		if _, ok := d.subdomains[t.Subdomain]; ok {
			return core.Errorf(core.SubdomainTaken, "subdomain %q is taken", t.Subdomain)
		}
	}
	p := cloneTenant(t)
	p.AtomCount, p.UserCount = 0, 0
	d.tenants[p.ID] = p
	i := d.orderIndex(p)
	d.order = slices.Insert(d.order, i, p)
	if !p.Deleted() {
		d.subdomains[p.Subdomain] = p.ID
	}
	tx.undo = append(tx.undo, func() {
		delete(d.tenants, p.ID)
		d.order = slices.Delete(d.order, i, i+1)
		if !p.Deleted() {
			delete(d.subdomains, p.Subdomain)
		}
	})
	return nil
}

func (tx *txStore) GetTenant(ctx context.Context, id string) (tenant.Tenant, error) {
	if err := tx.check(ctx); err != nil {
		return tenant.Tenant{}, err
	}
	return tx.s.data.getTenant(id)
}

func (tx *txStore) UpdateTenant(ctx context.Context, id string, update func(tenant.Tenant) (tenant.Tenant, error)) (tenant.Tenant, error) {
	if err := tx.check(ctx); err != nil {
		return tenant.Tenant{}, err
	}
	d := tx.s.data
	p, ok := d.tenants[id]
	if !ok {
		return tenant.Tenant{}, notFound(id)
	}
	next, err := update(*cloneTenant(*p))
	if err != nil {
		return tenant.Tenant{}, err
	}
	if next.ID != id {
		return tenant.Tenant{}, core.Errorf(core.Invalid, "a tenant's ID cannot change")
	}
	if !next.CreatedAt.Equal(p.CreatedAt) {
		return tenant.Tenant{}, core.Errorf(core.Invalid, "a tenant's creation time cannot change")
	}
	if !next.Deleted() {
		if owner, ok := d.subdomains[next.Subdomain]; ok && owner != id {
			return tenant.Tenant{}, core.Errorf(core.SubdomainTaken, "subdomain %q is taken", next.Subdomain)
		}
	}
	old := *p
	if !old.Deleted() {
		delete(d.subdomains, old.Subdomain)
	}
	n := cloneTenant(next)
	n.AtomCount, n.UserCount = 0, 0
	n.CreatedAt = old.CreatedAt
	*p = *n
	if !p.Deleted() {
		d.subdomains[p.Subdomain] = id
	}
	tx.undo = append(tx.undo, func() {
		if !p.Deleted() {
			delete(d.subdomains, p.Subdomain)
		}
		*p = old
		if !old.Deleted() {
			d.subdomains[old.Subdomain] = id
		}
	})
	return *cloneTenant(*p), nil
}

func (tx *txStore) ListTenants(ctx context.Context, f tenant.Filter) ([]tenant.Tenant, int, error) {
	if err := tx.check(ctx); err != nil {
		return nil, 0, err
	}
	out, total := tx.s.data.listTenants(f)
	return out, total, nil
}

func (d *data) getTenant(id string) (tenant.Tenant, error) {
	p, ok := d.tenants[id]
	if !ok {
		return tenant.Tenant{}, notFound(id)
	}
	return *cloneTenant(*p), nil
}

// orderIndex returns where t belongs in d.order.
func (d *data) orderIndex(t *tenant.Tenant) int {
	i, _ := slices.BinarySearchFunc(d.order, t, func(a, b *tenant.Tenant) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return i
}

func (d *data) listTenants(f tenant.Filter) ([]tenant.Tenant, int) {
	q := strings.ToLower(f.Query)
	offset, limit := f.Page.Offset(), f.Page.Limit
	out := []tenant.Tenant{}
	total := 0
	for _, t := range d.order {
		if (!f.IncludeDeleted && t.Deleted()) ||
			(f.Status != "" && t.Status != f.Status) ||
			(f.PlanID != "" && t.PlanID != f.PlanID) ||
			(f.OwnerID != "" && t.OwnerID != f.OwnerID) ||
			(q != "" && !strings.Contains(strings.ToLower(t.Name), q)) {
			continue
		}
		if total >= offset && len(out) < limit {
			out = append(out, *cloneTenant(*t))
		}
		total++
	}
	return out, total
}

func notFound(id string) error { return core.Errorf(core.NotFound, "tenant %q not found", id) }

// cloneTenant deep-copies t, so that nothing the caller holds aliases the
// store's state.
func cloneTenant(t tenant.Tenant) *tenant.Tenant {
	c := t
	if t.DeletedAt != nil {
		d := *t.DeletedAt
		c.DeletedAt = &d
	}
	if t.Settings.Extra != nil {
		c.Settings.Extra = make(map[string]json.RawMessage, len(t.Settings.Extra))
		for k, v := range t.Settings.Extra {
			c.Settings.Extra[k] = slices.Clone(v)
		}
	}
	return &c
}
