package atom

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/Masterminds/semver/v3"
)

// Limits on catalog entries.
const (
	MaxIDLen          = 64
	MaxNameLen        = 100
	MaxCategoryLen    = 40
	MaxDescriptionLen = 2000
	MaxFeatures       = 50
	MaxFeatureLen     = 64
	MaxDependencies   = 50
	MaxPermissions    = 100
	MaxPermissionLen  = 64
	MaxAtomSlots      = 100
	MaxSchemaBytes    = 64 << 10
	MaxConfigBytes    = 64 << 10
	// maxFieldErrors bounds the field errors one NewCatalog error carries.
	maxFieldErrors = 100
)

// fieldList collects catalog field errors up to maxFieldErrors, counting
// the ones left off.
type fieldList struct {
	fields  []fieldErr
	dropped int
}

type fieldErr struct{ field, msg string }

func (l *fieldList) add(field, format string, args ...any) {
	if len(l.fields) >= maxFieldErrors {
		l.dropped++
		return
	}
	l.fields = append(l.fields, fieldErr{field, fmt.Sprintf(format, args...)})
}

func (l *fieldList) len() int { return len(l.fields) + l.dropped }

// checkAtomID returns "" when id is well formed, else what is wrong.
// Non-built-in ids must start with "atom_"; builtin allows another prefix,
// as for built-in atoms and dependency targets.
func checkAtomID(id string, builtin bool) string {
	if id == "" {
		return "id is required"
	}
	if len(id) > MaxIDLen {
		return fmt.Sprintf("id %s is longer than %d characters", quoteShort(id), MaxIDLen)
	}
	// [a-z][a-z0-9]*(_[a-z0-9]+)+
	prefixEnd := strings.IndexByte(id, '_')
	ok := prefixEnd > 0 && id[0] >= 'a' && id[0] <= 'z' && id[len(id)-1] != '_'
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '_':
			ok = id[i-1] != '_'
		default:
			ok = false
		}
	}
	if !ok {
		return fmt.Sprintf("id %s must be lowercase letters and digits in words joined by underscores, such as atom_crm", quoteShort(id))
	}
	if !builtin && !strings.HasPrefix(id, "atom_") {
		return fmt.Sprintf("id %s must start with atom_ (only built-in atoms may use another prefix)", quoteShort(id))
	}
	return ""
}

// slug reports whether s is lowercase letters, digits, '-' and '_',
// starting with a letter or digit.
func slug(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// text reports whether s is valid UTF-8 without control characters (tabs
// and newlines allowed when multiline).
func text(s string, multiline bool) bool {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		switch c := s[i]; {
		case c >= 0x80:
			ascii = false
		case c < 0x20 || c == 0x7f:
			if !multiline || (c != '\n' && c != '\t') {
				return false
			}
		}
	}
	if ascii {
		return true
	}
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return false
		}
	}
	return true
}

// CheckPermission reports whether p is a well-formed K-002 permission:
// "resource:action" or "resource:*", where resource and action are
// lowercase slugs (letters, digits, '-', '_'), such as "wireframe:view",
// "task:edit_own" or "task:*".
func CheckPermission(p string) bool {
	if len(p) > MaxPermissionLen {
		return false
	}
	res, act, ok := strings.Cut(p, ":")
	if !ok || !slug(res) || res[0] < 'a' || res[0] > 'z' {
		return false
	}
	return act == "*" || slug(act)
}

// parser parses and checks versions and constraints, each distinct text
// once: catalogs repeat them (every atom has a "1.0.0").
type parser struct {
	constraints map[string]parsedConstraint
	versions    map[string]parsedVersion
	memo        map[uint64]bool // constraint id << 32 | version id -> allowed
}

type parsedConstraint struct {
	k   Constraint
	id  uint32
	err error
}

type parsedVersion struct {
	sv  *semver.Version
	id  uint32
	err error
}

func newParser() *parser {
	return &parser{
		constraints: make(map[string]parsedConstraint),
		versions:    make(map[string]parsedVersion),
		memo:        make(map[uint64]bool),
	}
}

func (p *parser) constraint(s string) parsedConstraint {
	if k, ok := p.constraints[s]; ok {
		return k
	}
	k, err := ParseConstraint(s)
	pc := parsedConstraint{k: k, id: uint32(len(p.constraints)), err: err}
	p.constraints[s] = pc
	return pc
}

func (p *parser) version(s string) parsedVersion {
	if v, ok := p.versions[s]; ok {
		return v
	}
	sv, err := semver.StrictNewVersion(s)
	pv := parsedVersion{sv: sv, id: uint32(len(p.versions)), err: err}
	p.versions[s] = pv
	return pv
}

// allows reports whether constraint k (id kid) allows version sv (id vid).
func (p *parser) allows(k Constraint, kid uint32, sv *semver.Version, vid uint32) bool {
	key := uint64(kid)<<32 | uint64(vid)
	if ok, seen := p.memo[key]; seen {
		return ok
	}
	ok := k.check(sv)
	p.memo[key] = ok
	return ok
}

// atomCheck adds the field errors of input entry i.
type atomCheck struct {
	a *Atom
	i int
	f *fieldList
	// named: the id and version are valid, so messages name the atom by
	// them.
	idOK, versionOK bool
}

func (c *atomCheck) add(field, format string, args ...any) {
	who := fmt.Sprintf("atoms[%d]", c.i)
	switch {
	case c.idOK && c.versionOK:
		who = c.a.ID + " " + c.a.Version
	case c.idOK:
		who = c.a.ID
	}
	c.f.add(fmt.Sprintf("atoms[%d].%s", c.i, field), "%s: %s", who, fmt.Sprintf(format, args...))
}

// checkAtom validates the fields of input entry i that need no other
// entry. It returns the parsed version, whose sv is nil when it is invalid.
func checkAtom(a *Atom, i int, f *fieldList, p *parser) parsedVersion {
	c := &atomCheck{a: a, i: i, f: f}
	if msg := checkAtomID(a.ID, a.Builtin); msg != "" {
		c.add("id", "%s", msg)
	} else {
		c.idOK = true
	}
	var sv parsedVersion
	if a.Version == "" {
		c.add("version", "version is required")
	} else if pv := p.version(a.Version); pv.err != nil {
		c.add("version", "version %s is not a semantic version such as 1.5.0", quoteShort(a.Version))
	} else if pv.sv.Metadata() != "" {
		c.add("version", "version %s carries build metadata, which does not order versions; drop the +%s", quoteShort(a.Version), pv.sv.Metadata())
	} else {
		sv = pv
		c.versionOK = true
	}
	switch {
	case strings.TrimSpace(a.Name) == "":
		c.add("name", "name is required")
	case utf8.RuneCountInString(a.Name) > MaxNameLen || !text(a.Name, false):
		c.add("name", "name must be at most %d characters of text", MaxNameLen)
	}
	switch {
	case a.Category == "":
		c.add("category", "category is required")
	case len(a.Category) > MaxCategoryLen || !slug(a.Category):
		c.add("category", "category %s must be a lowercase slug such as productivity", quoteShort(a.Category))
	}
	if len(a.Description) > MaxDescriptionLen && utf8.RuneCountInString(a.Description) > MaxDescriptionLen || !text(a.Description, true) {
		c.add("description", "description must be at most %d characters of text", MaxDescriptionLen)
	}
	if len(a.Features) > MaxFeatures {
		c.add("features", "at most %d features", MaxFeatures)
	} else {
		for j, ft := range a.Features {
			switch {
			case len(ft) > MaxFeatureLen || !slug(ft):
				c.add(fmt.Sprintf("features[%d]", j), "feature %s must be a lowercase slug such as pin-auth", quoteShort(ft))
			case slices.Contains(a.Features[:j], ft):
				c.add(fmt.Sprintf("features[%d]", j), "feature %s is listed twice", ft)
			}
		}
	}
	if len(a.Dependencies) > MaxDependencies {
		c.add("dependencies", "at most %d dependencies", MaxDependencies)
	} else {
		for j, d := range a.Dependencies {
			field := func() string { return fmt.Sprintf("dependencies[%d]", j) }
			if msg := checkAtomID(d.AtomID, true); msg != "" {
				c.add(field(), "dependency %s", msg)
				continue
			}
			if slices.ContainsFunc(a.Dependencies[:j], func(e Dependency) bool { return e.AtomID == d.AtomID }) {
				c.add(field(), "depends on %s twice; join the constraints into one", d.AtomID)
			}
			if p.constraint(d.Constraint).err != nil {
				c.add(field(), "constraint %s on %s does not parse; write it as >=1.3.0, ^1.2, ~1.3 or 1.2 - 1.4", quoteShort(d.Constraint), d.AtomID)
			}
		}
	}
	checkPricing(a, c)
	if len(a.Permissions) > MaxPermissions {
		c.add("permissions", "at most %d permissions", MaxPermissions)
	} else {
		for j, perm := range a.Permissions {
			switch {
			case !CheckPermission(perm):
				c.add(fmt.Sprintf("permissions[%d]", j), "permission %s must be resource:action or resource:*, in lowercase, such as crm:view", quoteShort(perm))
			case slices.Contains(a.Permissions[:j], perm):
				c.add(fmt.Sprintf("permissions[%d]", j), "permission %s is listed twice", perm)
			}
		}
	}
	return sv
}

func checkPricing(a *Atom, c *atomCheck) {
	p := a.Pricing
	if a.Builtin {
		if p.Type == PricingPaid || p.AtomSlots != 0 || p.Price != nil {
			c.add("pricing", "a built-in atom is included and uses no atom slot")
		}
		return
	}
	switch p.Type {
	case PricingIncluded:
		if p.Price != nil {
			c.add("pricing.price", "an included atom has no price")
		}
	case PricingPaid:
		switch {
		case p.Price == nil:
			c.add("pricing.price", "a paid atom needs a price")
		case p.Price.Amount <= 0:
			c.add("pricing.price.amount", "the price must be a positive amount in minor units, such as 4900")
		case !currency(p.Price.Currency):
			c.add("pricing.price.currency", "currency %s must be an ISO 4217 code such as USD", quoteShort(p.Price.Currency))
		}
	case "":
		c.add("pricing.type", "pricing type is required: included or paid")
	default:
		c.add("pricing.type", "pricing type %s must be included or paid", quoteShort(string(p.Type)))
	}
	if p.AtomSlots < 0 || p.AtomSlots > MaxAtomSlots {
		c.add("pricing.atomSlots", "atomSlots must be between 0 and %d", MaxAtomSlots)
	}
}

func currency(s string) bool {
	return len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z'
}
