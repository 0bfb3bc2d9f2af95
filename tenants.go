package atomix

import (
	"context"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
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
	return scopedPage(f.Page, func(pr core.PageRequest) ([]tenant.Tenant, int, error) {
		g := f
		g.Page = pr
		return p.store.ListTenants(ctx, g)
	}, func(t tenant.Tenant) (bool, error) { return p.tenantInScope(ctx, a, t) })
}

// distributorOwners returns the distributor's ID and those of its
// partners, deleted or not (the owners whose tenants it reaches), and
// whether they fit in tenant.MaxOwnerIDs.
// Errors: those of the store.
func (p *Platform) distributorOwners(ctx context.Context, distributorID string) ([]string, bool, error) {
	owners := []string{distributorID}
	f := reseller.Filter{Kind: reseller.KindPartner, DistributorID: distributorID, IncludeDeleted: true}
	for pg := 1; ; pg++ {
		f.Page = core.PageRequest{Page: pg, Limit: core.MaxLimit}
		items, total, err := p.store.ListResellers(ctx, f)
		if err != nil {
			return nil, false, err
		}
		if total+1 > tenant.MaxOwnerIDs {
			return nil, false, nil
		}
		for _, r := range items {
			owners = append(owners, r.ID)
		}
		if len(items) == 0 || pg*core.MaxLimit >= total {
			return owners, true, nil
		}
	}
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
	return p.tenants.Update(ctx, id, in)
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
	return p.tenants.Delete(ctx, id)
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
	return p.tenants.Transition(ctx, id, to)
}
