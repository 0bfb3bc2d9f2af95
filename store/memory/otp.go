package memory

import (
	"context"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/settings"
)

// otpData holds the phone OTP challenges and counters.
type otpData struct {
	challenges map[string]identity.OTPChallenge
	counters   map[string]identity.OTPCounter
	// settings holds the settings documents by scope (settings.go).
	settings map[string]settings.Record
	// tenantSettings holds each tenant's settings by tenant ID.
	tenantSettings map[string]settings.TenantRecord
	// links holds the federated identities' links (federated.go).
	links map[linkKey]identity.FederatedLink
}

func newOTPData() *otpData {
	return &otpData{
		challenges:     make(map[string]identity.OTPChallenge),
		counters:       make(map[string]identity.OTPCounter),
		settings:       make(map[string]settings.Record),
		tenantSettings: make(map[string]settings.TenantRecord),
		links:          make(map[linkKey]identity.FederatedLink),
	}
}

func otpNotFound(id string) error {
	return core.Errorf(core.NotFound, "OTP challenge %q not found", id)
}

// The Store's OTP methods: each runs under the read lock, or as a
// transaction of its own.

func readOTP[T any](ctx context.Context, s *Store, fn func(d *data) (T, error)) (T, error) {
	var out T
	err := s.read(ctx, func(d *data) (err error) {
		out, err = fn(d)
		return err
	})
	return out, err
}

// CreateOTPChallenge implements identity.OTPStore. Errors: core.Conflict.
func (s *Store) CreateOTPChallenge(ctx context.Context, c identity.OTPChallenge) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.CreateOTPChallenge(ctx, c) })
	return err
}

// GetOTPChallenge implements identity.OTPStore. Errors: core.NotFound.
func (s *Store) GetOTPChallenge(ctx context.Context, id string) (identity.OTPChallenge, error) {
	return readOTP(ctx, s, func(d *data) (identity.OTPChallenge, error) { return d.otp.get(id) })
}

// SpendOTPAttempt implements identity.OTPStore. Errors: core.NotFound.
func (s *Store) SpendOTPAttempt(ctx context.Context, id string, at time.Time) (int, bool, error) {
	type res struct {
		n  int
		ok bool
	}
	r, err := writeIdentity(ctx, s, func(tx *txStore) (res, error) {
		n, ok, err := tx.SpendOTPAttempt(ctx, id, at)
		return res{n, ok}, err
	})
	return r.n, r.ok, err
}

// UseOTPChallenge implements identity.OTPStore. Errors: core.NotFound.
func (s *Store) UseOTPChallenge(ctx context.Context, id string, at time.Time) (bool, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (bool, error) { return tx.UseOTPChallenge(ctx, id, at) })
}

// DeleteOTPChallenges implements identity.OTPStore.
func (s *Store) DeleteOTPChallenges(ctx context.Context, before time.Time) (int, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (int, error) { return tx.DeleteOTPChallenges(ctx, before) })
}

// DeleteOTPCounters implements identity.OTPStore.
func (s *Store) DeleteOTPCounters(ctx context.Context, before time.Time) (int, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (int, error) { return tx.DeleteOTPCounters(ctx, before) })
}

// HitOTPCounter implements identity.OTPStore.
func (s *Store) HitOTPCounter(ctx context.Context, key string, limit int, window time.Duration, at time.Time) (identity.OTPCounter, bool, error) {
	type res struct {
		c  identity.OTPCounter
		ok bool
	}
	r, err := writeIdentity(ctx, s, func(tx *txStore) (res, error) {
		c, ok, err := tx.HitOTPCounter(ctx, key, limit, window, at)
		return res{c, ok}, err
	})
	return r.c, r.ok, err
}

// FindUsersByPhone implements identity.OTPStore.
func (s *Store) FindUsersByPhone(ctx context.Context, tenantID, phone string) ([]identity.User, error) {
	return readOTP(ctx, s, func(d *data) ([]identity.User, error) { return d.identity.usersByPhone(tenantID, phone), nil })
}

// The transaction's OTP methods. Each holds tx.mu while it works.

func withinOTP[T any](ctx context.Context, tx *txStore, fn func(d *data) (T, error)) (T, error) {
	if err := tx.begin(ctx); err != nil {
		var zero T
		return zero, err
	}
	defer tx.mu.Unlock()
	return fn(tx.s.data)
}

func (tx *txStore) CreateOTPChallenge(ctx context.Context, c identity.OTPChallenge) error {
	_, err := withinOTP(ctx, tx, func(d *data) (struct{}, error) {
		if _, ok := d.otp.challenges[c.ID]; ok {
			return struct{}{}, core.Errorf(core.Conflict, "OTP challenge %s already exists", c.ID)
		}
		c.UsedAt = clonePtr(c.UsedAt)
		put(tx, d.otp.challenges, c.ID, c)
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) GetOTPChallenge(ctx context.Context, id string) (identity.OTPChallenge, error) {
	return withinOTP(ctx, tx, func(d *data) (identity.OTPChallenge, error) { return d.otp.get(id) })
}

func (tx *txStore) SpendOTPAttempt(ctx context.Context, id string, at time.Time) (int, bool, error) {
	type res struct {
		n  int
		ok bool
	}
	r, err := withinOTP(ctx, tx, func(d *data) (res, error) {
		c, ok := d.otp.challenges[id]
		if !ok {
			return res{}, otpNotFound(id)
		}
		if c.UsedAt != nil || !at.Before(c.ExpiresAt) || c.Attempts >= c.MaxAttempts {
			return res{c.Attempts, false}, nil
		}
		c.Attempts++
		put(tx, d.otp.challenges, id, c)
		return res{c.Attempts, true}, nil
	})
	return r.n, r.ok, err
}

func (tx *txStore) UseOTPChallenge(ctx context.Context, id string, at time.Time) (bool, error) {
	return withinOTP(ctx, tx, func(d *data) (bool, error) {
		c, ok := d.otp.challenges[id]
		if !ok {
			return false, otpNotFound(id)
		}
		if c.UsedAt != nil || !at.Before(c.ExpiresAt) {
			return false, nil
		}
		c.UsedAt = new(at)
		put(tx, d.otp.challenges, id, c)
		return true, nil
	})
}

func (tx *txStore) DeleteOTPChallenges(ctx context.Context, before time.Time) (int, error) {
	return withinOTP(ctx, tx, func(d *data) (int, error) {
		return delWhere(tx, d.otp.challenges, func(c identity.OTPChallenge) bool { return c.ExpiresAt.Before(before) }), nil
	})
}

func (tx *txStore) DeleteOTPCounters(ctx context.Context, before time.Time) (int, error) {
	return withinOTP(ctx, tx, func(d *data) (int, error) {
		return delWhere(tx, d.otp.counters, func(c identity.OTPCounter) bool { return c.WindowStart.Before(before) }), nil
	})
}

func (tx *txStore) HitOTPCounter(ctx context.Context, key string, limit int, window time.Duration, at time.Time) (identity.OTPCounter, bool, error) {
	type res struct {
		c  identity.OTPCounter
		ok bool
	}
	r, err := withinOTP(ctx, tx, func(d *data) (res, error) {
		at = at.UTC().Truncate(time.Microsecond)
		c, had := d.otp.counters[key]
		switch {
		case !had || !at.Before(c.WindowStart.Add(window)):
			c = identity.OTPCounter{Count: 1, WindowStart: at}
		case c.Count < limit:
			c.Count++
		default:
			return res{c, false}, nil
		}
		put(tx, d.otp.counters, key, c)
		return res{c, true}, nil
	})
	return r.c, r.ok, err
}

func (tx *txStore) FindUsersByPhone(ctx context.Context, tenantID, phone string) ([]identity.User, error) {
	return withinOTP(ctx, tx, func(d *data) ([]identity.User, error) { return d.identity.usersByPhone(tenantID, phone), nil })
}

func (o *otpData) get(id string) (identity.OTPChallenge, error) {
	c, ok := o.challenges[id]
	if !ok {
		return identity.OTPChallenge{}, otpNotFound(id)
	}
	c.UsedAt = clonePtr(c.UsedAt)
	return c, nil
}

// usersByPhone returns the tenant's users with the phone, in creation
// order.
func (d *identityData) usersByPhone(tenantID, phone string) []identity.User {
	var out []identity.User
	if phone == "" {
		return nil
	}
	for _, r := range d.order[tenantID] {
		if u := d.users[userKey{tenantID, r.id}]; u.Phone == phone {
			out = append(out, cloneUser(u))
		}
	}
	return out
}
