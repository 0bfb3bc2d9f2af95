package memory

import "context"

// Ping implements store.Store: the store answers unless it is closed.
// Errors: core.Internal when the store is closed; ctx.Err() when ctx is
// done.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed()
	}
	return nil
}

// Ping implements store.Store on a transaction: it answers while the
// transaction runs. Errors: core.Internal when the transaction has ended;
// ctx.Err() when ctx is done.
func (tx *txStore) Ping(ctx context.Context) error {
	if err := tx.begin(ctx); err != nil {
		return err
	}
	tx.mu.Unlock()
	return nil
}
