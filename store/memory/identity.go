package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/tenant"
)

// identityData is the identity domain's state, part of data.
type identityData struct {
	users map[userKey]identity.User
	// tenantOf maps a user ID to its tenant: IDs are unique across
	// tenants, and FindUser looks them up.
	tenantOf map[string]string
	// emails maps a tenant and identity.EmailKey to the user's ID.
	emails map[emailKey]string
	// order holds each tenant's users sorted by CreatedAt then ID (neither
	// changes).
	order map[string][]userRef

	families  map[userKey]identity.RefreshFamily // keyed by tenant and family ID
	tokens    map[hashKey]identity.RefreshToken
	setTokens map[hashKey]identity.SetPasswordToken
	keys      map[string]identity.SigningKey
	totp      map[userKey]identity.TOTP // without RecoveryCodes
	recovery  map[userKey]map[string]bool
	attempts  map[attemptKey]identity.Attempts
}

type userKey struct{ tenant, id string }

type emailKey struct{ tenant, email string }

type hashKey struct{ tenant, hash string }

type attemptKey struct {
	tenant, subject string
	kind            identity.AttemptKind
}

type userRef struct {
	created time.Time
	id      string
}

func compareRefs(a, b userRef) int {
	if c := a.created.Compare(b.created); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

func newIdentityData() *identityData {
	return &identityData{
		users:     make(map[userKey]identity.User),
		tenantOf:  make(map[string]string),
		emails:    make(map[emailKey]string),
		order:     make(map[string][]userRef),
		families:  make(map[userKey]identity.RefreshFamily),
		tokens:    make(map[hashKey]identity.RefreshToken),
		setTokens: make(map[hashKey]identity.SetPasswordToken),
		keys:      make(map[string]identity.SigningKey),
		totp:      make(map[userKey]identity.TOTP),
		recovery:  make(map[userKey]map[string]bool),
		attempts:  make(map[attemptKey]identity.Attempts),
	}
}

// put sets m[k] = v and records how to undo it.
func put[K comparable, V any](tx *txStore, m map[K]V, k K, v V) {
	old, had := m[k]
	m[k] = v
	tx.undo = append(tx.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

// del deletes m[k] and records how to undo it.
// delWhere deletes, undoably, the entries of m whose value matches, and
// returns how many it deleted.
func delWhere[K comparable, V any](tx *txStore, m map[K]V, match func(V) bool) int {
	n := 0
	for k, v := range m {
		if match(v) {
			del(tx, m, k)
			n++
		}
	}
	return n
}

func del[K comparable, V any](tx *txStore, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	delete(m, k)
	tx.undo = append(tx.undo, func() { m[k] = old })
}

// Copies, so that nothing a caller holds aliases the store's state.

// cloneUser copies u; empty permissions read back nil, as from every store.
func cloneUser(u identity.User) identity.User {
	u.Permissions = slices.Clone(u.Permissions)
	if len(u.Permissions) == 0 {
		u.Permissions = nil
	}
	u.LastLoginAt = clonePtr(u.LastLoginAt)
	return u
}

func clonePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return new(*t)
}

func cloneKey(k identity.SigningKey) identity.SigningKey {
	k.PrivateKey = slices.Clone(k.PrivateKey)
	k.RetiredAt = clonePtr(k.RetiredAt)
	return k
}

func userNotFound(id string) error { return core.Errorf(core.NotFound, "user %q not found", id) }

func emailTaken(email string) error {
	return core.Errorf(core.EmailTaken, "a user with email %q exists already", email)
}

// The Store's identity methods: each runs under the read lock, or as a
// transaction of its own.

func readIdentity[T any](ctx context.Context, s *Store, fn func(d *identityData) (T, error)) (T, error) {
	var out T
	err := s.read(ctx, func(d *data) (err error) {
		out, err = fn(d.identity)
		return err
	})
	return out, err
}

func writeIdentity[T any](ctx context.Context, s *Store, fn func(tx *txStore) (T, error)) (T, error) {
	var out T
	err := s.write(ctx, func(tx *txStore) (err error) {
		out, err = fn(tx)
		return err
	})
	return out, err
}

// CreateUser implements identity.Store.
// Errors: core.Conflict; core.EmailTaken; core.Internal when closed.
func (s *Store) CreateUser(ctx context.Context, u identity.User) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.CreateUser(ctx, u) })
	return err
}

// GetUser implements identity.Store. Errors: core.NotFound.
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (identity.User, error) {
	return readIdentity(ctx, s, func(d *identityData) (identity.User, error) { return d.getUser(tenantID, id) })
}

// FindUser implements identity.Store. Errors: core.NotFound.
func (s *Store) FindUser(ctx context.Context, id string) (identity.User, error) {
	return readIdentity(ctx, s, func(d *identityData) (identity.User, error) { return d.findUser(id) })
}

// GetUserByEmail implements identity.Store. Errors: core.NotFound.
func (s *Store) GetUserByEmail(ctx context.Context, tenantID, email string) (identity.User, error) {
	return readIdentity(ctx, s, func(d *identityData) (identity.User, error) { return d.getUserByEmail(tenantID, email) })
}

// UpdateUser implements identity.Store.
// Errors: core.NotFound; core.EmailTaken; core.Invalid; those of update.
func (s *Store) UpdateUser(ctx context.Context, tenantID, id string, update func(identity.User) (identity.User, error)) (identity.User, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (identity.User, error) { return tx.UpdateUser(ctx, tenantID, id, update) })
}

// DeleteUser implements identity.Store. Errors: core.NotFound.
func (s *Store) DeleteUser(ctx context.Context, tenantID, id string) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.DeleteUser(ctx, tenantID, id) })
	return err
}

// ListUsers implements identity.Store.
func (s *Store) ListUsers(ctx context.Context, tenantID string, page core.PageRequest) ([]identity.User, int, error) {
	var total int
	out, err := readIdentity(ctx, s, func(d *identityData) (out []identity.User, err error) {
		out, total = d.listUsers(tenantID, page)
		return out, nil
	})
	return out, total, err
}

// CountUsers implements identity.Store.
func (s *Store) CountUsers(ctx context.Context, tenantID string) (int, error) {
	return readIdentity(ctx, s, func(d *identityData) (int, error) { return len(d.order[tenantID]), nil })
}

// CreateRefreshFamily implements identity.Store.
// Errors: core.Conflict; core.Invalid.
func (s *Store) CreateRefreshFamily(ctx context.Context, f identity.RefreshFamily, first identity.RefreshToken) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) {
		return struct{}{}, tx.CreateRefreshFamily(ctx, f, first)
	})
	return err
}

// GetRefreshToken implements identity.Store. Errors: core.NotFound.
func (s *Store) GetRefreshToken(ctx context.Context, tenantID, hash string) (identity.RefreshToken, identity.RefreshFamily, error) {
	var fam identity.RefreshFamily
	rec, err := readIdentity(ctx, s, func(d *identityData) (rec identity.RefreshToken, err error) {
		rec, fam, err = d.getRefreshToken(tenantID, hash)
		return rec, err
	})
	return rec, fam, err
}

// GetRefreshFamily implements identity.Store. Errors: core.NotFound.
func (s *Store) GetRefreshFamily(ctx context.Context, tenantID, familyID string) (identity.RefreshFamily, error) {
	return readIdentity(ctx, s, func(d *identityData) (identity.RefreshFamily, error) { return d.getFamily(tenantID, familyID) })
}

// RotateRefreshToken implements identity.Store.
// Errors: core.NotFound; core.Invalid; core.Conflict.
func (s *Store) RotateRefreshToken(ctx context.Context, tenantID, hash string, next identity.RefreshToken, at time.Time) (bool, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (bool, error) { return tx.RotateRefreshToken(ctx, tenantID, hash, next, at) })
}

// RevokeRefreshFamily implements identity.Store. Errors: core.NotFound.
func (s *Store) RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, at time.Time) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) {
		return struct{}{}, tx.RevokeRefreshFamily(ctx, tenantID, familyID, at)
	})
	return err
}

// RevokeUserRefreshFamilies implements identity.Store.
func (s *Store) RevokeUserRefreshFamilies(ctx context.Context, tenantID, userID string, at time.Time) (int, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (int, error) { return tx.RevokeUserRefreshFamilies(ctx, tenantID, userID, at) })
}

// DeleteRefreshFamilies implements identity.Store.
func (s *Store) DeleteRefreshFamilies(ctx context.Context, before time.Time) (int, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (int, error) { return tx.DeleteRefreshFamilies(ctx, before) })
}

// CreateSetPasswordToken implements identity.Store. Errors: core.Conflict.
func (s *Store) CreateSetPasswordToken(ctx context.Context, t identity.SetPasswordToken) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) {
		return struct{}{}, tx.CreateSetPasswordToken(ctx, t)
	})
	return err
}

// GetSetPasswordToken implements identity.Store. Errors: core.NotFound.
func (s *Store) GetSetPasswordToken(ctx context.Context, tenantID, hash string) (identity.SetPasswordToken, error) {
	return readIdentity(ctx, s, func(d *identityData) (identity.SetPasswordToken, error) { return d.getSetToken(tenantID, hash) })
}

// UseSetPasswordToken implements identity.Store. Errors: core.NotFound.
func (s *Store) UseSetPasswordToken(ctx context.Context, tenantID, hash string, at time.Time) (bool, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (bool, error) { return tx.UseSetPasswordToken(ctx, tenantID, hash, at) })
}

// DeleteSetPasswordTokens implements identity.Store.
func (s *Store) DeleteSetPasswordTokens(ctx context.Context, tenantID, userID string) (int, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (int, error) { return tx.DeleteSetPasswordTokens(ctx, tenantID, userID) })
}

// CreateSigningKey implements identity.Store. Errors: core.Conflict.
func (s *Store) CreateSigningKey(ctx context.Context, k identity.SigningKey) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.CreateSigningKey(ctx, k) })
	return err
}

// ListSigningKeys implements identity.Store.
func (s *Store) ListSigningKeys(ctx context.Context, retiredAfter time.Time) ([]identity.SigningKey, error) {
	return readIdentity(ctx, s, func(d *identityData) ([]identity.SigningKey, error) { return d.listKeys(retiredAfter), nil })
}

// RetireSigningKeys implements identity.Store. Errors: core.NotFound.
func (s *Store) RetireSigningKeys(ctx context.Context, newest string, at time.Time) (int, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (int, error) { return tx.RetireSigningKeys(ctx, newest, at) })
}

// DeleteSigningKeys implements identity.Store.
func (s *Store) DeleteSigningKeys(ctx context.Context, before time.Time) (int, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (int, error) { return tx.DeleteSigningKeys(ctx, before) })
}

// PutTOTP implements identity.Store. Errors: core.TOTPAlreadyEnabled.
func (s *Store) PutTOTP(ctx context.Context, t identity.TOTP) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.PutTOTP(ctx, t) })
	return err
}

// GetTOTP implements identity.Store. Errors: core.NotFound.
func (s *Store) GetTOTP(ctx context.Context, tenantID, userID string) (identity.TOTP, error) {
	return readIdentity(ctx, s, func(d *identityData) (identity.TOTP, error) { return d.getTOTP(tenantID, userID) })
}

// ConfirmTOTP implements identity.Store. Errors: core.NotFound.
func (s *Store) ConfirmTOTP(ctx context.Context, tenantID, userID string, step int64, at time.Time, recoveryHashes []string) (bool, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (bool, error) {
		return tx.ConfirmTOTP(ctx, tenantID, userID, step, at, recoveryHashes)
	})
}

// UseTOTPStep implements identity.Store. Errors: core.NotFound.
func (s *Store) UseTOTPStep(ctx context.Context, tenantID, userID string, step int64) (bool, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (bool, error) { return tx.UseTOTPStep(ctx, tenantID, userID, step) })
}

// UseRecoveryCode implements identity.Store.
func (s *Store) UseRecoveryCode(ctx context.Context, tenantID, userID, hash string) (bool, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (bool, error) { return tx.UseRecoveryCode(ctx, tenantID, userID, hash) })
}

// DeleteTOTP implements identity.Store. Errors: core.NotFound.
func (s *Store) DeleteTOTP(ctx context.Context, tenantID, userID string) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.DeleteTOTP(ctx, tenantID, userID) })
	return err
}

// GetAttempts implements identity.Store.
func (s *Store) GetAttempts(ctx context.Context, tenantID, subject string, kind identity.AttemptKind) (identity.Attempts, error) {
	return readIdentity(ctx, s, func(d *identityData) (identity.Attempts, error) {
		return d.attempts[attemptKey{tenantID, subject, kind}], nil
	})
}

// RecordFailedAttempt implements identity.Store.
func (s *Store) RecordFailedAttempt(ctx context.Context, tenantID, subject string, kind identity.AttemptKind, at time.Time) (identity.Attempts, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (identity.Attempts, error) {
		return tx.RecordFailedAttempt(ctx, tenantID, subject, kind, at)
	})
}

// ResetAttempts implements identity.Store.
func (s *Store) ResetAttempts(ctx context.Context, tenantID, subject string, kind identity.AttemptKind) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) {
		return struct{}{}, tx.ResetAttempts(ctx, tenantID, subject, kind)
	})
	return err
}

// The transaction's identity methods. Each holds tx.mu while it works.

// within runs fn with tx.mu held, after checking that tx is still usable.
func within[T any](ctx context.Context, tx *txStore, fn func(d *identityData) (T, error)) (T, error) {
	if err := tx.begin(ctx); err != nil {
		var zero T
		return zero, err
	}
	defer tx.mu.Unlock()
	return fn(tx.s.data.identity)
}

func (tx *txStore) CreateUser(ctx context.Context, u identity.User) error {
	_, err := within(ctx, tx, func(d *identityData) (struct{}, error) {
		if _, ok := d.tenantOf[u.ID]; ok {
			return struct{}{}, core.Errorf(core.Conflict, "user %s already exists", u.ID)
		}
		ek := emailKey{u.TenantID, identity.EmailKey(u.Email)}
		if _, ok := d.emails[ek]; ok {
			return struct{}{}, emailTaken(u.Email)
		}
		put(tx, d.users, userKey{u.TenantID, u.ID}, cloneUser(u))
		put(tx, d.tenantOf, u.ID, u.TenantID)
		put(tx, d.emails, ek, u.ID)
		d.insertRef(tx, u.TenantID, userRef{u.CreatedAt, u.ID})
		return struct{}{}, nil
	})
	return err
}

// insertRef adds r to the tenant's order and records how to undo it.
func (d *identityData) insertRef(tx *txStore, tenantID string, r userRef) {
	i, _ := slices.BinarySearchFunc(d.order[tenantID], r, compareRefs)
	d.order[tenantID] = slices.Insert(d.order[tenantID], i, r)
	tx.undo = append(tx.undo, func() { d.removeRef(tenantID, r) })
}

func (d *identityData) removeRef(tenantID string, r userRef) {
	refs := d.order[tenantID]
	if i, ok := slices.BinarySearchFunc(refs, r, compareRefs); ok {
		refs = slices.Delete(refs, i, i+1)
	}
	if len(refs) == 0 {
		delete(d.order, tenantID)
	} else {
		d.order[tenantID] = refs
	}
}

func (tx *txStore) GetUser(ctx context.Context, tenantID, id string) (identity.User, error) {
	return within(ctx, tx, func(d *identityData) (identity.User, error) { return d.getUser(tenantID, id) })
}

func (tx *txStore) FindUser(ctx context.Context, id string) (identity.User, error) {
	return within(ctx, tx, func(d *identityData) (identity.User, error) { return d.findUser(id) })
}

func (tx *txStore) GetUserByEmail(ctx context.Context, tenantID, email string) (identity.User, error) {
	return within(ctx, tx, func(d *identityData) (identity.User, error) { return d.getUserByEmail(tenantID, email) })
}

func (tx *txStore) UpdateUser(ctx context.Context, tenantID, id string, update func(identity.User) (identity.User, error)) (identity.User, error) {
	cur, err := tx.GetUser(ctx, tenantID, id)
	if err != nil {
		return identity.User{}, err
	}
	// update runs without the tx mutex, so that it may read through tx;
	// the store's write lock still keeps every other writer out.
	next, err := update(cur)
	if err != nil {
		return identity.User{}, err
	}
	return within(ctx, tx, func(d *identityData) (identity.User, error) {
		k := userKey{tenantID, id}
		old, ok := d.users[k]
		if !ok {
			return identity.User{}, userNotFound(id)
		}
		if next.ID != id || next.TenantID != tenantID || !next.CreatedAt.Equal(old.CreatedAt) {
			return identity.User{}, core.Errorf(core.Invalid, "a user's ID, tenant and creation time cannot change")
		}
		next.CreatedAt = old.CreatedAt
		oldKey, newKey := emailKey{tenantID, identity.EmailKey(old.Email)}, emailKey{tenantID, identity.EmailKey(next.Email)}
		if newKey != oldKey {
			if _, taken := d.emails[newKey]; taken {
				return identity.User{}, emailTaken(next.Email)
			}
			del(tx, d.emails, oldKey)
			put(tx, d.emails, newKey, id)
		}
		put(tx, d.users, k, cloneUser(next))
		return cloneUser(next), nil
	})
}

func (tx *txStore) DeleteUser(ctx context.Context, tenantID, id string) error {
	_, err := within(ctx, tx, func(d *identityData) (struct{}, error) {
		k := userKey{tenantID, id}
		u, ok := d.users[k]
		if !ok {
			return struct{}{}, userNotFound(id)
		}
		del(tx, d.users, k)
		del(tx, d.tenantOf, id)
		del(tx, d.emails, emailKey{tenantID, identity.EmailKey(u.Email)})
		ref := userRef{u.CreatedAt, id}
		d.removeRef(tenantID, ref)
		tx.undo = append(tx.undo, func() {
			i, _ := slices.BinarySearchFunc(d.order[tenantID], ref, compareRefs)
			d.order[tenantID] = slices.Insert(d.order[tenantID], i, ref)
		})
		for fk, f := range d.families {
			if fk.tenant == tenantID && f.UserID == id {
				del(tx, d.families, fk)
			}
		}
		for hk, t := range d.tokens {
			if hk.tenant == tenantID && t.UserID == id {
				del(tx, d.tokens, hk)
			}
		}
		for hk, t := range d.setTokens {
			if hk.tenant == tenantID && t.UserID == id {
				del(tx, d.setTokens, hk)
			}
		}
		del(tx, d.totp, k)
		del(tx, d.recovery, k)
		del(tx, d.attempts, attemptKey{tenantID, id, identity.AttemptTOTP})
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) ListUsers(ctx context.Context, tenantID string, page core.PageRequest) ([]identity.User, int, error) {
	var total int
	out, err := within(ctx, tx, func(d *identityData) (out []identity.User, err error) {
		out, total = d.listUsers(tenantID, page)
		return out, nil
	})
	return out, total, err
}

func (tx *txStore) CountUsers(ctx context.Context, tenantID string) (int, error) {
	return within(ctx, tx, func(d *identityData) (int, error) { return len(d.order[tenantID]), nil })
}

func (tx *txStore) CreateRefreshFamily(ctx context.Context, f identity.RefreshFamily, first identity.RefreshToken) error {
	_, err := within(ctx, tx, func(d *identityData) (struct{}, error) {
		if first.TenantID != f.TenantID || first.FamilyID != f.ID || first.UserID != f.UserID {
			return struct{}{}, core.Errorf(core.Invalid, "the first refresh token must belong to its family")
		}
		fk, hk := userKey{f.TenantID, f.ID}, hashKey{first.TenantID, first.Hash}
		if _, ok := d.families[fk]; ok {
			return struct{}{}, core.Errorf(core.Conflict, "refresh family %s already exists", f.ID)
		}
		if _, ok := d.tokens[hk]; ok {
			return struct{}{}, core.Errorf(core.Conflict, "the refresh token already exists")
		}
		f.RevokedAt = clonePtr(f.RevokedAt)
		first.UsedAt = clonePtr(first.UsedAt)
		put(tx, d.families, fk, f)
		put(tx, d.tokens, hk, first)
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) GetRefreshToken(ctx context.Context, tenantID, hash string) (identity.RefreshToken, identity.RefreshFamily, error) {
	var fam identity.RefreshFamily
	rec, err := within(ctx, tx, func(d *identityData) (rec identity.RefreshToken, err error) {
		rec, fam, err = d.getRefreshToken(tenantID, hash)
		return rec, err
	})
	return rec, fam, err
}

func (tx *txStore) GetRefreshFamily(ctx context.Context, tenantID, familyID string) (identity.RefreshFamily, error) {
	return within(ctx, tx, func(d *identityData) (identity.RefreshFamily, error) { return d.getFamily(tenantID, familyID) })
}

func (tx *txStore) RotateRefreshToken(ctx context.Context, tenantID, hash string, next identity.RefreshToken, at time.Time) (bool, error) {
	return within(ctx, tx, func(d *identityData) (bool, error) {
		hk := hashKey{tenantID, hash}
		old, ok := d.tokens[hk]
		if !ok {
			return false, refreshNotFound()
		}
		if next.TenantID != tenantID || next.FamilyID != old.FamilyID || next.UserID != old.UserID {
			return false, core.Errorf(core.Invalid, "the next refresh token must belong to the family")
		}
		fam := d.families[userKey{tenantID, old.FamilyID}]
		if old.UsedAt != nil || fam.RevokedAt != nil {
			return false, nil
		}
		nk := hashKey{tenantID, next.Hash}
		if _, taken := d.tokens[nk]; taken {
			return false, core.Errorf(core.Conflict, "the refresh token already exists")
		}
		old.UsedAt = &at
		put(tx, d.tokens, hk, old)
		next.UsedAt = clonePtr(next.UsedAt)
		put(tx, d.tokens, nk, next)
		return true, nil
	})
}

func refreshNotFound() error { return core.Errorf(core.NotFound, "refresh token not found") }

func (tx *txStore) RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, at time.Time) error {
	_, err := within(ctx, tx, func(d *identityData) (struct{}, error) {
		fk := userKey{tenantID, familyID}
		f, ok := d.families[fk]
		if !ok {
			return struct{}{}, core.Errorf(core.NotFound, "refresh family %q not found", familyID)
		}
		if f.RevokedAt == nil {
			f.RevokedAt = &at
			put(tx, d.families, fk, f)
		}
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) RevokeUserRefreshFamilies(ctx context.Context, tenantID, userID string, at time.Time) (int, error) {
	return within(ctx, tx, func(d *identityData) (int, error) {
		n := 0
		for fk, f := range d.families {
			if fk.tenant == tenantID && f.UserID == userID && f.RevokedAt == nil {
				f.RevokedAt = &at
				put(tx, d.families, fk, f)
				n++
			}
		}
		return n, nil
	})
}

func (tx *txStore) DeleteRefreshFamilies(ctx context.Context, before time.Time) (int, error) {
	return within(ctx, tx, func(d *identityData) (int, error) {
		gone := map[userKey]bool{}
		for fk, f := range d.families {
			if f.ExpiresAt.Before(before) || (f.RevokedAt != nil && f.RevokedAt.Before(before)) {
				gone[fk] = true
				del(tx, d.families, fk)
			}
		}
		for hk, t := range d.tokens {
			if gone[userKey{hk.tenant, t.FamilyID}] {
				del(tx, d.tokens, hk)
			}
		}
		return len(gone), nil
	})
}

func (tx *txStore) CreateSetPasswordToken(ctx context.Context, t identity.SetPasswordToken) error {
	_, err := within(ctx, tx, func(d *identityData) (struct{}, error) {
		hk := hashKey{t.TenantID, t.Hash}
		if _, ok := d.setTokens[hk]; ok {
			return struct{}{}, core.Errorf(core.Conflict, "the set-password token already exists")
		}
		t.UsedAt = clonePtr(t.UsedAt)
		put(tx, d.setTokens, hk, t)
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) GetSetPasswordToken(ctx context.Context, tenantID, hash string) (identity.SetPasswordToken, error) {
	return within(ctx, tx, func(d *identityData) (identity.SetPasswordToken, error) { return d.getSetToken(tenantID, hash) })
}

func (tx *txStore) UseSetPasswordToken(ctx context.Context, tenantID, hash string, at time.Time) (bool, error) {
	return within(ctx, tx, func(d *identityData) (bool, error) {
		hk := hashKey{tenantID, hash}
		t, ok := d.setTokens[hk]
		if !ok {
			return false, core.Errorf(core.NotFound, "set-password token not found")
		}
		if t.UsedAt != nil || !at.Before(t.ExpiresAt) {
			return false, nil
		}
		t.UsedAt = &at
		put(tx, d.setTokens, hk, t)
		return true, nil
	})
}

func (tx *txStore) DeleteSetPasswordTokens(ctx context.Context, tenantID, userID string) (int, error) {
	return within(ctx, tx, func(d *identityData) (int, error) {
		n := 0
		for hk, t := range d.setTokens {
			if hk.tenant == tenantID && t.UserID == userID {
				del(tx, d.setTokens, hk)
				n++
			}
		}
		return n, nil
	})
}

func (tx *txStore) CreateSigningKey(ctx context.Context, k identity.SigningKey) error {
	_, err := within(ctx, tx, func(d *identityData) (struct{}, error) {
		if _, ok := d.keys[k.ID]; ok {
			return struct{}{}, core.Errorf(core.Conflict, "signing key %s already exists", k.ID)
		}
		put(tx, d.keys, k.ID, cloneKey(k))
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) ListSigningKeys(ctx context.Context, retiredAfter time.Time) ([]identity.SigningKey, error) {
	return within(ctx, tx, func(d *identityData) ([]identity.SigningKey, error) { return d.listKeys(retiredAfter), nil })
}

func (tx *txStore) RetireSigningKeys(ctx context.Context, newest string, at time.Time) (int, error) {
	return within(ctx, tx, func(d *identityData) (int, error) {
		top, ok := d.keys[newest]
		if !ok {
			return 0, core.Errorf(core.NotFound, "signing key %q not found", newest)
		}
		n := 0
		for id, k := range d.keys {
			if k.RetiredAt == nil && compareKeys(k, top) < 0 {
				k.RetiredAt = &at
				put(tx, d.keys, id, k)
				n++
			}
		}
		return n, nil
	})
}

func compareKeys(a, b identity.SigningKey) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

func (tx *txStore) DeleteSigningKeys(ctx context.Context, before time.Time) (int, error) {
	return within(ctx, tx, func(d *identityData) (int, error) {
		n := 0
		for id, k := range d.keys {
			if k.RetiredAt != nil && k.RetiredAt.Before(before) {
				del(tx, d.keys, id)
				n++
			}
		}
		return n, nil
	})
}

func (tx *txStore) PutTOTP(ctx context.Context, t identity.TOTP) error {
	_, err := within(ctx, tx, func(d *identityData) (struct{}, error) {
		k := userKey{t.TenantID, t.UserID}
		if cur, ok := d.totp[k]; ok && cur.Confirmed {
			return struct{}{}, core.Errorf(core.TOTPAlreadyEnabled, "TOTP is enabled already")
		}
		t.Secret = slices.Clone(t.Secret)
		t.ConfirmedAt = clonePtr(t.ConfirmedAt)
		t.RecoveryCodes = nil
		put(tx, d.totp, k, t)
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) GetTOTP(ctx context.Context, tenantID, userID string) (identity.TOTP, error) {
	return within(ctx, tx, func(d *identityData) (identity.TOTP, error) { return d.getTOTP(tenantID, userID) })
}

func totpNotFound() error { return core.Errorf(core.NotFound, "no TOTP enrolment") }

func (tx *txStore) ConfirmTOTP(ctx context.Context, tenantID, userID string, step int64, at time.Time, recoveryHashes []string) (bool, error) {
	return within(ctx, tx, func(d *identityData) (bool, error) {
		k := userKey{tenantID, userID}
		t, ok := d.totp[k]
		if !ok {
			return false, totpNotFound()
		}
		if t.Confirmed || t.LastStep >= step {
			return false, nil
		}
		t.Confirmed, t.LastStep, t.ConfirmedAt = true, step, &at
		put(tx, d.totp, k, t)
		codes := make(map[string]bool, len(recoveryHashes))
		for _, h := range recoveryHashes {
			codes[h] = true
		}
		put(tx, d.recovery, k, codes)
		return true, nil
	})
}

func (tx *txStore) UseTOTPStep(ctx context.Context, tenantID, userID string, step int64) (bool, error) {
	return within(ctx, tx, func(d *identityData) (bool, error) {
		k := userKey{tenantID, userID}
		t, ok := d.totp[k]
		if !ok {
			return false, totpNotFound()
		}
		if t.LastStep >= step {
			return false, nil
		}
		t.LastStep = step
		put(tx, d.totp, k, t)
		return true, nil
	})
}

func (tx *txStore) UseRecoveryCode(ctx context.Context, tenantID, userID, hash string) (bool, error) {
	return within(ctx, tx, func(d *identityData) (bool, error) {
		k := userKey{tenantID, userID}
		codes := d.recovery[k]
		if !codes[hash] {
			return false, nil
		}
		// A new map, so that undo can put the old one back.
		rest := make(map[string]bool, len(codes)-1)
		for h := range codes {
			if h != hash {
				rest[h] = true
			}
		}
		put(tx, d.recovery, k, rest)
		return true, nil
	})
}

func (tx *txStore) DeleteTOTP(ctx context.Context, tenantID, userID string) error {
	_, err := within(ctx, tx, func(d *identityData) (struct{}, error) {
		k := userKey{tenantID, userID}
		if _, ok := d.totp[k]; !ok {
			return struct{}{}, totpNotFound()
		}
		del(tx, d.totp, k)
		del(tx, d.recovery, k)
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) GetAttempts(ctx context.Context, tenantID, subject string, kind identity.AttemptKind) (identity.Attempts, error) {
	return within(ctx, tx, func(d *identityData) (identity.Attempts, error) {
		return d.attempts[attemptKey{tenantID, subject, kind}], nil
	})
}

func (tx *txStore) RecordFailedAttempt(ctx context.Context, tenantID, subject string, kind identity.AttemptKind, at time.Time) (identity.Attempts, error) {
	return within(ctx, tx, func(d *identityData) (identity.Attempts, error) {
		k := attemptKey{tenantID, subject, kind}
		a := d.attempts[k]
		a.Count++
		a.LastFailure = at
		put(tx, d.attempts, k, a)
		return a, nil
	})
}

func (tx *txStore) ResetAttempts(ctx context.Context, tenantID, subject string, kind identity.AttemptKind) error {
	_, err := within(ctx, tx, func(d *identityData) (struct{}, error) {
		del(tx, d.attempts, attemptKey{tenantID, subject, kind})
		return struct{}{}, nil
	})
	return err
}

// Reads shared by the Store and its transactions.

func (d *identityData) getUser(tenantID, id string) (identity.User, error) {
	u, ok := d.users[userKey{tenantID, id}]
	if !ok {
		return identity.User{}, userNotFound(id)
	}
	return cloneUser(u), nil
}

func (d *identityData) findUser(id string) (identity.User, error) {
	tenantID, ok := d.tenantOf[id]
	if !ok {
		return identity.User{}, userNotFound(id)
	}
	return d.getUser(tenantID, id)
}

func (d *identityData) getUserByEmail(tenantID, email string) (identity.User, error) {
	id, ok := d.emails[emailKey{tenantID, identity.EmailKey(email)}]
	if !ok {
		return identity.User{}, core.Errorf(core.NotFound, "no user with email %q", email)
	}
	return d.getUser(tenantID, id)
}

func (d *identityData) listUsers(tenantID string, page core.PageRequest) ([]identity.User, int) {
	if page.Page < 1 {
		page.Page = core.DefaultPage
	}
	if page.Limit < 1 {
		page.Limit = core.DefaultLimit
	}
	refs := d.order[tenantID]
	from := min(page.Offset(), len(refs))
	to := min(from+page.Limit, len(refs))
	out := make([]identity.User, 0, to-from)
	for _, r := range refs[from:to] {
		out = append(out, cloneUser(d.users[userKey{tenantID, r.id}]))
	}
	return out, len(refs)
}

func (d *identityData) getRefreshToken(tenantID, hash string) (identity.RefreshToken, identity.RefreshFamily, error) {
	t, ok := d.tokens[hashKey{tenantID, hash}]
	if !ok {
		return identity.RefreshToken{}, identity.RefreshFamily{}, refreshNotFound()
	}
	f := d.families[userKey{tenantID, t.FamilyID}]
	t.UsedAt = clonePtr(t.UsedAt)
	f.RevokedAt = clonePtr(f.RevokedAt)
	return t, f, nil
}

func (d *identityData) getFamily(tenantID, familyID string) (identity.RefreshFamily, error) {
	f, ok := d.families[userKey{tenantID, familyID}]
	if !ok {
		return identity.RefreshFamily{}, core.Errorf(core.NotFound, "refresh family %q not found", familyID)
	}
	f.RevokedAt = clonePtr(f.RevokedAt)
	return f, nil
}

func (d *identityData) getSetToken(tenantID, hash string) (identity.SetPasswordToken, error) {
	t, ok := d.setTokens[hashKey{tenantID, hash}]
	if !ok {
		return identity.SetPasswordToken{}, core.Errorf(core.NotFound, "set-password token not found")
	}
	t.UsedAt = clonePtr(t.UsedAt)
	return t, nil
}

func (d *identityData) listKeys(retiredAfter time.Time) []identity.SigningKey {
	out := []identity.SigningKey{}
	for _, k := range d.keys {
		if k.RetiredAt == nil || k.RetiredAt.After(retiredAfter) {
			out = append(out, cloneKey(k))
		}
	}
	slices.SortFunc(out, compareKeys)
	return out
}

func (d *identityData) getTOTP(tenantID, userID string) (identity.TOTP, error) {
	k := userKey{tenantID, userID}
	t, ok := d.totp[k]
	if !ok {
		return identity.TOTP{}, totpNotFound()
	}
	t.Secret = slices.Clone(t.Secret)
	t.ConfirmedAt = clonePtr(t.ConfirmedAt)
	t.RecoveryCodes = nil
	for h := range d.recovery[k] {
		t.RecoveryCodes = append(t.RecoveryCodes, h)
	}
	slices.Sort(t.RecoveryCodes)
	return t, nil
}

// withCounts sets the derived counts of each tenant: its installed atoms
// and its users.
func (d *data) withCounts(ts []tenant.Tenant) []tenant.Tenant {
	ts = d.atoms.countAtoms(ts)
	for i := range ts {
		ts[i].UserCount = len(d.identity.order[ts[i].ID])
	}
	return ts
}
