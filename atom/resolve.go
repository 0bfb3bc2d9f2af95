package atom

import (
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/atomixplatform/atomix/core"
)

// InstallRequest asks PlanInstall for one atom.
type InstallRequest struct {
	AtomID string
	// Version is an exact version ("1.5.0"), a constraint ("^1.4"), or
	// empty for the newest release that fits.
	Version string
	// NoUpgrade refuses the install rather than upgrade an installed atom
	// whose version a new constraint excludes.
	NoUpgrade bool
	// KeepOrphans keeps, as explicit installations, the dependency
	// installations an upgrade in the plan leaves unneeded, instead of
	// removing them.
	KeepOrphans bool
}

// UpgradeRequest asks PlanUpgrade to move one installation forward.
type UpgradeRequest struct {
	AtomID string
	// Version is an exact version, a constraint, or empty for the newest
	// release that fits. Only versions newer than the installed one count.
	Version string
	// NoUpgrade refuses the upgrade rather than upgrade another installed
	// atom along with it.
	NoUpgrade bool
	// KeepOrphans keeps, as explicit installations, the dependency
	// installations the upgrade leaves unneeded, instead of removing them.
	KeepOrphans bool
}

// maxTries bounds the versions the resolver tries in one plan, so a
// catalog built to defeat it cannot make it run long.
const maxTries = 10000

// inst is an installation in the resolver's internal form.
type inst struct {
	vi   int // version index
	mode Mode
}

// tenantState is a tenant's installations keyed by entry index, without
// built-in atoms.
type tenantState map[int32]inst

// tenant converts installed to its internal form.
func (c *Catalog) tenant(installed Installed) (tenantState, error) {
	t := make(tenantState, len(installed))
	var badID string
	var bad error
	for id, ia := range installed {
		ei, ok := c.byID[id]
		var err error
		switch {
		case !ok:
			err = core.Errorf(core.AtomNotFound, "installed atom %s is not in the catalog", quoteShort(id))
		case !ia.Mode.Valid():
			err = &core.Error{Code: core.Invalid, Message: fmt.Sprintf("installed %s has mode %s; it must be explicit or dependency", id, quoteShort(string(ia.Mode))),
				Fields: []core.FieldError{{Field: "installed." + id + ".mode", Message: "must be explicit or dependency"}}}
		}
		if err == nil {
			e := &c.entries[ei]
			if e.builtin {
				continue
			}
			vi := e.versionIndex(ia.Version)
			if vi < 0 {
				err = core.Errorf(core.AtomVersionNotFound, "installed %s %s is not in the catalog, which has %s", id, quoteVersion(ia.Version), e.versionList(nil))
			}
			t[ei] = inst{vi: vi, mode: ia.Mode}
		}
		if err != nil && (bad == nil || id < badID) {
			badID, bad = id, err
		}
	}
	if bad != nil {
		return nil, bad
	}
	return t, nil
}

func (c *Catalog) slots(t tenantState) int {
	n := 0
	for ei, in := range t {
		n += c.entries[ei].versions[in.vi].atom.Pricing.AtomSlots
	}
	return n
}

// requestMask returns the versions of e a request's Version allows: all
// releases for "", one version for an exact version, the matching ones for
// a constraint.
// Errors: core.AtomConstraintInvalid; core.AtomVersionNotFound.
func (c *Catalog) requestMask(e *entry, version string) (vset, error) {
	m := newVset(len(e.versions))
	version = strings.TrimSpace(version)
	if version == "" {
		copy(m, e.releases)
		if m.empty() {
			return nil, core.Errorf(core.AtomVersionNotFound, "%s has only pre-release versions (%s); ask for one by version", e.id, e.versionList(nil))
		}
		return m, nil
	}
	if _, err := semver.StrictNewVersion(version); err == nil {
		vi := e.versionIndex(version)
		if vi < 0 {
			return nil, core.Errorf(core.AtomVersionNotFound, "the catalog has no %s %s; it has %s", e.id, version, e.versionList(nil))
		}
		m.set(vi)
		return m, nil
	}
	k, err := ParseConstraint(version)
	if err != nil {
		return nil, err
	}
	for vi := range e.versions {
		if k.check(e.versions[vi].sv) {
			m.set(vi)
		}
	}
	if m.empty() {
		return nil, core.Errorf(core.AtomVersionNotFound, "no %s version satisfies %s; the catalog has %s", e.id, k, e.versionList(nil))
	}
	return m, nil
}

// PlanInstall plans installing req.AtomID for a tenant that has installed:
// the atom (explicit) and every atom it needs that is missing (dependency),
// at the highest versions satisfying every constraint, upgrading installed
// atoms a new constraint excludes (never downgrading). Installing an atom
// installed explicitly is a no-op plan; installing one installed as a
// dependency promotes it to explicit.
// Errors: core.AtomNotFound; core.AtomVersionNotFound; core.AtomConstraintInvalid;
// core.AtomBuiltin; core.AtomAlreadyInstalled (installed at a version
// req.Version excludes; upgrade it instead); core.AtomDependencyConflict,
// explaining the chain of needs; those of SlotsUsed for a bad installed.
func (c *Catalog) PlanInstall(installed Installed, req InstallRequest) (*Plan, error) {
	e, err := c.entry(req.AtomID)
	if err != nil {
		return nil, err
	}
	if e.builtin {
		return nil, core.Errorf(core.AtomBuiltin, "%s is built in: every tenant has it, and it is never installed by hand", e.id)
	}
	mask, err := c.requestMask(e, req.Version)
	if err != nil {
		return nil, err
	}
	t, err := c.tenant(installed)
	if err != nil {
		return nil, err
	}
	ei := c.byID[e.id]
	if in, ok := t[ei]; ok {
		v := e.versions[in.vi].atom
		if !mask.has(in.vi) {
			return nil, core.Errorf(core.AtomAlreadyInstalled, "%s %s is already installed, and you asked for %s; upgrade it instead", e.id, v.Version, req.Version)
		}
		p := c.newPlan(OpInstall, e, in.vi, t)
		if in.mode == ModeExplicit {
			p.NoOp = true
			p.Summary = fmt.Sprintf("%s %s is already installed; nothing to do", e.id, v.Version)
			p.After = c.installed(t)
			return p, nil
		}
		p.Promote = []Step{{AtomID: e.id, Version: v.Version, Mode: ModeExplicit, AtomSlots: v.Pricing.AtomSlots,
			Reason: "installed before as a dependency; now asked for, so it stays until uninstalled by hand"}}
		t[ei] = inst{vi: in.vi, mode: ModeExplicit}
		p.Summary = fmt.Sprintf("%s %s is already installed as a dependency; it becomes an explicit installation", e.id, v.Version)
		p.After = c.installed(t)
		return p, nil
	}
	s := c.newSolver(t, ei, mask, OpInstall, req.NoUpgrade)
	s.request = req.Version
	if !s.solve(0) {
		return nil, s.failure()
	}
	return s.plan(req.KeepOrphans), nil
}

// PlanUpgrade plans moving an installation of req.AtomID to a newer
// version: the newest that fits, or the one req.Version names or allows.
// Dependencies are re-resolved as PlanInstall does; dependency
// installations the new version no longer needs are removed (or kept, with
// KeepOrphans). When no newer version exists, or none fits and req.Version
// is empty, the plan is a no-op whose Summary and Notes say why.
// Errors: core.AtomNotFound; core.AtomVersionNotFound; core.AtomConstraintInvalid;
// core.AtomBuiltin; core.AtomNotInstalled; core.AtomDowngrade when
// req.Version allows only older versions; core.AtomDependencyConflict.
func (c *Catalog) PlanUpgrade(installed Installed, req UpgradeRequest) (*Plan, error) {
	e, err := c.entry(req.AtomID)
	if err != nil {
		return nil, err
	}
	if e.builtin {
		return nil, core.Errorf(core.AtomBuiltin, "%s is built in: it runs at the platform's version, %s, and is never upgraded by hand", e.id, e.versions[e.latest].atom.Version)
	}
	t, err := c.tenant(installed)
	if err != nil {
		return nil, err
	}
	ei := c.byID[e.id]
	in, ok := t[ei]
	if !ok {
		return nil, core.Errorf(core.AtomNotInstalled, "%s is not installed, so it cannot be upgraded; install it instead", e.id)
	}
	cur := e.versions[in.vi].atom.Version
	asked := strings.TrimSpace(req.Version) != ""
	mask := newVset(len(e.versions))
	copy(mask, e.releases)
	if asked {
		if mask, err = c.requestMask(e, req.Version); err != nil {
			return nil, err
		}
	}
	curAllowed, older := mask.has(in.vi), false
	for vi := in.vi; vi < len(e.versions); vi++ { // keep only newer versions
		older = older || (vi > in.vi && mask.has(vi))
		mask.clear(vi)
	}
	if mask.empty() {
		if asked && !curAllowed && older {
			what := "which only older versions satisfy"
			if _, err := semver.StrictNewVersion(strings.TrimSpace(req.Version)); err == nil {
				what = "an older version"
			}
			return nil, core.Errorf(core.AtomDowngrade, "%s %s is installed and you asked for %s, %s; atomix never downgrades an atom", e.id, cur, strings.TrimSpace(req.Version), what)
		}
		p := c.newPlan(OpUpgrade, e, in.vi, t)
		p.NoOp = true
		p.Summary = fmt.Sprintf("%s %s is installed, and the catalog has no newer release of it; nothing to do", e.id, cur)
		if asked {
			p.Summary = fmt.Sprintf("%s %s is installed and already satisfies %s; nothing to do", e.id, cur, req.Version)
		}
		p.After = c.installed(t)
		return p, nil
	}
	s := c.newSolver(t, ei, mask, OpUpgrade, req.NoUpgrade)
	s.request = req.Version
	if !s.solve(0) {
		return nil, s.failure()
	}
	return s.plan(req.KeepOrphans), nil
}

func (c *Catalog) newPlan(op Operation, e *entry, vi int, t tenantState) *Plan {
	n := c.slots(t)
	return &Plan{Operation: op, AtomID: e.id, Version: e.versions[vi].atom.Version, SlotsBefore: n, SlotsAfter: n,
		Install: []Step{}, Upgrade: []Step{}, Promote: []Step{}, Remove: []Step{}, RemoveDependencies: []Step{}, Notes: []string{}}
}

// installed converts t back to the public form.
func (c *Catalog) installed(t tenantState) Installed {
	out := make(Installed, len(t))
	for ei, in := range t {
		e := &c.entries[ei]
		out[e.id] = InstalledAtom{Version: e.versions[in.vi].atom.Version, Mode: in.mode}
	}
	return out
}

// edge is one constraint on an atom: version vi of entry src needs it as
// d says.
type edge struct {
	src int32
	vi  int
	d   *dep
}

// solver finds versions for an install or upgrade. It visits the atoms to
// decide in the catalog's topological order, so that when it reaches an
// atom every atom that could constrain it is decided. It prefers, for an
// installed atom, its version, then the newer ones, highest first; for a
// new atom, the highest. When an atom has no candidate it backtracks to the
// previous choice, up to maxTries versions.
type solver struct {
	c         *Catalog
	cur       tenantState
	op        Operation
	target    int32
	mask      vset   // the versions of target asked for
	request   string // the request's Version, for explanations
	noUpgrade bool

	needed   vset             // over topological positions: atoms to decide
	chosen   map[int32]int    // decided atoms and their versions
	incoming map[int32][]edge // constraints from new and changed atoms
	parent   map[int32]int32  // the atom that first needed an atom
	rev      map[int32][]edge // constraints from the installed versions (lazy)

	neededLog, incomingLog, parentLog []int32

	tries     int
	first     *core.Error // the first conflict met: the explanation
	targetTry int         // versions of target tried
}

func (c *Catalog) newSolver(t tenantState, target int32, mask vset, op Operation, noUpgrade bool) *solver {
	s := &solver{
		c: c, cur: t, op: op, target: target, mask: mask, noUpgrade: noUpgrade,
		needed:   newVset(len(c.entries)),
		chosen:   make(map[int32]int),
		incoming: make(map[int32][]edge),
		parent:   make(map[int32]int32),
	}
	s.needed.set(int(c.entries[target].topo))
	return s
}

// solve decides every needed atom at topological position pos or later.
func (s *solver) solve(pos int) bool {
	p := s.needed.next(pos)
	if p < 0 {
		return true
	}
	ei := s.c.order[p]
	e := &s.c.entries[ei]
	m := s.allowed(ei)
	in, installed := s.cur[ei]
	try := func(vi int) bool {
		if s.tries >= maxTries {
			return false
		}
		s.tries++
		if ei == s.target {
			s.targetTry++
		}
		mark := s.apply(ei, vi)
		if s.solve(p + 1) {
			return true
		}
		s.undo(ei, mark)
		return false
	}
	found := false
	if installed && ei != s.target {
		if m.has(in.vi) {
			found = true
			if try(in.vi) {
				return true
			}
		}
		if !s.noUpgrade {
			for vi := m.next(0); vi >= 0 && vi < in.vi; vi = m.next(vi + 1) {
				found = true
				if try(vi) {
					return true
				}
			}
		}
	} else {
		for vi := m.next(0); vi >= 0; vi = m.next(vi + 1) {
			found = true
			if try(vi) {
				return true
			}
		}
	}
	if !found && s.first == nil {
		s.first = s.conflict(ei, e)
	}
	return false
}

// allowed returns the versions of ei every constraint on it allows.
func (s *solver) allowed(ei int32) vset {
	e := &s.c.entries[ei]
	m := newVset(len(e.versions))
	m.fill(len(e.versions))
	for _, ed := range s.constraints(ei) {
		m.and(ed.d.allowed)
	}
	if ei == s.target {
		m.and(s.mask)
	}
	return m
}

// constraints returns the edges that constrain ei now: from new and
// changed atoms, and from installed atoms that keep their version.
func (s *solver) constraints(ei int32) []edge {
	out := s.incoming[ei]
	if _, ok := s.cur[ei]; !ok {
		return out // nothing installed depends on an atom not installed
	}
	if s.rev == nil {
		s.buildRev()
	}
	var kept []edge
	for _, ed := range s.rev[ei] {
		if vi, ok := s.chosen[ed.src]; ok && vi != ed.vi {
			continue // the source changes version; its new edges are in incoming
		}
		kept = append(kept, ed)
	}
	if len(kept) == 0 {
		return out
	}
	return append(slices.Clip(out), kept...)
}

func (s *solver) buildRev() {
	s.rev = make(map[int32][]edge)
	for ei, in := range s.cur {
		v := &s.c.entries[ei].versions[in.vi]
		for k := range v.deps {
			d := &v.deps[k]
			if s.c.entries[d.target].builtin {
				continue
			}
			s.rev[d.target] = append(s.rev[d.target], edge{src: ei, vi: in.vi, d: d})
		}
	}
}

type mark struct{ needed, incoming, parent int }

// apply records version vi for ei and marks the atoms it makes needed.
func (s *solver) apply(ei int32, vi int) mark {
	mk := mark{len(s.neededLog), len(s.incomingLog), len(s.parentLog)}
	s.chosen[ei] = vi
	in, installed := s.cur[ei]
	changed := !installed || in.vi != vi
	v := &s.c.entries[ei].versions[vi]
	for k := range v.deps {
		d := &v.deps[k]
		t := &s.c.entries[d.target]
		if t.builtin {
			continue // every tenant has it, at a version publishing checked
		}
		if changed {
			s.incoming[d.target] = append(s.incoming[d.target], edge{src: ei, vi: vi, d: d})
			s.incomingLog = append(s.incomingLog, d.target)
		}
		if tin, ok := s.cur[d.target]; ok && d.allowed.has(tin.vi) {
			continue // installed at a version this edge allows; others will say if it must move
		}
		if pos := int(t.topo); !s.needed.has(pos) {
			s.needed.set(pos)
			s.neededLog = append(s.neededLog, int32(pos))
		}
		if _, ok := s.parent[d.target]; !ok {
			s.parent[d.target] = ei
			s.parentLog = append(s.parentLog, d.target)
		}
	}
	return mk
}

func (s *solver) undo(ei int32, mk mark) {
	delete(s.chosen, ei)
	for _, pos := range s.neededLog[mk.needed:] {
		s.needed.clear(int(pos))
	}
	s.neededLog = s.neededLog[:mk.needed]
	for _, t := range s.incomingLog[mk.incoming:] {
		s.incoming[t] = s.incoming[t][:len(s.incoming[t])-1]
	}
	s.incomingLog = s.incomingLog[:mk.incoming]
	for _, t := range s.parentLog[mk.parent:] {
		delete(s.parent, t)
	}
	s.parentLog = s.parentLog[:mk.parent]
}

// failure returns the error for a failed solve: the first conflict met,
// which the greedy (newest) choices ran into.
func (s *solver) failure() error {
	e := s.first
	if e == nil { // cannot happen: a failed solve met a conflict
		e = core.Errorf(core.AtomDependencyConflict, "no versions fit for %s", s.c.entries[s.target].id)
	}
	out := *e
	switch n := s.targetTry - 1; {
	case n == 1:
		out.Message += fmt.Sprintf(" The other version of %s that the request allows does not fit either.", s.c.entries[s.target].id)
	case n > 1:
		out.Message += fmt.Sprintf(" The %d other versions of %s that the request allows do not fit either.", n, s.c.entries[s.target].id)
	}
	if s.tries >= maxTries {
		out.Message += fmt.Sprintf(" (atomix stopped after trying %d versions.)", maxTries)
	}
	return &out
}

// plan turns a solution into a Plan.
func (s *solver) plan(keepOrphans bool) *Plan {
	c := s.c
	te := &c.entries[s.target]
	p := c.newPlan(s.op, te, s.chosen[s.target], s.cur)
	after := make(tenantState, len(s.cur)+len(s.chosen))
	for ei, in := range s.cur {
		after[ei] = in
	}
	decided := make([]int32, 0, len(s.chosen))
	for ei := range s.chosen {
		decided = append(decided, ei)
	}
	// dependencies first
	slices.SortFunc(decided, func(a, b int32) int { return int(c.entries[b].topo - c.entries[a].topo) })
	for _, ei := range decided {
		vi := s.chosen[ei]
		e := &c.entries[ei]
		a := e.versions[vi].atom
		in, installed := s.cur[ei]
		switch {
		case !installed:
			mode := ModeDependency
			reason := s.neededBy(ei)
			if ei == s.target {
				mode, reason = ModeExplicit, "asked for"
			}
			after[ei] = inst{vi: vi, mode: mode}
			p.Install = append(p.Install, Step{AtomID: e.id, Version: a.Version, Mode: mode, AtomSlots: a.Pricing.AtomSlots, Reason: reason})
		case in.vi != vi:
			after[ei] = inst{vi: vi, mode: in.mode}
			reason := "asked for"
			if ei != s.target {
				reason = s.upgradeReason(ei, in.vi)
			}
			p.Upgrade = append(p.Upgrade, Step{AtomID: e.id, Version: a.Version, FromVersion: e.versions[in.vi].atom.Version,
				Mode: in.mode, AtomSlots: a.Pricing.AtomSlots, Reason: reason})
		}
	}
	if len(p.Upgrade) > 0 {
		c.sweep(after, p, keepOrphans)
	}
	if s.first != nil {
		p.Notes = append(p.Notes, "The newest versions did not fit: "+s.first.Message)
	}
	p.SlotsAfter = c.slots(after)
	p.After = c.installed(after)
	p.Summary = s.summary(p)
	return p
}

func (s *solver) summary(p *Plan) string {
	var b strings.Builder
	if s.op == OpInstall {
		fmt.Fprintf(&b, "install %s %s", p.AtomID, p.Version)
	} else {
		fmt.Fprintf(&b, "upgrade %s to %s", p.AtomID, p.Version)
	}
	list := func(what string, steps []Step, from bool) {
		if len(steps) == 0 {
			return
		}
		parts := make([]string, len(steps))
		for i, st := range steps {
			parts[i] = st.AtomID + " " + st.Version
			if from {
				parts[i] = fmt.Sprintf("%s %s -> %s", st.AtomID, st.FromVersion, st.Version)
			}
		}
		fmt.Fprintf(&b, "; %s %s", what, strings.Join(parts, ", "))
	}
	var deps []Step
	for _, st := range p.Install {
		if st.AtomID != p.AtomID {
			deps = append(deps, st)
		}
	}
	var others []Step
	for _, st := range p.Upgrade {
		if st.AtomID != p.AtomID {
			others = append(others, st)
		}
	}
	list("with the dependencies", deps, false)
	list("upgrading", others, true)
	list("removing the unneeded", p.RemoveDependencies, false)
	list("keeping as explicit the unneeded", p.Promote, false)
	fmt.Fprintf(&b, " (%d atom slots in use after, %d before)", p.SlotsAfter, p.SlotsBefore)
	return b.String()
}

// neededBy says which decided atom first needed ei.
func (s *solver) neededBy(ei int32) string {
	src := s.parent[ei]
	for _, ed := range s.incoming[ei] {
		if ed.src == src {
			return s.name(src) + " needs " + s.c.depText(ed.d)
		}
	}
	return "needed by " + s.name(src)
}

// upgradeReason names a constraint that excludes the installed version.
func (s *solver) upgradeReason(ei int32, old int) string {
	for _, ed := range s.constraints(ei) {
		if !ed.d.allowed.has(old) {
			return s.name(ed.src) + " needs " + s.c.depText(ed.d)
		}
	}
	return "needed by " + s.name(s.parent[ei])
}

// name is "id version" of a decided or installed atom.
func (s *solver) name(ei int32) string {
	e := &s.c.entries[ei]
	if vi, ok := s.chosen[ei]; ok {
		return e.id + " " + e.versions[vi].atom.Version
	}
	if in, ok := s.cur[ei]; ok {
		return e.id + " " + e.versions[in.vi].atom.Version
	}
	return e.id
}

// depText is a dependency as messages write it: "atom_notification" or
// "atom_notification >=1.3.0".
func (c *Catalog) depText(d *dep) string {
	if d.text == "" {
		return c.entries[d.target].id
	}
	return c.entries[d.target].id + " " + d.text
}
