package atom

import (
	"fmt"
	"slices"
	"strings"

	"github.com/atomixplatform/atomix/core"
)

// reason is one fact that limits the versions of an atom in a conflict.
type reason struct {
	mask vset
	text string
	rule bool // the no-downgrade or no-upgrade rule, not a constraint
}

// conflict explains why atom ei has no candidate version: it gathers every
// constraint on it (with the chain of needs that led to each), keeps a
// smallest subset that still excludes every version, and writes it out,
// ending with what cannot be done.
func (s *solver) conflict(ei int32, e *entry) *core.Error {
	var rs []reason
	for _, ed := range s.constraints(ei) {
		rs = append(rs, reason{mask: ed.d.allowed, text: s.who(ed.src) + " needs " + s.c.depText(ed.d)})
	}
	if ei == s.target {
		rs = append(rs, reason{mask: s.mask, text: s.requestText(e)})
	}
	in, installed := s.cur[ei]
	if installed && ei != s.target {
		m := newVset(len(e.versions))
		cur := e.versions[in.vi].atom.Version
		r := reason{mask: m, rule: true}
		if s.noUpgrade {
			m.set(in.vi)
			r.text = fmt.Sprintf("the installed %s is %s, and upgrades were not allowed", e.id, cur)
		} else {
			m.fill(in.vi + 1) // the installed version and the newer ones
			r.text = fmt.Sprintf("the installed %s is %s, and atomix never downgrades", e.id, cur)
		}
		rs = append(rs, r)
	}
	rs = minimalConflict(rs, len(e.versions))

	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r.text)
	}
	switch {
	case len(rs) == 1:
		fmt.Fprintf(&b, ", which no catalog version satisfies (%s has %s)", e.id, e.versionList(nil))
	case len(rs) == 2 && (rs[0].rule || rs[1].rule):
		// the rule speaks for itself
	case len(rs) == 2:
		fmt.Fprintf(&b, "; no %s version satisfies both (the catalog has %s)", e.id, e.versionList(nil))
	default:
		fmt.Fprintf(&b, "; no %s version satisfies all of these (the catalog has %s)", e.id, e.versionList(nil))
	}
	b.WriteString(", so ")
	b.WriteString(s.outcome(ei))
	b.WriteString(".")
	return &core.Error{Code: core.AtomDependencyConflict, Message: b.String()}
}

// minimalConflict drops reasons whose removal still leaves no version of an
// atom with n versions, so that each one left is part of the conflict.
func minimalConflict(rs []reason, n int) []reason {
	m := newVset(n)
	for i := 0; i < len(rs); {
		m.fill(n)
		for j := range rs {
			if j != i {
				m.and(rs[j].mask)
			}
		}
		if m.empty() && len(rs) > 1 {
			rs = slices.Delete(rs, i, i+1)
			continue
		}
		i++
	}
	return rs
}

// outcome says what the conflict prevents.
func (s *solver) outcome(ei int32) string {
	te := &s.c.entries[s.target]
	vi, decided := s.chosen[s.target]
	switch {
	case s.op == OpInstall && decided && ei != s.target:
		return fmt.Sprintf("%s %s cannot be installed", te.id, te.versions[vi].atom.Version)
	case s.op == OpInstall:
		return te.id + " cannot be installed"
	case decided && ei != s.target:
		return fmt.Sprintf("%s cannot be upgraded to %s", te.id, te.versions[vi].atom.Version)
	}
	return te.id + " cannot be upgraded"
}

func (s *solver) requestText(e *entry) string {
	req := strings.TrimSpace(s.request)
	if s.op == OpUpgrade {
		cur := e.versions[s.cur[s.target].vi].atom.Version
		if req == "" {
			return fmt.Sprintf("upgrading %s means a release newer than %s", e.id, cur)
		}
		return fmt.Sprintf("you asked to upgrade %s to %s, newer than %s", e.id, req, cur)
	}
	if req == "" {
		return "you asked for a release of " + e.id
	}
	return fmt.Sprintf("you asked for %s %s", e.id, req)
}

// who names the source of a constraint: an installed atom keeping its
// version, or the chain of needs from the atom asked for.
func (s *solver) who(ei int32) string {
	in, installed := s.cur[ei]
	vi, decided := s.chosen[ei]
	if installed && (!decided || vi == in.vi) {
		return s.name(ei) + " (installed)"
	}
	chain := s.chain(ei)
	if installed {
		chain += fmt.Sprintf(" (an upgrade from %s)", s.c.entries[ei].versions[in.vi].atom.Version)
	}
	return chain
}

// chain is "a 1.0.0 -> b 2.0.0 -> ei's name", following the atoms that
// first needed each one from the atom asked for.
func (s *solver) chain(ei int32) string {
	path := []string{s.name(ei)}
	for cur := ei; cur != s.target; {
		p, ok := s.parent[cur]
		if !ok || len(path) > len(s.chosen) {
			break
		}
		path = append(path, s.name(p))
		cur = p
	}
	slices.Reverse(path)
	return strings.Join(path, " -> ")
}
