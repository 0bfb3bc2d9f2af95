package commission

import (
	"cmp"
	"strconv"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// Rules every Store implementation applies alike, so that the stores
// answer the same inputs with the same errors.

// CompareKeys orders entry keys as ListEntries does: by TenantID, then
// InvoiceID, then Line, then Party, then Kind (strings byte by byte).
func CompareKeys(a, b EntryKey) int {
	return cmp.Or(cmp.Compare(a.TenantID, b.TenantID), cmp.Compare(a.InvoiceID, b.InvoiceID), cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Party, b.Party), cmp.Compare(a.Kind, b.Kind))
}

// ValidParty reports whether p is one of the parties.
func ValidParty(p Party) bool {
	return p == PartyDistributor || p == PartyPartner || p == PartyPlatform
}

// ValidKind reports whether k is one of the entry kinds.
func ValidKind(k Kind) bool { return k == Earned || k == Clawback || k == Reinstated }

// CheckEntryFilter checks f and returns it with its Limit filled (0 is
// MaxEntryPage). Errors: core.Invalid when none of StatementID, Month,
// InvoiceMonth and InvoiceID is set, or naming a bad month, kind or limit.
func CheckEntryFilter(f EntryFilter) (EntryFilter, error) {
	var fs core.Fields
	if f.StatementID == "" && f.Month == "" && f.InvoiceMonth == "" && f.InvoiceID == "" {
		fs.Add("filter", "must set at least one of statementId, month, invoiceMonth and invoiceId")
	}
	if f.Month != "" && !ValidMonth(f.Month) {
		fs.Add("month", "must be a month such as \"2026-11\"")
	}
	if f.InvoiceMonth != "" && !ValidMonth(f.InvoiceMonth) {
		fs.Add("invoiceMonth", "must be a month such as \"2026-11\"")
	}
	if f.Kind != "" && !ValidKind(f.Kind) {
		fs.Add("kind", "must be %q or %q", Earned, Clawback)
	}
	switch {
	case f.Limit == 0:
		f.Limit = MaxEntryPage
	case f.Limit < 0 || f.Limit > MaxEntryPage:
		fs.Add("limit", "must be between 1 and %d", MaxEntryPage)
	}
	return f, fs.Err()
}

// CheckStatementFilter checks f and returns it with its page normalized.
// Errors: core.Invalid for a bad page, more than MaxFilterIDs reseller
// IDs, a bad month or an unknown status.
func CheckStatementFilter(f StatementFilter) (StatementFilter, error) {
	page, err := f.Page.Normalize()
	if err != nil {
		return f, err
	}
	f.Page = page
	var fs core.Fields
	if len(f.ResellerIDs) > MaxFilterIDs {
		fs.Add("resellerIds", "may name at most %d IDs", MaxFilterIDs)
	}
	if f.Month != "" && !ValidMonth(f.Month) {
		fs.Add("month", "must be a month such as \"2026-11\"")
	}
	if f.Status != "" && f.Status != StatementDraft && f.Status != StatementClosed {
		fs.Add("status", "must be %q or %q", StatementDraft, StatementClosed)
	}
	return f, fs.Err()
}

// CheckEntries checks what a store needs of each entry to key it: a
// tenant, an invoice, a line not below 0, a known party and kind.
// Errors: core.Invalid naming the entry ("entries[3].party").
func CheckEntries(entries []Entry) error {
	var fs core.Fields
	for i, e := range entries {
		p := "entries[" + strconv.Itoa(i) + "]"
		if e.TenantID == "" {
			fs.Add(p+".tenantId", "is required")
		}
		if e.InvoiceID == "" {
			fs.Add(p+".invoiceId", "is required")
		}
		if e.Line < 0 {
			fs.Add(p+".line", "must not be negative")
		}
		if !ValidParty(e.Party) {
			fs.Add(p+".party", "must be %q, %q or %q", PartyDistributor, PartyPartner, PartyPlatform)
		}
		if !ValidKind(e.Kind) {
			fs.Add(p+".kind", "must be %q or %q", Earned, Clawback)
		}
	}
	return fs.Err()
}

// CheckPlanUpdate checks what an UpdateCommissionPlan updater returned
// against the plan it was given: the ID, Level and CreatedAt stay.
// Errors: core.Invalid naming the kept field that changed.
func CheckPlanUpdate(cur, next Plan) error {
	switch {
	case next.ID != cur.ID:
		return core.InvalidField("id", "a commission plan's ID cannot change")
	case next.Level != cur.Level:
		return core.InvalidField("level", "a commission plan's level cannot change")
	case !next.CreatedAt.Equal(cur.CreatedAt):
		return core.InvalidField("createdAt", "a commission plan's creation time cannot change")
	}
	return nil
}

// CheckStatementKey checks the key OpenStatement is given: a reseller, a
// month "YYYY-MM" and a currency. Errors: core.Invalid naming each bad
// field.
func CheckStatementKey(resellerID, month string, currency money.Currency) error {
	var fs core.Fields
	if resellerID == "" {
		fs.Add("resellerId", "is required")
	}
	if !ValidMonth(month) {
		fs.Add("month", "must be a month such as \"2026-11\"")
	}
	if currency.IsZero() {
		fs.Add("currency", "is required")
	}
	return fs.Err()
}
