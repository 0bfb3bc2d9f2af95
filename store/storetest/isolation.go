package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// RunIsolation proves that tenants never see or touch each other's data.
// Two tenants, A and B, are stored with everything they own; then every
// tenant-owned operation runs as one of them (the actor) and the other (the
// observer) must come out byte for byte unchanged, and lists filtered for
// either must hold only that one. Each operation runs both ways round, A
// acting and B observed, then B acting and A observed, each on a fresh
// store.
//
// The suite is two tables: isolationKinds, the record types a tenant owns
// (each knows how to seed and snapshot its records), and isolationOps, the
// operations. A new domain adds its record type to the first and its
// operations to the second.
func RunIsolation(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, op := range isolationOps() {
		for _, dir := range []struct {
			name         string
			actorIsFirst bool
		}{{"A acts, B observed", true}, {"B acts, A observed", false}} {
			t.Run(op.name+"/"+dir.name, func(t *testing.T) {
				s := newStore(t)
				if s == nil {
					t.Fatal("newStore returned nil")
				}
				a, b := isolationPair()
				actor, observer := a, b
				if !dir.actorIsFirst {
					actor, observer = b, a
				}
				runIsolationOp(t, s, op, actor, observer)
			})
		}
	}
}

// isolationKind is one type of record a tenant owns.
type isolationKind struct {
	name string
	// seed stores a few records of this kind owned by tn (already stored).
	seed func(t *testing.T, s store.Store, tn tenant.Tenant)
	// snapshot returns every record of this kind owned by the tenant with
	// the ID, in a stable order, for comparison with go-cmp.
	snapshot func(t *testing.T, s store.Store, tenantID string) any
}

// isolationKinds lists every tenant-owned record type. Add a row per new
// domain record type (users, installations, usage, ...).
func isolationKinds() []isolationKind {
	return append(append(append(append(append([]isolationKind{
		{
			name: "tenant",
			seed: func(*testing.T, store.Store, tenant.Tenant) {}, // stored by runIsolationOp
			snapshot: func(t *testing.T, s store.Store, id string) any {
				return get(t, s, id)
			},
		},
	}, identityIsolationKinds()...), // users, refresh tokens: identity.go
		atomIsolationKinds()...), // installations: atoms.go
		resellerIsolationKinds()...), // ownership history, customer profile: resellers.go
		billingIsolationKinds()...), // subscription, usage, invoices, threshold marks: billing.go
		commissionIsolationKinds()...) // commission entries: commission.go
}

// isolationOp is one tenant-owned operation.
type isolationOp struct {
	name string
	// act runs the operation as actor; observer is given only to
	// operations that try to reach it (taking its subdomain, say), which
	// must fail.
	act func(t *testing.T, s store.Store, actor, observer tenant.Tenant)
	// changes says the operation must change something the actor owns;
	// when false it must change nothing at all.
	changes bool
}

// update runs UpdateTenant on the actor with fn, failing the test on an
// error.
func update(fn func(*tenant.Tenant)) func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
	return func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
		t.Helper()
		if _, err := s.UpdateTenant(t.Context(), actor.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
			fn(&x)
			x.UpdatedAt = at(500)
			return x, nil
		}); err != nil {
			t.Fatalf("UpdateTenant(%s): got error %v, want nil", actor.ID, err)
		}
	}
}

// isolationOps lists every tenant-owned operation. Add rows for the
// operations of each new domain.
func isolationOps() []isolationOp {
	return append(append(append(append(append([]isolationOp{
		{name: "rename", changes: true, act: update(func(x *tenant.Tenant) { x.Name += " Renamed" })},
		{name: "change plan", changes: true, act: update(func(x *tenant.Tenant) { x.PlanID = "plan_enterprise" })},
		{name: "change contact", changes: true, act: update(func(x *tenant.Tenant) {
			x.Contact = tenant.Contact{Name: "New Person", Email: "new@" + x.Subdomain + ".example", Phone: "+4930123456"}
		})},
		{name: "change settings", changes: true, act: update(func(x *tenant.Tenant) {
			x.Settings.Industry = "logistics"
			x.Settings.Extra["n"] = json.RawMessage(`2`)
			x.Settings.Extra["added"] = json.RawMessage(`{"by":"` + x.ID + `"}`)
		})},
		{name: "clear settings", changes: true, act: update(func(x *tenant.Tenant) { x.Settings = tenant.Settings{} })},
		{name: "change status", changes: true, act: update(func(x *tenant.Tenant) { x.Status = tenant.StatusSuspended })},
		{name: "change subdomain", changes: true, act: update(func(x *tenant.Tenant) { x.Subdomain += "-moved" })},
		{name: "soft delete", changes: true, act: update(func(x *tenant.Tenant) { x.DeletedAt = timePtr(at(500)) })},
		{name: "soft delete and restore", changes: true, act: func(t *testing.T, s store.Store, actor, observer tenant.Tenant) {
			update(func(x *tenant.Tenant) { x.DeletedAt = timePtr(at(500)) })(t, s, actor, observer)
			update(func(x *tenant.Tenant) { x.DeletedAt = nil })(t, s, actor, observer)
		}},
		{name: "several in one transaction", changes: true, act: func(t *testing.T, s store.Store, actor, observer tenant.Tenant) {
			if err := s.InTx(t.Context(), func(tx store.Store) error {
				update(func(x *tenant.Tenant) { x.Name += " Tx" })(t, tx, actor, observer)
				update(func(x *tenant.Tenant) { x.Status = tenant.StatusCancelled })(t, tx, actor, observer)
				update(func(x *tenant.Tenant) { x.DeletedAt = timePtr(at(501)) })(t, tx, actor, observer)
				return nil
			}); err != nil {
				t.Fatalf("InTx: got error %v, want nil", err)
			}
		}},
		{name: "take the other's subdomain", act: func(t *testing.T, s store.Store, actor, observer tenant.Tenant) {
			for _, sub := range []string{observer.Subdomain, strings.ToUpper(observer.Subdomain)} {
				_, err := s.UpdateTenant(t.Context(), actor.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
					x.Subdomain = sub
					x.Name = "Hijack"
					return x, nil
				})
				wantCode(t, fmt.Sprintf("UpdateTenant(%s) to subdomain %q", actor.ID, sub), err, core.SubdomainTaken)
			}
		}},
		{name: "failing updater", act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			_, err := s.UpdateTenant(t.Context(), actor.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
				x.Name = "Never"
				x.DeletedAt = timePtr(at(9))
				return x, errSentinel
			})
			if err == nil {
				t.Fatalf("UpdateTenant with a failing updater: got nil error, want %v", errSentinel)
			}
		}},
		{name: "rolled-back transaction", act: func(t *testing.T, s store.Store, actor, observer tenant.Tenant) {
			err := s.InTx(t.Context(), func(tx store.Store) error {
				update(func(x *tenant.Tenant) { x.Name = "Never" })(t, tx, actor, observer)
				update(func(x *tenant.Tenant) { x.Subdomain = "never-" + x.Subdomain })(t, tx, actor, observer)
				return errSentinel
			})
			if err == nil {
				t.Fatalf("InTx with a failing fn: got nil error, want %v", errSentinel)
			}
		}},
	}, identityIsolationOps()...), // identity.go
		atomIsolationOps()...), // atoms.go
		resellerIsolationOps()...), // resellers.go
		billingIsolationOps()...), // billing.go
		commissionIsolationOps()...) // commission.go
}

// isolationPair returns the two tenants of the isolation suite. They differ
// in every field a list filters on: status, plan, owner and a name token
// ("alpha", "bravo") no operation gives the other.
func isolationPair() (a, b tenant.Tenant) {
	a = fixture(1)
	a.ID, a.Name, a.Subdomain = "tn_isoalpha", "Alpha Logistics", "alpha-logistics"
	a.Status, a.PlanID, a.OwnerID = tenant.StatusTrial, "plan_starter", "dist_alpha"
	a.Settings.Extra = map[string]json.RawMessage{"n": json.RawMessage(`1`), "owner": json.RawMessage(`"alpha"`)}

	b = fixture(2)
	b.ID, b.Name, b.Subdomain = "tn_isobravo", "Bravo Foods", "bravo-foods"
	b.Status, b.PlanID, b.OwnerID = tenant.StatusActive, "plan_professional", "prt_bravo"
	b.Settings.Extra = map[string]json.RawMessage{"n": json.RawMessage(`1`), "owner": json.RawMessage(`"bravo"`)}
	return a, b
}

// token returns the name token of a tenant of isolationPair.
func token(tn tenant.Tenant) string { return strings.ToLower(strings.Fields(tn.Name)[0]) }

func runIsolationOp(t *testing.T, s store.Store, op isolationOp, actor, observer tenant.Tenant) {
	kinds := isolationKinds()
	// Store both, in a fixed order, so that the pair is the same however
	// the roles fall.
	first, second := actor, observer
	if first.ID > second.ID {
		first, second = second, first
	}
	create(t, s, first, second)
	for _, k := range kinds {
		k.seed(t, s, first)
		k.seed(t, s, second)
	}

	snap := func(id string) map[string]any {
		out := make(map[string]any, len(kinds))
		for _, k := range kinds {
			out[k.name] = k.snapshot(t, s, id)
		}
		return out
	}
	actorBefore, observerBefore := snap(actor.ID), snap(observer.ID)

	op.act(t, s, actor, observer)

	if diff := cmp.Diff(observerBefore, snap(observer.ID)); diff != "" {
		t.Errorf("%s acting changed observer %s (-before +after):\n%s", actor.ID, observer.ID, diff)
	}
	actorAfter := snap(actor.ID)
	if changed := cmp.Diff(actorBefore, actorAfter) != ""; changed != op.changes {
		t.Errorf("actor %s changed: got %t, want %t", actor.ID, changed, op.changes)
	}

	// Lists filtered for one tenant hold exactly that tenant, as stored.
	for _, tn := range []tenant.Tenant{observer, actor} {
		cur := get(t, s, tn.ID)
		filters := []struct {
			name string
			f    tenant.Filter
		}{
			{"owner", tenant.Filter{OwnerID: tn.OwnerID, IncludeDeleted: true}},
			{"query", tenant.Filter{Query: token(tn), IncludeDeleted: true}},
			{"query upper", tenant.Filter{Query: strings.ToUpper(token(tn)), IncludeDeleted: true}},
			{"status", tenant.Filter{Status: cur.Status, IncludeDeleted: true}},
			{"plan", tenant.Filter{PlanID: cur.PlanID, IncludeDeleted: true}},
		}
		for _, fc := range filters {
			got, total := list(t, s, fc.f)
			if diff := cmp.Diff([]tenant.Tenant{cur}, got); diff != "" || total != 1 {
				t.Errorf("list by %s for %s: got total %d, want 1; items mismatch (-want +got):\n%s", fc.name, tn.ID, total, diff)
			}
		}
	}

	// The observer still holds its subdomain.
	wantSubdomainTaken(t, s, observer.Subdomain)
}
