package atom

import (
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/atomixplatform/atomix/core"
)

// Filter selects atoms for List. Zero fields do not filter.
type Filter struct {
	// Category keeps the atoms of one category, compared exactly.
	Category string
	// Query keeps the atoms whose id, name or description contains it,
	// compared case-insensitively.
	Query string
}

// Len returns the number of atoms (distinct ids) in the catalog.
func (c *Catalog) Len() int { return len(c.entries) }

// Atoms returns every version of every atom, ordered by id and then newest
// first: the form to store or to pass to NewCatalog again.
func (c *Catalog) Atoms() []Atom {
	out := make([]Atom, len(c.atoms))
	for i := range c.atoms {
		out[i] = c.atoms[i].clone()
	}
	return out
}

// List returns the newest version (the newest release, else the newest
// pre-release) of each atom matching f, ordered by id. Built-in atoms are
// listed too.
func (c *Catalog) List(f Filter) []Atom {
	q := strings.ToLower(strings.TrimSpace(f.Query))
	var out []Atom
	for ei := range c.entries {
		e := &c.entries[ei]
		a := e.versions[e.latest].atom
		if f.Category != "" && a.Category != f.Category {
			continue
		}
		if q != "" && !strings.Contains(a.ID, q) && !strings.Contains(strings.ToLower(a.Name), q) &&
			!strings.Contains(strings.ToLower(a.Description), q) {
			continue
		}
		out = append(out, a.clone())
	}
	return out
}

// Versions returns every version of atom id, newest first.
// Errors: core.AtomNotFound.
func (c *Catalog) Versions(id string) ([]Atom, error) {
	e, err := c.entry(id)
	if err != nil {
		return nil, err
	}
	out := make([]Atom, len(e.versions))
	for i := range e.versions {
		out[i] = e.versions[i].atom.clone()
	}
	return out, nil
}

// Latest returns the newest release of atom id, or its newest pre-release
// when it has no release. A built-in atom runs at this version.
// Errors: core.AtomNotFound.
func (c *Catalog) Latest(id string) (Atom, error) {
	e, err := c.entry(id)
	if err != nil {
		return Atom{}, err
	}
	return e.versions[e.latest].atom.clone(), nil
}

// Get returns version of atom id. The version compares as a semantic
// version, so "1.5.0" finds 1.5.0 however it was written.
// Errors: core.AtomNotFound; core.AtomVersionNotFound.
func (c *Catalog) Get(id, version string) (Atom, error) {
	e, err := c.entry(id)
	if err != nil {
		return Atom{}, err
	}
	v, err := c.version(e, version)
	if err != nil {
		return Atom{}, err
	}
	return v.atom.clone(), nil
}

func (c *Catalog) entry(id string) (*entry, error) {
	i, ok := c.byID[id]
	if !ok {
		return nil, core.Errorf(core.AtomNotFound, "the catalog has no atom %s", quoteShort(id))
	}
	return &c.entries[i], nil
}

// versionIndex returns the index of version in e.versions, or -1.
func (e *entry) versionIndex(version string) int {
	for i := range e.versions {
		if e.versions[i].atom.Version == version {
			return i
		}
	}
	sv, err := semver.StrictNewVersion(version)
	if err != nil {
		return -1
	}
	for i := range e.versions {
		if e.versions[i].sv.Equal(sv) {
			return i
		}
	}
	return -1
}

func (c *Catalog) version(e *entry, ver string) (*version, error) {
	i := e.versionIndex(ver)
	if i < 0 {
		return nil, core.Errorf(core.AtomVersionNotFound, "the catalog has no %s %s; it has %s", e.id, quoteVersion(ver), e.versionList(nil))
	}
	return &e.versions[i], nil
}

func quoteVersion(v string) string {
	if _, err := semver.StrictNewVersion(v); err == nil {
		return v
	}
	return "version " + quoteShort(v)
}

func (a *Atom) clone() Atom {
	b := *a
	b.Features = slices.Clone(a.Features)
	b.Dependencies = slices.Clone(a.Dependencies)
	b.Permissions = slices.Clone(a.Permissions)
	b.ConfigSchema = slices.Clone(a.ConfigSchema)
	if a.Pricing.Price != nil {
		p := *a.Pricing.Price
		b.Pricing.Price = &p
	}
	return b
}
