package billing

import (
	"time"

	"github.com/atomixplatform/atomix/core"
)

// SubscriptionStatus is a subscription's state.
type SubscriptionStatus string

// Subscription statuses. Cancelled and Expired are final.
const (
	// Trialing: inside the plan's free trial.
	Trialing SubscriptionStatus = "trialing"
	// Active: paid periods run and are invoiced.
	Active SubscriptionStatus = "active"
	// PastDue: an invoice is open past its due date; paying it returns the
	// subscription to Active.
	PastDue SubscriptionStatus = "past_due"
	// Cancelled: ended by a cancellation, at once or at a period's end.
	Cancelled SubscriptionStatus = "cancelled"
	// Expired: the trial ended without conversion.
	Expired SubscriptionStatus = "expired"
)

// Ended reports whether the status is final.
func (s SubscriptionStatus) Ended() bool { return s == Cancelled || s == Expired }

// Segment is a stretch of a subscription on one plan: from From (a UTC
// day, inclusive) to the next segment's From or the subscription's end.
type Segment struct {
	PlanID string    `json:"planId"`
	From   time.Time `json:"from"`
}

// Subscription is a tenant's current subscription. A tenant has at most
// one; it is made with the tenant (Platform.CreateTenant) and ends by
// cancellation or an unconverted trial.
//
// Time rules (all days are UTC dates):
//   - A trial runs from the start day for the plan's TrialDays; the first
//     paid period starts on the trial's last day + 1 (TrialEnd), which is
//     the billing Anchor. Without a trial the Anchor is the start day.
//   - Periods follow Cycle{Interval, Anchor} (see Cycle for day-31 anchors).
//   - A change "now" takes effect for the whole day it is made on: a plan
//     change makes the new plan's segment start that day; a cancellation
//     ends the service at the start of that day (EndedAt), so the day is
//     not charged (see Split's proration rule).
//   - A change "at period end" takes effect at the current period's End.
type Subscription struct {
	ID       string // "sub_..."
	TenantID string
	PlanID   string // the plan in force now (the last segment's)
	Status   SubscriptionStatus
	Interval Interval
	// Anchor is the first day of the first paid period.
	Anchor    time.Time
	StartedAt time.Time
	// TrialEnd is the first day after the trial; nil without a trial.
	TrialEnd *time.Time
	// ConvertedAt is when the trial was converted (the tenant activated);
	// an unconverted trial expires at TrialEnd.
	ConvertedAt *time.Time
	// CancelAtPeriodEnd asks for the subscription to end at the current
	// period's end.
	CancelAtPeriodEnd bool
	// PendingPlanID is a plan change waiting for the current period's end.
	PendingPlanID string
	// ChangeAt is when PendingPlanID or CancelAtPeriodEnd take effect:
	// the end of the period in which they were asked.
	ChangeAt *time.Time
	// EndedAt is the UTC day service ended (cancellation or expiry); days
	// from it on are not charged.
	EndedAt *time.Time
	// Segments are the plans in force over time, oldest first.
	Segments []Segment
	// TaxRateBP is the tenant's tax rate in basis points (1800 = 18%),
	// applied to each invoice's subtotal; 0 for none.
	TaxRateBP int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxTaxRateBP bounds TaxRateBP (100%).
const MaxTaxRateBP = 10_000

// Cycle returns the subscription's billing cycle.
func (s Subscription) Cycle() Cycle { return Cycle{Interval: s.Interval, Anchor: s.Anchor} }

// Trialing reports whether t falls in the trial.
func (s Subscription) InTrial(t time.Time) bool { return s.TrialEnd != nil && t.Before(*s.TrialEnd) }

// CurrentPeriod returns the period containing t: the trial while it runs
// (from the start day to TrialEnd), else the cycle's period.
func (s Subscription) CurrentPeriod(t time.Time) (Period, error) {
	if s.InTrial(t) {
		return Period{Start: day(s.StartedAt), End: *s.TrialEnd}, nil
	}
	if t.Before(s.Anchor) {
		t = s.Anchor
	}
	return s.Cycle().PeriodContaining(t)
}

// ExpiresAt is seed 002's expires_at: the end of the trial while
// trialing, the day service ends once ended or when a cancellation
// waits for the period's end, nil while the subscription renews.
func (s Subscription) ExpiresAt(now time.Time) *time.Time {
	switch {
	case s.EndedAt != nil:
		t := *s.EndedAt
		return &t
	case s.Status == Trialing && s.ConvertedAt == nil && s.TrialEnd != nil:
		t := *s.TrialEnd
		return &t
	case s.CancelAtPeriodEnd && s.ChangeAt != nil:
		t := *s.ChangeAt
		return &t
	case s.CancelAtPeriodEnd:
		if p, err := s.CurrentPeriod(now); err == nil {
			return &p.End
		}
	}
	return nil
}

// NextInvoiceAt is seed 002's next_invoice_at: the end of the period
// being served now (invoices are made in arrears for each period; the
// month's billing run picks the period up). Nil once ended, and during a
// trial that has not converted.
func (s Subscription) NextInvoiceAt(now time.Time) *time.Time {
	if s.Status.Ended() || (s.InTrial(now) && s.ConvertedAt == nil) {
		return nil
	}
	p, err := s.CurrentPeriod(now)
	if err != nil {
		return nil
	}
	if s.InTrial(now) {
		// A converted trial's first invoice covers the first paid period.
		if p, err = s.Cycle().PeriodContaining(s.Anchor); err != nil {
			return nil
		}
	}
	return &p.End
}

// PlanAt returns the plan in force on t's day ("" before the first
// segment).
func (s Subscription) PlanAt(t time.Time) string {
	id := ""
	for _, sg := range s.Segments {
		if sg.From.After(t) {
			break
		}
		id = sg.PlanID
	}
	return id
}

// NewSubscription starts a subscription of the tenant to the plan at now:
// trialing for the plan's TrialDays, else active. Errors:
// core.PlanArchived for an archived plan; core.Invalid naming "interval"
// when the plan has no price for it.
func NewSubscription(tenantID string, p Plan, iv Interval, now time.Time) (Subscription, error) {
	if p.Status != PlanActive {
		return Subscription{}, core.Errorf(core.PlanArchived, "plan %s is archived and takes no new subscriptions", p.ID)
	}
	if iv == "" {
		iv = Monthly
		if _, ok := p.Prices[Monthly]; !ok {
			iv = Yearly
		}
	}
	if _, ok := p.Prices[iv]; !ok {
		return Subscription{}, core.InvalidField("interval", "plan %s has no %s price", p.ID, iv)
	}
	start := day(now)
	s := Subscription{
		ID: core.NewID(core.PrefixSubscription), TenantID: tenantID, PlanID: p.ID, Status: Active,
		Interval: iv, Anchor: start, StartedAt: now, Segments: []Segment{{PlanID: p.ID, From: start}},
		CreatedAt: now, UpdatedAt: now,
	}
	if p.TrialDays > 0 {
		end := start.AddDate(0, 0, p.TrialDays)
		s.Status, s.TrialEnd, s.Anchor = Trialing, &end, end
	}
	return s, nil
}

// Event is something Advance did to a subscription.
type Event string

// Events of Advance.
const (
	EventTrialConverted Event = "trial_converted" // the trial ended converted: active
	EventTrialExpired   Event = "trial_expired"   // the trial ended unconverted: expired
	EventPlanChanged    Event = "plan_changed"    // a pending plan change took effect
	EventCancelled      Event = "cancelled"       // a cancellation at period end took effect
	EventPastDue        Event = "past_due"        // an invoice is open past its due date
	EventRecovered      Event = "recovered"       // no invoice is overdue any more
)

// Convert marks a trialing subscription converted: it becomes active at
// the trial's end instead of expiring. Converting an active subscription
// changes nothing. Errors: core.SubscriptionEnded.
func (s Subscription) Convert(now time.Time) (Subscription, error) {
	if s.Status.Ended() {
		return s, core.Errorf(core.SubscriptionEnded, "subscription %s is %s", s.ID, s.Status)
	}
	if s.Status == Trialing && s.ConvertedAt == nil {
		s.ConvertedAt = &now
		s.UpdatedAt = now
	}
	return s, nil
}

// ChangePlan moves the subscription to plan p, now (a new segment from
// today, prorated by day) or at the current period's end (PendingPlanID).
// A change to the plan in force clears a pending change. Errors:
// core.SubscriptionEnded; core.PlanArchived; core.Invalid naming "planId"
// when p has no price for the subscription's interval. The subscription
// does not know its plan's currency: the caller checks that p has the
// current plan's (BuildInvoice refuses a period whose plans bill in two
// currencies with core.CurrencyMismatch).
func (s Subscription) ChangePlan(p Plan, atPeriodEnd bool, now time.Time) (Subscription, error) {
	if s.Status.Ended() {
		return s, core.Errorf(core.SubscriptionEnded, "subscription %s is %s", s.ID, s.Status)
	}
	if p.Status != PlanActive && p.ID != s.PlanID {
		return s, core.Errorf(core.PlanArchived, "plan %s is archived and takes no new subscriptions", p.ID)
	}
	if _, ok := p.Prices[s.Interval]; !ok {
		return s, core.InvalidField("planId", "plan %s has no %s price", p.ID, s.Interval)
	}
	s.UpdatedAt = now
	if p.ID == s.PlanID {
		s.PendingPlanID = ""
		if !s.CancelAtPeriodEnd {
			s.ChangeAt = nil
		}
		return s, nil
	}
	if atPeriodEnd {
		pd, err := s.CurrentPeriod(now)
		if err != nil {
			return s, err
		}
		s.PendingPlanID, s.ChangeAt = p.ID, &pd.End
		return s, nil
	}
	s.PendingPlanID = ""
	if !s.CancelAtPeriodEnd {
		s.ChangeAt = nil
	}
	s.setPlan(p.ID, day(now))
	return s, nil
}

// setPlan starts a segment of planID on from, replacing a segment that
// starts the same day.
func (s *Subscription) setPlan(planID string, from time.Time) {
	s.Segments = append([]Segment(nil), s.Segments...)
	if n := len(s.Segments); n > 0 && s.Segments[n-1].From.Equal(from) {
		s.Segments = s.Segments[:n-1]
	}
	if n := len(s.Segments); n == 0 || s.Segments[n-1].PlanID != planID {
		s.Segments = append(s.Segments, Segment{PlanID: planID, From: from})
	}
	s.PlanID = planID
}

// Cancel ends the subscription now (service ends at the start of today:
// today is not charged) or asks for it to end at the current period's
// end. Errors: core.SubscriptionEnded.
func (s Subscription) Cancel(atPeriodEnd bool, now time.Time) (Subscription, error) {
	if s.Status.Ended() {
		return s, core.Errorf(core.SubscriptionEnded, "subscription %s is already %s", s.ID, s.Status)
	}
	s.UpdatedAt = now
	if atPeriodEnd {
		pd, err := s.CurrentPeriod(now)
		if err != nil {
			return s, err
		}
		s.CancelAtPeriodEnd, s.PendingPlanID, s.ChangeAt = true, "", &pd.End
		return s, nil
	}
	end := day(now)
	s.Status, s.EndedAt, s.PendingPlanID, s.CancelAtPeriodEnd, s.ChangeAt = Cancelled, &end, "", false, nil
	return s, nil
}

// Advance applies what came due up to now: the trial's end, a pending
// plan change or cancellation at a period's end, and past_due while
// overdue says an invoice is open past its due date. It returns the
// subscription and the events in the order they happened; none when
// nothing was due.
func (s Subscription) Advance(now time.Time, overdue bool) (Subscription, []Event) {
	var ev []Event
	if s.Status.Ended() {
		return s, nil
	}
	if s.Status == Trialing && s.TrialEnd != nil && !now.Before(*s.TrialEnd) {
		if s.ConvertedAt == nil {
			end := *s.TrialEnd
			s.Status, s.EndedAt, s.PendingPlanID, s.CancelAtPeriodEnd, s.ChangeAt = Expired, &end, "", false, nil
			s.UpdatedAt = now
			return s, append(ev, EventTrialExpired)
		}
		s.Status = Active
		ev = append(ev, EventTrialConverted)
	}
	if s.ChangeAt != nil && !now.Before(*s.ChangeAt) {
		at := *s.ChangeAt
		s.ChangeAt = nil
		if s.CancelAtPeriodEnd {
			s.Status, s.EndedAt, s.PendingPlanID, s.CancelAtPeriodEnd = Cancelled, &at, "", false
			s.UpdatedAt = now
			return s, append(ev, EventCancelled)
		}
		if s.PendingPlanID != "" {
			s.setPlan(s.PendingPlanID, at)
			s.PendingPlanID = ""
			ev = append(ev, EventPlanChanged)
		}
	}
	switch {
	case overdue && s.Status == Active:
		s.Status = PastDue
		ev = append(ev, EventPastDue)
	case !overdue && s.Status == PastDue:
		s.Status = Active
		ev = append(ev, EventRecovered)
	}
	if len(ev) > 0 {
		s.UpdatedAt = now
	}
	return s, ev
}
