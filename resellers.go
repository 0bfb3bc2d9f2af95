package atomix

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
)

// The reseller chain's workflows. Whatever depends on a reseller being
// there and active (a partner under a distributor, a tenant given to an
// owner) holds the reseller (HoldReseller) in the transaction that writes
// it; deleting a reseller counts what it holds inside the transaction that
// locks it (UpdateReseller). So a reseller is never deleted while it owns a
// tenant or has a partner, whatever runs at the same time.

// Resellers is the reseller chain of a platform: distributors, partners,
// who owns each tenant since when, and the customer view of seed 003. Get
// it with Platform.Resellers; it is a small value, safe for concurrent use.
type Resellers struct{ p *Platform }

// Resellers returns the platform's reseller chain.
func (p *Platform) Resellers() Resellers { return Resellers{p: p} }

// CreateDistributor validates in and stores a new active distributor.
// Errors: core.Invalid naming every bad field; core.CountryInvalid when the
// country is among them.
func (rs Resellers) CreateDistributor(ctx context.Context, in reseller.Input) (reseller.Reseller, error) {
	ctx, done := rs.p.audited(ctx, "distributor.create")
	out, err := rs.doCreateDistributor(ctx, in)
	done(out.ID, "", err)
	return out, err
}

// doCreateDistributor is CreateDistributor without its audit record.
func (rs Resellers) doCreateDistributor(ctx context.Context, in reseller.Input) (reseller.Reseller, error) {
	if err := needPlatform(ctx, PermResellerCreate); err != nil {
		return reseller.Reseller{}, err
	}
	r, err := reseller.New(reseller.KindDistributor, in, rs.p.now.Now())
	if err != nil {
		return reseller.Reseller{}, err
	}
	if err := rs.p.store.CreateReseller(ctx, r); err != nil {
		return reseller.Reseller{}, err
	}
	return r, nil
}

// CreatePartner validates in and stores a new active partner, under
// in.DistributorID or, when that is empty, directly under the platform.
// Errors: core.Invalid naming every bad field; core.CountryInvalid when the
// country is among them; core.DistributorUnknown when the distributor does
// not exist or is deleted; core.DistributorSuspended.
func (rs Resellers) CreatePartner(ctx context.Context, in reseller.Input) (reseller.Reseller, error) {
	ctx, done := rs.p.audited(ctx, "partner.create")
	out, err := rs.doCreatePartner(ctx, in)
	done(out.ID, "", err)
	return out, err
}

// doCreatePartner is CreatePartner without its audit record.
func (rs Resellers) doCreatePartner(ctx context.Context, in reseller.Input) (reseller.Reseller, error) {
	a, err := need(ctx, PermResellerCreate)
	if err != nil {
		return reseller.Reseller{}, err
	}
	switch a.Scope.Kind {
	case access.ScopePlatform:
	case access.ScopeDistributor:
		// A distributor's partners are its own.
		if in.DistributorID != "" && in.DistributorID != a.Scope.ID {
			return reseller.Reseller{}, &core.Error{
				Code:    core.DistributorUnknown,
				Message: "no distributor " + in.DistributorID + " exists",
				Fields:  []core.FieldError{{Field: "distributorId", Message: "names no distributor"}},
			}
		}
		in.DistributorID = a.Scope.ID
	default:
		return reseller.Reseller{}, forbidden(PermResellerCreate)
	}
	r, err := reseller.New(reseller.KindPartner, in, rs.p.now.Now())
	if err != nil {
		return reseller.Reseller{}, err
	}
	err = rs.p.store.InTx(ctx, func(tx store.Store) error {
		if r.DistributorID != "" {
			d, err := tx.HoldReseller(ctx, r.DistributorID)
			switch {
			case core.ErrorCode(err) == core.NotFound || (err == nil && d.Deleted()):
				return &core.Error{
					Code:    core.DistributorUnknown,
					Message: "no distributor " + r.DistributorID + " exists",
					Fields:  []core.FieldError{{Field: "distributorId", Message: "names no distributor"}},
				}
			case err != nil:
				return err
			case d.Status != reseller.StatusActive:
				return core.Errorf(core.DistributorSuspended, "distributor %s is suspended: it takes no new partners", d.ID)
			}
		}
		return tx.CreateReseller(ctx, r)
	})
	if err != nil {
		return reseller.Reseller{}, err
	}
	return r, nil
}

// Get returns the distributor or partner with the ID, deleted or not.
// Errors: core.NotFound.
func (rs Resellers) Get(ctx context.Context, id string) (reseller.Reseller, error) {
	_, r, err := rs.p.reachReseller(ctx, PermResellerView, id)
	return r, err
}

// List returns one page of resellers, ordered by creation time then ID.
// Pages are numbered: f.After is ignored.
// Errors: core.Invalid naming every bad field among "kind", "status",
// "distributorId", "q", "page" and "limit".
func (rs Resellers) List(ctx context.Context, f reseller.Filter) (core.Page[reseller.Reseller], error) {
	a, err := need(ctx, PermResellerView)
	if err != nil {
		return core.Page[reseller.Reseller]{}, err
	}
	f.After = nil
	f, err = reseller.CheckFilter(f, "q")
	if err != nil {
		return core.Page[reseller.Reseller]{}, err
	}
	if !platformActor(a) {
		return scopedPage(f.Page, func(after *core.ListKey, pr core.PageRequest) ([]reseller.Reseller, error) {
			f.After, f.Page = after, pr
			items, _, err := rs.p.store.ListResellers(ctx, f)
			return items, err
		}, reseller.Reseller.ListKey, func(r reseller.Reseller) (bool, error) { return resellerInScope(a, r), nil })
	}
	items, total, err := rs.p.store.ListResellers(ctx, f)
	if err != nil {
		return core.Page[reseller.Reseller]{}, err
	}
	return core.NewPage(f.Page, items, total), nil
}

// Update changes a reseller's name, contact, billing address, registration
// number, website or status.
// Errors: core.NotFound; core.ResellerDeleted; core.Invalid naming every
// bad field; core.CountryInvalid when the country is among them.
func (rs Resellers) Update(ctx context.Context, id string, patch reseller.Patch) (reseller.Reseller, error) {
	ctx, done := rs.p.audited(ctx, "reseller.update")
	out, err := rs.doUpdate(ctx, id, patch)
	done(id, "", err)
	return out, err
}

// doUpdate is Update without its audit record.
func (rs Resellers) doUpdate(ctx context.Context, id string, patch reseller.Patch) (reseller.Reseller, error) {
	if _, _, err := rs.p.reachReseller(ctx, PermResellerEdit, id); err != nil {
		return reseller.Reseller{}, err
	}
	return rs.p.store.UpdateReseller(ctx, id, func(r reseller.Reseller) (reseller.Reseller, error) {
		return reseller.Apply(r, patch, rs.p.now.Now())
	})
}

// Delete soft-deletes a reseller that owns no tenant (deleted tenants
// aside) and, for a distributor, has no partner, and returns it with its
// DeletedAt.
// Errors: core.NotFound; core.ResellerDeleted; core.ResellerHasTenants and
// core.DistributorHasPartners, whose messages say how many.
func (rs Resellers) Delete(ctx context.Context, id string) (reseller.Reseller, error) {
	ctx, done := rs.p.audited(ctx, "reseller.delete")
	out, err := rs.doDelete(ctx, id)
	done(id, "", err)
	return out, err
}

// doDelete is Delete without its audit record.
func (rs Resellers) doDelete(ctx context.Context, id string) (reseller.Reseller, error) {
	if _, _, err := rs.p.reachReseller(ctx, PermResellerDelete, id); err != nil {
		return reseller.Reseller{}, err
	}
	var out reseller.Reseller
	err := rs.p.store.InTx(ctx, func(tx store.Store) error {
		var err error
		out, err = tx.UpdateReseller(ctx, id, func(r reseller.Reseller) (reseller.Reseller, error) {
			if r.Deleted() {
				return r, core.Errorf(core.ResellerDeleted, "%s %s is deleted already", r.Kind, r.ID)
			}
			h, err := tx.CountHoldings(ctx, id)
			if err != nil {
				return r, err
			}
			if h.Tenants > 0 {
				return r, core.Errorf(core.ResellerHasTenants, "%s %s still owns %s; move them to another owner first",
					r.Kind, r.ID, count(h.Tenants, "tenant"))
			}
			if h.Partners > 0 {
				return r, core.Errorf(core.DistributorHasPartners, "distributor %s still has %s; delete them first",
					r.ID, count(h.Partners, "partner"))
			}
			now := rs.p.now.Now()
			r.DeletedAt, r.UpdatedAt = &now, now
			return r, nil
		})
		return err
	})
	return out, err
}

// count returns "1 tenant" or "n tenants".
func count(n int, noun string) string {
	s := strconv.Itoa(n) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}

// holdOwner checks that ownerID ("" for the platform) may take a tenant
// now, and holds it (and a partner's distributor) until tx ends.
// Errors: core.Invalid for a malformed ID; core.OwnerUnknown;
// core.OwnerSuspended.
func holdOwner(ctx context.Context, tx store.Store, ownerID string) error {
	if ownerID == "" {
		return nil
	}
	if m := ownerIDMessage(ownerID); m != "" {
		return core.InvalidField("ownerId", "%s", m)
	}
	r, err := tx.HoldReseller(ctx, ownerID)
	if core.ErrorCode(err) == core.NotFound {
		return &core.Error{
			Code:    core.OwnerUnknown,
			Message: "no distributor or partner " + ownerID + " exists",
			Fields:  []core.FieldError{{Field: "ownerId", Message: "names no distributor or partner"}},
		}
	}
	if err != nil {
		return err
	}
	var dist *reseller.Reseller
	if r.DistributorID != "" {
		d, err := tx.HoldReseller(ctx, r.DistributorID)
		if err != nil {
			return err
		}
		dist = &d
	}
	return reseller.CanOwn(r, dist)
}

// ownerIDMessage returns a message for an owner ID that names no kind of
// reseller, or "".
func ownerIDMessage(id string) string {
	if k := reseller.KindOf(id); k != reseller.KindDistributor && k != reseller.KindPartner {
		return `must be a distributor or partner ID such as "prt_abc123"`
	}
	return ""
}

// checkTenantExtras validates what CreateTenant stores beyond the tenant
// (the owner's ID and the customer profile), normalizing in.Profile, and
// reports whether a country is bad.
func checkTenantExtras(in *CreateTenantInput, f *core.Fields) (badCountry bool) {
	if in.OwnerID != "" {
		if m := ownerIDMessage(in.OwnerID); m != "" {
			f.Add("ownerId", "%s", m)
		}
	}
	if in.Profile != nil {
		var p reseller.ProfileInput
		p, badCountry = reseller.ValidateProfile(f, *in.Profile)
		in.Profile = &p
	}
	return badCountry
}

// recordTenantExtras runs inside CreateTenant's transaction, after the
// tenant t is stored: it holds the owner, writes the first row of the
// tenant's ownership history and stores its customer profile, if any.
// Errors: those of holdOwner.
func (p *Platform) recordTenantExtras(ctx context.Context, tx store.Store, t tenant.Tenant, in CreateTenantInput) (*reseller.Profile, error) {
	if err := holdOwner(ctx, tx, t.OwnerID); err != nil {
		return nil, err
	}
	if err := tx.AppendOwnership(ctx, reseller.Ownership{TenantID: t.ID, OwnerID: t.OwnerID, ValidFrom: t.CreatedAt}); err != nil {
		return nil, err
	}
	if in.Profile == nil {
		return nil, nil
	}
	prof := reseller.NewProfile(t.ID, *in.Profile, t.CreatedAt)
	if err := tx.PutCustomerProfile(ctx, prof); err != nil {
		return nil, err
	}
	return &prof, nil
}

// MoveInput is the input of Move.
type MoveInput struct {
	// OwnerID is the new owner: a distributor or partner, or "" for the
	// platform.
	OwnerID string
	// EffectiveFrom is when the new owner takes over; zero means now. It
	// is kept to the microsecond.
	EffectiveFrom time.Time
}

// Move gives a tenant to another owner from in.EffectiveFrom on and returns
// the tenant's ownership history, oldest first. The history gains a row and
// the row before it is closed at that instant; no earlier row changes. The
// tenant's OwnerID becomes the new owner. A move may be dated in the past,
// but after the tenant's latest move, and never in the future.
// Errors: core.NotFound; core.Invalid naming "ownerId" or "effectiveFrom";
// core.OwnerUnknown; core.OwnerSuspended; core.TenantDeleted;
// core.OwnershipBeforeTenant; core.OwnershipOverlap; core.OwnerUnchanged.
func (rs Resellers) Move(ctx context.Context, tenantID string, in MoveInput) ([]reseller.Ownership, error) {
	ctx, done := rs.p.audited(ctx, "tenant.move")
	out, err := rs.doMove(ctx, tenantID, in)
	done(tenantID, tenantID, err)
	return out, err
}

// doMove is Move without its audit record.
func (rs Resellers) doMove(ctx context.Context, tenantID string, in MoveInput) ([]reseller.Ownership, error) {
	a, _, err := rs.p.reachTenant(ctx, PermTenantMove, tenantID)
	if err != nil {
		return nil, err
	}
	if !platformActor(a) {
		if ok, err := rs.p.ownerInScope(ctx, a, in.OwnerID); err != nil {
			return nil, err
		} else if !ok {
			return nil, &core.Error{
				Code:    core.OwnerUnknown,
				Message: "no distributor or partner " + in.OwnerID + " exists",
				Fields:  []core.FieldError{{Field: "ownerId", Message: "names no distributor or partner"}},
			}
		}
	}
	now := rs.p.now.Now()
	from := in.EffectiveFrom.UTC().Truncate(time.Microsecond)
	if in.EffectiveFrom.IsZero() {
		from = now
	}
	var f core.Fields
	if in.OwnerID != "" {
		if m := ownerIDMessage(in.OwnerID); m != "" {
			f.Add("ownerId", "%s", m)
		}
	}
	if from.After(now) {
		f.Add("effectiveFrom", "must not be in the future (now is %s)", now.Format(time.RFC3339))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var out []reseller.Ownership
	err = rs.p.store.InTx(ctx, func(tx store.Store) error {
		if err := holdOwner(ctx, tx, in.OwnerID); err != nil {
			return err
		}
		var history []reseller.Ownership
		stored := 0
		if _, err := tx.UpdateTenant(ctx, tenantID, func(t tenant.Tenant) (tenant.Tenant, error) {
			rows, err := tx.ListOwnerships(ctx, t.ID)
			if err != nil {
				return t, err
			}
			stored, history = len(rows), reseller.History(t, rows)
			if err := reseller.CheckMove(t, history, in.OwnerID, from); err != nil {
				return t, err
			}
			t.OwnerID, t.UpdatedAt = in.OwnerID, now
			return t, nil
		}); err != nil {
			return err
		}
		if stored == 0 {
			// A tenant stored before histories were kept: its first row
			// is written now, as History made it.
			if err := tx.AppendOwnership(ctx, history[0]); err != nil {
				return err
			}
		}
		if err := tx.AppendOwnership(ctx, reseller.Ownership{TenantID: tenantID, OwnerID: in.OwnerID, ValidFrom: from}); err != nil {
			return err
		}
		var err error
		out, err = tx.ListOwnerships(ctx, tenantID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Owners returns the tenant's ownership history, oldest first; the newest
// row is open. A deleted tenant keeps its history.
// Errors: core.NotFound.
func (rs Resellers) Owners(ctx context.Context, tenantID string) ([]reseller.Ownership, error) {
	_, t, err := rs.p.reachTenant(ctx, PermTenantView, tenantID)
	if err != nil {
		return nil, err
	}
	rows, err := rs.p.store.ListOwnerships(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return reseller.History(t, rows), nil
}

// OwnerAt returns who owned the tenant at t: a distributor or partner ID,
// or "" for the platform. Revenue of an instant is attributed to this
// owner.
// Errors: core.NotFound for an unknown tenant, and for an instant before
// the tenant existed.
func (rs Resellers) OwnerAt(ctx context.Context, tenantID string, at time.Time) (string, error) {
	history, err := rs.Owners(ctx, tenantID)
	if err != nil {
		return "", err
	}
	owner, ok := reseller.OwnerAt(history, at)
	if !ok {
		return "", core.Errorf(core.NotFound, "tenant %s did not exist at %s", tenantID, at.UTC().Format(time.RFC3339Nano))
	}
	return owner, nil
}

// CreateCustomerInput is the input of CreateCustomer: seed 003's customer.
type CreateCustomerInput struct {
	Name    string
	Profile reseller.ProfileInput
	// OwnerID is the reseller whose customer this is; "" for the platform.
	OwnerID string
	// Subdomain is optional: by default it is made from the nickname (or
	// the name), with a random suffix when that is taken or reserved.
	Subdomain string
	// Contact is optional for a reseller's customer. When given, it
	// becomes the customer's tenant admin, as with CreateTenant. When not,
	// the tenant records the reseller's contact as its contact but gets no
	// admin user: the reseller's person must not become the customer's
	// admin. The platform's customers need one.
	Contact *tenant.Contact
	PlanID  string
}

// CreatedCustomer is the outcome of CreateCustomer.
type CreatedCustomer struct {
	reseller.Customer
	// AdminUser is the tenant admin made from the contact given; nil when
	// the input had no contact, and the customer has no user yet.
	AdminUser *AdminUser
	// SetPasswordToken is the admin's one-time set-password token, shown
	// this once; nil without an admin or when the platform has no identity
	// configured (WithIdentity).
	SetPasswordToken *identity.IssuedToken
}

// subdomainAttempts is how many subdomains CreateCustomer tries when it
// makes them itself.
const subdomainAttempts = 4

// CreateCustomer creates a tenant with its customer profile, owned by
// in.OwnerID, through CreateTenant: all or nothing, in one transaction.
// Errors: those of CreateTenant (core.Invalid naming every bad field,
// core.CountryInvalid, core.SubdomainTaken for a subdomain given,
// core.OwnerUnknown, core.OwnerSuspended).
func (rs Resellers) CreateCustomer(ctx context.Context, in CreateCustomerInput) (CreatedCustomer, error) {
	ctx, done := rs.p.audited(ctx, "customer.create")
	out, err := rs.doCreateCustomer(ctx, in)
	done(out.Tenant.ID, out.Tenant.ID, err)
	return out, err
}

// doCreateCustomer is CreateCustomer without its audit record.
func (rs Resellers) doCreateCustomer(ctx context.Context, in CreateCustomerInput) (CreatedCustomer, error) {
	a, err := need(ctx, PermCustomerCreate)
	if err != nil {
		return CreatedCustomer{}, err
	}
	if in.OwnerID, err = rs.p.scopedOwner(ctx, a, in.OwnerID); err != nil {
		return CreatedCustomer{}, err
	}
	if in.OwnerID != "" {
		if m := ownerIDMessage(in.OwnerID); m != "" {
			return CreatedCustomer{}, core.InvalidField("ownerId", "%s", m)
		}
	}
	contact := in.Contact
	if contact == nil && in.OwnerID != "" {
		owner, err := rs.p.store.GetReseller(ctx, in.OwnerID)
		switch {
		case err == nil:
			contact = &owner.Contact
		case core.ErrorCode(err) == core.NotFound:
			return CreatedCustomer{}, &core.Error{
				Code:    core.OwnerUnknown,
				Message: "no distributor or partner " + in.OwnerID + " exists",
				Fields:  []core.FieldError{{Field: "ownerId", Message: "names no distributor or partner"}},
			}
		default:
			return CreatedCustomer{}, err
		}
	}
	if contact == nil && in.OwnerID == "" {
		return CreatedCustomer{}, core.InvalidField("contact", "is required for a customer the platform owns; a reseller's customer takes the reseller's contact when none is given")
	}
	if contact == nil {
		contact = &tenant.Contact{}
	}
	noAdmin := in.Contact == nil
	profile := in.Profile
	ctin := CreateTenantInput{
		Name:      in.Name,
		Subdomain: in.Subdomain,
		PlanID:    in.PlanID,
		Contact:   *contact,
		OwnerID:   in.OwnerID,
		Profile:   &profile,
		noAdmin:   noAdmin,
	}
	derived := strings.TrimSpace(in.Subdomain) == ""
	base := reseller.SubdomainFrom(in.Profile.Nickname)
	if len(base) < 3 {
		base = reseller.SubdomainFrom(in.Name)
	}
	if len(base) < 3 {
		base = "customer"
	}
	for attempt := 0; ; attempt++ {
		if derived {
			ctin.Subdomain = base
			if attempt > 0 {
				ctin.Subdomain = base + "-" + strings.ToLower(core.NewID("x")[2:8])
			}
		}
		out, err := rs.p.CreateTenant(ctx, ctin)
		if err == nil {
			cc := CreatedCustomer{Customer: reseller.Customer{Tenant: out.Tenant, Profile: out.Profile}}
			if !noAdmin {
				admin := out.AdminUser
				cc.AdminUser, cc.SetPasswordToken = &admin, out.SetPasswordToken
			}
			return cc, nil
		}
		if !derived || attempt+1 == subdomainAttempts || !subdomainRefused(err) {
			return CreatedCustomer{}, withoutSubdomain(err, derived)
		}
	}
}

// withoutSubdomain drops the subdomain from the fields of an Invalid error
// when CreateCustomer made the subdomain itself: the caller gave none, and
// it is replaced once the other fields are right.
func withoutSubdomain(err error, derived bool) error {
	var ce *core.Error
	if !derived || !errors.As(err, &ce) || len(ce.Fields) < 2 {
		return err
	}
	fields := slices.DeleteFunc(slices.Clone(ce.Fields), func(f core.FieldError) bool { return f.Field == "subdomain" })
	if len(fields) == len(ce.Fields) {
		return err
	}
	out := *ce
	out.Fields = fields
	if len(fields) == 1 {
		out.Message = fields[0].Field + " " + fields[0].Message
	}
	return &out
}

// subdomainRefused reports whether err refuses the subdomain alone: taken,
// or invalid (reserved) with no other field wrong.
func subdomainRefused(err error) bool {
	var ce *core.Error
	if !errors.As(err, &ce) {
		return false
	}
	if ce.Code == core.SubdomainTaken {
		return true
	}
	return ce.Code == core.Invalid && len(ce.Fields) == 1 && ce.Fields[0].Field == "subdomain"
}

// ListCustomers returns one page of customers: the tenants f.Under owns
// (for a distributor, with those its partners own), or every tenant when
// f.Under is empty, with their profiles, ordered by creation time then ID.
// Errors: core.Invalid naming every bad field among "ownerId", "name",
// "page" and "limit"; core.OwnerUnknown when f.Under names no reseller.
func (rs Resellers) ListCustomers(ctx context.Context, f reseller.CustomerFilter) (core.Page[reseller.Customer], error) {
	a, err := need(ctx, PermCustomerView)
	if err != nil {
		return core.Page[reseller.Customer]{}, err
	}
	switch a.Scope.Kind {
	case access.ScopePlatform:
	case access.ScopeDistributor, access.ScopePartner:
		// A reseller lists its own customers; another reseller's are
		// unknown to it.
		if f.Under == "" {
			f.Under = a.Scope.ID
		} else if ok, err := rs.p.ownerInScope(ctx, a, f.Under); err != nil {
			return core.Page[reseller.Customer]{}, err
		} else if !ok {
			return core.Page[reseller.Customer]{}, &core.Error{
				Code:    core.OwnerUnknown,
				Message: "no distributor or partner " + f.Under + " exists",
				Fields:  []core.FieldError{{Field: "ownerId", Message: "names no distributor or partner"}},
			}
		}
	default:
		return core.Page[reseller.Customer]{}, forbidden(PermCustomerView)
	}
	f, err = reseller.CheckCustomerFilter(f)
	if err != nil {
		return core.Page[reseller.Customer]{}, err
	}
	if f.Under != "" {
		if _, err := rs.p.store.GetReseller(ctx, f.Under); core.ErrorCode(err) == core.NotFound {
			return core.Page[reseller.Customer]{}, &core.Error{
				Code:    core.OwnerUnknown,
				Message: "no distributor or partner " + f.Under + " exists",
				Fields:  []core.FieldError{{Field: "ownerId", Message: "names no distributor or partner"}},
			}
		} else if err != nil {
			return core.Page[reseller.Customer]{}, err
		}
	}
	items, total, err := rs.p.store.ListCustomers(ctx, f)
	if err != nil {
		return core.Page[reseller.Customer]{}, err
	}
	return core.NewPage(f.Page, items, total), nil
}

// DeleteCustomer soft-deletes the tenant, as Tenants().Delete does, and
// returns it as a customer with its DeletedAt.
// Errors: core.NotFound; core.TenantDeleted when already deleted.
func (rs Resellers) DeleteCustomer(ctx context.Context, tenantID string) (reseller.Customer, error) {
	ctx, done := rs.p.audited(ctx, "customer.delete")
	out, err := rs.doDeleteCustomer(ctx, tenantID)
	done(tenantID, tenantID, err)
	return out, err
}

// doDeleteCustomer is DeleteCustomer without its audit record.
func (rs Resellers) doDeleteCustomer(ctx context.Context, tenantID string) (reseller.Customer, error) {
	if _, _, err := rs.p.reachTenant(ctx, PermCustomerDelete, tenantID); err != nil {
		return reseller.Customer{}, err
	}
	var t tenant.Tenant
	err := rs.p.store.InTx(ctx, func(tx store.Store) error {
		var err error
		if t, err = rs.p.tenants.WithStore(tx).Delete(ctx, tenantID); err != nil {
			return err
		}
		return rs.p.subscriptionFollowsTenant(ctx, tx, t, t.Status, true)
	})
	if err != nil {
		return reseller.Customer{}, err
	}
	c := reseller.Customer{Tenant: t}
	c.Tenant.AtomCount, c.Tenant.UserCount = 0, 0
	switch prof, err := rs.p.store.GetCustomerProfile(ctx, tenantID); core.ErrorCode(err) {
	case "":
		c.Profile = &prof
	case core.NotFound:
	default:
		return reseller.Customer{}, err
	}
	return c, nil
}
