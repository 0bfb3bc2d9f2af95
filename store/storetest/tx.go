package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// RunTransactions checks InTx: a commit makes every write visible; an
// error, a panic or a done context rolls every write back; a nested InTx
// joins the outer transaction; reads inside see the transaction's own
// writes; a finished transaction refuses further use.
func RunTransactions(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"Commit", testTxCommit},
		{"RollbackOnError", testTxRollbackOnError},
		{"RollbackOnPanic", testTxRollbackOnPanic},
		{"NestedJoins", testTxNestedJoins},
		{"ReadYourWrites", testTxReadYourWrites},
		{"UsableAfterError", testTxUsableAfterError},
		{"ContextCancelledInside", testTxContextCancelledInside},
		{"RollbackFreesSubdomain", testTxRollbackFreesSubdomain},
		{"UseAfterEnd", testTxUseAfterEnd},
	})
}

func testTxCommit(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := fixture(1)
	create(t, s, a)
	b, c := fixture(2), fixture(3)
	wantA := a
	wantA.Name = "Committed"
	wantA.DeletedAt = timePtr(at(10))

	if err := s.InTx(ctx, func(tx store.Store) error {
		if err := tx.CreateTenant(ctx, b); err != nil {
			return err
		}
		if _, err := tx.UpdateTenant(ctx, a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
			x.Name = "Committed"
			x.DeletedAt = timePtr(at(10))
			return x, nil
		}); err != nil {
			return err
		}
		return tx.CreateTenant(ctx, c)
	}); err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
	wantState(t, s, "after commit", []tenant.Tenant{wantA, b, c})
	// a's subdomain was freed by its deletion, and the change is durable.
	wantSubdomainFree(t, s, "tn_st0004", a.Subdomain)
}

// messyTx runs, inside tx, creates and updates interleaved so that undoing
// them in the wrong order would leave traces: it moves a's subdomain away
// and gives the old one to a new tenant, soft-deletes b and gives its
// subdomain to another, then changes the new tenants again.
func messyTx(t *testing.T, tx store.Store, a, b tenant.Tenant) error {
	ctx := t.Context()
	c := fixture(10)
	if err := tx.CreateTenant(ctx, c); err != nil {
		return err
	}
	if _, err := tx.UpdateTenant(ctx, a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.Subdomain = "moved-away"
		x.Name = "Moved"
		x.Settings.Extra = nil
		return x, nil
	}); err != nil {
		return err
	}
	d := fixture(11)
	d.Subdomain = a.Subdomain
	if err := tx.CreateTenant(ctx, d); err != nil {
		return err
	}
	if _, err := tx.UpdateTenant(ctx, b.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		x.DeletedAt = timePtr(at(20))
		x.Status = tenant.StatusCancelled
		return x, nil
	}); err != nil {
		return err
	}
	e := fixture(0) // sorts first
	e.Subdomain = b.Subdomain
	if err := tx.CreateTenant(ctx, e); err != nil {
		return err
	}
	for _, id := range []string{c.ID, d.ID, a.ID, e.ID} {
		if _, err := tx.UpdateTenant(ctx, id, func(x tenant.Tenant) (tenant.Tenant, error) {
			x.Name += " again"
			x.Subdomain += "-2"
			return x, nil
		}); err != nil {
			return err
		}
	}
	// The writes are all there inside the transaction.
	got, total, err := tx.ListTenants(ctx, tenant.Filter{IncludeDeleted: true, Page: core.PageRequest{Page: 1, Limit: 20}})
	if err != nil {
		return err
	}
	if want := []string{e.ID, a.ID, b.ID, c.ID, d.ID}; !cmp.Equal(want, ids(got)) || total != len(want) {
		t.Errorf("inside the transaction: got IDs %v (total %d), want %v", ids(got), total, want)
	}
	return nil
}

// txPair returns two stored tenants for the rollback tests.
func txPair(t *testing.T, s store.Store) (a, b tenant.Tenant) {
	a, b = fixture(1), fixture(2)
	a.Settings.Extra = richExtra()
	create(t, s, a, b)
	return a, b
}

func testTxRollbackOnError(t *testing.T, s store.Store) {
	a, b := txPair(t, s)
	before := dump(t, s)

	wrapped := &core.Error{Code: core.LimitExceeded, Message: "too many", Err: errSentinel}
	err := s.InTx(t.Context(), func(tx store.Store) error {
		if err := messyTx(t, tx, a, b); err != nil {
			t.Errorf("messyTx: got error %v, want nil", err)
		}
		return wrapped
	})
	if err != wrapped {
		t.Errorf("InTx: got error %v, want %v returned unchanged", err, wrapped)
	}
	if !errors.Is(err, errSentinel) {
		t.Errorf("InTx: got error %v, want one matching %v", err, errSentinel)
	}
	wantCode(t, "InTx", err, core.LimitExceeded)
	wantState(t, s, "after rollback", before)
	wantRolledBackSubdomains(t, s, a, b)
}

// wantRolledBackSubdomains checks that after messyTx was rolled back a and
// b hold their subdomains again and the ones messyTx took are free.
func wantRolledBackSubdomains(t *testing.T, s store.Store, a, b tenant.Tenant) {
	t.Helper()
	wantSubdomainTaken(t, s, a.Subdomain)
	wantSubdomainTaken(t, s, b.Subdomain)
	for i, sub := range []string{"moved-away", "moved-away-2", fixture(10).Subdomain, fixture(10).Subdomain + "-2", a.Subdomain + "-2", b.Subdomain + "-2"} {
		wantSubdomainFree(t, s, fixture(20+i).ID, sub)
	}
	for _, id := range []string{fixture(0).ID, fixture(10).ID, fixture(11).ID} {
		wantAbsent(t, s, id)
	}
	// Name queries see the names as they were.
	for _, q := range []struct {
		query string
		want  []string
	}{{"moved", []string{}}, {"again", []string{}}, {a.Name, []string{a.ID}}} {
		got, total := list(t, s, tenant.Filter{Query: q.query, IncludeDeleted: true})
		if diff := cmp.Diff(q.want, ids(got)); diff != "" || total != len(q.want) {
			t.Errorf("query %q after rollback: got total %d, want %d; IDs mismatch (-want +got):\n%s", q.query, total, len(q.want), diff)
		}
	}
}

func testTxRollbackOnPanic(t *testing.T, s store.Store) {
	a, b := txPair(t, s)
	before := dump(t, s)

	type boom struct{ n int }
	var err error
	recovered := func() (r any) {
		defer func() { r = recover() }()
		err = s.InTx(t.Context(), func(tx store.Store) error {
			if err := messyTx(t, tx, a, b); err != nil {
				t.Errorf("messyTx: got error %v, want nil", err)
			}
			panic(boom{42})
		})
		return nil
	}()
	if recovered != (boom{42}) {
		t.Errorf("recovered: got %v, want %v (InTx must re-panic with the same value)", recovered, boom{42})
	}
	if err != nil {
		t.Errorf("InTx returned error %v instead of panicking", err)
	}
	wantState(t, s, "after a panic", before)
	wantRolledBackSubdomains(t, s, a, b)

	// The store is usable after the panic.
	c := fixture(3)
	create(t, s, c)
	wantStored(t, s, c)
}

func testTxNestedJoins(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := txPair(t, s)
	before := dump(t, s)
	innerErr := errors.New("storetest: inner failure")

	tests := []struct {
		name    string
		inner   error // returned by the inner fn after its writes
		outer   func(innerResult error) error
		wantErr error
		commit  bool
	}{
		{"inner ok, outer fails", nil, func(error) error { return errSentinel }, errSentinel, false},
		{"inner fails, error passed up", innerErr, func(r error) error { return r }, innerErr, false},
		{"inner fails, outer wraps it", innerErr, func(r error) error { return core.Wrap(r, "outer") }, innerErr, false},
		{"both succeed", nil, func(r error) error { return r }, nil, true},
	}
	for _, tc := range tests {
		c := fixture(3)
		d := fixture(4)
		wantA := a
		wantA.Name = "Inner"
		err := s.InTx(ctx, func(tx store.Store) error {
			if err := tx.CreateTenant(ctx, c); err != nil {
				t.Fatalf("%s: outer CreateTenant: got error %v, want nil", tc.name, err)
			}
			r := tx.InTx(ctx, func(tx2 store.Store) error {
				// The inner transaction sees the outer's write.
				if _, err := tx2.GetTenant(ctx, c.ID); err != nil {
					t.Errorf("%s: inner GetTenant of the outer's write: got error %v, want nil", tc.name, err)
				}
				if err := tx2.CreateTenant(ctx, d); err != nil {
					return err
				}
				if _, err := tx2.UpdateTenant(ctx, a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
					x.Name = "Inner"
					return x, nil
				}); err != nil {
					return err
				}
				return tc.inner
			})
			if !errors.Is(r, tc.inner) || (tc.inner == nil && r != nil) {
				t.Errorf("%s: inner InTx: got error %v, want %v", tc.name, r, tc.inner)
			}
			if tc.inner == nil {
				// The outer transaction sees the inner's writes.
				wantStored(t, tx, d)
				wantStored(t, tx, wantA)
			}
			return tc.outer(r)
		})
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
			t.Errorf("%s: InTx: got error %v, want %v", tc.name, err, tc.wantErr)
		}
		if tc.commit {
			wantState(t, s, tc.name, []tenant.Tenant{wantA, b, c, d})
		} else {
			wantState(t, s, tc.name, before)
		}
	}
}

func testTxReadYourWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := fixture(1)
	create(t, s, a)
	b := fixture(2)
	b.Name = "Fresh Bakery"
	b.Status = tenant.StatusActive
	b.Settings.Extra = richExtra()

	err := s.InTx(ctx, func(tx store.Store) error {
		if err := tx.CreateTenant(ctx, b); err != nil {
			return err
		}
		wantStored(t, tx, b)

		got, total := list(t, tx, tenant.Filter{Query: "bakery"})
		if diff := cmp.Diff([]tenant.Tenant{b}, got); diff != "" || total != 1 {
			t.Errorf("list by query inside the transaction: got total %d, want 1; items mismatch (-want +got):\n%s", total, diff)
		}

		wantA := a
		wantA.Status = tenant.StatusActive
		wantA.DeletedAt = timePtr(at(7))
		out, err := tx.UpdateTenant(ctx, a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
			x.Status = tenant.StatusActive
			x.DeletedAt = timePtr(at(7))
			return x, nil
		})
		if err != nil {
			return err
		}
		if diff := cmp.Diff(wantA, out); diff != "" {
			t.Errorf("UpdateTenant result inside the transaction mismatch (-want +got):\n%s", diff)
		}
		wantStored(t, tx, wantA)
		got, total = list(t, tx, tenant.Filter{Status: tenant.StatusActive})
		if diff := cmp.Diff([]string{b.ID}, ids(got)); diff != "" || total != 1 {
			t.Errorf("list active inside the transaction: got total %d, want 1; IDs mismatch (-want +got):\n%s", total, diff)
		}
		got, total = list(t, tx, tenant.Filter{Status: tenant.StatusActive, IncludeDeleted: true})
		if diff := cmp.Diff([]string{a.ID, b.ID}, ids(got)); diff != "" || total != 2 {
			t.Errorf("list active with deleted inside the transaction: got total %d, want 2; IDs mismatch (-want +got):\n%s", total, diff)
		}
		// The deletion freed a's subdomain inside the transaction.
		c := fixture(4)
		c.Subdomain = a.Subdomain
		if err := tx.CreateTenant(ctx, c); err != nil {
			t.Errorf("CreateTenant with a subdomain freed inside the transaction: got error %v, want nil", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
}

func testTxContextCancelledInside(t *testing.T, s store.Store) {
	a, b := txPair(t, s)
	before := dump(t, s)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	err := s.InTx(ctx, func(tx store.Store) error {
		if err := messyTx(t, tx, a, b); err != nil {
			t.Errorf("messyTx: got error %v, want nil", err)
		}
		cancel()
		// The transaction is over for this context: further calls fail.
		if _, err := tx.GetTenant(ctx, a.ID); err == nil {
			t.Error("GetTenant inside a transaction whose context is done: got nil error, want an error")
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("InTx cancelled inside fn: got error %v, want one matching context.Canceled", err)
	}
	wantState(t, s, "after a cancelled transaction", before)
	wantRolledBackSubdomains(t, s, a, b)
}

func testTxRollbackFreesSubdomain(t *testing.T, s store.Store) {
	ctx := t.Context()
	x := fixture(1)
	x.Subdomain = "xray"
	create(t, s, x)

	err := s.InTx(ctx, func(tx store.Store) error {
		a := fixture(2)
		a.Subdomain = "acme"
		if err := tx.CreateTenant(ctx, a); err != nil {
			return err
		}
		if _, err := tx.UpdateTenant(ctx, x.ID, func(in tenant.Tenant) (tenant.Tenant, error) {
			in.Subdomain = "yankee"
			return in, nil
		}); err != nil {
			return err
		}
		return errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Fatalf("InTx: got error %v, want %v", err, errSentinel)
	}
	wantAbsent(t, s, fixture(2).ID)
	wantStored(t, s, x)
	wantSubdomainFree(t, s, "tn_st0003", "acme")
	wantSubdomainFree(t, s, "tn_st0004", "yankee")
	wantSubdomainTaken(t, s, "xray")
}

func testTxUseAfterEnd(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := fixture(1)
	create(t, s, a)

	for _, fail := range []bool{false, true} {
		var leaked store.Store
		err := s.InTx(ctx, func(tx store.Store) error {
			leaked = tx
			if fail {
				return errSentinel
			}
			return nil
		})
		if fail != (err != nil) {
			t.Fatalf("InTx (fail %t): got error %v", fail, err)
		}
		before := dump(t, s)
		if err := leaked.CreateTenant(ctx, fixture(2)); err == nil {
			t.Errorf("CreateTenant on a finished transaction (fail %t): got nil error, want an error", fail)
		}
		if _, err := leaked.UpdateTenant(ctx, a.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
			x.Name = "Late"
			return x, nil
		}); err == nil {
			t.Errorf("UpdateTenant on a finished transaction (fail %t): got nil error, want an error", fail)
		}
		if _, err := leaked.GetTenant(ctx, a.ID); err == nil {
			t.Errorf("GetTenant on a finished transaction (fail %t): got nil error, want an error", fail)
		}
		wantState(t, s, "after use of a finished transaction", before)
	}
}

// testTxUsableAfterError checks that a store error inside a transaction
// (a uniqueness violation, an unknown ID, a failing updater) fails only that
// call: the transaction goes on, sees its earlier writes and commits them.
// A PostgreSQL backend needs a savepoint (or a check before the write) to
// give this, as a failed statement otherwise aborts the whole transaction.
func testTxUsableAfterError(t *testing.T, s store.Store) {
	ctx := t.Context()
	x := fixture(1)
	create(t, s, x)
	a, b := fixture(2), fixture(3)
	wantX := x
	wantX.Name = "Still usable"

	err := s.InTx(ctx, func(tx store.Store) error {
		if err := tx.CreateTenant(ctx, a); err != nil {
			return err
		}
		dup := fixture(4)
		dup.Subdomain = a.Subdomain
		wantCode(t, "CreateTenant with the transaction's own new subdomain", tx.CreateTenant(ctx, dup), core.SubdomainTaken)
		wantCode(t, "CreateTenant with the transaction's own new ID", tx.CreateTenant(ctx, a), core.Conflict)
		_, err := tx.UpdateTenant(ctx, x.ID, func(in tenant.Tenant) (tenant.Tenant, error) {
			in.Subdomain = a.Subdomain
			return in, nil
		})
		wantCode(t, "UpdateTenant onto the transaction's own new subdomain", err, core.SubdomainTaken)
		_, err = tx.UpdateTenant(ctx, "tn_st0404", func(in tenant.Tenant) (tenant.Tenant, error) { return in, nil })
		wantCode(t, "UpdateTenant of an unknown ID", err, core.NotFound)
		_, err = tx.UpdateTenant(ctx, x.ID, func(in tenant.Tenant) (tenant.Tenant, error) {
			in.Name = "Never"
			return in, errSentinel
		})
		if !errors.Is(err, errSentinel) {
			t.Errorf("UpdateTenant with a failing updater: got error %v, want %v", err, errSentinel)
		}
		_, err = tx.GetTenant(ctx, "tn_st0404")
		wantCode(t, "GetTenant of an unknown ID", err, core.NotFound)

		// After all that, the transaction still works.
		wantStored(t, tx, a)
		wantStored(t, tx, x)
		if err := tx.CreateTenant(ctx, b); err != nil {
			return err
		}
		_, err = tx.UpdateTenant(ctx, x.ID, func(in tenant.Tenant) (tenant.Tenant, error) {
			in.Name = "Still usable"
			return in, nil
		})
		return err
	})
	if err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
	wantState(t, s, "after the transaction", []tenant.Tenant{wantX, a, b})
}
