package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Claims are what a verified access token says about its bearer.
type Claims struct {
	Issuer   string
	Audience []string
	// Subject is the user's ID.
	Subject  string
	TenantID string // empty for users without a tenant
	Role     Role
	Scope    Scope
	// SessionID is the refresh-token family the token was issued with
	// (the "sid" claim); Logout revokes it, and the token ends with it.
	SessionID string
	// ID is the token's unique "jti".
	ID        string
	IssuedAt  time.Time
	NotBefore time.Time
	Expiry    time.Time
}

// wireClaims are the private claims of an access token.
type wireClaims struct {
	TenantID  string    `json:"tenant_id,omitempty"`
	Role      Role      `json:"role"`
	ScopeKind ScopeKind `json:"scope_kind"`
	ScopeID   string    `json:"scope_id,omitempty"`
	SessionID string    `json:"sid,omitempty"`
}

// TokenUser is the user part of a token response, as seed 000 shows it.
type TokenUser struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	TenantID string `json:"tenantId"`
	// Permissions are the user's extra grants (the role's own come with
	// the access-control work); never nil.
	Permissions []string `json:"permissions"`
}

// TokenResponse is what Login and Refresh answer: seed 000's token response.
type TokenResponse struct {
	AccessToken  string    `json:"accessToken"`
	RefreshToken string    `json:"refreshToken"`
	ExpiresIn    int       `json:"expiresIn"` // seconds the access token lives
	User         TokenUser `json:"user"`
}

// maxTokenLen bounds an access token; a longer one is refused unparsed.
const maxTokenLen = 8 << 10

// errAccessToken is the one refusal of an access token; reason says why,
// for logs only.
func errAccessToken(reason error) error {
	return &core.Error{Code: core.Unauthenticated, Message: "the access token is not valid", Err: reason}
}

// errRefreshToken is the one refusal of a refresh token.
func errRefreshToken(reason string) error {
	return &core.Error{Code: core.Unauthenticated, Message: "the refresh token is not valid", Err: errors.New(reason)}
}

// issueAccess signs an access token for u in the session familyID.
func (s *Service) issueAccess(ctx context.Context, u User, familyID string) (string, error) {
	k, err := s.keys.signer(ctx)
	if err != nil {
		return "", err
	}
	now := s.now.Now().Truncate(time.Second)
	std := jwt.Claims{
		Issuer:    s.cfg.Issuer,
		Audience:  jwt.Audience{s.cfg.Audience},
		Subject:   u.ID,
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(s.cfg.AccessTokenTTL)),
		ID:        randomToken(16),
	}
	ext := wireClaims{TenantID: u.TenantID, Role: u.Role, ScopeKind: u.Scope.Kind, ScopeID: u.Scope.ID, SessionID: familyID}
	tok, err := jwt.Signed(k.signer).Claims(std).Claims(ext).Serialize()
	if err != nil {
		return "", core.Wrap(err, "sign an access token")
	}
	return tok, nil
}

// VerifyAccessToken checks an access token and returns its claims. It
// refuses a token that does not parse, is not signed with exactly one
// signature by a known, valid key of the algorithm the token names (so
// "alg: none", HS256 and any algorithm the key was not made for fail), has
// expired, is not valid yet or was issued in the future (beyond the clock
// skew), names another issuer or audience, or lacks a claim.
//
// A valid token then ends with its session: unless Config.SessionCheck
// turned the check off, the token is refused when it names no session, or
// when its session (the refresh family "sid" of its tenant) was revoked
// (Logout, refresh-token reuse, DisableUser, a password change), deleted
// (DeleteUser) or is past its absolute end. The session's state is read
// from the store and trusted for Config.SessionCheck: the Service's own
// revocations count at once, other instances' within SessionCheck.
//
// Errors: core.Unauthenticated, always the same message; the reason is in
// the error's Err, for logs ("the session ended: ..." for an ended
// session). core.Internal when the keys cannot be read; the store's error,
// as it is (typically core.Unavailable or core.Internal, not turned into
// core.Unauthenticated), when the session cannot be read.
func (s *Service) VerifyAccessToken(ctx context.Context, token string) (Claims, error) {
	if len(token) > maxTokenLen {
		return Claims{}, errAccessToken(errors.New("the token is too long"))
	}
	tok, err := jwt.ParseSigned(token, allowedAlgorithms)
	if err != nil {
		return Claims{}, errAccessToken(fmt.Errorf("malformed: %w", err))
	}
	if len(tok.Headers) != 1 {
		return Claims{}, errAccessToken(errors.New("not exactly one signature"))
	}
	h := tok.Headers[0]
	k, err := s.keys.lookup(ctx, h.KeyID)
	if errors.Is(err, errUnknownKey) {
		return Claims{}, errAccessToken(fmt.Errorf("kid %q: %w", h.KeyID, err))
	}
	if err != nil {
		return Claims{}, err // the keys could not be read
	}
	if h.Algorithm != string(k.alg) {
		return Claims{}, errAccessToken(fmt.Errorf("alg %q does not match key %q (%s)", h.Algorithm, k.id, k.alg))
	}
	var std jwt.Claims
	var ext wireClaims
	if err := tok.Claims(k.pub, &std, &ext); err != nil {
		return Claims{}, errAccessToken(fmt.Errorf("signature or claims: %w", err))
	}
	if std.Expiry == nil || std.IssuedAt == nil || std.NotBefore == nil || std.ID == "" {
		return Claims{}, errAccessToken(errors.New("exp, iat, nbf or jti is missing"))
	}
	now := s.now.Now()
	if err := std.ValidateWithLeeway(jwt.Expected{
		Issuer:      s.cfg.Issuer,
		AnyAudience: jwt.Audience{s.cfg.Audience},
		Time:        now,
	}, s.cfg.ClockSkew); err != nil {
		return Claims{}, errAccessToken(err)
	}
	c := Claims{
		Issuer:    std.Issuer,
		Audience:  slices.Clone([]string(std.Audience)),
		Subject:   std.Subject,
		TenantID:  ext.TenantID,
		Role:      ext.Role,
		Scope:     Scope{Kind: ext.ScopeKind, ID: ext.ScopeID},
		SessionID: ext.SessionID,
		ID:        std.ID,
		IssuedAt:  std.IssuedAt.Time().UTC(),
		NotBefore: std.NotBefore.Time().UTC(),
		Expiry:    std.Expiry.Time().UTC(),
	}
	var f core.Fields
	if !core.ValidID(core.PrefixUser, c.Subject) {
		f.Add("sub", "is not a user ID")
	}
	validatePlacement(&f, c.TenantID, c.Scope, c.Role)
	if err := f.Err(); err != nil {
		return Claims{}, errAccessToken(fmt.Errorf("claims: %w", err))
	}
	if err := s.checkSession(ctx, &c, now); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// JWKS returns the public keys that verify access tokens, as an RFC 7517
// JSON Web Key Set: every key not retired longer than the retention
// window, each with "kid", "alg" and "use": "sig". It makes the first key
// when there is none yet. Errors: core.Internal.
func (s *Service) JWKS(ctx context.Context) ([]byte, error) {
	if _, err := s.keys.signer(ctx); err != nil {
		return nil, err
	}
	ks, err := s.keys.get(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clone(ks.jwks), nil
}

// RotateSigningKey makes a new current signing key of the configured
// algorithm and returns its ID. Tokens signed with the older keys keep
// verifying for Config.KeyRetention after this; other instances pick the
// new key up within Config.KeyRefresh. Errors: core.Internal.
func (s *Service) RotateSigningKey(ctx context.Context) (string, error) {
	return s.keys.rotate(ctx)
}

// respond builds the token response for u: an access token and the given
// refresh token.
func (s *Service) respond(ctx context.Context, u User, familyID, refresh string) (TokenResponse, error) {
	access, err := s.issueAccess(ctx, u, familyID)
	if err != nil {
		return TokenResponse{}, err
	}
	perms := slices.Clone(u.Permissions)
	if perms == nil {
		perms = []string{}
	}
	return TokenResponse{
		AccessToken:  access,
		RefreshToken: refresh,
		ExpiresIn:    int(s.cfg.AccessTokenTTL / time.Second),
		User:         TokenUser{ID: u.ID, Name: u.Name, Role: u.Role, TenantID: u.TenantID, Permissions: perms},
	}, nil
}

// newRefresh returns a new refresh token of the user in the family, and
// its record.
func (s *Service) newRefresh(u User, familyID string, now, familyEnd time.Time) (string, RefreshToken) {
	token, secret := newOpaque(core.PrefixRefreshToken, u.TenantID)
	return token, RefreshToken{
		TenantID:  u.TenantID,
		Hash:      s.secrets.mac(s.secrets.current, purposeRefresh, u.TenantID, secret),
		KeyID:     s.secrets.current,
		FamilyID:  familyID,
		UserID:    u.ID,
		CreatedAt: now,
		ExpiresAt: minTime(now.Add(s.cfg.RefreshIdleTTL), familyEnd),
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// startSession creates a refresh family for u and answers its first pair.
func (s *Service) startSession(ctx context.Context, u User) (TokenResponse, error) {
	now := s.now.Now()
	fam := RefreshFamily{
		TenantID:  u.TenantID,
		ID:        randomToken(16),
		UserID:    u.ID,
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.RefreshAbsoluteTTL),
	}
	token, rec := s.newRefresh(u, fam.ID, now, fam.ExpiresAt)
	if err := s.store.CreateRefreshFamily(ctx, fam, rec); err != nil {
		return TokenResponse{}, err
	}
	return s.respond(ctx, u, fam.ID, token)
}

// findRefresh looks the token up under every configured secret.
func (s *Service) findRefresh(ctx context.Context, token string) (RefreshToken, RefreshFamily, error) {
	tenantID, secret, ok := parseOpaque(core.PrefixRefreshToken, token)
	if !ok {
		return RefreshToken{}, RefreshFamily{}, errRefreshToken("malformed")
	}
	for _, id := range s.secrets.order {
		rec, fam, err := s.store.GetRefreshToken(ctx, tenantID, s.secrets.mac(id, purposeRefresh, tenantID, secret))
		if core.ErrorCode(err) == core.NotFound {
			continue
		}
		return rec, fam, err
	}
	return RefreshToken{}, RefreshFamily{}, errRefreshToken("unknown token")
}

// RefreshInput is the input of Refresh.
type RefreshInput struct {
	RefreshToken string
	// TenantID, when set, is the tenant the token must belong to (the
	// empty string: a user without a tenant), for callers that know where
	// the request comes from.
	TenantID *string
}

// Refresh spends a refresh token and answers a new pair in the same
// session. It refuses a token that is malformed, unknown, of another
// tenant than in.TenantID, expired (idle or absolute), already spent, of a
// revoked session, or of a user who is disabled or gone. A spent token
// presented more than Config.RefreshReuseGrace after its use is taken for
// a stolen one: its whole family is revoked, which ends its access tokens
// too (see VerifyAccessToken), and the event logged. Of concurrent
// refreshes with one token exactly one succeeds.
// Errors: core.Unauthenticated, always the same message (the reason in Err,
// for logs); core.Internal.
func (s *Service) Refresh(ctx context.Context, in RefreshInput) (TokenResponse, error) {
	rec, fam, err := s.findRefresh(ctx, in.RefreshToken)
	if err != nil {
		return TokenResponse{}, err
	}
	now := s.now.Now()
	switch {
	case in.TenantID != nil && *in.TenantID != rec.TenantID:
		return TokenResponse{}, errRefreshToken("the token belongs to another tenant")
	case fam.RevokedAt != nil:
		return TokenResponse{}, errRefreshToken("the session is revoked")
	case rec.UsedAt != nil:
		if s.cfg.RefreshReuseGrace > 0 && now.Sub(*rec.UsedAt) <= s.cfg.RefreshReuseGrace {
			return TokenResponse{}, errRefreshToken("the token was just spent by a concurrent refresh")
		}
		if err := s.store.RevokeRefreshFamily(ctx, rec.TenantID, rec.FamilyID, now); err != nil {
			return TokenResponse{}, err
		}
		s.sessionEnded(rec.TenantID, rec.FamilyID, rec.UserID)
		s.log.WarnContext(ctx, "identity: a spent refresh token was presented again; its session is revoked",
			"tenant", rec.TenantID, "user", rec.UserID, "session", rec.FamilyID, "spent", *rec.UsedAt)
		return TokenResponse{}, errRefreshToken("the token was spent already (reuse)")
	case !now.Before(rec.ExpiresAt):
		return TokenResponse{}, errRefreshToken("the token expired (idle)")
	case !now.Before(fam.ExpiresAt):
		return TokenResponse{}, errRefreshToken("the session expired")
	}
	u, err := s.store.GetUser(ctx, rec.TenantID, rec.UserID)
	if core.ErrorCode(err) == core.NotFound {
		return TokenResponse{}, errRefreshToken("the user is gone")
	}
	if err != nil {
		return TokenResponse{}, err
	}
	if u.Status != StatusActive {
		if err := s.store.RevokeRefreshFamily(ctx, rec.TenantID, rec.FamilyID, now); err != nil {
			return TokenResponse{}, err
		}
		s.sessionEnded(rec.TenantID, rec.FamilyID, rec.UserID)
		return TokenResponse{}, errRefreshToken("the user is disabled")
	}
	token, next := s.newRefresh(u, fam.ID, now, fam.ExpiresAt)
	ok, err := s.store.RotateRefreshToken(ctx, rec.TenantID, rec.Hash, next, now)
	if err != nil {
		return TokenResponse{}, err
	}
	if !ok {
		return TokenResponse{}, errRefreshToken("a concurrent refresh spent the token first")
	}
	return s.respond(ctx, u, fam.ID, token)
}

// LogoutInput is the input of Logout.
type LogoutInput struct {
	// Principal is the caller, as VerifyAccessToken returned it.
	Principal Claims
	// RefreshToken, when given, names the session to end; it must belong
	// to the caller (and to the caller's session, when the access token
	// names one). Without it the access token's session ends.
	RefreshToken string
}

// Logout revokes a session: every refresh token of its family, and the
// access tokens issued in it, which VerifyAccessToken refuses from then on
// ("the session ended"): at once on this Service, within
// Config.SessionCheck on other instances over the same store. With the
// check off (a negative SessionCheck) access tokens stay valid until they
// expire.
// Errors: core.Unauthenticated when the refresh token is not valid or
// belongs to another user, tenant or session (one message, as Refresh);
// core.Invalid when neither a refresh token nor a session is given;
// core.Internal.
func (s *Service) Logout(ctx context.Context, in LogoutInput) error {
	p := in.Principal
	familyID := p.SessionID
	if in.RefreshToken != "" {
		rec, _, err := s.findRefresh(ctx, in.RefreshToken)
		if err != nil {
			return err
		}
		switch {
		case rec.TenantID != p.TenantID:
			return errRefreshToken("logout with a token of another tenant")
		case rec.UserID != p.Subject:
			return errRefreshToken("logout with a token of another user")
		case p.SessionID != "" && rec.FamilyID != p.SessionID:
			return errRefreshToken("logout with a token of another session")
		}
		familyID = rec.FamilyID
	}
	if familyID == "" {
		return core.InvalidField("refreshToken", "is required")
	}
	err := s.store.RevokeRefreshFamily(ctx, p.TenantID, familyID, s.now.Now())
	if core.ErrorCode(err) == core.NotFound {
		return errRefreshToken("the session does not exist")
	}
	if err != nil {
		return err
	}
	s.sessionEnded(p.TenantID, familyID, p.Subject)
	return nil
}
