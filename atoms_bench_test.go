package atomix_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// BenchmarkInstallUninstall measures the workflows with their store: each
// op installs atom_crm (with atom_notification) for a tenant and
// uninstalls it again (removing atom_notification), each in its own
// transaction.
func BenchmarkInstallUninstall(b *testing.B) {
	type backend struct {
		name string
		open func(b *testing.B) store.Store
	}
	cases := []backend{
		{"memory", func(b *testing.B) store.Store {
			s := memory.New()
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"sqlite", func(b *testing.B) store.Store {
			return openSQL(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
		}},
	}
	if dsn := os.Getenv("ATOMIX_TEST_POSTGRES_DSN"); dsn != "" {
		cases = append(cases, backend{"postgres", func(b *testing.B) store.Store { return openSQL(b, postgresSchema(b, dsn)) }})
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			ctx := atomix.AsSystem(context.Background())
			st := bc.open(b)
			p, err := atomix.New(st)
			if err != nil {
				b.Fatal(err)
			}
			publishDemo(b, p)
			out, err := p.CreateTenant(ctx, atomix.CreateTenantInput{Name: "Bench", Subdomain: "bench",
				Contact: tenant.Contact{Name: "Jane Roe", Email: "jane@bench.example.com"}, InitialAtoms: []string{"atom_wireframe"}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.InstallAtom(ctx, out.Tenant.ID, atomix.InstallAtomInput{AtomID: "atom_crm"}); err != nil {
					b.Fatal(err)
				}
				if _, err := p.UninstallAtom(ctx, out.Tenant.ID, "atom_crm", atomix.AtomUninstall{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
