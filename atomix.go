package atomix

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
)

// Platform is the whole control plane over one store. It is safe for
// concurrent use.
type Platform struct {
	store   store.Store
	now     core.Clock
	tenants *tenant.Service
}

// Option configures a Platform.
type Option func(*config)

type config struct {
	now      core.Clock
	reserved []string
}

// WithClock sets the clock every domain reads; the default is the system
// clock. Tests use it to move time.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithReservedSubdomains replaces the subdomains no tenant may take
// (tenant.DefaultReserved by default).
func WithReservedSubdomains(names ...string) Option {
	return func(c *config) { c.reserved = names }
}

// New returns a Platform over s. It returns an error when s is nil.
func New(s store.Store, opts ...Option) (*Platform, error) {
	if s == nil {
		return nil, errors.New("atomix: New needs a store")
	}
	c := config{reserved: tenant.DefaultReserved}
	for _, o := range opts {
		o(&c)
	}
	p := &Platform{store: s, now: c.now}
	p.tenants = tenant.NewService(s, tenant.WithClock(c.now), tenant.WithReserved(c.reserved))
	return p, nil
}

// Store returns the platform's store.
func (p *Platform) Store() store.Store { return p.store }

// Now returns the platform's current time.
func (p *Platform) Now() time.Time { return p.now.Now() }

// Tenants returns the tenant service, for single-domain operations: get,
// list, update, delete and the lifecycle moves.
func (p *Platform) Tenants() *tenant.Service { return p.tenants }

// CreateTenantInput is the input of CreateTenant: seed 000's POST /tenants
// body.
type CreateTenantInput struct {
	Name      string
	Subdomain string
	PlanID    string
	Contact   tenant.Contact
	Settings  tenant.Settings
	// InitialAtoms lists atom IDs to install with the tenant. The IDs are
	// validated now; installation arrives with the atom marketplace.
	InitialAtoms []string
	// OwnerID is the reseller that will own the tenant; empty for the
	// platform.
	OwnerID string
}

// CreatedTenant is the outcome of CreateTenant.
type CreatedTenant struct {
	Tenant tenant.Tenant
	// InitialAtoms echoes the validated atom IDs of the request.
	InitialAtoms []string
}

// MaxInitialAtoms bounds CreateTenantInput.InitialAtoms.
const MaxInitialAtoms = 50

// CreateTenant is the workflow of seed 000's POST /tenants: it validates the
// whole input first, then creates the tenant (status trial) inside one
// transaction, so a failure at any step creates nothing.
// Errors: core.Invalid naming every bad field (name, subdomain, planId,
// contact.*, settings.*, initialAtoms); core.SubdomainTaken.
func (p *Platform) CreateTenant(ctx context.Context, in CreateTenantInput) (CreatedTenant, error) {
	tin := tenant.CreateInput{
		Name:      in.Name,
		Subdomain: in.Subdomain,
		PlanID:    in.PlanID,
		Contact:   in.Contact,
		Settings:  in.Settings,
		OwnerID:   in.OwnerID,
	}
	var fields core.Fields
	if _, err := p.tenants.Validate(tin); err != nil {
		var ce *core.Error
		if !errors.As(err, &ce) {
			return CreatedTenant{}, err
		}
		fields = append(fields, ce.Fields...)
	}
	atoms, bad := normalizeAtomIDs(in.InitialAtoms)
	if bad != "" {
		fields.Add("initialAtoms", "%s", bad)
	}
	if err := fields.Err(); err != nil {
		return CreatedTenant{}, err
	}
	var out CreatedTenant
	err := p.store.InTx(ctx, func(tx store.Store) error {
		t, err := p.tenants.WithStore(tx).Create(ctx, tin)
		if err != nil {
			return err
		}
		out = CreatedTenant{Tenant: t, InitialAtoms: atoms}
		return nil
	})
	if err != nil {
		return CreatedTenant{}, err
	}
	return out, nil
}

func normalizeAtomIDs(ids []string) ([]string, string) {
	if len(ids) > MaxInitialAtoms {
		return nil, "may list at most 50 atoms"
	}
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if !core.ValidID(core.PrefixAtom, id) && !core.ValidID("core", id) {
			return nil, "must hold atom IDs such as \"atom_crm\""
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out, ""
}
