package memory_test

import (
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// benchTenants is the number of tenants the benchmarks store.
const benchTenants = 10_000

// benchStore returns a store holding benchTenants tenants with every
// status in turn.
func benchStore(b *testing.B) *memory.Store {
	b.Helper()
	s := memory.New()
	for n := range benchTenants {
		if err := s.CreateTenant(b.Context(), sample(n)); err != nil {
			b.Fatalf("CreateTenant: got error %v, want nil", err)
		}
	}
	return s
}

// BenchmarkMemoryListTenants lists a page of 20 with its total over 10,000
// tenants: unfiltered, by status, on a page deep in the list, and with a
// name query.
func BenchmarkMemoryListTenants(b *testing.B) {
	s := benchStore(b)
	cases := []struct {
		name  string
		f     tenant.Filter
		total int
	}{
		{"all", tenant.Filter{}, benchTenants},
		{"status", tenant.Filter{Status: tenant.StatusActive}, benchTenants / 4},
		{"deep-page", tenant.Filter{Page: core.PageRequest{Page: 400}}, benchTenants},
		{"query", tenant.Filter{Query: "TENANT 99"}, 111},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f := c.f
			if f.Page.Page == 0 {
				f.Page.Page = 1
			}
			f.Page.Limit = 20
			b.ReportAllocs()
			for b.Loop() {
				items, total, err := s.ListTenants(b.Context(), f)
				if err != nil || total != c.total || len(items) != 20 {
					b.Fatalf("ListTenants: got %d items, total %d, error %v; want 20, %d, nil", len(items), total, err, c.total)
				}
			}
		})
	}
}

// BenchmarkMemoryGetTenant reads one tenant by ID among 10,000.
func BenchmarkMemoryGetTenant(b *testing.B) {
	s := benchStore(b)
	id := sample(benchTenants / 2).ID
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetTenant(b.Context(), id); err != nil {
			b.Fatalf("GetTenant: got error %v, want nil", err)
		}
	}
}
