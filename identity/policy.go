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
}

// checkPasswordLogin refuses a password login of a tenant user when the
// policy turned it off. Errors: core.Forbidden; those of the policy.
func (s *Service) checkPasswordLogin(ctx context.Context, tenantID string) error {
	if s.cfg.LoginPolicy == nil || tenantID == "" {
		return nil
	}
	p, err := s.cfg.LoginPolicy(ctx, tenantID)
	if err != nil {
		return err
	}
	if p.PasswordOff {
		return core.Errorf(core.Forbidden, "sign-in with a password is turned off; use a phone code or a federated login")
	}
	return nil
}
