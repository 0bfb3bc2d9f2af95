package memory

import (
	"context"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

type linkKey struct {
	provider identity.FederatedProvider
	subject  string
}

// GetFederatedLink implements identity.FederatedStore. Errors:
// core.NotFound.
func (s *Store) GetFederatedLink(ctx context.Context, provider identity.FederatedProvider, subject string) (identity.FederatedLink, error) {
	return readOTP(ctx, s, func(d *data) (identity.FederatedLink, error) { return d.otp.getLink(provider, subject) })
}

// CreateFederatedLink implements identity.FederatedStore. Errors:
// core.Conflict.
func (s *Store) CreateFederatedLink(ctx context.Context, l identity.FederatedLink) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.CreateFederatedLink(ctx, l) })
	return err
}

func (tx *txStore) GetFederatedLink(ctx context.Context, provider identity.FederatedProvider, subject string) (identity.FederatedLink, error) {
	return withinOTP(ctx, tx, func(d *data) (identity.FederatedLink, error) { return d.otp.getLink(provider, subject) })
}

func (tx *txStore) CreateFederatedLink(ctx context.Context, l identity.FederatedLink) error {
	_, err := withinOTP(ctx, tx, func(d *data) (struct{}, error) {
		k := linkKey{l.Provider, l.Subject}
		if _, ok := d.otp.links[k]; ok {
			return struct{}{}, core.Errorf(core.Conflict, "the %s identity is linked already", l.Provider)
		}
		put(tx, d.otp.links, k, l)
		return struct{}{}, nil
	})
	return err
}

func (o *otpData) getLink(provider identity.FederatedProvider, subject string) (identity.FederatedLink, error) {
	l, ok := o.links[linkKey{provider, subject}]
	if !ok {
		return identity.FederatedLink{}, core.Errorf(core.NotFound, "no %s identity linked", provider)
	}
	return l, nil
}
