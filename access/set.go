package access

import "strings"

// Bits of a compiled entry: which kinds of grant name it.
const (
	allow    uint8 = 1 << iota // "r:a"
	deny                       // "!r:a"
	allowOwn                   // "r:a_own"
	denyOwn                    // "!r:a_own"
)

// Set is a compiled permission set. Check and CheckOwn never allocate. A
// Set is immutable and safe for concurrent use; the zero value and nil
// allow nothing.
type Set struct {
	all, none bool             // "*" and "!*"
	wildDeny  bool             // some deny has a "*" segment: "!r:*", "!*:a"
	exact     map[string]uint8 // "r:a" and "r:a_own", keyed "r:a"
	byRes     map[string]uint8 // "r:*", keyed "r"
	byAct     map[string]uint8 // "*:a" and "*:a_own", keyed "a"
	grants    []string
}

// Compile parses grants and builds a Set. It keeps substrings of grants
// as keys and so allocates little. Errors: core.Invalid naming
// "permissions" and the first malformed grant.
func Compile(grants []string) (*Set, error) {
	s := &Set{grants: make([]string, 0, len(grants))}
	// Size the maps once: a cheap look at each grant's shape.
	var nRes, nAct, nExact int
	for _, g := range grants {
		g = strings.TrimPrefix(g, "!")
		switch {
		case g == "*" || g == "*:*":
		case strings.HasSuffix(g, ":*"):
			nRes++
		case strings.HasPrefix(g, "*:"):
			nAct++
		default:
			nExact++
		}
	}
	if nExact > 0 {
		s.exact = make(map[string]uint8, nExact)
	}
	if nRes > 0 {
		s.byRes = make(map[string]uint8, nRes)
	}
	if nAct > 0 {
		s.byAct = make(map[string]uint8, nAct)
	}
	for _, g := range grants {
		p, why := parse(g)
		if why != "" {
			_, err := Parse(g)
			return nil, err
		}
		s.add(g, p)
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

// add records p, parsed from g.
func (s *Set) add(g string, p Permission) {
	canon := g
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
	case p.Resource == "*" && p.Action == "*":
		// Parse refuses "*:*_own", so this is "*" or "!*".
		if p.Deny {
			s.none, canon = true, "!*"
		} else {
			s.all, canon = true, "*"
		}
	case p.Action == "*":
		s.wildDeny = s.wildDeny || p.Deny
		if s.byRes == nil {
			s.byRes = make(map[string]uint8)
		}
		s.byRes[p.Resource] |= bit
	case p.Resource == "*":
		s.wildDeny = s.wildDeny || p.Deny
		if s.byAct == nil {
			s.byAct = make(map[string]uint8)
		}
		s.byAct[p.Action] |= bit
	default:
		// The key "r:a" is g without its "!" and "_own".
		key := g
		if p.Deny {
			key = key[1:]
		}
		if p.Own {
			key = key[:len(key)-len("_own")]
		}
		if s.exact == nil {
			s.exact = make(map[string]uint8)
		}
		s.exact[key] |= bit
	}
	s.grants = append(s.grants, canon)
}

// Grants returns the canonical grants the set was compiled from, in order.
func (s *Set) Grants() []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s.grants...)
}

// decide reports whether the set allows res:act (perm) for a grant
// whose bits meet allows and none of whose bits meet denies. An exact
// allow decides alone when no deny has a wildcard; an exact deny always
// does.
func (s *Set) decide(perm string, allows, denies uint8) bool {
	i := strings.IndexByte(perm, ':')
	if i < 0 {
		return false
	}
	e := s.exact[perm]
	if e&denies != 0 {
		return false
	}
	if e&allows != 0 && !s.wildDeny {
		return true // an exact key is a valid concrete permission
	}
	res, act := perm[:i], perm[i+1:]
	rw, aw := s.byRes[res], s.byAct[act]
	if (rw|aw)&denies != 0 {
		return false
	}
	// A key of byRes or byAct is a valid name: check only the other
	// segment.
	switch {
	case e&allows != 0:
		return true
	case len(perm) > MaxPermissionLen:
		return false
	case rw&allows != 0:
		return validAction(act)
	case aw&allows != 0:
		return validName(res)
	case s.all:
		return validName(res) && validAction(act)
	}
	return false
}

// Check reports whether the set allows perm, a concrete permission, on
// every resource whoever owns it: some allow ("*", "r:a", "r:*" or "*:a")
// covers it, and no deny ("!*", "!r:a", "!r:*", "!*:a", or their "_own"
// forms) does. A perm that is not concrete (malformed, a wildcard, a deny,
// an action ending in "_own") is never allowed.
func (s *Set) Check(perm string) bool {
	return s != nil && !s.none && s.decide(perm, allow, deny|denyOwn)
}

// CheckOwn reports whether the set allows perm, a concrete permission, on
// one resource owned by ownerID when the actor is actorID. The actor owns
// the resource when the two IDs are equal and not empty; then an "_own"
// allow suffices and an "_own" deny refuses. Otherwise only the plain
// grants count: a plain allow allows, a plain deny refuses.
func (s *Set) CheckOwn(perm, ownerID, actorID string) bool {
	if s == nil || s.none {
		return false
	}
	if ownerID != "" && ownerID == actorID {
		return s.decide(perm, allow|allowOwn, deny|denyOwn)
	}
	return s.decide(perm, allow, deny)
}

// Covers reports whether the set allows everything grant allows, so that
// an actor holding the set may give grant to another without raising it
// above itself. A deny is always covered (it only takes away); a
// malformed grant never is. An allow is covered when one allow of the set
// contains it ("*" contains everything, "task:*" contains "task:edit_own",
// "*:view" contains "crm:view") and no deny of the set touches any
// permission it allows: with "*" and "!crm:delete", "crm:view" is covered
// but "crm:*" and "*" are not. Covers is for grant time, not for checks:
// it walks the set's grants.
func (s *Set) Covers(grant string) bool {
	g, why := parse(grant)
	if why != "" {
		return false
	}
	if g.Deny {
		return true
	}
	if s == nil {
		return false
	}
	contained := false
	for _, h := range s.grants {
		p, _ := parse(h) // compiled, so valid
		same := (p.Resource == "*" || g.Resource == "*" || p.Resource == g.Resource) &&
			(p.Action == "*" || g.Action == "*" || p.Action == g.Action)
		if p.Deny && same {
			return false // both include the actor's own resources, so they meet
		}
		if !p.Deny && !contained {
			contained = (p.Resource == "*" || p.Resource == g.Resource) &&
				(p.Action == "*" || p.Action == g.Action) && (!p.Own || g.Own)
		}
	}
	return contained
}
