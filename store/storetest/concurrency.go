package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// Goroutine counts of the concurrency suite. They are kept modest so that a
// SQLite store with one writer runs the suite in a few seconds.
const (
	raceCreators = 50 // creators racing for one subdomain
	raceUpdaters = 20 // updaters incrementing one counter
	raceTxs      = 10 // transactions of two creates each
)

// RunConcurrency checks the store under contention: exactly one of many
// concurrent creates wins a subdomain, concurrent read-modify-write updates
// lose nothing, concurrent transactions all commit, and a concurrent reader
// never sees a transaction half done or rolled back.
func RunConcurrency(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"CreateSameSubdomain", testConcurrentCreateSameSubdomain},
		{"UpdateNoLostUpdate", testConcurrentUpdateNoLostUpdate},
		{"Transactions", testConcurrentTransactions},
		{"NoDirtyReads", testConcurrentNoDirtyReads},
	})
}

// together runs fn(0..n-1) on n goroutines released at once, and waits for
// them.
func together(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

func testConcurrentCreateSameSubdomain(t *testing.T, s store.Store) {
	errs := make([]error, raceCreators)
	together(raceCreators, func(i int) {
		tn := fixture(i)
		tn.Subdomain = "contested"
		errs[i] = s.CreateTenant(t.Context(), tn)
	})

	winner := -1
	for i, err := range errs {
		switch code := core.ErrorCode(err); {
		case err == nil:
			if winner >= 0 {
				t.Errorf("creates %d and %d both succeeded, want exactly one", winner, i)
			}
			winner = i
		case code != core.SubdomainTaken:
			t.Errorf("create %d: got error %v (code %q), want nil or code %q", i, err, code, core.SubdomainTaken)
		}
	}
	if winner < 0 {
		t.Fatal("no create succeeded, want exactly one")
	}
	got, total := list(t, s, tenant.Filter{IncludeDeleted: true})
	if total != 1 || len(got) != 1 || got[0].ID != fixture(winner).ID {
		t.Errorf("stored: got IDs %v (total %d), want [%s]", ids(got), total, fixture(winner).ID)
	}
}

func testConcurrentUpdateNoLostUpdate(t *testing.T, s store.Store) {
	a := fixture(1)
	a.Settings.Extra = map[string]json.RawMessage{"n": json.RawMessage(`0`)}
	create(t, s, a)

	errs := make([]error, raceUpdaters)
	together(raceUpdaters, func(i int) {
		_, errs[i] = s.UpdateTenant(t.Context(), a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
			n, err := strconv.Atoi(string(x.Settings.Extra["n"]))
			if err != nil {
				return x, fmt.Errorf("counter %q: %w", x.Settings.Extra["n"], err)
			}
			x.Settings.Extra["n"] = json.RawMessage(strconv.Itoa(n + 1))
			x.Name += "+"
			return x, nil
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("update %d: got error %v, want nil", i, err)
		}
	}
	got := get(t, s, a.ID)
	if n := extraInt(t, got, "n"); n != raceUpdaters {
		t.Errorf("counter: got %d, want %d", n, raceUpdaters)
	}
	if want := len(a.Name) + raceUpdaters; len(got.Name) != want {
		t.Errorf("name length: got %d (%q), want %d", len(got.Name), got.Name, want)
	}
}

func testConcurrentTransactions(t *testing.T, s store.Store) {
	errs := make([]error, raceTxs)
	together(raceTxs, func(i int) {
		errs[i] = s.InTx(t.Context(), func(tx store.Store) error {
			for j := range 2 {
				if err := tx.CreateTenant(t.Context(), fixture(2*i+j)); err != nil {
					return err
				}
			}
			return nil
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: got error %v, want nil", i, err)
		}
	}
	var want []string
	for n := range 2 * raceTxs {
		want = append(want, fixture(n).ID)
	}
	got, total := list(t, s, tenant.Filter{Page: core.PageRequest{Page: 1, Limit: core.MaxLimit}})
	if diff := cmp.Diff(want, ids(got)); diff != "" || total != len(want) {
		t.Errorf("stored: got total %d, want %d; IDs mismatch (-want +got):\n%s", total, len(want), diff)
	}
}

func testConcurrentNoDirtyReads(t *testing.T, s store.Store) {
	const writers, readers = 10, 4
	var wg sync.WaitGroup
	done := make(chan struct{})
	errDoomed := errors.New("storetest: doomed transaction")

	// Readers poll until the writers are done: the committed tenants come
	// in pairs, and the doomed ones never appear.
	reads := make([]int, readers)
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, kept, err := s.ListTenants(t.Context(), tenant.Filter{Query: "kept", Page: core.PageRequest{Page: 1, Limit: 1}})
				if err != nil {
					t.Errorf("reader %d: ListTenants: got error %v, want nil", r, err)
					return
				}
				if kept%2 != 0 {
					t.Errorf("reader %d: saw %d kept tenants, want an even number (a transaction seen half done)", r, kept)
				}
				_, doomed, err := s.ListTenants(t.Context(), tenant.Filter{Query: "doomed", IncludeDeleted: true, Page: core.PageRequest{Page: 1, Limit: 1}})
				if err != nil {
					t.Errorf("reader %d: ListTenants: got error %v, want nil", r, err)
					return
				}
				if doomed != 0 {
					t.Errorf("reader %d: saw %d doomed tenants, want 0", r, doomed)
				}
				reads[r]++
				select {
				case <-done:
					return
				default:
				}
			}
		}()
	}

	errs := make([]error, 2*writers)
	together(2*writers, func(i int) {
		errs[i] = s.InTx(t.Context(), func(tx store.Store) error {
			if i%2 == 1 {
				tn := fixture(i)
				tn.Name = fmt.Sprintf("Doomed %d", i)
				if err := tx.CreateTenant(t.Context(), tn); err != nil {
					return err
				}
				return errDoomed
			}
			for j := range 2 {
				tn := fixture(1000 + 2*i + j)
				tn.Name = fmt.Sprintf("Kept %d", 2*i+j)
				if err := tx.CreateTenant(t.Context(), tn); err != nil {
					return err
				}
			}
			return nil
		})
	})
	close(done)
	wg.Wait()

	for i, err := range errs {
		want := error(nil)
		if i%2 == 1 {
			want = errDoomed
		}
		if !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("transaction %d: got error %v, want %v", i, err, want)
		}
	}
	if _, kept := list(t, s, tenant.Filter{Query: "kept"}); kept != 2*writers {
		t.Errorf("kept tenants: got %d, want %d", kept, 2*writers)
	}
	if _, doomed := list(t, s, tenant.Filter{Query: "doomed", IncludeDeleted: true}); doomed != 0 {
		t.Errorf("doomed tenants: got %d, want 0", doomed)
	}
	for r, n := range reads {
		if n == 0 {
			t.Errorf("reader %d: got 0 reads, want at least 1", r)
		}
	}
}
