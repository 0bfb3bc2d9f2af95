package atomix

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/cpugate"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
)

// Platform is the whole control plane over one store. It is safe for
// concurrent use.
type Platform struct {
	store   store.Store
	now     core.Clock
	tenants *tenant.Service
	limits  atom.Limits // nil: no limit
	// catalog is the atom catalog loaded last (atoms.go).
	catalog atomic.Pointer[catalogState]
	// users is the identity service; identityOn says whether it was
	// configured with WithIdentity (identity.go).
	users      *identity.Service
	identityOn bool
	// billing is the billing configuration, defaults applied (billing.go).
	billing BillingConfig
	// gate bounds the CPU-heavy work that runs at once; nil: no bound.
	gate *cpugate.Gate
}

// Option configures a Platform.
type Option func(*config)

type config struct {
	now      core.Clock
	reserved []string
	limits   atom.Limits
	identity *identity.Config
	billing  BillingConfig
	gate     *cpugate.Gate
	gateSet  bool
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

// WithCPUGate sets the gate that bounds the platform's CPU-heavy work:
// password hashing (unless WithIdentity's Password.Gate names another)
// and usage ingestion (the store write, on a store.InProcess store). By
// default the platform makes its own, cpugate.New(0), which lets
// GOMAXPROCS−1 such jobs run at once so that short requests keep a core. Pass the same gate to every Platform of a
// process; WithCPUGate(nil) removes the bound.
func WithCPUGate(g *cpugate.Gate) Option {
	return func(c *config) { c.gate, c.gateSet = g, true }
}

// New returns a Platform over s. It returns an error when s is nil, and
// the error of WithIdentity's configuration.
func New(s store.Store, opts ...Option) (*Platform, error) {
	if s == nil {
		return nil, errors.New("atomix: New needs a store")
	}
	c := config{reserved: tenant.DefaultReserved}
	for _, o := range opts {
		o(&c)
	}
	if !c.gateSet {
		c.gate = cpugate.New(0)
	}
	p := &Platform{store: s, now: c.now, limits: c.limits, billing: c.billing.withDefaults(), gate: c.gate}
	p.tenants = tenant.NewService(s, tenant.WithClock(c.now), tenant.WithReserved(c.reserved))
	var err error
	if p.users, p.identityOn, err = newIdentity(s, &c); err != nil {
		return nil, err
	}
	return p, nil
}

// CPUGate returns the gate that bounds the platform's CPU-heavy work (see
// WithCPUGate); nil when there is none. Code that adds heavy work of its
// own, such as decoding a large request, may run it in the same gate; that
// work must not call what takes a slot itself (IngestUsage, and whatever
// hashes a password: logins, password changes, creating users with one),
// as it would wait for its own slot.
func (p *Platform) CPUGate() *cpugate.Gate { return p.gate }

// Store returns the platform's store.
func (p *Platform) Store() store.Store { return p.store }

// Now returns the platform's current time.
func (p *Platform) Now() time.Time { return p.now.Now() }

// Tenants returns the tenant domain service over the platform's store. It
// checks no actor: it is for trusted code (migrations, jobs, tests). Code
// acting for a user calls the Platform's own methods (GetTenant,
// ListTenants, UpdateTenant, DeleteTenant, TransitionTenant), which
// enforce scope and permissions.
func (p *Platform) Tenants() *tenant.Service { return p.tenants }

// CreateTenantInput is the input of CreateTenant: seed 000's POST /tenants
// body.
type CreateTenantInput struct {
	Name      string
	Subdomain string
	PlanID    string
	Contact   tenant.Contact
	Settings  tenant.Settings
	// InitialAtoms lists atom IDs to install with the tenant, explicitly,
	// at their newest releases that fit, with empty configs and with the
	// atoms they need. Built-in atoms are skipped: every tenant has them.
	InitialAtoms []string
	// OwnerID is the reseller that will own the tenant; empty for the
	// platform. It must exist, not be deleted, and be active (a partner's
	// distributor too); the tenant's ownership history starts with it.
	OwnerID string
	// Profile is seed 003's customer profile, stored with the tenant when
	// set (resellers.go).
	Profile *reseller.ProfileInput
	// Password is the tenant admin's password (seed 002), optional. The
	// admin is made from Contact; without a password it gets a one-time
	// set-password token instead (identity.go).
	Password string
	// Interval is the subscription's billing interval (month, or year);
	// empty takes month when the plan offers it.
	Interval billing.Interval
	// noAdmin creates the tenant without an admin user: CreateCustomer
	// sets it when the contact was not given but taken from the owner,
	// whose person must not become the customer's admin.
	noAdmin bool
}

// CreatedTenant is the outcome of CreateTenant.
type CreatedTenant struct {
	Tenant tenant.Tenant
	// InitialAtoms echoes the validated atom IDs of the request.
	InitialAtoms []string
	// Installations are the tenant's installations after InitialAtoms
	// were installed, their dependencies included, ordered by atom id.
	Installations []atom.Installation
	// Profile is the customer profile stored, when the input had one.
	Profile *reseller.Profile
	// AdminUser is the tenant admin made from the contact; the zero
	// AdminUser when none was made (CreateCustomer without a contact).
	AdminUser AdminUser
	// SetPasswordToken is the admin's one-time set-password token, shown
	// this once; nil when the input had a password or the platform has no
	// identity configured (WithIdentity).
	SetPasswordToken *identity.IssuedToken
	// Subscription is the tenant's subscription to its plan, trialing for
	// the plan's trial days; nil for a tenant made without a plan.
	Subscription *SubscriptionInfo
}

// MaxInitialAtoms bounds CreateTenantInput.InitialAtoms.
const MaxInitialAtoms = 50

// CreateTenant is the workflow of seed 000's POST /tenants: it validates the
// whole input first, then creates the tenant (status trial), its
// subscription to its plan (trialing for the plan's trial days; see
// subscriptions.go), its admin user (from the contact; see
// CreateTenantInput.Password) and installs its initial atoms inside one
// transaction, so a failure at any step creates nothing. The plan's
// maxUsers and maxAtoms apply to the admin and the initial atoms.
// Errors: core.Invalid naming every bad field (name, subdomain, planId
// (no such plan, or archived), billingCycle,
// contact.*, settings.*, initialAtoms, which names each atom the catalog
// does not hold); core.SubdomainTaken; those of InstallAtom for an initial
// atom that cannot be installed (core.PlanLimitExceeded,
// core.AtomDependencyConflict, core.AtomConfigInvalid, ...); for the owner
// and the profile, core.Invalid naming "ownerId" and the profile's fields,
// core.CountryInvalid, core.OwnerUnknown and core.OwnerSuspended; for the
// admin's password, core.Invalid naming "password" and core.RateLimited
// when the hashing pool stays full.
func (p *Platform) CreateTenant(ctx context.Context, in CreateTenantInput) (CreatedTenant, error) {
	ctx, done := p.audited(ctx, "tenant.create")
	out, err := p.doCreateTenant(ctx, in)
	done(out.Tenant.ID, out.Tenant.ID, err)
	return out, err
}

// doCreateTenant is CreateTenant without its audit record.
func (p *Platform) doCreateTenant(ctx context.Context, in CreateTenantInput) (CreatedTenant, error) {
	a, err := need(ctx, PermTenantCreate)
	if err != nil {
		return CreatedTenant{}, err
	}
	if in.OwnerID, err = p.scopedOwner(ctx, a, in.OwnerID); err != nil {
		return CreatedTenant{}, err
	}
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
	var plan billing.Plan
	if in.PlanID != "" && billing.ValidPlanID(in.PlanID) {
		var err error
		plan, err = p.activePlan(ctx, p.store, in.PlanID)
		switch code := core.ErrorCode(err); code {
		case "":
		case core.Invalid:
			fields.Add("planId", "no plan has this ID")
		case core.PlanArchived:
			fields.Add("planId", "the plan is archived and takes no new tenants")
		default:
			return CreatedTenant{}, err
		}
	}
	if in.Interval != "" && in.Interval != billing.Monthly && in.Interval != billing.Yearly {
		fields.Add("billingCycle", "must be the interval month or year (monthly or yearly)")
	} else if _, ok := plan.Prices[in.Interval]; plan.ID != "" && in.Interval != "" && !ok {
		fields.Add("billingCycle", "the plan has no %s price", in.Interval)
	}
	badCountry := checkTenantExtras(&in, &fields)
	checkAdmin(&in, &fields)
	atoms, bad := normalizeAtomIDs(in.InitialAtoms)
	if bad != "" {
		fields.Add("initialAtoms", "%s", bad)
	} else if err := p.checkInitialAtoms(ctx, atoms, &fields); err != nil {
		return CreatedTenant{}, err
	}
	if err := reseller.InvalidErr(fields, badCountry); err != nil {
		return CreatedTenant{}, err
	}
	hash, err := p.hashAdminPassword(ctx, &in)
	if err != nil {
		return CreatedTenant{}, err
	}
	var out CreatedTenant
	err = p.store.InTx(ctx, func(tx store.Store) error {
		t, err := p.tenants.WithStore(tx).Create(ctx, tin)
		if err != nil {
			return err
		}
		profile, err := p.recordTenantExtras(ctx, tx, t, in)
		if err != nil {
			return err
		}
		var sub *SubscriptionInfo
		if plan.ID != "" {
			s, err := p.startSubscription(ctx, tx, t, plan, in.Interval)
			if err != nil {
				return err
			}
			info, err := p.subscriptionInfo(ctx, tx, s)
			if err != nil {
				return err
			}
			sub = &info
		}
		var admin AdminUser
		var setPassword *identity.IssuedToken
		if !in.noAdmin {
			if admin, setPassword, err = p.createTenantAdmin(ctx, tx, &t, hash); err != nil {
				return err
			}
		}
		insts, err := p.installInitialAtoms(ctx, tx, t.ID, atoms)
		if err != nil {
			return err
		}
		t.AtomCount = len(insts)
		out = CreatedTenant{Tenant: t, InitialAtoms: atoms, Installations: insts}
		out.Profile = profile
		out.AdminUser, out.SetPasswordToken = admin, setPassword
		out.Subscription = sub
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
