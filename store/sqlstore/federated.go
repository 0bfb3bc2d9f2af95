package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

// Federated identities' links (migration 20260407000001_federated).

type linkRow struct {
	bun.BaseModel `bun:"table:federated_links,alias:fl"`

	Provider  string    `bun:"provider,pk"`
	Subject   string    `bun:"subject,pk"`
	TenantID  string    `bun:"tenant_id,notnull"`
	UserID    string    `bun:"user_id,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

func (s *Store) getLink(ctx context.Context, idb bun.IDB, provider identity.FederatedProvider, subject string) (identity.FederatedLink, error) {
	var r linkRow
	if err := s.scanOne(ctx, idb.NewSelect().Model(&r).Where("fl.provider = ? AND fl.subject = ?", string(provider), subject),
		"read a federated link", core.Errorf(core.NotFound, "no %s identity linked", provider)); err != nil {
		return identity.FederatedLink{}, err
	}
	return identity.FederatedLink{Provider: identity.FederatedProvider(r.Provider), Subject: r.Subject, TenantID: r.TenantID, UserID: r.UserID, CreatedAt: r.CreatedAt.UTC()}, nil
}

func (s *Store) createLink(ctx context.Context, idb bun.IDB, l identity.FederatedLink) error {
	r := linkRow{Provider: string(l.Provider), Subject: l.Subject, TenantID: l.TenantID, UserID: l.UserID, CreatedAt: dbTime(l.CreatedAt)}
	n, err := s.affected(ctx, "create a federated link")(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.Conflict, "the %s identity is linked already", l.Provider)
	}
	return nil
}

// GetFederatedLink implements identity.FederatedStore. Errors:
// core.NotFound.
func (s *Store) GetFederatedLink(ctx context.Context, provider identity.FederatedProvider, subject string) (identity.FederatedLink, error) {
	return readWith(ctx, s, func(idb bun.IDB) (identity.FederatedLink, error) { return s.getLink(ctx, idb, provider, subject) })
}

// CreateFederatedLink implements identity.FederatedStore. Errors:
// core.Conflict.
func (s *Store) CreateFederatedLink(ctx context.Context, l identity.FederatedLink) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.CreateFederatedLink(ctx, l)) })
	return err
}

func (tx *txStore) GetFederatedLink(ctx context.Context, provider identity.FederatedProvider, subject string) (identity.FederatedLink, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (identity.FederatedLink, error) { return tx.s.getLink(ctx, idb, provider, subject) })
}

func (tx *txStore) CreateFederatedLink(ctx context.Context, l identity.FederatedLink) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.createLink(ctx, idb, l)) })
	return err
}
