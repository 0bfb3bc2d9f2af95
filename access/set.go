package access

import (
	"strings"
)

// Bits of a compiled entry.
const (
	allow uint8 = 1 << iota
	deny
	allowOwn
	denyOwn
)

// Set is a compiled permission set. Check and CheckOwn never allocate. A
// Set is immutable and safe for concurrent use; the zero value and nil
// allow nothing.
type Set struct {
	all, none bool             // "*" and "!*"
	exact     map[string]uint8 // "res:act"
	byRes     map[string]uint8 // "res:*"
	byAct     map[string]uint8 // "*:act"
	grants    []string
}

// Compile parses grants and builds a Set. Errors: core.Invalid naming
// "permissions" and the first malformed grant.
func Compile(grants []string) (*Set, error) {
	s := &Set{
		exact: make(map[string]uint8),
		byRes: make(map[string]uint8),
		byAct: make(map[string]uint8),
	}
	for _, g := range grants {
		p, err := Parse(g)
		if err != nil {
			return nil, err
		}
		s.add(p)
		s.grants = append(s.grants, p.String())
	}
	return s, nil
}

// MustCompile is Compile for grants known to be valid; it panics on a
// malformed one.
func MustCompile(grants ...string) *Set {
	s, err := Compile(grants)
	if err != nil {
		panic(err)
	}
	return s
}

func (s *Set) add(p Permission) {
	var bit uint8
	switch {
	case p.Deny && p.Own:
		bit = denyOwn
	case p.Deny:
		bit = deny
	case p.Own:
		bit = allowOwn
	default:
		bit = allow
	}
	switch {
	case p.Resource == "*" && p.Action == "*" && !p.Own:
		if p.Deny {
			s.none = true
		} else {
			s.all = true
		}
	case p.Resource == "*" && p.Action == "*":
		s.byAct["*"] |= bit // "*:*_own" is refused by Parse; kept for safety
	case p.Action == "*":
		s.byRes[p.Resource] |= bit
	case p.Resource == "*":
		s.byAct[p.Action] |= bit
	default:
		s.exact[p.Resource+":"+p.Action] |= bit
	}
}

// Grants returns the canonical grants the set was compiled from.
func (s *Set) Grants() []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s.grants...)
}

// bits returns the combined bits for a concrete permission "res:act".
func (s *Set) bits(perm string) (uint8, bool) {
	res, act, ok := strings.Cut(perm, ":")
	if !ok {
		return 0, false
	}
	return s.exact[perm] | s.byRes[res] | s.byAct[act], true
}

// Check reports whether the set allows perm, a concrete "resource:action"
// (no wildcards, no "_own"). A deny anywhere wins over every allow.
func (s *Set) Check(perm string) bool {
	if s == nil || s.none {
		return false
	}
	b, ok := s.bits(perm)
	if !ok || b&deny != 0 {
		return false
	}
	return s.all || b&allow != 0
}

// CheckOwn reports whether the set allows perm on a resource owned by
// ownerID when the actor is actorID: a plain allow, or an "_own" allow when
// the two IDs are equal and not empty. Denies win as in Check; "!x:y_own"
// denies only the ownership path.
func (s *Set) CheckOwn(perm, ownerID, actorID string) bool {
	if s == nil || s.none {
		return false
	}
	b, ok := s.bits(perm)
	if !ok || b&deny != 0 {
		return false
	}
	if s.all || b&allow != 0 {
		return true
	}
	return ownerID != "" && ownerID == actorID && b&allowOwn != 0 && b&denyOwn == 0
}
