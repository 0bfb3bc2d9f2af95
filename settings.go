package atomix

import (
	"context"

	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/settings"
	"github.com/atomixplatform/atomix/store"
)

// The platform's settings permissions. Only platform actors reach the
// platform's settings: the super admin, or a platform user granted
// settings:view or settings:edit (settings:* for both).
const (
	PermSettingsView = "settings:view"
	PermSettingsEdit = "settings:edit"
)

// Settings returns the platform's settings: branding, licensing and
// identity configuration, read from the store on every call so that a
// change takes effect at once on every instance.
// Errors: core.Unauthenticated without an actor; core.Forbidden for an
// actor that is not the platform's or lacks settings:view.
func (p *Platform) Settings(ctx context.Context) (settings.Settings, error) {
	if err := needPlatform(ctx, PermSettingsView); err != nil {
		return settings.Settings{}, err
	}
	return settings.NewService(p.store, p.now).Get(ctx)
}

// UpdateSettings changes the fields of the platform's settings that patch
// gives, validates the whole and stores it as a new version; the call is
// written to the audit log.
// Errors: core.Unauthenticated without an actor; core.Forbidden for an
// actor that is not the platform's or lacks settings:edit; core.Invalid
// naming every bad field.
func (p *Platform) UpdateSettings(ctx context.Context, patch settings.Patch) (settings.Settings, error) {
	ctx, done := p.audited(ctx, "settings.update")
	out, err := p.doUpdateSettings(ctx, patch)
	done("settings", "", err)
	return out, err
}

// doUpdateSettings is UpdateSettings without its audit record.
func (p *Platform) doUpdateSettings(ctx context.Context, patch settings.Patch) (settings.Settings, error) {
	if err := needPlatform(ctx, PermSettingsEdit); err != nil {
		return settings.Settings{}, err
	}
	return settings.NewService(p.store, p.now).Update(ctx, patch)
}

// otpPolicy reads the identity settings for every OTP send and verify:
// whether OTP login is on, the code's length and its lifetime.
func otpPolicy(st store.Store) func(ctx context.Context) (identity.OTPPolicy, error) {
	svc := settings.NewService(st, nil)
	return func(ctx context.Context) (identity.OTPPolicy, error) {
		s, err := svc.Get(ctx)
		if err != nil {
			return identity.OTPPolicy{}, err
		}
		return identity.OTPPolicy{
			Off:      !s.Identity.LoginMethods.OTP,
			Length:   s.Identity.OTP.Length,
			Lifetime: s.Identity.OTP.Lifetime(),
		}, nil
	}
}

// federatedPolicy reads the identity settings for every federated login:
// whether it is on, the providers' client IDs and allow-lists, and whether
// linking by email is allowed.
func federatedPolicy(st store.Store) func(ctx context.Context) (identity.FederatedPolicy, error) {
	svc := settings.NewService(st, nil)
	provider := func(p settings.Provider) identity.ProviderPolicy {
		return identity.ProviderPolicy{Enabled: p.Enabled, ClientID: p.ClientID, AllowedTenants: p.AllowedTenants, AllowedDomains: p.AllowedDomains}
	}
	return func(ctx context.Context) (identity.FederatedPolicy, error) {
		s, err := svc.Get(ctx)
		if err != nil {
			return identity.FederatedPolicy{}, err
		}
		id := s.Identity
		return identity.FederatedPolicy{
			Off:         !id.LoginMethods.Federated,
			LinkByEmail: id.LinkByEmail,
			Google:      provider(id.Providers.Google),
			Entra:       provider(id.Providers.Entra),
		}, nil
	}
}

// loginPolicy reads the identity settings for every password login of a
// tenant user: the platform's, narrowed by the tenant's own.
func loginPolicy(st store.Store) func(ctx context.Context, tenantID string) (identity.LoginPolicy, error) {
	svc := settings.NewService(st, nil)
	return func(ctx context.Context, tenantID string) (identity.LoginPolicy, error) {
		s, err := svc.GetTenant(ctx, tenantID)
		if err != nil {
			return identity.LoginPolicy{}, err
		}
		e := s.Identity.Effective
		return identity.LoginPolicy{PasswordOff: !e.Password, OTPOff: !e.OTP, FederatedOff: !e.Federated}, nil
	}
}

// TenantSettings returns the tenant's own settings: its branding, the
// login methods it keeps on, and those its users may use now (the ones the
// platform allows too).
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without tenant:view.
func (p *Platform) TenantSettings(ctx context.Context, tenantID string) (settings.TenantSettings, error) {
	if _, _, err := p.reachTenant(ctx, PermTenantView, tenantID); err != nil {
		return settings.TenantSettings{}, err
	}
	return settings.NewService(p.store, p.now).GetTenant(ctx, tenantID)
}

// UpdateTenantSettings changes the fields of the tenant's settings that
// patch gives, validates the whole against the platform's settings (at
// least one login method the platform allows stays on) and stores it; the
// change applies to the tenant's next login at once. The call is written
// to the audit log.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without tenant:edit; core.Invalid naming every bad
// field; core.Conflict when concurrent updates keep winning.
func (p *Platform) UpdateTenantSettings(ctx context.Context, tenantID string, patch settings.TenantPatch) (settings.TenantSettings, error) {
	ctx, done := p.audited(ctx, "tenant.settings.update")
	out, err := p.doUpdateTenantSettings(ctx, tenantID, patch)
	done(tenantID, tenantID, err)
	return out, err
}

func (p *Platform) doUpdateTenantSettings(ctx context.Context, tenantID string, patch settings.TenantPatch) (settings.TenantSettings, error) {
	if _, _, err := p.reachTenant(ctx, PermTenantEdit, tenantID); err != nil {
		return settings.TenantSettings{}, err
	}
	return settings.NewService(p.store, p.now).UpdateTenant(ctx, tenantID, patch)
}
