package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

// Phone OTP challenges and counters (migration 20260405000001_otp).

type otpRow struct {
	bun.BaseModel `bun:"table:otp_challenges,alias:och"`

	ID          string     `bun:"id,pk"`
	TenantID    string     `bun:"tenant_id,notnull"`
	Phone       string     `bun:"phone,notnull"`
	UserID      string     `bun:"user_id,notnull"`
	Purpose     string     `bun:"purpose,notnull"`
	CodeHash    string     `bun:"code_hash,notnull"`
	KeyID       string     `bun:"key_id,notnull"`
	Attempts    int64      `bun:"attempts,notnull"`
	MaxAttempts int64      `bun:"max_attempts,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
	ExpiresAt   time.Time  `bun:"expires_at,notnull"`
	UsedAt      *time.Time `bun:"used_at"`
}

func (r otpRow) toChallenge() identity.OTPChallenge {
	return identity.OTPChallenge{
		ID: r.ID, TenantID: r.TenantID, Phone: r.Phone, UserID: r.UserID, Purpose: r.Purpose,
		CodeHash: r.CodeHash, KeyID: r.KeyID, Attempts: int(r.Attempts), MaxAttempts: int(r.MaxAttempts),
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utcPtr(r.UsedAt),
	}
}

type otpCounterRow struct {
	bun.BaseModel `bun:"table:otp_counters,alias:oc"`

	Key         string `bun:"counter_key,pk"`
	Count       int64  `bun:"count,notnull"`
	WindowStart int64  `bun:"window_start,notnull"` // Unix microseconds
}

func otpNotFound(id string) error {
	return core.Errorf(core.NotFound, "OTP challenge %q not found", id)
}

func (s *Store) createOTP(ctx context.Context, idb bun.IDB, c identity.OTPChallenge) error {
	r := otpRow{
		ID: c.ID, TenantID: c.TenantID, Phone: c.Phone, UserID: c.UserID, Purpose: c.Purpose,
		CodeHash: c.CodeHash, KeyID: c.KeyID, Attempts: int64(c.Attempts), MaxAttempts: int64(c.MaxAttempts),
		CreatedAt: dbTime(c.CreatedAt), ExpiresAt: dbTime(c.ExpiresAt), UsedAt: optTime(c.UsedAt),
	}
	n, err := s.affected(ctx, "create an OTP challenge")(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.Conflict, "OTP challenge %s already exists", c.ID)
	}
	return nil
}

func (s *Store) getOTP(ctx context.Context, idb bun.IDB, id string) (identity.OTPChallenge, error) {
	var r otpRow
	if err := s.scanOne(ctx, idb.NewSelect().Model(&r).Where("och.id = ?", id), "read an OTP challenge", otpNotFound(id)); err != nil {
		return identity.OTPChallenge{}, err
	}
	return r.toChallenge(), nil
}

// spendOTP counts one attempt with one conditional update.
func (s *Store) spendOTP(ctx context.Context, idb bun.IDB, id string, at time.Time) (int, bool, error) {
	var n int64
	err := idb.NewRaw("UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = ? AND used_at IS NULL AND expires_at > ? AND attempts < max_attempts RETURNING attempts",
		id, dbTime(at)).Scan(ctx, &n)
	if err == nil {
		return int(n), true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, s.translate(ctx, err, "count an OTP attempt", "")
	}
	c, err := s.getOTP(ctx, idb, id)
	if err != nil {
		return 0, false, err
	}
	return c.Attempts, false, nil
}

// useOTP marks the challenge used with one conditional update.
func (s *Store) useOTP(ctx context.Context, idb bun.IDB, id string, at time.Time) (bool, error) {
	doing := "use an OTP challenge"
	n, err := s.affected(ctx, doing)(idb.NewUpdate().Model((*otpRow)(nil)).Set("used_at = ?", dbTime(at)).
		Where("id = ? AND used_at IS NULL AND expires_at > ?", id, dbTime(at)).Exec(ctx))
	if err != nil || n == 1 {
		return n == 1, err
	}
	if _, err := s.getOTP(ctx, idb, id); err != nil {
		return false, err
	}
	return false, nil
}

func (s *Store) deleteOTPCounters(ctx context.Context, idb bun.IDB, before time.Time) (int, error) {
	n, err := s.affected(ctx, "delete OTP counters")(idb.NewRaw("DELETE FROM otp_counters WHERE window_start < ?", dbTime(before).UnixMicro()).Exec(ctx))
	return int(n), err
}

func (s *Store) deleteOTPs(ctx context.Context, idb bun.IDB, before time.Time) (int, error) {
	n, err := s.affected(ctx, "delete OTP challenges")(idb.NewDelete().Model((*otpRow)(nil)).Where("expires_at < ?", dbTime(before)).Exec(ctx))
	return int(n), err
}

// hitOTPCounter adds one hit with one atomic upsert: a window that ended
// starts again at at; a full one takes no hit and returns no row.
func (s *Store) hitOTPCounter(ctx context.Context, idb bun.IDB, key string, limit int, window time.Duration, at time.Time) (identity.OTPCounter, bool, error) {
	now := dbTime(at).UnixMicro()
	cutoff := now - window.Microseconds()
	r := otpCounterRow{Key: key, Count: 1, WindowStart: now}
	err := idb.NewRaw(`INSERT INTO otp_counters (counter_key, count, window_start) VALUES (?, 1, ?)
ON CONFLICT (counter_key) DO UPDATE SET
	count = CASE WHEN otp_counters.window_start <= ? THEN 1 ELSE otp_counters.count + 1 END,
	window_start = CASE WHEN otp_counters.window_start <= ? THEN EXCLUDED.window_start ELSE otp_counters.window_start END
WHERE otp_counters.window_start <= ? OR otp_counters.count < ?
RETURNING count, window_start`, key, now, cutoff, cutoff, cutoff, limit).Scan(ctx, &r.Count, &r.WindowStart)
	if err == nil {
		return identity.OTPCounter{Count: int(r.Count), WindowStart: time.UnixMicro(r.WindowStart).UTC()}, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return identity.OTPCounter{}, false, s.translate(ctx, err, "count an OTP limit", "")
	}
	if err := s.scanOne(ctx, idb.NewSelect().Model(&r).Where("oc.counter_key = ?", key), "read an OTP counter",
		core.Errorf(core.Internal, "the OTP counter %q vanished", key)); err != nil {
		return identity.OTPCounter{}, false, err
	}
	return identity.OTPCounter{Count: int(r.Count), WindowStart: time.UnixMicro(r.WindowStart).UTC()}, false, nil
}

func (s *Store) usersByPhone(ctx context.Context, idb bun.IDB, tenantID, phone string) ([]identity.User, error) {
	if phone == "" {
		return nil, nil
	}
	var rows []userRow
	if err := idb.NewSelect().Model(&rows).Where("u.tenant_id = ? AND u.phone = ?", tenantID, phone).
		OrderExpr("u.created_at, u.id").Scan(ctx); err != nil {
		return nil, s.translate(ctx, err, "find users by phone", "")
	}
	out := make([]identity.User, 0, len(rows))
	for _, r := range rows {
		u, err := r.toUser()
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// The Store's OTP methods: reads on the read pool, writes in a transaction
// of their own.

// CreateOTPChallenge implements identity.OTPStore. Errors: core.Conflict.
func (s *Store) CreateOTPChallenge(ctx context.Context, c identity.OTPChallenge) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.CreateOTPChallenge(ctx, c)) })
	return err
}

// GetOTPChallenge implements identity.OTPStore. Errors: core.NotFound.
func (s *Store) GetOTPChallenge(ctx context.Context, id string) (identity.OTPChallenge, error) {
	return readWith(ctx, s, func(idb bun.IDB) (identity.OTPChallenge, error) { return s.getOTP(ctx, idb, id) })
}

// SpendOTPAttempt implements identity.OTPStore. Errors: core.NotFound.
func (s *Store) SpendOTPAttempt(ctx context.Context, id string, at time.Time) (int, bool, error) {
	type res struct {
		n  int
		ok bool
	}
	r, err := writeWith(ctx, s, func(tx *txStore) (res, error) {
		n, ok, err := tx.SpendOTPAttempt(ctx, id, at)
		return res{n, ok}, err
	})
	return r.n, r.ok, err
}

// UseOTPChallenge implements identity.OTPStore. Errors: core.NotFound.
func (s *Store) UseOTPChallenge(ctx context.Context, id string, at time.Time) (bool, error) {
	return writeWith(ctx, s, func(tx *txStore) (bool, error) { return tx.UseOTPChallenge(ctx, id, at) })
}

// DeleteOTPChallenges implements identity.OTPStore.
func (s *Store) DeleteOTPChallenges(ctx context.Context, before time.Time) (int, error) {
	return writeWith(ctx, s, func(tx *txStore) (int, error) { return tx.DeleteOTPChallenges(ctx, before) })
}

// DeleteOTPCounters implements identity.OTPStore.
func (s *Store) DeleteOTPCounters(ctx context.Context, before time.Time) (int, error) {
	return writeWith(ctx, s, func(tx *txStore) (int, error) { return tx.DeleteOTPCounters(ctx, before) })
}

// HitOTPCounter implements identity.OTPStore.
func (s *Store) HitOTPCounter(ctx context.Context, key string, limit int, window time.Duration, at time.Time) (identity.OTPCounter, bool, error) {
	type res struct {
		c  identity.OTPCounter
		ok bool
	}
	r, err := writeWith(ctx, s, func(tx *txStore) (res, error) {
		c, ok, err := tx.HitOTPCounter(ctx, key, limit, window, at)
		return res{c, ok}, err
	})
	return r.c, r.ok, err
}

// FindUsersByPhone implements identity.OTPStore.
func (s *Store) FindUsersByPhone(ctx context.Context, tenantID, phone string) ([]identity.User, error) {
	return readWith(ctx, s, func(idb bun.IDB) ([]identity.User, error) { return s.usersByPhone(ctx, idb, tenantID, phone) })
}

// The transaction's OTP methods.

func (tx *txStore) CreateOTPChallenge(ctx context.Context, c identity.OTPChallenge) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.createOTP(ctx, idb, c)) })
	return err
}

func (tx *txStore) GetOTPChallenge(ctx context.Context, id string) (identity.OTPChallenge, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (identity.OTPChallenge, error) { return tx.s.getOTP(ctx, idb, id) })
}

func (tx *txStore) SpendOTPAttempt(ctx context.Context, id string, at time.Time) (int, bool, error) {
	type res struct {
		n  int
		ok bool
	}
	r, err := withTx(ctx, tx, func(idb bun.IDB) (res, error) {
		n, ok, err := tx.s.spendOTP(ctx, idb, id, at)
		return res{n, ok}, err
	})
	return r.n, r.ok, err
}

func (tx *txStore) UseOTPChallenge(ctx context.Context, id string, at time.Time) (bool, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (bool, error) { return tx.s.useOTP(ctx, idb, id, at) })
}

func (tx *txStore) DeleteOTPChallenges(ctx context.Context, before time.Time) (int, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (int, error) { return tx.s.deleteOTPs(ctx, idb, before) })
}

func (tx *txStore) DeleteOTPCounters(ctx context.Context, before time.Time) (int, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (int, error) { return tx.s.deleteOTPCounters(ctx, idb, before) })
}

func (tx *txStore) HitOTPCounter(ctx context.Context, key string, limit int, window time.Duration, at time.Time) (identity.OTPCounter, bool, error) {
	type res struct {
		c  identity.OTPCounter
		ok bool
	}
	r, err := withTx(ctx, tx, func(idb bun.IDB) (res, error) {
		c, ok, err := tx.s.hitOTPCounter(ctx, idb, key, limit, window, at)
		return res{c, ok}, err
	})
	return r.c, r.ok, err
}

func (tx *txStore) FindUsersByPhone(ctx context.Context, tenantID, phone string) ([]identity.User, error) {
	return withTx(ctx, tx, func(idb bun.IDB) ([]identity.User, error) { return tx.s.usersByPhone(ctx, idb, tenantID, phone) })
}
