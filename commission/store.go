package commission

import (
	"context"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// Store is what commissions need from storage. Implementations live in
// atomix/store/...; each must pass atomix/store/storetest (RunCommission).
// Entries are tenant-owned (their key leads with the tenant ID); plans,
// assignments and statements belong to the platform and the resellers.
type Store interface {
	// CreateCommissionPlan stores a new plan. Errors: core.Conflict when
	// the ID is taken.
	CreateCommissionPlan(ctx context.Context, p Plan) error
	// GetCommissionPlan returns the plan. Errors: core.NotFound.
	GetCommissionPlan(ctx context.Context, id string) (Plan, error)
	// ListCommissionPlans returns every plan, ordered by CreatedAt then ID.
	ListCommissionPlans(ctx context.Context) ([]Plan, error)
	// UpdateCommissionPlan reads the plan, holds it until the surrounding
	// transaction ends, and stores what update returns (ID, Level and
	// CreatedAt unchanged). Errors: core.NotFound; core.Invalid when update
	// changes a kept field; those of update.
	UpdateCommissionPlan(ctx context.Context, id string, update func(Plan) (Plan, error)) (Plan, error)

	// PutAssignment points a reseller to a plan, replacing its previous
	// assignment. Errors: core.Invalid when the plan does not exist.
	PutAssignment(ctx context.Context, a Assignment) error
	// GetAssignment returns the reseller's assignment. Errors:
	// core.NotFound.
	GetAssignment(ctx context.Context, resellerID string) (Assignment, error)
	// ListAssignments returns every assignment, ordered by reseller ID.
	ListAssignments(ctx context.Context) ([]Assignment, error)

	// OpenStatement returns the reseller's draft statement for the month
	// and currency, creating it (ID core.NewID(core.PrefixStatement), at
	// now) when there is none, and holds it until the surrounding
	// transaction ends, so that it cannot close while entries are added.
	// Its Total and Entries are not computed (zero): read them with
	// GetStatement.
	// Errors: core.StatementClosed when that statement is closed;
	// core.Invalid for an empty reseller, a bad month or no currency
	// (CheckStatementKey).
	OpenStatement(ctx context.Context, resellerID, month string, currency money.Currency, now time.Time) (Statement, error)
	// GetStatement returns a statement, its Total and Entries computed from
	// its entries while it is a draft. Errors: core.NotFound.
	GetStatement(ctx context.Context, id string) (Statement, error)
	// CloseStatement closes a draft statement at now, freezing its Total
	// and Entries, and returns it. Errors: core.NotFound;
	// core.StatementClosed when it is closed already.
	CloseStatement(ctx context.Context, id string, now time.Time) (Statement, error)
	// ListStatements returns one page of the statements matching f,
	// ordered by Month, then ResellerID, then Currency, and the total
	// matching; drafts with computed totals as GetStatement. Errors:
	// core.Invalid for a bad filter (CheckStatementFilter).
	ListStatements(ctx context.Context, f StatementFilter) ([]Statement, int, error)

	// InsertEntries stores the entries that are new, atomically, and
	// reports for each whether it was stored; false means an entry with
	// the same key (tenant, invoice, line, party, kind) exists. An entry's
	// StatementID must name a draft statement (callers open it first in
	// the same transaction). Errors: core.Invalid for an entry naming a
	// statement that does not exist, or without its key (CheckEntries);
	// core.StatementClosed for an entry naming a closed statement. Either
	// way nothing of the batch is stored.
	InsertEntries(ctx context.Context, entries []Entry) ([]bool, error)
	// ListEntries returns the entries matching f, ordered by (TenantID,
	// InvoiceID, Line, Party, Kind), up to f.Limit after f.After (a
	// keyset page), for jobs and summaries. Errors: core.Invalid for a
	// bad filter (CheckEntryFilter).
	ListEntries(ctx context.Context, f EntryFilter) ([]Entry, error)
}

// StatementFilter selects statements. Zero fields do not filter.
type StatementFilter struct {
	// ResellerIDs restricts the list to these resellers (at most
	// MaxFilterIDs).
	ResellerIDs []string
	Month       string
	Status      StatementStatus
	Page        core.PageRequest
}

// EntryFilter selects entries. Zero fields do not filter, but at least
// one of StatementID, Month, InvoiceMonth and InvoiceID is set.
type EntryFilter struct {
	StatementID  string
	Month        string
	InvoiceMonth string
	InvoiceID    string
	TenantID     string
	Kind         Kind
	// After is the key of the last entry of the previous page; Limit is 1
	// to MaxEntryPage (0 is MaxEntryPage).
	After *EntryKey
	Limit int
}

// EntryKey is an entry's unique key.
type EntryKey struct {
	TenantID  string
	InvoiceID string
	Line      int
	Party     Party
	Kind      Kind
}

// Key returns the entry's unique key.
func (e Entry) Key() EntryKey {
	return EntryKey{TenantID: e.TenantID, InvoiceID: e.InvoiceID, Line: e.Line, Party: e.Party, Kind: e.Kind}
}

// Bounds of filters.
const (
	MaxFilterIDs = 1000
	MaxEntryPage = 5000
)
