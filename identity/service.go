package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/atomixplatform/atomix/core"
)

// Defaults of Config.
const (
	DefaultAudience            = "atomix"
	DefaultAccessTokenTTL      = time.Hour
	DefaultRefreshIdleTTL      = 7 * 24 * time.Hour
	DefaultRefreshAbsoluteTTL  = 30 * 24 * time.Hour
	DefaultRefreshReuseGrace   = 2 * time.Second
	DefaultKeyRefresh          = 30 * time.Second
	DefaultKeyRetention        = 24 * time.Hour
	DefaultKeyRotation         = 30 * 24 * time.Hour
	DefaultClockSkew           = 30 * time.Second
	DefaultSessionCheck        = 5 * time.Second
	DefaultSetPasswordTokenTTL = 72 * time.Hour
	DefaultTOTPIssuer          = "atomix"
)

// Config configures a Service. Zero fields take the defaults above.
type Config struct {
	// Issuer is the "iss" of access tokens, such as
	// "https://platform.example.com". Required.
	Issuer string
	// Audience is the "aud" of access tokens.
	Audience string
	// Secrets are the master secrets every key is derived from. Required.
	Secrets Secrets
	// Algorithm signs new access tokens (RS256 by default). Every instance
	// sharing a store must use the same.
	Algorithm Algorithm

	// AccessTokenTTL is the lifetime of access tokens.
	AccessTokenTTL time.Duration
	// RefreshIdleTTL is how long a refresh token stays usable; each
	// refresh starts it anew. RefreshAbsoluteTTL is how long a session
	// lasts from its login, however often it is refreshed.
	RefreshIdleTTL     time.Duration
	RefreshAbsoluteTTL time.Duration
	// RefreshReuseGrace is how long after its use a spent refresh token is
	// refused without revoking its session: the loser of two concurrent
	// refreshes (two tabs waking together) then does not log the user out
	// everywhere. Past it, a spent token revokes its session. A negative
	// value means no grace.
	RefreshReuseGrace time.Duration

	// KeyRefresh is how long an instance caches the signing keys.
	KeyRefresh time.Duration
	// KeyRetention is how long a retired signing key keeps verifying
	// tokens; it must be at least AccessTokenTTL + KeyRefresh + ClockSkew,
	// so that no token outlives its key.
	KeyRetention time.Duration
	// KeyRotation is the age at which the signing key is rotated when the
	// next token is signed; a negative value turns that off
	// (RotateSigningKey only).
	KeyRotation time.Duration
	// ClockSkew is the leeway for exp, nbf and iat between instances; a
	// negative value means none.
	ClockSkew time.Duration
	// SessionCheck is how long one instance trusts the state of a session
	// (a refresh family) it read from the store when it verifies an
	// access token: VerifyAccessToken refuses the tokens of a session that
	// was logged out or otherwise revoked, deleted, or is past its end.
	// The Service's own revocations take effect on it at once; those of
	// other instances over the same store within SessionCheck. Each
	// instance remembers at most 10,000 sessions. 0 takes
	// DefaultSessionCheck; a negative value turns the check off, and
	// access tokens are then stateless: valid until they expire, whatever
	// happens to their session (Config reports it negative).
	SessionCheck time.Duration

	// SetPasswordTokenTTL is the lifetime of one-time set-password tokens.
	SetPasswordTokenTTL time.Duration
	// TOTPIssuer names the platform in authenticator apps.
	TOTPIssuer string

	Password PasswordConfig
	Attempts AttemptPolicy
	// OTP configures phone OTP login (otp.go).
	OTP OTPConfig
	// Federated configures federated login (federated.go).
	Federated FederatedConfig
	// LoginPolicy, when set, is read by every password login of a tenant
	// user, with the tenant's ID (policy.go).
	LoginPolicy func(ctx context.Context, tenantID string) (LoginPolicy, error)

	// Clock is the time source (the system clock when nil).
	Clock core.Clock
	// Logger receives security events: refresh-token reuse, delays after
	// failed attempts, key rotations. Nothing is logged when it is nil.
	Logger *slog.Logger
}

func (c Config) normalize() (Config, error) {
	if strings.TrimSpace(c.Issuer) == "" {
		return c, errors.New("identity: Config.Issuer is required")
	}
	c.Audience = or(c.Audience, DefaultAudience)
	c.Algorithm = or(c.Algorithm, RS256)
	if !c.Algorithm.Valid() {
		return c, fmt.Errorf("identity: unsupported algorithm %q; use RS256, ES256 or EdDSA", c.Algorithm)
	}
	c.AccessTokenTTL = positive(c.AccessTokenTTL, DefaultAccessTokenTTL)
	c.RefreshIdleTTL = positive(c.RefreshIdleTTL, DefaultRefreshIdleTTL)
	c.RefreshAbsoluteTTL = positive(c.RefreshAbsoluteTTL, DefaultRefreshAbsoluteTTL)
	c.RefreshReuseGrace = orNone(c.RefreshReuseGrace, DefaultRefreshReuseGrace)
	c.KeyRefresh = positive(c.KeyRefresh, DefaultKeyRefresh)
	c.ClockSkew = orNone(c.ClockSkew, DefaultClockSkew)
	if c.SessionCheck == 0 {
		c.SessionCheck = DefaultSessionCheck
	}
	c.KeyRetention = positive(c.KeyRetention, max(DefaultKeyRetention, c.AccessTokenTTL+c.KeyRefresh+c.ClockSkew))
	if c.KeyRetention < c.AccessTokenTTL+c.KeyRefresh+c.ClockSkew {
		return c, fmt.Errorf("identity: KeyRetention %s is shorter than AccessTokenTTL + KeyRefresh + ClockSkew (%s)",
			c.KeyRetention, c.AccessTokenTTL+c.KeyRefresh+c.ClockSkew)
	}
	c.KeyRotation = orNone(c.KeyRotation, DefaultKeyRotation)
	c.SetPasswordTokenTTL = positive(c.SetPasswordTokenTTL, DefaultSetPasswordTokenTTL)
	c.TOTPIssuer = or(c.TOTPIssuer, DefaultTOTPIssuer)
	c.Attempts = c.Attempts.normalize()
	var err error
	if c.Password, err = c.Password.normalize(); err != nil {
		return c, err
	}
	if c.OTP, err = c.OTP.normalize(); err != nil {
		return c, err
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c, nil
}

func positive(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// orNone maps 0 to def and a negative value to 0.
func orNone(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// Service applies the identity rules over a Store. It is safe for
// concurrent use.
type Service struct {
	store   Store
	cfg     Config
	now     core.Clock
	log     *slog.Logger
	secrets *derived
	pw      *hasher
	keys    *keyring
	fed     *federation // federated.go
	// sessions remembers session states for VerifyAccessToken
	// (session.go); nil when Config.SessionCheck turned the check off.
	sessions *sessionCache
}

// NewService returns a Service over st. It does no I/O: the first signing
// key is made when the first token is signed.
// Errors: a plain error naming what is wrong with cfg.
func NewService(st Store, cfg Config) (*Service, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	d, err := derive(cfg.Secrets)
	if err != nil {
		return nil, err
	}
	s := &Service{store: st, cfg: cfg, now: cfg.Clock, log: cfg.Logger, secrets: d, pw: newHasher(cfg.Password),
		fed: &federation{providers: make(map[string]*oidc.Provider)}}
	s.keys = &keyring{
		st: st, d: d, alg: cfg.Algorithm, now: cfg.Clock, refresh: cfg.KeyRefresh,
		retention: cfg.KeyRetention, rotateEvery: cfg.KeyRotation, log: cfg.Logger,
	}
	if cfg.SessionCheck > 0 {
		s.sessions = newSessionCache(cfg.SessionCheck, sessionCacheSize)
	}
	return s, nil
}

// WithStore returns a copy of s whose user and token operations work on st,
// typically a transaction. The signing keys, their cache, the session
// cache and the hashing pool stay shared, and keys are always read and made
// on the store given to NewService.
func (s *Service) WithStore(st Store) *Service {
	c := *s
	c.store = st
	return &c
}

// Config returns the configuration in force, defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// HashStats returns the state of the password hashing pool.
func (s *Service) HashStats() HashStats { return s.pw.stats() }

// CreateUserInput is the input of CreateUser.
type CreateUserInput struct {
	// TenantID is the user's tenant; empty for a platform or reseller user.
	TenantID string
	// Scope is where a user without a tenant works; for a tenant user it
	// may be left zero and is set to the tenant.
	Scope       Scope
	Name        string
	Email       string
	Phone       string
	Role        Role
	Permissions []string
	// Password, when given, is checked by ValidatePassword and hashed.
	// PasswordHash, from HashPassword, may be given instead. Without
	// either the user has no password until SetPassword or a set-password
	// token gives one.
	Password     string
	PasswordHash PasswordHash
}

// CreateUser validates in and stores a new, active user.
// Errors: core.Invalid with fields (wire names: name, email, phone, role,
// tenantId, scope.kind, scope.id, permissions, password);
// core.EmailTaken; core.RateLimited when hashing must wait too long;
// core.Internal.
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (User, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.TrimSpace(in.Email)
	in.Phone = strings.TrimSpace(in.Phone)
	if in.TenantID != "" && in.Scope == (Scope{}) {
		in.Scope = Scope{Kind: ScopeTenant, ID: in.TenantID}
	}
	now := s.now.Now()
	u := User{
		ID:          core.NewID(core.PrefixUser),
		TenantID:    in.TenantID,
		Scope:       in.Scope,
		Name:        in.Name,
		Email:       in.Email,
		Phone:       in.Phone,
		Role:        in.Role,
		Permissions: dedupe(in.Permissions),
		Status:      StatusActive,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	var f core.Fields
	validateUser(&f, u)
	switch {
	case in.Password != "" && !in.PasswordHash.IsZero():
		f.Add("password", "give a password or a password hash, not both")
	case in.Password != "":
		if m := ValidatePassword(in.Password, in.Email); m != "" {
			f.Add("password", "%s", m)
		}
	}
	if err := f.Err(); err != nil {
		return User{}, err
	}
	u.PasswordHash = in.PasswordHash.encoded
	if in.Password != "" {
		h, err := s.pw.hash(ctx, in.Password)
		if err != nil {
			return User{}, err
		}
		u.PasswordHash = h
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return User{}, err
	}
	return public(u), nil
}

// HashPassword checks pw with ValidatePassword (against email, which may be
// empty) and hashes it, for a CreateUserInput made inside a transaction.
// Errors: core.Invalid naming "password"; core.RateLimited; core.Internal.
func (s *Service) HashPassword(ctx context.Context, pw, email string) (PasswordHash, error) {
	if m := ValidatePassword(pw, email); m != "" {
		return PasswordHash{}, core.InvalidField("password", "%s", m)
	}
	h, err := s.pw.hash(ctx, pw)
	if err != nil {
		return PasswordHash{}, err
	}
	return PasswordHash{encoded: h}, nil
}

func userNotFound(id string) error { return core.Errorf(core.NotFound, "user %q not found", id) }

// getUser reads a user, answering core.NotFound for a malformed ID.
func (s *Service) getUser(ctx context.Context, tenantID, id string) (User, error) {
	if !core.ValidID(core.PrefixUser, id) || (tenantID != "" && !core.ValidID(core.PrefixTenant, tenantID)) {
		return User{}, userNotFound(id)
	}
	return s.store.GetUser(ctx, tenantID, id)
}

// GetUser returns the tenant's user with the ID ("" for a user without a
// tenant). Errors: core.NotFound, also for a user of another tenant.
func (s *Service) GetUser(ctx context.Context, tenantID, id string) (User, error) {
	u, err := s.getUser(ctx, tenantID, id)
	if err != nil {
		return User{}, err
	}
	return public(u), nil
}

// FindUser returns the user with the ID, whatever its tenant, for callers
// allowed to act across tenants. Errors: core.NotFound.
func (s *Service) FindUser(ctx context.Context, id string) (User, error) {
	if !core.ValidID(core.PrefixUser, id) {
		return User{}, userNotFound(id)
	}
	u, err := s.store.FindUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	return public(u), nil
}

// ListUsers returns one page of the tenant's users, ordered by creation.
// Errors: core.Invalid naming "page" or "limit".
func (s *Service) ListUsers(ctx context.Context, tenantID string, page core.PageRequest) (core.Page[User], error) {
	page, err := page.Normalize()
	if err != nil {
		return core.Page[User]{}, err
	}
	items, total, err := s.store.ListUsers(ctx, tenantID, page)
	if err != nil {
		return core.Page[User]{}, err
	}
	for i := range items {
		items[i] = public(items[i])
	}
	return core.NewPage(page, items, total), nil
}

// CountUsers returns how many users the tenant has.
func (s *Service) CountUsers(ctx context.Context, tenantID string) (int, error) {
	return s.store.CountUsers(ctx, tenantID)
}

// UpdateUserInput changes some of a user's fields; nil fields are left as
// they are. An empty Phone removes the phone.
type UpdateUserInput struct {
	Name        *string
	Email       *string
	Phone       *string
	Role        *Role
	Permissions *[]string
}

// UpdateUser changes a user's profile, role or grants. The role must stay
// one of the user's scope.
// Errors: core.NotFound; core.Invalid with fields; core.EmailTaken.
func (s *Service) UpdateUser(ctx context.Context, tenantID, id string, in UpdateUserInput) (User, error) {
	if _, err := s.getUser(ctx, tenantID, id); err != nil {
		return User{}, err
	}
	u, err := s.store.UpdateUser(ctx, tenantID, id, func(u User) (User, error) {
		if in.Name != nil {
			u.Name = strings.TrimSpace(*in.Name)
		}
		if in.Email != nil {
			u.Email = strings.TrimSpace(*in.Email)
		}
		if in.Phone != nil {
			u.Phone = strings.TrimSpace(*in.Phone)
		}
		if in.Role != nil {
			u.Role = *in.Role
		}
		if in.Permissions != nil {
			u.Permissions = dedupe(*in.Permissions)
		}
		var f core.Fields
		validateUser(&f, u)
		if err := f.Err(); err != nil {
			return u, err
		}
		u.UpdatedAt = s.now.Now()
		return u, nil
	})
	if err != nil {
		return User{}, err
	}
	return public(u), nil
}

// DisableUser disables a user and revokes all of its sessions, which ends
// its access tokens too (at once on this Service, on other instances within
// Config.SessionCheck; not when the check is off). Disabling a disabled
// user changes nothing. Errors: core.NotFound.
func (s *Service) DisableUser(ctx context.Context, tenantID, id string) (User, error) {
	u, err := s.setStatus(ctx, tenantID, id, StatusDisabled)
	if err != nil {
		return User{}, err
	}
	if _, err := s.store.RevokeUserRefreshFamilies(ctx, tenantID, id, s.now.Now()); err != nil {
		return User{}, err
	}
	s.userSessionsEnded(tenantID, id)
	return u, nil
}

// EnableUser makes a disabled user active again. Errors: core.NotFound.
func (s *Service) EnableUser(ctx context.Context, tenantID, id string) (User, error) {
	return s.setStatus(ctx, tenantID, id, StatusActive)
}

func (s *Service) setStatus(ctx context.Context, tenantID, id string, st Status) (User, error) {
	if _, err := s.getUser(ctx, tenantID, id); err != nil {
		return User{}, err
	}
	u, err := s.store.UpdateUser(ctx, tenantID, id, func(u User) (User, error) {
		if u.Status != st {
			u.Status = st
			u.UpdatedAt = s.now.Now()
		}
		return u, nil
	})
	if err != nil {
		return User{}, err
	}
	return public(u), nil
}

// DeleteUser deletes a user with its sessions, tokens and TOTP state; its
// access tokens end with the sessions.
// Errors: core.NotFound.
func (s *Service) DeleteUser(ctx context.Context, tenantID, id string) error {
	if _, err := s.getUser(ctx, tenantID, id); err != nil {
		return err
	}
	if err := s.store.DeleteUser(ctx, tenantID, id); err != nil {
		return err
	}
	s.userSessionsEnded(tenantID, id)
	return nil
}

// SetPassword gives a user a new password without asking for the old one
// (an administrator's reset), and revokes all of its sessions (ending
// their access tokens, as DisableUser does) and set-password tokens.
// Errors: core.NotFound; core.Invalid naming "password"; core.RateLimited;
// core.Internal.
func (s *Service) SetPassword(ctx context.Context, tenantID, id, password string) error {
	u, err := s.getUser(ctx, tenantID, id)
	if err != nil {
		return err
	}
	h, err := s.HashPassword(ctx, password, u.Email)
	if err != nil {
		return err
	}
	return s.storePassword(ctx, u, h.encoded)
}

// storePassword writes the hash and ends what the old password allowed.
func (s *Service) storePassword(ctx context.Context, u User, hash string) error {
	if _, err := s.store.UpdateUser(ctx, u.TenantID, u.ID, func(x User) (User, error) {
		x.PasswordHash = hash
		x.UpdatedAt = s.now.Now()
		return x, nil
	}); err != nil {
		return err
	}
	if _, err := s.store.RevokeUserRefreshFamilies(ctx, u.TenantID, u.ID, s.now.Now()); err != nil {
		return err
	}
	s.userSessionsEnded(u.TenantID, u.ID)
	_, err := s.store.DeleteSetPasswordTokens(ctx, u.TenantID, u.ID)
	return err
}

// ChangePassword sets a new password after checking the old one, and
// revokes all of the user's sessions, ending their access tokens as
// DisableUser does (the caller logs in again).
// Errors: core.NotFound; core.Unauthenticated when the old password is
// wrong (counted as a failed login); core.RateLimited after repeated
// failures; core.Invalid naming "newPassword"; core.Internal.
func (s *Service) ChangePassword(ctx context.Context, tenantID, id, oldPassword, newPassword string) error {
	u, err := s.getUser(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if m := ValidatePassword(newPassword, u.Email); m != "" {
		return core.InvalidField("newPassword", "%s", m)
	}
	name := s.loginName(u.TenantID, u.Email)
	if err := s.checkAttempts(ctx, u.TenantID, name, AttemptPassword); err != nil {
		return err
	}
	ok, _, err := s.checkPassword(ctx, u, oldPassword)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.fail(ctx, u.TenantID, name, AttemptPassword); err != nil {
			return err
		}
		return errCredentials()
	}
	if err := s.store.ResetAttempts(ctx, u.TenantID, name, AttemptPassword); err != nil {
		return err
	}
	h, err := s.pw.hash(ctx, newPassword)
	if err != nil {
		return err
	}
	return s.storePassword(ctx, u, h)
}

// IssuedToken is a one-time token as issued: shown once, kept only hashed.
type IssuedToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// IssueSetPasswordToken makes a one-time token ("pst_...") with which the
// user sets a password through UsePasswordToken, valid for
// Config.SetPasswordTokenTTL. It replaces the user's earlier ones.
// Errors: core.NotFound; core.Internal.
func (s *Service) IssueSetPasswordToken(ctx context.Context, tenantID, userID string) (IssuedToken, error) {
	if _, err := s.getUser(ctx, tenantID, userID); err != nil {
		return IssuedToken{}, err
	}
	if _, err := s.store.DeleteSetPasswordTokens(ctx, tenantID, userID); err != nil {
		return IssuedToken{}, err
	}
	token, secret := newOpaque(setPasswordPrefix, tenantID)
	now := s.now.Now()
	rec := SetPasswordToken{
		TenantID:  tenantID,
		Hash:      s.secrets.mac(s.secrets.current, purposeSetPassword, tenantID, secret),
		KeyID:     s.secrets.current,
		UserID:    userID,
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.SetPasswordTokenTTL),
	}
	if err := s.store.CreateSetPasswordToken(ctx, rec); err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{Token: token, ExpiresAt: rec.ExpiresAt}, nil
}

// setPasswordPrefix starts set-password tokens.
const setPasswordPrefix = "pst"

func errSetPasswordToken(reason string) error {
	return &core.Error{Code: core.Unauthenticated, Message: "the set-password token is not valid", Err: errors.New(reason)}
}

// UsePasswordToken spends a set-password token and gives its user the
// password; the user's sessions and other set-password tokens are revoked.
// Errors: core.Unauthenticated (one message) when the token is malformed,
// unknown, used, expired, or its user is gone or disabled; core.Invalid
// naming "password"; core.RateLimited; core.Internal.
func (s *Service) UsePasswordToken(ctx context.Context, token, password string) (User, error) {
	tenantID, secret, ok := parseOpaque(setPasswordPrefix, token)
	if !ok {
		return User{}, errSetPasswordToken("malformed")
	}
	var rec SetPasswordToken
	found := false
	for _, id := range s.secrets.order {
		r, err := s.store.GetSetPasswordToken(ctx, tenantID, s.secrets.mac(id, purposeSetPassword, tenantID, secret))
		if core.ErrorCode(err) == core.NotFound {
			continue
		}
		if err != nil {
			return User{}, err
		}
		rec, found = r, true
		break
	}
	now := s.now.Now()
	switch {
	case !found:
		return User{}, errSetPasswordToken("unknown")
	case rec.UsedAt != nil:
		return User{}, errSetPasswordToken("used already")
	case !now.Before(rec.ExpiresAt):
		return User{}, errSetPasswordToken("expired")
	}
	u, err := s.store.GetUser(ctx, rec.TenantID, rec.UserID)
	if core.ErrorCode(err) == core.NotFound {
		return User{}, errSetPasswordToken("the user is gone")
	}
	if err != nil {
		return User{}, err
	}
	if u.Status != StatusActive {
		return User{}, errSetPasswordToken("the user is disabled")
	}
	h, err := s.HashPassword(ctx, password, u.Email)
	if err != nil {
		return User{}, err
	}
	used, err := s.store.UseSetPasswordToken(ctx, rec.TenantID, rec.Hash, now)
	if err != nil {
		return User{}, err
	}
	if !used {
		return User{}, errSetPasswordToken("spent by a concurrent use")
	}
	if err := s.storePassword(ctx, u, h.encoded); err != nil {
		return User{}, err
	}
	return public(u), nil
}

// LoginInput is the input of Login.
type LoginInput struct {
	Email    string
	Password string
	// TenantID is the tenant the user belongs to; empty for platform and
	// reseller users.
	TenantID string
	// TOTPCode is the code of the user's authenticator, or one of its
	// recovery codes; required once the user confirmed TOTP.
	TOTPCode string
}

// errCredentials is the one answer to a wrong email, a wrong password, a
// user without a password and a disabled user.
func errCredentials() error {
	return core.Errorf(core.Unauthenticated, "the email or password is wrong")
}

// loginName is the subject of the password failure counter: a keyed hash
// of the tenant and email, so that unknown emails are counted as known ones
// are and the counter tells nothing.
func (s *Service) loginName(tenantID, email string) string {
	return "ln_" + s.secrets.mac(s.secrets.current, purposeLoginName, tenantID, EmailKey(email))
}

// checkPassword verifies pw for u; a user without a password is checked
// against the dummy hash, so that it costs the same and fails.
func (s *Service) checkPassword(ctx context.Context, u User, pw string) (ok, stale bool, err error) {
	if u.PasswordHash == "" {
		return false, false, s.pw.burn(ctx, pw)
	}
	return s.pw.verify(ctx, pw, u.PasswordHash)
}

// Login checks an email and password (and, for a user with TOTP, a code)
// and starts a session: it answers an access token, a refresh token and the
// user. A wrong password, an unknown email, a user without a password and
// a disabled user all get the same answer after the same work (a dummy
// hash stands in for a missing one). A successful login resets the failure
// counters, records LastLoginAt, and re-hashes a password whose hash was
// made with other parameters than the configured ones.
// Errors: core.Unauthenticated ("the email or password is wrong");
// core.Forbidden when Config.LoginPolicy turned password login off for
// the tenant's users; core.TOTPRequired when the password is right and a code is
// needed;
// core.TOTPInvalid; core.RateLimited after repeated failures (RetryAfter
// says how long to wait) or when the hashing pool is full; core.Internal.
func (s *Service) Login(ctx context.Context, in LoginInput) (TokenResponse, error) {
	email := strings.TrimSpace(in.Email)
	switch {
	case email == "" || len(email) > maxLoginEmailSize || in.Password == "" || len(in.Password) > MaxPasswordBytes:
		return TokenResponse{}, errCredentials()
	case in.TenantID != "" && !core.ValidID(core.PrefixTenant, in.TenantID):
		return TokenResponse{}, errCredentials()
	}
	if err := s.checkPasswordLogin(ctx, in.TenantID); err != nil {
		return TokenResponse{}, err
	}
	name := s.loginName(in.TenantID, email)
	if err := s.checkAttempts(ctx, in.TenantID, name, AttemptPassword); err != nil {
		return TokenResponse{}, err
	}
	u, err := s.store.GetUserByEmail(ctx, in.TenantID, email)
	switch core.ErrorCode(err) {
	case "":
	case core.NotFound:
		u = User{} // checked against the dummy hash below
	default:
		return TokenResponse{}, err
	}
	ok, stale, err := s.checkPassword(ctx, u, in.Password)
	if err != nil {
		return TokenResponse{}, err
	}
	if !ok {
		if err := s.fail(ctx, in.TenantID, name, AttemptPassword); err != nil {
			return TokenResponse{}, err
		}
		return TokenResponse{}, errCredentials()
	}
	if u.Status != StatusActive {
		// The password is right, but the answer, and the counting, are
		// those of a wrong one, so that nothing tells them apart.
		if err := s.fail(ctx, in.TenantID, name, AttemptPassword); err != nil {
			return TokenResponse{}, err
		}
		return TokenResponse{}, errCredentials()
	}
	if err := s.store.ResetAttempts(ctx, in.TenantID, name, AttemptPassword); err != nil {
		return TokenResponse{}, err
	}
	st, err := s.store.GetTOTP(ctx, u.TenantID, u.ID)
	switch code := core.ErrorCode(err); {
	case code == core.NotFound || (err == nil && !st.Confirmed):
	case err != nil:
		return TokenResponse{}, err
	default:
		if err := s.secondFactor(ctx, u, st, in.TOTPCode); err != nil {
			return TokenResponse{}, err
		}
	}
	var rehash string
	if stale {
		if rehash, err = s.pw.hash(ctx, in.Password); err != nil {
			s.log.WarnContext(ctx, "identity: re-hashing a password with the new parameters failed", "user", u.ID, "err", err)
			rehash = ""
		}
	}
	now := s.now.Now()
	u, err = s.store.UpdateUser(ctx, u.TenantID, u.ID, func(x User) (User, error) {
		x.LastLoginAt = &now
		if rehash != "" && x.PasswordHash == u.PasswordHash {
			x.PasswordHash = rehash
		}
		return x, nil
	})
	if err != nil {
		return TokenResponse{}, err
	}
	return s.startSession(ctx, u)
}
