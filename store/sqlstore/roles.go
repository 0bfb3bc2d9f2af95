package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/role"
	"github.com/atomixplatform/atomix/store"
)

// roleRow is one row of tenant_roles.
type roleRow struct {
	bun.BaseModel `bun:"table:tenant_roles,alias:tr"`

	TenantID    string    `bun:"tenant_id,pk"`
	Name        string    `bun:"name,pk"`
	Description string    `bun:"description,notnull"`
	Permissions string    `bun:"permissions,notnull"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
}

func (r roleRow) toRole() (role.Custom, error) {
	out := role.Custom{TenantID: r.TenantID, Name: r.Name, Description: r.Description, CreatedAt: r.CreatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.Permissions), &out.Permissions); err != nil {
		return role.Custom{}, core.Wrap(err, "decode the permissions of role "+r.Name)
	}
	return out, nil
}

// CreateRole implements role.Store, in a transaction of its own.
// Errors: core.Conflict; core.Internal.
func (s *Store) CreateRole(ctx context.Context, r role.Custom) error {
	return s.inTx(ctx, true, func(tx store.Store) error { return tx.CreateRole(ctx, r) })
}

// GetRole implements role.Store. Errors: core.NotFound; core.Internal.
func (s *Store) GetRole(ctx context.Context, tenantID, name string) (role.Custom, error) {
	if err := s.check(ctx); err != nil {
		return role.Custom{}, err
	}
	return s.getRole(ctx, s.read, tenantID, name)
}

// ListRoles implements role.Store. Errors: core.Internal.
func (s *Store) ListRoles(ctx context.Context, tenantID string) ([]role.Custom, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.listRoles(ctx, s.read, tenantID)
}

func (tx *txStore) CreateRole(ctx context.Context, r role.Custom) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	return tx.s.createRole(ctx, tx.tx, r)
}

func (tx *txStore) GetRole(ctx context.Context, tenantID, name string) (role.Custom, error) {
	if err := tx.check(ctx); err != nil {
		return role.Custom{}, err
	}
	return tx.s.getRole(ctx, tx.tx, tenantID, name)
}

func (tx *txStore) ListRoles(ctx context.Context, tenantID string) ([]role.Custom, error) {
	if err := tx.check(ctx); err != nil {
		return nil, err
	}
	return tx.s.listRoles(ctx, tx.tx, tenantID)
}

func (s *Store) createRole(ctx context.Context, idb bun.IDB, r role.Custom) error {
	perms := r.Permissions
	if perms == nil {
		perms = []string{}
	}
	b, err := json.Marshal(perms)
	if err != nil {
		return core.Wrap(err, "encode the permissions of role "+r.Name)
	}
	row := roleRow{TenantID: r.TenantID, Name: r.Name, Description: r.Description, Permissions: string(b),
		CreatedAt: r.CreatedAt.UTC().Truncate(time.Microsecond)}
	doing := "create role " + r.Name
	res, err := idb.NewInsert().Model(&row).On("CONFLICT DO NOTHING").Returning("NULL").Exec(ctx)
	if err != nil {
		return s.translate(ctx, err, doing, "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.translate(ctx, err, doing, "")
	} else if n == 0 {
		return core.Errorf(core.Conflict, "the tenant has a role %q already", r.Name)
	}
	return nil
}

func (s *Store) getRole(ctx context.Context, idb bun.IDB, tenantID, name string) (role.Custom, error) {
	var row roleRow
	if err := idb.NewSelect().Model(&row).Where("tr.tenant_id = ? AND tr.name = ?", tenantID, name).Scan(ctx); err != nil {
		err = s.translate(ctx, err, "read role "+name, "")
		if core.ErrorCode(err) == core.NotFound {
			return role.Custom{}, role.NotFound(name)
		}
		return role.Custom{}, err
	}
	return row.toRole()
}

func (s *Store) listRoles(ctx context.Context, idb bun.IDB, tenantID string) ([]role.Custom, error) {
	var rows []roleRow
	if err := idb.NewSelect().Model(&rows).Where("tr.tenant_id = ?", tenantID).OrderExpr("tr.name").Scan(ctx); err != nil {
		return nil, s.translate(ctx, err, "list roles", "")
	}
	out := make([]role.Custom, 0, len(rows))
	for _, r := range rows {
		c, err := r.toRole()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
