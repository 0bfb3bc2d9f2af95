package atomix

import (
	"context"
	"errors"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
)

// The tenant operations, checked against the context's actor (authz.go).
// Tenants() gives the unchecked service to trusted code.

// GetTenant returns the tenant with the ID, deleted or not, when the
// actor reaches it and holds tenant:view.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden.
func (p *Platform) GetTenant(ctx context.Context, id string) (tenant.Tenant, error) {
	_, t, err := p.reachTenant(ctx, PermTenantView, id)
	return t, err
}

// ListTenants returns one page of the tenants the actor reaches that match
// q, ordered by creation time then ID.
// Errors: core.Unauthenticated; core.Forbidden without tenant:view;
// core.Invalid naming every bad field among "status", "plan", "q", "page"
// and "limit".
func (p *Platform) ListTenants(ctx context.Context, q tenant.ListQuery) (core.Page[tenant.Tenant], error) {
	a, err := need(ctx, PermTenantView)
	if err != nil {
		return core.Page[tenant.Tenant]{}, err
	}
	switch a.Scope.Kind {
	case access.ScopePlatform:
		return p.tenants.List(ctx, q)
	case access.ScopePartner:
		q.OwnerID = a.Scope.ID
		return p.tenants.List(ctx, q)
	}
	f, err := tenant.ListFilter(q)
	if err != nil {
		return core.Page[tenant.Tenant]{}, err
	}
	if a.Scope.Kind == access.ScopeDistributor {
		// The distributor and its partners own its tenants: one indexed
		// read (tenant.Filter.OwnerIDs), unless it has too many partners
		// to name in one query.
		owners, ok, err := p.distributorOwners(ctx, a.Scope.ID)
		if err != nil {
			return core.Page[tenant.Tenant]{}, err
		}
		if ok {
			f.OwnerIDs = owners
			items, total, err := p.store.ListTenants(ctx, f)
			if err != nil {
				return core.Page[tenant.Tenant]{}, err
			}
			return core.NewPage(f.Page, items, total), nil
		}
	}
	return scopedPage(f.Page, p.tenantPages(ctx, f), tenant.Tenant.ListKey,
		func(t tenant.Tenant) (bool, error) { return p.tenantInScope(ctx, a, t) })
}

// tenantPages returns walk's list of the tenants matching f.
func (p *Platform) tenantPages(ctx context.Context, f tenant.Filter) func(*core.ListKey, core.PageRequest) ([]tenant.Tenant, error) {
	return func(after *core.ListKey, pr core.PageRequest) ([]tenant.Tenant, error) {
		f.After, f.Page = after, pr
		items, _, err := p.store.ListTenants(ctx, f)
		return items, err
	}
}

// distributorOwners returns the distributor's ID and those of its
// partners, deleted or not (the owners whose tenants it reaches), and
// whether they fit in tenant.MaxOwnerIDs. It walks the partners (walk),
// so a partner created or changed meanwhile is named once, and stops at
// the first page whose total shows they cannot fit.
// Errors: those of the store.
func (p *Platform) distributorOwners(ctx context.Context, distributorID string) ([]string, bool, error) {
	errTooMany := errors.New("too many owners") // ends the walk; never returned
	owners := []string{distributorID}
	f := reseller.Filter{Kind: reseller.KindPartner, DistributorID: distributorID, IncludeDeleted: true}
	err := walk(func(after *core.ListKey, pr core.PageRequest) ([]reseller.Reseller, error) {
		f.After, f.Page = after, pr
		items, total, err := p.store.ListResellers(ctx, f)
		if err == nil && total+1 > tenant.MaxOwnerIDs {
			return nil, errTooMany
		}
		return items, err
	}, reseller.Reseller.ListKey, func(r reseller.Reseller) error {
		if len(owners) == tenant.MaxOwnerIDs {
			return errTooMany
		}
		owners = append(owners, r.ID)
		return nil
	})
	switch {
	case errors.Is(err, errTooMany):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return owners, true, nil
}

// UpdateTenant changes a tenant's name, plan, contact or settings.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without tenant:edit; those of tenant.Service.Update.
func (p *Platform) UpdateTenant(ctx context.Context, id string, in tenant.UpdateInput) (tenant.Tenant, error) {
	ctx, done := p.audited(ctx, "tenant.update")
	out, err := p.doUpdateTenant(ctx, id, in)
	done(id, id, err)
	return out, err
}

// doUpdateTenant is UpdateTenant without its audit record.
func (p *Platform) doUpdateTenant(ctx context.Context, id string, in tenant.UpdateInput) (tenant.Tenant, error) {
	if _, _, err := p.reachTenant(ctx, PermTenantEdit, id); err != nil {
		return tenant.Tenant{}, err
	}
	if in.PlanID != nil && *in.PlanID != "" && !billing.ValidPlanID(*in.PlanID) {
		return tenant.Tenant{}, core.InvalidField("planId", "is not a plan ID")
	}
	var out tenant.Tenant
	err := p.store.InTx(ctx, func(tx store.Store) error {
		var err error
		if out, err = p.tenants.WithStore(tx).Update(ctx, id, in); err != nil {
			return err
		}
		if in.PlanID == nil || *in.PlanID == "" {
			return nil
		}
		return p.planFollowsTenant(ctx, tx, out)
	})
	return out, err
}

// planFollowsTenant moves the tenant's subscription to the plan its
// PlanID now names (a change now, prorated), or starts one for a tenant
// that had none.
// Errors: core.Invalid naming "planId"; core.PlanArchived;
// core.DowngradeBlocked; core.SubscriptionEnded.
func (p *Platform) planFollowsTenant(ctx context.Context, tx store.Store, t tenant.Tenant) error {
	pl, err := p.activePlanOrCurrent(ctx, tx, t.PlanID, "")
	if err != nil {
		return err
	}
	sub, err := tx.GetSubscription(ctx, t.ID)
	if core.ErrorCode(err) == core.NotFound {
		if err := checkFits(t, pl); err != nil {
			return err
		}
		_, err = p.startSubscription(ctx, tx, t, pl, "")
		return err
	}
	if err != nil || sub.PlanID == pl.ID {
		return err
	}
	if err := checkFits(t, pl); err != nil {
		return err
	}
	_, err = tx.UpdateSubscription(ctx, t.ID, func(s billing.Subscription) (billing.Subscription, error) {
		return s.ChangePlan(pl, false, p.now.Now())
	})
	return err
}

// subscriptionFollowsTenant applies a tenant's move to its subscription:
// cancelling (or deleting) the tenant cancels it now; activating it
// converts a trial or restarts an expired one.
func (p *Platform) subscriptionFollowsTenant(ctx context.Context, tx store.Store, t tenant.Tenant, to tenant.Status, deleted bool) error {
	sub, err := tx.GetSubscription(ctx, t.ID)
	if core.ErrorCode(err) == core.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	now := p.now.Now()
	switch {
	case sub.Status == billing.Cancelled:
		return nil
	case deleted || to == tenant.StatusCancelled:
		_, err = tx.UpdateSubscription(ctx, t.ID, func(s billing.Subscription) (billing.Subscription, error) {
			if s.Status.Ended() {
				return s, nil
			}
			return s.Cancel(false, now)
		})
	case to == tenant.StatusActive && (sub.Status == billing.Trialing || sub.Status == billing.Expired):
		_, err = tx.UpdateSubscription(ctx, t.ID, func(s billing.Subscription) (billing.Subscription, error) {
			s, _, err := activate(s, t, now)
			return s, err
		})
	}
	return err
}

// DeleteTenant soft-deletes a tenant and returns it.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without tenant:delete; core.TenantDeleted.
func (p *Platform) DeleteTenant(ctx context.Context, id string) (tenant.Tenant, error) {
	ctx, done := p.audited(ctx, "tenant.delete")
	out, err := p.doDeleteTenant(ctx, id)
	done(id, id, err)
	return out, err
}

// doDeleteTenant is DeleteTenant without its audit record.
func (p *Platform) doDeleteTenant(ctx context.Context, id string) (tenant.Tenant, error) {
	if _, _, err := p.reachTenant(ctx, PermTenantDelete, id); err != nil {
		return tenant.Tenant{}, err
	}
	var out tenant.Tenant
	err := p.store.InTx(ctx, func(tx store.Store) error {
		var err error
		if out, err = p.tenants.WithStore(tx).Delete(ctx, id); err != nil {
			return err
		}
		return p.subscriptionFollowsTenant(ctx, tx, out, out.Status, true)
	})
	return out, err
}

// TransitionTenant moves a tenant to another status (suspend, activate,
// cancel).
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without tenant:lifecycle; those of
// tenant.Service.Transition.
func (p *Platform) TransitionTenant(ctx context.Context, id string, to tenant.Status) (tenant.Tenant, error) {
	ctx, done := p.audited(ctx, "tenant.transition")
	out, err := p.doTransitionTenant(ctx, id, to)
	done(id, id, err)
	return out, err
}

// doTransitionTenant is TransitionTenant without its audit record.
func (p *Platform) doTransitionTenant(ctx context.Context, id string, to tenant.Status) (tenant.Tenant, error) {
	if _, _, err := p.reachTenant(ctx, PermTenantLifecycle, id); err != nil {
		return tenant.Tenant{}, err
	}
	var out tenant.Tenant
	err := p.store.InTx(ctx, func(tx store.Store) error {
		var err error
		if out, err = p.tenants.WithStore(tx).Transition(ctx, id, to); err != nil {
			return err
		}
		return p.subscriptionFollowsTenant(ctx, tx, out, to, false)
	})
	return out, err
}
