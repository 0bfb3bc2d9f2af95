package atomix

import (
	"context"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

// A user's own account: its password, its TOTP and its sessions. Each
// method checks the actor from the context and writes the call to the
// audit log, as every other mutating Platform method does.

// identityService returns the identity service.
// Errors: core.Unauthenticated when the platform has none (WithIdentity).
func (p *Platform) identityService() (*identity.Service, error) {
	if !p.identityOn {
		return nil, core.Errorf(core.Unauthenticated, "the platform has no identity service configured")
	}
	return p.users, nil
}

// reachAccount returns the user with the ID when the context's actor may
// manage its account: the user itself, or a platform actor holding
// user:edit.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden inside it for anybody else.
func (p *Platform) reachAccount(ctx context.Context, id string) (identity.User, error) {
	a, u, err := p.reachUser(ctx, PermUserView, id)
	if err != nil {
		return identity.User{}, err
	}
	if a.Kind == access.ActorUser && a.ID == u.ID {
		return u, nil
	}
	if !platformActor(a) || !a.Perms.Check(PermUserEdit) {
		return identity.User{}, core.Errorf(core.Forbidden, "only the user itself or the platform manages the account of %s", id)
	}
	return u, nil
}

// ChangePassword checks the user's old password and sets a new one; every
// session of the user ends.
// Errors: core.Unauthenticated without an actor or identity service, and
// when the old password is wrong (counted as a failed login); core.NotFound,
// also outside the actor's scope; core.Forbidden; core.RateLimited;
// core.Invalid naming "newPassword".
func (p *Platform) ChangePassword(ctx context.Context, userID, oldPassword, newPassword string) error {
	ctx, done := p.audited(ctx, "user.password")
	err := p.doChangePassword(ctx, userID, oldPassword, newPassword)
	done(userID, "", err)
	return err
}

func (p *Platform) doChangePassword(ctx context.Context, userID, oldPassword, newPassword string) error {
	svc, err := p.identityService()
	if err != nil {
		return err
	}
	u, err := p.reachAccount(ctx, userID)
	if err != nil {
		return err
	}
	return svc.ChangePassword(ctx, u.TenantID, u.ID, oldPassword, newPassword)
}

// EnrollTOTP starts the user's TOTP enrolment (see identity.Service.EnrollTOTP).
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden; core.TOTPAlreadyEnabled.
func (p *Platform) EnrollTOTP(ctx context.Context, userID string) (identity.TOTPEnrollment, error) {
	ctx, done := p.audited(ctx, "user.totp.enroll")
	out, err := p.doEnrollTOTP(ctx, userID)
	done(userID, "", err)
	return out, err
}

func (p *Platform) doEnrollTOTP(ctx context.Context, userID string) (identity.TOTPEnrollment, error) {
	svc, err := p.identityService()
	if err != nil {
		return identity.TOTPEnrollment{}, err
	}
	u, err := p.reachAccount(ctx, userID)
	if err != nil {
		return identity.TOTPEnrollment{}, err
	}
	return svc.EnrollTOTP(ctx, u.TenantID, u.ID)
}

// ConfirmTOTP turns the user's pending TOTP on with a first code and
// returns its one-time recovery codes (see identity.Service.ConfirmTOTP).
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden; core.TOTPAlreadyEnabled; core.TOTPInvalid;
// core.RateLimited.
func (p *Platform) ConfirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	ctx, done := p.audited(ctx, "user.totp.confirm")
	out, err := p.doConfirmTOTP(ctx, userID, code)
	done(userID, "", err)
	return out, err
}

func (p *Platform) doConfirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	svc, err := p.identityService()
	if err != nil {
		return nil, err
	}
	u, err := p.reachAccount(ctx, userID)
	if err != nil {
		return nil, err
	}
	return svc.ConfirmTOTP(ctx, u.TenantID, u.ID, code)
}

// DisableTOTP turns the user's TOTP off and deletes its recovery codes:
// for the user itself, or an actor holding user:edit within whose scope
// the user is (an administrator helping a user who lost the device).
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope and when the user has no TOTP; core.Forbidden.
func (p *Platform) DisableTOTP(ctx context.Context, userID string) error {
	ctx, done := p.audited(ctx, "user.totp.disable")
	err := p.doDisableTOTP(ctx, userID)
	done(userID, "", err)
	return err
}

func (p *Platform) doDisableTOTP(ctx context.Context, userID string) error {
	svc, err := p.identityService()
	if err != nil {
		return err
	}
	a, u, err := p.reachUser(ctx, PermUserView, userID)
	if err != nil {
		return err
	}
	if !(a.Kind == access.ActorUser && a.ID == u.ID) && !a.Perms.Check(PermUserEdit) {
		return forbidden(PermUserEdit)
	}
	return svc.DisableTOTP(ctx, u.TenantID, u.ID)
}

// Logout ends a session of the context's actor (see
// identity.Service.Logout); in.Principal must be that actor.
// Errors: core.Unauthenticated without an actor or identity service, or
// for a refresh token that is not the caller's; core.Forbidden when the
// actor is not the user in.Principal names (the API key has no session).
func (p *Platform) Logout(ctx context.Context, in identity.LogoutInput) error {
	ctx, done := p.audited(ctx, "user.logout")
	noteTenant(ctx, in.Principal.TenantID)
	err := p.doLogout(ctx, in)
	done(in.Principal.Subject, "", err)
	return err
}

func (p *Platform) doLogout(ctx context.Context, in identity.LogoutInput) error {
	svc, err := p.identityService()
	if err != nil {
		return err
	}
	a, err := actor(ctx)
	if err != nil {
		return err
	}
	if a.Kind != access.ActorUser || a.ID != in.Principal.Subject {
		return core.Errorf(core.Forbidden, "only a user ends its own session; log out with a user's access token")
	}
	return svc.Logout(ctx, in)
}
