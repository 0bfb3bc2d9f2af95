package atom

import (
	"fmt"
	"slices"
	"strings"

	"github.com/atomixplatform/atomix/core"
)

// UninstallRequest asks PlanUninstall to remove one atom.
type UninstallRequest struct {
	AtomID string
	// Cascade removes the installed atoms depending on AtomID too, instead
	// of refusing.
	Cascade bool
	// KeepOrphans keeps, as explicit installations, the dependency
	// installations nothing needs after the removal, instead of removing
	// them.
	KeepOrphans bool
}

// Dependent is an installed atom that depends, directly or through other
// installed atoms, on another one.
type Dependent struct {
	AtomID  string `json:"atomId"`
	Version string `json:"version"`
	Mode    Mode   `json:"mode"`
	// Chain is the path of needs from this atom to the one depended on,
	// each "id version": ["atom_campaign 1.1.0", "atom_crm 1.5.0",
	// "atom_notification 1.3.0"].
	Chain []string `json:"chain"`
}

// Dependents returns the installed atoms that depend on atomID, directly or
// through others, each with its shortest chain of needs, ordered by chain
// length and then id. atomID may be a built-in atom.
// Errors: core.AtomNotFound; core.AtomNotInstalled; those of SlotsUsed for a
// bad installed.
func (c *Catalog) Dependents(installed Installed, atomID string) ([]Dependent, error) {
	e, err := c.entry(atomID)
	if err != nil {
		return nil, err
	}
	t, err := c.tenant(installed)
	if err != nil {
		return nil, err
	}
	ei := c.byID[e.id]
	if _, ok := t[ei]; !ok && !e.builtin {
		return nil, core.Errorf(core.AtomNotInstalled, "%s is not installed", e.id)
	}
	return c.dependents(t, ei), nil
}

// dependents walks the installed graph backwards from ei, breadth first,
// so each dependent gets a shortest chain.
func (c *Catalog) dependents(t tenantState, ei int32) []Dependent {
	rev := make(map[int32][]int32)
	for src, in := range t {
		for _, d := range c.entries[src].versions[in.vi].deps {
			if _, ok := t[d.target]; ok || d.target == ei {
				rev[d.target] = append(rev[d.target], src)
			}
		}
	}
	next := make(map[int32]int32) // dependent -> the atom it needs on the way to ei
	queue := []int32{ei}
	for h := 0; h < len(queue); h++ {
		srcs := rev[queue[h]]
		slices.Sort(srcs) // deterministic chains
		for _, src := range srcs {
			if _, seen := next[src]; seen || src == ei {
				continue
			}
			next[src] = queue[h]
			queue = append(queue, src)
		}
	}
	out := make([]Dependent, 0, len(queue)-1)
	for _, src := range queue[1:] {
		var chain []string
		for cur := src; ; cur = next[cur] {
			chain = append(chain, c.nameIn(t, cur))
			if cur == ei {
				break
			}
		}
		e := &c.entries[src]
		in := t[src]
		out = append(out, Dependent{AtomID: e.id, Version: e.versions[in.vi].atom.Version, Mode: in.mode, Chain: chain})
	}
	slices.SortStableFunc(out, func(a, b Dependent) int {
		if len(a.Chain) != len(b.Chain) {
			return len(a.Chain) - len(b.Chain)
		}
		return strings.Compare(a.AtomID, b.AtomID)
	})
	return out
}

// nameIn is "id version" of an installed atom, or of a built-in one at its
// running version.
func (c *Catalog) nameIn(t tenantState, ei int32) string {
	e := &c.entries[ei]
	if in, ok := t[ei]; ok {
		return e.id + " " + e.versions[in.vi].atom.Version
	}
	return e.id + " " + e.versions[e.latest].atom.Version
}

// PlanUninstall plans removing req.AtomID from a tenant. It refuses while
// installed atoms depend on it, unless req.Cascade, which removes them too.
// Dependency installations nothing needs afterwards are removed as well
// (RemoveDependencies), or kept as explicit ones with req.KeepOrphans.
// Errors: core.AtomNotFound; core.AtomBuiltin; core.AtomNotInstalled;
// core.AtomHasDependents, naming each dependent and its chain (Dependents
// returns them as data); those of SlotsUsed for a bad installed.
func (c *Catalog) PlanUninstall(installed Installed, req UninstallRequest) (*Plan, error) {
	e, err := c.entry(req.AtomID)
	if err != nil {
		return nil, err
	}
	if e.builtin {
		return nil, core.Errorf(core.AtomBuiltin, "%s is built in: every tenant has it, and it is never removed", e.id)
	}
	t, err := c.tenant(installed)
	if err != nil {
		return nil, err
	}
	ei := c.byID[e.id]
	in, ok := t[ei]
	if !ok {
		return nil, core.Errorf(core.AtomNotInstalled, "%s is not installed, so there is nothing to uninstall", e.id)
	}
	name := c.nameIn(t, ei)
	deps := c.dependents(t, ei)
	if len(deps) > 0 && !req.Cascade {
		return nil, hasDependents(name, deps)
	}
	p := c.newPlan(OpUninstall, e, in.vi, t)
	after := make(tenantState, len(t))
	for k, v := range t {
		after[k] = v
	}
	for _, d := range deps {
		di := c.byID[d.AtomID]
		delete(after, di)
		p.Remove = append(p.Remove, Step{AtomID: d.AtomID, Version: d.Version, Mode: d.Mode,
			AtomSlots: c.entries[di].versions[t[di].vi].atom.Pricing.AtomSlots,
			Reason:    "depends on " + name + " (" + strings.Join(d.Chain, " -> ") + "); removed by cascade"})
	}
	delete(after, ei)
	p.Remove = append(p.Remove, Step{AtomID: e.id, Version: e.versions[in.vi].atom.Version, Mode: in.mode,
		AtomSlots: e.versions[in.vi].atom.Pricing.AtomSlots, Reason: "asked for"})
	// dependents before the atoms they need
	slices.SortStableFunc(p.Remove, func(a, b Step) int { return int(c.entries[c.byID[a.AtomID]].topo - c.entries[c.byID[b.AtomID]].topo) })
	c.sweep(after, p, req.KeepOrphans)
	p.SlotsAfter = c.slots(after)
	p.After = c.installed(after)
	var b strings.Builder
	fmt.Fprintf(&b, "uninstall %s", name)
	if len(deps) > 0 {
		fmt.Fprintf(&b, " and, by cascade, %s", stepNames(p.Remove[:len(p.Remove)], e.id))
	}
	if len(p.RemoveDependencies) > 0 {
		fmt.Fprintf(&b, "; removing the unneeded %s", stepNames(p.RemoveDependencies, ""))
	}
	if len(p.Promote) > 0 {
		fmt.Fprintf(&b, "; keeping as explicit the unneeded %s", stepNames(p.Promote, ""))
	}
	fmt.Fprintf(&b, " (%d atom slots in use after, %d before)", p.SlotsAfter, p.SlotsBefore)
	p.Summary = b.String()
	return p, nil
}

func stepNames(steps []Step, skip string) string {
	parts := make([]string, 0, len(steps))
	for _, s := range steps {
		if s.AtomID != skip {
			parts = append(parts, s.AtomID+" "+s.Version)
		}
	}
	return strings.Join(parts, ", ")
}

func hasDependents(name string, deps []Dependent) error {
	var b strings.Builder
	id, _, _ := strings.Cut(name, " ")
	if len(deps) == 1 {
		d := deps[0]
		fmt.Fprintf(&b, "%s cannot be uninstalled: %s %s depends on it (%s). Uninstall %s first, or ask for cascade to remove it too.",
			name, d.AtomID, d.Version, strings.Join(d.Chain, " -> "), d.AtomID)
		return &core.Error{Code: core.AtomHasDependents, Message: b.String()}
	}
	fmt.Fprintf(&b, "%s cannot be uninstalled: %d installed atoms depend on it: ", name, len(deps))
	for i, d := range deps {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s (%s)", d.AtomID, d.Version, strings.Join(d.Chain, " -> "))
	}
	fmt.Fprintf(&b, ". Uninstall them first, or ask for cascade to remove them with %s.", id)
	return &core.Error{Code: core.AtomHasDependents, Message: b.String()}
}

// sweep finds the dependency installations of after that no explicit one
// needs, through any chain, and removes them from after (listing them in
// p.RemoveDependencies) or, with keep, makes explicit those that no other
// orphan needs (p.Promote), which keeps the rest needed.
func (c *Catalog) sweep(after tenantState, p *Plan, keep bool) {
	reached := make(map[int32]bool, len(after))
	stack := make([]int32, 0, len(after))
	for ei, in := range after {
		if in.mode == ModeExplicit {
			reached[ei] = true
			stack = append(stack, ei)
		}
	}
	for len(stack) > 0 {
		ei := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range c.entries[ei].versions[after[ei].vi].deps {
			if _, ok := after[d.target]; ok && !reached[d.target] {
				reached[d.target] = true
				stack = append(stack, d.target)
			}
		}
	}
	if len(reached) == len(after) {
		return
	}
	var orphans []int32
	for ei := range after {
		if !reached[ei] {
			orphans = append(orphans, ei)
		}
	}
	// dependents before the atoms they need
	slices.SortFunc(orphans, func(a, b int32) int { return int(c.entries[a].topo - c.entries[b].topo) })
	var top map[int32]bool // with keep: the orphans no other orphan needs
	if keep {
		top = make(map[int32]bool, len(orphans))
		for _, ei := range orphans {
			top[ei] = true
		}
		for _, ei := range orphans {
			for _, d := range c.entries[ei].versions[after[ei].vi].deps {
				delete(top, d.target)
			}
		}
	}
	for _, ei := range orphans {
		e := &c.entries[ei]
		in := after[ei]
		a := e.versions[in.vi].atom
		if keep {
			if !top[ei] {
				continue // stays a dependency of a kept one
			}
			after[ei] = inst{vi: in.vi, mode: ModeExplicit}
			p.Promote = append(p.Promote, Step{AtomID: e.id, Version: a.Version, Mode: ModeExplicit, AtomSlots: a.Pricing.AtomSlots,
				Reason: "nothing needs it any more; kept as an explicit installation, as asked"})
			continue
		}
		delete(after, ei)
		p.RemoveDependencies = append(p.RemoveDependencies, Step{AtomID: e.id, Version: a.Version, Mode: ModeDependency, AtomSlots: a.Pricing.AtomSlots,
			Reason: "installed as a dependency, and nothing needs it any more"})
	}
}
