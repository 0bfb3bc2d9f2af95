package memory

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
)

// atomData is the atom marketplace's state, guarded by Store.mu.
type atomData struct {
	// catalog holds every published version, in publication order.
	catalog []atom.Atom
	// published holds the "id version" of every published version.
	published map[string]bool
	// version is the catalog version: the number of publications.
	version int64
	// inst holds each tenant's installations, ordered by AtomID. A slice
	// is never changed in place: a write replaces it, so that the undo log
	// can put the old one back.
	inst map[string][]atom.Installation
}

func newAtomData() *atomData {
	return &atomData{published: make(map[string]bool), inst: make(map[string][]atom.Installation)}
}

// countAtoms sets the derived atom count of each tenant.
func (a *atomData) countAtoms(ts []tenant.Tenant) []tenant.Tenant {
	for i := range ts {
		ts[i].AtomCount = len(a.inst[ts[i].ID])
	}
	return ts
}

func atomKey(id, version string) string { return id + " " + version }

// cloneAtom deep-copies a, so that nothing a caller holds aliases the
// store's state.
func cloneAtom(a atom.Atom) atom.Atom {
	a.Features = slices.Clone(a.Features)
	a.Dependencies = slices.Clone(a.Dependencies)
	a.Permissions = slices.Clone(a.Permissions)
	a.ConfigSchema = slices.Clone(a.ConfigSchema)
	if a.Pricing.Price != nil {
		p := *a.Pricing.Price
		a.Pricing.Price = &p
	}
	return a
}

func cloneInstallations(in []atom.Installation) []atom.Installation {
	out := make([]atom.Installation, len(in))
	for i, x := range in {
		x.Config = slices.Clone(x.Config)
		out[i] = x
	}
	return out
}

// The Store's atom methods: each runs under the read lock, or as a
// transaction of its own.

// PublishAtoms implements atom.Store.
// Errors: core.AtomDuplicate; those of publish; core.Internal when closed.
func (s *Store) PublishAtoms(ctx context.Context, publish func([]atom.Atom) ([]atom.Atom, error)) (int64, error) {
	var v int64
	err := s.write(ctx, func(tx *txStore) (err error) {
		v, err = tx.PublishAtoms(ctx, publish)
		return err
	})
	return v, err
}

// ListAtoms implements atom.Store. Errors: core.Internal when closed.
func (s *Store) ListAtoms(ctx context.Context) ([]atom.Atom, error) {
	var out []atom.Atom
	err := s.read(ctx, func(d *data) error {
		out = d.atoms.list()
		return nil
	})
	return out, err
}

// CatalogVersion implements atom.Store. Errors: core.Internal when closed.
func (s *Store) CatalogVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.read(ctx, func(d *data) error {
		v = d.atoms.version
		return nil
	})
	return v, err
}

// ListInstallations implements atom.Store. Errors: core.Internal when
// closed.
func (s *Store) ListInstallations(ctx context.Context, tenantID string) ([]atom.Installation, error) {
	var out []atom.Installation
	err := s.read(ctx, func(d *data) error {
		out = cloneInstallations(d.atoms.inst[tenantID])
		return nil
	})
	return out, err
}

// UpdateInstallations implements atom.Store.
// Errors: core.NotFound; core.Invalid; core.Conflict; those of update;
// core.Internal when closed.
func (s *Store) UpdateInstallations(ctx context.Context, tenantID string, update func(tenant.Tenant, []atom.Installation) ([]atom.Installation, error)) ([]atom.Installation, error) {
	var out []atom.Installation
	err := s.write(ctx, func(tx *txStore) (err error) {
		out, err = tx.UpdateInstallations(ctx, tenantID, update)
		return err
	})
	return out, err
}

func (a *atomData) list() []atom.Atom {
	out := make([]atom.Atom, len(a.catalog))
	for i, x := range a.catalog {
		out[i] = cloneAtom(x)
	}
	return out
}

// The transaction's atom methods. Each holds tx.mu while it touches the
// data; the updaters run without it, so that they may read through tx.

// atomsWithin runs fn with tx.mu held, after checking that tx is still
// usable.
func atomsWithin[T any](ctx context.Context, tx *txStore, fn func(d *data) (T, error)) (T, error) {
	if err := tx.begin(ctx); err != nil {
		var zero T
		return zero, err
	}
	defer tx.mu.Unlock()
	return fn(tx.s.data)
}

func (tx *txStore) PublishAtoms(ctx context.Context, publish func([]atom.Atom) ([]atom.Atom, error)) (int64, error) {
	cur, err := atomsWithin(ctx, tx, func(d *data) ([]atom.Atom, error) { return d.atoms.list(), nil })
	if err != nil {
		return 0, err
	}
	add, err := publish(cur)
	if err != nil {
		return 0, err
	}
	return atomsWithin(ctx, tx, func(d *data) (int64, error) {
		a := d.atoms
		if len(add) == 0 {
			return a.version, nil
		}
		seen := make(map[string]bool, len(add))
		rows := make([]atom.Atom, len(add))
		for i, x := range add {
			k := atomKey(x.ID, x.Version)
			if a.published[k] || seen[k] {
				return 0, core.Errorf(core.AtomDuplicate, "%s %s is published already", x.ID, x.Version)
			}
			seen[k] = true
			rows[i] = cloneAtom(x)
			// The config schema is kept as compact JSON, as the SQL store
			// keeps it; an empty one reads back nil.
			if len(x.ConfigSchema) == 0 {
				rows[i].ConfigSchema = nil
			} else {
				var b bytes.Buffer
				if err := json.Compact(&b, x.ConfigSchema); err != nil {
					return 0, core.Errorf(core.Invalid, "the config schema of %s %s is not valid JSON", x.ID, x.Version)
				}
				rows[i].ConfigSchema = b.Bytes()
			}
		}
		old, oldVersion := a.catalog, a.version
		next := append(slices.Clip(old), rows...) // appending copies: old stays as it was
		for k := range seen {
			a.published[k] = true
		}
		a.catalog = next
		a.version++
		tx.undo = append(tx.undo, func() {
			a.catalog, a.version = old, oldVersion
			for k := range seen {
				delete(a.published, k)
			}
		})
		return a.version, nil
	})
}

func (tx *txStore) ListAtoms(ctx context.Context) ([]atom.Atom, error) {
	return atomsWithin(ctx, tx, func(d *data) ([]atom.Atom, error) { return d.atoms.list(), nil })
}

func (tx *txStore) CatalogVersion(ctx context.Context) (int64, error) {
	return atomsWithin(ctx, tx, func(d *data) (int64, error) { return d.atoms.version, nil })
}

func (tx *txStore) ListInstallations(ctx context.Context, tenantID string) ([]atom.Installation, error) {
	return atomsWithin(ctx, tx, func(d *data) ([]atom.Installation, error) {
		return cloneInstallations(d.atoms.inst[tenantID]), nil
	})
}

func (tx *txStore) UpdateInstallations(ctx context.Context, tenantID string, update func(tenant.Tenant, []atom.Installation) ([]atom.Installation, error)) ([]atom.Installation, error) {
	type state struct {
		t   tenant.Tenant
		cur []atom.Installation
	}
	st, err := atomsWithin(ctx, tx, func(d *data) (state, error) {
		t, err := d.getTenant(tenantID)
		return state{t, cloneInstallations(d.atoms.inst[tenantID])}, err
	})
	if err != nil {
		return nil, err
	}
	// The store's write lock, held by this transaction, keeps every other
	// writer out while update runs.
	next, err := update(st.t, st.cur)
	if err != nil {
		return nil, err
	}
	return atomsWithin(ctx, tx, func(d *data) ([]atom.Installation, error) {
		old := d.atoms.inst[tenantID]
		rows, err := checkInstallations(tenantID, old, next)
		if err != nil {
			return nil, err
		}
		a := d.atoms
		if len(rows) == 0 {
			delete(a.inst, tenantID)
		} else {
			a.inst[tenantID] = rows
		}
		tx.undo = append(tx.undo, func() {
			if old == nil {
				delete(a.inst, tenantID)
			} else {
				a.inst[tenantID] = old
			}
		})
		return cloneInstallations(rows), nil
	})
}

// checkInstallations checks what an updater returned against the rules of
// atom.Store.UpdateInstallations and returns the new rows: copies, ordered
// by AtomID.
func checkInstallations(tenantID string, old, next []atom.Installation) ([]atom.Installation, error) {
	if err := atom.CheckUpdate(tenantID, old, next); err != nil {
		return nil, err
	}
	rows := cloneInstallations(next)
	slices.SortFunc(rows, func(a, b atom.Installation) int { return strings.Compare(a.AtomID, b.AtomID) })
	if len(rows) == 0 {
		return nil, nil
	}
	return rows, nil
}
