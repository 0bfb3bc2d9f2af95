package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// richExtra returns free-form settings holding JSON values of every kind, in
// the compact form tenant.Settings.UnmarshalJSON produces. Keys of the
// nested object are deliberately not sorted: the text must come back as it
// went in.
func richExtra() map[string]json.RawMessage {
	return map[string]json.RawMessage{
		"timezone": json.RawMessage(`"Europe/Istanbul"`),
		"city":     json.RawMessage(`"İzmir – Karşıyaka"`),
		"seats":    json.RawMessage(`25`),
		"discount": json.RawMessage(`12.50`),
		"big":      json.RawMessage(`-1.5e+300`),
		"beta":     json.RawMessage(`true`),
		"legacy":   json.RawMessage(`false`),
		"nothing":  json.RawMessage(`null`),
		"tags":     json.RawMessage(`["b2b",1,false,null,{"k":"v"},[]]`),
		"limits":   json.RawMessage(`{"tier":"gold","sso":true,"seats":{"max":100,"used":7},"ids":[3,1,2],"none":{}}`),
	}
}

func testTenantRoundTrip(t *testing.T, s store.Store) {
	full := fixture(1)
	full.Name = "Ünal Yazılım A.Ş."
	full.PlanID = "plan_professional"
	full.Status = tenant.StatusActive
	full.Settings.Extra = richExtra()
	full.OwnerID = "dist_storetest"
	full.UpdatedAt = at(90)

	minimal := tenant.Tenant{
		ID:        "tn_st0002",
		Name:      "M",
		Subdomain: "min",
		Status:    tenant.StatusTrial,
		CreatedAt: at(2),
		UpdatedAt: at(2),
	}

	deleted := fixture(3)
	deleted.Status = tenant.StatusCancelled
	deleted.Contact.Phone = ""
	deleted.Settings = tenant.Settings{Extra: map[string]json.RawMessage{"only": json.RawMessage(`{"a":[1,{"b":null}]}`)}}
	deleted.UpdatedAt = at(50)
	deleted.DeletedAt = timePtr(at(51))

	// Same subdomain as full: a deleted tenant does not hold its subdomain.
	deletedTwin := fixture(4)
	deletedTwin.Subdomain = full.Subdomain
	deletedTwin.Status = tenant.StatusSuspended
	deletedTwin.DeletedAt = timePtr(at(4).Add(1500 * time.Microsecond))

	all := []tenant.Tenant{full, minimal, deleted, deletedTwin}
	create(t, s, all...)
	for _, want := range all {
		wantStored(t, s, want)
	}

	got, total := list(t, s, tenant.Filter{IncludeDeleted: true})
	if total != len(all) {
		t.Errorf("ListTenants total: got %d, want %d", total, len(all))
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("ListTenants mismatch (-want +got):\n%s", diff)
	}
}

func testTenantCountsNotStored(t *testing.T, s store.Store) {
	in := fixture(1)
	in.AtomCount, in.UserCount = 7, 3
	create(t, s, in)

	want := in
	want.AtomCount, want.UserCount = 0, 0
	wantStored(t, s, want)
	got, _ := list(t, s, tenant.Filter{})
	if diff := cmp.Diff([]tenant.Tenant{want}, got); diff != "" {
		t.Errorf("ListTenants mismatch (-want +got):\n%s", diff)
	}

	out, err := s.UpdateTenant(t.Context(), in.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.AtomCount, x.UserCount = 9, 9
		return x, nil
	})
	if err != nil {
		t.Fatalf("UpdateTenant: got error %v, want nil", err)
	}
	if out.AtomCount != 0 || out.UserCount != 0 {
		t.Errorf("UpdateTenant result counts: got %d atoms, %d users, want 0, 0", out.AtomCount, out.UserCount)
	}
	wantStored(t, s, want)
}

func testTenantDuplicateID(t *testing.T, s store.Store) {
	a := fixture(1)
	create(t, s, a)
	before := dump(t, s)

	dup := fixture(2)
	dup.ID = a.ID
	wantCode(t, "CreateTenant with a taken ID", s.CreateTenant(t.Context(), dup), core.Conflict)

	dupDeleted := fixture(3)
	dupDeleted.ID = a.ID
	dupDeleted.DeletedAt = timePtr(at(3))
	wantCode(t, "CreateTenant (deleted) with a taken ID", s.CreateTenant(t.Context(), dupDeleted), core.Conflict)

	wantState(t, s, "after duplicate IDs", before)
	// The refused tenant's subdomain was not taken.
	wantSubdomainFree(t, s, "tn_st0002", dup.Subdomain)
}

func testTenantDuplicateSubdomain(t *testing.T, s store.Store) {
	a := fixture(1)
	a.Subdomain = "acme"
	create(t, s, a)
	before := dump(t, s)

	for _, sub := range []string{"acme", "ACME", "Acme"} {
		b := fixture(2)
		b.Subdomain = sub
		wantCode(t, fmt.Sprintf("CreateTenant with subdomain %q", sub), s.CreateTenant(t.Context(), b), core.SubdomainTaken)
	}
	wantState(t, s, "after duplicate subdomains", before)
	wantAbsent(t, s, "tn_st0002")

	// A deleted tenant may share the subdomain of a live one.
	c := fixture(3)
	c.Subdomain = "acme"
	c.DeletedAt = timePtr(at(3))
	create(t, s, c)
	wantStored(t, s, c)
	wantSubdomainTaken(t, s, "acme")
}

func testTenantSoftDeleteFreesSubdomain(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := fixture(1)
	a.Subdomain = "acme"
	create(t, s, a)

	deleted, err := s.UpdateTenant(ctx, a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.DeletedAt = timePtr(at(10))
		x.UpdatedAt = at(10)
		return x, nil
	})
	if err != nil {
		t.Fatalf("UpdateTenant (soft delete): got error %v, want nil", err)
	}
	wantA := a
	wantA.DeletedAt = timePtr(at(10))
	wantA.UpdatedAt = at(10)
	if diff := cmp.Diff(wantA, deleted); diff != "" {
		t.Errorf("UpdateTenant (soft delete) result mismatch (-want +got):\n%s", diff)
	}
	wantStored(t, s, wantA)

	// The subdomain is free: another tenant takes it.
	b := fixture(2)
	b.Subdomain = "acme"
	create(t, s, b)
	wantStored(t, s, b)

	// The deleted tenant may still change while b holds the subdomain.
	renamed, err := s.UpdateTenant(ctx, a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.Name = "Deleted but renamed"
		return x, nil
	})
	if err != nil {
		t.Fatalf("UpdateTenant (rename deleted): got error %v, want nil", err)
	}
	wantA.Name = "Deleted but renamed"
	if diff := cmp.Diff(wantA, renamed); diff != "" {
		t.Errorf("UpdateTenant (rename deleted) result mismatch (-want +got):\n%s", diff)
	}

	// Un-deleting it now collides with b.
	before := dump(t, s)
	_, err = s.UpdateTenant(ctx, a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.DeletedAt = nil
		return x, nil
	})
	wantCode(t, "UpdateTenant (un-delete onto a taken subdomain)", err, core.SubdomainTaken)
	wantState(t, s, "after refused un-delete", before)

	// Once b is deleted too, a may come back.
	if _, err := s.UpdateTenant(ctx, b.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.DeletedAt = timePtr(at(20))
		return x, nil
	}); err != nil {
		t.Fatalf("UpdateTenant (delete b): got error %v, want nil", err)
	}
	if _, err := s.UpdateTenant(ctx, a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.DeletedAt = nil
		return x, nil
	}); err != nil {
		t.Fatalf("UpdateTenant (un-delete a): got error %v, want nil", err)
	}
	wantA.DeletedAt = nil
	wantStored(t, s, wantA)
	wantSubdomainTaken(t, s, "acme")
}

func testTenantGetNotFound(t *testing.T, s store.Store) {
	wantAbsent(t, s, "tn_st0001")
	create(t, s, fixture(1))
	for _, id := range []string{"tn_st0002", "", "TN_ST0001", "tn_st0001 ", "tn_st000"} {
		wantAbsent(t, s, id)
	}
}

func testTenantUpdate(t *testing.T, s store.Store) {
	a := fixture(1)
	a.Settings.Extra = richExtra()
	b := fixture(2)
	create(t, s, a, b)

	want := a
	want.Name = "Acme Holding"
	want.Subdomain = "acme-holding"
	want.Status = tenant.StatusSuspended
	want.PlanID = "plan_enterprise"
	want.Contact = tenant.Contact{Name: "Jane Roe", Email: "jane@acme.example"}
	want.Settings = tenant.Settings{
		Industry: "software",
		Extra: map[string]json.RawMessage{
			"seats":  json.RawMessage(`30`),
			"limits": json.RawMessage(`{"tier":"platinum"}`),
			"new":    json.RawMessage(`[true]`),
		},
	}
	want.OwnerID = "prt_storetest"
	want.UpdatedAt = at(100)

	calls := 0
	got, err := s.UpdateTenant(t.Context(), a.ID, func(in tenant.Tenant) (tenant.Tenant, error) {
		calls++
		if diff := cmp.Diff(a, in); diff != "" {
			t.Errorf("updater input mismatch (-want +got):\n%s", diff)
		}
		return want, nil
	})
	if err != nil {
		t.Fatalf("UpdateTenant: got error %v, want nil", err)
	}
	if calls < 1 {
		t.Errorf("updater calls: got %d, want at least 1", calls)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UpdateTenant result mismatch (-want +got):\n%s", diff)
	}
	wantStored(t, s, want)
	wantStored(t, s, b)
	// The name query follows the new name.
	for _, q := range []struct {
		query string
		want  []string
	}{{"HOLDING", []string{a.ID}}, {a.Name, []string{}}} {
		got, _ := list(t, s, tenant.Filter{Query: q.query})
		if diff := cmp.Diff(q.want, ids(got)); diff != "" {
			t.Errorf("query %q after rename: IDs mismatch (-want +got):\n%s", q.query, diff)
		}
	}
	wantSubdomainFree(t, s, "tn_st0003", a.Subdomain)
	wantSubdomainTaken(t, s, want.Subdomain)

	// Settings back to nothing at all: a nil Extra stays nil.
	want.Settings = tenant.Settings{}
	got, err = s.UpdateTenant(t.Context(), a.ID, func(in tenant.Tenant) (tenant.Tenant, error) {
		in.Settings = tenant.Settings{}
		return in, nil
	})
	if err != nil {
		t.Fatalf("UpdateTenant (clear settings): got error %v, want nil", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UpdateTenant (clear settings) result mismatch (-want +got):\n%s", diff)
	}
	wantStored(t, s, want)

	// An update that keeps the subdomain does not collide with itself.
	want.Name = "Acme Holding 2"
	if _, err := s.UpdateTenant(t.Context(), a.ID, func(in tenant.Tenant) (tenant.Tenant, error) {
		in.Name = "Acme Holding 2"
		return in, nil
	}); err != nil {
		t.Fatalf("UpdateTenant (same subdomain): got error %v, want nil", err)
	}
	wantStored(t, s, want)
}

func testTenantUpdaterError(t *testing.T, s store.Store) {
	a := fixture(1)
	a.Settings.Extra = map[string]json.RawMessage{"n": json.RawMessage(`1`)}
	create(t, s, a, fixture(2))
	before := dump(t, s)

	coded := core.Errorf(core.InvalidTransition, "a trial tenant cannot become suspended")
	tests := []struct {
		name string
		err  error
	}{
		{"plain", errSentinel},
		{"wrapped", fmt.Errorf("deciding: %w", errSentinel)},
		{"core", coded},
	}
	for _, tc := range tests {
		_, err := s.UpdateTenant(t.Context(), a.ID, func(in tenant.Tenant) (tenant.Tenant, error) {
			// Change everything, then fail: none of it may be written.
			in.Name = "Changed"
			in.Subdomain = "changed"
			in.Settings.Extra["n"] = json.RawMessage(`2`)
			in.DeletedAt = timePtr(at(5))
			return in, tc.err
		})
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: UpdateTenant: got error %v, want %v", tc.name, err, tc.err)
		}
		wantState(t, s, tc.name+": after a failing updater", before)
	}
	wantCode(t, "UpdateTenant with a coded updater error", func() error {
		_, err := s.UpdateTenant(t.Context(), a.ID, func(in tenant.Tenant) (tenant.Tenant, error) { return in, coded })
		return err
	}(), core.InvalidTransition)
	wantSubdomainFree(t, s, "tn_st0003", "changed")
}

func testTenantUpdateNotFound(t *testing.T, s store.Store) {
	create(t, s, fixture(1))
	before := dump(t, s)
	called := false
	_, err := s.UpdateTenant(t.Context(), "tn_st0404", func(in tenant.Tenant) (tenant.Tenant, error) {
		called = true
		in.ID = "tn_st0404"
		return in, nil
	})
	wantCode(t, "UpdateTenant on an unknown ID", err, core.NotFound)
	if called {
		t.Error("updater called for an unknown ID: got called, want not called")
	}
	wantState(t, s, "after UpdateTenant on an unknown ID", before)
	wantAbsent(t, s, "tn_st0404")
}

func testTenantUpdateSubdomainTaken(t *testing.T, s store.Store) {
	a := fixture(1)
	a.Subdomain = "alpha"
	b := fixture(2)
	b.Subdomain = "beta"
	create(t, s, a, b)
	before := dump(t, s)

	for _, sub := range []string{"alpha", "ALPHA"} {
		_, err := s.UpdateTenant(t.Context(), b.ID, func(in tenant.Tenant) (tenant.Tenant, error) {
			in.Subdomain = sub
			in.Name = "Beta renamed"
			return in, nil
		})
		wantCode(t, fmt.Sprintf("UpdateTenant to subdomain %q", sub), err, core.SubdomainTaken)
	}
	wantState(t, s, "after refused subdomain changes", before)
	wantSubdomainTaken(t, s, "beta")
}

func testTenantUpdateCannotChangeID(t *testing.T, s store.Store) {
	create(t, s, fixture(1), fixture(2))
	before := dump(t, s)
	for _, id := range []string{"tn_st0002", "tn_st0003"} {
		_, err := s.UpdateTenant(t.Context(), "tn_st0001", func(in tenant.Tenant) (tenant.Tenant, error) {
			in.ID = id
			in.Name = "Moved"
			return in, nil
		})
		if err == nil {
			t.Errorf("UpdateTenant changing the ID to %s: got nil error, want an error", id)
		}
	}
	wantState(t, s, "after updaters that change the ID", before)
	wantAbsent(t, s, "tn_st0003")
}

func testTenantListFilters(t *testing.T, s store.Store) {
	// n: status, plan, owner, deleted
	type row struct {
		status  tenant.Status
		plan    string
		owner   string
		deleted bool
	}
	rows := []row{
		1: {tenant.StatusTrial, "plan_starter", "", false},
		2: {tenant.StatusActive, "plan_professional", "dist_a", false},
		3: {tenant.StatusActive, "plan_starter", "dist_a", false},
		4: {tenant.StatusSuspended, "", "prt_b", false},
		5: {tenant.StatusCancelled, "plan_professional", "", true},
		6: {tenant.StatusActive, "plan_professional", "dist_a", true},
		7: {tenant.StatusTrial, "", "prt_b", false},
		8: {tenant.StatusActive, "plan_professional", "", false},
	}
	for n := 1; n < len(rows); n++ {
		tn := fixture(n)
		tn.Status, tn.PlanID, tn.OwnerID = rows[n].status, rows[n].plan, rows[n].owner
		if rows[n].deleted {
			tn.DeletedAt = timePtr(at(n + 100))
		}
		create(t, s, tn)
	}
	id := func(ns ...int) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, fixture(n).ID)
		}
		return out
	}

	tests := []struct {
		name   string
		filter tenant.Filter
		want   []string
	}{
		{"none", tenant.Filter{}, id(1, 2, 3, 4, 7, 8)},
		{"include deleted", tenant.Filter{IncludeDeleted: true}, id(1, 2, 3, 4, 5, 6, 7, 8)},
		{"status", tenant.Filter{Status: tenant.StatusActive}, id(2, 3, 8)},
		{"status with deleted", tenant.Filter{Status: tenant.StatusActive, IncludeDeleted: true}, id(2, 3, 6, 8)},
		{"status none match", tenant.Filter{Status: tenant.StatusCancelled}, id()},
		{"status only deleted", tenant.Filter{Status: tenant.StatusCancelled, IncludeDeleted: true}, id(5)},
		{"plan", tenant.Filter{PlanID: "plan_professional"}, id(2, 8)},
		{"plan unknown", tenant.Filter{PlanID: "plan_nothing"}, id()},
		{"owner", tenant.Filter{OwnerID: "dist_a"}, id(2, 3)},
		{"owner with deleted", tenant.Filter{OwnerID: "dist_a", IncludeDeleted: true}, id(2, 3, 6)},
		{"other owner", tenant.Filter{OwnerID: "prt_b"}, id(4, 7)},
		{"status and plan", tenant.Filter{Status: tenant.StatusActive, PlanID: "plan_starter"}, id(3)},
		{"status and owner", tenant.Filter{Status: tenant.StatusTrial, OwnerID: "prt_b"}, id(7)},
		{"plan and owner", tenant.Filter{PlanID: "plan_professional", OwnerID: "dist_a", IncludeDeleted: true}, id(2, 6)},
		{"all four", tenant.Filter{Status: tenant.StatusActive, PlanID: "plan_professional", OwnerID: "dist_a", Query: "0006", IncludeDeleted: true}, id(6)},
		{"query and status", tenant.Filter{Status: tenant.StatusActive, Query: "tenant 000"}, id(2, 3, 8)},
		{"owners", tenant.Filter{OwnerIDs: []string{"dist_a", "prt_b"}}, id(2, 3, 4, 7)},
		{"owners with deleted", tenant.Filter{OwnerIDs: []string{"prt_b", "dist_a"}, IncludeDeleted: true}, id(2, 3, 4, 6, 7)},
		{"owners, one unknown", tenant.Filter{OwnerIDs: []string{"prt_b", "prt_nobody"}}, id(4, 7)},
		{"owners none known", tenant.Filter{OwnerIDs: []string{"prt_nobody"}}, id()},
		{"owners empty entry", tenant.Filter{OwnerIDs: []string{""}, IncludeDeleted: true}, id()},
		{"owners and status", tenant.Filter{OwnerIDs: []string{"dist_a", "prt_b"}, Status: tenant.StatusActive}, id(2, 3)},
		{"owners and owner", tenant.Filter{OwnerIDs: []string{"dist_a", "prt_b"}, OwnerID: "prt_b"}, id(4, 7)},
		{"owners and query", tenant.Filter{OwnerIDs: []string{"dist_a", "prt_b"}, Query: "0007"}, id(7)},
	}
	for _, tc := range tests {
		got, total := list(t, s, tc.filter)
		if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
			t.Errorf("%s: ListTenants IDs mismatch (-want +got):\n%s", tc.name, diff)
		}
		if total != len(tc.want) {
			t.Errorf("%s: ListTenants total: got %d, want %d", tc.name, total, len(tc.want))
		}
	}

	// Pages of an owners filter, totals included.
	for _, pg := range []struct {
		page int
		want []string
	}{{1, id(2, 3)}, {2, id(4, 7)}, {3, id()}} {
		got, total, err := s.ListTenants(t.Context(), tenant.Filter{OwnerIDs: []string{"dist_a", "prt_b"}, Page: core.PageRequest{Page: pg.page, Limit: 2}})
		if err != nil {
			t.Fatalf("ListTenants owners page %d: %v", pg.page, err)
		}
		if diff := cmp.Diff(pg.want, ids(got)); diff != "" || total != 4 {
			t.Errorf("owners page %d: got %v of %d, want %v of 4", pg.page, ids(got), total, pg.want)
		}
	}

	// An owner change moves the tenant between the owners' lists; a
	// rolled-back one does not.
	owners := func(what string, f tenant.Filter, want []string) {
		t.Helper()
		got, total := list(t, s, f)
		if diff := cmp.Diff(want, ids(got)); diff != "" || total != len(want) {
			t.Errorf("%s: got %v of %d, want %v", what, ids(got), total, want)
		}
	}
	err := s.InTx(t.Context(), func(tx store.Store) error {
		update(func(x *tenant.Tenant) { x.OwnerID = "prt_c" })(t, tx, fixture(7), tenant.Tenant{})
		return errSentinel
	})
	if err != errSentinel {
		t.Fatalf("InTx: got %v, want the sentinel", err)
	}
	owners("after a rolled-back move", tenant.Filter{OwnerIDs: []string{"prt_b"}}, id(4, 7))
	owners("the rolled-back owner", tenant.Filter{OwnerIDs: []string{"prt_c"}}, id())
	update(func(x *tenant.Tenant) { x.OwnerID = "prt_c" })(t, s, fixture(7), tenant.Tenant{})
	owners("the old owner after a move", tenant.Filter{OwnerIDs: []string{"prt_b"}}, id(4))
	owners("the new owner after a move", tenant.Filter{OwnerIDs: []string{"prt_c", "dist_a"}}, id(2, 3, 7))
	owners("the new owner alone", tenant.Filter{OwnerID: "prt_c"}, id(7))
	update(func(x *tenant.Tenant) { x.OwnerID = "prt_b" })(t, s, fixture(7), tenant.Tenant{})

	// Items come back whole, not just their IDs.
	got, _ := list(t, s, tenant.Filter{OwnerID: "prt_b", Status: tenant.StatusSuspended})
	want := fixture(4)
	want.Status, want.PlanID, want.OwnerID = tenant.StatusSuspended, "", "prt_b"
	if diff := cmp.Diff([]tenant.Tenant{want}, got); diff != "" {
		t.Errorf("ListTenants items mismatch (-want +got):\n%s", diff)
	}
}

func testTenantListQuery(t *testing.T, s store.Store) {
	names := []string{
		1: "Ünal Yazılım",
		2: "ACME Corp",
		3: "acme 100% Natural",
		4: "snake_case Ltd",
		5: `Back\slash Co`,
		6: "Plain Trading",
		7: "İstanbul Çay Evi",
		8: "Deleted Acme",
	}
	for n := 1; n < len(names); n++ {
		tn := fixture(n)
		tn.Name = names[n]
		if n == 8 {
			tn.DeletedAt = timePtr(at(200))
		}
		create(t, s, tn)
	}
	id := func(ns ...int) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, fixture(n).ID)
		}
		return out
	}
	tests := []struct {
		query          string
		includeDeleted bool
		want           []string
	}{
		{"acme", false, id(2, 3)},
		{"ACME", false, id(2, 3)},
		{"aCmE", true, id(2, 3, 8)},
		{"ünal", false, id(1)},
		{"ÜNAL", false, id(1)},
		{"Ünal", false, id(1)},
		{"yazılım", false, id(1)},
		{"YAZILIM", false, id()}, // ToLower("I") is "i", not "ı"
		{"çay", false, id(7)},
		{"ÇAY EVİ", false, id(7)},
		{"%", false, id(3)},
		{"100%", false, id(3)},
		{"0% n", false, id(3)},
		{"a%e", false, id()},
		{"acme%", false, id()},
		{"_", false, id(4)},
		{"e_c", false, id(4)},
		{"a_m", false, id()},
		{"c_", false, id()},
		{`\`, false, id(5)},
		{`k\s`, false, id(5)},
		{`\%`, false, id()},
		{"'", false, id()},
		{"tenant", false, id()},
		{" ", false, id(1, 2, 3, 4, 5, 6, 7)},
		{"o", false, id(2, 5)},
		{"zzz", false, id()},
	}
	for _, tc := range tests {
		got, total := list(t, s, tenant.Filter{Query: tc.query, IncludeDeleted: tc.includeDeleted})
		if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
			t.Errorf("query %q: ListTenants IDs mismatch (-want +got):\n%s", tc.query, diff)
		}
		if total != len(tc.want) {
			t.Errorf("query %q: ListTenants total: got %d, want %d", tc.query, total, len(tc.want))
		}
	}
}

func testTenantListOrder(t *testing.T, s store.Store) {
	// Creation times: 3 tenants share at(5), inserted neither in ID order
	// nor in reverse; the others are inserted out of time order. IDs compare
	// bytewise, as Go compares strings: "tn_B" < "tn_a" < "tn_c" (a
	// linguistic collation would put tn_a first).
	made := 0
	mk := func(id string, created int) tenant.Tenant {
		made++
		tn := fixture(created)
		tn.ID = id
		tn.Subdomain = fmt.Sprintf("order-%d", made)
		return tn
	}
	in := []tenant.Tenant{
		mk("tn_zulu", 9),
		mk("tn_a", 5),
		mk("tn_first", 1),
		mk("tn_c", 5),
		mk("tn_mike", 7),
		mk("tn_B", 5),
		mk("tn_early", 0),
	}
	// One more tenant one microsecond after the tie, to prove microseconds
	// count.
	late := mk("tn_0micro", 5)
	late.CreatedAt = at(5).Add(time.Microsecond)
	in = append(in, late)
	create(t, s, in...)

	want := []string{"tn_early", "tn_first", "tn_B", "tn_a", "tn_c", "tn_0micro", "tn_mike", "tn_zulu"}
	got, total := list(t, s, tenant.Filter{})
	if diff := cmp.Diff(want, ids(got)); diff != "" {
		t.Errorf("ListTenants order mismatch (-want +got):\n%s", diff)
	}
	if total != len(want) {
		t.Errorf("ListTenants total: got %d, want %d", total, len(want))
	}

	// Pages of 2 walk through the tie without skipping or repeating.
	var walked []string
	for p := 1; p <= 4; p++ {
		page, total := list(t, s, tenant.Filter{Page: core.PageRequest{Page: p, Limit: 2}})
		if total != len(want) {
			t.Errorf("page %d total: got %d, want %d", p, total, len(want))
		}
		walked = append(walked, ids(page)...)
	}
	if diff := cmp.Diff(want, walked); diff != "" {
		t.Errorf("paged order mismatch (-want +got):\n%s", diff)
	}

	// Updates do not move a tenant.
	if _, err := s.UpdateTenant(t.Context(), "tn_a", func(x tenant.Tenant) (tenant.Tenant, error) {
		x.UpdatedAt = at(1000)
		x.Name = "zzz"
		return x, nil
	}); err != nil {
		t.Fatalf("UpdateTenant: got error %v, want nil", err)
	}
	got, _ = list(t, s, tenant.Filter{})
	if diff := cmp.Diff(want, ids(got)); diff != "" {
		t.Errorf("ListTenants order after update mismatch (-want +got):\n%s", diff)
	}
}

func testTenantListPagination(t *testing.T, s store.Store) {
	var all []string
	for n := 1; n <= 7; n++ {
		create(t, s, fixture(n))
		all = append(all, fixture(n).ID)
	}
	// A deleted tenant is not counted.
	del := fixture(8)
	del.DeletedAt = timePtr(at(8))
	create(t, s, del)

	tests := []struct {
		page, limit int
		want        []string
	}{
		{1, 3, all[0:3]},
		{2, 3, all[3:6]},
		{3, 3, all[6:7]}, // last, partial
		{4, 3, []string{}},
		{1, 1, all[0:1]},
		{5, 1, all[4:5]},
		{7, 1, all[6:7]},
		{8, 1, []string{}},
		{1, 7, all},
		{2, 7, []string{}},
		{1, 20, all},
		{1, core.MaxLimit, all},
		{core.MaxPage, core.MaxLimit, []string{}},
	}
	for _, tc := range tests {
		got, total := list(t, s, tenant.Filter{Page: core.PageRequest{Page: tc.page, Limit: tc.limit}})
		if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
			t.Errorf("page %d limit %d: IDs mismatch (-want +got):\n%s", tc.page, tc.limit, diff)
		}
		if total != len(all) {
			t.Errorf("page %d limit %d: total: got %d, want %d", tc.page, tc.limit, total, len(all))
		}
	}

	// With a filter, the total counts the matches, not the page.
	got, total := list(t, s, tenant.Filter{IncludeDeleted: true, Page: core.PageRequest{Page: 3, Limit: 3}})
	if diff := cmp.Diff([]string{all[6], del.ID}, ids(got)); diff != "" {
		t.Errorf("last page with deleted: IDs mismatch (-want +got):\n%s", diff)
	}
	if total != 8 {
		t.Errorf("last page with deleted: total: got %d, want 8", total)
	}
}

func testTenantListEmpty(t *testing.T, s store.Store) {
	for _, f := range []tenant.Filter{
		{},
		{IncludeDeleted: true},
		{Status: tenant.StatusTrial, Query: "x"},
		{Page: core.PageRequest{Page: 3, Limit: 1}},
	} {
		got, total := list(t, s, f)
		if len(got) != 0 || total != 0 {
			t.Errorf("ListTenants(%+v) on an empty store: got %d items, total %d, want 0, 0", f, len(got), total)
		}
	}
}

func testReturnedValuesAreCopies(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := fixture(1)
	in.Settings.Extra = map[string]json.RawMessage{"n": json.RawMessage(`1`), "o": json.RawMessage(`{"a":1}`)}
	in.DeletedAt = timePtr(at(2))
	want := in
	want.Settings.Extra = map[string]json.RawMessage{"n": json.RawMessage(`1`), "o": json.RawMessage(`{"a":1}`)}
	want.DeletedAt = timePtr(at(2))
	create(t, s, in)

	// mutate changes everything a tenant value shares by reference.
	mutate := func(x *tenant.Tenant) {
		if x.Settings.Extra != nil {
			x.Settings.Extra["n"][0] = '9'
			x.Settings.Extra["added"] = json.RawMessage(`true`)
			delete(x.Settings.Extra, "o")
		}
		if x.DeletedAt != nil {
			*x.DeletedAt = at(999)
		}
	}

	mutate(&in)
	wantStored(t, s, want)

	got := get(t, s, want.ID)
	mutate(&got)
	wantStored(t, s, want)

	items, _ := list(t, s, tenant.Filter{IncludeDeleted: true})
	for i := range items {
		mutate(&items[i])
	}
	wantStored(t, s, want)

	out, err := s.UpdateTenant(ctx, want.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		mutate(&x) // the updater's input is a copy; this is the new value
		return x, nil
	})
	if err != nil {
		t.Fatalf("UpdateTenant: got error %v, want nil", err)
	}
	want.Settings.Extra = map[string]json.RawMessage{"n": json.RawMessage(`9`), "added": json.RawMessage(`true`)}
	want.DeletedAt = timePtr(at(999))
	wantStored(t, s, want)
	mutate(&out)
	out.Settings.Extra["n"] = json.RawMessage(`5`)
	wantStored(t, s, want)

	// An updater that mutates its input and then fails leaves nothing.
	_, err = s.UpdateTenant(ctx, want.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.Settings.Extra["n"][0] = '7'
		*x.DeletedAt = at(5)
		return x, errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Errorf("UpdateTenant: got error %v, want %v", err, errSentinel)
	}
	wantStored(t, s, want)
}

func testContextDone(t *testing.T, s store.Store) {
	a := fixture(1)
	create(t, s, a)
	before := dump(t, s)
	ctx := canceled(t)

	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: got error %v, want one matching context.Canceled", what, err)
		}
	}
	check("CreateTenant", s.CreateTenant(ctx, fixture(2)))
	_, err := s.GetTenant(ctx, a.ID)
	check("GetTenant", err)
	_, _, err = s.ListTenants(ctx, tenant.Filter{Page: core.PageRequest{Page: 1, Limit: 20}})
	check("ListTenants", err)
	_, err = s.UpdateTenant(ctx, a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.Name = "Changed"
		return x, nil
	})
	check("UpdateTenant", err)
	called := false
	err = s.InTx(ctx, func(tx store.Store) error {
		called = true
		return tx.CreateTenant(ctx, fixture(3))
	})
	check("InTx", err)
	if called {
		t.Error("InTx with a cancelled context: fn was called, want not called")
	}
	wantState(t, s, "after calls with a cancelled context", before)
}

func testClosed(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := fixture(1)
	create(t, s, a)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: got error %v, want nil", err)
	}
	if err := s.CreateTenant(ctx, fixture(2)); err == nil {
		t.Error("CreateTenant on a closed store: got nil error, want an error")
	}
	if _, err := s.GetTenant(ctx, a.ID); err == nil {
		t.Error("GetTenant on a closed store: got nil error, want an error")
	}
	if _, _, err := s.ListTenants(ctx, tenant.Filter{Page: core.PageRequest{Page: 1, Limit: 20}}); err == nil {
		t.Error("ListTenants on a closed store: got nil error, want an error")
	}
	called := false
	if _, err := s.UpdateTenant(ctx, a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		called = true
		return x, nil
	}); err == nil {
		t.Error("UpdateTenant on a closed store: got nil error, want an error")
	}
	if called {
		t.Error("UpdateTenant on a closed store: updater called, want not called")
	}
	called = false
	if err := s.InTx(ctx, func(store.Store) error { called = true; return nil }); err == nil {
		t.Error("InTx on a closed store: got nil error, want an error")
	}
	if called {
		t.Error("InTx on a closed store: fn called, want not called")
	}
}

// extraInt reads an integer free-form setting, failing the test when it
// is not one.
func extraInt(t *testing.T, tn tenant.Tenant, key string) int {
	t.Helper()
	raw, ok := tn.Settings.Extra[key]
	if !ok {
		t.Fatalf("tenant %s: settings key %q missing", tn.ID, key)
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil {
		t.Fatalf("tenant %s: settings key %q: got %s, want an integer", tn.ID, key, raw)
	}
	return n
}

// keysetWalk walks a list with keyset pages of limit, as a job that reads a
// whole list does: each page is read by page with the key of the last item
// of the page before (nil for the first), until a page comes back short.
// After page pg it checks the total against wantTotals[pg-1] (every match,
// After ignored), calls check with each item, then runs changes[pg], if
// any, the write that lands between two pages. It returns the IDs walked.
func keysetWalk[T any](t *testing.T, limit int, page func(core.PageRequest, *core.ListKey) ([]T, int, error), key func(T) core.ListKey,
	id func(T) string, check func(pg int, item T), changes map[int]func(), wantTotals []int) []string {
	t.Helper()
	var walked []string
	var after *core.ListKey
	for pg := 1; ; pg++ {
		if pg > 20 {
			t.Fatalf("walk: still going after %d pages (%v)", pg-1, walked)
		}
		got, total, err := page(core.PageRequest{Page: 1, Limit: limit}, after)
		if err != nil {
			t.Fatalf("walk page %d: got error %v, want nil", pg, err)
		}
		if pg <= len(wantTotals) && total != wantTotals[pg-1] {
			t.Errorf("walk page %d: got total %d, want %d (every match, After ignored)", pg, total, wantTotals[pg-1])
		}
		for _, it := range got {
			check(pg, it)
			walked = append(walked, id(it))
		}
		if len(got) < limit {
			return walked
		}
		after = new(key(got[len(got)-1]))
		if change := changes[pg]; change != nil {
			change()
		}
	}
}

// afterKey is the After of a keyset page: the place of at and id.
func afterKey(at time.Time, id string) *core.ListKey { return &core.ListKey{CreatedAt: at, ID: id} }

// firstPage is page 1 of limit items, the only page a keyset page asks for.
func firstPage(limit int) core.PageRequest { return core.PageRequest{Page: 1, Limit: limit} }

// wantPageField checks that err is core.Invalid naming "page" alone.
func wantPageField(t *testing.T, what string, err error) {
	t.Helper()
	wantCode(t, what, err, core.Invalid)
	var ce *core.Error
	if errors.As(err, &ce) && (len(ce.Fields) != 1 || ce.Fields[0].Field != "page") {
		t.Errorf("%s: got fields %+v, want one naming page", what, ce.Fields)
	}
}

// testTenantListAfter walks a list with keyset pages (Filter.After) while
// tenants before the cursor enter and leave the filter and a new one is
// created before it: every tenant is seen once, in order, where offset
// pages would repeat one and skip another. Then single keyset pages:
// ties on the time broken by the ID, microseconds, other zones, each
// path of the stores (owner, owners, a name query, deleted ones), a
// total that ignores After, and page 2 with After refused.
func testTenantListAfter(t *testing.T, s store.Store) {
	t0 := at(100) // a time with microseconds
	us := time.Microsecond
	mk := func(id, owner string, at time.Time, status tenant.Status) tenant.Tenant {
		return tenant.Tenant{
			ID: id, Name: "Keyset " + id, Subdomain: "keyset-" + id[3:], Status: status, PlanID: "plan_starter",
			OwnerID: owner, CreatedAt: at, UpdatedAt: at,
		}
	}
	// Created out of list order; four share t0 (the ID breaks the tie),
	// two t0+1µs.
	create(t, s,
		mk("tn_kc02", "dist_k", t0.Add(time.Minute), tenant.StatusActive),
		mk("tn_ka03", "dist_k", t0, tenant.StatusActive),
		mk("tn_kb02", "dist_k", t0.Add(us), tenant.StatusActive),
		mk("tn_ka01", "dist_k", t0, tenant.StatusActive),
		mk("tn_kb01", "prt_l", t0.Add(-us), tenant.StatusTrial),
		mk("tn_ka02", "prt_l", t0, tenant.StatusActive),
		mk("tn_kb00", "prt_l", t0.Add(us), tenant.StatusTrial),
		mk("tn_kd02", "dist_k", t0.Add(3*time.Minute), tenant.StatusActive),
		mk("tn_kd01", "prt_l", t0.Add(2*time.Minute), tenant.StatusActive),
		mk("tn_kc01", "prt_l", t0.Add(time.Minute), tenant.StatusActive),
	)
	change := func(id string, fn func(*tenant.Tenant)) {
		t.Helper()
		if _, err := s.UpdateTenant(t.Context(), id, func(tn tenant.Tenant) (tenant.Tenant, error) {
			fn(&tn)
			return tn, nil
		}); err != nil {
			t.Fatalf("UpdateTenant(%s): got error %v, want nil", id, err)
		}
	}
	// The walk: pages of 2 of the active tenants. After page 1 a trial
	// before the cursor becomes active; after page 2 one before it is
	// suspended and one deleted; after page 3 one is created before it.
	changes := map[int]func(){
		1: func() { change("tn_kb01", func(tn *tenant.Tenant) { tn.Status = tenant.StatusActive }) },
		2: func() {
			change("tn_ka01", func(tn *tenant.Tenant) { tn.Status = tenant.StatusSuspended })
			change("tn_ka03", func(tn *tenant.Tenant) { tn.DeletedAt = timePtr(at(200)) })
		},
		3: func() { create(t, s, mk("tn_ka00", "dist_k", t0.Add(-time.Minute), tenant.StatusActive)) },
	}
	active := tenant.Filter{Status: tenant.StatusActive}
	walked := keysetWalk(t, 2, func(pr core.PageRequest, after *core.ListKey) ([]tenant.Tenant, int, error) {
		f := active
		f.Page, f.After = pr, after
		return s.ListTenants(t.Context(), f)
	}, tenant.Tenant.ListKey, func(tn tenant.Tenant) string { return tn.ID }, func(pg int, tn tenant.Tenant) {
		if d := cmp.Diff(get(t, s, tn.ID), tn); d != "" {
			t.Errorf("walk page %d: tenant %s mismatch (-want +got):\n%s", pg, tn.ID, d)
		}
	}, changes, []int{8, 9, 7, 8, 8})
	want := []string{"tn_ka01", "tn_ka02", "tn_ka03", "tn_kb02", "tn_kc01", "tn_kc02", "tn_kd01", "tn_kd02"}
	if fmt.Sprint(walked) != fmt.Sprint(want) {
		t.Errorf("walk: got %v, want %v (each once, in order)", walked, want)
	}

	// Now, not deleted: ka00 (t0-1m), kb01 (t0-1µs), ka01 (suspended),
	// ka02 (t0), kb00 (trial), kb02 (t0+1µs), kc01, kc02, kd01, kd02;
	// ka03 (t0) is deleted.
	for _, tc := range []struct {
		name  string
		f     tenant.Filter
		want  []string
		total int
	}{
		{"a tie broken by ID", tenant.Filter{After: afterKey(t0, "tn_ka01"), Page: firstPage(20)}, []string{"tn_ka02", "tn_kb00", "tn_kb02", "tn_kc01", "tn_kc02", "tn_kd01", "tn_kd02"}, 10},
		{"deleted too", tenant.Filter{IncludeDeleted: true, After: afterKey(t0, "tn_ka02"), Page: firstPage(2)}, []string{"tn_ka03", "tn_kb00"}, 11},
		{"before a time's first ID", tenant.Filter{After: afterKey(t0, ""), Page: firstPage(3)}, []string{"tn_ka01", "tn_ka02", "tn_kb00"}, 10},
		{"a microsecond later", tenant.Filter{After: afterKey(t0.Add(us), ""), Page: firstPage(2)}, []string{"tn_kb00", "tn_kb02"}, 10},
		{"an ID past a time's last", tenant.Filter{After: afterKey(t0, "tn_kz"), Page: firstPage(1)}, []string{"tn_kb00"}, 10},
		{"in another zone", tenant.Filter{Status: tenant.StatusActive, After: afterKey(t0.In(time.FixedZone("X", -5*3600)), "tn_ka02"), Page: core.PageRequest{Limit: 20}}, []string{"tn_kb02", "tn_kc01", "tn_kc02", "tn_kd01", "tn_kd02"}, 8},
		{"an owner's", tenant.Filter{OwnerID: "dist_k", After: afterKey(t0, "tn_ka01"), Page: firstPage(20)}, []string{"tn_kb02", "tn_kc02", "tn_kd02"}, 5},
		{"owners'", tenant.Filter{OwnerIDs: []string{"dist_k", "prt_l"}, Status: tenant.StatusActive, After: afterKey(t0, "tn_ka02"), Page: firstPage(2)}, []string{"tn_kb02", "tn_kc01"}, 8},
		{"a name query", tenant.Filter{Query: "Keyset TN_K", After: afterKey(t0, "tn_ka02"), Page: firstPage(2)}, []string{"tn_kb00", "tn_kb02"}, 10},
		{"a narrower name query", tenant.Filter{Query: "tn_kc", After: afterKey(t0.Add(time.Minute), "tn_kc01"), Page: firstPage(20)}, []string{"tn_kc02"}, 2},
		{"after the last", tenant.Filter{Status: tenant.StatusActive, After: afterKey(t0.Add(3*time.Minute), "tn_kd02"), Page: firstPage(20)}, []string{}, 8},
		{"after every time", tenant.Filter{OwnerID: "prt_l", After: afterKey(t0.Add(time.Hour), ""), Page: firstPage(20)}, []string{}, 5},
		{"the zero key starts at the first", tenant.Filter{Status: tenant.StatusActive, After: &core.ListKey{}, Page: firstPage(2)}, []string{"tn_ka00", "tn_kb01"}, 8},
	} {
		got, total, err := s.ListTenants(t.Context(), tc.f)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tc.name, err)
			continue
		}
		if fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) || total != tc.total {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tc.name, ids(got), total, tc.want, tc.total)
		}
	}

	_, _, err := s.ListTenants(t.Context(), tenant.Filter{After: afterKey(t0, ""), Page: core.PageRequest{Page: 2, Limit: 2}})
	wantPageField(t, "ListTenants with After and page 2", err)
}
