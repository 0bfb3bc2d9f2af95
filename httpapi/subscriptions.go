package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
)

// Subscriptions over REST (seed 002's tenant subscription, camelCase).
// The billing cycle is seed 002's "monthly" or "yearly" on the wire, the
// library's month or year interval inside.

// billingCycles maps the wire's billing cycles to the library's
// intervals.
var billingCycles = map[string]billing.Interval{"monthly": billing.Monthly, "yearly": billing.Yearly}

// cycleOf is the wire's billing cycle of an interval.
func cycleOf(iv billing.Interval) string {
	switch iv {
	case billing.Monthly:
		return "monthly"
	case billing.Yearly:
		return "yearly"
	}
	return string(iv)
}

// periodBody is a billing period [start, end).
type periodBody struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

func periodOf(p billing.Period) periodBody { return periodBody{Start: p.Start.UTC(), End: p.End.UTC()} }

type segmentBody struct {
	PlanID string    `json:"planId"`
	From   time.Time `json:"from"`
}

// subscriptionBody is the wire form of a subscription: seed 002's fields
// and what atomix adds. Times that are not set are null.
type subscriptionBody struct {
	ID                string        `json:"id"`
	TenantID          string        `json:"tenantId"`
	PlanID            string        `json:"planId"`
	PlanName          string        `json:"planName"`
	Status            string        `json:"status"`
	BillingCycle      string        `json:"billingCycle"`
	StartedAt         time.Time     `json:"startedAt"`
	TrialEnd          *time.Time    `json:"trialEnd"`
	ConvertedAt       *time.Time    `json:"convertedAt"`
	ExpiresAt         *time.Time    `json:"expiresAt"`
	NextInvoiceAt     *time.Time    `json:"nextInvoiceAt"`
	CurrentPeriod     periodBody    `json:"currentPeriod"`
	CancelAtPeriodEnd bool          `json:"cancelAtPeriodEnd"`
	PendingPlanID     *string       `json:"pendingPlanId"`
	ChangeAt          *time.Time    `json:"changeAt"`
	EndedAt           *time.Time    `json:"endedAt"`
	TaxRateBP         int           `json:"taxRateBp"`
	Segments          []segmentBody `json:"segments"`
	CreatedAt         time.Time     `json:"createdAt"`
	UpdatedAt         time.Time     `json:"updatedAt"`
}

func toSubscriptionBody(in atomix.SubscriptionInfo) subscriptionBody {
	s := in.Subscription
	out := subscriptionBody{
		ID: s.ID, TenantID: s.TenantID, PlanID: s.PlanID, PlanName: in.PlanName, Status: string(s.Status),
		BillingCycle: cycleOf(s.Interval), StartedAt: s.StartedAt.UTC(), TrialEnd: utcPtr(s.TrialEnd),
		ConvertedAt: utcPtr(s.ConvertedAt), ExpiresAt: utcPtr(in.ExpiresAt), NextInvoiceAt: utcPtr(in.NextInvoiceAt),
		CurrentPeriod: periodOf(in.CurrentPeriod), CancelAtPeriodEnd: s.CancelAtPeriodEnd,
		ChangeAt: utcPtr(s.ChangeAt), EndedAt: utcPtr(s.EndedAt), TaxRateBP: s.TaxRateBP,
		Segments:  make([]segmentBody, len(s.Segments)),
		CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
	}
	if s.PendingPlanID != "" {
		out.PendingPlanID = new(s.PendingPlanID)
	}
	for i, sg := range s.Segments {
		out.Segments[i] = segmentBody{PlanID: sg.PlanID, From: sg.From.UTC()}
	}
	return out
}

// renameField returns err with its field errors on from named to
// instead: the library's name of a member and the wire's differ.
func renameField(err error, from, to string) error {
	var ce *core.Error
	if !errors.As(err, &ce) || len(ce.Fields) == 0 {
		return err
	}
	out := *ce
	out.Fields = make(core.Fields, len(ce.Fields))
	for i, fe := range ce.Fields {
		if fe.Field == from {
			fe.Field = to
		}
		out.Fields[i] = fe
	}
	if len(out.Fields) == 1 {
		out.Message = out.Fields[0].Field + " " + out.Fields[0].Message
	}
	return &out
}

// createSubscriptionRequest is the body of POST /subscriptions.
type createSubscriptionRequest struct {
	TenantID     string `json:"tenantId"`
	PlanID       string `json:"planId"`
	BillingCycle string `json:"billingCycle"`
}

// subscriptionChangeRequest is the body of PUT
// /tenants/{tenantId}/subscription; absent members change nothing.
type subscriptionChangeRequest struct {
	PlanID    *string `json:"planId"`
	When      *string `json:"when"`
	Cancel    *string `json:"cancel"`
	Activate  *bool   `json:"activate"`
	TaxRateBP *int    `json:"taxRateBp"`
	ExpiresAt *string `json:"expiresAt"`
}

// listSubscriptions serves GET /subscriptions?status&plan&page&limit.
func (h *handler) listSubscriptions(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "status", "plan", "page", "limit")
	page := pageParams(q, &f)
	st := billing.SubscriptionStatus(q.Get("status"))
	switch st {
	case "", billing.Trialing, billing.Active, billing.PastDue, billing.Cancelled, billing.Expired:
	default:
		f.Add("status", "must be one of trialing, active, past_due, cancelled, expired")
	}
	if len(f) > 0 {
		return sortedErr(f)
	}
	pg, err := h.p.ListSubscriptions(r.Context(), atomix.SubscriptionQuery{Status: st, PlanID: q.Get("plan"), Page: page})
	if err != nil {
		return err
	}
	out := listBody[subscriptionBody]{Data: make([]subscriptionBody, 0, len(pg.Items)),
		Pagination: paginationBody{Page: pg.Page, Limit: pg.Limit, Total: pg.Total, TotalPages: pg.TotalPages}}
	for _, s := range pg.Items {
		out.Data = append(out.Data, toSubscriptionBody(s))
	}
	return h.writeBody(c, http.StatusOK, out)
}

// createSubscription serves POST /subscriptions: a subscription for a
// tenant that has none, 201 with its Location.
func (h *handler) createSubscription(c *call, r *http.Request) error {
	var in createSubscriptionRequest
	if err := decode(r, &in, h.bshapes.createSubscription); err != nil {
		return err
	}
	var f core.Fields
	if in.TenantID == "" {
		f.Add("tenantId", "is required")
	}
	if in.PlanID == "" {
		f.Add("planId", "is required")
	}
	iv, ok := billingCycles[in.BillingCycle]
	if !ok && in.BillingCycle != "" {
		f.Add("billingCycle", "must be \"monthly\" or \"yearly\"")
	}
	if len(f) > 0 {
		return sortedErr(f)
	}
	out, err := h.p.CreateSubscription(r.Context(), atomix.NewSubscriptionInput{TenantID: in.TenantID, PlanID: in.PlanID, Interval: iv})
	if err != nil {
		return renameField(err, "interval", "billingCycle")
	}
	c.Header().Set("Location", h.prefix+"/tenants/"+out.TenantID+"/subscription")
	return h.writeBody(c, http.StatusCreated, toSubscriptionBody(out))
}

// getTenantSubscription serves GET /tenants/{tenantId}/subscription.
func (h *handler) getTenantSubscription(c *call, r *http.Request) error {
	out, err := h.p.GetSubscription(r.Context(), r.PathValue("tenantId"))
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toSubscriptionBody(out))
}

// updateTenantSubscription serves PUT /tenants/{tenantId}/subscription:
// a plan change (now or at the period's end), a cancellation, the
// activation of a trial, the tax rate, or a new trial end (expiresAt).
func (h *handler) updateTenantSubscription(c *call, r *http.Request) error {
	var in subscriptionChangeRequest
	if err := decode(r, &in, h.bshapes.changeSubscription); err != nil {
		return err
	}
	var f core.Fields
	ch := atomix.SubscriptionChange{TaxRateBP: in.TaxRateBP, Activate: in.Activate != nil && *in.Activate}
	if in.PlanID != nil {
		if *in.PlanID == "" {
			f.Add("planId", "must be a plan ID, or absent")
		}
		ch.PlanID = *in.PlanID
	}
	if in.When != nil {
		switch *in.When {
		case "now":
		case "period_end":
			ch.AtPeriodEnd = true
		default:
			f.Add("when", "must be \"now\" or \"period_end\"")
		}
	}
	if in.Cancel != nil {
		switch *in.Cancel {
		case string(atomix.CancelNow), string(atomix.CancelPeriodEnd):
			ch.Cancel = atomix.CancelMode(*in.Cancel)
		default:
			f.Add("cancel", "must be \"now\" or \"period_end\"")
		}
	}
	if in.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339Nano, *in.ExpiresAt)
		if err != nil {
			f.Add("expiresAt", "must be an RFC 3339 date-time such as 2026-03-01T00:00:00Z")
		}
		ch.TrialEnd = &t
	}
	if len(f) > 0 {
		return sortedErr(f)
	}
	out, err := h.p.UpdateSubscription(r.Context(), r.PathValue("tenantId"), ch)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toSubscriptionBody(out))
}
