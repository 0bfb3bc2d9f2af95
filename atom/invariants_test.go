package atom_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
)

// checkConsistent fails unless every installed atom's dependencies are
// installed (or built in) at versions its constraints allow, and every
// dependency installation is needed by an explicit one.
func checkConsistent(t *testing.T, c *atom.Catalog, in atom.Installed) {
	t.Helper()
	needs := map[string][]string{}
	for id, ia := range in {
		a, err := c.Get(id, ia.Version)
		if err != nil {
			t.Fatalf("installed %s %s: %v", id, ia.Version, err)
		}
		for _, d := range a.Dependencies {
			k, err := atom.ParseConstraint(d.Constraint)
			if err != nil {
				t.Fatal(err)
			}
			latest, err := c.Latest(d.AtomID)
			if err != nil {
				t.Fatal(err)
			}
			if latest.Builtin {
				if !k.Allows(latest.Version) {
					t.Errorf("%s %s needs %s, which built-in %s does not satisfy", id, ia.Version, d, latest.Version)
				}
				continue
			}
			got, ok := in[d.AtomID]
			if !ok {
				t.Errorf("%s %s needs %s, which is not installed (state %v)", id, ia.Version, d, in)
				continue
			}
			if !k.Allows(got.Version) {
				t.Errorf("%s %s needs %s, but %s is installed (state %v)", id, ia.Version, d, got.Version, in)
			}
			needs[id] = append(needs[id], d.AtomID)
		}
	}
	reached := map[string]bool{}
	var stack []string
	for id, ia := range in {
		if ia.Mode == atom.ModeExplicit {
			reached[id] = true
			stack = append(stack, id)
		}
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, n := range needs[id] {
			if !reached[n] {
				reached[n] = true
				stack = append(stack, n)
			}
		}
	}
	for id := range in {
		if !reached[id] {
			t.Errorf("dependency installation %s is needed by no explicit one (state %v)", id, in)
		}
	}
}

// checkNoDowngrade fails when an atom installed both before and after moved
// to an older version.
func checkNoDowngrade(t *testing.T, before, after atom.Installed) {
	t.Helper()
	for id, a := range after {
		b, ok := before[id]
		if !ok {
			continue
		}
		if semver.MustParse(a.Version).LessThan(semver.MustParse(b.Version)) {
			t.Errorf("%s moved from %s down to %s", id, b.Version, a.Version)
		}
	}
}

// randomOps applies n random installs, upgrades and uninstalls to a tenant,
// checking every plan and refusal.
func randomOps(t *testing.T, c *atom.Catalog, ids []string, n int, seed uint32) (applied int) {
	rnd := func(k int) int {
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		return int(seed % uint32(k))
	}
	refusals := map[core.Code]bool{
		core.AtomDependencyConflict: true, core.AtomAlreadyInstalled: true, core.AtomHasDependents: true,
		core.AtomNotInstalled: true, core.AtomDowngrade: true, core.AtomVersionNotFound: true,
	}
	state := atom.Installed{}
	for i := 0; i < n; i++ {
		id := ids[rnd(len(ids))]
		versions, err := c.Versions(id)
		if err != nil {
			t.Fatal(err)
		}
		version := ""
		switch rnd(4) {
		case 1:
			version = versions[rnd(len(versions))].Version
		case 2:
			version = "^" + versions[rnd(len(versions))].Version
		}
		var p *atom.Plan
		op := rnd(3)
		switch op {
		case 0:
			p, err = c.PlanInstall(state, atom.InstallRequest{AtomID: id, Version: version, NoUpgrade: rnd(4) == 0})
		case 1:
			p, err = c.PlanUpgrade(state, atom.UpgradeRequest{AtomID: id, Version: version, KeepOrphans: rnd(2) == 0})
		default:
			p, err = c.PlanUninstall(state, atom.UninstallRequest{AtomID: id, Cascade: rnd(2) == 0, KeepOrphans: rnd(3) == 0})
		}
		what := fmt.Sprintf("op %d (%d on %s %q) from %v", i, op, id, version, state)
		if err != nil {
			if !refusals[core.ErrorCode(err)] {
				t.Fatalf("%s: got error %v, want a plan or a refusal", what, err)
			}
			continue
		}
		checkConsistent(t, c, p.After)
		checkNoDowngrade(t, state, p.After)
		if n, err := c.SlotsUsed(p.After); err != nil || n != p.SlotsAfter {
			t.Errorf("%s: SlotsUsed(After) = %d, %v, want %d", what, n, err, p.SlotsAfter)
		}
		switch op {
		case 0:
			if p.After[id].Mode != atom.ModeExplicit {
				t.Errorf("%s: got %s %+v after installing it, want explicit", what, id, p.After[id])
			}
		case 2:
			if _, ok := p.After[id]; ok {
				t.Errorf("%s: %s still installed after uninstalling it", what, id)
			}
		}
		if p.NoOp && len(p.After) != len(state) {
			t.Errorf("%s: a no-op changed the tenant to %v", what, p.After)
		}
		state = p.After
		applied++
	}
	return applied
}

func TestRandomOperationsKeepTenantsConsistent(t *testing.T) {
	c := demo(t)
	var ids []string
	for _, a := range c.List(atom.Filter{}) {
		if !a.Builtin {
			ids = append(ids, a.ID)
		}
	}
	total := 0
	for seed := uint32(1); seed <= 20; seed++ {
		total += randomOps(t, c, ids, 60, seed)
	}
	if total < 300 {
		t.Errorf("got %d plans applied out of 1200 operations, want at least 300 so the test means something", total)
	}
}

func TestGeneratedCatalogOperations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the 10,000-atom catalog")
	}
	c := mustCatalog(t, genCatalog(0))
	var ids []string
	for _, g := range []int{4, 9} {
		for l := 0; l < genLayers; l += 3 {
			for w := 0; w < genWidth; w += 4 {
				ids = append(ids, genID(g, l, w))
			}
		}
	}
	slices.Sort(ids)
	if n := randomOps(t, c, ids, 80, 7); n < 20 {
		t.Errorf("got %d plans applied, want at least 20", n)
	}
	// Installing a whole chain and removing it leaves nothing.
	in := installRoots(t, c, 11)
	if len(in) < 100 {
		t.Errorf("got %d atoms in a chain's closure, want over 100", len(in))
	}
	checkConsistent(t, c, in)
	p, err := c.PlanUninstall(in, atom.UninstallRequest{AtomID: genID(11, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.After) != 0 || len(p.RemoveDependencies) != len(in)-1 {
		t.Errorf("got %d left and %d removed as orphans, want 0 and %d", len(p.After), len(p.RemoveDependencies), len(in)-1)
	}
}
