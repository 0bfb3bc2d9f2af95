package identity

import (
	"context"

	"github.com/atomixplatform/atomix/core"
)

// LoginPolicy is what Config.LoginPolicy answers for one tenant: the login
// methods turned off at run time (by the platform's settings or by the
// tenant's own).
type LoginPolicy struct {
	// PasswordOff refuses password login to tenant users. Users without a
	// tenant (platform and reseller staff) keep it, so that turning it off
	// cannot lock the platform's administrators out.
	PasswordOff bool
	// OTPOff refuses phone-code login to the tenant's users.
	OTPOff bool
	// FederatedOff refuses federated login to the tenant's users.
	FederatedOff bool
}

// checkPasswordLogin refuses a password login of a tenant user when the
// policy turned it off. Errors: core.Forbidden; those of the policy.
func (s *Service) checkPasswordLogin(ctx context.Context, tenantID string) error {
	return s.checkLoginMethod(ctx, tenantID, func(p LoginPolicy) bool { return p.PasswordOff },
		"sign-in with a password is turned off; use a phone code or a federated login")
}

// checkLoginMethod refuses a login of a user of tenantID when off says the
// tenant's policy turned the method off. Users without a tenant are never
// refused here. Errors: core.Forbidden with msg; those of the policy.
func (s *Service) checkLoginMethod(ctx context.Context, tenantID string, off func(LoginPolicy) bool, msg string) error {
	if s.cfg.LoginPolicy == nil || tenantID == "" {
		return nil
	}
	p, err := s.cfg.LoginPolicy(ctx, tenantID)
	if err != nil {
		return err
	}
	if off(p) {
		return core.Errorf(core.Forbidden, "%s", msg)
	}
	return nil
}

func otpOff(p LoginPolicy) bool       { return p.OTPOff }
func federatedOff(p LoginPolicy) bool { return p.FederatedOff }

const (
	msgOTPOff       = "sign-in with a phone code is turned off for this tenant"
	msgFederatedOff = "federated sign-in is turned off for this tenant"
)

// signIn records u's login time and starts its session: the end of every
// login that has no password to re-hash (phone code, federated).
// Errors: those of the store and of startSession.
func (s *Service) signIn(ctx context.Context, u User) (TokenResponse, error) {
	now := s.now.Now()
	u, err := s.store.UpdateUser(ctx, u.TenantID, u.ID, func(x User) (User, error) {
		x.LastLoginAt = &now
		return x, nil
	})
	if err != nil {
		return TokenResponse{}, err
	}
	return s.startSession(ctx, u)
}
