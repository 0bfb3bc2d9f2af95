package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// Goroutine counts of the atom concurrency tests.
const (
	raceInstallers   = 20 // installers racing for a tenant's slots
	raceInstallLimit = 5  // the installations the racing updaters allow
	racePublishers   = 10 // publishers each adding a version
)

// RunAtoms checks the atom.Store contract: the published catalog (a round
// trip of every field, publication order, duplicates, the catalog
// version), installations (create, read back, update, delete, the rules
// on what an updater returns, unknown tenants), the derived atom count of
// tenant reads, transactions, and contention: concurrent publishers each
// see the one before, concurrent installers never pass a limit their
// updater enforces, and two installs of one atom make one installation.
func RunAtoms(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"CatalogEmpty", testCatalogEmpty},
		{"PublishRoundTrip", testPublishRoundTrip},
		{"PublishDuplicate", testPublishDuplicate},
		{"PublishNothing", testPublishNothing},
		{"PublishUpdaterError", testPublishUpdaterError},
		{"PublishInTx", testPublishInTx},
		{"InstallationsRoundTrip", testInstallationsRoundTrip},
		{"InstallationsUpdateAndDelete", testInstallationsUpdateAndDelete},
		{"InstallationsReplaceSameAtom", testInstallationsReplaceSameAtom},
		{"InstallationsUnknownTenant", testInstallationsUnknownTenant},
		{"InstallationsUpdaterError", testInstallationsUpdaterError},
		{"InstallationsRules", testInstallationsRules},
		{"InstallationsInTx", testInstallationsInTx},
		{"AtomCount", testAtomCount},
		{"ConcurrentPublishers", testConcurrentPublishers},
		{"ConcurrentInstallLimit", testConcurrentInstallLimit},
		{"ConcurrentInstallSameAtom", testConcurrentInstallSameAtom},
	})
}

// catalogFixture returns atom versions using every field: a built-in atom,
// constraints with spaces, a paid atom, nil and empty lists, and a config
// schema whose text (non-ASCII, '<', '&', key order) must read back byte
// for byte.
func catalogFixture() []atom.Atom {
	return []atom.Atom{
		{ID: "core_auth", Name: "Authentication", Version: "1.0.0", Category: "core",
			Features: []string{}, Dependencies: []atom.Dependency{}, Permissions: []string{},
			Pricing: atom.Pricing{Type: atom.PricingIncluded}, Builtin: true},
		{ID: "atom_notification", Name: "Notification Atom", Version: "1.3.0", Category: "communication",
			Description:  "Bildirimler – e-posta, SMS\nand push",
			Features:     []string{"email", "sms"},
			Dependencies: []atom.Dependency{{AtomID: "core_auth"}},
			Pricing:      atom.Pricing{Type: atom.PricingIncluded, AtomSlots: 1},
			Permissions:  []string{"notification:*"}},
		{ID: "atom_crm", Name: "CRM Atom", Version: "1.5.0", Category: "sales",
			Dependencies: []atom.Dependency{{AtomID: "atom_notification", Constraint: ">=1.2.0, <2.0.0"}},
			Pricing:      atom.Pricing{Type: atom.PricingPaid, AtomSlots: 2, Price: &atom.Price{Amount: 4900, Currency: "USD"}},
			Permissions:  []string{"crm:view", "crm:edit"},
			ConfigSchema: json.RawMessage(`{"type":"object","properties":{"currency":{"type":"string","pattern":"^[A-Z]{3}$","description":"ISO 4217 <code> & Türk lirası"},"a":{"type":"boolean"}},"additionalProperties":false}`)},
		{ID: "atom_crm", Name: "CRM Atom", Version: "2.0.0-beta.1", Category: "sales",
			Dependencies: []atom.Dependency{{AtomID: "atom_notification", Constraint: "^1.3"}},
			Pricing:      atom.Pricing{Type: atom.PricingIncluded, AtomSlots: 1}},
	}
}

// publish publishes atoms, failing the test on an error, and returns the
// catalog version after it.
func publish(t *testing.T, s atom.Store, atoms ...atom.Atom) int64 {
	t.Helper()
	v, err := s.PublishAtoms(t.Context(), func([]atom.Atom) ([]atom.Atom, error) { return atoms, nil })
	if err != nil {
		t.Fatalf("PublishAtoms: got error %v, want nil", err)
	}
	return v
}

// wantCatalog checks the stored catalog and its version.
func wantCatalog(t *testing.T, s atom.Store, what string, want []atom.Atom, version int64) {
	t.Helper()
	got, err := s.ListAtoms(t.Context())
	if err != nil {
		t.Fatalf("%s: ListAtoms: got error %v, want nil", what, err)
	}
	if diff := cmp.Diff(want, got); diff != "" && (len(want) > 0 || len(got) > 0) {
		t.Errorf("%s: ListAtoms mismatch (-want +got):\n%s", what, diff)
	}
	v, err := s.CatalogVersion(t.Context())
	if err != nil {
		t.Fatalf("%s: CatalogVersion: got error %v, want nil", what, err)
	}
	if v != version {
		t.Errorf("%s: CatalogVersion: got %d, want %d", what, v, version)
	}
}

func testCatalogEmpty(t *testing.T, s store.Store) {
	wantCatalog(t, s, "empty store", nil, 0)
}

func testPublishRoundTrip(t *testing.T, s store.Store) {
	all := catalogFixture()
	var seen [][]atom.Atom
	v, err := s.PublishAtoms(t.Context(), func(published []atom.Atom) ([]atom.Atom, error) {
		seen = append(seen, published)
		return all[:2], nil
	})
	if err != nil || v != 1 {
		t.Fatalf("first PublishAtoms: got %d, %v, want 1, nil", v, err)
	}
	if len(seen) != 1 || len(seen[0]) != 0 {
		t.Errorf("first publish saw %v, want an empty catalog", seen)
	}
	wantCatalog(t, s, "after the first publication", all[:2], 1)

	seen = nil
	v, err = s.PublishAtoms(t.Context(), func(published []atom.Atom) ([]atom.Atom, error) {
		seen = append(seen, published)
		return all[2:], nil
	})
	if err != nil || v != 2 {
		t.Fatalf("second PublishAtoms: got %d, %v, want 2, nil", v, err)
	}
	if len(seen) != 1 {
		t.Fatalf("second publish: updater ran %d times, want 1", len(seen))
	}
	if diff := cmp.Diff(all[:2], seen[0]); diff != "" {
		t.Errorf("second publish saw a different catalog (-want +got):\n%s", diff)
	}
	wantCatalog(t, s, "after the second publication", all, 2)

	// What ListAtoms returns is a copy.
	got, err := s.ListAtoms(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got[2].Features = append(got[2].Features, "changed")
	got[2].ConfigSchema[0] = '['
	got[2].Pricing.Price.Amount = 1
	got[1].Dependencies[0].AtomID = "changed"
	wantCatalog(t, s, "after changing a returned copy", all, 2)
}

func testPublishDuplicate(t *testing.T, s store.Store) {
	all := catalogFixture()
	publish(t, s, all[:2]...)

	dupStored := slices.Clone(all[1:3]) // atom_notification 1.3.0 is stored
	dupStored[0].Name = "Another name"
	_, err := s.PublishAtoms(t.Context(), func([]atom.Atom) ([]atom.Atom, error) { return dupStored, nil })
	wantCode(t, "PublishAtoms with a published version", err, core.AtomDuplicate)

	dupBatch := []atom.Atom{all[2], all[3], all[2]}
	_, err = s.PublishAtoms(t.Context(), func([]atom.Atom) ([]atom.Atom, error) { return dupBatch, nil })
	wantCode(t, "PublishAtoms with a version twice", err, core.AtomDuplicate)

	wantCatalog(t, s, "after refused publications", all[:2], 1)
}

func testPublishNothing(t *testing.T, s store.Store) {
	all := catalogFixture()
	publish(t, s, all...)
	for _, ret := range [][]atom.Atom{nil, {}} {
		if v := publish(t, s, ret...); v != 1 {
			t.Errorf("PublishAtoms of nothing: got version %d, want 1", v)
		}
	}
	wantCatalog(t, s, "after publishing nothing", all, 1)
}

func testPublishUpdaterError(t *testing.T, s store.Store) {
	all := catalogFixture()
	_, err := s.PublishAtoms(t.Context(), func([]atom.Atom) ([]atom.Atom, error) { return all, errSentinel })
	if !errors.Is(err, errSentinel) {
		t.Errorf("PublishAtoms with a failing updater: got %v, want %v", err, errSentinel)
	}
	wantCatalog(t, s, "after a failing updater", nil, 0)
}

func testPublishInTx(t *testing.T, s store.Store) {
	all := catalogFixture()
	err := s.InTx(t.Context(), func(tx store.Store) error {
		publish(t, tx, all...)
		wantCatalog(t, tx, "inside the transaction", all, 1)
		return errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Fatalf("InTx: got %v, want %v", err, errSentinel)
	}
	wantCatalog(t, s, "after a rollback", nil, 0)

	if err := s.InTx(t.Context(), func(tx store.Store) error {
		publish(t, tx, all[:1]...)
		publish(t, tx, all[1:]...)
		return nil
	}); err != nil {
		t.Fatalf("InTx: got %v, want nil", err)
	}
	wantCatalog(t, s, "after a commit", all, 2)
}

// installation returns a valid installation numbered n of atomID for the
// tenant, installed and updated at(n).
func installation(tenantID, atomID string, n int) atom.Installation {
	return atom.Installation{
		TenantID:    tenantID,
		ID:          fmt.Sprintf("inst_st%s%s%d", strings.TrimPrefix(tenantID, "tn_"), strings.TrimPrefix(atomID, "atom_"), n),
		AtomID:      atomID,
		Version:     "1.0.0",
		Mode:        atom.ModeExplicit,
		Config:      json.RawMessage(fmt.Sprintf(`{"owner":%q,"n":%d,"nested":{"z":[1,"ş",null],"a":{}}}`, tenantID, n)),
		Status:      atom.InstallationActive,
		InstalledAt: at(n),
		UpdatedAt:   at(n),
	}
}

// setInstallations runs UpdateInstallations with an updater returning
// fn(cur), failing the test on an error.
func setInstallations(t *testing.T, s atom.Store, tenantID string, fn func(cur []atom.Installation) []atom.Installation) []atom.Installation {
	t.Helper()
	out, err := s.UpdateInstallations(t.Context(), tenantID, func(_ tenant.Tenant, cur []atom.Installation) ([]atom.Installation, error) {
		return fn(cur), nil
	})
	if err != nil {
		t.Fatalf("UpdateInstallations(%s): got error %v, want nil", tenantID, err)
	}
	return out
}

// installations returns the tenant's installations, failing the test on an
// error.
func installations(t *testing.T, s atom.Store, tenantID string) []atom.Installation {
	t.Helper()
	got, err := s.ListInstallations(t.Context(), tenantID)
	if err != nil {
		t.Fatalf("ListInstallations(%s): got error %v, want nil", tenantID, err)
	}
	return got
}

// wantInstallations checks the tenant's stored installations.
func wantInstallations(t *testing.T, s atom.Store, what, tenantID string, want []atom.Installation) {
	t.Helper()
	got := installations(t, s, tenantID)
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: installations of %s mismatch (-want +got):\n%s", what, tenantID, diff)
	}
}

func testInstallationsRoundTrip(t *testing.T, s store.Store) {
	a := fixture(1)
	create(t, s, a)
	crm, task, note := installation(a.ID, "atom_crm", 3), installation(a.ID, "atom_task", 2), installation(a.ID, "atom_notification", 1)
	note.Mode = atom.ModeDependency
	note.Config = json.RawMessage(`{}`)
	task.Version = "2.0.0-beta.1"

	var gotTenant tenant.Tenant
	var gotCur []atom.Installation
	calls := 0
	out, err := s.UpdateInstallations(t.Context(), a.ID, func(tn tenant.Tenant, cur []atom.Installation) ([]atom.Installation, error) {
		calls++
		gotTenant, gotCur = tn, cur
		return []atom.Installation{task, crm, note}, nil
	})
	if err != nil {
		t.Fatalf("UpdateInstallations: got error %v, want nil", err)
	}
	if calls != 1 {
		t.Errorf("updater calls: got %d, want 1", calls)
	}
	if diff := cmp.Diff(a, gotTenant); diff != "" {
		t.Errorf("the updater's tenant mismatch (-want +got):\n%s", diff)
	}
	if len(gotCur) != 0 {
		t.Errorf("the updater's installations: got %v, want none", gotCur)
	}
	want := []atom.Installation{crm, note, task} // by atom id
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("UpdateInstallations result mismatch (-want +got):\n%s", diff)
	}
	wantInstallations(t, s, "after creating", a.ID, want)

	// The next updater sees them, in order; what it and ListInstallations
	// get are copies.
	setInstallations(t, s, a.ID, func(cur []atom.Installation) []atom.Installation {
		if diff := cmp.Diff(want, cur); diff != "" {
			t.Errorf("the updater's installations mismatch (-want +got):\n%s", diff)
		}
		cur[0].Config[0] = '['
		return slices.Clone(want)
	})
	got := installations(t, s, a.ID)
	got[0].Config[1] = 'x'
	got[1].Version = "9.9.9"
	wantInstallations(t, s, "after changing returned copies", a.ID, want)
}

func testInstallationsUpdateAndDelete(t *testing.T, s store.Store) {
	a := fixture(1)
	create(t, s, a)
	one, two, three := installation(a.ID, "atom_one", 1), installation(a.ID, "atom_two", 2), installation(a.ID, "atom_three", 3)
	setInstallations(t, s, a.ID, func([]atom.Installation) []atom.Installation { return []atom.Installation{one, two, three} })

	up := two
	up.Version, up.Mode, up.Config, up.UpdatedAt = "1.1.0", atom.ModeDependency, json.RawMessage(`{"n":2.50,"k":"v"}`), at(20)
	four := installation(a.ID, "atom_four", 4)
	out := setInstallations(t, s, a.ID, func([]atom.Installation) []atom.Installation { return []atom.Installation{up, four, three} })
	want := []atom.Installation{four, three, up}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("UpdateInstallations result mismatch (-want +got):\n%s", diff)
	}
	wantInstallations(t, s, "after update, insert and delete", a.ID, want)

	setInstallations(t, s, a.ID, func([]atom.Installation) []atom.Installation { return nil })
	wantInstallations(t, s, "after deleting all", a.ID, nil)
	if n := len(installations(t, s, a.ID)); n != 0 {
		t.Errorf("installations after deleting all: got %d, want 0", n)
	}
}

func testInstallationsReplaceSameAtom(t *testing.T, s store.Store) {
	a := fixture(1)
	create(t, s, a)
	old := installation(a.ID, "atom_one", 1)
	setInstallations(t, s, a.ID, func([]atom.Installation) []atom.Installation { return []atom.Installation{old} })
	fresh := installation(a.ID, "atom_one", 2) // a new ID for the same atom
	setInstallations(t, s, a.ID, func([]atom.Installation) []atom.Installation { return []atom.Installation{fresh} })
	wantInstallations(t, s, "after replacing", a.ID, []atom.Installation{fresh})
}

func testInstallationsUnknownTenant(t *testing.T, s store.Store) {
	called := false
	_, err := s.UpdateInstallations(t.Context(), "tn_missing", func(tenant.Tenant, []atom.Installation) ([]atom.Installation, error) {
		called = true
		return []atom.Installation{installation("tn_missing", "atom_one", 1)}, nil
	})
	wantCode(t, "UpdateInstallations of an unknown tenant", err, core.NotFound)
	if called {
		t.Error("the updater ran for an unknown tenant, want it not called")
	}
	if got := installations(t, s, "tn_missing"); len(got) != 0 {
		t.Errorf("ListInstallations of an unknown tenant: got %v, want none", got)
	}
}

func testInstallationsUpdaterError(t *testing.T, s store.Store) {
	a := fixture(1)
	create(t, s, a)
	one := installation(a.ID, "atom_one", 1)
	setInstallations(t, s, a.ID, func([]atom.Installation) []atom.Installation { return []atom.Installation{one} })
	_, err := s.UpdateInstallations(t.Context(), a.ID, func(tenant.Tenant, []atom.Installation) ([]atom.Installation, error) {
		return []atom.Installation{installation(a.ID, "atom_two", 2)}, errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Errorf("UpdateInstallations with a failing updater: got %v, want %v", err, errSentinel)
	}
	wantInstallations(t, s, "after a failing updater", a.ID, []atom.Installation{one})
}

func testInstallationsRules(t *testing.T, s store.Store) {
	a, b := fixture(1), fixture(2)
	create(t, s, a, b)
	one, two := installation(a.ID, "atom_one", 1), installation(a.ID, "atom_two", 2)
	setInstallations(t, s, a.ID, func([]atom.Installation) []atom.Installation { return []atom.Installation{one, two} })
	mod := func(in atom.Installation, fn func(*atom.Installation)) atom.Installation {
		in.Config = slices.Clone(in.Config)
		fn(&in)
		return in
	}
	tests := []struct {
		name string
		ret  []atom.Installation
		code core.Code
	}{
		{"another tenant's ID", []atom.Installation{one, installation(b.ID, "atom_three", 3)}, core.Invalid},
		{"no ID", []atom.Installation{one, mod(two, func(x *atom.Installation) { x.ID = "" })}, core.Invalid},
		{"no atom id", []atom.Installation{one, mod(installation(a.ID, "atom_three", 3), func(x *atom.Installation) { x.AtomID = "" })}, core.Invalid},
		{"bad mode", []atom.Installation{one, mod(two, func(x *atom.Installation) { x.Mode = "auto" })}, core.Invalid},
		{"config not JSON", []atom.Installation{one, mod(two, func(x *atom.Installation) { x.Config = json.RawMessage(`{"a":`) })}, core.Invalid},
		{"empty config", []atom.Installation{one, mod(two, func(x *atom.Installation) { x.Config = nil })}, core.Invalid},
		{"changed atom", []atom.Installation{one, mod(two, func(x *atom.Installation) { x.AtomID = "atom_other" })}, core.Invalid},
		{"changed installation time", []atom.Installation{one, mod(two, func(x *atom.Installation) { x.InstalledAt = at(99) })}, core.Invalid},
		{"ID twice", []atom.Installation{one, two, mod(two, func(x *atom.Installation) { x.AtomID = "atom_three" })}, core.Conflict},
		{"atom twice", []atom.Installation{one, two, mod(installation(a.ID, "atom_two", 3), func(x *atom.Installation) {})}, core.Conflict},
	}
	for _, tt := range tests {
		_, err := s.UpdateInstallations(t.Context(), a.ID, func(tenant.Tenant, []atom.Installation) ([]atom.Installation, error) {
			return tt.ret, nil
		})
		wantCode(t, "UpdateInstallations returning "+tt.name, err, tt.code)
		wantInstallations(t, s, "after returning "+tt.name, a.ID, []atom.Installation{one, two})
	}
	wantInstallations(t, s, "the other tenant", b.ID, nil)
}

func testInstallationsInTx(t *testing.T, s store.Store) {
	a := fixture(1)
	create(t, s, a)
	one, two := installation(a.ID, "atom_one", 1), installation(a.ID, "atom_two", 2)
	err := s.InTx(t.Context(), func(tx store.Store) error {
		setInstallations(t, tx, a.ID, func([]atom.Installation) []atom.Installation { return []atom.Installation{one} })
		setInstallations(t, tx, a.ID, func(cur []atom.Installation) []atom.Installation { return append(cur, two) })
		wantInstallations(t, tx, "inside the transaction", a.ID, []atom.Installation{one, two})
		return errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Fatalf("InTx: got %v, want %v", err, errSentinel)
	}
	wantInstallations(t, s, "after a rollback", a.ID, nil)
	if got := get(t, s, a.ID).AtomCount; got != 0 {
		t.Errorf("AtomCount after a rollback: got %d, want 0", got)
	}

	if err := s.InTx(t.Context(), func(tx store.Store) error {
		setInstallations(t, tx, a.ID, func([]atom.Installation) []atom.Installation { return []atom.Installation{one, two} })
		return nil
	}); err != nil {
		t.Fatalf("InTx: got %v, want nil", err)
	}
	wantInstallations(t, s, "after a commit", a.ID, []atom.Installation{one, two})
}

// testAtomCount checks that every tenant read carries the number of the
// tenant's installations, and that it is never stored.
func testAtomCount(t *testing.T, s store.Store) {
	a, b, c := fixture(1), fixture(2), fixture(3)
	c.DeletedAt = timePtr(at(30))
	create(t, s, a, b, c)
	counts := map[string]int{a.ID: 3, b.ID: 1, c.ID: 2}
	for _, tn := range []tenant.Tenant{a, b, c} {
		setInstallations(t, s, tn.ID, func([]atom.Installation) []atom.Installation {
			var out []atom.Installation
			for i := range counts[tn.ID] {
				out = append(out, installation(tn.ID, fmt.Sprintf("atom_n%d", i), i))
			}
			return out
		})
	}
	check := func(what string) {
		t.Helper()
		for id, want := range counts {
			if got := get(t, s, id).AtomCount; got != want {
				t.Errorf("%s: GetTenant(%s).AtomCount: got %d, want %d", what, id, got, want)
			}
		}
		for _, f := range []tenant.Filter{{IncludeDeleted: true}, {Query: "tenant", IncludeDeleted: true}, {PlanID: "plan_starter", IncludeDeleted: true}} {
			got, _ := list(t, s, f)
			if len(got) != len(counts) {
				t.Errorf("%s: ListTenants(%+v): got %d tenants, want %d", what, f, len(got), len(counts))
			}
			for _, tn := range got {
				if tn.AtomCount != counts[tn.ID] {
					t.Errorf("%s: ListTenants(%+v): %s AtomCount: got %d, want %d", what, f, tn.ID, tn.AtomCount, counts[tn.ID])
				}
			}
		}
	}
	check("after installing")

	// UpdateTenant answers the count and never stores the one it is
	// given; UpdateInstallations' updater sees it.
	out, err := s.UpdateTenant(t.Context(), a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.AtomCount = 40
		x.Name += " Renamed"
		return x, nil
	})
	if err != nil || out.AtomCount != 3 {
		t.Errorf("UpdateTenant: got AtomCount %d, error %v, want 3, nil", out.AtomCount, err)
	}
	if _, err := s.UpdateInstallations(t.Context(), b.ID, func(x tenant.Tenant, cur []atom.Installation) ([]atom.Installation, error) {
		if x.AtomCount != len(cur) || x.AtomCount != 1 {
			t.Errorf("UpdateInstallations' updater: got AtomCount %d with %d installations, want 1, 1", x.AtomCount, len(cur))
		}
		return cur[:0], nil
	}); err != nil {
		t.Fatal(err)
	}
	counts[b.ID] = 0
	check("after uninstalling")
}

func testConcurrentPublishers(t *testing.T, s store.Store) {
	errs := make([]error, racePublishers)
	together(racePublishers, func(i int) {
		_, errs[i] = s.PublishAtoms(t.Context(), func(published []atom.Atom) ([]atom.Atom, error) {
			a := catalogFixture()[1]
			a.Version = fmt.Sprintf("1.0.%d", len(published)) // the next free version
			a.Description = fmt.Sprintf("publisher %d", i)
			return []atom.Atom{a}, nil
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("publisher %d: got error %v, want nil", i, err)
		}
	}
	got, err := s.ListAtoms(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, a := range got {
		versions = append(versions, a.Version)
	}
	var want []string
	for n := range racePublishers {
		want = append(want, fmt.Sprintf("1.0.%d", n))
	}
	if diff := cmp.Diff(want, versions); diff != "" {
		t.Errorf("published versions, in order (-want +got):\n%s", diff)
	}
	if v, err := s.CatalogVersion(t.Context()); err != nil || v != racePublishers {
		t.Errorf("CatalogVersion: got %d, %v, want %d, nil", v, err, racePublishers)
	}
}

var errLimit = errors.New("storetest: the limit is reached")

func testConcurrentInstallLimit(t *testing.T, s store.Store) {
	a := fixture(1)
	create(t, s, a)
	errs := make([]error, raceInstallers)
	together(raceInstallers, func(i int) {
		_, errs[i] = s.UpdateInstallations(t.Context(), a.ID, func(_ tenant.Tenant, cur []atom.Installation) ([]atom.Installation, error) {
			if len(cur) >= raceInstallLimit {
				return nil, errLimit
			}
			return append(cur, installation(a.ID, fmt.Sprintf("atom_race%02d", i), i)), nil
		})
	})
	ok, limited := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, errLimit):
			limited++
		default:
			t.Errorf("installer %d: got error %v, want nil or %v", i, err, errLimit)
		}
	}
	if ok != raceInstallLimit || limited != raceInstallers-raceInstallLimit {
		t.Errorf("installers: got %d succeeded and %d limited, want %d and %d", ok, limited, raceInstallLimit, raceInstallers-raceInstallLimit)
	}
	if n := len(installations(t, s, a.ID)); n != raceInstallLimit {
		t.Errorf("stored installations: got %d, want %d", n, raceInstallLimit)
	}
	if n := get(t, s, a.ID).AtomCount; n != raceInstallLimit {
		t.Errorf("AtomCount: got %d, want %d", n, raceInstallLimit)
	}
}

func testConcurrentInstallSameAtom(t *testing.T, s store.Store) {
	a := fixture(1)
	create(t, s, a)
	const racers = 2
	var added atomic.Int32
	errs := make([]error, racers)
	together(racers, func(i int) {
		_, errs[i] = s.UpdateInstallations(t.Context(), a.ID, func(_ tenant.Tenant, cur []atom.Installation) ([]atom.Installation, error) {
			if slices.ContainsFunc(cur, func(x atom.Installation) bool { return x.AtomID == "atom_same" }) {
				return cur, nil // installed already: nothing to do
			}
			added.Add(1)
			return append(cur, installation(a.ID, "atom_same", i)), nil
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("installer %d: got error %v, want nil", i, err)
		}
	}
	got := installations(t, s, a.ID)
	if len(got) != 1 || got[0].AtomID != "atom_same" {
		t.Errorf("stored installations: got %v, want one of atom_same", got)
	}
	// An updater that ran and was rolled back for a retry may have added
	// it too; what counts is that only one was stored.
	if added.Load() < 1 {
		t.Errorf("updaters adding the atom: got %d, want at least 1", added.Load())
	}
}

// atomIsolationKinds are the atom records a tenant owns: installations.
func atomIsolationKinds() []isolationKind {
	return []isolationKind{{
		name: "installations",
		seed: func(t *testing.T, s store.Store, tn tenant.Tenant) {
			setInstallations(t, s, tn.ID, func([]atom.Installation) []atom.Installation {
				dep := installation(tn.ID, "atom_iso_b", 2)
				dep.Mode = atom.ModeDependency
				return []atom.Installation{installation(tn.ID, "atom_iso_a", 1), dep}
			})
		},
		snapshot: func(t *testing.T, s store.Store, id string) any { return installations(t, s, id) },
	}}
}

// atomIsolationOps are the operations on a tenant's installations.
func atomIsolationOps() []isolationOp {
	set := func(fn func(actor tenant.Tenant, cur []atom.Installation) []atom.Installation) func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
		return func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			t.Helper()
			setInstallations(t, s, actor.ID, func(cur []atom.Installation) []atom.Installation { return fn(actor, cur) })
		}
	}
	return []isolationOp{
		{name: "install an atom", changes: true, act: set(func(actor tenant.Tenant, cur []atom.Installation) []atom.Installation {
			return append(cur, installation(actor.ID, "atom_iso_c", 3))
		})},
		{name: "upgrade and reconfigure", changes: true, act: set(func(_ tenant.Tenant, cur []atom.Installation) []atom.Installation {
			cur[0].Version, cur[0].Config, cur[0].UpdatedAt = "2.0.0", json.RawMessage(`{"upgraded":true}`), at(600)
			return cur
		})},
		{name: "uninstall an atom", changes: true, act: set(func(_ tenant.Tenant, cur []atom.Installation) []atom.Installation {
			return cur[:1]
		})},
		{name: "uninstall every atom", changes: true, act: set(func(tenant.Tenant, []atom.Installation) []atom.Installation { return nil })},
		{name: "install into the other", act: func(t *testing.T, s store.Store, actor, observer tenant.Tenant) {
			_, err := s.UpdateInstallations(t.Context(), actor.ID, func(_ tenant.Tenant, cur []atom.Installation) ([]atom.Installation, error) {
				return append(cur, installation(observer.ID, "atom_iso_c", 3)), nil
			})
			wantCode(t, fmt.Sprintf("UpdateInstallations(%s) returning one of %s", actor.ID, observer.ID), err, core.Invalid)
		}},
		{name: "failing installations updater", act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			_, err := s.UpdateInstallations(t.Context(), actor.ID, func(tenant.Tenant, []atom.Installation) ([]atom.Installation, error) {
				return nil, errSentinel
			})
			if !errors.Is(err, errSentinel) {
				t.Fatalf("UpdateInstallations with a failing updater: got %v, want %v", err, errSentinel)
			}
		}},
		{name: "rolled-back installations", act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			err := s.InTx(t.Context(), func(tx store.Store) error {
				setInstallations(t, tx, actor.ID, func([]atom.Installation) []atom.Installation { return nil })
				return errSentinel
			})
			if !errors.Is(err, errSentinel) {
				t.Fatalf("InTx with a failing fn: got %v, want %v", err, errSentinel)
			}
		}},
	}
}
