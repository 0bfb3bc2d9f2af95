package billing

import (
	"time"

	"github.com/atomixplatform/atomix/money"
)

// InvoiceStatus is an invoice's state.
type InvoiceStatus string

// Invoice statuses. Only a draft changes; open (finalized), paid, void
// and uncollectible invoices are immutable but for their status.
const (
	InvoiceDraft         InvoiceStatus = "draft"
	InvoiceOpen          InvoiceStatus = "open"
	InvoicePaid          InvoiceStatus = "paid"
	InvoiceVoid          InvoiceStatus = "void"
	InvoiceUncollectible InvoiceStatus = "uncollectible"
)

// Finalized reports whether the invoice was finalized (open, paid,
// uncollectible, or void after being open).
func (s InvoiceStatus) Finalized() bool {
	return s == InvoiceOpen || s == InvoicePaid || s == InvoiceUncollectible
}

// invoiceMoves is the invoice lifecycle: from each status, the statuses
// it may move to.
var invoiceMoves = map[InvoiceStatus][]InvoiceStatus{
	InvoiceDraft:         {InvoiceOpen, InvoiceVoid},
	InvoiceOpen:          {InvoicePaid, InvoiceVoid, InvoiceUncollectible},
	InvoiceUncollectible: {InvoicePaid, InvoiceVoid},
}

// CanMove reports whether an invoice may move from one status to another.
func CanMove(from, to InvoiceStatus) bool {
	for _, s := range invoiceMoves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// LineKind says what an invoice line bills.
type LineKind string

// Line kinds.
const (
	// LineSubscription bills a whole period of a plan.
	LineSubscription LineKind = "subscription"
	// LineProration bills the days of a period spent on a plan, when the
	// plan changed or the subscription ended inside the period.
	LineProration LineKind = "proration"
	// LineUsage bills a metered SKU's quantity in the period.
	LineUsage LineKind = "usage"
)

// InvoiceLine is one line of an invoice. Amount is in minor units of the
// invoice's currency, rounded once (usage lines: Calculation.Exact,
// half-even; proration lines: money.Allocate over the period's days).
type InvoiceLine struct {
	Kind        LineKind  `json:"kind"`
	Description string    `json:"description"`
	PlanID      string    `json:"planId,omitempty"`
	SKU         string    `json:"sku,omitempty"`
	Metric      string    `json:"metric,omitempty"`
	PeriodStart time.Time `json:"periodStart"`
	PeriodEnd   time.Time `json:"periodEnd"`
	Quantity    int64     `json:"quantity"`
	// Days and PeriodDays say how a proration line was reckoned: Days of
	// PeriodDays.
	Days       int64 `json:"days,omitempty"`
	PeriodDays int64 `json:"periodDays,omitempty"`
	Amount     int64 `json:"amount"`
	// Calculation is a usage line's tier-by-tier breakdown.
	Calculation *Line `json:"calculation,omitempty"`
	// Commissionable says whether resellers earn commission on the line.
	Commissionable bool `json:"commissionable"`
}

// Invoice bills one period of one subscription.
type Invoice struct {
	ID             string // "inv_..."
	TenantID       string
	SubscriptionID string
	// PlanID is the plan in force at the period's end.
	PlanID string
	// OwnerID is the tenant's owner when the invoice was made ("" for the
	// platform).
	OwnerID  string
	Status   InvoiceStatus
	Currency money.Currency
	// Month is the billing run's month ("2026-11") that made the invoice.
	Month       string
	PeriodStart time.Time
	PeriodEnd   time.Time
	Lines       []InvoiceLine
	// Subtotal is the sum of the lines; Tax is Subtotal*TaxRateBP/10000
	// rounded once, half-even; Total = Subtotal + Tax. All minor units.
	Subtotal    int64
	TaxRateBP   int
	Tax         int64
	Total       int64
	CreatedAt   time.Time
	DueAt       time.Time
	FinalizedAt *time.Time
	PaidAt      *time.Time
	VoidedAt    *time.Time
	// UncollectibleAt is when the invoice was marked uncollectible.
	UncollectibleAt *time.Time
	UpdatedAt       time.Time
}
