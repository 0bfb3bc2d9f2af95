package sqlstore

import (
	"context"
	"time"

	"github.com/atomixplatform/atomix/ratelimit"
	"github.com/uptrace/bun"
)

// takeSQL takes tokens with one atomic upsert, ratelimit.Take in SQL:
// a new key gets the values Take computed for it; an existing one moves
// its TAT by the tokens granted (none when its bucket is empty, which
// leaves the TAT as it is, since it is then after now). On PostgreSQL the
// conflicting row is locked and read again, so concurrent takes
// serialize; SQLite has one writer. Arguments: ?0 key, ?1 and ?2 the new
// row's tat and taken, ?3 now, ?4 the interval, ?5 the TAT of an empty
// bucket (now + burst·interval), ?6 the tokens asked; all in nanoseconds.
const takeSQL = `INSERT INTO rate_buckets (bucket_key, tat, taken) VALUES (?0, CAST(?1 AS BIGINT), CAST(?2 AS BIGINT))
ON CONFLICT (bucket_key) DO UPDATE SET
	tat = ` + baseSQL + ` + ` + grantSQL + ` * CAST(?4 AS BIGINT),
	taken = ` + grantSQL + `
RETURNING tat, taken`

// baseSQL is max(tat, now); grantSQL is min(n, tokens in the bucket),
// at least 0.
const (
	baseSQL  = `(CASE WHEN rate_buckets.tat > CAST(?3 AS BIGINT) THEN rate_buckets.tat ELSE CAST(?3 AS BIGINT) END)`
	availSQL = `((CAST(?5 AS BIGINT) - ` + baseSQL + `) / CAST(?4 AS BIGINT))`
	grantSQL = `(CASE WHEN ` + availSQL + ` < 1 THEN 0 WHEN ` + availSQL + ` < CAST(?6 AS BIGINT) THEN ` + availSQL + ` ELSE CAST(?6 AS BIGINT) END)`
)

func (s *Store) takeRate(ctx context.Context, idb bun.IDB, key string, p ratelimit.Policy, n int, now time.Time) (ratelimit.Decision, error) {
	if err := ratelimit.CheckTake(p, n); err != nil {
		return ratelimit.Decision{}, err
	}
	t := int64(p.Interval())
	nowNs := now.UnixNano()
	newTAT, first := ratelimit.Take(0, p, n, now)
	var tat, taken int64
	err := idb.NewRaw(takeSQL, key, newTAT, first.Taken, nowNs, t, nowNs+int64(p.Burst)*t, n).Scan(ctx, &tat, &taken)
	if err != nil {
		return ratelimit.Decision{}, s.translate(ctx, err, "take rate-limit tokens", "")
	}
	return ratelimit.Outcome(tat, int(taken), p, now), nil
}

func (s *Store) deleteRate(ctx context.Context, idb bun.IDB, now time.Time) (int, error) {
	n, err := s.affected(ctx, "delete full rate-limit buckets")(idb.NewRaw("DELETE FROM rate_buckets WHERE tat <= ?", now.UnixNano()).Exec(ctx))
	return int(n), err
}

// TakeRateTokens implements ratelimit.Store: one upsert, a statement of
// its own on the write pool (atomic by itself, so it needs no BEGIN and
// COMMIT around it: on PostgreSQL that saves two round trips).
// Errors: core.Invalid; core.Internal; ctx.Err().
func (s *Store) TakeRateTokens(ctx context.Context, key string, p ratelimit.Policy, n int, now time.Time) (ratelimit.Decision, error) {
	if err := s.check(ctx); err != nil {
		return ratelimit.Decision{}, err
	}
	return s.takeRate(ctx, s.db, key, p, n, now)
}

// DeleteRateBuckets implements ratelimit.Store: one DELETE on the write
// pool. Errors: core.Internal; ctx.Err().
func (s *Store) DeleteRateBuckets(ctx context.Context, now time.Time) (int, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	return s.deleteRate(ctx, s.db, now)
}

func (tx *txStore) TakeRateTokens(ctx context.Context, key string, p ratelimit.Policy, n int, now time.Time) (ratelimit.Decision, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (ratelimit.Decision, error) { return tx.s.takeRate(ctx, idb, key, p, n, now) })
}

func (tx *txStore) DeleteRateBuckets(ctx context.Context, now time.Time) (int, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (int, error) { return tx.s.deleteRate(ctx, idb, now) })
}
