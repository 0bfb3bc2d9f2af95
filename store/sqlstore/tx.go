package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/uptrace/bun"
)

// Backoff between attempts of a transaction: attempt n waits a random time
// up to retryBase << n, capped at retryCap.
const (
	retryBase = 2 * time.Millisecond
	retryCap  = 100 * time.Millisecond
)

// InTx runs fn in one transaction. See store.Store. A transaction that fails
// on a serialization conflict, a deadlock or a busy database is run again,
// whole, up to the configured number of attempts.
// Errors: those of fn, unchanged; ctx.Err() when ctx is done; core.Internal
// when the transaction cannot begin or commit, or still conflicts after the
// last attempt.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	return s.inTx(ctx, false, fn)
}

func (s *Store) inTx(ctx context.Context, single bool, fn func(tx store.Store) error) (err error) {
	if o := s.cfg.observer; o != nil {
		defer observeSince(o, OpTx, time.Now(), &err)
	}
	for attempt := 0; attempt < s.cfg.txAttempts; attempt++ {
		if attempt > 0 {
			wait := min(retryCap, retryBase<<attempt)
			t := time.NewTimer(rand.N(wait) + wait/4)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		err = s.runTx(ctx, single, fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return &core.Error{
		Code:    core.Internal,
		Message: fmt.Sprintf("the transaction still conflicted with concurrent ones after %d attempts", s.cfg.txAttempts),
		Err:     err,
	}
}

// runTx runs fn in one transaction; single says the transaction wraps one
// call of the Store's own, which needs no savepoints.
func (s *Store) runTx(ctx context.Context, single bool, fn func(tx store.Store) error) (err error) {
	if err := s.check(ctx); err != nil {
		return err
	}
	btx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.translate(ctx, err, "begin a transaction", "")
	}
	tx := &txStore{s: s, tx: btx, d: deltas{}, single: single}
	defer func() {
		if err == nil {
			return
		}
		tx.done = true
		if rerr := btx.Rollback(); rerr != nil && !errors.Is(rerr, context.Canceled) && ctx.Err() == nil && !errors.Is(rerr, sql.ErrTxDone) {
			err = errors.Join(err, core.Wrap(rerr, "roll back"))
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			tx.done = true
			_ = btx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := s.flush(ctx, btx, tx.d); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tx.done = true
	if err := btx.Commit(); err != nil {
		return s.translate(ctx, err, "commit", "")
	}
	return nil
}

// txStore is a Store bound to one running transaction.
type txStore struct {
	s    *Store
	tx   bun.Tx
	d    deltas
	done bool
	// single: the transaction wraps one call of the Store's own, and ends
	// with it.
	single bool
}

var errTxEnded = &core.Error{Code: core.Internal, Message: "the transaction has ended", Err: errors.New("sqlstore: use of a finished transaction")}

func (tx *txStore) check(ctx context.Context) error {
	if tx.done {
		return errTxEnded
	}
	return tx.s.check(ctx)
}

// InTx joins the running transaction: fn runs inside it.
func (tx *txStore) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	return fn(tx)
}

// Close is not allowed on a transaction.
func (tx *txStore) Close() error {
	return errors.New("sqlstore: Close called on a transaction")
}

func (tx *txStore) CreateTenant(ctx context.Context, t tenant.Tenant) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	return tx.s.createTenant(ctx, tx.tx, tx.d, t)
}

func (tx *txStore) GetTenant(ctx context.Context, id string) (tenant.Tenant, error) {
	if err := tx.check(ctx); err != nil {
		return tenant.Tenant{}, err
	}
	return tx.s.readTenant(ctx, tx.tx, id)
}

func (tx *txStore) UpdateTenant(ctx context.Context, id string, update func(tenant.Tenant) (tenant.Tenant, error)) (tenant.Tenant, error) {
	if err := tx.check(ctx); err != nil {
		return tenant.Tenant{}, err
	}
	return tx.s.updateTenant(ctx, tx.tx, tx.d, id, update, !tx.single)
}

func (tx *txStore) ListTenants(ctx context.Context, f tenant.Filter) ([]tenant.Tenant, int, error) {
	if err := tx.check(ctx); err != nil {
		return nil, 0, err
	}
	// The totals must include this transaction's own writes.
	if err := tx.s.flush(ctx, tx.tx, tx.d); err != nil {
		return nil, 0, err
	}
	return tx.s.listTenants(ctx, tx.tx, f)
}

// CreateTenant implements tenant.Store, in a transaction of its own.
// Errors: core.SubdomainTaken; core.Conflict when the ID is taken;
// core.Invalid for a free-form setting that is not JSON; core.Internal.
func (s *Store) CreateTenant(ctx context.Context, t tenant.Tenant) error {
	return s.inTx(ctx, true, func(tx store.Store) error { return tx.CreateTenant(ctx, t) })
}

// GetTenant implements tenant.Store. Errors: core.NotFound; core.Internal.
func (s *Store) GetTenant(ctx context.Context, id string) (tenant.Tenant, error) {
	if err := s.check(ctx); err != nil {
		return tenant.Tenant{}, err
	}
	return s.readTenant(ctx, s.read, id)
}

// UpdateTenant implements tenant.Store, in a transaction of its own.
// Errors: core.NotFound; core.SubdomainTaken; core.Invalid when update
// changes the ID or creation time; those of update; core.Internal.
func (s *Store) UpdateTenant(ctx context.Context, id string, update func(tenant.Tenant) (tenant.Tenant, error)) (tenant.Tenant, error) {
	var out tenant.Tenant
	err := s.inTx(ctx, true, func(tx store.Store) (err error) {
		out, err = tx.UpdateTenant(ctx, id, update)
		return err
	})
	return out, err
}

// ListTenants implements tenant.Store: one page and its exact total, read
// in one statement. Errors: core.Invalid naming "page" for a page past the
// first with After; core.Internal.
func (s *Store) ListTenants(ctx context.Context, f tenant.Filter) ([]tenant.Tenant, int, error) {
	if err := s.check(ctx); err != nil {
		return nil, 0, err
	}
	return s.listTenants(ctx, s.read, f)
}
