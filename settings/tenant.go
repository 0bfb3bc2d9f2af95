package settings

import (
	"context"
	"encoding/json"
	"time"

	"github.com/atomixplatform/atomix/core"
)

// TenantSettings are one tenant's own settings: its branding, and which
// login methods its users may use. A tenant can only narrow what the
// platform allows: a method is on for its users when both the platform's
// settings and the tenant's have it on (Effective).
type TenantSettings struct {
	TenantID string         `json:"tenantId"`
	Branding Branding       `json:"branding"`
	Identity TenantIdentity `json:"identity"`
	// Version counts the changes; 0 until the first.
	Version   int        `json:"version"`
	UpdatedAt *time.Time `json:"updatedAt"`
}

// TenantIdentity is a tenant's identity overrides.
type TenantIdentity struct {
	// LoginMethods are the methods the tenant keeps on; all on by default,
	// so that a tenant follows the platform until it turns one off.
	LoginMethods LoginMethods `json:"loginMethods"`
	// Effective is what the tenant's users may use now: the tenant's
	// methods that the platform has on too. It is computed on every read
	// and never stored.
	Effective LoginMethods `json:"effectiveLoginMethods"`
}

// TenantPatch changes some of a tenant's settings; nil fields are left as
// they are.
type TenantPatch struct {
	Branding *BrandingPatch       `json:"branding"`
	Identity *TenantIdentityPatch `json:"identity"`
}

// TenantIdentityPatch changes TenantIdentity.
type TenantIdentityPatch struct {
	LoginMethods *LoginMethodsPatch `json:"loginMethods"`
}

// DefaultTenant returns a tenant's settings before any change: no
// branding of its own, every login method the platform allows.
func DefaultTenant(tenantID string) TenantSettings {
	return TenantSettings{
		TenantID: tenantID,
		Identity: TenantIdentity{LoginMethods: LoginMethods{Password: true, OTP: true, Federated: true}},
	}
}

// Apply returns s with p applied, not yet validated.
func (s TenantSettings) Apply(p TenantPatch) TenantSettings {
	if b := p.Branding; b != nil {
		set(&s.Branding.DisplayName, b.DisplayName)
		set(&s.Branding.LogoURL, b.LogoURL)
		set(&s.Branding.PrimaryColor, b.PrimaryColor)
	}
	if i := p.Identity; i != nil && i.LoginMethods != nil {
		m := i.LoginMethods
		set(&s.Identity.LoginMethods.Password, m.Password)
		set(&s.Identity.LoginMethods.OTP, m.OTP)
		set(&s.Identity.LoginMethods.Federated, m.Federated)
	}
	return s
}

// Within returns what of the tenant's login methods the platform's
// settings allow.
func (s TenantSettings) Within(platform Settings) LoginMethods {
	t, p := s.Identity.LoginMethods, platform.Identity.LoginMethods
	return LoginMethods{Password: t.Password && p.Password, OTP: t.OTP && p.OTP, Federated: t.Federated && p.Federated}
}

// Validate checks the tenant's settings against the platform's and names
// each bad field (wire names): the branding as the platform's, and at
// least one login method the platform allows must stay on, so that a
// tenant cannot lock its own users out. Errors: core.Invalid with fields.
func (s TenantSettings) Validate(platform Settings) error {
	f := Settings{Branding: s.Branding}.validateBranding()
	if m := s.Within(platform); !m.Password && !m.OTP && !m.Federated {
		f.Add("identity.loginMethods", "at least one login method the platform allows must stay on")
	}
	return f.Err()
}

// TenantRecord is the stored form of a tenant's settings.
type TenantRecord struct {
	TenantID  string
	Doc       []byte // the TenantSettings as JSON: branding and login methods
	Version   int
	UpdatedAt time.Time
}

// tenantDoc is what a TenantRecord's Doc holds.
type tenantDoc struct {
	Branding     Branding     `json:"branding"`
	LoginMethods LoginMethods `json:"loginMethods"`
}

// GetTenant returns the tenant's settings, DefaultTenant until its first
// change, with Effective computed against the platform's settings now.
// The caller checks that the tenant exists. Errors: core.Internal.
func (s *Service) GetTenant(ctx context.Context, tenantID string) (TenantSettings, error) {
	platform, err := s.Get(ctx)
	if err != nil {
		return TenantSettings{}, err
	}
	out, err := s.getTenant(ctx, tenantID)
	if err != nil {
		return TenantSettings{}, err
	}
	out.Identity.Effective = out.Within(platform)
	return out, nil
}

func (s *Service) getTenant(ctx context.Context, tenantID string) (TenantSettings, error) {
	out := DefaultTenant(tenantID)
	r, err := s.store.GetTenantSettings(ctx, tenantID)
	if core.ErrorCode(err) == core.NotFound {
		return out, nil
	}
	if err != nil {
		return TenantSettings{}, err
	}
	doc := tenantDoc{Branding: out.Branding, LoginMethods: out.Identity.LoginMethods}
	if err := json.Unmarshal(r.Doc, &doc); err != nil {
		return TenantSettings{}, core.Wrap(err, "decode the stored tenant settings")
	}
	out.Branding, out.Identity.LoginMethods = doc.Branding, doc.LoginMethods
	out.Version = r.Version
	at := r.UpdatedAt.UTC()
	out.UpdatedAt = &at
	return out, nil
}

// UpdateTenant applies p to the tenant's settings, validates the result
// against the platform's settings and stores it; concurrent updates are
// applied one after the other. The caller checks that the tenant exists.
// Errors: core.Invalid with fields (wire names); core.Conflict when
// concurrent updates keep winning; core.Internal.
func (s *Service) UpdateTenant(ctx context.Context, tenantID string, p TenantPatch) (TenantSettings, error) {
	platform, err := s.Get(ctx)
	if err != nil {
		return TenantSettings{}, err
	}
	for range putAttempts {
		cur, err := s.getTenant(ctx, tenantID)
		if err != nil {
			return TenantSettings{}, err
		}
		next := cur.Apply(p)
		if err := next.Validate(platform); err != nil {
			return TenantSettings{}, err
		}
		doc, err := json.Marshal(tenantDoc{Branding: next.Branding, LoginMethods: next.Identity.LoginMethods})
		if err != nil {
			return TenantSettings{}, core.Wrap(err, "encode the tenant settings")
		}
		at := s.now().UTC().Truncate(time.Microsecond)
		r := TenantRecord{TenantID: tenantID, Doc: doc, Version: cur.Version + 1, UpdatedAt: at}
		err = s.store.PutTenantSettings(ctx, r)
		if core.ErrorCode(err) == core.Conflict {
			continue
		}
		if err != nil {
			return TenantSettings{}, err
		}
		next.Version, next.UpdatedAt = r.Version, &at
		next.Identity.Effective = next.Within(platform)
		return next, nil
	}
	return TenantSettings{}, core.Errorf(core.Conflict, "the tenant's settings changed concurrently; try again")
}
