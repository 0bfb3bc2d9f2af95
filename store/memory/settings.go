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
