package memory

import (
	"context"
	"time"

	"github.com/atomixplatform/atomix/ratelimit"
)

// The rate-limit buckets: one TAT per key, taken from under the store's
// write lock (as a transaction of its own, or in the caller's).

// TakeRateTokens implements ratelimit.Store.
// Errors: core.Invalid; core.Internal when closed; ctx.Err().
func (s *Store) TakeRateTokens(ctx context.Context, key string, p ratelimit.Policy, n int, now time.Time) (ratelimit.Decision, error) {
	if err := ratelimit.CheckTake(p, n); err != nil {
		return ratelimit.Decision{}, err
	}
	return writeIdentity(ctx, s, func(tx *txStore) (ratelimit.Decision, error) { return tx.TakeRateTokens(ctx, key, p, n, now) })
}

// DeleteRateBuckets implements ratelimit.Store.
// Errors: core.Internal when closed; ctx.Err().
func (s *Store) DeleteRateBuckets(ctx context.Context, now time.Time) (int, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (int, error) { return tx.DeleteRateBuckets(ctx, now) })
}

func (tx *txStore) TakeRateTokens(ctx context.Context, key string, p ratelimit.Policy, n int, now time.Time) (ratelimit.Decision, error) {
	if err := ratelimit.CheckTake(p, n); err != nil {
		return ratelimit.Decision{}, err
	}
	return withinOTP(ctx, tx, func(d *data) (ratelimit.Decision, error) {
		next, dec := ratelimit.Take(d.rate[key], p, n, now)
		if dec.Allowed() {
			put(tx, d.rate, key, next)
		}
		return dec, nil
	})
}

func (tx *txStore) DeleteRateBuckets(ctx context.Context, now time.Time) (int, error) {
	return withinOTP(ctx, tx, func(d *data) (int, error) {
		cut := now.UnixNano()
		n := 0
		for k, tat := range d.rate {
			if tat <= cut {
				del(tx, d.rate, k)
				n++
			}
		}
		return n, nil
	})
}
