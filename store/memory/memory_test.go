package memory_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/store/storetest"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

func newStore(t *testing.T) store.Store {
	s := memory.New()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: got error %v, want nil", err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, newStore)
}

func sample(n int) tenant.Tenant {
	created := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second)
	return tenant.Tenant{
		ID:        fmt.Sprintf("tn_mem%06d", n),
		Name:      fmt.Sprintf("Tenant %d", n),
		Subdomain: fmt.Sprintf("tenant-%d", n),
		Status:    tenant.Statuses[n%len(tenant.Statuses)],
		PlanID:    "plan_starter",
		Contact:   tenant.Contact{Name: "Owner", Email: "owner@example.com"},
		Settings: tenant.Settings{Industry: "retail", Extra: map[string]json.RawMessage{
			"n": json.RawMessage(`1`), "o": json.RawMessage(`{"a":[1,2]}`),
		}},
		CreatedAt: created,
		UpdatedAt: created,
	}
}

// TestNoAliasing checks that nothing a caller passes in or gets back shares
// memory with the store's state, byte slices of Extra values included.
func TestNoAliasing(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	in := sample(1)
	in.DeletedAt = new(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	if err := s.CreateTenant(ctx, in); err != nil {
		t.Fatalf("CreateTenant: got error %v, want nil", err)
	}
	want := sample(1)
	want.DeletedAt = new(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))

	scribble := func(x *tenant.Tenant) {
		x.Settings.Extra["n"][0] = '7'
		x.Settings.Extra["o"][2] = 'Z'
		x.Settings.Extra["new"] = json.RawMessage(`1`)
		*x.DeletedAt = time.Time{}
	}
	check := func(what string) {
		t.Helper()
		got, err := s.GetTenant(ctx, want.ID)
		if err != nil {
			t.Fatalf("%s: GetTenant: got error %v, want nil", what, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: stored tenant changed (-want +got):\n%s", what, diff)
		}
	}

	scribble(&in)
	check("after changing the created value")

	got, _ := s.GetTenant(ctx, want.ID)
	scribble(&got)
	check("after changing a GetTenant result")

	items, _, _ := s.ListTenants(ctx, tenant.Filter{IncludeDeleted: true, Page: core.PageRequest{Page: 1, Limit: 20}})
	scribble(&items[0])
	check("after changing a ListTenants result")

	var held tenant.Tenant
	out, err := s.UpdateTenant(ctx, want.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
		held = x // the input, kept past the call
		return x, nil
	})
	if err != nil {
		t.Fatalf("UpdateTenant: got error %v, want nil", err)
	}
	scribble(&out)
	check("after changing an UpdateTenant result")
	scribble(&held)
	check("after changing an updater's input later")
}

// TestRollbackInterleaved undoes a long interleaving of creates and updates
// that move subdomains between tenants and checks the store's full state,
// order and subdomain index, comes back exactly.
func TestRollbackInterleaved(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	for n := 0; n < 20; n += 2 {
		if err := s.CreateTenant(ctx, sample(n)); err != nil {
			t.Fatalf("CreateTenant: got error %v, want nil", err)
		}
	}
	all := tenant.Filter{IncludeDeleted: true, Page: core.PageRequest{Page: 1, Limit: 100}}
	before, _, _ := s.ListTenants(ctx, all)

	err := s.InTx(ctx, func(tx store.Store) error {
		for n := 1; n < 20; n += 2 {
			// Create an odd tenant between two even ones, then swap
			// subdomains around through it.
			if err := tx.CreateTenant(ctx, sample(n)); err != nil {
				return err
			}
			prev := sample(n - 1)
			if _, err := tx.UpdateTenant(ctx, prev.ID, func(x tenant.Tenant) (tenant.Tenant, error) {
				x.Subdomain = "tmp"
				x.DeletedAt = new(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
				return x, nil
			}); err != nil {
				return err
			}
			if _, err := tx.UpdateTenant(ctx, sample(n).ID, func(x tenant.Tenant) (tenant.Tenant, error) {
				x.Subdomain = prev.Subdomain
				return x, nil
			}); err != nil {
				return err
			}
		}
		return errors.New("roll back")
	})
	if err == nil {
		t.Fatal("InTx: got nil error, want the fn's error")
	}
	after, _, _ := s.ListTenants(ctx, all)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("state after rollback (-want +got):\n%s", diff)
	}
	// The subdomain index is back too: every even subdomain is taken,
	// every odd one and "tmp" are free.
	for n := range 20 {
		probe := sample(100 + n)
		probe.Subdomain = sample(n).Subdomain
		err := s.CreateTenant(ctx, probe)
		if n%2 == 0 && core.ErrorCode(err) != core.SubdomainTaken {
			t.Errorf("subdomain %s: got error %v, want code %q", probe.Subdomain, err, core.SubdomainTaken)
		}
		if n%2 == 1 && err != nil {
			t.Errorf("subdomain %s: got error %v, want nil", probe.Subdomain, err)
		}
	}
	tmp := sample(200)
	tmp.Subdomain = "tmp"
	if err := s.CreateTenant(ctx, tmp); err != nil {
		t.Errorf("subdomain tmp: got error %v, want nil", err)
	}
}

// TestTxConcurrentUse uses one transaction from several goroutines, as an
// errgroup inside InTx would; -race must stay quiet and every write land.
func TestTxConcurrentUse(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	if err := s.CreateTenant(ctx, sample(0)); err != nil {
		t.Fatalf("CreateTenant: got error %v, want nil", err)
	}
	err := s.InTx(ctx, func(tx store.Store) error {
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range 8 {
			wg.Go(func() {
				if err := tx.CreateTenant(ctx, sample(i+1)); err != nil {
					errs[i] = err
					return
				}
				if _, _, err := tx.ListTenants(ctx, tenant.Filter{Page: core.PageRequest{Page: 1, Limit: 5}}); err != nil {
					errs[i] = err
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
	if _, total, _ := s.ListTenants(ctx, tenant.Filter{Page: core.PageRequest{Page: 1, Limit: 1}}); total != 9 {
		t.Errorf("total: got %d, want 9", total)
	}
}

// TestTxClose checks that Close on a transaction is refused with a coded
// error and leaves the store open.
func TestTxClose(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	err := s.InTx(ctx, func(tx store.Store) error {
		wantErr := tx.Close()
		if code := core.ErrorCode(wantErr); code != core.Internal {
			t.Errorf("tx.Close: got error %v (code %q), want code %q", wantErr, code, core.Internal)
		}
		return tx.CreateTenant(ctx, sample(1))
	})
	if err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
	if _, err := s.GetTenant(ctx, sample(1).ID); err != nil {
		t.Errorf("GetTenant after tx.Close: got error %v, want nil", err)
	}
}

// TestClosedCode checks that a closed store answers core.Internal and that
// closing twice is harmless.
func TestClosedCode(t *testing.T) {
	s := memory.New()
	for i := range 2 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close %d: got error %v, want nil", i+1, err)
		}
	}
	_, err := s.GetTenant(t.Context(), "tn_x")
	if code := core.ErrorCode(err); code != core.Internal {
		t.Errorf("GetTenant on a closed store: got error %v (code %q), want code %q", err, code, core.Internal)
	}
}

// TestZeroPage checks that a filter whose page was not normalized gets the
// defaults rather than an empty page.
func TestZeroPage(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	for n := range 25 {
		if err := s.CreateTenant(ctx, sample(n)); err != nil {
			t.Fatalf("CreateTenant: got error %v, want nil", err)
		}
	}
	got, total, err := s.ListTenants(ctx, tenant.Filter{})
	if err != nil {
		t.Fatalf("ListTenants: got error %v, want nil", err)
	}
	if len(got) != core.DefaultLimit || total != 25 {
		t.Errorf("ListTenants with a zero page: got %d items, total %d, want %d, 25", len(got), total, core.DefaultLimit)
	}
}

// TestInProcess: the memory store's work is this process's, so the
// platform gates its bulk writes as CPU-heavy work.
func TestInProcess(t *testing.T) {
	var s store.Store = memory.New()
	local, ok := s.(store.InProcess)
	if !ok || !local.InProcess() {
		t.Errorf("memory.Store as store.InProcess: got implemented %t, want implemented and true", ok)
	}
}
