package atomix

import (
	"context"

	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/settings"
	"github.com/atomixplatform/atomix/store"
)

// Settings returns the platform's settings service: branding, licensing
// and identity configuration, read from the store on every call so that a
// change takes effect at once on every instance.
func (p *Platform) Settings() *settings.Service {
	return settings.NewService(p.store, p.now)
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

// loginPolicy reads the identity settings for every password login.
func loginPolicy(st store.Store) func(ctx context.Context) (identity.LoginPolicy, error) {
	svc := settings.NewService(st, nil)
	return func(ctx context.Context) (identity.LoginPolicy, error) {
		s, err := svc.Get(ctx)
		if err != nil {
			return identity.LoginPolicy{}, err
		}
		return identity.LoginPolicy{PasswordOff: !s.Identity.LoginMethods.Password}, nil
	}
}
