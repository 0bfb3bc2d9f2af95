package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/atomixplatform/atomix/core"
)

// Federated login (seed 001): an ID token from Google or Microsoft Entra ID
// is verified with github.com/coreos/go-oidc/v3 against the provider's
// discovery document and key set (cached), and signs in the user linked to
// its (provider, subject). What is checked: the signature, the issuer
// (for Entra, the "{tenantid}" form of the multi-tenant document, filled
// with the token's tid, which must be on the allow-list of directories),
// the audience (the configured client ID), the expiry, email_verified,
// Google's hosted domain (hd) against its allow-list, and the nonce when
// the client issued one. A token whose subject is linked to no user may be
// linked by its verified email to the tenant user with that email, when
// the policy allows it; a federated login never creates a user, and never
// signs in a user without a tenant (platform or reseller staff).

// FederatedProvider names an identity provider.
type FederatedProvider string

// The identity providers.
const (
	ProviderGoogle FederatedProvider = "google"
	ProviderEntra  FederatedProvider = "entra"
)

// Default issuers of the providers.
const (
	DefaultGoogleIssuer = "https://accounts.google.com"
	DefaultEntraBase    = "https://login.microsoftonline.com"
)

// FederatedConfig configures federated login.
type FederatedConfig struct {
	// Policy is read by every FederatedLogin: whether federated login is
	// on, the providers' client IDs and allow-lists, and whether linking
	// by email is allowed. Without it federated login is off.
	Policy func(ctx context.Context) (FederatedPolicy, error)
	// GoogleIssuer is Google's issuer (DefaultGoogleIssuer when empty).
	GoogleIssuer string
	// EntraBase is the Entra ID authority (DefaultEntraBase when empty):
	// discovery reads BASE/organizations/v2.0, whose issuer is
	// BASE/{tenantid}/v2.0.
	EntraBase string
	// HTTPClient fetches discovery documents and keys
	// (http.DefaultClient when nil).
	HTTPClient *http.Client
}

// FederatedPolicy is what FederatedConfig.Policy answers.
type FederatedPolicy struct {
	Off         bool
	LinkByEmail bool
	Google      ProviderPolicy
	Entra       ProviderPolicy
}

// ProviderPolicy is one provider's part of the policy.
type ProviderPolicy struct {
	Enabled  bool
	ClientID string
	// AllowedTenants (Entra) lists the directory IDs whose tokens are
	// accepted; empty accepts none.
	AllowedTenants []string
	// AllowedDomains (Google), when not empty, lists the hosted domains
	// whose tokens are accepted.
	AllowedDomains []string
}

// FederatedInput is the input of FederatedLogin.
type FederatedInput struct {
	Provider FederatedProvider
	IDToken  string
	// Nonce is the nonce the client put in its authorization request;
	// the token must carry the same. A token carrying a nonce is refused
	// without one.
	Nonce string
	// TenantID is the tenant in which linking by email looks the user
	// up; without it only an existing link signs in.
	TenantID string
}

// FederatedLink ties a provider's subject to a user.
type FederatedLink struct {
	Provider  FederatedProvider
	Subject   string
	TenantID  string
	UserID    string
	CreatedAt time.Time
}

// FederatedStore keeps the links of federated identities to users.
// Implementations live in atomix/store/...; each must pass
// atomix/store/storetest.
type FederatedStore interface {
	// GetFederatedLink returns the link of the provider's subject.
	// Errors: core.NotFound.
	GetFederatedLink(ctx context.Context, provider FederatedProvider, subject string) (FederatedLink, error)
	// CreateFederatedLink stores a new link.
	// Errors: core.Conflict when the provider's subject is linked already.
	CreateFederatedLink(ctx context.Context, l FederatedLink) error
}

// maxIDTokenLen bounds an ID token; a longer one is refused unparsed.
const maxIDTokenLen = 16 << 10

// errFederated is the one refusal of a federated login; reason is kept
// for the logs only.
func errFederated(reason string) error {
	return &core.Error{Code: core.Unauthenticated, Message: "the identity token is not accepted", Err: errors.New(reason)}
}

// federation caches the providers' discovery and keys.
type federation struct {
	mu        sync.Mutex
	providers map[string]*oidc.Provider // by discovery URL
}

func (s *Service) provider(ctx context.Context, discovery, issuer string) (*oidc.Provider, error) {
	f := s.fed
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.providers[discovery]; ok {
		return p, nil
	}
	// The key set refreshes in the background with the context given to
	// NewProvider: it must outlive the request.
	bg := context.WithoutCancel(ctx)
	if c := s.cfg.Federated.HTTPClient; c != nil {
		bg = oidc.ClientContext(bg, c)
	}
	dctx := bg
	if issuer != discovery {
		dctx = oidc.InsecureIssuerURLContext(bg, issuer)
	}
	tctx, cancel := context.WithTimeout(dctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(tctx, discovery)
	if err != nil {
		return nil, core.Wrap(err, "read the identity provider's discovery document")
	}
	// NewProvider bound its key set to tctx; make one bound to bg.
	var meta struct {
		JWKS string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil || meta.JWKS == "" {
		return nil, core.Errorf(core.Internal, "the identity provider's discovery document names no jwks_uri")
	}
	p = (&oidc.ProviderConfig{IssuerURL: issuer, JWKSURL: meta.JWKS, AuthURL: p.Endpoint().AuthURL, TokenURL: p.Endpoint().TokenURL}).NewProvider(bg)
	f.providers[discovery] = p
	return p, nil
}

// unverifiedClaim reads one string claim of a JWT without verifying it,
// to choose how to verify it.
func unverifiedClaim(token, name string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	v, _ := m[name].(string)
	return v
}

// federatedClaims are the claims read from a verified ID token.
type federatedClaims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"` // Google: bool; some issuers: "true"
	HostedDomain  string `json:"hd"`
	TenantID      string `json:"tid"`
	Nonce         string `json:"nonce"`
	// Entra puts the email in preferred_username or email; only email is
	// read, with xms_edov (email domain owner verified) for Entra.
	EmailDomainVerified any `json:"xms_edov"`
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true" || x == "1"
	case float64:
		return x == 1
	}
	return false
}

// FederatedLogin verifies an ID token of Google or Entra ID and starts a
// session for the user it is linked to: the token response of Login.
// Errors: core.Unauthenticated (one message) for every refusal of the
// token (signature, issuer, audience, expiry, directory or domain not
// allowed, email not verified, nonce) and for a token linked to no user;
// core.Invalid naming "provider" for an unknown provider; core.Forbidden
// when federated login or the provider is off; core.Internal when the
// provider cannot be reached.
func (s *Service) FederatedLogin(ctx context.Context, in FederatedInput) (TokenResponse, error) {
	pol := FederatedPolicy{Off: true}
	if s.cfg.Federated.Policy != nil {
		var err error
		if pol, err = s.cfg.Federated.Policy(ctx); err != nil {
			return TokenResponse{}, err
		}
	}
	var pp ProviderPolicy
	switch in.Provider {
	case ProviderGoogle:
		pp = pol.Google
	case ProviderEntra:
		pp = pol.Entra
	default:
		return TokenResponse{}, core.InvalidField("provider", "must be google or entra")
	}
	if pol.Off || !pp.Enabled || pp.ClientID == "" {
		return TokenResponse{}, core.Errorf(core.Forbidden, "sign-in with %s is turned off", in.Provider)
	}
	if in.IDToken == "" || len(in.IDToken) > maxIDTokenLen {
		return TokenResponse{}, errFederated("malformed")
	}
	var discovery, issuer string
	switch in.Provider {
	case ProviderGoogle:
		discovery = or(s.cfg.Federated.GoogleIssuer, DefaultGoogleIssuer)
		issuer = discovery
	case ProviderEntra:
		base := strings.TrimRight(or(s.cfg.Federated.EntraBase, DefaultEntraBase), "/")
		discovery = base + "/organizations/v2.0"
		issuer = base + "/{tenantid}/v2.0"
		// Refuse a directory outside the allow-list before any fetch.
		if tid := unverifiedClaim(in.IDToken, "tid"); !slices.Contains(pp.AllowedTenants, strings.ToLower(tid)) {
			return TokenResponse{}, errFederated("directory " + tid + " is not allowed")
		}
	}
	p, err := s.provider(ctx, discovery, issuer)
	if err != nil {
		return TokenResponse{}, err
	}
	// The provider's own key set, cached across requests.
	v := p.Verifier(&oidc.Config{
		ClientID:        pp.ClientID,
		Now:             s.now.Now,
		SkipIssuerCheck: in.Provider == ProviderEntra, // checked below, with tid
	})
	tok, err := v.Verify(ctx, in.IDToken)
	if err != nil {
		return TokenResponse{}, errFederated(err.Error())
	}
	var c federatedClaims
	if err := tok.Claims(&c); err != nil {
		return TokenResponse{}, errFederated("claims: " + err.Error())
	}
	switch in.Provider {
	case ProviderEntra:
		tid := strings.ToLower(c.TenantID)
		if !slices.Contains(pp.AllowedTenants, tid) {
			return TokenResponse{}, errFederated("directory " + tid + " is not allowed")
		}
		if want := strings.ReplaceAll(issuer, "{tenantid}", c.TenantID); tok.Issuer != want {
			return TokenResponse{}, errFederated("issuer " + tok.Issuer + " is not " + want)
		}
	case ProviderGoogle:
		if len(pp.AllowedDomains) > 0 && !slices.Contains(pp.AllowedDomains, strings.ToLower(c.HostedDomain)) {
			return TokenResponse{}, errFederated("hosted domain " + c.HostedDomain + " is not allowed")
		}
	}
	if !truthy(c.EmailVerified) {
		return TokenResponse{}, errFederated("email_verified is not true")
	}
	switch {
	case in.Nonce != "" && tok.Nonce != in.Nonce:
		return TokenResponse{}, errFederated("nonce mismatch")
	case in.Nonce == "" && tok.Nonce != "":
		return TokenResponse{}, errFederated("the token carries a nonce the request does not")
	}
	u, err := s.federatedUser(ctx, in, pol, tok.Subject, c.Email)
	if err != nil {
		return TokenResponse{}, err
	}
	if err := s.checkLoginMethod(ctx, u.TenantID, federatedOff, msgFederatedOff); err != nil {
		return TokenResponse{}, err
	}
	return s.signIn(ctx, u)
}

// federatedUser finds the user of the provider's subject, or links it by
// email when allowed. Only active tenant users sign in.
func (s *Service) federatedUser(ctx context.Context, in FederatedInput, pol FederatedPolicy, subject, email string) (User, error) {
	fs, ok := s.store.(FederatedStore)
	if !ok {
		return User{}, core.Errorf(core.Internal, "the store keeps no federated links")
	}
	l, err := fs.GetFederatedLink(ctx, in.Provider, subject)
	switch core.ErrorCode(err) {
	case "":
		u, err := s.store.GetUser(ctx, l.TenantID, l.UserID)
		if core.ErrorCode(err) == core.NotFound {
			return User{}, errFederated("the linked user is gone")
		}
		if err != nil {
			return User{}, err
		}
		if u.Status != StatusActive || u.TenantID == "" || u.Scope.Kind != ScopeTenant {
			return User{}, errFederated("the linked user may not sign in this way")
		}
		return u, nil
	case core.NotFound:
	default:
		return User{}, err
	}
	if !pol.LinkByEmail || in.TenantID == "" || email == "" || !core.ValidID(core.PrefixTenant, in.TenantID) {
		return User{}, errFederated("no user is linked to this identity")
	}
	u, err := s.store.GetUserByEmail(ctx, in.TenantID, email)
	if core.ErrorCode(err) == core.NotFound {
		return User{}, errFederated("no user of the tenant has the email")
	}
	if err != nil {
		return User{}, err
	}
	if u.Status != StatusActive || u.Scope.Kind != ScopeTenant {
		return User{}, errFederated("the user may not sign in this way")
	}
	err = fs.CreateFederatedLink(ctx, FederatedLink{Provider: in.Provider, Subject: subject, TenantID: u.TenantID, UserID: u.ID, CreatedAt: s.now.Now()})
	if err != nil && core.ErrorCode(err) != core.Conflict {
		return User{}, err
	}
	if core.ErrorCode(err) == core.Conflict {
		// A concurrent login linked it: follow the link.
		return s.federatedUser(ctx, FederatedInput{Provider: in.Provider}, FederatedPolicy{}, subject, "")
	}
	s.log.InfoContext(ctx, "identity: federated identity linked by email", "provider", string(in.Provider), "tenant", u.TenantID, "user", u.ID)
	return u, nil
}
