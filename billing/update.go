package billing

import "github.com/atomixplatform/atomix/core"

// The fields an updater may not change, one copy of the rules every store
// applies to what UpdatePlan, UpdateSubscription and UpdateInvoice's
// updaters return.

// CheckPlanUpdate returns core.Invalid when next changes cur's ID or
// creation time.
func CheckPlanUpdate(cur, next Plan) error {
	switch {
	case next.ID != cur.ID:
		return core.Errorf(core.Invalid, "a plan's ID cannot change")
	case !next.CreatedAt.Equal(cur.CreatedAt):
		return core.Errorf(core.Invalid, "a plan's creation time cannot change")
	}
	return nil
}

// CheckSubscriptionUpdate returns core.Invalid when next changes cur's
// ID, tenant or creation time.
func CheckSubscriptionUpdate(cur, next Subscription) error {
	switch {
	case next.ID != cur.ID:
		return core.Errorf(core.Invalid, "a subscription's ID cannot change")
	case next.TenantID != cur.TenantID:
		return core.Errorf(core.Invalid, "a subscription's tenant cannot change")
	case !next.CreatedAt.Equal(cur.CreatedAt):
		return core.Errorf(core.Invalid, "a subscription's creation time cannot change")
	}
	return nil
}

// CheckInvoiceUpdate returns core.Invalid when next changes cur's ID,
// tenant, creation time or period. (The subscription, also part of the
// exactly-once key, is kept by the stores whatever next says.)
func CheckInvoiceUpdate(cur, next Invoice) error {
	switch {
	case next.ID != cur.ID:
		return core.Errorf(core.Invalid, "an invoice's ID cannot change")
	case next.TenantID != cur.TenantID:
		return core.Errorf(core.Invalid, "an invoice's tenant cannot change")
	case !next.CreatedAt.Equal(cur.CreatedAt):
		return core.Errorf(core.Invalid, "an invoice's creation time cannot change")
	case !next.PeriodStart.Equal(cur.PeriodStart) || !next.PeriodEnd.Equal(cur.PeriodEnd):
		return core.Errorf(core.Invalid, "an invoice's period cannot change")
	}
	return nil
}
