package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/role"
)

// roleKey addresses a custom role: tenant first.
type roleKey struct{ tenantID, name string }

func cloneRole(r role.Custom) role.Custom {
	r.Permissions = slices.Clone(r.Permissions)
	return r
}

// CreateRole implements role.Store, in a transaction of its own.
// Errors: core.Conflict; core.Internal when closed.
func (s *Store) CreateRole(ctx context.Context, r role.Custom) error {
	return s.write(ctx, func(tx *txStore) error { return tx.CreateRole(ctx, r) })
}

// GetRole implements role.Store. Errors: core.NotFound; core.Internal
// when closed.
func (s *Store) GetRole(ctx context.Context, tenantID, name string) (role.Custom, error) {
	var out role.Custom
	err := s.read(ctx, func(d *data) error {
		r, ok := d.roles[roleKey{tenantID, name}]
		if !ok {
			return role.NotFound(name)
		}
		out = cloneRole(r)
		return nil
	})
	return out, err
}

// ListRoles implements role.Store. Errors: core.Internal when closed.
func (s *Store) ListRoles(ctx context.Context, tenantID string) ([]role.Custom, error) {
	var out []role.Custom
	err := s.read(ctx, func(d *data) error {
		out = listRoles(d, tenantID)
		return nil
	})
	return out, err
}

func listRoles(d *data, tenantID string) []role.Custom {
	out := []role.Custom{}
	for k, r := range d.roles {
		if k.tenantID == tenantID {
			out = append(out, cloneRole(r))
		}
	}
	slices.SortFunc(out, func(a, b role.Custom) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (tx *txStore) CreateRole(ctx context.Context, r role.Custom) error {
	if err := tx.begin(ctx); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	d := tx.s.data
	k := roleKey{r.TenantID, r.Name}
	if _, ok := d.roles[k]; ok {
		return core.Errorf(core.Conflict, "the tenant has a role %q already", r.Name)
	}
	put(tx, d.roles, k, cloneRole(r))
	return nil
}

func (tx *txStore) GetRole(ctx context.Context, tenantID, name string) (role.Custom, error) {
	if err := tx.begin(ctx); err != nil {
		return role.Custom{}, err
	}
	defer tx.mu.Unlock()
	r, ok := tx.s.data.roles[roleKey{tenantID, name}]
	if !ok {
		return role.Custom{}, role.NotFound(name)
	}
	return cloneRole(r), nil
}

func (tx *txStore) ListRoles(ctx context.Context, tenantID string) ([]role.Custom, error) {
	if err := tx.begin(ctx); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	return listRoles(tx.s.data, tenantID), nil
}
