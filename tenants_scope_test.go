package atomix_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// countingStore counts the reads a distributor's tenant list makes.
type countingStore struct {
	store.Store
	listTenants, getReseller atomic.Int64
}

func (s *countingStore) ListTenants(ctx context.Context, f tenant.Filter) ([]tenant.Tenant, int, error) {
	s.listTenants.Add(1)
	return s.Store.ListTenants(ctx, f)
}

func (s *countingStore) GetReseller(ctx context.Context, id string) (reseller.Reseller, error) {
	s.getReseller.Add(1)
	return s.Store.GetReseller(ctx, id)
}

// TestDistributorListTenants checks that a distributor's tenant list is
// one indexed read of the tenants its tree owns (tenant.Filter.OwnerIDs),
// not a scan of every tenant with a reseller lookup each; and that it
// lists exactly its tree's tenants, paged, with their total.
func TestDistributorListTenants(t *testing.T) {
	st := &countingStore{Store: memory.New()}
	t.Cleanup(func() { _ = st.Close() })
	p, err := atomix.New(st)
	if err != nil {
		t.Fatal(err)
	}
	sys := atomix.AsSystem(context.Background())
	rs := p.Resellers()
	d := rsMust[reseller.Reseller](t, "distributor")(rs.CreateDistributor(sys, rsInput("Dist Co")))
	d2 := rsMust[reseller.Reseller](t, "distributor")(rs.CreateDistributor(sys, rsInput("Other Dist")))
	under := func(dist, name string) reseller.Reseller {
		in := rsInput(name)
		in.DistributorID = dist
		return rsMust[reseller.Reseller](t, "partner")(rs.CreatePartner(sys, in))
	}
	p1, p2, q := under(d.ID, "Part One"), under(d.ID, "Part Two"), under(d2.ID, "Part Q")
	direct := rsMust[reseller.Reseller](t, "partner")(rs.CreatePartner(sys, rsInput("Direct Co")))
	var want []string
	for i, owner := range []string{d.ID, p1.ID, "", q.ID, p2.ID, direct.ID, p1.ID, d2.ID} {
		out, err := p.CreateTenant(sys, atomix.CreateTenantInput{Name: "Tenant " + string(rune('a'+i)), Subdomain: "tenant-" + string(rune('a'+i)),
			OwnerID: owner, Contact: tenant.Contact{Name: "Jane Roe", Email: "jane" + string(rune('a'+i)) + "@example.com"}})
		if err != nil {
			t.Fatalf("CreateTenant %d: %v", i, err)
		}
		if owner == d.ID || owner == p1.ID || owner == p2.ID {
			want = append(want, out.Tenant.ID)
		}
	}
	ctx := access.WithActor(context.Background(), access.Actor{Kind: access.ActorUser, ID: "usr_dist", Role: "distributor_admin",
		Scope: access.Scope{Kind: access.ScopeDistributor, ID: d.ID}, Perms: access.MustCompile(atomix.RolePermissions("distributor_admin")...)})

	tests := []struct {
		name string
		q    tenant.ListQuery
		want []string
	}{
		{"all", tenant.ListQuery{}, want},
		{"page 2 of 3", tenant.ListQuery{Page: core.PageRequest{Page: 2, Limit: 3}}, want[3:]},
		{"one partner", tenant.ListQuery{OwnerID: p1.ID}, []string{want[1], want[3]}},
		{"an owner outside", tenant.ListQuery{OwnerID: q.ID}, nil},
	}
	for _, tt := range tests {
		st.listTenants.Store(0)
		st.getReseller.Store(0)
		pg, err := p.ListTenants(ctx, tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, tn := range pg.Items {
			got = append(got, tn.ID)
		}
		wantTotal := len(want)
		if tt.q.OwnerID != "" {
			wantTotal = len(tt.want)
		}
		if !slices.Equal(got, tt.want) || pg.Total != wantTotal {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tt.name, got, pg.Total, tt.want, wantTotal)
		}
		if n, m := st.listTenants.Load(), st.getReseller.Load(); n != 1 || m != 0 {
			t.Errorf("%s: got %d tenant reads and %d reseller reads, want 1 and 0", tt.name, n, m)
		}
	}
}
