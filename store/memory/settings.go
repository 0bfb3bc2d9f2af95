package memory

import (
	"context"
	"slices"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/settings"
)

// GetSettings implements settings.Store. Errors: core.NotFound.
func (s *Store) GetSettings(ctx context.Context, scope string) (settings.Record, error) {
	return readOTP(ctx, s, func(d *data) (settings.Record, error) { return d.otp.getSettings(scope) })
}

// PutSettings implements settings.Store. Errors: core.Conflict;
// core.Invalid.
func (s *Store) PutSettings(ctx context.Context, r settings.Record) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.PutSettings(ctx, r) })
	return err
}

func (tx *txStore) GetSettings(ctx context.Context, scope string) (settings.Record, error) {
	return withinOTP(ctx, tx, func(d *data) (settings.Record, error) { return d.otp.getSettings(scope) })
}

func (tx *txStore) PutSettings(ctx context.Context, r settings.Record) error {
	_, err := withinOTP(ctx, tx, func(d *data) (struct{}, error) {
		if r.Version < 1 {
			return struct{}{}, core.Errorf(core.Invalid, "a settings version starts at 1")
		}
		if d.otp.settings[r.Scope].Version != r.Version-1 {
			return struct{}{}, core.Errorf(core.Conflict, "the settings of %q changed concurrently", r.Scope)
		}
		r.Doc = slices.Clone(r.Doc)
		put(tx, d.otp.settings, r.Scope, r)
		return struct{}{}, nil
	})
	return err
}

func (o *otpData) getSettings(scope string) (settings.Record, error) {
	r, ok := o.settings[scope]
	if !ok {
		return settings.Record{}, core.Errorf(core.NotFound, "no settings for %q", scope)
	}
	r.Doc = slices.Clone(r.Doc)
	return r, nil
}

// GetTenantSettings implements settings.Store. Errors: core.NotFound.
func (s *Store) GetTenantSettings(ctx context.Context, tenantID string) (settings.TenantRecord, error) {
	return readOTP(ctx, s, func(d *data) (settings.TenantRecord, error) { return d.otp.getTenantSettings(tenantID) })
}

// PutTenantSettings implements settings.Store. Errors: core.Conflict;
// core.Invalid.
func (s *Store) PutTenantSettings(ctx context.Context, r settings.TenantRecord) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.PutTenantSettings(ctx, r) })
	return err
}

func (tx *txStore) GetTenantSettings(ctx context.Context, tenantID string) (settings.TenantRecord, error) {
	return withinOTP(ctx, tx, func(d *data) (settings.TenantRecord, error) { return d.otp.getTenantSettings(tenantID) })
}

func (tx *txStore) PutTenantSettings(ctx context.Context, r settings.TenantRecord) error {
	_, err := withinOTP(ctx, tx, func(d *data) (struct{}, error) {
		if r.Version < 1 {
			return struct{}{}, core.Errorf(core.Invalid, "a settings version starts at 1")
		}
		if d.otp.tenantSettings[r.TenantID].Version != r.Version-1 {
			return struct{}{}, core.Errorf(core.Conflict, "the settings of tenant %q changed concurrently", r.TenantID)
		}
		r.Doc = slices.Clone(r.Doc)
		put(tx, d.otp.tenantSettings, r.TenantID, r)
		return struct{}{}, nil
	})
	return err
}

func (o *otpData) getTenantSettings(tenantID string) (settings.TenantRecord, error) {
	r, ok := o.tenantSettings[tenantID]
	if !ok {
		return settings.TenantRecord{}, core.Errorf(core.NotFound, "no settings for tenant %q", tenantID)
	}
	r.Doc = slices.Clone(r.Doc)
	return r, nil
}
