package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

// Principal is the authenticated caller of a request. Handlers read it with
// PrincipalFrom. It is the platform API key (acting as the super admin), or
// a user signed in with an access token.
type Principal struct {
	// Kind says how the caller authenticated.
	Kind PrincipalKind
	// ID names the caller: "platform" for the platform API key, the user
	// ID ("usr_...") for a user.
	ID string
	// Role is the caller's role, such as RoleSuperAdmin.
	Role string
	// TenantID is the tenant a tenant user belongs to; empty for the
	// platform and for resellers.
	TenantID string
	// Scope is where the caller works: the platform, a distributor, a
	// partner or a tenant ({ScopePlatform, ""} for the API key).
	Scope identity.Scope
	// SessionID is the session (refresh-token family) a user's access
	// token was issued in; empty for the API key.
	SessionID string
}

// PrincipalKind says how a Principal authenticated.
type PrincipalKind string

// Principal kinds.
const (
	// PrincipalAPIKey is the platform API key given to WithAPIKey.
	PrincipalAPIKey PrincipalKind = "api_key"
	// PrincipalUser is a user bearing an access token of the platform's
	// identity service (atomix.WithIdentity).
	PrincipalUser PrincipalKind = "user"
)

// RoleSuperAdmin is the role of the platform: it sees and manages every
// tenant. The platform API key acts with it.
const RoleSuperAdmin = "super_admin"

// SuperAdmin reports whether p acts for the whole platform: the API key,
// or a platform user with the super_admin role.
func (p Principal) SuperAdmin() bool {
	return p.Kind == PrincipalAPIKey || (p.Role == RoleSuperAdmin && p.Scope.Kind == identity.ScopePlatform)
}

// errCredentials is the one answer to credentials that do not verify,
// whatever was wrong with them; the reason goes to the log only.
func errCredentials(reason error) error {
	return &core.Error{Code: core.Unauthenticated, Message: "the credentials are not valid", Err: reason}
}

// authenticate returns the principal of r's bearer credentials: the
// platform API key, or an access token that the identity service verifies.
// Every refusal is logged with its reason (at level Warn), and answered
// with one message that tells nothing of it.
// Errors: core.Unauthenticated when the credentials are missing, malformed
// or do not verify; core.Internal when the signing keys cannot be read.
func (h *handler) authenticate(c *call, r *http.Request) (*Principal, error) {
	p, err := h.credentials(r)
	if err != nil && core.ErrorCode(err) == core.Unauthenticated {
		reason := err.Error()
		var ce *core.Error
		if errors.As(err, &ce) && ce.Err != nil {
			reason = ce.Err.Error()
		}
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "authentication refused",
			slog.String("requestId", c.requestID),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("reason", reason),
		)
	}
	return p, err
}

func (h *handler) credentials(r *http.Request) (*Principal, error) {
	v := r.Header["Authorization"]
	if len(v) == 0 || v[0] == "" {
		return nil, &core.Error{Code: core.Unauthenticated, Message: "the request needs an Authorization: Bearer header", Err: errors.New("no Authorization header")}
	}
	scheme, token, ok := strings.Cut(v[0], " ")
	token = strings.TrimLeft(token, " ")
	if len(v) != 1 || !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, &core.Error{Code: core.Unauthenticated, Message: "the Authorization header must be \"Bearer <token>\"", Err: errors.New("malformed Authorization header")}
	}
	if h.hasKey {
		sum := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(sum[:], h.keyHash[:]) == 1 {
			return &h.platform, nil
		}
	}
	svc := h.p.Identity()
	switch {
	case svc != nil && strings.Count(token, ".") == 2:
		claims, err := svc.VerifyAccessToken(r.Context(), token)
		if core.ErrorCode(err) == core.Unauthenticated {
			return nil, errCredentials(err)
		}
		if err != nil {
			return nil, err
		}
		return &Principal{
			Kind:      PrincipalUser,
			ID:        claims.Subject,
			Role:      string(claims.Role),
			TenantID:  claims.TenantID,
			Scope:     claims.Scope,
			SessionID: claims.SessionID,
		}, nil
	case svc == nil:
		return nil, errCredentials(errors.New("not the API key, and no identity service verifies access tokens"))
	}
	return nil, errCredentials(errors.New("neither the API key nor a JWT"))
}

// opAccess is who may call an operation before its handler runs. The
// library checks the actor of every operation it serves (atomix's
// access control); this table is the safety net in front of it.
type opAccess int

const (
	// accessSuperAdmin: the platform API key or a super_admin user; the
	// default of every operation not listed in accessOf.
	accessSuperAdmin opAccess = iota
	// accessAnyone: any authenticated caller.
	accessAnyone
	// accessSelf: the user the path's {userId} names, or the super admin;
	// to anybody else the user does not exist.
	accessSelf
	// accessLibrary: any authenticated caller; the Platform method the
	// handler calls allows or refuses it by the caller's role, scope and
	// permissions.
	accessLibrary
)

// accessOf returns who may call the operation. An operation not listed
// needs the super admin, so a new platform endpoint is safe by default.
func accessOf(operationID string) opAccess {
	switch operationID {
	case "listAtoms", "getAtom", "logout":
		return accessAnyone
	case "changePassword", "enrollTOTP", "verifyTOTP":
		return accessSelf
	case "listTenants", "createTenant", "getTenant", "updateTenant", "deleteTenant",
		"suspendTenant", "activateTenant", "cancelTenant",
		"listTenantAtoms", "installAtom", "updateTenantAtom", "uninstallAtom",
		"listDistributors", "createDistributor", "getDistributor", "updateDistributor", "deleteDistributor",
		"listPartners", "createPartner", "getPartner", "updatePartner", "deletePartner",
		"moveTenant", "listTenantOwners", "listCustomers", "createCustomer", "deleteCustomer",
		"listUsers", "createUser", "getUser", "updateUser", "deleteUser", "setUserPermissions", "setUserRole", "listRoles", "createRole",
		"listAudit", "getTenantSettings", "updateTenantSettings",
		// Billing: the library refuses plans, pricing, runs and invoice
		// moves outside the platform (403), and scopes the rest.
		"listPlans", "createPlan", "getPlan", "updatePlan", "deletePlan", "listPricing", "createPricing",
		"listSubscriptions", "createSubscription", "getTenantSubscription", "updateTenantSubscription",
		"ingestUsage", "getTenantUsage", "runBilling", "getBillingSummary",
		"listInvoices", "getInvoice", "finalizeInvoice", "payInvoice", "voidInvoice", "markInvoiceUncollectible",
		// Commissions: the library refuses plans, assignments, runs, the
		// reconciliation and closing outside the platform (403), and
		// scopes statements and summaries.
		"getCommissionSummary", "listCommissionStatements", "getCommissionStatement", "closeCommissionStatement",
		"getCommissionReconciliation", "runCommissions", "listCommissionPlans", "createCommissionPlan",
		"getCommissionPlan", "addCommissionVersion", "setDistributorCommissionPlan", "setPartnerCommissionPlan":
		return accessLibrary
	}
	return accessSuperAdmin
}

// authorize checks that p may call the operation of rt on r.
// Errors: core.Forbidden; core.NotFound for another user's path.
func authorize(rt *route, p *Principal, r *http.Request) error {
	if p.SuperAdmin() {
		return nil
	}
	switch accessOf(rt.operationID) {
	case accessAnyone, accessLibrary:
		return nil
	case accessSelf:
		if id := r.PathValue("userId"); p.Kind != PrincipalUser || p.ID != id {
			return core.Errorf(core.NotFound, "user %q not found", id)
		}
		return nil
	}
	return core.Errorf(core.Forbidden, "this operation needs the platform's super admin")
}

// admit authenticates r, counts it against its rate limit (ratelimit.go)
// and checks that its caller may call rt; it returns r with the principal
// in its context.
// Errors: those of authenticate and authorize; core.RateLimited.
func (h *handler) admit(c *call, r *http.Request, rt *route) (*http.Request, error) {
	p, err := h.authenticate(c, r)
	if h.limits != nil && (err == nil || core.ErrorCode(err) == core.Unauthenticated) {
		if lerr := h.limitPrincipal(c, r, p); lerr != nil {
			return r, lerr
		}
	}
	if err != nil {
		return r, err
	}
	if err := authorize(rt, p, r); err != nil {
		return r, err
	}
	a, err := h.actor(r.Context(), p)
	if err != nil {
		return r, err
	}
	return r.WithContext(access.WithActor(withPrincipal(r.Context(), p), a)), nil
}

// actor returns the access.Actor of p, which the Platform methods read
// from the context: the platform API key acts as the super admin; a user
// is read from the store, so that a revoked grant or a disabled user
// applies to the access tokens issued before.
// Errors: core.Unauthenticated for a user that is gone or disabled; those
// of the store.
func (h *handler) actor(ctx context.Context, p *Principal) (access.Actor, error) {
	if p.Kind == PrincipalAPIKey {
		a := access.System()
		a.Kind, a.ID = access.ActorAPIKey, p.ID
		return a, nil
	}
	a, err := h.p.ActorForUser(ctx, p.ID)
	if core.ErrorCode(err) == core.Unauthenticated {
		return a, errCredentials(err)
	}
	return a, err
}

// principal returns the caller of an authenticated request.
func principal(ctx context.Context) Principal {
	p, _ := PrincipalFrom(ctx)
	return p
}
