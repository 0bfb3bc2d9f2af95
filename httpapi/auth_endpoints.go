package httpapi

import (
	"net/http"
	"reflect"
	"strconv"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/ratelimit"
)

// The identity endpoints: login, refresh, logout, set-password, the key
// set, and (users.go) a user's password and TOTP. They call the platform's
// identity service (atomix.WithIdentity); without one, login answers 401
// and the key set is empty.

// loginRequest is the body of POST /auth/login.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TenantID string `json:"tenantId"`
	TOTPCode string `json:"totpCode"`
}

// refreshRequest is the body of POST /auth/refresh, and of POST
// /auth/logout (where it is optional).
type refreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// setPasswordRequest is the body of POST /auth/password/set.
type setPasswordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// changePasswordRequest is the body of POST /users/{userId}/password.
type changePasswordRequest struct {
	OldPassword string `json:"oldPassword"`
	NewPassword string `json:"newPassword"`
}

// verifyTOTPRequest is the body of POST /users/{userId}/totp/verify.
type verifyTOTPRequest struct {
	Code string `json:"code"`
}

// identityShapes holds the key shapes of the identity request bodies.
type identityShapes struct {
	login, refresh, setPassword, changePassword, verifyTOTP *shape
}

func newIdentityShapes() identityShapes {
	return identityShapes{
		login:          shapeOf(reflect.TypeFor[loginRequest]()),
		refresh:        shapeOf(reflect.TypeFor[refreshRequest]()),
		setPassword:    shapeOf(reflect.TypeFor[setPasswordRequest]()),
		changePassword: shapeOf(reflect.TypeFor[changePasswordRequest]()),
		verifyTOTP:     shapeOf(reflect.TypeFor[verifyTOTPRequest]()),
	}
}

// identityService returns the platform's identity service.
// Errors: core.Unauthenticated when the platform has none, so that nobody
// can sign in.
func (h *handler) identityService() (*identity.Service, error) {
	if svc := h.p.Identity(); svc != nil {
		return svc, nil
	}
	return nil, core.Errorf(core.Unauthenticated, "this server has no identity service configured; only the platform API key authenticates")
}

// noStore marks a response that carries secrets (tokens, recovery codes)
// as not to be cached, as RFC 6749 asks of token responses.
func noStore(c *call) {
	c.Header().Set("Cache-Control", "no-store")
	c.Header().Set("Pragma", "no-cache")
}

// writeTokens answers a token response: seed 000's shape.
func (h *handler) writeTokens(c *call, tr *identity.TokenResponse) error {
	noStore(c)
	return h.writeBody(c, http.StatusOK, tr)
}

// login serves POST /auth/login.
func (h *handler) login(c *call, r *http.Request) error {
	var in loginRequest
	if err := decode(r, &in, h.ishapes.login); err != nil {
		return err
	}
	svc, err := h.identityService()
	if err != nil {
		return err
	}
	tr, err := svc.Login(r.Context(), identity.LoginInput{Email: in.Email, Password: in.Password, TenantID: in.TenantID, TOTPCode: in.TOTPCode})
	if err != nil {
		return err
	}
	return h.writeTokens(c, &tr)
}

// refresh serves POST /auth/refresh.
func (h *handler) refresh(c *call, r *http.Request) error {
	var in refreshRequest
	if err := decode(r, &in, h.ishapes.refresh); err != nil {
		return err
	}
	svc, err := h.identityService()
	if err != nil {
		return err
	}
	tr, err := svc.Refresh(r.Context(), identity.RefreshInput{RefreshToken: in.RefreshToken})
	if err != nil {
		return err
	}
	return h.writeTokens(c, &tr)
}

// hasBody reports whether r carries a body to decode.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// logout serves POST /auth/logout: it ends the session of the refresh
// token in the body, or, without a body, the access token's own session,
// and answers 204. Access tokens already issued live until they expire.
func (h *handler) logout(c *call, r *http.Request) error {
	var in refreshRequest
	if hasBody(r) {
		if err := decode(r, &in, h.ishapes.refresh); err != nil {
			return err
		}
	}
	if _, err := h.identityService(); err != nil {
		return err
	}
	p := principal(r.Context())
	if p.Kind != PrincipalUser {
		return core.Errorf(core.Forbidden, "the platform API key has no session to end; log out with a user's access token")
	}
	err := h.p.Logout(r.Context(), identity.LogoutInput{
		Principal: identity.Claims{
			Subject:   p.ID,
			TenantID:  p.TenantID,
			Role:      identity.Role(p.Role),
			Scope:     p.Scope,
			SessionID: p.SessionID,
		},
		RefreshToken: in.RefreshToken,
	})
	if err != nil {
		return err
	}
	c.WriteHeader(http.StatusNoContent)
	return nil
}

// setPassword serves POST /auth/password/set: a one-time set-password
// token (from POST /tenants) gives its user a password; 204.
func (h *handler) setPassword(c *call, r *http.Request) error {
	var in setPasswordRequest
	if err := decode(r, &in, h.ishapes.setPassword); err != nil {
		return err
	}
	svc, err := h.identityService()
	if err != nil {
		return err
	}
	if _, err := svc.UsePasswordToken(r.Context(), in.Token, in.Password); err != nil {
		return err
	}
	c.WriteHeader(http.StatusNoContent)
	return nil
}

// jwksMaxAge is how long a client may cache the key set. A new key signs
// tokens at once, so verifiers must also fetch the set again when a token
// names a key they have not seen, as JWKS clients do.
const jwksMaxAge = "public, max-age=300"

// jwks serves GET /.well-known/jwks.json: the public keys that verify
// access tokens (RFC 7517), under the API's prefix. Without an identity
// service the set is empty.
func (h *handler) jwks(c *call, r *http.Request) error {
	body := []byte(`{"keys":[]}`)
	if svc := h.p.Identity(); svc != nil {
		var err error
		if body, err = svc.JWKS(r.Context()); err != nil {
			return err
		}
	}
	c.Header().Set("Cache-Control", jwksMaxAge)
	writeJSON(c, http.StatusOK, body)
	return nil
}

// retryAfter returns the Retry-After value of a rate_limited error: the
// wait the identity service or the rate limits (ratelimit.go) computed,
// in whole seconds, or 1.
func retryAfter(e *core.Error) string {
	if d, ok := identity.RetryAfter(e); ok {
		// Rounded up, never 0: a client that waits the whole seconds
		// given must not be refused again.
		return strconv.FormatInt(ratelimit.RetrySeconds(d), 10)
	}
	if d, ok := ratelimit.RetryAfter(e); ok {
		return strconv.FormatInt(ratelimit.RetrySeconds(d), 10)
	}
	return "1"
}

// appendAdmin adds the adminUser of a created tenant, and its one-time
// set-password token when there is one, to the tenant's wire form (a JSON
// object). A token makes the response not cacheable.
func appendAdmin(c *call, body []byte, out *atomix.CreatedTenant) []byte {
	b := append(body[:len(body)-1:len(body)-1], `,"adminUser":{"id":`...)
	b = appendString(b, out.AdminUser.ID)
	b = append(b, `,"email":`...)
	b = appendString(b, out.AdminUser.Email)
	b = append(b, '}')
	if tok := out.SetPasswordToken; tok != nil {
		noStore(c)
		b = append(b, `,"setPasswordToken":`...)
		b = appendString(b, tok.Token)
		b = append(b, `,"setPasswordExpiresAt":`...)
		b = appendTime(b, tok.ExpiresAt)
	}
	if out.Subscription != nil {
		if sub, err := marshalNoEscape(toSubscriptionBody(*out.Subscription)); err == nil {
			b = append(append(b, `,"subscription":`...), sub...)
		}
	}
	return append(b, '}')
}
