package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// TestListPastStatementCache runs more distinct list statements than the
// SQLite store keeps prepared (each length of an owner list is a new
// text), twice over, and checks every answer against the memory store:
// statements past the cache's bound run unprepared, cached ones reused.
func TestListPastStatementCache(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, b.dsn(t))
			ref := memory.New()
			rng := rand.New(rand.NewPCG(3, 4))
			for i := range 30 {
				tn := mixTenant(i, rng)
				if err := s.CreateTenant(ctx, tn); err != nil {
					t.Fatal(err)
				}
				if err := ref.CreateTenant(ctx, tn); err != nil {
					t.Fatal(err)
				}
			}
			for round := range 2 {
				for n := 1; n <= 300; n++ {
					owners := make([]string, n)
					for i := range owners {
						owners[i] = fmt.Sprintf("dist_none%d", i)
					}
					owners[n-1] = []string{"dist_a", "prt_b"}[n%2]
					f := tenant.Filter{OwnerIDs: owners, Page: core.PageRequest{Page: 1, Limit: 1 + n%7}}
					want, wantTotal, err := ref.ListTenants(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					got, total, err := s.ListTenants(ctx, f)
					if err != nil {
						t.Fatalf("round %d, %d owners: got error %v, want nil", round, n, err)
					}
					if total != wantTotal {
						t.Errorf("round %d, %d owners: got total %d, want %d", round, n, total, wantTotal)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("round %d, %d owners: mismatch (-memory +sql):\n%s", round, n, diff)
					}
				}
			}
		})
	}
}
