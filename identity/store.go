package identity

import (
	"context"
	"time"

	"github.com/atomixplatform/atomix/core"
)

// Store is what the identity domain needs from storage. Implementations
// live in atomix/store/...; each must pass atomix/store/storetest.
//
// Every tenant-owned record is addressed by its tenant ID first (the empty
// string for users without a tenant and their records); a call naming one
// tenant never reads or changes another's records. Records are returned by
// value: a caller may change what it receives without changing what is
// stored. Times are stored to the microsecond, in UTC.
type Store interface {
	// CreateUser stores a new user as given.
	// Errors: core.Conflict when the ID is taken (in any tenant);
	// core.EmailTaken when a user of the same tenant has the same
	// EmailKey.
	CreateUser(ctx context.Context, u User) error

	// GetUser returns the user of the tenant with the ID.
	// Errors: core.NotFound, also when the user belongs to another tenant.
	GetUser(ctx context.Context, tenantID, id string) (User, error)

	// FindUser returns the user with the ID, whatever its tenant, for
	// callers that act across tenants (the platform's staff).
	// Errors: core.NotFound.
	FindUser(ctx context.Context, id string) (User, error)

	// GetUserByEmail returns the user of the tenant whose EmailKey equals
	// EmailKey(email). Errors: core.NotFound.
	GetUserByEmail(ctx context.Context, tenantID, email string) (User, error)

	// UpdateUser reads the user, holds it against concurrent writers until
	// the surrounding transaction ends, passes a copy to update and stores
	// what update returns. The ID, tenant and creation time must not
	// change. An error from update is returned as it is and nothing is
	// written.
	// Errors: core.NotFound; core.EmailTaken; core.Invalid when update
	// changes the ID, tenant or creation time; those of update.
	UpdateUser(ctx context.Context, tenantID, id string, update func(User) (User, error)) (User, error)

	// DeleteUser deletes the user with everything it owns: refresh
	// families and tokens, set-password tokens, TOTP state and recovery
	// codes, and its TOTP attempt counter. Errors: core.NotFound.
	DeleteUser(ctx context.Context, tenantID, id string) error

	// ListUsers returns one page of the tenant's users, ordered by
	// CreatedAt then ID, and how many the tenant has. page is normalized;
	// a page past the end is empty, not an error.
	ListUsers(ctx context.Context, tenantID string, page core.PageRequest) ([]User, int, error)

	// CountUsers returns how many users the tenant has.
	CountUsers(ctx context.Context, tenantID string) (int, error)

	// CreateRefreshFamily stores a new family with its first token. The
	// token's tenant, family and user must be the family's.
	// Errors: core.Conflict when the family ID or the token hash is taken;
	// core.Invalid when first does not belong to f.
	CreateRefreshFamily(ctx context.Context, f RefreshFamily, first RefreshToken) error

	// GetRefreshToken returns the tenant's refresh token with the hash and
	// its family. Errors: core.NotFound.
	GetRefreshToken(ctx context.Context, tenantID, hash string) (RefreshToken, RefreshFamily, error)

	// GetRefreshFamily returns the tenant's refresh family with the ID
	// (tenantID "" for users without a tenant), revoked or not: the state
	// VerifyAccessToken checks an access token's session against.
	// Errors: core.NotFound, also for a family of another tenant.
	GetRefreshFamily(ctx context.Context, tenantID, familyID string) (RefreshFamily, error)

	// RotateRefreshToken spends the tenant's token with the hash and
	// stores next, its successor in the same family, in one step: the
	// token is marked used (UsedAt = at) only if it is unused and its
	// family is not revoked, with one conditional update, so that of
	// concurrent calls for one token exactly one returns true. It returns
	// false, storing nothing, when the token was already used or its
	// family is revoked. next must belong to the token's tenant, family
	// and user.
	// Errors: core.NotFound when there is no such token; core.Invalid when
	// next does not belong to the family; core.Conflict when next's hash
	// is taken.
	RotateRefreshToken(ctx context.Context, tenantID, hash string, next RefreshToken, at time.Time) (bool, error)

	// RevokeRefreshFamily marks the tenant's family revoked at at, which
	// revokes every token in it, those a concurrent rotation adds
	// included. Revoking a revoked family changes nothing.
	// Errors: core.NotFound.
	RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, at time.Time) error

	// RevokeUserRefreshFamilies revokes every family of the user that is
	// not revoked yet and returns how many it revoked.
	RevokeUserRefreshFamilies(ctx context.Context, tenantID, userID string, at time.Time) (int, error)

	// DeleteRefreshFamilies deletes, across tenants, the families (with
	// their tokens) that expired or were revoked before before, and
	// returns how many it deleted.
	DeleteRefreshFamilies(ctx context.Context, before time.Time) (int, error)

	// CreateSetPasswordToken stores a new set-password token.
	// Errors: core.Conflict when the hash is taken.
	CreateSetPasswordToken(ctx context.Context, t SetPasswordToken) error

	// GetSetPasswordToken returns the tenant's set-password token with the
	// hash. Errors: core.NotFound.
	GetSetPasswordToken(ctx context.Context, tenantID, hash string) (SetPasswordToken, error)

	// UseSetPasswordToken marks the token used at at, with one conditional
	// update, if it is unused and expires after at; it returns whether it
	// did, so that of concurrent calls exactly one returns true.
	// Errors: core.NotFound.
	UseSetPasswordToken(ctx context.Context, tenantID, hash string, at time.Time) (bool, error)

	// DeleteSetPasswordTokens deletes every set-password token of the
	// user and returns how many it deleted.
	DeleteSetPasswordTokens(ctx context.Context, tenantID, userID string) (int, error)

	// CreateSigningKey stores a new signing key.
	// Errors: core.Conflict when the ID is taken.
	CreateSigningKey(ctx context.Context, k SigningKey) error

	// ListSigningKeys returns the signing keys not retired, or retired
	// after retiredAfter, ordered by CreatedAt then ID.
	ListSigningKeys(ctx context.Context, retiredAfter time.Time) ([]SigningKey, error)

	// RetireSigningKeys sets RetiredAt to at on every key not retired that
	// sorts before the key newest (by CreatedAt, then ID), and returns how
	// many it retired. Errors: core.NotFound when there is no key newest.
	RetireSigningKeys(ctx context.Context, newest string, at time.Time) (int, error)

	// DeleteSigningKeys deletes the keys retired before before and returns
	// how many it deleted.
	DeleteSigningKeys(ctx context.Context, before time.Time) (int, error)

	// PutTOTP stores the user's TOTP enrolment, replacing an unconfirmed
	// one. Confirmed and LastStep of t are stored as given; recovery codes
	// are kept by ConfirmTOTP only.
	// Errors: core.TOTPAlreadyEnabled when a confirmed enrolment exists.
	PutTOTP(ctx context.Context, t TOTP) error

	// GetTOTP returns the user's TOTP state with its unused recovery code
	// hashes (sorted). Errors: core.NotFound.
	GetTOTP(ctx context.Context, tenantID, userID string) (TOTP, error)

	// ConfirmTOTP confirms the user's enrolment at at with the time step
	// of its first code and replaces the recovery codes by recoveryHashes,
	// with one conditional update: only if it is unconfirmed and its last
	// used step is before step. It returns whether it did.
	// Errors: core.NotFound.
	ConfirmTOTP(ctx context.Context, tenantID, userID string, step int64, at time.Time, recoveryHashes []string) (bool, error)

	// UseTOTPStep records that the code of time step step was used, only
	// if the last used step is before it (compare and set). It returns
	// whether it did: false is a replay. Errors: core.NotFound.
	UseTOTPStep(ctx context.Context, tenantID, userID string, step int64) (bool, error)

	// UseRecoveryCode deletes the user's recovery code with the hash and
	// returns whether there was one: of concurrent calls exactly one
	// returns true.
	UseRecoveryCode(ctx context.Context, tenantID, userID, hash string) (bool, error)

	// DeleteTOTP deletes the user's TOTP state and recovery codes.
	// Errors: core.NotFound.
	DeleteTOTP(ctx context.Context, tenantID, userID string) error

	// GetAttempts returns the failure counter of the subject and kind, the
	// zero Attempts when there is none.
	GetAttempts(ctx context.Context, tenantID, subject string, kind AttemptKind) (Attempts, error)

	// RecordFailedAttempt adds one failure at at to the counter, in one
	// atomic step, and returns the counter as it now is.
	RecordFailedAttempt(ctx context.Context, tenantID, subject string, kind AttemptKind, at time.Time) (Attempts, error)

	// ResetAttempts deletes the counter of the subject and kind.
	ResetAttempts(ctx context.Context, tenantID, subject string, kind AttemptKind) error
}

// RefreshFamily is one login session: the chain of refresh tokens that
// rotation draws from one login.
type RefreshFamily struct {
	TenantID string
	ID       string
	UserID   string
	// CreatedAt is the login; ExpiresAt the absolute end of the session.
	CreatedAt time.Time
	ExpiresAt time.Time
	// RevokedAt is set by logout, reuse detection, disabling the user or
	// changing the password; every token of the family is then refused.
	RevokedAt *time.Time
}

// RefreshToken is one refresh token of a family, as stored: its keyed hash,
// never the token.
type RefreshToken struct {
	TenantID string
	// Hash is the HMAC-SHA256 of the token under the key KeyID, in
	// unpadded base64url.
	Hash      string
	KeyID     string
	FamilyID  string
	UserID    string
	CreatedAt time.Time
	// ExpiresAt is the idle limit: the token must be used before it.
	ExpiresAt time.Time
	// UsedAt is set when the token is spent by a rotation.
	UsedAt *time.Time
}

// SetPasswordToken is a one-time token that lets a user set a password, as
// stored: its keyed hash, never the token.
type SetPasswordToken struct {
	TenantID  string
	Hash      string
	KeyID     string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// SigningKey is one access-token signing key, as stored. It belongs to the
// platform, not to a tenant.
type SigningKey struct {
	ID        string // the JWT "kid"
	Algorithm Algorithm
	// PrivateKey is the PKCS #8 private key sealed with AES-256-GCM under
	// a key derived from the master secret, bound to ID and Algorithm.
	PrivateKey []byte
	CreatedAt  time.Time
	// RetiredAt is when a newer key took over; the key verifies tokens
	// for the retention window after it.
	RetiredAt *time.Time
}

// TOTP is a user's TOTP enrolment.
type TOTP struct {
	TenantID string
	UserID   string
	// Secret is the base32 TOTP secret sealed with AES-256-GCM under a key
	// derived from the master secret, bound to the tenant and user.
	Secret []byte
	// Confirmed is set once a first code was verified; from then on a
	// password login needs a code.
	Confirmed bool
	// LastStep is the last time step (Unix time / period) whose code was
	// accepted; a code of that step or an earlier one is a replay.
	LastStep    int64
	CreatedAt   time.Time
	ConfirmedAt *time.Time
	// RecoveryCodes are the keyed hashes of the unused recovery codes,
	// sorted; read only.
	RecoveryCodes []string
}

// AttemptKind names a failure counter.
type AttemptKind string

// The failure counters: password failures per login name, TOTP failures per
// user.
const (
	AttemptPassword AttemptKind = "password"
	AttemptTOTP     AttemptKind = "totp"
)

// Attempts is a failure counter: how many failures since the last success,
// and when the last was.
type Attempts struct {
	Count       int
	LastFailure time.Time
}
