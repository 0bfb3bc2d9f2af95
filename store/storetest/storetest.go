package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// Run runs every suite of the package: conformance, isolation,
// transactions and concurrency, each as a subtest of t. newStore must
// return a fresh, empty store and register its cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Conformance", func(t *testing.T) { RunConformance(t, newStore) })
	t.Run("Isolation", func(t *testing.T) { RunIsolation(t, newStore) })
	t.Run("Transactions", func(t *testing.T) { RunTransactions(t, newStore) })
	t.Run("Concurrency", func(t *testing.T) { RunConcurrency(t, newStore) })
	t.Run("Identity", func(t *testing.T) { RunIdentity(t, newStore) })
	t.Run("Atoms", func(t *testing.T) { RunAtoms(t, newStore) })
	t.Run("Resellers", func(t *testing.T) { RunResellers(t, newStore) })
	t.Run("Audit", func(t *testing.T) { RunAudit(t, newStore) })
	t.Run("Roles", func(t *testing.T) { RunRoles(t, newStore) })
	t.Run("OTP", func(t *testing.T) { RunOTP(t, newStore) })
	t.Run("Settings", func(t *testing.T) { RunSettings(t, newStore) })
	t.Run("Federated", func(t *testing.T) { RunFederated(t, newStore) })
	t.Run("Billing", func(t *testing.T) { RunBilling(t, newStore) })
	t.Run("Commission", func(t *testing.T) { RunCommission(t, newStore) })
	t.Run("RateLimit", func(t *testing.T) { RunRateLimit(t, newStore) })
}

// RunConformance checks the contract of every store method outside
// transactions: tenants round-trip exactly, uniqueness of IDs and of the
// subdomains of tenants not deleted, soft delete, updates, list filters,
// order and pagination, copies, a closed store and a done context.
func RunConformance(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"TenantRoundTrip", testTenantRoundTrip},
		{"TenantCountsNotStored", testTenantCountsNotStored},
		{"TenantDuplicateID", testTenantDuplicateID},
		{"TenantDuplicateSubdomain", testTenantDuplicateSubdomain},
		{"TenantSoftDeleteFreesSubdomain", testTenantSoftDeleteFreesSubdomain},
		{"TenantGetNotFound", testTenantGetNotFound},
		{"TenantUpdate", testTenantUpdate},
		{"TenantUpdaterError", testTenantUpdaterError},
		{"TenantUpdateNotFound", testTenantUpdateNotFound},
		{"TenantUpdateSubdomainTaken", testTenantUpdateSubdomainTaken},
		{"TenantUpdateCannotChangeID", testTenantUpdateCannotChangeID},
		{"TenantListFilters", testTenantListFilters},
		{"TenantListQuery", testTenantListQuery},
		{"TenantListOrder", testTenantListOrder},
		{"TenantListPagination", testTenantListPagination},
		{"TenantListAfter", testTenantListAfter},
		{"TenantListEmpty", testTenantListEmpty},
		{"ReturnedValuesAreCopies", testReturnedValuesAreCopies},
		{"ContextDone", testContextDone},
		{"Closed", testClosed},
		{"Ping", testPing},
	})
}

// subtest is one named test on a fresh store.
type subtest struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// runTests runs each test as a subtest of t on its own fresh store.
func runTests(t *testing.T, newStore func(t *testing.T) store.Store, tests []subtest) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tc.run(t, s)
		})
	}
}

// errSentinel is returned by the suite's updaters and transaction functions
// when they fail on purpose.
var errSentinel = errors.New("storetest: failing on purpose")

// updateRefusal is an updater an Update* method must refuse: with code
// "", fn fails with errSentinel, which must come back as it is; otherwise
// the store must answer code (a field fn changed may not change).
type updateRefusal[T any] struct {
	name string
	fn   func(T) (T, error)
	code core.Code
}

// wantUpdatesRefused runs each refusal through update, checks its error,
// and calls unchanged, which checks that the stored record is as before.
func wantUpdatesRefused[T any](t *testing.T, update func(fn func(T) (T, error)) error, unchanged func(), cases []updateRefusal[T]) {
	t.Helper()
	for _, tc := range cases {
		err := update(tc.fn)
		if tc.code == "" {
			if err != errSentinel {
				t.Errorf("%s: got error %v, want the sentinel", tc.name, err)
			}
		} else {
			wantCode(t, tc.name, err, tc.code)
		}
		unchanged()
	}
}

// idsOf returns the IDs of xs, in order, as id reads them.
func idsOf[T any](xs []T, id func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

// at returns the suite's fixed time plus n minutes: UTC, with microseconds
// and no monotonic reading, so that it survives every store unchanged.
func at(n int) time.Time {
	return time.Date(2024, time.March, 1, 9, 30, 0, 123456000, time.UTC).Add(time.Duration(n) * time.Minute)
}

// timePtr returns a pointer to a copy of v.
func timePtr(v time.Time) *time.Time { return &v }

// fixture returns a complete, valid tenant numbered n: ID tn_st<n>, name
// "Tenant <n>", subdomain tenant-<n>, created and updated at(n).
func fixture(n int) tenant.Tenant {
	return tenant.Tenant{
		ID:        fmt.Sprintf("tn_st%04d", n),
		Name:      fmt.Sprintf("Tenant %04d", n),
		Subdomain: fmt.Sprintf("tenant-%04d", n),
		Status:    tenant.StatusTrial,
		PlanID:    "plan_starter",
		Contact:   tenant.Contact{Name: "Ayşe Demir", Email: fmt.Sprintf("owner%d@example.com", n), Phone: "+905321234567"},
		Settings:  tenant.Settings{Industry: "retail", CompanySize: "11-50"},
		CreatedAt: at(n),
		UpdatedAt: at(n),
	}
}

// create stores every tenant, failing the test at the first error.
func create(t *testing.T, s tenant.Store, ts ...tenant.Tenant) {
	t.Helper()
	for _, tn := range ts {
		if err := s.CreateTenant(t.Context(), tn); err != nil {
			t.Fatalf("CreateTenant(%s): got error %v, want nil", tn.ID, err)
		}
	}
}

// get returns the stored tenant, failing the test on an error.
func get(t *testing.T, s tenant.Store, id string) tenant.Tenant {
	t.Helper()
	got, err := s.GetTenant(t.Context(), id)
	if err != nil {
		t.Fatalf("GetTenant(%s): got error %v, want nil", id, err)
	}
	return got
}

// wantStored checks that GetTenant returns want.
func wantStored(t *testing.T, s tenant.Store, want tenant.Tenant) {
	t.Helper()
	got, err := s.GetTenant(t.Context(), want.ID)
	if err != nil {
		t.Errorf("GetTenant(%s): got error %v, want nil", want.ID, err)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetTenant(%s) mismatch (-want +got):\n%s", want.ID, diff)
	}
}

// wantAbsent checks that GetTenant answers core.NotFound for id.
func wantAbsent(t *testing.T, s tenant.Store, id string) {
	t.Helper()
	_, err := s.GetTenant(t.Context(), id)
	if code := core.ErrorCode(err); code != core.NotFound {
		t.Errorf("GetTenant(%s): got error %v (code %q), want code %q", id, err, code, core.NotFound)
	}
}

// wantCode checks that err carries code.
func wantCode(t *testing.T, what string, err error, code core.Code) {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Errorf("%s: got error %v (code %q), want code %q", what, err, got, code)
	}
}

// list calls ListTenants, failing the test on an error.
func list(t *testing.T, s tenant.Store, f tenant.Filter) ([]tenant.Tenant, int) {
	t.Helper()
	if f.Page == (core.PageRequest{}) {
		f.Page = core.PageRequest{Page: 1, Limit: core.DefaultLimit}
	}
	got, total, err := s.ListTenants(t.Context(), f)
	if err != nil {
		t.Fatalf("ListTenants(%+v): got error %v, want nil", f, err)
	}
	return got, total
}

// ids returns the IDs of ts, in order; never nil, so that an empty page
// compares equal however a store spells it.
func ids(ts []tenant.Tenant) []string {
	out := make([]string, 0, len(ts))
	for _, tn := range ts {
		out = append(out, tn.ID)
	}
	return out
}

// dump returns every stored tenant, deleted or not, in list order, reading
// page after page.
func dump(t *testing.T, s tenant.Store) []tenant.Tenant {
	t.Helper()
	var all []tenant.Tenant
	for p := 1; ; p++ {
		got, total := list(t, s, tenant.Filter{IncludeDeleted: true, Page: core.PageRequest{Page: p, Limit: core.MaxLimit}})
		all = append(all, got...)
		if len(got) == 0 || len(all) >= total {
			return all
		}
	}
}

// wantState checks that the store holds exactly want (as returned by
// dump), and that list totals agree with it (see wantTotals).
func wantState(t *testing.T, s tenant.Store, what string, want []tenant.Tenant) {
	t.Helper()
	if diff := cmp.Diff(want, dump(t, s)); diff != "" {
		t.Errorf("%s: stored tenants changed (-want +got):\n%s", what, diff)
	}
	wantTotals(t, s, what, want)
}

// wantTotals checks the total of ListTenants for every status and plan
// (and every pair), every owner, with and without deleted tenants, against
// the tenants in all. A store that keeps counts rather than counting rows
// must keep them exact through updates and rollbacks.
func wantTotals(t *testing.T, s tenant.Store, what string, all []tenant.Tenant) {
	t.Helper()
	plans := map[string]bool{"": true}
	owners := map[string]bool{}
	for _, tn := range all {
		plans[tn.PlanID] = true
		owners[tn.OwnerID] = true
	}
	delete(owners, "")
	var filters []tenant.Filter
	for _, status := range append([]tenant.Status{""}, tenant.Statuses...) {
		for plan := range plans {
			filters = append(filters, tenant.Filter{Status: status, PlanID: plan})
		}
	}
	for owner := range owners {
		filters = append(filters, tenant.Filter{OwnerID: owner})
	}
	for _, f := range filters {
		for _, del := range []bool{false, true} {
			f.IncludeDeleted = del
			want := 0
			for _, tn := range all {
				if (del || !tn.Deleted()) && (f.Status == "" || tn.Status == f.Status) &&
					(f.PlanID == "" || tn.PlanID == f.PlanID) && (f.OwnerID == "" || tn.OwnerID == f.OwnerID) {
					want++
				}
			}
			f.Page = core.PageRequest{Page: 1, Limit: 1}
			if _, got := list(t, s, f); got != want {
				t.Errorf("%s: ListTenants(%+v) total: got %d, want %d", what, f, got, want)
			}
		}
	}
}

// wantSubdomainTaken checks that no new tenant can take sub now, by trying
// to create one; the attempt must fail with core.SubdomainTaken and leave
// nothing behind.
func wantSubdomainTaken(t *testing.T, s tenant.Store, sub string) {
	t.Helper()
	probe := fixture(9000)
	probe.ID = "tn_stprobe"
	probe.Subdomain = sub
	err := s.CreateTenant(t.Context(), probe)
	wantCode(t, fmt.Sprintf("CreateTenant with subdomain %q", sub), err, core.SubdomainTaken)
	if err == nil {
		t.FailNow() // the probe is stored now; later checks would mislead
	}
}

// wantSubdomainFree checks that a new tenant can take sub, by creating one
// with the given ID.
func wantSubdomainFree(t *testing.T, s tenant.Store, id, sub string) {
	t.Helper()
	probe := fixture(9001)
	probe.ID = id
	probe.Subdomain = sub
	if err := s.CreateTenant(t.Context(), probe); err != nil {
		t.Errorf("CreateTenant with subdomain %q: got error %v, want nil (the subdomain should be free)", sub, err)
	}
}

// canceled returns a context that is already done.
func canceled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}
