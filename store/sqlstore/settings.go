package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/settings"
)

// Settings documents (migration 20260406000001_settings).

type settingsRow struct {
	bun.BaseModel `bun:"table:settings,alias:st"`

	Scope     string    `bun:"scope,pk"`
	Doc       string    `bun:"doc,notnull"`
	Version   int64     `bun:"version,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

func (s *Store) getSettings(ctx context.Context, idb bun.IDB, scope string) (settings.Record, error) {
	var r settingsRow
	if err := s.scanOne(ctx, idb.NewSelect().Model(&r).Where("st.scope = ?", scope), "read settings",
		core.Errorf(core.NotFound, "no settings for %q", scope)); err != nil {
		return settings.Record{}, err
	}
	return settings.Record{Scope: r.Scope, Doc: []byte(r.Doc), Version: int(r.Version), UpdatedAt: r.UpdatedAt.UTC()}, nil
}

// putSettings writes the platform settings; see putVersioned.
func (s *Store) putSettings(ctx context.Context, idb bun.IDB, rec settings.Record) error {
	r := settingsRow{Scope: rec.Scope, Doc: string(rec.Doc), Version: int64(rec.Version), UpdatedAt: dbTime(rec.UpdatedAt)}
	return s.putVersioned(ctx, idb, &r, rec.Version, "scope", rec.Scope, "the settings of "+quote(rec.Scope))
}

// putVersioned writes a versioned settings document with one conditional
// statement: an insert that does nothing on conflict for the first
// version, an update guarded by the previous version for the others. model
// points to a row with doc, version and updated_at columns, keyed by
// keyCol = key. Errors: core.Invalid for a version below 1; core.Conflict
// naming what when another writer got there first.
func (s *Store) putVersioned(ctx context.Context, idb bun.IDB, model any, version int, keyCol, key, what string) error {
	if version < 1 {
		return core.Errorf(core.Invalid, "a settings version starts at 1")
	}
	doing := "store " + what
	var n int64
	var err error
	if version == 1 {
		n, err = s.affected(ctx, doing)(idb.NewInsert().Model(model).On("CONFLICT DO NOTHING").Exec(ctx))
	} else {
		n, err = s.affected(ctx, doing)(idb.NewUpdate().Model(model).Column("doc", "version", "updated_at").
			Where("? = ? AND version = ?", bun.Ident(keyCol), key, version-1).Exec(ctx))
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.Conflict, "%s changed concurrently", what)
	}
	return nil
}

// GetSettings implements settings.Store. Errors: core.NotFound.
func (s *Store) GetSettings(ctx context.Context, scope string) (settings.Record, error) {
	return readWith(ctx, s, func(idb bun.IDB) (settings.Record, error) { return s.getSettings(ctx, idb, scope) })
}

// PutSettings implements settings.Store. Errors: core.Conflict;
// core.Invalid.
func (s *Store) PutSettings(ctx context.Context, r settings.Record) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.PutSettings(ctx, r)) })
	return err
}

func (tx *txStore) GetSettings(ctx context.Context, scope string) (settings.Record, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (settings.Record, error) { return tx.s.getSettings(ctx, idb, scope) })
}

func (tx *txStore) PutSettings(ctx context.Context, r settings.Record) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.putSettings(ctx, idb, r)) })
	return err
}

// Tenant settings (migration 20260420000001_tenant_settings).

type tenantSettingsRow struct {
	bun.BaseModel `bun:"table:tenant_settings,alias:ts"`

	TenantID  string    `bun:"tenant_id,pk"`
	Doc       string    `bun:"doc,notnull"`
	Version   int64     `bun:"version,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

func (s *Store) getTenantSettings(ctx context.Context, idb bun.IDB, tenantID string) (settings.TenantRecord, error) {
	var r tenantSettingsRow
	if err := s.scanOne(ctx, idb.NewSelect().Model(&r).Where("ts.tenant_id = ?", tenantID), "read tenant settings",
		core.Errorf(core.NotFound, "no settings for tenant %q", tenantID)); err != nil {
		return settings.TenantRecord{}, err
	}
	return settings.TenantRecord{TenantID: r.TenantID, Doc: []byte(r.Doc), Version: int(r.Version), UpdatedAt: r.UpdatedAt.UTC()}, nil
}

// putTenantSettings writes a tenant's settings; see putVersioned.
func (s *Store) putTenantSettings(ctx context.Context, idb bun.IDB, rec settings.TenantRecord) error {
	r := tenantSettingsRow{TenantID: rec.TenantID, Doc: string(rec.Doc), Version: int64(rec.Version), UpdatedAt: dbTime(rec.UpdatedAt)}
	return s.putVersioned(ctx, idb, &r, rec.Version, "tenant_id", rec.TenantID, "the settings of tenant "+quote(rec.TenantID))
}

// GetTenantSettings implements settings.Store. Errors: core.NotFound.
func (s *Store) GetTenantSettings(ctx context.Context, tenantID string) (settings.TenantRecord, error) {
	return readWith(ctx, s, func(idb bun.IDB) (settings.TenantRecord, error) { return s.getTenantSettings(ctx, idb, tenantID) })
}

// PutTenantSettings implements settings.Store. Errors: core.Conflict;
// core.Invalid.
func (s *Store) PutTenantSettings(ctx context.Context, r settings.TenantRecord) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.PutTenantSettings(ctx, r)) })
	return err
}

func (tx *txStore) GetTenantSettings(ctx context.Context, tenantID string) (settings.TenantRecord, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (settings.TenantRecord, error) { return tx.s.getTenantSettings(ctx, idb, tenantID) })
}

func (tx *txStore) PutTenantSettings(ctx context.Context, r settings.TenantRecord) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.putTenantSettings(ctx, idb, r)) })
	return err
}
