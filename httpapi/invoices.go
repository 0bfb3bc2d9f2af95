package httpapi

import (
	"net/http"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
)

// Billing runs, invoices and summaries over REST (seed 001). Amounts are
// minor units with their currency; a usage line carries its exact
// calculation (package billing's Line, decimal strings).

// invoiceLineBody is the wire form of an invoice line.
type invoiceLineBody struct {
	Kind           string        `json:"kind"`
	Description    string        `json:"description"`
	PlanID         string        `json:"planId,omitempty"`
	SKU            string        `json:"sku,omitempty"`
	Metric         string        `json:"metric,omitempty"`
	PeriodStart    time.Time     `json:"periodStart"`
	PeriodEnd      time.Time     `json:"periodEnd"`
	Quantity       int64         `json:"quantity"`
	Days           int64         `json:"days,omitempty"`
	PeriodDays     int64         `json:"periodDays,omitempty"`
	Amount         moneyBody     `json:"amount"`
	Calculation    *billing.Line `json:"calculation,omitempty"`
	Commissionable bool          `json:"commissionable"`
}

// invoiceBody is the wire form of an invoice. Times not set are null; so
// is ownerId for a tenant the platform owned.
type invoiceBody struct {
	ID              string            `json:"id"`
	TenantID        string            `json:"tenantId"`
	SubscriptionID  string            `json:"subscriptionId"`
	PlanID          string            `json:"planId"`
	OwnerID         *string           `json:"ownerId"`
	Status          string            `json:"status"`
	Currency        string            `json:"currency"`
	Period          string            `json:"period"`
	PeriodStart     time.Time         `json:"periodStart"`
	PeriodEnd       time.Time         `json:"periodEnd"`
	Lines           []invoiceLineBody `json:"lines"`
	Subtotal        moneyBody         `json:"subtotal"`
	Tax             moneyBody         `json:"tax"`
	Total           moneyBody         `json:"total"`
	TaxRateBP       int               `json:"taxRateBp"`
	CreatedAt       time.Time         `json:"createdAt"`
	DueAt           time.Time         `json:"dueAt"`
	FinalizedAt     *time.Time        `json:"finalizedAt"`
	PaidAt          *time.Time        `json:"paidAt"`
	VoidedAt        *time.Time        `json:"voidedAt"`
	UncollectibleAt *time.Time        `json:"uncollectibleAt"`
	UpdatedAt       time.Time         `json:"updatedAt"`
}

func toInvoiceBody(inv billing.Invoice) invoiceBody {
	c := inv.Currency
	out := invoiceBody{
		ID: inv.ID, TenantID: inv.TenantID, SubscriptionID: inv.SubscriptionID, PlanID: inv.PlanID,
		Status: string(inv.Status), Currency: c.Code(), Period: inv.Month,
		PeriodStart: inv.PeriodStart.UTC(), PeriodEnd: inv.PeriodEnd.UTC(),
		Lines:    make([]invoiceLineBody, len(inv.Lines)),
		Subtotal: minorOf(inv.Subtotal, c), Tax: minorOf(inv.Tax, c), Total: minorOf(inv.Total, c), TaxRateBP: inv.TaxRateBP,
		CreatedAt: inv.CreatedAt.UTC(), DueAt: inv.DueAt.UTC(), FinalizedAt: utcPtr(inv.FinalizedAt),
		PaidAt: utcPtr(inv.PaidAt), VoidedAt: utcPtr(inv.VoidedAt), UncollectibleAt: utcPtr(inv.UncollectibleAt),
		UpdatedAt: inv.UpdatedAt.UTC(),
	}
	if inv.OwnerID != "" {
		out.OwnerID = new(inv.OwnerID)
	}
	for i, l := range inv.Lines {
		out.Lines[i] = invoiceLineBody{Kind: string(l.Kind), Description: l.Description, PlanID: l.PlanID, SKU: l.SKU,
			Metric: l.Metric, PeriodStart: l.PeriodStart.UTC(), PeriodEnd: l.PeriodEnd.UTC(), Quantity: l.Quantity,
			Days: l.Days, PeriodDays: l.PeriodDays, Amount: minorOf(l.Amount, c), Calculation: l.Calculation,
			Commissionable: l.Commissionable}
	}
	return out
}

// billingRunRequest is the body of POST /billing/runs.
type billingRunRequest struct {
	Period string `json:"period"`
	Draft  bool   `json:"draft"`
}

// billingRunBody is the outcome of a billing run.
type billingRunBody struct {
	Period     string      `json:"period"`
	Created    int         `json:"created"`
	Existing   int         `json:"existing"`
	Advanced   int         `json:"advanced"`
	Totals     []moneyBody `json:"totals"`
	InvoiceIDs []string    `json:"invoiceIds"`
}

// runBilling serves POST /billing/runs: the month's invoices, made once
// whatever the number of runs (200 with what this run made).
func (h *handler) runBilling(c *call, r *http.Request) error {
	var in billingRunRequest
	if err := decode(r, &in, h.bshapes.run); err != nil {
		return err
	}
	if in.Period == "" {
		return core.InvalidField("period", "is required: a month such as \"2026-11\"")
	}
	run, err := h.p.RunBilling(r.Context(), in.Period, in.Draft)
	if err != nil {
		return err
	}
	out := billingRunBody{Period: run.Month, Created: run.Created, Existing: run.Existing, Advanced: run.Advanced,
		Totals: make([]moneyBody, len(run.Totals)), InvoiceIDs: run.InvoiceIDs}
	for i, m := range run.Totals {
		out.Totals[i] = moneyOf(m)
	}
	if out.InvoiceIDs == nil {
		out.InvoiceIDs = []string{}
	}
	return h.writeBody(c, http.StatusOK, out)
}

// invoiceStatuses are the statuses GET /invoices filters by.
var invoiceStatuses = map[billing.InvoiceStatus]bool{
	billing.InvoiceDraft: true, billing.InvoiceOpen: true, billing.InvoicePaid: true,
	billing.InvoiceVoid: true, billing.InvoiceUncollectible: true,
}

// listInvoices serves GET /invoices?period&tenantId&status&page&limit:
// the invoices in the caller's scope.
func (h *handler) listInvoices(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "period", "tenantId", "status", "page", "limit")
	page := pageParams(q, &f)
	if m := q.Get("period"); m != "" {
		if _, _, err := billing.ParseMonth(m); err != nil {
			f.Add("period", "must be a month such as \"2026-11\"")
		}
	}
	st := billing.InvoiceStatus(q.Get("status"))
	if st != "" && !invoiceStatuses[st] {
		f.Add("status", "must be one of draft, open, paid, void, uncollectible")
	}
	if len(f) > 0 {
		return sortedErr(f)
	}
	pg, err := h.p.ListInvoices(r.Context(), atomix.InvoiceQuery{TenantID: q.Get("tenantId"), Month: q.Get("period"), Status: st, Page: page})
	if err != nil {
		return err
	}
	out := listBody[invoiceBody]{Data: make([]invoiceBody, 0, len(pg.Items)),
		Pagination: paginationBody{Page: pg.Page, Limit: pg.Limit, Total: pg.Total, TotalPages: pg.TotalPages}}
	for _, inv := range pg.Items {
		out.Data = append(out.Data, toInvoiceBody(inv))
	}
	return h.writeBody(c, http.StatusOK, out)
}

// getInvoice serves GET /invoices/{invoiceId}.
func (h *handler) getInvoice(c *call, r *http.Request) error {
	inv, err := h.p.GetInvoice(r.Context(), r.PathValue("invoiceId"))
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toInvoiceBody(inv))
}

// setInvoiceStatus moves the path's invoice to the status and answers it.
func (h *handler) setInvoiceStatus(c *call, r *http.Request, to billing.InvoiceStatus) error {
	inv, err := h.p.SetInvoiceStatus(r.Context(), r.PathValue("invoiceId"), to)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toInvoiceBody(inv))
}

// finalizeInvoice serves POST /invoices/{invoiceId}/finalize.
func (h *handler) finalizeInvoice(c *call, r *http.Request) error {
	return h.setInvoiceStatus(c, r, billing.InvoiceOpen)
}

// payInvoice serves POST /invoices/{invoiceId}/pay.
func (h *handler) payInvoice(c *call, r *http.Request) error {
	return h.setInvoiceStatus(c, r, billing.InvoicePaid)
}

// voidInvoice serves POST /invoices/{invoiceId}/void.
func (h *handler) voidInvoice(c *call, r *http.Request) error {
	return h.setInvoiceStatus(c, r, billing.InvoiceVoid)
}

// markInvoiceUncollectible serves POST
// /invoices/{invoiceId}/mark-uncollectible.
func (h *handler) markInvoiceUncollectible(c *call, r *http.Request) error {
	return h.setInvoiceStatus(c, r, billing.InvoiceUncollectible)
}

type currencyTotalBody struct {
	Currency    string    `json:"currency"`
	Invoices    int       `json:"invoices"`
	Subtotal    moneyBody `json:"subtotal"`
	Tax         moneyBody `json:"tax"`
	Total       moneyBody `json:"total"`
	Paid        moneyBody `json:"paid"`
	Outstanding moneyBody `json:"outstanding"`
}

type planTotalBody struct {
	PlanID   string    `json:"planId"`
	PlanName string    `json:"planName"`
	Currency string    `json:"currency"`
	Amount   moneyBody `json:"amount"`
}

type skuTotalBody struct {
	SKU      string    `json:"sku"`
	Metric   string    `json:"metric"`
	Currency string    `json:"currency"`
	Quantity int64     `json:"quantity"`
	Amount   moneyBody `json:"amount"`
}

type tenantTotalBody struct {
	TenantID string    `json:"tenantId"`
	Currency string    `json:"currency"`
	Invoices int       `json:"invoices"`
	Subtotal moneyBody `json:"subtotal"`
	Tax      moneyBody `json:"tax"`
	Total    moneyBody `json:"total"`
}

// summaryBody is the wire form of a billing summary.
type summaryBody struct {
	Period     string              `json:"period"`
	TenantID   *string             `json:"tenantId"`
	Invoices   int                 `json:"invoices"`
	ByCurrency []currencyTotalBody `json:"byCurrency"`
	ByPlan     []planTotalBody     `json:"byPlan"`
	BySKU      []skuTotalBody      `json:"bySku"`
	ByTenant   []tenantTotalBody   `json:"byTenant"`
}

func toSummaryBody(s atomix.BillingSummary) summaryBody {
	out := summaryBody{Period: s.Month, Invoices: s.Invoices,
		ByCurrency: make([]currencyTotalBody, len(s.ByCurrency)), ByPlan: make([]planTotalBody, len(s.ByPlan)),
		BySKU: make([]skuTotalBody, len(s.BySKU)), ByTenant: make([]tenantTotalBody, len(s.ByTenant))}
	if s.TenantID != "" {
		out.TenantID = new(s.TenantID)
	}
	for i, t := range s.ByCurrency {
		c := t.Currency
		out.ByCurrency[i] = currencyTotalBody{Currency: c.Code(), Invoices: t.Invoices, Subtotal: minorOf(t.Subtotal, c),
			Tax: minorOf(t.Tax, c), Total: minorOf(t.Total, c), Paid: minorOf(t.Paid, c), Outstanding: minorOf(t.Outstanding, c)}
	}
	for i, t := range s.ByPlan {
		out.ByPlan[i] = planTotalBody{PlanID: t.PlanID, PlanName: t.PlanName, Currency: t.Currency.Code(), Amount: minorOf(t.Amount, t.Currency)}
	}
	for i, t := range s.BySKU {
		out.BySKU[i] = skuTotalBody{SKU: t.SKU, Metric: t.Metric, Currency: t.Currency.Code(), Quantity: t.Quantity, Amount: minorOf(t.Amount, t.Currency)}
	}
	for i, t := range s.ByTenant {
		c := t.Currency
		out.ByTenant[i] = tenantTotalBody{TenantID: t.TenantID, Currency: c.Code(), Invoices: t.Invoices,
			Subtotal: minorOf(t.Subtotal, c), Tax: minorOf(t.Tax, c), Total: minorOf(t.Total, c)}
	}
	return out
}

// getBillingSummary serves GET /billing/summary?period&tenantId: the
// month's finalized invoices in the caller's scope, summed.
func (h *handler) getBillingSummary(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "period", "tenantId")
	switch m := q.Get("period"); {
	case m == "":
		f.Add("period", "is required: a month such as \"2026-11\"")
	default:
		if _, _, err := billing.ParseMonth(m); err != nil {
			f.Add("period", "must be a month such as \"2026-11\"")
		}
	}
	if len(f) > 0 {
		return sortedErr(f)
	}
	s, err := h.p.BillingSummary(r.Context(), q.Get("period"), q.Get("tenantId"))
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toSummaryBody(s))
}
