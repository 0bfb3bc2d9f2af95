package atom_test

import (
	"fmt"
	"testing"

	"github.com/atomixplatform/atomix/atom"
)

// Shape of the generated benchmark catalog: groups of genLayers layers of
// genWidth atoms; each version of an atom in layer l depends on 2 or 3
// atoms of layer l+1 of its group, so chains are genLayers deep.
const (
	genLayers   = 20
	genWidth    = 10
	genGroups   = 50 // 50 * 20 * 10 = 10,000 atoms
	genVersions = 3
)

var genVersionNames = [genVersions]string{"1.0.0", "1.1.0", "2.0.0"}

// genConstraints are the constraints a version of each line puts on its
// dependencies; every one is satisfiable by the generated versions, and
// the newest choices always fit together.
var genConstraints = [genVersions][]string{
	{"^1.0", "1.0.0 - 1.1.0", ""},
	{"^1.0", "~1.1", ">=1.0.0, <2.0.0"},
	{"^2.0", ">=1.1.0", ""},
}

func genID(g, l, w int) string { return fmt.Sprintf("atom_g%02d_l%02d_w%02d", g, l, w) }

// genCatalog returns the atoms of the deterministic benchmark catalog, with
// a config schema on every schemaEvery-th atom (0: none).
func genCatalog(schemaEvery int) []atom.Atom {
	atoms := make([]atom.Atom, 0, genGroups*genLayers*genWidth*genVersions)
	seed := uint32(1)
	rnd := func(n int) int { // xorshift: deterministic, no global state
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		return int(seed % uint32(n))
	}
	n := 0
	for g := 0; g < genGroups; g++ {
		for l := 0; l < genLayers; l++ {
			for w := 0; w < genWidth; w++ {
				n++
				id := genID(g, l, w)
				perm := fmt.Sprintf("res%05d", n)
				var schema []byte
				if schemaEvery > 0 && n%schemaEvery == 0 {
					schema = fmt.Appendf(nil, `{"type":"object","properties":{"p%d":{"type":"string","maxLength":%d},"enabled":{"type":"boolean"}},"additionalProperties":false}`, n, 10+n%50)
				}
				for v := 0; v < genVersions; v++ {
					a := atom.Atom{
						ID: id, Name: fmt.Sprintf("Generated %d", n), Version: genVersionNames[v],
						Category:     []string{"sales", "productivity", "analytics", "communication"}[n%4],
						Description:  "generated for benchmarks",
						Features:     []string{"f1", "f2"},
						Pricing:      atom.Pricing{Type: atom.PricingIncluded, AtomSlots: 1},
						Permissions:  []string{perm + ":view", perm + ":*"},
						ConfigSchema: schema,
					}
					if l < genLayers-1 {
						k := 2 + rnd(2)
						first := rnd(genWidth)
						for j := 0; j < k; j++ {
							cs := genConstraints[v]
							a.Dependencies = append(a.Dependencies, atom.Dependency{
								AtomID:     genID(g, l+1, (first+j*3)%genWidth),
								Constraint: cs[rnd(len(cs))],
							})
						}
					}
					atoms = append(atoms, a)
				}
			}
		}
	}
	return atoms
}

func mustCatalog(tb testing.TB, atoms []atom.Atom) *atom.Catalog {
	tb.Helper()
	c, err := atom.NewCatalog(atoms)
	if err != nil {
		tb.Fatalf("NewCatalog: got error %v, want none", err)
	}
	return c
}

// installRoots installs the layer-0 atom 0 of each given group, in order,
// applying each plan, and returns the tenant's installations.
func installRoots(tb testing.TB, c *atom.Catalog, groups ...int) atom.Installed {
	tb.Helper()
	in := atom.Installed{}
	for _, g := range groups {
		p, err := c.PlanInstall(in, atom.InstallRequest{AtomID: genID(g, 0, 0)})
		if err != nil {
			tb.Fatalf("PlanInstall(%s): got error %v, want none", genID(g, 0, 0), err)
		}
		in = p.After
	}
	return in
}
