package atomix

import (
	"context"
	"time"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
)

// Subscriptions. Every tenant created on a plan gets one (CreateTenant),
// trialing for the plan's trial days. The tenant's status follows its
// subscription by these rules, applied in the transaction that changes
// the subscription:
//   - a trial that ends unconverted expires the subscription and suspends
//     the tenant; activating the tenant before the trial ends converts it
//     (the tenant becomes active, billing starts at the trial's end);
//     activating a suspended tenant whose trial expired restarts the
//     subscription, active from that day;
//   - a cancellation (now, or at the period's end when it comes) cancels
//     the tenant; cancelling or deleting the tenant cancels the
//     subscription now;
//   - past_due leaves the tenant as it is.
//
// Tenant.PlanID mirrors the plan in force.

// SubscriptionInfo is a subscription with what seed 002 shows beside it.
type SubscriptionInfo struct {
	billing.Subscription
	PlanName      string
	CurrentPeriod billing.Period
	ExpiresAt     *time.Time
	NextInvoiceAt *time.Time
}

func (p *Platform) subscriptionInfo(ctx context.Context, s store.Store, sub billing.Subscription) (SubscriptionInfo, error) {
	now := p.now.Now()
	out := SubscriptionInfo{Subscription: sub, ExpiresAt: sub.ExpiresAt(now), NextInvoiceAt: sub.NextInvoiceAt(now)}
	at := now
	if sub.EndedAt != nil && !at.Before(*sub.EndedAt) {
		at = sub.EndedAt.AddDate(0, 0, -1)
	}
	if at.Before(sub.StartedAt) {
		at = sub.StartedAt
	}
	pd, err := sub.CurrentPeriod(at)
	if err != nil {
		return SubscriptionInfo{}, err
	}
	out.CurrentPeriod = pd
	if pl, ok, err := planOfTenant(ctx, s, sub.PlanID); err != nil {
		return SubscriptionInfo{}, err
	} else if ok {
		out.PlanName = pl.Name
	}
	return out, nil
}

// startSubscription subscribes a new tenant to its plan inside tx.
func (p *Platform) startSubscription(ctx context.Context, tx store.Store, t tenant.Tenant, pl billing.Plan, iv billing.Interval) (billing.Subscription, error) {
	sub, err := billing.NewSubscription(t.ID, pl, iv, p.now.Now())
	if err != nil {
		return billing.Subscription{}, err
	}
	if err := tx.CreateSubscription(ctx, sub); err != nil {
		return billing.Subscription{}, err
	}
	return sub, nil
}

// GetSubscription returns the tenant's subscription, after applying
// what came due (Advance).
// Errors: core.Unauthenticated; core.NotFound for a tenant outside the
// actor's scope or without a subscription; core.Forbidden without
// subscription:view.
func (p *Platform) GetSubscription(ctx context.Context, tenantID string) (SubscriptionInfo, error) {
	if _, _, err := p.reachTenant(ctx, PermSubscriptionView, tenantID); err != nil {
		return SubscriptionInfo{}, err
	}
	if _, err := p.advanceTenant(ctx, tenantID, nil); err != nil {
		return SubscriptionInfo{}, err
	}
	sub, err := p.store.GetSubscription(ctx, tenantID)
	if err != nil {
		return SubscriptionInfo{}, err
	}
	return p.subscriptionInfo(ctx, p.store, sub)
}

// SubscriptionQuery selects subscriptions for ListSubscriptions.
type SubscriptionQuery struct {
	Status billing.SubscriptionStatus
	PlanID string
	Page   core.PageRequest
}

// ListSubscriptions returns one page of the subscriptions of the tenants
// the actor reaches.
// Errors: core.Unauthenticated; core.Forbidden without
// subscription:view; core.Invalid naming "status" or the page's fields.
func (p *Platform) ListSubscriptions(ctx context.Context, q SubscriptionQuery) (core.Page[SubscriptionInfo], error) {
	a, err := need(ctx, PermSubscriptionView)
	if err != nil {
		return core.Page[SubscriptionInfo]{}, err
	}
	f := billing.SubscriptionFilter{PlanID: q.PlanID}
	switch q.Status {
	case "":
	case billing.Trialing, billing.Active, billing.PastDue, billing.Cancelled, billing.Expired:
		f.Statuses = []billing.SubscriptionStatus{q.Status}
	default:
		return core.Page[SubscriptionInfo]{}, core.InvalidField("status", "must be one of trialing, active, past_due, cancelled, expired")
	}
	if a.Scope.Kind == access.ScopeTenant {
		f.TenantIDs = []string{a.Scope.ID}
	}
	var page core.Page[billing.Subscription]
	if platformActor(a) || a.Scope.Kind == access.ScopeTenant {
		req, err := q.Page.Normalize()
		if err != nil {
			return core.Page[SubscriptionInfo]{}, err
		}
		f.Page = req
		items, total, err := p.store.ListSubscriptions(ctx, f)
		if err != nil {
			return core.Page[SubscriptionInfo]{}, err
		}
		page = core.NewPage(req, items, total)
	} else {
		list := func(after *core.ListKey, pr core.PageRequest) ([]billing.Subscription, error) {
			f.After, f.Page = after, pr
			items, _, err := p.store.ListSubscriptions(ctx, f)
			return items, err
		}
		page, err = scopedPage(q.Page, list, billing.Subscription.ListKey, func(s billing.Subscription) (bool, error) {
			t, err := p.store.GetTenant(ctx, s.TenantID)
			if err != nil {
				return false, err
			}
			return p.tenantInScope(ctx, a, t)
		})
		if err != nil {
			return core.Page[SubscriptionInfo]{}, err
		}
	}
	out := core.Page[SubscriptionInfo]{Items: make([]SubscriptionInfo, 0, len(page.Items)), Page: page.Page, Limit: page.Limit,
		Total: page.Total, TotalPages: page.TotalPages}
	for _, s := range page.Items {
		info, err := p.subscriptionInfo(ctx, p.store, s)
		if err != nil {
			return core.Page[SubscriptionInfo]{}, err
		}
		out.Items = append(out.Items, info)
	}
	return out, nil
}

// NewSubscriptionInput is POST /subscriptions: a subscription for a
// tenant that has none (one created without a plan).
type NewSubscriptionInput struct {
	TenantID string
	PlanID   string
	Interval billing.Interval // month (default when the plan has it) or year
}

// CreateSubscription subscribes a tenant without a subscription to a
// plan, trialing for the plan's trial days.
// Errors: core.Unauthenticated; core.NotFound for a tenant outside the
// actor's scope; core.Forbidden without subscription:create;
// core.Invalid naming "planId" or "interval"; core.PlanArchived;
// core.Conflict when the tenant has a subscription; core.TenantDeleted.
func (p *Platform) CreateSubscription(ctx context.Context, in NewSubscriptionInput) (SubscriptionInfo, error) {
	ctx, done := p.audited(ctx, "subscription.create")
	out, err := p.doCreateSubscription(ctx, in)
	done(out.ID, in.TenantID, err)
	return out, err
}

func (p *Platform) doCreateSubscription(ctx context.Context, in NewSubscriptionInput) (SubscriptionInfo, error) {
	if _, _, err := p.reachTenant(ctx, PermSubscriptionCreate, in.TenantID); err != nil {
		return SubscriptionInfo{}, err
	}
	if in.Interval != "" && in.Interval != billing.Monthly && in.Interval != billing.Yearly {
		return SubscriptionInfo{}, core.InvalidField("interval", "must be \"month\" or \"year\"")
	}
	var out SubscriptionInfo
	err := p.store.InTx(ctx, func(tx store.Store) error {
		pl, err := p.activePlan(ctx, tx, in.PlanID)
		if err != nil {
			return err
		}
		t, err := tx.UpdateTenant(ctx, in.TenantID, func(t tenant.Tenant) (tenant.Tenant, error) {
			if t.Deleted() {
				return t, core.Errorf(core.TenantDeleted, "tenant %s is deleted", t.ID)
			}
			if t.PlanID != pl.ID {
				t.PlanID, t.UpdatedAt = pl.ID, p.now.Now()
			}
			return t, nil
		})
		if err != nil {
			return err
		}
		if _, err := tx.GetSubscription(ctx, t.ID); err == nil {
			return core.Errorf(core.Conflict, "tenant %s has a subscription; change it with PUT /tenants/%s/subscription", t.ID, t.ID)
		} else if core.ErrorCode(err) != core.NotFound {
			return err
		}
		if err := checkFits(t, pl); err != nil {
			return err
		}
		sub, err := p.startSubscription(ctx, tx, t, pl, in.Interval)
		if err != nil {
			return err
		}
		out, err = p.subscriptionInfo(ctx, tx, sub)
		return err
	})
	return out, err
}

// activePlan reads the plan a new subscription or tenant names.
// Errors: core.Invalid naming "planId" when no plan has the ID;
// core.PlanArchived.
func (p *Platform) activePlan(ctx context.Context, s store.Store, id string) (billing.Plan, error) {
	pl, ok, err := planOfTenant(ctx, s, id)
	if err != nil {
		return billing.Plan{}, err
	}
	if !ok {
		return billing.Plan{}, core.InvalidField("planId", "no plan has the ID %q", id)
	}
	if pl.Status != billing.PlanActive {
		return billing.Plan{}, core.Errorf(core.PlanArchived, "plan %s is archived and takes no new subscriptions", id)
	}
	return pl, nil
}

// CancelMode says when a cancellation takes effect.
type CancelMode string

// Cancel modes.
const (
	CancelNow       CancelMode = "now"
	CancelPeriodEnd CancelMode = "period_end"
)

// SubscriptionChange is PUT /tenants/{tenantId}/subscription. Zero
// fields change nothing; the changes apply in this order: activate, tax,
// trial end, plan, cancel.
type SubscriptionChange struct {
	// PlanID moves the subscription to another plan: now (prorated by
	// day) or, with AtPeriodEnd, when the current period ends. A plan
	// whose limits the tenant's users or atoms do not fit is refused.
	PlanID      string
	AtPeriodEnd bool
	// Cancel ends the subscription now or at the period's end.
	Cancel CancelMode
	// Activate converts a trial, or restarts an expired one from today
	// (the tenant becomes active).
	Activate bool
	// TaxRateBP sets the tenant's tax rate in basis points (0 to 10000).
	TaxRateBP *int
	// TrialEnd moves the end of a running trial (seed 002's expires_at):
	// a future date, at most billing.MaxTrialDays after the start.
	TrialEnd *time.Time
}

// UpdateSubscription changes the tenant's subscription (PUT
// /tenants/{tenantId}/subscription) and moves the tenant's status as the
// rules above say, in one transaction.
// Errors: core.Unauthenticated; core.NotFound (tenant outside scope, or
// no subscription); core.Forbidden without subscription:edit;
// core.Invalid naming "planId", "cancel", "taxRateBp" or "expiresAt";
// core.PlanArchived; core.SubscriptionEnded; core.DowngradeBlocked naming
// each limit the tenant does not fit.
func (p *Platform) UpdateSubscription(ctx context.Context, tenantID string, ch SubscriptionChange) (SubscriptionInfo, error) {
	ctx, done := p.audited(ctx, "subscription.update")
	out, err := p.doUpdateSubscription(ctx, tenantID, ch)
	done(out.ID, tenantID, err)
	return out, err
}

func (p *Platform) doUpdateSubscription(ctx context.Context, tenantID string, ch SubscriptionChange) (SubscriptionInfo, error) {
	if _, _, err := p.reachTenant(ctx, PermSubscriptionEdit, tenantID); err != nil {
		return SubscriptionInfo{}, err
	}
	var f core.Fields
	if ch.Cancel != "" && ch.Cancel != CancelNow && ch.Cancel != CancelPeriodEnd {
		f.Add("cancel", "must be \"now\" or \"period_end\"")
	}
	if ch.TaxRateBP != nil && (*ch.TaxRateBP < 0 || *ch.TaxRateBP > billing.MaxTaxRateBP) {
		f.Add("taxRateBp", "must be between 0 and %d basis points", billing.MaxTaxRateBP)
	}
	if ch.PlanID != "" && !billing.ValidPlanID(ch.PlanID) {
		f.Add("planId", "is not a plan ID")
	}
	if err := f.Err(); err != nil {
		return SubscriptionInfo{}, err
	}
	if _, err := p.advanceTenant(ctx, tenantID, nil); err != nil {
		return SubscriptionInfo{}, err
	}
	var out SubscriptionInfo
	err := p.store.InTx(ctx, func(tx store.Store) error {
		now := p.now.Now()
		t, err := tx.UpdateTenant(ctx, tenantID, func(t tenant.Tenant) (tenant.Tenant, error) { return t, nil })
		if err != nil {
			return err
		}
		var newPlan billing.Plan
		if ch.PlanID != "" {
			if newPlan, err = p.activePlanOrCurrent(ctx, tx, ch.PlanID, t.PlanID); err != nil {
				return err
			}
			if err := checkFits(t, newPlan); err != nil {
				return err
			}
		}
		var status tenant.Status
		sub, err := tx.UpdateSubscription(ctx, tenantID, func(s billing.Subscription) (billing.Subscription, error) {
			var err error
			if ch.Activate {
				if s, status, err = activate(s, t, now); err != nil {
					return s, err
				}
			}
			if ch.TaxRateBP != nil {
				s.TaxRateBP, s.UpdatedAt = *ch.TaxRateBP, now
			}
			if ch.TrialEnd != nil {
				if s, err = moveTrialEnd(s, *ch.TrialEnd, now); err != nil {
					return s, err
				}
			}
			if ch.PlanID != "" {
				if s, err = s.ChangePlan(newPlan, ch.AtPeriodEnd, now); err != nil {
					return s, err
				}
			}
			if ch.Cancel != "" {
				if s, err = s.Cancel(ch.Cancel == CancelPeriodEnd, now); err != nil {
					return s, err
				}
				if s.Status == billing.Cancelled {
					status = tenant.StatusCancelled
				}
			}
			return s, nil
		})
		if err != nil {
			return err
		}
		if err := p.followSubscription(ctx, tx, t.ID, sub, status); err != nil {
			return err
		}
		out, err = p.subscriptionInfo(ctx, tx, sub)
		return err
	})
	return out, err
}

// activePlanOrCurrent is activePlan, also accepting the archived plan the
// tenant is on (a change back to it).
func (p *Platform) activePlanOrCurrent(ctx context.Context, tx store.Store, id, current string) (billing.Plan, error) {
	pl, err := p.activePlan(ctx, tx, id)
	if core.ErrorCode(err) == core.PlanArchived && id == current {
		return tx.GetPlan(ctx, id)
	}
	return pl, err
}

// activate converts a trial, or restarts an expired subscription from
// today, and says which status the tenant moves to.
func activate(s billing.Subscription, t tenant.Tenant, now time.Time) (billing.Subscription, tenant.Status, error) {
	switch s.Status {
	case billing.Expired:
		today := now.UTC().Truncate(24 * time.Hour)
		s.Status, s.EndedAt, s.TrialEnd, s.ConvertedAt, s.Anchor = billing.Active, nil, nil, &now, today
		s.Segments = append(append([]billing.Segment(nil), s.Segments...), billing.Segment{PlanID: s.PlanID, From: today})
		s.UpdatedAt = now
		return s, tenant.StatusActive, nil
	case billing.Cancelled:
		return s, "", core.Errorf(core.SubscriptionEnded, "subscription %s is cancelled", s.ID)
	}
	s, err := s.Convert(now)
	if err != nil {
		return s, "", err
	}
	if t.Status == tenant.StatusTrial {
		return s, tenant.StatusActive, nil
	}
	return s, "", nil
}

// moveTrialEnd moves a running trial's end to the day of at.
func moveTrialEnd(s billing.Subscription, at, now time.Time) (billing.Subscription, error) {
	if s.Status != billing.Trialing || s.TrialEnd == nil {
		return s, core.InvalidField("expiresAt", "only a running trial's end can move; cancel with \"cancel\"")
	}
	end := at.UTC().Truncate(24 * time.Hour)
	if !end.After(now) {
		return s, core.InvalidField("expiresAt", "must be a future day")
	}
	start := s.StartedAt.UTC().Truncate(24 * time.Hour)
	if end.After(start.AddDate(0, 0, billing.MaxTrialDays)) {
		return s, core.InvalidField("expiresAt", "a trial lasts at most %d days", billing.MaxTrialDays)
	}
	s.TrialEnd, s.Anchor, s.UpdatedAt = &end, end, now
	if s.ChangeAt != nil {
		s.ChangeAt = &end
	}
	return s, nil
}

// followSubscription moves the tenant to status (when set and the
// lifecycle allows it) and keeps its PlanID equal to the subscription's.
func (p *Platform) followSubscription(ctx context.Context, tx store.Store, tenantID string, sub billing.Subscription, status tenant.Status) error {
	_, err := tx.UpdateTenant(ctx, tenantID, func(t tenant.Tenant) (tenant.Tenant, error) {
		changed := false
		if status != "" && status != t.Status && !t.Deleted() && tenant.CheckTransition(t.Status, status) == nil {
			t.Status, changed = status, true
		}
		if t.PlanID != sub.PlanID {
			t.PlanID, changed = sub.PlanID, true
		}
		if changed {
			t.UpdatedAt = p.now.Now()
		}
		return t, nil
	})
	return err
}

// statusAfter maps the events of Advance to the tenant status they move
// the tenant to ("" for none).
func statusAfter(ev []billing.Event) tenant.Status {
	var st tenant.Status
	for _, e := range ev {
		switch e {
		case billing.EventTrialExpired:
			st = tenant.StatusSuspended
		case billing.EventCancelled:
			st = tenant.StatusCancelled
		}
	}
	return st
}

// advanceTenant applies what came due on the tenant's subscription (see
// billing.Subscription.Advance) in one transaction with the tenant's
// status. overdue says whether an invoice is open past its due date; nil
// reads it from the store. It returns the events; none (and no write)
// when nothing was due or the tenant has no subscription.
func (p *Platform) advanceTenant(ctx context.Context, tenantID string, overdue *bool) ([]billing.Event, error) {
	now := p.now.Now()
	sub, err := p.store.GetSubscription(ctx, tenantID)
	if core.ErrorCode(err) == core.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	od := false
	if overdue != nil {
		od = *overdue
	} else if sub.Status == billing.Active || sub.Status == billing.PastDue {
		if od, err = p.overdue(ctx, tenantID, now); err != nil {
			return nil, err
		}
	}
	if _, ev := sub.Advance(now, od); len(ev) == 0 {
		return nil, nil
	}
	var events []billing.Event
	err = p.store.InTx(ctx, func(tx store.Store) error {
		events = nil
		sub, err := tx.UpdateSubscription(ctx, tenantID, func(s billing.Subscription) (billing.Subscription, error) {
			s, events = s.Advance(now, od)
			return s, nil
		})
		if err != nil {
			return err
		}
		if len(events) == 0 {
			return nil
		}
		return p.followSubscription(ctx, tx, tenantID, sub, statusAfter(events))
	})
	return events, err
}

// overdue reports whether the tenant has an open invoice past its due
// date.
func (p *Platform) overdue(ctx context.Context, tenantID string, now time.Time) (bool, error) {
	f := billing.InvoiceFilter{TenantID: tenantID, Statuses: []billing.InvoiceStatus{billing.InvoiceOpen}, DueBefore: dueBefore(now),
		Page: core.PageRequest{Page: 1, Limit: 1}}
	items, _, err := p.store.ListInvoices(ctx, f)
	if err != nil {
		return false, err
	}
	return len(items) > 0 && now.After(items[0].DueAt), nil
}

// dueBefore is the InvoiceFilter.DueBefore that selects the invoices due
// before now: stores keep due dates to the microsecond, so now is rounded
// up to one.
func dueBefore(now time.Time) time.Time {
	if t := now.Truncate(time.Microsecond); !t.Equal(now) {
		return t.Add(time.Microsecond)
	}
	return now
}

// scanPage is how many subscriptions the jobs read at a time.
const scanPage = 500

// AdvanceSubscriptions applies what came due on every subscription (trial
// ends, changes and cancellations at period ends, past_due), moving the
// tenants as the rules say. A scheduler runs it (RunBilling runs it
// first too). It returns how many subscriptions changed.
// Errors: core.Unauthenticated; core.Forbidden without billing:run or
// outside the platform's scope; those of the store.
func (p *Platform) AdvanceSubscriptions(ctx context.Context) (int, error) {
	if err := needPlatform(ctx, PermBillingRun); err != nil {
		return 0, err
	}
	return p.advanceAll(ctx)
}

func (p *Platform) advanceAll(ctx context.Context) (int, error) {
	now := p.now.Now()
	overdue, err := p.overdueTenants(ctx, now)
	if err != nil {
		return 0, err
	}
	var due []string
	for after := ""; ; {
		items, err := p.store.ScanSubscriptions(ctx, after, scanPage)
		if err != nil {
			return 0, err
		}
		for _, s := range items {
			if s.Status != billing.Trialing && s.Status != billing.Active && s.Status != billing.PastDue {
				continue
			}
			if _, ev := s.Advance(now, overdue[s.TenantID]); len(ev) > 0 {
				due = append(due, s.TenantID)
			}
		}
		if len(items) < scanPage {
			break
		}
		after = items[len(items)-1].TenantID
	}
	n := 0
	for _, id := range due {
		od := overdue[id]
		ev, err := p.advanceTenant(ctx, id, &od)
		if err != nil {
			return n, err
		}
		if len(ev) > 0 {
			n++
		}
	}
	return n, nil
}

// overdueTenants returns the tenants with an open invoice past its due
// date. It walks keyset pages (walk): an invoice paid during the
// walk makes it skip no other one.
func (p *Platform) overdueTenants(ctx context.Context, now time.Time) (map[string]bool, error) {
	out := map[string]bool{}
	f := billing.InvoiceFilter{Statuses: []billing.InvoiceStatus{billing.InvoiceOpen}, DueBefore: dueBefore(now)}
	err := walk(p.invoicePages(ctx, f), billing.Invoice.ListKey, func(inv billing.Invoice) error {
		if now.After(inv.DueAt) {
			out[inv.TenantID] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
