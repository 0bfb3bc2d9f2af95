package atom

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/atomixplatform/atomix/core"
)

// Atom is one version of an atom in the catalog. Its JSON form is seed
// 000's marketplace shape, extended with permissions, configSchema and
// builtin.
type Atom struct {
	// ID is "atom_" followed by lowercase letters, digits and underscores,
	// such as "atom_crm"; a built-in atom may use another prefix, such as
	// "core_auth".
	ID string `json:"id"`
	// Name is the display name, such as "CRM Atom".
	Name string `json:"name"`
	// Version is a strict semantic version, such as "1.5.0" or
	// "2.0.0-beta.1"; build metadata is not allowed.
	Version string `json:"version"`
	// Category is a lowercase slug, such as "productivity".
	Category    string   `json:"category"`
	Description string   `json:"description"`
	Features    []string `json:"features"`
	// Dependencies are the atoms this version needs. In JSON each is a
	// string: the id alone, or the id, a space and a constraint
	// ("atom_notification >=1.3.0").
	Dependencies []Dependency `json:"dependencies"`
	Pricing      Pricing      `json:"pricing"`
	// Permissions are the K-002 permissions the atom defines, each
	// "resource:action" or "resource:*", such as "crm:view" or "task:*".
	Permissions []string `json:"permissions"`
	// ConfigSchema is a JSON Schema (draft 2020-12 unless it says
	// otherwise) for the config of an installation; empty means the config
	// may be any JSON object.
	ConfigSchema json.RawMessage `json:"configSchema,omitempty"`
	// Builtin marks an atom present for every tenant: it costs no slot and
	// is never installed or removed by hand.
	Builtin bool `json:"builtin,omitempty"`
}

// PricingType says how an atom is charged.
type PricingType string

// The pricing types.
const (
	PricingIncluded PricingType = "included" // part of the plan; uses atom slots only
	PricingPaid     PricingType = "paid"     // charged at Pricing.Price on top of the plan
)

// Pricing is an atom's price and the plan slots it uses.
type Pricing struct {
	Type PricingType `json:"type"`
	// AtomSlots is the number of the plan's maxAtoms slots an installation
	// uses; 0 to 100. Built-in atoms use none.
	AtomSlots int `json:"atomSlots"`
	// Price is set for paid atoms only.
	Price *Price `json:"price,omitempty"`
}

// Price is an amount of money in minor units of its currency (4900 USD is
// 49.00 dollars).
type Price struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"` // ISO 4217 code, such as "USD"
}

// Dependency is one need of an atom version: an atom id and an optional
// version constraint.
type Dependency struct {
	AtomID string
	// Constraint is a Masterminds/semver constraint, such as ">=1.3.0",
	// "^1.2", "~1.3" or "1.2 - 1.4"; empty means any release version.
	Constraint string
}

// String returns the dependency in its JSON string form: the id, or the id,
// a space and the constraint.
func (d Dependency) String() string {
	if d.Constraint == "" {
		return d.AtomID
	}
	return d.AtomID + " " + d.Constraint
}

// MarshalJSON writes the dependency as its string form, without escaping
// the constraint's '<', '>' and '&' for HTML.
func (d Dependency) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d.String()); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads either the string form ("atom_notification",
// "atom_notification >=1.3.0") or an object {"atomId": ..., "constraint":
// ...}. It splits the string only; NewCatalog validates the parts.
func (d *Dependency) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var o struct {
			AtomID     string `json:"atomId"`
			Constraint string `json:"constraint"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			return err
		}
		*d = Dependency{AtomID: o.AtomID, Constraint: strings.TrimSpace(o.Constraint)}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("a dependency must be a string or an object")
	}
	*d = splitDependency(s)
	return nil
}

// ParseDependency parses the string form of a dependency: an atom id,
// optionally followed by whitespace and a constraint.
// Errors: core.AtomInvalid for a malformed id; core.AtomConstraintInvalid for
// a constraint that does not parse.
func ParseDependency(s string) (Dependency, error) {
	d := splitDependency(s)
	if msg := checkAtomID(d.AtomID, true); msg != "" {
		return Dependency{}, &core.Error{Code: core.AtomInvalid, Message: "dependency " + msg,
			Fields: []core.FieldError{{Field: "atomId", Message: msg}}}
	}
	if _, err := ParseConstraint(d.Constraint); err != nil {
		return Dependency{}, err
	}
	return d, nil
}

func splitDependency(s string) Dependency {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t\n\r"); i >= 0 {
		return Dependency{AtomID: s[:i], Constraint: strings.TrimSpace(s[i+1:])}
	}
	return Dependency{AtomID: s}
}

// MaxConstraintLen bounds the length of a constraint string.
const MaxConstraintLen = 256

// Constraint is a parsed version constraint. The zero value allows any
// release version.
type Constraint struct {
	text string
	sc   *semver.Constraints // nil: any release version
}

// ParseConstraint parses a Masterminds/semver constraint, such as ">=1.3.0",
// "^1.2", "~1.3", "1.2 - 1.4", ">=1.0.0, <2.0.0" or "^1 || ^2". An empty
// string or "*" allows any release version.
// Errors: core.AtomConstraintInvalid.
func ParseConstraint(s string) (Constraint, error) {
	t := strings.TrimSpace(s)
	if t == "" || t == "*" {
		return Constraint{}, nil
	}
	if len(t) > MaxConstraintLen {
		return Constraint{}, core.Errorf(core.AtomConstraintInvalid,
			"version constraint is longer than %d characters", MaxConstraintLen)
	}
	sc, err := semver.NewConstraint(t)
	if err != nil {
		return Constraint{}, &core.Error{Code: core.AtomConstraintInvalid,
			Message: "version constraint " + quoteShort(t) + " does not parse; write it as >=1.3.0, ^1.2, ~1.3 or 1.2 - 1.4", Err: err}
	}
	return Constraint{text: t, sc: sc}, nil
}

// String returns the constraint as written, trimmed; "" for any version.
func (c Constraint) String() string { return c.text }

// Any reports whether the constraint allows every release version.
func (c Constraint) Any() bool { return c.sc == nil }

// Allows reports whether version, a semantic version, satisfies the
// constraint. A version that does not parse is never allowed. Like
// Masterminds/semver, a pre-release version is allowed only by a constraint
// that names a pre-release.
func (c Constraint) Allows(version string) bool {
	v, err := semver.StrictNewVersion(version)
	if err != nil {
		return false
	}
	return c.check(v)
}

func (c Constraint) check(v *semver.Version) bool {
	if c.sc == nil {
		return v.Prerelease() == ""
	}
	return c.sc.Check(v)
}

// Mode says why an atom is installed for a tenant.
type Mode string

// The installation modes, as apt's manual and auto marks.
const (
	// ModeExplicit: a tenant admin asked for the atom. It stays until it is
	// uninstalled by hand.
	ModeExplicit Mode = "explicit"
	// ModeDependency: the resolver pulled the atom in for another one. It
	// is removed when no explicit installation needs it any more.
	ModeDependency Mode = "dependency"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == ModeExplicit || m == ModeDependency }

// InstalledAtom is one of a tenant's installations as the resolver sees it.
type InstalledAtom struct {
	Version string `json:"version"`
	Mode    Mode   `json:"mode"`
}

// Installed is a tenant's installed atoms, keyed by atom id. Built-in atoms
// need not (and should not) appear: every tenant has them.
type Installed map[string]InstalledAtom

func quoteShort(s string) string {
	const max = 40
	r := []rune(s)
	if len(r) > max {
		s = string(r[:max]) + "..."
	}
	return strconv.Quote(s)
}
