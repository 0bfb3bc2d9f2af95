package atomix_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/audit"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// walked is how many records each walk test seeds: three store pages of
// core.MaxLimit, the last short.
const walked = 250

// walkBase is the creation time of record 0 of a walk test; record i is
// created i seconds later, so the list order is i's.
var walkBase = time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)

// walkStore is a store that makes one change between the first page of a
// list it serves after arm and the next: what a write (a payment, a
// finalization, a new partner) does while a walk of that list runs. It
// also records the owner IDs of each tenant list and the tenant IDs of
// each audit list it serves.
type walkStore struct {
	store.Store
	mu       sync.Mutex
	list     string // "tenants", "resellers", "subscriptions" or "invoices"
	change   func(ctx context.Context, st store.Store) error
	served   map[string]int
	err      error
	ownerIDs [][]string
	auditIDs [][]string
}

func newWalkStore(t *testing.T) *walkStore {
	st := &walkStore{Store: memory.New(), served: map[string]int{}}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// arm makes change run after the next first page of list.
func (s *walkStore) arm(list string, change func(ctx context.Context, st store.Store) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list, s.change, s.served, s.err, s.ownerIDs, s.auditIDs = list, change, map[string]int{}, nil, nil, nil
}

func (s *walkStore) serve(ctx context.Context, list string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.served[list]++
	if list == s.list && s.served[list] == 1 && s.change != nil {
		s.err = s.change(ctx, s.Store)
		s.change = nil
	}
}

func (s *walkStore) pages(list string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served[list]
}

func (s *walkStore) ListTenants(ctx context.Context, f tenant.Filter) ([]tenant.Tenant, int, error) {
	items, total, err := s.Store.ListTenants(ctx, f)
	s.mu.Lock()
	s.ownerIDs = append(s.ownerIDs, slices.Clone(f.OwnerIDs))
	s.mu.Unlock()
	s.serve(ctx, "tenants")
	return items, total, err
}

func (s *walkStore) ListResellers(ctx context.Context, f reseller.Filter) ([]reseller.Reseller, int, error) {
	items, total, err := s.Store.ListResellers(ctx, f)
	s.serve(ctx, "resellers")
	return items, total, err
}

func (s *walkStore) ListSubscriptions(ctx context.Context, f billing.SubscriptionFilter) ([]billing.Subscription, int, error) {
	items, total, err := s.Store.ListSubscriptions(ctx, f)
	s.serve(ctx, "subscriptions")
	return items, total, err
}

func (s *walkStore) ListInvoices(ctx context.Context, f billing.InvoiceFilter) ([]billing.Invoice, int, error) {
	items, total, err := s.Store.ListInvoices(ctx, f)
	s.serve(ctx, "invoices")
	return items, total, err
}

func (s *walkStore) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, int, error) {
	s.mu.Lock()
	s.auditIDs = append(s.auditIDs, slices.Clone(f.TenantIDs))
	s.mu.Unlock()
	return s.Store.ListAudit(ctx, f)
}

// walkAt returns the creation time of record i.
func walkAt(i int) time.Time { return walkBase.Add(time.Duration(i) * time.Second) }

// distActor returns a context whose actor is a user of the distributor,
// holding perms.
func distActor(dist string, perms ...string) context.Context {
	return ctxAs(access.Actor{Kind: access.ActorUser, ID: "usr_walk", Scope: access.Scope{Kind: access.ScopeDistributor, ID: dist},
		Perms: access.MustCompile(perms...)})
}

func mustCreateReseller(t *testing.T, st store.Store, id, dist string, at time.Time, status reseller.Status) {
	t.Helper()
	kind := reseller.KindPartner
	if dist == "" {
		kind = reseller.KindDistributor
	}
	r := reseller.Reseller{ID: id, Kind: kind, DistributorID: dist, Name: "Walk " + id, Contact: tenant.Contact{Name: "Dana", Email: "dana@walk.example.com"},
		Status: status, CreatedAt: at, UpdatedAt: at}
	if err := st.CreateReseller(context.Background(), r); err != nil {
		t.Fatalf("CreateReseller(%s): %v", id, err)
	}
}

func mustCreateTenant(t *testing.T, st store.Store, id, owner string, at time.Time, status tenant.Status) {
	t.Helper()
	tn := tenant.Tenant{ID: id, Name: "Walk " + id, Subdomain: "walk-" + id[3:], Status: status, OwnerID: owner,
		Contact: tenant.Contact{Name: "Jane Roe", Email: "jane@walk.example.com"}, CreatedAt: at, UpdatedAt: at}
	if err := st.CreateTenant(context.Background(), tn); err != nil {
		t.Fatalf("CreateTenant(%s): %v", id, err)
	}
}

func setTenantStatus(id string, status tenant.Status) func(ctx context.Context, st store.Store) error {
	return func(ctx context.Context, st store.Store) error {
		_, err := st.UpdateTenant(ctx, id, func(tn tenant.Tenant) (tenant.Tenant, error) {
			tn.Status = status
			return tn, nil
		})
		return err
	}
}

func setResellerStatus(id string, status reseller.Status) func(ctx context.Context, st store.Store) error {
	return func(ctx context.Context, st store.Store) error {
		_, err := st.UpdateReseller(ctx, id, func(r reseller.Reseller) (reseller.Reseller, error) {
			r.Status = status
			return r, nil
		})
		return err
	}
}

func setSubStatus(tenantID string, status billing.SubscriptionStatus) func(ctx context.Context, st store.Store) error {
	return func(ctx context.Context, st store.Store) error {
		_, err := st.UpdateSubscription(ctx, tenantID, func(s billing.Subscription) (billing.Subscription, error) {
			s.Status = status
			return s, nil
		})
		return err
	}
}

// walkCase is one change made between the first two store pages of a
// walk, with the write that resets it afterwards.
type walkCase struct {
	name          string
	change, reset func(ctx context.Context, st store.Store) error
}

// checkScopedWalk reads pages 1 and 2 (of core.MaxLimit) of a scoped list
// with list, each while the change of tc lands between the walk's first
// two store pages (of listName), and checks that together they are want,
// in order, each once, and that each has wantTotal as its total.
func checkScopedWalk(t *testing.T, st *walkStore, listName string, tc walkCase, want []string, wantTotal int, list func(core.PageRequest) ([]string, int, error)) {
	t.Helper()
	var got []string
	for pg := 1; pg <= 2; pg++ {
		st.arm(listName, tc.change)
		ids, total, err := list(core.PageRequest{Page: pg, Limit: core.MaxLimit})
		if err != nil {
			t.Fatalf("page %d: got error %v, want nil", pg, err)
		}
		if st.err != nil {
			t.Fatalf("page %d: the change between pages: %v", pg, st.err)
		}
		if n := st.pages(listName); n < 3 {
			t.Errorf("page %d: store pages read: got %d, want at least 3", pg, n)
		}
		if total != wantTotal {
			t.Errorf("page %d: got total %d, want %d", pg, total, wantTotal)
		}
		got = append(got, ids...)
		if tc.reset != nil {
			if err := tc.reset(context.Background(), st.Store); err != nil {
				t.Fatalf("reset: %v", err)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages 1 and 2: got %d items %v, want %d %v (each once, in order)", len(got), got, len(want), want)
	}
}

// TestScopedListsWalkKeysetPages lists, for a distributor, the tenants
// (more partners than tenant.MaxOwnerIDs: no owner filter, the platform
// walks every tenant), the resellers and the subscriptions: each a walk
// of three store pages filtered in Go. Between the walk's first two store
// pages, a record before its place enters the store's filter (active) or
// leaves it: with offset pages, the record at the page boundary was then
// counted twice or skipped. Record i of 250 is in scope unless i%4 == 3;
// record 10 starts outside the filter. One that enters behind the walk is
// not counted; one that leaves behind it was counted while in.
func TestScopedListsWalkKeysetPages(t *testing.T) {
	st := newWalkStore(t)
	p, _, _ := billPlatform(t, st)
	ctx := context.Background()
	const dist, other = "dist_walk", "dist_other"
	// The distributors are created after the partners, so that they come
	// last in the reseller list.
	late := walkAt(walked + 3600)
	mustCreateReseller(t, st.Store, dist, "", late, reseller.StatusActive)
	mustCreateReseller(t, st.Store, other, "", late, reseller.StatusActive)
	plan, err := st.GetPlan(ctx, "plan_metered")
	if err != nil {
		t.Fatal(err)
	}
	var wantTenants, wantResellers, wantSubs []string
	for i := range walked {
		partner, tn := fmt.Sprintf("prt_walk%03d", i), fmt.Sprintf("tn_walk%03d", i)
		under, owner := dist, partner
		if i%4 == 3 {
			under, owner = other, ""
		}
		rstatus, tstatus, sstatus := reseller.StatusActive, tenant.StatusActive, billing.Active
		if i == 10 {
			rstatus, tstatus, sstatus = reseller.StatusSuspended, tenant.StatusSuspended, billing.Trialing
		}
		mustCreateReseller(t, st.Store, partner, under, walkAt(i), rstatus)
		mustCreateTenant(t, st.Store, tn, owner, walkAt(i), tstatus)
		sub, err := billing.NewSubscription(tn, plan, billing.Monthly, walkAt(i))
		if err != nil {
			t.Fatal(err)
		}
		sub.ID, sub.Status = fmt.Sprintf("sub_walk%03d", i), sstatus
		if err := st.CreateSubscription(ctx, sub); err != nil {
			t.Fatalf("CreateSubscription(%s): %v", sub.ID, err)
		}
		if i%4 != 3 && i != 10 {
			wantTenants, wantResellers, wantSubs = append(wantTenants, tn), append(wantResellers, partner), append(wantSubs, sub.ID)
		}
	}
	wantResellers = append(wantResellers, dist)
	// More partners than an owner filter takes: the tenant list walks.
	for i := range tenant.MaxOwnerIDs {
		mustCreateReseller(t, st.Store, fmt.Sprintf("prt_more%04d", i), dist, late.Add(time.Hour), reseller.StatusActive)
	}
	as := distActor(dist, atomix.PermTenantView, atomix.PermResellerView, atomix.PermSubscriptionView)

	// Record 10 enters the filter: offset pages counted record 100, at
	// the boundary, twice. Record 0 leaves it: offset pages skipped
	// record 101.
	t.Run("tenants", func(t *testing.T) {
		for _, tc := range []walkCase{
			{"one enters", setTenantStatus("tn_walk010", tenant.StatusActive), setTenantStatus("tn_walk010", tenant.StatusSuspended)},
			{"one leaves", setTenantStatus("tn_walk000", tenant.StatusSuspended), setTenantStatus("tn_walk000", tenant.StatusActive)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				checkScopedWalk(t, st, "tenants", tc, wantTenants, len(wantTenants), func(pr core.PageRequest) ([]string, int, error) {
					pg, err := p.ListTenants(as, tenant.ListQuery{Status: tenant.StatusActive, Page: pr})
					ids := []string{}
					for _, tn := range pg.Items {
						ids = append(ids, tn.ID)
					}
					return ids, pg.Total, err
				})
			})
		}
	})
	t.Run("resellers", func(t *testing.T) {
		// The 1000 more partners come after these: the first two pages
		// of the scoped list are the 187 partners, the distributor and
		// the first 12 of them.
		want := slices.Clone(wantResellers)
		for i := range core.MaxLimit*2 - len(wantResellers) {
			want = append(want, fmt.Sprintf("prt_more%04d", i))
		}
		for _, tc := range []walkCase{
			{"one enters", setResellerStatus("prt_walk010", reseller.StatusActive), setResellerStatus("prt_walk010", reseller.StatusSuspended)},
			{"one leaves", setResellerStatus("prt_walk000", reseller.StatusSuspended), setResellerStatus("prt_walk000", reseller.StatusActive)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				checkScopedWalk(t, st, "resellers", tc, want, len(wantResellers)+tenant.MaxOwnerIDs, func(pr core.PageRequest) ([]string, int, error) {
					pg, err := p.Resellers().List(as, reseller.Filter{Status: reseller.StatusActive, Page: pr})
					ids := []string{}
					for _, r := range pg.Items {
						ids = append(ids, r.ID)
					}
					return ids, pg.Total, err
				})
			})
		}
	})
	t.Run("subscriptions", func(t *testing.T) {
		for _, tc := range []walkCase{
			{"one enters", setSubStatus("tn_walk010", billing.Active), setSubStatus("tn_walk010", billing.Trialing)},
			{"one leaves", setSubStatus("tn_walk000", billing.PastDue), setSubStatus("tn_walk000", billing.Active)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				checkScopedWalk(t, st, "subscriptions", tc, wantSubs, len(wantSubs), func(pr core.PageRequest) ([]string, int, error) {
					pg, err := p.ListSubscriptions(as, atomix.SubscriptionQuery{Status: billing.Active, Page: pr})
					ids := []string{}
					for _, s := range pg.Items {
						ids = append(ids, s.ID)
					}
					return ids, pg.Total, err
				})
			})
		}
	})
}

// TestDistributorWalksNameEachOnce checks the two walks that collect IDs
// for a store filter: a distributor's partners (its tenant list's owner
// filter) and the tenants it reaches (its audit log's tenant filter).
// Between the walk's first two store pages, a record is created before
// its place: with offset pages, the record at the page boundary was then
// named twice. Each is named once; the new one, behind the walk, not at
// all.
func TestDistributorWalksNameEachOnce(t *testing.T) {
	st := newWalkStore(t)
	p, err := atomix.New(st)
	if err != nil {
		t.Fatal(err)
	}
	const dist = "dist_walk"
	mustCreateReseller(t, st.Store, dist, "", walkAt(-3600), reseller.StatusActive)
	wantOwners := []string{dist}
	var wantTenants []string
	for i := range walked {
		partner, tn := fmt.Sprintf("prt_walk%03d", i), fmt.Sprintf("tn_walk%03d", i)
		mustCreateReseller(t, st.Store, partner, dist, walkAt(i), reseller.StatusActive)
		owner := partner
		if i%4 == 3 {
			owner = ""
		} else {
			wantTenants = append(wantTenants, tn)
		}
		mustCreateTenant(t, st.Store, tn, owner, walkAt(i), tenant.StatusActive)
		wantOwners = append(wantOwners, partner)
	}
	as := distActor(dist, atomix.PermTenantView, atomix.PermAuditView)

	t.Run("partners", func(t *testing.T) {
		st.arm("resellers", func(ctx context.Context, s store.Store) error {
			mustCreateReseller(t, s, "prt_walknew", dist, walkAt(-1), reseller.StatusActive)
			return nil
		})
		pg, err := p.ListTenants(as, tenant.ListQuery{Page: core.PageRequest{Limit: core.MaxLimit}})
		if err != nil {
			t.Fatalf("ListTenants: got error %v, want nil", err)
		}
		if n := st.pages("resellers"); n < 3 {
			t.Errorf("partner pages read: got %d, want at least 3", n)
		}
		if len(st.ownerIDs) != 1 || !slices.Equal(st.ownerIDs[0], wantOwners) {
			t.Errorf("owner filter: got %v, want one list, %v (each once, in order)", st.ownerIDs, wantOwners)
		}
		if pg.Total != len(wantTenants) {
			t.Errorf("tenants: got total %d, want %d", pg.Total, len(wantTenants))
		}
	})
	t.Run("audit tenants", func(t *testing.T) {
		// Two new tenants: offset pages named tenants 98 and 99 twice
		// (99 is outside the scope).
		st.arm("tenants", func(ctx context.Context, s store.Store) error {
			mustCreateTenant(t, s, "tn_walknew1", dist, walkAt(-2), tenant.StatusActive)
			mustCreateTenant(t, s, "tn_walknew2", dist, walkAt(-1), tenant.StatusActive)
			return nil
		})
		if _, err := p.Audit(as, atomix.AuditQuery{}); err != nil {
			t.Fatalf("Audit: got error %v, want nil", err)
		}
		if n := st.pages("tenants"); n < 3 {
			t.Errorf("tenant pages read: got %d, want at least 3", n)
		}
		if len(st.auditIDs) != 1 || !slices.Equal(st.auditIDs[0], wantTenants) {
			t.Errorf("audit tenant filter: got %v, want one list, %v (each once, in order)", st.auditIDs, wantTenants)
		}
	})
}
