package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/atomixplatform/atomix/core"
)

// Principal is the authenticated caller of a request. Handlers read it with
// PrincipalFrom. Today the only principal is the platform API key; the
// identity domain adds users signed in with tokens, who carry their role and
// tenant.
type Principal struct {
	// Kind says how the caller authenticated.
	Kind PrincipalKind
	// ID names the caller: "platform" for the platform API key, a user ID
	// ("usr_...") for a user.
	ID string
	// Role is the caller's role, such as RoleSuperAdmin.
	Role string
	// TenantID is the tenant a tenant user belongs to; empty for the
	// platform and for resellers.
	TenantID string
}

// PrincipalKind says how a Principal authenticated.
type PrincipalKind string

// Principal kinds.
const (
	// PrincipalAPIKey is the platform API key given to WithAPIKey.
	PrincipalAPIKey PrincipalKind = "api_key"
)

// RoleSuperAdmin is the role of the platform: it sees and manages every
// tenant. The platform API key acts with it.
const RoleSuperAdmin = "super_admin"

// authenticate returns the principal of r's bearer credentials.
// Errors: core.Unauthenticated when they are missing, malformed or do not
// verify, and always when no API key is configured.
func (h *handler) authenticate(r *http.Request) (*Principal, error) {
	v := r.Header["Authorization"]
	if len(v) == 0 || v[0] == "" {
		return nil, core.Errorf(core.Unauthenticated, "the request needs an Authorization: Bearer header")
	}
	scheme, token, ok := strings.Cut(v[0], " ")
	token = strings.TrimLeft(token, " ")
	if len(v) != 1 || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, core.Errorf(core.Unauthenticated, "the Authorization header must be \"Bearer <token>\"")
	}
	// A user-token verifier (the identity domain) slots in here, before the
	// API key: the key is tried last, so a wrong token of any kind ends in
	// the same answer.
	if h.hasKey {
		sum := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(sum[:], h.keyHash[:]) == 1 {
			return &h.platform, nil
		}
	}
	return nil, core.Errorf(core.Unauthenticated, "the credentials are not valid")
}
