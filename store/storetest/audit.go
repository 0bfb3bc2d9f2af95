package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix/audit"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
)

// RunAudit checks the audit log: entries round-trip, list newest first,
// filter by tenant, scope, actor and time, page with a total, refuse a
// duplicate ID, and vanish with a rolled-back transaction.
func RunAudit(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"AuditRoundTripAndOrder", testAuditRoundTrip},
		{"AuditFilters", testAuditFilters},
		{"AuditPagination", testAuditPagination},
		{"AuditDuplicateID", testAuditDuplicateID},
		{"AuditRollback", testAuditRollback},
	})
}

// auditFixture returns entry n: at(n), actor usr_<n%2>, tenant tn_<n%3>
// ("" for n%3 == 2).
func auditFixture(n int) audit.Entry {
	tenants := []string{"tn_auditA", "tn_auditB", ""}
	actors := []string{"usr_even", "usr_odd"}
	return audit.Entry{
		ID: "aud_" + strings.Repeat("x", n+1), At: at(n), ActorKind: "user", ActorID: actors[n%2], ActorRole: "tenant_admin",
		Action: "tenant.update", Target: "tn_target", TenantID: tenants[n%3], Outcome: audit.Succeeded,
	}
}

func appendAudit(t *testing.T, s store.Store, es ...audit.Entry) {
	t.Helper()
	for _, e := range es {
		if err := s.AppendAudit(context.Background(), e); err != nil {
			t.Fatalf("AppendAudit %s: %v", e.ID, err)
		}
	}
}

func auditIDs(es []audit.Entry) []string {
	return idsOf(es, func(e audit.Entry) string { return e.ID })
}

func listAudit(t *testing.T, s store.Store, f audit.Filter) ([]audit.Entry, int) {
	t.Helper()
	es, total, err := s.ListAudit(context.Background(), f)
	if err != nil {
		t.Fatalf("ListAudit %+v: %v", f, err)
	}
	return es, total
}

func testAuditRoundTrip(t *testing.T, s store.Store) {
	e0, e1 := auditFixture(0), auditFixture(1)
	e1.Outcome, e1.Code = audit.Denied, "forbidden"
	appendAudit(t, s, e0, e1)
	got, total := listAudit(t, s, audit.Filter{})
	if diff := cmp.Diff([]audit.Entry{e1, e0}, got); diff != "" || total != 2 {
		t.Errorf("got total %d, entries (-want +got):\n%s", total, diff)
	}
}

func testAuditFilters(t *testing.T, s store.Store) {
	for n := range 6 {
		appendAudit(t, s, auditFixture(n))
	}
	id := func(n int) string { return auditFixture(n).ID }
	tests := []struct {
		name string
		f    audit.Filter
		want []string
	}{
		{"tenant", audit.Filter{TenantID: "tn_auditA"}, []string{id(3), id(0)}},
		{"scope", audit.Filter{TenantIDs: []string{"tn_auditB", "tn_nothing"}}, []string{id(4), id(1)}},
		{"empty scope", audit.Filter{TenantIDs: []string{}}, []string{}},
		{"actor", audit.Filter{ActorID: "usr_odd"}, []string{id(5), id(3), id(1)}},
		{"from", audit.Filter{From: at(4)}, []string{id(5), id(4)}},
		{"to", audit.Filter{To: at(2)}, []string{id(1), id(0)}},
		{"actor and tenant", audit.Filter{ActorID: "usr_even", TenantID: "tn_auditA"}, []string{id(0)}},
	}
	for _, tt := range tests {
		got, total := listAudit(t, s, tt.f)
		if diff := cmp.Diff(tt.want, auditIDs(got)); diff != "" || total != len(tt.want) {
			t.Errorf("%s: got total %d, ids (-want +got):\n%s", tt.name, total, diff)
		}
	}
}

func testAuditPagination(t *testing.T, s store.Store) {
	for n := range 5 {
		appendAudit(t, s, auditFixture(n))
	}
	got, total := listAudit(t, s, audit.Filter{Page: core.PageRequest{Page: 2, Limit: 2}})
	if want := []string{auditFixture(2).ID, auditFixture(1).ID}; !cmp.Equal(want, auditIDs(got)) || total != 5 {
		t.Errorf("page 2: got %v (total %d), want %v (total 5)", auditIDs(got), total, want)
	}
	got, total = listAudit(t, s, audit.Filter{Page: core.PageRequest{Page: 9, Limit: 2}})
	if len(got) != 0 || total != 5 {
		t.Errorf("past the end: got %v (total %d), want none (total 5)", auditIDs(got), total)
	}
}

func testAuditDuplicateID(t *testing.T, s store.Store) {
	appendAudit(t, s, auditFixture(0))
	err := s.AppendAudit(context.Background(), auditFixture(0))
	wantCode(t, "a duplicate audit entry", err, core.Conflict)
	if _, total := listAudit(t, s, audit.Filter{}); total != 1 {
		t.Errorf("after the duplicate: got %d entries, want 1", total)
	}
}

func testAuditRollback(t *testing.T, s store.Store) {
	errStop := errors.New("stop")
	err := s.InTx(context.Background(), func(tx store.Store) error {
		if err := tx.AppendAudit(context.Background(), auditFixture(0)); err != nil {
			return err
		}
		if _, total, err := tx.ListAudit(context.Background(), audit.Filter{}); err != nil || total != 1 {
			t.Errorf("inside the transaction: got %d entries (%v), want 1", total, err)
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("InTx: got %v, want the stop error", err)
	}
	if _, total := listAudit(t, s, audit.Filter{}); total != 0 {
		t.Errorf("after the rollback: got %d entries, want 0", total)
	}
}
