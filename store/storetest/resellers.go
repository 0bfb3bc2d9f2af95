package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// Goroutine counts of the reseller concurrency tests.
const (
	raceAppenders = 8 // appenders racing on one tenant's ownership history
	raceHolders   = 6 // tenant creators holding a partner another deletes
)

// RunResellers checks the reseller.Store part of a store: distributors and
// partners round-trip exactly, IDs are unique, a partner's distributor must
// be stored, updates keep what must not change, lists filter, order and
// page; holdings count live tenants and partners; ownership histories
// append and close rows and refuse a row that does not come last; customer
// profiles replace; customer lists reach a distributor's partners' tenants;
// transactions read their own writes and roll back; and under contention a
// history stays one chain, and a held reseller cannot be deleted under a
// tenant being given to it.
func RunResellers(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"ResellerRoundTrip", testResellerRoundTrip},
		{"ResellerCreateRefused", testResellerCreateRefused},
		{"ResellerNotFound", testResellerNotFound},
		{"ResellerUpdate", testResellerUpdate},
		{"ResellerUpdateRefused", testResellerUpdateRefused},
		{"ResellerList", testResellerList},
		{"ResellerListAfter", testResellerListAfter},
		{"Holdings", testHoldings},
		{"OwnershipHistory", testOwnershipHistory},
		{"CustomerProfiles", testCustomerProfiles},
		{"ListCustomers", testListCustomers},
		{"ResellersInTx", testResellersInTx},
		{"ResellersContextDoneAndClosed", testResellersDoneAndClosed},
		{"ConcurrentOwnershipAppends", testConcurrentOwnershipAppends},
		{"ConcurrentHoldAndDelete", testConcurrentHoldAndDelete},
	})
}

// resellerFixture returns a complete reseller numbered n, created and
// updated at(n): a distributor ("dist_st<n>") or a partner ("prt_st<n>")
// under dist ("" for the platform).
func resellerFixture(kind reseller.Kind, n int, dist string) reseller.Reseller {
	id := fmt.Sprintf("dist_st%04d", n)
	if kind == reseller.KindPartner {
		id = fmt.Sprintf("prt_st%04d", n)
	}
	return reseller.Reseller{
		ID:            id,
		Kind:          kind,
		DistributorID: dist,
		Name:          fmt.Sprintf("Reseller %04d Pty Ltd", n),
		Contact:       tenant.Contact{Name: "Şule Yılmaz", Email: fmt.Sprintf("sales%d@example.com", n), Phone: "+61291234567"},
		Address: reseller.Address{
			Line1: "Level 3, 100 George St", Line2: "Suite 4", Postcode: "2000",
			City: "Sydney", Region: "NSW", Country: "AU",
		},
		RegistrationNumber: "51 824 753 556",
		Website:            "https://reseller.example.com/ü?a=1",
		Status:             reseller.StatusActive,
		CreatedAt:          at(n),
		UpdatedAt:          at(n),
	}
}

func createResellers(t *testing.T, s reseller.Store, rs ...reseller.Reseller) {
	t.Helper()
	for _, r := range rs {
		if err := s.CreateReseller(t.Context(), r); err != nil {
			t.Fatalf("CreateReseller(%s): got error %v, want nil", r.ID, err)
		}
	}
}

func wantReseller(t *testing.T, s reseller.Store, want reseller.Reseller) {
	t.Helper()
	got, err := s.GetReseller(t.Context(), want.ID)
	if err != nil {
		t.Errorf("GetReseller(%s): got error %v, want nil", want.ID, err)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetReseller(%s) mismatch (-want +got):\n%s", want.ID, diff)
	}
}

func listResellers(t *testing.T, s reseller.Store, f reseller.Filter) ([]reseller.Reseller, int) {
	t.Helper()
	if f.Page == (core.PageRequest{}) {
		f.Page = core.PageRequest{Page: 1, Limit: core.DefaultLimit}
	}
	got, total, err := s.ListResellers(t.Context(), f)
	if err != nil {
		t.Fatalf("ListResellers(%+v): got error %v, want nil", f, err)
	}
	return got, total
}

func resellerIDs(rs []reseller.Reseller) []string {
	return idsOf(rs, func(r reseller.Reseller) string { return r.ID })
}

// allResellers returns every stored reseller, deleted or not.
func allResellers(t *testing.T, s reseller.Store) []reseller.Reseller {
	t.Helper()
	got, _ := listResellers(t, s, reseller.Filter{IncludeDeleted: true, Page: core.PageRequest{Page: 1, Limit: core.MaxLimit}})
	return got
}

func ownerships(t *testing.T, s reseller.Store, tenantID string) []reseller.Ownership {
	t.Helper()
	got, err := s.ListOwnerships(t.Context(), tenantID)
	if err != nil {
		t.Fatalf("ListOwnerships(%s): got error %v, want nil", tenantID, err)
	}
	return got
}

func appendOwnership(t *testing.T, s reseller.Store, tenantID, owner string, from time.Time) {
	t.Helper()
	if err := s.AppendOwnership(t.Context(), reseller.Ownership{TenantID: tenantID, OwnerID: owner, ValidFrom: from}); err != nil {
		t.Fatalf("AppendOwnership(%s, %q, %v): got error %v, want nil", tenantID, owner, from, err)
	}
}

// profileFixture returns a complete profile of the tenant, created at(n).
func profileFixture(tenantID string, n int) reseller.Profile {
	return reseller.Profile{
		TenantID: tenantID, Nickname: fmt.Sprintf("nick %d", n), RegistrationNumber: "123455",
		Address: reseller.Address{Line1: "test sc01", Line2: "Unit 2", Postcode: "3000", City: "MELBOURNE", Region: "Victoria", Country: "AU"},
		Website: "https://customer.example.com", CreatedAt: at(n), UpdatedAt: at(n),
	}
}

func testResellerRoundTrip(t *testing.T, s store.Store) {
	dist := resellerFixture(reseller.KindDistributor, 1, "")
	under := resellerFixture(reseller.KindPartner, 2, dist.ID)
	direct := resellerFixture(reseller.KindPartner, 3, "")
	// The optional fields empty, and a deleted, suspended one.
	direct.Contact.Phone, direct.Address.Line2, direct.Address.City, direct.Address.Region = "", "", "", ""
	direct.RegistrationNumber, direct.Website = "", ""
	gone := resellerFixture(reseller.KindDistributor, 4, "")
	gone.Status, gone.DeletedAt = reseller.StatusSuspended, timePtr(at(5))
	createResellers(t, s, dist, under, direct, gone)
	for _, r := range []reseller.Reseller{dist, under, direct, gone} {
		wantReseller(t, s, r)
		got, err := s.HoldReseller(t.Context(), r.ID)
		if err != nil || !cmp.Equal(r, got) {
			t.Errorf("HoldReseller(%s): got %+v, %v; want %+v, nil", r.ID, got, err, r)
		}
	}
}

func testResellerCreateRefused(t *testing.T, s store.Store) {
	dist := resellerFixture(reseller.KindDistributor, 1, "")
	partner := resellerFixture(reseller.KindPartner, 2, dist.ID)
	createResellers(t, s, dist, partner)
	before := allResellers(t, s)

	dup := resellerFixture(reseller.KindDistributor, 9, "")
	dup.ID = dist.ID
	wantCode(t, "CreateReseller with a taken ID", s.CreateReseller(t.Context(), dup), core.Conflict)
	for _, d := range []string{"dist_missing", partner.ID} {
		p := resellerFixture(reseller.KindPartner, 10, d)
		wantCode(t, fmt.Sprintf("CreateReseller of a partner under %s", d), s.CreateReseller(t.Context(), p), core.Invalid)
	}
	if diff := cmp.Diff(before, allResellers(t, s)); diff != "" {
		t.Errorf("refused creates changed the store (-before +after):\n%s", diff)
	}
}

func testResellerNotFound(t *testing.T, s store.Store) {
	createResellers(t, s, resellerFixture(reseller.KindDistributor, 1, ""))
	ctx := t.Context()
	_, err := s.GetReseller(ctx, "dist_missing")
	wantCode(t, "GetReseller", err, core.NotFound)
	_, err = s.HoldReseller(ctx, "prt_missing")
	wantCode(t, "HoldReseller", err, core.NotFound)
	called := false
	_, err = s.UpdateReseller(ctx, "dist_missing", func(r reseller.Reseller) (reseller.Reseller, error) {
		called = true
		return r, nil
	})
	wantCode(t, "UpdateReseller", err, core.NotFound)
	if called {
		t.Error("UpdateReseller of a missing reseller: updater called, want not called")
	}
}

func testResellerUpdate(t *testing.T, s store.Store) {
	dist := resellerFixture(reseller.KindDistributor, 1, "")
	other := resellerFixture(reseller.KindDistributor, 2, "")
	createResellers(t, s, dist, other)
	want := dist
	want.Name, want.Status, want.Website = "Renamed Distribution", reseller.StatusSuspended, ""
	want.Contact = tenant.Contact{Name: "New Person", Email: "new@example.com"}
	want.Address = reseller.Address{Line1: "1 Queen St", Postcode: "3000", Country: "NZ"}
	want.UpdatedAt, want.DeletedAt = at(60), timePtr(at(60))
	got, err := s.UpdateReseller(t.Context(), dist.ID, func(r reseller.Reseller) (reseller.Reseller, error) {
		if !cmp.Equal(dist, r) {
			t.Errorf("updater got %+v, want %+v", r, dist)
		}
		return want, nil
	})
	if err != nil {
		t.Fatalf("UpdateReseller: got error %v, want nil", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UpdateReseller returned (-want +got):\n%s", diff)
	}
	wantReseller(t, s, want)
	wantReseller(t, s, other)

	// An updater error writes nothing.
	_, err = s.UpdateReseller(t.Context(), dist.ID, func(r reseller.Reseller) (reseller.Reseller, error) {
		r.Name = "Never"
		return r, errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Errorf("UpdateReseller with a failing updater: got %v, want %v", err, errSentinel)
	}
	wantReseller(t, s, want)
}

func testResellerUpdateRefused(t *testing.T, s store.Store) {
	dist := resellerFixture(reseller.KindDistributor, 1, "")
	dist2 := resellerFixture(reseller.KindDistributor, 2, "")
	partner := resellerFixture(reseller.KindPartner, 3, dist.ID)
	createResellers(t, s, dist, dist2, partner)
	changes := map[string]func(*reseller.Reseller){
		"ID":           func(r *reseller.Reseller) { r.ID = "prt_other" },
		"kind":         func(r *reseller.Reseller) { r.Kind = reseller.KindDistributor },
		"distributor":  func(r *reseller.Reseller) { r.DistributorID = dist2.ID },
		"no longer":    func(r *reseller.Reseller) { r.DistributorID = "" },
		"created time": func(r *reseller.Reseller) { r.CreatedAt = at(99) },
	}
	for name, change := range changes {
		_, err := s.UpdateReseller(t.Context(), partner.ID, func(r reseller.Reseller) (reseller.Reseller, error) {
			change(&r)
			r.Name = "Never"
			return r, nil
		})
		wantCode(t, "UpdateReseller changing the "+name, err, core.Invalid)
	}
	for _, r := range []reseller.Reseller{dist, dist2, partner} {
		wantReseller(t, s, r)
	}
}

func testResellerList(t *testing.T, s store.Store) {
	d1 := resellerFixture(reseller.KindDistributor, 1, "")
	d1.Name = "Northwind Distribution"
	d2 := resellerFixture(reseller.KindDistributor, 2, "")
	d2.Name, d2.Status = "100% Cloud_Distribution", reseller.StatusSuspended
	p1 := resellerFixture(reseller.KindPartner, 3, d1.ID)
	p1.Name = "Northwind Partner"
	p2 := resellerFixture(reseller.KindPartner, 4, d1.ID)
	p2.DeletedAt = timePtr(at(50))
	p3 := resellerFixture(reseller.KindPartner, 5, "")
	// Same creation time: the ID breaks the tie.
	p4 := resellerFixture(reseller.KindPartner, 5, "")
	p4.ID = "prt_st0005a"
	createResellers(t, s, d2, p4, d1, p1, p3, p2)

	tests := []struct {
		name      string
		f         reseller.Filter
		want      []string
		wantTotal int
	}{
		{"all", reseller.Filter{}, []string{d1.ID, d2.ID, p1.ID, p3.ID, p4.ID}, 5},
		{"with deleted", reseller.Filter{IncludeDeleted: true}, []string{d1.ID, d2.ID, p1.ID, p2.ID, p3.ID, p4.ID}, 6},
		{"distributors", reseller.Filter{Kind: reseller.KindDistributor}, []string{d1.ID, d2.ID}, 2},
		{"partners", reseller.Filter{Kind: reseller.KindPartner}, []string{p1.ID, p3.ID, p4.ID}, 3},
		{"under d1", reseller.Filter{DistributorID: d1.ID, IncludeDeleted: true}, []string{p1.ID, p2.ID}, 2},
		{"under d2", reseller.Filter{DistributorID: d2.ID}, []string{}, 0},
		{"suspended", reseller.Filter{Status: reseller.StatusSuspended}, []string{d2.ID}, 1},
		{"query", reseller.Filter{Query: "NORTHWIND"}, []string{d1.ID, p1.ID}, 2},
		{"query and kind", reseller.Filter{Query: "northwind", Kind: reseller.KindPartner}, []string{p1.ID}, 1},
		{"wildcards are literal", reseller.Filter{Query: "100%"}, []string{d2.ID}, 1},
		{"underscore is literal", reseller.Filter{Query: "d_s"}, []string{}, 0},
		{"page 2 of 2", reseller.Filter{Page: core.PageRequest{Page: 2, Limit: 3}}, []string{p3.ID, p4.ID}, 5},
		{"past the end", reseller.Filter{Page: core.PageRequest{Page: 9, Limit: 3}}, []string{}, 5},
		{"past the end, filtered", reseller.Filter{Kind: reseller.KindDistributor, Page: core.PageRequest{Page: 2, Limit: 2}}, []string{}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total := listResellers(t, s, tt.f)
			if diff := cmp.Diff(tt.want, resellerIDs(got)); diff != "" || total != tt.wantTotal {
				t.Errorf("ListResellers(%+v): got total %d, want %d; IDs (-want +got):\n%s", tt.f, total, tt.wantTotal, diff)
			}
		})
	}
	// Listed records are whole.
	got, _ := listResellers(t, s, reseller.Filter{Query: "Northwind Partner"})
	if diff := cmp.Diff([]reseller.Reseller{p1}, got); diff != "" {
		t.Errorf("listed reseller mismatch (-want +got):\n%s", diff)
	}
}

func testHoldings(t *testing.T, s store.Store) {
	dist := resellerFixture(reseller.KindDistributor, 1, "")
	p1 := resellerFixture(reseller.KindPartner, 2, dist.ID)
	p2 := resellerFixture(reseller.KindPartner, 3, dist.ID)
	p2.DeletedAt = timePtr(at(9))
	createResellers(t, s, dist, p1, p2)
	var ts []tenant.Tenant
	for i, owner := range []string{dist.ID, dist.ID, p1.ID, p1.ID, ""} {
		tn := fixture(10 + i)
		tn.OwnerID = owner
		ts = append(ts, tn)
	}
	ts[1].DeletedAt = timePtr(at(20)) // a deleted tenant does not count
	create(t, s, ts...)
	tests := []struct {
		id   string
		want reseller.Holdings
	}{
		{dist.ID, reseller.Holdings{Tenants: 1, Partners: 1}},
		{p1.ID, reseller.Holdings{Tenants: 2}},
		{p2.ID, reseller.Holdings{}},
		{"prt_missing", reseller.Holdings{}},
	}
	for _, tt := range tests {
		got, err := s.CountHoldings(t.Context(), tt.id)
		if err != nil || got != tt.want {
			t.Errorf("CountHoldings(%s): got %+v, %v; want %+v, nil", tt.id, got, err, tt.want)
		}
	}
	// Moving a tenant away is seen at once.
	update(func(x *tenant.Tenant) { x.OwnerID = dist.ID })(t, s, ts[2], tenant.Tenant{})
	if got, err := s.CountHoldings(t.Context(), p1.ID); err != nil || got.Tenants != 1 {
		t.Errorf("CountHoldings(%s) after a move: got %+v, %v; want 1 tenant", p1.ID, got, err)
	}
}

func testOwnershipHistory(t *testing.T, s store.Store) {
	a, b := fixture(1), fixture(2)
	create(t, s, a, b)
	if got := ownerships(t, s, a.ID); len(got) != 0 {
		t.Errorf("ListOwnerships of a tenant without history: got %+v, want none", got)
	}
	appendOwnership(t, s, a.ID, "", at(1))
	appendOwnership(t, s, a.ID, "prt_one", at(10))
	appendOwnership(t, s, b.ID, "dist_b", at(2))
	appendOwnership(t, s, a.ID, "dist_two", at(20))
	want := []reseller.Ownership{
		{TenantID: a.ID, OwnerID: "", ValidFrom: at(1), ValidTo: timePtr(at(10))},
		{TenantID: a.ID, OwnerID: "prt_one", ValidFrom: at(10), ValidTo: timePtr(at(20))},
		{TenantID: a.ID, OwnerID: "dist_two", ValidFrom: at(20)},
	}
	if diff := cmp.Diff(want, ownerships(t, s, a.ID)); diff != "" {
		t.Errorf("ListOwnerships(%s) (-want +got):\n%s", a.ID, diff)
	}
	wantB := []reseller.Ownership{{TenantID: b.ID, OwnerID: "dist_b", ValidFrom: at(2)}}
	if diff := cmp.Diff(wantB, ownerships(t, s, b.ID)); diff != "" {
		t.Errorf("ListOwnerships(%s) (-want +got):\n%s", b.ID, diff)
	}

	// A row that does not come last, or comes closed, changes nothing.
	refused := []struct {
		name string
		o    reseller.Ownership
		code core.Code
	}{
		{"at the newest start", reseller.Ownership{TenantID: a.ID, OwnerID: "prt_x", ValidFrom: at(20)}, core.Invalid},
		{"before the newest", reseller.Ownership{TenantID: a.ID, OwnerID: "prt_x", ValidFrom: at(15)}, core.Invalid},
		{"a microsecond before", reseller.Ownership{TenantID: a.ID, OwnerID: "prt_x", ValidFrom: at(20).Add(-time.Microsecond)}, core.Invalid},
		{"closed", reseller.Ownership{TenantID: a.ID, OwnerID: "prt_x", ValidFrom: at(30), ValidTo: timePtr(at(31))}, core.Invalid},
		{"unknown tenant", reseller.Ownership{TenantID: "tn_missing", OwnerID: "prt_x", ValidFrom: at(30)}, core.NotFound},
	}
	for _, tt := range refused {
		wantCode(t, "AppendOwnership "+tt.name, s.AppendOwnership(t.Context(), tt.o), tt.code)
	}
	if diff := cmp.Diff(want, ownerships(t, s, a.ID)); diff != "" {
		t.Errorf("refused appends changed the history (-want +got):\n%s", diff)
	}
	if got := ownerships(t, s, "tn_missing"); len(got) != 0 {
		t.Errorf("ListOwnerships of a missing tenant: got %+v, want none", got)
	}
	// A microsecond later is after.
	appendOwnership(t, s, a.ID, "prt_x", at(20).Add(time.Microsecond))
	if got := ownerships(t, s, a.ID); len(got) != 4 || !got[2].ValidTo.Equal(at(20).Add(time.Microsecond)) {
		t.Errorf("history after a move one microsecond later: got %+v", got)
	}
}

func testCustomerProfiles(t *testing.T, s store.Store) {
	a, b := fixture(1), fixture(2)
	create(t, s, a, b)
	ctx := t.Context()
	_, err := s.GetCustomerProfile(ctx, a.ID)
	wantCode(t, "GetCustomerProfile without one", err, core.NotFound)
	wantCode(t, "PutCustomerProfile of a missing tenant", s.PutCustomerProfile(ctx, profileFixture("tn_missing", 1)), core.NotFound)

	pa := profileFixture(a.ID, 1)
	pb := profileFixture(b.ID, 2)
	pb.RegistrationNumber, pb.Website, pb.Address.Line2, pb.Address.City, pb.Address.Region = "", "", "", "", ""
	for _, p := range []reseller.Profile{pa, pb} {
		if err := s.PutCustomerProfile(ctx, p); err != nil {
			t.Fatalf("PutCustomerProfile(%s): got error %v, want nil", p.TenantID, err)
		}
	}
	// A second put replaces the first.
	pa2 := profileFixture(a.ID, 5)
	pa2.Nickname, pa2.Address.Country = "Çay Evi", "TR"
	if err := s.PutCustomerProfile(ctx, pa2); err != nil {
		t.Fatalf("PutCustomerProfile again: got error %v, want nil", err)
	}
	for _, want := range []reseller.Profile{pa2, pb} {
		got, err := s.GetCustomerProfile(ctx, want.TenantID)
		if err != nil {
			t.Fatalf("GetCustomerProfile(%s): got error %v, want nil", want.TenantID, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetCustomerProfile(%s) (-want +got):\n%s", want.TenantID, diff)
		}
	}
}

// customerIDs returns the tenant IDs of cs, in order; never nil.
func customerIDs(cs []reseller.Customer) []string {
	return idsOf(cs, func(c reseller.Customer) string { return c.Tenant.ID })
}

func testListCustomers(t *testing.T, s store.Store) {
	dist := resellerFixture(reseller.KindDistributor, 1, "")
	under := resellerFixture(reseller.KindPartner, 2, dist.ID)
	gone := resellerFixture(reseller.KindPartner, 3, dist.ID)
	gone.DeletedAt = timePtr(at(4))
	direct := resellerFixture(reseller.KindPartner, 4, "")
	createResellers(t, s, dist, under, gone, direct)
	owners := []string{dist.ID, under.ID, under.ID, gone.ID, direct.ID, "", under.ID}
	names := []string{"Waqi SC01", "Acme 100%", "Beta Foods", "Gamma", "waqi sc02", "Platform Own", "Deleted Waqi"}
	var ts []tenant.Tenant
	for i := range owners {
		tn := fixture(10 + i)
		tn.OwnerID, tn.Name = owners[i], names[i]
		ts = append(ts, tn)
	}
	ts[6].DeletedAt = timePtr(at(30))
	create(t, s, ts...)
	profiles := map[string]reseller.Profile{}
	for _, i := range []int{0, 1, 6} {
		p := profileFixture(ts[i].ID, 10+i)
		profiles[p.TenantID] = p
		if err := s.PutCustomerProfile(t.Context(), p); err != nil {
			t.Fatalf("PutCustomerProfile: got error %v, want nil", err)
		}
	}
	id := func(is ...int) []string {
		out := []string{}
		for _, i := range is {
			out = append(out, ts[i].ID)
		}
		return out
	}
	tests := []struct {
		name      string
		f         reseller.CustomerFilter
		want      []string
		wantTotal int
	}{
		{"everyone", reseller.CustomerFilter{}, id(0, 1, 2, 3, 4, 5), 6},
		{"everyone, deleted too", reseller.CustomerFilter{IncludeDeleted: true}, id(0, 1, 2, 3, 4, 5, 6), 7},
		{"a distributor and its partners", reseller.CustomerFilter{Under: dist.ID}, id(0, 1, 2, 3), 4},
		{"a partner", reseller.CustomerFilter{Under: under.ID}, id(1, 2), 2},
		{"a partner, deleted too", reseller.CustomerFilter{Under: under.ID, IncludeDeleted: true}, id(1, 2, 6), 3},
		{"a direct partner", reseller.CustomerFilter{Under: direct.ID}, id(4), 1},
		{"a reseller without tenants", reseller.CustomerFilter{Under: "prt_none"}, id(), 0},
		{"by part of a name", reseller.CustomerFilter{Query: "WAQI"}, id(0, 4), 2},
		{"by name under a distributor", reseller.CustomerFilter{Under: dist.ID, Query: "waqi"}, id(0), 1},
		{"a literal percent", reseller.CustomerFilter{Query: "100%"}, id(1), 1},
		{"page 2", reseller.CustomerFilter{Under: dist.ID, Page: core.PageRequest{Page: 2, Limit: 3}}, id(3), 4},
		{"past the end", reseller.CustomerFilter{Under: dist.ID, Page: core.PageRequest{Page: 3, Limit: 3}}, id(), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			if f.Page == (core.PageRequest{}) {
				f.Page = core.PageRequest{Page: 1, Limit: core.DefaultLimit}
			}
			got, total, err := s.ListCustomers(t.Context(), f)
			if err != nil {
				t.Fatalf("ListCustomers(%+v): got error %v, want nil", f, err)
			}
			if diff := cmp.Diff(tt.want, customerIDs(got)); diff != "" || total != tt.wantTotal {
				t.Errorf("ListCustomers(%+v): got total %d, want %d; IDs (-want +got):\n%s", f, total, tt.wantTotal, diff)
			}
			// Each customer is its tenant as stored, without derived
			// counts, and its profile or none.
			for _, c := range got {
				want := get(t, s, c.Tenant.ID)
				want.AtomCount, want.UserCount = 0, 0
				if diff := cmp.Diff(want, c.Tenant); diff != "" {
					t.Errorf("customer %s: tenant mismatch (-want +got):\n%s", c.Tenant.ID, diff)
				}
				var wantProfile *reseller.Profile
				if p, ok := profiles[c.Tenant.ID]; ok {
					wantProfile = &p
				}
				if diff := cmp.Diff(wantProfile, c.Profile); diff != "" {
					t.Errorf("customer %s: profile mismatch (-want +got):\n%s", c.Tenant.ID, diff)
				}
			}
		})
	}
}

func testResellersInTx(t *testing.T, s store.Store) {
	dist := resellerFixture(reseller.KindDistributor, 1, "")
	createResellers(t, s, dist)
	a := fixture(1)
	a.OwnerID = dist.ID
	ctx := t.Context()

	// Inside a transaction every write is read back, and a failing fn
	// leaves none of them.
	err := s.InTx(ctx, func(tx store.Store) error {
		p := resellerFixture(reseller.KindPartner, 2, dist.ID)
		createResellers(t, tx, p)
		create(t, tx, a)
		appendOwnership(t, tx, a.ID, dist.ID, at(1))
		if err := tx.PutCustomerProfile(ctx, profileFixture(a.ID, 1)); err != nil {
			t.Errorf("PutCustomerProfile in a transaction: got error %v, want nil", err)
		}
		if _, err := tx.UpdateReseller(ctx, dist.ID, func(r reseller.Reseller) (reseller.Reseller, error) {
			r.Status = reseller.StatusSuspended
			return r, nil
		}); err != nil {
			t.Errorf("UpdateReseller in a transaction: got error %v, want nil", err)
		}
		if h, err := tx.CountHoldings(ctx, dist.ID); err != nil || h != (reseller.Holdings{Tenants: 1, Partners: 1}) {
			t.Errorf("CountHoldings in the transaction: got %+v, %v; want 1 tenant, 1 partner", h, err)
		}
		if got, err := tx.HoldReseller(ctx, dist.ID); err != nil || got.Status != reseller.StatusSuspended {
			t.Errorf("HoldReseller in the transaction: got %+v, %v; want the suspended distributor", got, err)
		}
		if got, total, err := tx.ListResellers(ctx, reseller.Filter{DistributorID: dist.ID, Page: core.PageRequest{Page: 1, Limit: 5}}); err != nil || total != 1 || len(got) != 1 {
			t.Errorf("ListResellers in the transaction: got %d of %d, %v; want the new partner", len(got), total, err)
		}
		if got, total, err := tx.ListCustomers(ctx, reseller.CustomerFilter{Under: dist.ID, Page: core.PageRequest{Page: 1, Limit: 5}}); err != nil || total != 1 || len(got) != 1 || got[0].Profile == nil {
			t.Errorf("ListCustomers in the transaction: got %+v of %d, %v; want the new tenant with its profile", got, total, err)
		}
		if got, err := tx.ListOwnerships(ctx, a.ID); err != nil || len(got) != 1 {
			t.Errorf("ListOwnerships in the transaction: got %+v, %v; want one row", got, err)
		}
		if _, err := tx.GetCustomerProfile(ctx, a.ID); err != nil {
			t.Errorf("GetCustomerProfile in the transaction: got error %v, want nil", err)
		}
		return errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Fatalf("InTx: got error %v, want %v", err, errSentinel)
	}
	if diff := cmp.Diff([]reseller.Reseller{dist}, allResellers(t, s)); diff != "" {
		t.Errorf("after the rollback: resellers (-want +got):\n%s", diff)
	}
	wantAbsent(t, s, a.ID)
	if got := ownerships(t, s, a.ID); len(got) != 0 {
		t.Errorf("after the rollback: got ownership rows %+v, want none", got)
	}
	_, err = s.GetCustomerProfile(ctx, a.ID)
	wantCode(t, "GetCustomerProfile after the rollback", err, core.NotFound)
	if h, err := s.CountHoldings(ctx, dist.ID); err != nil || h != (reseller.Holdings{}) {
		t.Errorf("CountHoldings after the rollback: got %+v, %v; want none", h, err)
	}
}

func testResellersDoneAndClosed(t *testing.T, s store.Store) {
	dist := resellerFixture(reseller.KindDistributor, 1, "")
	a := fixture(1)
	createResellers(t, s, dist)
	create(t, s, a)
	calls := func(ctx context.Context) map[string]error {
		out := map[string]error{}
		out["CreateReseller"] = s.CreateReseller(ctx, resellerFixture(reseller.KindPartner, 2, ""))
		_, out["GetReseller"] = s.GetReseller(ctx, dist.ID)
		_, out["HoldReseller"] = s.HoldReseller(ctx, dist.ID)
		_, out["UpdateReseller"] = s.UpdateReseller(ctx, dist.ID, func(r reseller.Reseller) (reseller.Reseller, error) {
			r.Name = "Changed"
			return r, nil
		})
		_, _, out["ListResellers"] = s.ListResellers(ctx, reseller.Filter{Page: core.PageRequest{Page: 1, Limit: 5}})
		_, out["CountHoldings"] = s.CountHoldings(ctx, dist.ID)
		out["AppendOwnership"] = s.AppendOwnership(ctx, reseller.Ownership{TenantID: a.ID, ValidFrom: at(1)})
		_, out["ListOwnerships"] = s.ListOwnerships(ctx, a.ID)
		out["PutCustomerProfile"] = s.PutCustomerProfile(ctx, profileFixture(a.ID, 1))
		_, out["GetCustomerProfile"] = s.GetCustomerProfile(ctx, a.ID)
		_, _, out["ListCustomers"] = s.ListCustomers(ctx, reseller.CustomerFilter{Page: core.PageRequest{Page: 1, Limit: 5}})
		return out
	}
	for name, err := range calls(canceled(t)) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: got error %v, want one matching context.Canceled", name, err)
		}
	}
	wantReseller(t, s, dist)
	if got := ownerships(t, s, a.ID); len(got) != 0 {
		t.Errorf("after cancelled calls: got ownership rows %+v, want none", got)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: got error %v, want nil", err)
	}
	for name, err := range calls(t.Context()) {
		if err == nil {
			t.Errorf("%s on a closed store: got nil error, want an error", name)
		}
	}
}

// testConcurrentOwnershipAppends races appenders on one tenant, each with
// its own start: whichever win, the history must stay one chain, each row
// closed where the next starts, and only the newest open.
func testConcurrentOwnershipAppends(t *testing.T, s store.Store) {
	a := fixture(1)
	create(t, s, a)
	var wg sync.WaitGroup
	errs := make([]error, raceAppenders)
	for i := range raceAppenders {
		wg.Go(func() {
			errs[i] = s.AppendOwnership(t.Context(), reseller.Ownership{
				TenantID: a.ID, OwnerID: fmt.Sprintf("prt_race%d", i), ValidFrom: at(10 + i),
			})
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch core.ErrorCode(err) {
		case "":
			won++
		case core.Invalid: // came after a later start
		default:
			t.Errorf("appender %d: got error %v, want nil or code %q", i, err, core.Invalid)
		}
	}
	got := ownerships(t, s, a.ID)
	if len(got) != won || won == 0 {
		t.Fatalf("got %d rows, want the %d appends that succeeded (at least one)", len(got), won)
	}
	for i, o := range got {
		last := i == len(got)-1
		switch {
		case last && o.ValidTo != nil:
			t.Errorf("newest row %+v: got ValidTo %v, want open", o, *o.ValidTo)
		case !last && (o.ValidTo == nil || !o.ValidTo.Equal(got[i+1].ValidFrom)):
			t.Errorf("row %d %+v: want it closed at the next row's start %v", i, o, got[i+1].ValidFrom)
		case !last && !o.ValidFrom.Before(got[i+1].ValidFrom):
			t.Errorf("rows %d and %d out of order: %v, %v", i, i+1, o.ValidFrom, got[i+1].ValidFrom)
		}
	}
}

// testConcurrentHoldAndDelete races, round after round, transactions that
// hold a partner and give it a tenant against one that deletes the partner
// only while it owns none (the protocol of the platform's workflows): the
// partner must never end up deleted and owning a tenant.
func testConcurrentHoldAndDelete(t *testing.T, s store.Store) {
	errOwns := errors.New("the partner owns tenants")
	errDeleted := errors.New("the partner is deleted")
	for round := range 3 {
		p := resellerFixture(reseller.KindPartner, 100+round, "")
		createResellers(t, s, p)
		var wg sync.WaitGroup
		created := make([]bool, raceHolders)
		for i := range raceHolders {
			wg.Go(func() {
				err := s.InTx(t.Context(), func(tx store.Store) error {
					r, err := tx.HoldReseller(t.Context(), p.ID)
					if err != nil {
						return err
					}
					if r.Deleted() {
						return errDeleted
					}
					tn := fixture(1000 + round*100 + i)
					tn.OwnerID = p.ID
					return tx.CreateTenant(t.Context(), tn)
				})
				created[i] = err == nil
				if err != nil && !errors.Is(err, errDeleted) {
					t.Errorf("round %d, creator %d: got error %v, want nil or %v", round, i, err, errDeleted)
				}
			})
		}
		var deleteErr error
		wg.Go(func() {
			deleteErr = s.InTx(t.Context(), func(tx store.Store) error {
				_, err := tx.UpdateReseller(t.Context(), p.ID, func(r reseller.Reseller) (reseller.Reseller, error) {
					h, err := tx.CountHoldings(t.Context(), p.ID)
					if err != nil {
						return r, err
					}
					if h.Tenants > 0 {
						return r, errOwns
					}
					r.DeletedAt = timePtr(at(500))
					return r, nil
				})
				return err
			})
			if deleteErr != nil && !errors.Is(deleteErr, errOwns) {
				t.Errorf("round %d: delete: got error %v, want nil or %v", round, deleteErr, errOwns)
			}
		})
		wg.Wait()
		got, err := s.GetReseller(t.Context(), p.ID)
		if err != nil {
			t.Fatalf("round %d: GetReseller: got error %v, want nil", round, err)
		}
		h, err := s.CountHoldings(t.Context(), p.ID)
		if err != nil {
			t.Fatalf("round %d: CountHoldings: got error %v, want nil", round, err)
		}
		n := 0
		for _, ok := range created {
			if ok {
				n++
			}
		}
		if h.Tenants != n {
			t.Errorf("round %d: got %d tenants owned, want the %d created", round, h.Tenants, n)
		}
		if got.Deleted() != (deleteErr == nil) || (got.Deleted() && n > 0) {
			t.Errorf("round %d: deleted %t (delete error %v) with %d tenants created; a deleted partner must own none", round, got.Deleted(), deleteErr, n)
		}
	}
}

// resellerIsolationKinds are the reseller-chain records a tenant owns: its
// ownership history and its customer profile.
func resellerIsolationKinds() []isolationKind {
	return []isolationKind{
		{
			name: "ownership history",
			seed: func(t *testing.T, s store.Store, tn tenant.Tenant) {
				appendOwnership(t, s, tn.ID, "", tn.CreatedAt)
				appendOwnership(t, s, tn.ID, tn.OwnerID, tn.CreatedAt.Add(time.Hour))
			},
			snapshot: func(t *testing.T, s store.Store, id string) any { return ownerships(t, s, id) },
		},
		{
			name: "customer profile",
			seed: func(t *testing.T, s store.Store, tn tenant.Tenant) {
				p := profileFixture(tn.ID, 7)
				p.Nickname = token(tn)
				if err := s.PutCustomerProfile(t.Context(), p); err != nil {
					t.Fatalf("PutCustomerProfile(%s): got error %v, want nil", tn.ID, err)
				}
			},
			snapshot: func(t *testing.T, s store.Store, id string) any {
				p, err := s.GetCustomerProfile(t.Context(), id)
				if err != nil {
					t.Fatalf("GetCustomerProfile(%s): got error %v, want nil", id, err)
				}
				return p
			},
		},
	}
}

// resellerIsolationOps are the operations on a tenant's reseller-chain
// records.
func resellerIsolationOps() []isolationOp {
	profile := func(actor tenant.Tenant) reseller.Profile {
		p := profileFixture(actor.ID, 8)
		p.Nickname, p.Address.Country, p.UpdatedAt = "Moved "+token(actor), "NZ", at(600)
		return p
	}
	return []isolationOp{
		{name: "move the tenant", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			appendOwnership(t, s, actor.ID, "prt_moved", at(600))
		}},
		{name: "replace the customer profile", changes: true, act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			if err := s.PutCustomerProfile(t.Context(), profile(actor)); err != nil {
				t.Fatalf("PutCustomerProfile: got error %v, want nil", err)
			}
		}},
		{name: "list one reseller's customers", act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			for _, f := range []reseller.CustomerFilter{
				{Under: actor.OwnerID, IncludeDeleted: true},
				{Query: token(actor), IncludeDeleted: true},
			} {
				f.Page = core.PageRequest{Page: 1, Limit: core.DefaultLimit}
				got, total, err := s.ListCustomers(t.Context(), f)
				if err != nil || total != 1 || len(got) != 1 || got[0].Tenant.ID != actor.ID || got[0].Profile == nil || got[0].Profile.TenantID != actor.ID {
					t.Errorf("ListCustomers(%+v): got %+v of %d, %v; want only %s with its profile", f, got, total, err, actor.ID)
				}
			}
		}},
		{name: "reseller writes rolled back", act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			err := s.InTx(t.Context(), func(tx store.Store) error {
				appendOwnership(t, tx, actor.ID, "prt_never", at(600))
				if err := tx.PutCustomerProfile(t.Context(), profile(actor)); err != nil {
					t.Errorf("PutCustomerProfile: got error %v, want nil", err)
				}
				return errSentinel
			})
			if !errors.Is(err, errSentinel) {
				t.Fatalf("InTx: got error %v, want %v", err, errSentinel)
			}
		}},
	}
}

// testResellerListAfter walks a list with keyset pages (Filter.After) while
// partners before the cursor enter and leave the filter and a new one is
// created before it: every partner is seen once, in order, where offset
// pages would repeat one and skip another. Then single keyset pages: ties
// on the time broken by the ID, microseconds, other zones, a name query,
// deleted ones, a total that ignores After, and page 2 with After refused.
func testResellerListAfter(t *testing.T, s store.Store) {
	t0 := at(100) // a time with microseconds
	us := time.Microsecond
	mk := func(id string, at time.Time, status reseller.Status) reseller.Reseller {
		r := resellerFixture(reseller.KindPartner, 1, "dist_k0")
		if id[:5] == "dist_" {
			r = resellerFixture(reseller.KindDistributor, 1, "")
		}
		r.ID, r.Name, r.Status, r.CreatedAt, r.UpdatedAt = id, "Keyset "+id, status, at, at
		return r
	}
	active := reseller.StatusActive
	// Created out of list order (the distributor first); four share t0
	// (the ID breaks the tie), two t0+1µs.
	createResellers(t, s,
		mk("dist_k0", t0.Add(-time.Hour), active),
		mk("prt_kc02", t0.Add(time.Minute), active),
		mk("prt_ka03", t0, active),
		mk("prt_kb02", t0.Add(us), active),
		mk("prt_ka01", t0, active),
		mk("prt_kb01", t0.Add(-us), reseller.StatusSuspended),
		mk("prt_ka02", t0, active),
		mk("dist_kb00", t0.Add(us), active),
		mk("prt_kd02", t0.Add(3*time.Minute), active),
		mk("prt_kd01", t0.Add(2*time.Minute), active),
		mk("prt_kc01", t0.Add(time.Minute), active),
	)
	change := func(id string, fn func(*reseller.Reseller)) {
		t.Helper()
		if _, err := s.UpdateReseller(t.Context(), id, func(r reseller.Reseller) (reseller.Reseller, error) {
			fn(&r)
			return r, nil
		}); err != nil {
			t.Fatalf("UpdateReseller(%s): got error %v, want nil", id, err)
		}
	}
	// The walk: pages of 2 of the distributor's active partners. After
	// page 1 a suspended one before the cursor is reactivated; after page
	// 2 one before it is suspended and one deleted; after page 3 one is
	// created before it.
	changes := map[int]func(){
		1: func() { change("prt_kb01", func(r *reseller.Reseller) { r.Status = active }) },
		2: func() {
			change("prt_ka01", func(r *reseller.Reseller) { r.Status = reseller.StatusSuspended })
			change("prt_ka03", func(r *reseller.Reseller) { r.DeletedAt = timePtr(at(200)) })
		},
		3: func() { createResellers(t, s, mk("prt_ka00", t0.Add(-time.Minute), active)) },
	}
	partners := reseller.Filter{Kind: reseller.KindPartner, DistributorID: "dist_k0", Status: active}
	walked := keysetWalk(t, 2, func(pr core.PageRequest, after *core.ListKey) ([]reseller.Reseller, int, error) {
		f := partners
		f.Page, f.After = pr, after
		return s.ListResellers(t.Context(), f)
	}, reseller.Reseller.ListKey, func(r reseller.Reseller) string { return r.ID }, func(pg int, r reseller.Reseller) {
		want, err := s.GetReseller(t.Context(), r.ID)
		if err != nil {
			t.Fatalf("GetReseller(%s): got error %v, want nil", r.ID, err)
		}
		if d := cmp.Diff(want, r); d != "" {
			t.Errorf("walk page %d: reseller %s mismatch (-want +got):\n%s", pg, r.ID, d)
		}
	}, changes, []int{8, 9, 7, 8, 8})
	want := []string{"prt_ka01", "prt_ka02", "prt_ka03", "prt_kb02", "prt_kc01", "prt_kc02", "prt_kd01", "prt_kd02"}
	if fmt.Sprint(walked) != fmt.Sprint(want) {
		t.Errorf("walk: got %v, want %v (each once, in order)", walked, want)
	}

	// Now, not deleted: dist_k0 (t0-1h), prt_ka00 (t0-1m), prt_kb01
	// (t0-1µs), prt_ka01 (suspended), prt_ka02 (t0), dist_kb00, prt_kb02
	// (t0+1µs), prt_kc01, prt_kc02, prt_kd01, prt_kd02; prt_ka03 (t0) is
	// deleted.
	for _, tc := range []struct {
		name  string
		f     reseller.Filter
		want  []string
		total int
	}{
		{"a tie broken by ID", reseller.Filter{After: afterKey(t0, "prt_ka01"), Page: firstPage(20)}, []string{"prt_ka02", "dist_kb00", "prt_kb02", "prt_kc01", "prt_kc02", "prt_kd01", "prt_kd02"}, 11},
		{"deleted too", reseller.Filter{IncludeDeleted: true, After: afterKey(t0, "prt_ka02"), Page: firstPage(2)}, []string{"prt_ka03", "dist_kb00"}, 12},
		{"before a time's first ID", reseller.Filter{After: afterKey(t0, ""), Page: firstPage(3)}, []string{"prt_ka01", "prt_ka02", "dist_kb00"}, 11},
		{"a microsecond later", reseller.Filter{After: afterKey(t0.Add(us), ""), Page: firstPage(2)}, []string{"dist_kb00", "prt_kb02"}, 11},
		{"an ID past a time's last", reseller.Filter{After: afterKey(t0, "prt_kz"), Page: firstPage(1)}, []string{"dist_kb00"}, 11},
		{"in another zone", reseller.Filter{Kind: reseller.KindPartner, Status: active, After: afterKey(t0.In(time.FixedZone("X", -5*3600)), "prt_ka02"), Page: core.PageRequest{Limit: 20}}, []string{"prt_kb02", "prt_kc01", "prt_kc02", "prt_kd01", "prt_kd02"}, 8},
		{"distributors", reseller.Filter{Kind: reseller.KindDistributor, After: afterKey(t0.Add(-time.Hour), "dist_k0"), Page: firstPage(20)}, []string{"dist_kb00"}, 2},
		{"a name query", reseller.Filter{Query: "keyset PRT_KC", After: afterKey(t0.Add(time.Minute), "prt_kc01"), Page: firstPage(20)}, []string{"prt_kc02"}, 2},
		{"after the last", reseller.Filter{After: afterKey(t0.Add(3*time.Minute), "prt_kd02"), Page: firstPage(20)}, []string{}, 11},
		{"the zero key starts at the first", reseller.Filter{Kind: reseller.KindPartner, Status: active, After: &core.ListKey{}, Page: firstPage(2)}, []string{"prt_ka00", "prt_kb01"}, 8},
	} {
		got, total, err := s.ListResellers(t.Context(), tc.f)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tc.name, err)
			continue
		}
		if fmt.Sprint(resellerIDs(got)) != fmt.Sprint(tc.want) || total != tc.total {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tc.name, resellerIDs(got), total, tc.want, tc.total)
		}
	}

	_, _, err := s.ListResellers(t.Context(), reseller.Filter{After: afterKey(t0, ""), Page: core.PageRequest{Page: 2, Limit: 2}})
	wantPageField(t, "ListResellers with After and page 2", err)
}
