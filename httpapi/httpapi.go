package httpapi

import (
	"crypto/sha256"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultPrefix is the path prefix New serves under when WithPrefix is not
// given.
const DefaultPrefix = "/v1"

// Option configures the handler New returns.
type Option func(*config)

type config struct {
	prefix  string
	hasKey  bool
	keyHash [sha256.Size]byte
	logger  *slog.Logger
	metrics prometheus.Registerer // metrics.go
	limits  *RateLimits           // ratelimit.go
	// extra routes are mounted after the route table. Only the package's
	// tests set them (see export_test.go); no exported Option does.
	extra []route
}

// WithPrefix sets the path prefix the handler serves under, such as
// "/platform/v1" (default "/v1"). The embedder mounts the handler on the
// same prefix with a trailing slash: mux.Handle("/platform/v1/", h). A
// trailing slash on prefix is ignored; "" or "/" serves at the root.
// New panics when prefix holds a character other than letters, digits and
// "/-._~".
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithAPIKey sets the platform API key: a request bearing
// "Authorization: Bearer <key>" acts as the platform (super admin). Only the
// key's SHA-256 hash is kept, and it is compared in constant time. An empty
// key configures none. Users sign in with access tokens when the platform
// has an identity service (atomix.WithIdentity); with neither, every
// authenticated endpoint answers 401.
func WithAPIKey(key string) Option {
	// Hash now, so that the returned closure does not hold the key.
	has := key != ""
	var sum [sha256.Size]byte
	if has {
		sum = sha256.Sum256([]byte(key))
	}
	return func(c *config) {
		c.hasKey = has
		c.keyHash = sum
	}
}

// WithLogger sets the logger for access logs (level Info), internal errors
// and recovered panics (level Error). The default discards everything; a nil
// logger restores the default.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// handler is the http.Handler New returns. It is immutable after New and
// safe for concurrent use.
type handler struct {
	p       *atomix.Platform
	prefix  string // "" or "/..." without a trailing slash
	hasKey  bool
	keyHash [sha256.Size]byte
	// platform is the principal of a request bearing the platform API key.
	platform Principal
	log      *slog.Logger
	metrics  *metrics // nil without WithMetrics; metrics.go
	limits   *limits  // nil without WithRateLimits; ratelimit.go
	keyID    string   // names the API key's rate-limit bucket: part of its hash
	mux      *http.ServeMux
	// routes lists every route mounted, in table order.
	routes []route
	// catchAll holds the mux patterns that answer unknown routes.
	catchAll map[string]bool
	doc      []byte // the OpenAPI document served at /swagger.json
	bufs     sync.Pool
	shapes   shapes
	rshapes  resellerShapes   // resellers.go
	ishapes  identityShapes   // auth_endpoints.go
	bshapes  billingShapes    // billing.go
	cshapes  commissionShapes // commissions.go
	swagger  swaggerUI        // swagger.go
}

// route is one row of the route table: one operation of the OpenAPI
// document.
type route struct {
	method      string
	pattern     string // relative to the prefix, in ServeMux and OpenAPI syntax
	operationID string // the operationId in openapi.json
	public      bool   // served without authentication
	handle      func(h *handler, c *call, r *http.Request) error
}

// routes is the route table: New mounts exactly these, and the tests check
// that openapi.json documents exactly these.
func routes() []route {
	return []route{
		{http.MethodGet, "/tenants", "listTenants", false, (*handler).listTenants},
		{http.MethodPost, "/tenants", "createTenant", false, (*handler).createTenant},
		{http.MethodGet, "/tenants/{tenantId}", "getTenant", false, (*handler).getTenant},
		{http.MethodPatch, "/tenants/{tenantId}", "updateTenant", false, (*handler).updateTenant},
		{http.MethodDelete, "/tenants/{tenantId}", "deleteTenant", false, (*handler).deleteTenant},
		{http.MethodPost, "/tenants/{tenantId}/suspend", "suspendTenant", false, (*handler).suspendTenant},
		{http.MethodPost, "/tenants/{tenantId}/activate", "activateTenant", false, (*handler).activateTenant},
		{http.MethodPost, "/tenants/{tenantId}/cancel", "cancelTenant", false, (*handler).cancelTenant},
		{http.MethodGet, "/atoms", "listAtoms", false, (*handler).listAtoms},
		{http.MethodGet, "/atoms/{atomId}", "getAtom", false, (*handler).getAtom},
		{http.MethodGet, "/tenants/{tenantId}/atoms", "listTenantAtoms", false, (*handler).listTenantAtoms},
		{http.MethodPost, "/tenants/{tenantId}/atoms", "installAtom", false, (*handler).installAtom},
		{http.MethodPatch, "/tenants/{tenantId}/atoms/{atomId}", "updateTenantAtom", false, (*handler).updateTenantAtom},
		{http.MethodDelete, "/tenants/{tenantId}/atoms/{atomId}", "uninstallAtom", false, (*handler).uninstallAtom},
		{http.MethodGet, "/distributors", "listDistributors", false, (*handler).listDistributors},
		{http.MethodPost, "/distributors", "createDistributor", false, (*handler).createDistributor},
		{http.MethodGet, "/distributors/{distributorId}", "getDistributor", false, (*handler).getDistributor},
		{http.MethodPatch, "/distributors/{distributorId}", "updateDistributor", false, (*handler).updateDistributor},
		{http.MethodDelete, "/distributors/{distributorId}", "deleteDistributor", false, (*handler).deleteDistributor},
		{http.MethodGet, "/partners", "listPartners", false, (*handler).listPartners},
		{http.MethodPost, "/partners", "createPartner", false, (*handler).createPartner},
		{http.MethodGet, "/partners/{partnerId}", "getPartner", false, (*handler).getPartner},
		{http.MethodPatch, "/partners/{partnerId}", "updatePartner", false, (*handler).updatePartner},
		{http.MethodDelete, "/partners/{partnerId}", "deletePartner", false, (*handler).deletePartner},
		{http.MethodPost, "/tenants/{tenantId}/owner", "moveTenant", false, (*handler).moveTenant},
		{http.MethodGet, "/tenants/{tenantId}/owners", "listTenantOwners", false, (*handler).listTenantOwners},
		{http.MethodGet, "/customers", "listCustomers", false, (*handler).listCustomers},
		{http.MethodPost, "/customers", "createCustomer", false, (*handler).createCustomer},
		{http.MethodDelete, "/customers/{tenantId}", "deleteCustomer", false, (*handler).deleteCustomer},
		{http.MethodPost, "/auth/login", "login", true, (*handler).login},
		{http.MethodPost, "/auth/refresh", "refreshTokens", true, (*handler).refresh},
		{http.MethodPost, "/auth/logout", "logout", false, (*handler).logout},
		{http.MethodPost, "/auth/password/set", "setPassword", true, (*handler).setPassword},
		{http.MethodPost, "/auth/otp/send", "sendOTP", true, (*handler).sendOTP},
		{http.MethodPost, "/auth/otp/verify", "verifyOTP", true, (*handler).verifyOTP},
		{http.MethodPost, "/auth/federated", "federatedLogin", true, (*handler).federatedLogin},
		{http.MethodGet, "/settings", "getSettings", false, (*handler).getSettings},
		{http.MethodPatch, "/settings", "updateSettings", false, (*handler).updateSettings},
		{http.MethodGet, "/tenants/{tenantId}/settings", "getTenantSettings", false, (*handler).getTenantSettings},
		{http.MethodPatch, "/tenants/{tenantId}/settings", "updateTenantSettings", false, (*handler).updateTenantSettings},
		{http.MethodGet, "/.well-known/jwks.json", "getJWKS", true, (*handler).jwks},
		{http.MethodPost, "/users/{userId}/password", "changePassword", false, (*handler).changePassword},
		{http.MethodPost, "/users/{userId}/totp", "enrollTOTP", false, (*handler).enrollTOTP},
		{http.MethodPost, "/users/{userId}/totp/verify", "verifyTOTP", false, (*handler).verifyTOTP},
		{http.MethodGet, "/tenants/{tenantId}/users", "listUsers", false, (*handler).listUsers},
		{http.MethodPost, "/tenants/{tenantId}/users", "createUser", false, (*handler).createUser},
		{http.MethodGet, "/users/{userId}", "getUser", false, (*handler).getUser},
		{http.MethodPatch, "/users/{userId}", "updateUser", false, (*handler).updateUser},
		{http.MethodDelete, "/users/{userId}", "deleteUser", false, (*handler).deleteUser},
		{http.MethodPatch, "/users/{userId}/permissions", "setUserPermissions", false, (*handler).setUserPermissions},
		{http.MethodPut, "/users/{userId}/role", "setUserRole", false, (*handler).setUserRole},
		{http.MethodGet, "/roles", "listRoles", false, (*handler).listRoles},
		{http.MethodPost, "/roles", "createRole", false, (*handler).createRole},
		{http.MethodGet, "/audit", "listAudit", false, (*handler).listAudit},
		{http.MethodGet, "/billing/plans", "listPublicPlans", true, (*handler).listPublicPlans},
		{http.MethodGet, "/plans", "listPlans", false, (*handler).listPlans},
		{http.MethodPost, "/plans", "createPlan", false, (*handler).createPlan},
		{http.MethodGet, "/plans/{planId}", "getPlan", false, (*handler).getPlan},
		{http.MethodPut, "/plans/{planId}", "updatePlan", false, (*handler).updatePlan},
		{http.MethodDelete, "/plans/{planId}", "deletePlan", false, (*handler).deletePlan},
		{http.MethodGet, "/pricing", "listPricing", false, (*handler).listPricing},
		{http.MethodPost, "/pricing", "createPricing", false, (*handler).createPricing},
		{http.MethodGet, "/subscriptions", "listSubscriptions", false, (*handler).listSubscriptions},
		{http.MethodPost, "/subscriptions", "createSubscription", false, (*handler).createSubscription},
		{http.MethodGet, "/tenants/{tenantId}/subscription", "getTenantSubscription", false, (*handler).getTenantSubscription},
		{http.MethodPut, "/tenants/{tenantId}/subscription", "updateTenantSubscription", false, (*handler).updateTenantSubscription},
		{http.MethodPost, "/usage", "ingestUsage", false, (*handler).ingestUsage},
		{http.MethodGet, "/tenants/{tenantId}/usage", "getTenantUsage", false, (*handler).getTenantUsage},
		{http.MethodPost, "/billing/runs", "runBilling", false, (*handler).runBilling},
		{http.MethodGet, "/billing/summary", "getBillingSummary", false, (*handler).getBillingSummary},
		{http.MethodGet, "/invoices", "listInvoices", false, (*handler).listInvoices},
		{http.MethodGet, "/invoices/{invoiceId}", "getInvoice", false, (*handler).getInvoice},
		{http.MethodPost, "/invoices/{invoiceId}/finalize", "finalizeInvoice", false, (*handler).finalizeInvoice},
		{http.MethodPost, "/invoices/{invoiceId}/pay", "payInvoice", false, (*handler).payInvoice},
		{http.MethodPost, "/invoices/{invoiceId}/void", "voidInvoice", false, (*handler).voidInvoice},
		{http.MethodPost, "/invoices/{invoiceId}/mark-uncollectible", "markInvoiceUncollectible", false, (*handler).markInvoiceUncollectible},
		{http.MethodGet, "/commissions/summary", "getCommissionSummary", false, (*handler).getCommissionSummary},
		{http.MethodGet, "/commissions/statements", "listCommissionStatements", false, (*handler).listCommissionStatements},
		{http.MethodGet, "/commissions/statements/{statementId}", "getCommissionStatement", false, (*handler).getCommissionStatement},
		{http.MethodPost, "/commissions/statements/{statementId}/close", "closeCommissionStatement", false, (*handler).closeCommissionStatement},
		{http.MethodGet, "/commissions/reconciliation", "getCommissionReconciliation", false, (*handler).getCommissionReconciliation},
		{http.MethodPost, "/commissions/runs", "runCommissions", false, (*handler).runCommissions},
		{http.MethodGet, "/commissions/plans", "listCommissionPlans", false, (*handler).listCommissionPlans},
		{http.MethodPost, "/commissions/plans", "createCommissionPlan", false, (*handler).createCommissionPlan},
		{http.MethodGet, "/commissions/plans/{planId}", "getCommissionPlan", false, (*handler).getCommissionPlan},
		{http.MethodPost, "/commissions/plans/{planId}/versions", "addCommissionVersion", false, (*handler).addCommissionVersion},
		{http.MethodPut, "/distributors/{distributorId}/commission-plan", "setDistributorCommissionPlan", false, (*handler).setDistributorCommissionPlan},
		{http.MethodPut, "/partners/{partnerId}/commission-plan", "setPartnerCommissionPlan", false, (*handler).setPartnerCommissionPlan},
		{http.MethodGet, "/swagger.json", "getOpenAPIDocument", true, (*handler).openAPIDocument},
		{http.MethodGet, "/swagger", "getSwaggerUI", true, (*handler).swaggerPage},
		{http.MethodGet, "/swagger/{file}", "getSwaggerUIAsset", true, (*handler).swaggerAsset},
	}
}

// New returns the REST API of p as an http.Handler serving the paths under
// the prefix (see WithPrefix). It registers nothing outside itself. Unknown
// paths answer 404 and known paths with another method 405, both as problem
// details.
//
// New panics when p is nil or the prefix is malformed: both are programming
// errors, as with http.ServeMux.Handle.
func New(p *atomix.Platform, opts ...Option) http.Handler {
	if p == nil {
		panic("httpapi: New needs a platform")
	}
	c := config{prefix: DefaultPrefix}
	for _, o := range opts {
		o(&c)
	}
	prefix, ok := cleanPrefix(c.prefix)
	if !ok {
		panic("httpapi: malformed prefix " + c.prefix)
	}
	h := &handler{
		p:        p,
		prefix:   prefix,
		hasKey:   c.hasKey,
		keyHash:  c.keyHash,
		platform: Principal{Kind: PrincipalAPIKey, ID: "platform", Role: RoleSuperAdmin, Scope: identity.Scope{Kind: identity.ScopePlatform}},
		log:      c.logger,
		mux:      http.NewServeMux(),
		catchAll: make(map[string]bool),
		doc:      buildDocument(prefix),
		shapes:   newShapes(),
		rshapes:  newResellerShapes(),
		ishapes:  newIdentityShapes(),
		bshapes:  newBillingShapes(),
		cshapes:  newCommissionShapes(),
		swagger:  newSwaggerUI(prefix),
	}
	h.limits = newLimits(c.limits)
	if h.hasKey {
		h.keyID = keyIDOf(h.keyHash[:])
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case !h.hasKey && p.Identity() == nil:
		h.log.Warn("httpapi: no API key is configured and the platform has no identity service; every authenticated endpoint answers 401")
	case !h.hasKey:
		h.log.Warn("httpapi: no API key is configured; only users' access tokens authenticate")
	}
	h.bufs.New = func() any {
		b := make([]byte, 0, 4096)
		return &b
	}
	for _, rt := range append(routes(), c.extra...) {
		h.mount(rt)
	}
	if c.metrics != nil {
		h.metrics = newMetrics(c.metrics, h.routes)
	}
	h.mountCatchAll(prefix + "/")
	if prefix != "" {
		h.mountCatchAll("/")
	}
	return h
}

// cleanPrefix trims trailing slashes, adds a leading one, and reports
// whether the prefix is made of segments of unreserved URL characters, none
// empty, "." or "..".
func cleanPrefix(p string) (string, bool) {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "", true
	}
	if p[0] != '/' {
		p = "/" + p
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '/' || c == '-' || c == '.' || c == '_' || c == '~':
		default:
			return "", false
		}
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
	}
	return p, true
}

func (h *handler) mount(rt route) {
	name := rt.method + " " + rt.pattern
	h.mux.HandleFunc(rt.method+" "+h.prefix+rt.pattern, func(w http.ResponseWriter, r *http.Request) {
		c := w.(*call)
		c.route = name
		if rt.public && h.limits != nil {
			if err := h.limitPublic(c, r, &rt); err != nil {
				h.writeError(c, r, err)
				return
			}
		}
		if !rt.public {
			var err error
			if r, err = h.admit(c, r, &rt); err != nil {
				h.writeError(c, r, err)
				return
			}
		}
		if err := rt.handle(h, c, r); err != nil {
			h.writeError(c, r, err)
		}
	})
	h.routes = append(h.routes, rt)
}

func (h *handler) mountCatchAll(pattern string) {
	h.catchAll[pattern] = true
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		h.writeError(w.(*call), r, h.noRoute(w, r))
	})
}

// probeMethods are the methods tried to fill the Allow header of a 405.
var probeMethods = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
}

// noRoute returns the error for a request no route matches: 405 with an
// Allow header when another method would match the path, else 404.
func (h *handler) noRoute(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range probeMethods {
		if m == r.Method {
			continue
		}
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := h.mux.Handler(probe); pattern != "" && !h.catchAll[pattern] {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return &core.Error{Code: CodeMethodNotAllowed, Message: "method " + r.Method + " is not allowed here; use " + strings.Join(allow, ", ")}
	}
	return core.Errorf(core.NotFound, "no route for %s", r.URL.Path)
}
