// Package audit is the audit log of atomix: one Entry per mutating call of
// the platform, who did what to which record of which tenant, when, and how
// it ended (denials included). Platform records entries; a Store keeps
// them; GET /audit reads them within the caller's scope.
package audit

import (
	"context"
	"time"

	"github.com/atomixplatform/atomix/core"
)

// PrefixEntry is the prefix of audit entry IDs.
const PrefixEntry = "aud"

// Outcome is how an audited call ended.
type Outcome string

// The outcomes.
const (
	// Succeeded: the call did what it was asked.
	Succeeded Outcome = "succeeded"
	// Denied: the actor was not allowed (no actor, outside its scope, or
	// without the permission).
	Denied Outcome = "denied"
	// Failed: the call was allowed but refused or failed (bad input, a
	// conflict, an internal error).
	Failed Outcome = "failed"
)

// Entry is one audited call.
type Entry struct {
	ID string // "aud_..."
	At time.Time
	// ActorKind, ActorID and ActorRole say who acted; all empty for a
	// call that had no actor.
	ActorKind string
	ActorID   string
	ActorRole string
	// Action names the operation, such as "tenant.update".
	Action string
	// Target is the ID of the record acted on; empty when none was made.
	Target string
	// TenantID is the tenant the record belongs to; empty for platform
	// records (resellers, the catalog, platform users).
	TenantID string
	Outcome  Outcome
	// Code is the core.Code of a denied or failed call.
	Code string
}

// Filter selects entries for ListAudit. Zero fields do not filter.
type Filter struct {
	// TenantID keeps the entries of one tenant.
	TenantID string
	// TenantIDs, when not nil, keeps only entries of these tenants (an
	// empty, non-nil list keeps none): the scope of a reseller.
	TenantIDs []string
	ActorID   string
	// From (included) and To (excluded) bound At.
	From, To time.Time
	Page     core.PageRequest
}

// Store keeps the audit log. Entries are never changed or deleted.
type Store interface {
	// AppendAudit stores e.
	// Errors: core.Conflict when the ID is taken.
	AppendAudit(ctx context.Context, e Entry) error
	// ListAudit returns one page of the entries matching f, newest first
	// (At, then ID, descending), and the total number matching. f.Page is
	// normalized; a page past the end is empty, not an error.
	ListAudit(ctx context.Context, f Filter) ([]Entry, int, error)
}

// Match reports whether e passes f (its page aside): the rule every store
// applies.
func Match(f Filter, e Entry) bool {
	if f.TenantID != "" && e.TenantID != f.TenantID {
		return false
	}
	if f.TenantIDs != nil {
		in := false
		for _, id := range f.TenantIDs {
			if id == e.TenantID && id != "" {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	if f.ActorID != "" && e.ActorID != f.ActorID {
		return false
	}
	if !f.From.IsZero() && e.At.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !e.At.Before(f.To) {
		return false
	}
	return true
}
