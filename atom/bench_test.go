package atom_test

import (
	"testing"

	"github.com/atomixplatform/atomix/atom"
)

func BenchmarkValidateCatalog(b *testing.B) {
	for _, bc := range []struct {
		name        string
		schemaEvery int
	}{
		{"constraints_and_cycles", 0},
		{"with_schemas_on_1_in_10", 10},
	} {
		b.Run(bc.name, func(b *testing.B) {
			atoms := genCatalog(bc.schemaEvery)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := atom.NewCatalog(atoms); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(atoms)), "versions")
		})
	}
}

func BenchmarkResolveInstall(b *testing.B) {
	c := mustCatalog(b, genCatalog(0))
	for _, bc := range []struct {
		name      string
		installed atom.Installed
		atomID    string
	}{
		{"empty_tenant_chain_top", atom.Installed{}, genID(7, 0, 3)},
		// ~500 installed atoms, and the new atom's closure overlaps them
		{"tenant_with_500_overlapping", installRoots(b, c, 1, 2, 3), genID(2, 0, 5)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var p *atom.Plan
			b.ReportAllocs()
			for b.Loop() {
				var err error
				p, err = c.PlanInstall(bc.installed, atom.InstallRequest{AtomID: bc.atomID})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(p.Install)), "installed/op")
			b.ReportMetric(float64(len(bc.installed)), "tenant-atoms")
		})
	}
}

func BenchmarkUninstallOrphanSweep(b *testing.B) {
	c := mustCatalog(b, genCatalog(0))
	in := installRoots(b, c, 1, 2, 3)
	var p *atom.Plan
	b.ReportAllocs()
	for b.Loop() {
		var err error
		p, err = c.PlanUninstall(in, atom.UninstallRequest{AtomID: genID(2, 0, 0)})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(in)), "tenant-atoms")
	b.ReportMetric(float64(len(p.RemoveDependencies)), "orphans/op")
}
