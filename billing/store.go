package billing

import (
	"context"
	"time"

	"github.com/atomixplatform/atomix/core"
)

// Store is what billing needs from storage. Implementations live in
// atomix/store/...; each must pass atomix/store/storetest (RunBilling).
// Records are returned by value. Subscriptions, usage, threshold marks
// and invoices are tenant-owned: their keys lead with the tenant ID.
type Store interface {
	// CreatePlan stores a new plan. Errors: core.Conflict when the ID is
	// taken.
	CreatePlan(ctx context.Context, p Plan) error
	// GetPlan returns the plan. Errors: core.NotFound.
	GetPlan(ctx context.Context, id string) (Plan, error)
	// ListPlans returns every plan (archived ones too when
	// includeArchived), ordered by CreatedAt then ID.
	ListPlans(ctx context.Context, includeArchived bool) ([]Plan, error)
	// UpdatePlan reads the plan, holds it against concurrent writers until
	// the surrounding transaction ends, and stores what update returns
	// (ID and CreatedAt unchanged). Errors: core.NotFound; those of update.
	UpdatePlan(ctx context.Context, id string, update func(Plan) (Plan, error)) (Plan, error)
	// DeletePlan deletes a plan no subscription (of any status) and no
	// tenant that is not deleted refers to, atomically with that check.
	// Errors: core.NotFound; core.PlanInUse.
	DeletePlan(ctx context.Context, id string) error

	// CreateSKU stores a new SKU. Errors: core.SKUDuplicate when the code
	// is taken.
	CreateSKU(ctx context.Context, s SKU) error
	// ListSKUs returns every SKU ordered by CreatedAt then Code.
	ListSKUs(ctx context.Context) ([]SKU, error)

	// CreateSubscription stores the tenant's subscription. Errors:
	// core.Conflict when the tenant has one or the ID is taken;
	// core.Invalid when its plan or pending plan does not exist.
	CreateSubscription(ctx context.Context, s Subscription) error
	// GetSubscription returns the tenant's subscription. Errors:
	// core.NotFound.
	GetSubscription(ctx context.Context, tenantID string) (Subscription, error)
	// UpdateSubscription reads the tenant's subscription, holds it
	// against concurrent writers until the surrounding transaction ends,
	// and stores what update returns (ID, TenantID and CreatedAt
	// unchanged, CheckSubscriptionUpdate). Errors: core.NotFound;
	// core.Invalid when a kept field changes or a plan it names does not
	// exist; those of update.
	UpdateSubscription(ctx context.Context, tenantID string, update func(Subscription) (Subscription, error)) (Subscription, error)
	// ListSubscriptions returns one page of the subscriptions matching f,
	// ordered by CreatedAt then ID, and the total matching. With f.After
	// set the page is the first f.Page.Limit matching subscriptions that
	// sort strictly after it (a keyset page: writes elsewhere in the list
	// do not shift it) and the total still counts every matching
	// subscription, After ignored.
	// Errors: core.Invalid for a bad page (naming "page" when After is set
	// and f.Page.Page is past the first) or too many tenant IDs.
	ListSubscriptions(ctx context.Context, f SubscriptionFilter) ([]Subscription, int, error)
	// ScanSubscriptions returns up to limit subscriptions whose TenantID
	// sorts after afterTenantID ("" starts at the first), ordered by
	// tenant ID, without a total: a keyset scan for jobs that visit every
	// subscription, each call carrying on from the last TenantID returned.
	// Errors: core.Invalid when limit is outside 1..MaxScanLimit.
	ScanSubscriptions(ctx context.Context, afterTenantID string, limit int) ([]Subscription, error)

	// InsertUsage stores the records that are new, in one statement or
	// transaction, and reports for each whether it was inserted; false
	// means the tenant already used its IdempotencyKey (now or earlier in
	// the batch: the first wins). Callers validate records first.
	InsertUsage(ctx context.Context, recs []UsageRecord) ([]bool, error)
	// UsageTotals aggregates the tenant's records with Timestamp in
	// [from, to) for each metric in aggs, by its aggregation. A metric
	// without records is 0; AggUnique counts distinct non-empty Subjects.
	// Errors: core.Invalid for an unknown aggregation.
	UsageTotals(ctx context.Context, tenantID string, from, to time.Time, aggs map[string]Aggregation) (map[string]int64, error)

	// MarkThreshold records that the tenant's metric reached percent of its
	// limit in the period starting periodStart, and reports whether this
	// call recorded it first (exactly one true per key, whatever the
	// concurrency).
	MarkThreshold(ctx context.Context, tenantID, metric string, periodStart time.Time, percent int) (bool, error)

	// CreateInvoice stores the invoice unless the tenant already has one
	// for the same subscription and PeriodStart, and reports whether it
	// stored it (false: another run got there first). Errors: core.Conflict
	// when the ID is taken.
	CreateInvoice(ctx context.Context, inv Invoice) (bool, error)
	// GetInvoice returns the invoice with the ID. Errors: core.NotFound.
	GetInvoice(ctx context.Context, id string) (Invoice, error)
	// UpdateInvoice reads the invoice, holds it until the transaction
	// ends, and stores what update returns (ID, TenantID, CreatedAt,
	// period unchanged, CheckInvoiceUpdate; the SubscriptionID, part of the
	// exactly-once key, is kept whatever update says). Errors:
	// core.NotFound; core.Invalid when a kept field changes; those of
	// update.
	UpdateInvoice(ctx context.Context, id string, update func(Invoice) (Invoice, error)) (Invoice, error)
	// ListInvoices returns one page of the invoices matching f, ordered by
	// CreatedAt then ID, and the total matching. With f.After set the page
	// is the first f.Page.Limit matching invoices that sort strictly after
	// it (a keyset page: writes elsewhere in the list do not shift it) and
	// the total still counts every matching invoice, After ignored.
	// Errors: core.Invalid for a bad page (naming "page" when After is set
	// and f.Page.Page is past the first) or too many owner IDs.
	ListInvoices(ctx context.Context, f InvoiceFilter) ([]Invoice, int, error)
	// ScanInvoices returns up to limit of the month's invoices ("2026-11")
	// whose key sorts after after (the zero key starts at the first),
	// ordered by TenantID then ID, without a total: a keyset scan for jobs
	// that visit every invoice of a month, each call carrying on from the
	// key of the last invoice returned.
	// Errors: core.Invalid when limit is outside 1..MaxScanLimit.
	ScanInvoices(ctx context.Context, month string, after InvoiceKey, limit int) ([]Invoice, error)
}

// InvoiceKey is an invoice's place in ScanInvoices: its tenant, then its
// ID.
type InvoiceKey struct{ TenantID, ID string }

// Key returns the invoice's InvoiceKey.
func (inv Invoice) Key() InvoiceKey { return InvoiceKey{TenantID: inv.TenantID, ID: inv.ID} }

// ListKey returns the invoice's place in ListInvoices, the
// InvoiceFilter.After that continues a list from it.
func (inv Invoice) ListKey() core.ListKey { return core.ListKey{CreatedAt: inv.CreatedAt, ID: inv.ID} }

// SubscriptionFilter selects subscriptions. Zero fields do not filter.
type SubscriptionFilter struct {
	Statuses []SubscriptionStatus
	PlanID   string
	// TenantIDs restricts the list to these tenants (at most
	// MaxFilterIDs).
	TenantIDs []string
	// After, when set, makes the page a keyset page: the subscriptions
	// that sort strictly after it in list order (CreatedAt, then ID;
	// times are compared to the microsecond, as stored), Page.Limit of
	// them. Page.Page must then be 0 or 1 (core.CheckAfter). A walk of a whole
	// list passes the ListKey of the last subscription of each page, and
	// so sees every subscription once even when subscriptions enter or
	// leave the filter before its place meanwhile; offset pages would
	// shift.
	After *core.ListKey
	Page  core.PageRequest
}

// ListKey returns the subscription's place in ListSubscriptions, the
// SubscriptionFilter.After that continues a list from it.
func (s Subscription) ListKey() core.ListKey { return core.ListKey{CreatedAt: s.CreatedAt, ID: s.ID} }

// InvoiceFilter selects invoices. Zero fields do not filter.
type InvoiceFilter struct {
	TenantID string
	// OwnerIDs restricts the list to invoices whose OwnerID is one of
	// these (at most MaxFilterIDs); an empty entry matches the platform's
	// own tenants.
	OwnerIDs []string
	Month    string // "2026-11"
	Statuses []InvoiceStatus
	// DueBefore, when not zero, keeps the invoices whose DueAt is
	// strictly before it.
	DueBefore time.Time
	// After, when set, makes the page a keyset page: the invoices that
	// sort strictly after it in list order (CreatedAt, then ID; times are
	// compared to the microsecond, as stored), Page.Limit of them. Page.Page
	// must then be 0 or 1 (core.CheckAfter). A job that walks a whole list
	// passes the ListKey of the last invoice of each page, and so sees
	// every invoice once even when invoices enter or leave the filter
	// before its place meanwhile; offset pages would shift.
	After *core.ListKey
	Page  core.PageRequest
}

// MaxFilterIDs bounds the ID lists of filters: SQL stores send each as a
// parameter.
const MaxFilterIDs = 1000

// MaxScanLimit bounds the limit of Store.ScanSubscriptions and
// Store.ScanInvoices.
const MaxScanLimit = 1000

// CheckScanLimit reports core.Invalid unless limit is in 1..MaxScanLimit.
// Stores call it first in ScanSubscriptions and ScanInvoices.
func CheckScanLimit(limit int) error {
	if limit < 1 || limit > MaxScanLimit {
		return core.InvalidField("limit", "must be between 1 and %d", MaxScanLimit)
	}
	return nil
}
