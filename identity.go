package atomix

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
)

// Identity on the platform: who may call it. WithIdentity turns login on;
// CreateTenant makes each tenant's admin user in the transaction that
// creates the tenant.

// WithIdentity configures the identity service (identity.NewService):
// password login, access and refresh tokens, TOTP. cfg.Issuer and
// cfg.Secrets are required; a nil cfg.Clock takes the platform's clock
// (WithClock). Every instance sharing a store must use the same secrets.
//
// A Platform made without WithIdentity still keeps users: CreateTenant
// makes the tenant admin (with the password given, hashed), and tenants
// count their users. But nobody can log in, Identity returns nil, and
// CreateTenant answers no set-password token, for lack of a secret to key
// it with.
func WithIdentity(cfg identity.Config) Option {
	return func(c *config) { c.identity = &cfg }
}

// newIdentity returns the identity service of New: the configured one, or,
// without WithIdentity, one used only for what needs no secret (creating
// and counting users, hashing passwords), keyed with a throwaway secret.
// configured says which. Errors: those of identity.NewService.
func newIdentity(s store.Store, c *config) (svc *identity.Service, configured bool, err error) {
	if c.identity != nil {
		cfg := *c.identity
		if cfg.Clock == nil {
			cfg.Clock = c.now
		}
		if cfg.OTP.Policy == nil {
			cfg.OTP.Policy = otpPolicy(s) // settings.go
		}
		if cfg.Federated.Policy == nil {
			cfg.Federated.Policy = federatedPolicy(s) // settings.go
		}
		if cfg.LoginPolicy == nil {
			cfg.LoginPolicy = loginPolicy(s) // settings.go
		}
		if cfg.Password.Gate == nil {
			cfg.Password.Gate = c.gate
		}
		svc, err := identity.NewService(s, cfg)
		if err != nil {
			return nil, false, fmt.Errorf("atomix: WithIdentity: %w", err)
		}
		return svc, true, nil
	}
	throwaway := make([]byte, identity.MinSecretLen)
	_, _ = rand.Read(throwaway) // never fails (Go 1.24+)
	svc, err = identity.NewService(s, identity.Config{
		Issuer:   "urn:atomix:identity-not-configured",
		Secrets:  identity.Secrets{Current: identity.Secret{ID: "unconfigured", Value: throwaway}},
		Clock:    c.now,
		Password: identity.PasswordConfig{Gate: c.gate},
	})
	return svc, false, err
}

// Identity returns the identity service: users, login, tokens, TOTP. It is
// nil when the platform was made without WithIdentity.
func (p *Platform) Identity() *identity.Service {
	if !p.identityOn {
		return nil
	}
	return p.users
}

// AdminUser is the tenant admin CreateTenant made from the contact: seed
// 000's adminUser.
type AdminUser struct {
	ID    string
	Email string
}

// checkAdmin records what is wrong with the admin's password in fields,
// as "password". The contact's fields are the tenant's to check.
func checkAdmin(in *CreateTenantInput, fields *core.Fields) {
	if in.Password == "" {
		return
	}
	if m := identity.ValidatePassword(in.Password, in.Contact.Email); m != "" {
		fields.Add("password", "%s", m)
	}
}

// hashAdminPassword hashes the admin's password, when given, before the
// transaction: argon2id is slow, and must not hold the store's writer.
// Errors: core.Invalid naming "password"; core.RateLimited when the hashing
// pool stays full; core.Internal.
func (p *Platform) hashAdminPassword(ctx context.Context, in *CreateTenantInput) (identity.PasswordHash, error) {
	if in.Password == "" {
		return identity.PasswordHash{}, nil
	}
	return p.users.HashPassword(ctx, in.Password, in.Contact.Email)
}

// createTenantAdmin makes t's admin user from its contact inside the
// transaction tx, and, when it has no password and identity is configured,
// a one-time set-password token. It sets t.UserCount.
// Errors: core.Invalid naming contact fields; those of the store.
func (p *Platform) createTenantAdmin(ctx context.Context, tx store.Store, t *tenant.Tenant, hash identity.PasswordHash) (AdminUser, *identity.IssuedToken, error) {
	if err := p.checkUserLimit(ctx, tx, *t); err != nil {
		return AdminUser{}, nil, err
	}
	svc := p.users.WithStore(tx)
	u, err := svc.CreateUser(ctx, identity.CreateUserInput{
		TenantID:     t.ID,
		Name:         t.Contact.Name,
		Email:        t.Contact.Email,
		Phone:        t.Contact.Phone,
		Role:         identity.RoleTenantAdmin,
		PasswordHash: hash,
	})
	if err != nil {
		return AdminUser{}, nil, contactFields(err)
	}
	n, err := svc.CountUsers(ctx, t.ID)
	if err != nil {
		return AdminUser{}, nil, err
	}
	t.UserCount = n
	admin := AdminUser{ID: u.ID, Email: u.Email}
	if !hash.IsZero() || !p.identityOn {
		return admin, nil, nil
	}
	tok, err := svc.IssueSetPasswordToken(ctx, t.ID, u.ID)
	if err != nil {
		return AdminUser{}, nil, err
	}
	return admin, &tok, nil
}

// contactFields renames the user fields of an Invalid error to the
// contact's, which they came from. The tenant checks the contact with the
// same rules first, so this is a safety net.
func contactFields(err error) error {
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.Invalid {
		return err
	}
	out := *ce
	out.Fields = make([]core.FieldError, len(ce.Fields))
	for i, f := range ce.Fields {
		switch f.Field {
		case "name", "email", "phone":
			f.Field = "contact." + f.Field
		}
		out.Fields[i] = f
	}
	return &out
}

// SuperAdminInput is the input of EnsureSuperAdmin.
type SuperAdminInput struct {
	Name     string
	Email    string
	Password string
}

// EnsureSuperAdmin creates a platform user with the super_admin role,
// unless a user without a tenant already has the email: then it changes
// nothing (not even the password) and answers the zero User and created
// false. It serves a
// server's first start, so it can run at every start.
// Errors: core.Invalid naming "name", "email" or "password"; core.Internal.
func (p *Platform) EnsureSuperAdmin(ctx context.Context, in SuperAdminInput) (u identity.User, created bool, err error) {
	hash, err := p.users.HashPassword(ctx, in.Password, in.Email)
	if err != nil {
		return identity.User{}, false, err
	}
	u, err = p.users.CreateUser(ctx, identity.CreateUserInput{
		Scope:        identity.Scope{Kind: identity.ScopePlatform},
		Name:         in.Name,
		Email:        in.Email,
		Role:         identity.RoleSuperAdmin,
		PasswordHash: hash,
	})
	if core.ErrorCode(err) == core.EmailTaken {
		return identity.User{}, false, nil
	}
	if err != nil {
		return identity.User{}, false, err
	}
	return u, true, nil
}
