package commission

import (
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/money"
)

// Party is who an entry pays: a level of the reseller chain, or the
// platform, which keeps what the levels do not take.
type Party string

// Parties.
const (
	PartyDistributor Party = "distributor"
	PartyPartner     Party = "partner"
	PartyPlatform    Party = "platform"
)

// Kind says whether an entry grants or reverses a share.
type Kind string

// Entry kinds.
const (
	// Earned is a party's share of a finalized invoice line.
	Earned Kind = "earned"
	// Clawback reverses an Earned entry, with the opposite amount, in the
	// month the invoice was voided (or marked uncollectible).
	Clawback Kind = "clawback"
	// Reinstated reverses a Clawback, in the month an uncollectible
	// invoice whose commissions were clawed back is paid after all.
	Reinstated Kind = "reinstated"
)

// Reasons a party earned nothing on a line (Entry.Excluded).
const (
	ExcludedNotCommissionable = "sku_not_commissionable" // the SKU is marked non-commissionable in pricing
	ExcludedSKU               = "sku_excluded"           // the plan version excludes the SKU
	ExcludedNoPlan            = "no_commission_plan"     // the reseller has no commission plan, or none in force that month
	ExcludedUncollectible     = "invoice_uncollectible"  // the invoice was uncollectible when calculated and the plan claws those back
)

// Entry is one party's share of one invoice line. Entries are immutable:
// a reversal is a new Clawback entry. Amounts are minor units of Currency;
// for each line and kind, the Earned (or Clawback) entries of all parties
// sum exactly to the line's net amount (or its negative).
type Entry struct {
	TenantID  string
	InvoiceID string
	// Line is the index of the line in the invoice.
	Line int
	// ResellerID is the distributor or partner paid; empty for the
	// platform.
	ResellerID string
	Party      Party
	Kind       Kind
	// StatementID is the reseller's statement holding the entry; empty for
	// the platform's entries.
	StatementID string
	// Month is the statement month that reports the entry; InvoiceMonth
	// the billing month of the invoice (they differ for clawbacks and for
	// entries of a month whose statement was closed before they came).
	Month        string
	InvoiceMonth string
	Currency     money.Currency
	LineKind     billing.LineKind
	SKU          string
	BillingPlan  string
	NetAmount    int64
	// RateBP is the rate the share was reckoned at; for a line split across
	// graduated tiers, Detail says how.
	RateBP int
	Detail string
	Amount int64
	// PlanID and VersionMonth trace the commission plan version used;
	// empty for the platform's share and for exclusions without a plan.
	PlanID       string
	VersionMonth string
	// Excluded is why the party earned nothing (an Excluded* reason).
	Excluded  string
	CreatedAt time.Time
}

// StatementStatus is a statement's state.
type StatementStatus string

// Statement statuses: a draft takes entries; a closed statement never
// changes.
const (
	StatementDraft  StatementStatus = "draft"
	StatementClosed StatementStatus = "closed"
)

// Statement is one reseller's commissions for one month in one currency.
type Statement struct {
	ID         string // "cst_..."
	ResellerID string
	Month      string
	Currency   money.Currency
	Status     StatementStatus
	// Total and Entries are the sum of the entries' amounts and their
	// number, frozen when the statement closes; for a draft they are
	// computed when read.
	Total     int64
	Entries   int
	CreatedAt time.Time
	ClosedAt  *time.Time
}
