package atomix

import (
	"context"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
)

// Billing on the platform: plans, pricing (SKUs), subscriptions, usage,
// invoices and summaries. The pure rules live in package billing; the
// workflows here tie them to tenants, users and atoms in one transaction.

// The billing permissions.
const (
	PermPlanView           = "plan:view"
	PermPlanCreate         = "plan:create"
	PermPlanEdit           = "plan:edit"
	PermPlanDelete         = "plan:delete"
	PermPricingView        = "pricing:view"
	PermPricingCreate      = "pricing:create"
	PermSubscriptionView   = "subscription:view"
	PermSubscriptionCreate = "subscription:create"
	PermSubscriptionEdit   = "subscription:edit"
	PermUsageView          = "usage:view"
	PermUsageWrite         = "usage:write"
	PermInvoiceView        = "invoice:view"
	PermInvoiceEdit        = "invoice:edit" // finalize, pay, void, uncollectible
	PermBillingRun         = "billing:run"
	PermBillingView        = "billing:view" // summaries
)

// Notifier receives usage threshold events (80% and 100% of a limit),
// exactly one per tenant, metric, threshold and period. Notify runs after
// the write that crossed the threshold has committed; its error is
// logged by the caller's audit trail, never undoes the write.
type Notifier interface {
	Notify(ctx context.Context, e billing.ThresholdEvent) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, e billing.ThresholdEvent) error

// Notify implements Notifier.
func (f NotifierFunc) Notify(ctx context.Context, e billing.ThresholdEvent) error { return f(ctx, e) }

// BillingConfig configures billing (WithBilling).
type BillingConfig struct {
	// Notifier receives threshold events; nil drops them (they are still
	// recorded once).
	Notifier Notifier
	// UsageGrace is how long after a period's end usage for it is still
	// accepted (billing.DefaultUsageGrace when zero). A billing run for a
	// month waits until the month's end plus UsageGrace, so no record
	// reaches a period after its invoice is made.
	UsageGrace time.Duration
	// InvoiceDueDays is the days from an invoice's finalization to its due
	// date (billing.DefaultInvoiceDays when zero).
	InvoiceDueDays int
	// FutureSkew is how far past now a usage timestamp may be
	// (billing.DefaultFutureSkew when zero).
	FutureSkew time.Duration
}

// WithBilling configures billing.
func WithBilling(c BillingConfig) Option {
	return func(cf *config) { cf.billing = c }
}

func (c BillingConfig) withDefaults() BillingConfig {
	if c.UsageGrace <= 0 {
		c.UsageGrace = billing.DefaultUsageGrace
	}
	if c.InvoiceDueDays <= 0 {
		c.InvoiceDueDays = billing.DefaultInvoiceDays
	}
	if c.FutureSkew <= 0 {
		c.FutureSkew = billing.DefaultFutureSkew
	}
	return c
}

// PublicPlans returns the active plans, ordered by creation: GET
// /billing/plans, which anyone may read, so it needs no actor.
// Errors: those of the store.
func (p *Platform) PublicPlans(ctx context.Context) ([]billing.Plan, error) {
	return p.store.ListPlans(ctx, false)
}

// ListPlans returns the plans, archived ones too when includeArchived.
// Errors: core.Unauthenticated; core.Forbidden without plan:view or
// outside the platform's scope.
func (p *Platform) ListPlans(ctx context.Context, includeArchived bool) ([]billing.Plan, error) {
	if err := needPlatform(ctx, PermPlanView); err != nil {
		return nil, err
	}
	return p.store.ListPlans(ctx, includeArchived)
}

// GetPlan returns a plan.
// Errors: core.Unauthenticated; core.Forbidden; core.NotFound.
func (p *Platform) GetPlan(ctx context.Context, id string) (billing.Plan, error) {
	if err := needPlatform(ctx, PermPlanView); err != nil {
		return billing.Plan{}, err
	}
	return p.getPlan(ctx, p.store, id)
}

func (p *Platform) getPlan(ctx context.Context, s store.Store, id string) (billing.Plan, error) {
	if !billing.ValidPlanID(id) {
		return billing.Plan{}, core.Errorf(core.NotFound, "plan %q not found", id)
	}
	return s.GetPlan(ctx, id)
}

// CreatePlan stores a new plan. An empty ID gets a generated "plan_..."
// one; an empty Status is active; the times are set.
// Errors: core.Unauthenticated; core.Forbidden without plan:create or
// outside the platform's scope; core.Invalid naming each bad field
// (billing.Plan.Validate); core.Conflict when the ID is taken.
func (p *Platform) CreatePlan(ctx context.Context, pl billing.Plan) (billing.Plan, error) {
	ctx, done := p.audited(ctx, "plan.create")
	out, err := p.doCreatePlan(ctx, pl)
	done(out.ID, "", err)
	return out, err
}

func (p *Platform) doCreatePlan(ctx context.Context, pl billing.Plan) (billing.Plan, error) {
	if err := needPlatform(ctx, PermPlanCreate); err != nil {
		return billing.Plan{}, err
	}
	if pl.ID == "" {
		pl.ID = core.NewID(core.PrefixPlan)
	}
	if pl.Status == "" {
		pl.Status = billing.PlanActive
	}
	pl.Name = strings.TrimSpace(pl.Name)
	now := p.now.Now()
	pl.CreatedAt, pl.UpdatedAt = now, now
	if err := pl.Validate(); err != nil {
		return billing.Plan{}, err
	}
	if err := p.store.CreatePlan(ctx, pl); err != nil {
		return billing.Plan{}, err
	}
	return pl, nil
}

// UpdatePlan replaces a plan's fields with pl's (PUT /plans/{planId}):
// name, description, prices, trial days, limits, features, isPopular and
// status (archive with billing.PlanArchived). The ID, currency and
// creation time stay. New prices apply to invoices made after the
// change; new limits apply at once.
// Errors: core.Unauthenticated; core.Forbidden; core.NotFound;
// core.Invalid naming each bad field, and "currency" when it would
// change.
func (p *Platform) UpdatePlan(ctx context.Context, id string, pl billing.Plan) (billing.Plan, error) {
	ctx, done := p.audited(ctx, "plan.update")
	out, err := p.doUpdatePlan(ctx, id, pl)
	done(id, "", err)
	return out, err
}

func (p *Platform) doUpdatePlan(ctx context.Context, id string, pl billing.Plan) (billing.Plan, error) {
	if err := needPlatform(ctx, PermPlanEdit); err != nil {
		return billing.Plan{}, err
	}
	if _, err := p.getPlan(ctx, p.store, id); err != nil {
		return billing.Plan{}, err
	}
	return p.store.UpdatePlan(ctx, id, func(cur billing.Plan) (billing.Plan, error) {
		if !pl.Currency.IsZero() && pl.Currency != cur.Currency {
			return cur, core.InvalidField("currency", "a plan's currency cannot change (it is %s); make a new plan", cur.Currency)
		}
		next := pl
		next.ID, next.Currency, next.CreatedAt = cur.ID, cur.Currency, cur.CreatedAt
		next.Name = strings.TrimSpace(next.Name)
		if next.Status == "" {
			next.Status = cur.Status
		}
		next.UpdatedAt = p.now.Now()
		if err := next.Validate(); err != nil {
			return cur, err
		}
		return next, nil
	})
}

// DeletePlan deletes a plan that no tenant and no subscription uses; a
// plan in use can only be archived (UpdatePlan with status archived).
// Errors: core.Unauthenticated; core.Forbidden; core.NotFound;
// core.PlanInUse.
func (p *Platform) DeletePlan(ctx context.Context, id string) error {
	ctx, done := p.audited(ctx, "plan.delete")
	err := p.doDeletePlan(ctx, id)
	done(id, "", err)
	return err
}

func (p *Platform) doDeletePlan(ctx context.Context, id string) error {
	if err := needPlatform(ctx, PermPlanDelete); err != nil {
		return err
	}
	if !billing.ValidPlanID(id) {
		return core.Errorf(core.NotFound, "plan %q not found", id)
	}
	return p.store.DeletePlan(ctx, id)
}

// ListSKUs returns the priced SKUs (GET /pricing).
// Errors: core.Unauthenticated; core.Forbidden without pricing:view or
// outside the platform's scope.
func (p *Platform) ListSKUs(ctx context.Context) ([]billing.SKU, error) {
	if err := needPlatform(ctx, PermPricingView); err != nil {
		return nil, err
	}
	return p.store.ListSKUs(ctx)
}

// CreateSKU stores a priced SKU (POST /pricing). Price.SKU is set to the
// code when empty. Every plan it names must exist and have the SKU's
// currency; a metric priced by another SKU must aggregate the same way.
// Errors: core.Unauthenticated; core.Forbidden; core.Invalid naming each
// bad field, "planIds" for a plan that does not exist or has another
// currency; core.PriceInvalid; core.SKUDuplicate; core.MetricConflict.
func (p *Platform) CreateSKU(ctx context.Context, s billing.SKU) (billing.SKU, error) {
	ctx, done := p.audited(ctx, "pricing.create")
	out, err := p.doCreateSKU(ctx, s)
	done(s.Code, "", err)
	return out, err
}

func (p *Platform) doCreateSKU(ctx context.Context, s billing.SKU) (billing.SKU, error) {
	if err := needPlatform(ctx, PermPricingCreate); err != nil {
		return billing.SKU{}, err
	}
	if s.Price.SKU == "" {
		s.Price.SKU = s.Code
	}
	s.CreatedAt = p.now.Now()
	if err := s.Validate(); err != nil {
		return billing.SKU{}, err
	}
	err := p.store.InTx(ctx, func(tx store.Store) error {
		var f core.Fields
		for _, id := range s.PlanIDs {
			pl, err := tx.GetPlan(ctx, id)
			switch {
			case core.ErrorCode(err) == core.NotFound:
				f.Add("planIds", "plan %q does not exist", id)
			case err != nil:
				return err
			case pl.Currency != s.Price.Currency:
				f.Add("planIds", "plan %q is priced in %s, the SKU in %s", id, pl.Currency, s.Price.Currency)
			}
		}
		if err := f.Err(); err != nil {
			return err
		}
		skus, err := tx.ListSKUs(ctx)
		if err != nil {
			return err
		}
		for _, o := range skus {
			if o.Metric() == s.Metric() && o.Aggregation != s.Aggregation {
				return core.Errorf(core.MetricConflict, "metric %q is aggregated by %s in SKU %q; a metric has one aggregation", s.Metric(), o.Aggregation, o.Code)
			}
		}
		return tx.CreateSKU(ctx, s)
	})
	if err != nil {
		return billing.SKU{}, err
	}
	return s, nil
}

// planOfTenant returns the plan a tenant is on, read through s; ok is
// false when the tenant has no plan or its plan is not stored (tenants
// made before plans existed).
func planOfTenant(ctx context.Context, s store.Store, planID string) (billing.Plan, bool, error) {
	if planID == "" || !billing.ValidPlanID(planID) {
		return billing.Plan{}, false, nil
	}
	pl, err := s.GetPlan(ctx, planID)
	if core.ErrorCode(err) == core.NotFound {
		return billing.Plan{}, false, nil
	}
	if err != nil {
		return billing.Plan{}, false, err
	}
	return pl, true, nil
}
