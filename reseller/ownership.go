package reseller

import (
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
)

// Ownership is one row of a tenant's ownership history: OwnerID owned the
// tenant from ValidFrom (included) to ValidTo (excluded). The newest row
// is open (ValidTo nil). Rows are owned by the tenant.
type Ownership struct {
	TenantID string
	// OwnerID is the distributor or partner; empty for the platform.
	OwnerID   string
	ValidFrom time.Time
	ValidTo   *time.Time
}

// Covers reports whether the row is in force at t.
func (o Ownership) Covers(t time.Time) bool {
	return !t.Before(o.ValidFrom) && (o.ValidTo == nil || t.Before(*o.ValidTo))
}

// History returns the ownership history of t as stored (oldest first),
// completed for a tenant stored before histories were kept: with no row,
// its current owner is taken to have owned it since its creation.
func History(t tenant.Tenant, stored []Ownership) []Ownership {
	if len(stored) > 0 {
		return stored
	}
	return []Ownership{{TenantID: t.ID, OwnerID: t.OwnerID, ValidFrom: t.CreatedAt}}
}

// OwnerAt returns the owner in force at t in a history ordered oldest
// first ("" for the platform), and false when no row covers t: before the
// tenant existed.
func OwnerAt(history []Ownership, t time.Time) (string, bool) {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Covers(t) {
			return history[i].OwnerID, true
		}
	}
	return "", false
}

// CheckMove returns nil when tenant t, whose history (completed by
// History) is given, may move to ownerID from the instant from. A move
// must start after the latest row starts and go to another owner; the
// caller checks that the owner can own.
// Errors: core.TenantDeleted; core.OwnershipBeforeTenant when from is
// before the tenant's creation; core.OwnerUnchanged when ownerID owns it
// already; core.OwnershipOverlap when from is not after the latest row's
// start.
func CheckMove(t tenant.Tenant, history []Ownership, ownerID string, from time.Time) error {
	if t.Deleted() {
		return core.Errorf(core.TenantDeleted, "tenant %s is deleted", t.ID)
	}
	if from.Before(t.CreatedAt) {
		return core.Errorf(core.OwnershipBeforeTenant, "tenant %s was created at %s; a move cannot take effect at %s, before it existed",
			t.ID, t.CreatedAt.Format(time.RFC3339Nano), from.Format(time.RFC3339Nano))
	}
	if len(history) == 0 {
		return nil
	}
	last := history[len(history)-1]
	if last.OwnerID == ownerID {
		return core.Errorf(core.OwnerUnchanged, "tenant %s is owned by %s already", t.ID, ownerName(ownerID))
	}
	if !from.After(last.ValidFrom) {
		return core.Errorf(core.OwnershipOverlap, "tenant %s has been owned by %s since %s; a move must take effect after that, not at %s",
			t.ID, ownerName(last.OwnerID), last.ValidFrom.Format(time.RFC3339Nano), from.Format(time.RFC3339Nano))
	}
	return nil
}

func ownerName(id string) string {
	if id == "" {
		return "the platform"
	}
	return id
}
