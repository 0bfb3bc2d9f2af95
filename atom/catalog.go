package atom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/message"

	"github.com/atomixplatform/atomix/core"
)

// Catalog is an immutable, validated set of atom versions. It is safe for
// concurrent use. Build it with NewCatalog, LoadCatalogJSON or DemoCatalog.
type Catalog struct {
	atoms   []Atom // every version: by id, then newest first
	entries []entry
	byID    map[string]int32
	// order lists the entries so that every atom comes before the atoms
	// it depends on; entry.topo is the position of an entry here.
	order   []int32
	schemas map[string]*jsonschema.Schema // by compact schema text
	printer *message.Printer
}

// entry is one atom id with all its versions.
type entry struct {
	id       string
	builtin  bool
	topo     int32
	versions []version // newest first
	first    int       // the position of versions[0] in Catalog.atoms
	latest   int       // the newest release, else the newest pre-release
	releases vset      // the versions that are not pre-releases
}

type version struct {
	atom   *Atom // into Catalog.atoms
	sv     *semver.Version
	vid    uint32 // the version's id in the build's parser
	deps   []dep
	schema *jsonschema.Schema
}

// dep is a dependency with its constraint resolved against the target's
// versions once, at publish time.
type dep struct {
	target  int32  // entry index
	kid     uint32 // the constraint's id in the build's parser
	text    string // the constraint as written; "" for any release
	allowed vset   // over the target's versions
}

// NewCatalog validates atoms and returns the catalog holding them. It checks
// every field (ids, strict semantic versions, pricing with integer minor
// units, permissions, config schemas), that each (id, version) appears once,
// that every dependency names a catalog atom and that some catalog version
// satisfies its constraint (for a built-in atom: its newest version), that a
// built-in atom depends only on built-in atoms, and that no atom depends on
// itself through any chain. The catalog keeps its own copy of atoms.
//
// Each error names the offending entries by field path, such as
// "atoms[3].dependencies[0]", where the index is the position in atoms.
// Errors: core.AtomInvalid (malformed fields; all of them, up to 100, in
// Fields); core.AtomDuplicate; core.AtomDependencyUnknown;
// core.AtomConstraintUnsatisfiable; core.AtomDependencyCycle.
func NewCatalog(atoms []Atom) (*Catalog, error) {
	return build(atoms, nil)
}

// With returns a new catalog holding the atoms of c and the given ones,
// validated as NewCatalog does; c is unchanged. Config schemas c has
// compiled already are reused.
// Errors: those of NewCatalog, with field paths indexing c.Atoms() followed
// by atoms.
func (c *Catalog) With(atoms ...Atom) (*Catalog, error) {
	all := make([]Atom, 0, len(c.atoms)+len(atoms))
	all = append(all, c.atoms...)
	all = append(all, atoms...)
	return build(all, c.schemas)
}

// MaxCatalogBytes bounds the JSON document LoadCatalogJSON reads.
const MaxCatalogBytes = 64 << 20

// LoadCatalogJSON reads a catalog document, {"atoms": [Atom, ...]}, and
// validates it as NewCatalog does. Unknown members are refused.
// Errors: core.AtomInvalid when the document does not decode (with the
// field when one is known); those of NewCatalog.
func LoadCatalogJSON(r io.Reader) (*Catalog, error) {
	var doc struct {
		Atoms []Atom `json:"atoms"`
	}
	lr := &io.LimitedReader{R: r, N: MaxCatalogBytes + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	err := dec.Decode(&doc)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the catalog object")
	}
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = errors.New("unexpected data after the catalog object")
		}
	}
	if lr.N <= 0 {
		return nil, core.Errorf(core.AtomInvalid, "the catalog document is larger than %d bytes", MaxCatalogBytes)
	}
	if err != nil {
		return nil, decodeError(err)
	}
	return NewCatalog(doc.Atoms)
}

func decodeError(err error) error {
	e := &core.Error{Code: core.AtomInvalid, Err: err}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		e.Message = fmt.Sprintf("the catalog is not valid JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "atoms"
		}
		e.Message = fmt.Sprintf("the catalog does not decode: %s must be %s, not %s", field, jsonType(typ.Type.Kind().String()), typ.Value)
		e.Fields = []core.FieldError{{Field: field, Message: "must be " + jsonType(typ.Type.Kind().String())}}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		e.Message = "the catalog document ends early"
	default:
		e.Message = "the catalog does not decode: " + strings.TrimPrefix(err.Error(), "json: ")
	}
	return e
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "int", "int64", "int32", "uint", "uint64":
		return "an integer"
	}
	return "a " + goKind
}

func build(in []Atom, prevSchemas map[string]*jsonschema.Schema) (*Catalog, error) {
	n := len(in)
	c := &Catalog{
		atoms:   make([]Atom, n),
		byID:    make(map[string]int32),
		schemas: make(map[string]*jsonschema.Schema),
		printer: newPrinter(),
	}

	// 1. Fields of each entry; versions and constraints parsed once per
	// distinct text.
	ps := newParser()
	svs := make([]parsedVersion, n)
	var fl fieldList
	for i := range in {
		svs[i] = checkAtom(&in[i], i, &fl, ps)
	}
	var schemaOf []*jsonschema.Schema
	for i := range in {
		if len(in[i].ConfigSchema) == 0 {
			continue
		}
		if schemaOf == nil {
			schemaOf = make([]*jsonschema.Schema, n)
		}
		sch, err := c.schema(in[i].ConfigSchema, prevSchemas)
		if err != nil {
			fl.add(fmt.Sprintf("atoms[%d].configSchema", i), "%s %s: the config schema is invalid: %s", in[i].ID, in[i].Version, err)
			continue
		}
		schemaOf[i] = sch
	}
	if fl.len() > 0 {
		return nil, catalogError(core.AtomInvalid, &fl)
	}

	// 2. Canonical order (id, newest first) and duplicates.
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if x := strings.Compare(in[a].ID, in[b].ID); x != 0 {
			return x
		}
		return svs[b].sv.Compare(svs[a].sv)
	})
	for k := 1; k < n; k++ {
		a, b := idx[k-1], idx[k]
		if in[a].ID == in[b].ID && svs[a].sv.Compare(svs[b].sv) == 0 {
			fl.add(fmt.Sprintf("atoms[%d].version", b), "%s %s is published twice (atoms[%d] and atoms[%d])", in[b].ID, in[b].Version, a, b)
		}
	}
	if fl.len() > 0 {
		return nil, catalogError(core.AtomDuplicate, &fl)
	}

	// 3. Entries, copies and the per-id rules.
	inputOf := make([]int, n) // canonical position -> input index
	depCount, featCount, permCount := 0, 0, 0
	for _, i := range idx {
		depCount += len(in[i].Dependencies)
		featCount += len(in[i].Features)
		permCount += len(in[i].Permissions)
	}
	depArena := make([]Dependency, 0, depCount)
	featArena := make([]string, 0, featCount)
	permArena := make([]string, 0, permCount)
	for k, i := range idx {
		a := &c.atoms[k]
		*a = in[i]
		a.Features = carve(&featArena, a.Features)
		a.Dependencies = carve(&depArena, a.Dependencies)
		a.Permissions = carve(&permArena, a.Permissions)
		if len(a.ConfigSchema) > 0 {
			var b bytes.Buffer
			_ = json.Compact(&b, a.ConfigSchema) // compiled above, so valid
			a.ConfigSchema = b.Bytes()
		}
		if a.Pricing.Type == "" {
			a.Pricing.Type = PricingIncluded // built-in
		}
		if a.Pricing.Price != nil {
			p := *a.Pricing.Price
			a.Pricing.Price = &p
		}
		inputOf[k] = i
	}
	for k := 0; k < n; {
		id := c.atoms[k].ID
		end := k + 1
		for end < n && c.atoms[end].ID == id {
			end++
		}
		e := entry{id: id, builtin: c.atoms[k].Builtin, first: k, latest: -1}
		e.versions = make([]version, end-k)
		e.releases = newVset(end - k)
		for j := k; j < end; j++ {
			v := &e.versions[j-k]
			v.atom = &c.atoms[j]
			v.sv, v.vid = svs[inputOf[j]].sv, svs[inputOf[j]].id
			if schemaOf != nil {
				v.schema = schemaOf[inputOf[j]]
			}
			if v.sv.Prerelease() == "" {
				e.releases.set(j - k)
				if e.latest < 0 {
					e.latest = j - k
				}
			}
			if c.atoms[j].Builtin != e.builtin {
				fl.add(fmt.Sprintf("atoms[%d].builtin", inputOf[j]), "%s %s says builtin %t, but the newest version, %s, says %t; every version of an atom is built-in or none is",
					id, c.atoms[j].Version, c.atoms[j].Builtin, c.atoms[k].Version, e.builtin)
			}
		}
		if e.latest < 0 {
			e.latest = 0
		}
		c.byID[id] = int32(len(c.entries))
		c.entries = append(c.entries, e)
		k = end
	}
	c.checkPermissionOwners(inputOf, &fl)
	if fl.len() > 0 {
		return nil, catalogError(core.AtomInvalid, &fl)
	}

	// 4. Dependencies: known targets, satisfiable constraints.
	c.resolveDeps(inputOf, &fl, ps)
	if fl.len() > 0 {
		return nil, catalogError(core.AtomDependencyUnknown, &fl)
	}
	c.matchDeps(inputOf, &fl, ps)
	if fl.len() > 0 {
		return nil, catalogError(core.AtomConstraintUnsatisfiable, &fl)
	}
	c.checkBuiltinDeps(inputOf, &fl)
	if fl.len() > 0 {
		return nil, catalogError(core.AtomInvalid, &fl)
	}

	// 5. No cycles; the topological order.
	if err := c.sortTopologically(inputOf); err != nil {
		return nil, err
	}
	return c, nil
}

// carve appends s to arena, which has room for it, and returns the
// appended part: a copy of s that is never nil.
func carve[T any](arena *[]T, s []T) []T {
	l := len(*arena)
	*arena = append(*arena, s...)
	return (*arena)[l:len(*arena):len(*arena)]
}

// schema compiles raw, reusing a schema compiled before for the same text.
func (c *Catalog) schema(raw json.RawMessage, prev map[string]*jsonschema.Schema) (*jsonschema.Schema, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, errors.New("the schema is not valid JSON")
	}
	key := b.String()
	if s, ok := c.schemas[key]; ok {
		return s, nil
	}
	if s, ok := prev[key]; ok {
		c.schemas[key] = s
		return s, nil
	}
	s, err := compileSchema(b.Bytes())
	if err != nil {
		return nil, errors.New(schemaError(err, c.printer))
	}
	c.schemas[key] = s
	return s, nil
}

// checkPermissionOwners checks that a permission resource ("crm" of
// "crm:view") belongs to one atom id.
func (c *Catalog) checkPermissionOwners(inputOf []int, fl *fieldList) {
	owner := make(map[string]string)
	for k := range c.atoms {
		a := &c.atoms[k]
		for j, p := range a.Permissions {
			res, _, _ := strings.Cut(p, ":")
			if o, ok := owner[res]; ok && o != a.ID {
				fl.add(fmt.Sprintf("atoms[%d].permissions[%d]", inputOf[k], j), "%s %s: permission %s belongs to %s, which defines the %s resource", a.ID, a.Version, p, o, res)
				continue
			}
			owner[res] = a.ID
		}
	}
}

func (c *Catalog) resolveDeps(inputOf []int, fl *fieldList, ps *parser) {
	n := 0
	for k := range c.atoms {
		n += len(c.atoms[k].Dependencies)
	}
	arena := make([]dep, 0, n)
	pos := 0
	for ei := range c.entries {
		e := &c.entries[ei]
		for vi := range e.versions {
			v := &e.versions[vi]
			start := len(arena)
			for j, d := range v.atom.Dependencies {
				t, ok := c.byID[d.AtomID]
				if !ok {
					fl.add(fmt.Sprintf("atoms[%d].dependencies[%d]", inputOf[pos], j), "%s %s needs %s, which is not in the catalog", e.id, v.atom.Version, d.AtomID)
					continue
				}
				pc := ps.constraints[d.Constraint]
				arena = append(arena, dep{target: t, kid: pc.id, text: pc.k.String()})
			}
			v.deps = arena[start:len(arena):len(arena)]
			pos++
		}
	}
}

// matchDeps computes, once, which versions of its target each dependency
// allows, and refuses dependencies no version satisfies.
func (c *Catalog) matchDeps(inputOf []int, fl *fieldList, ps *parser) {
	words := 0
	for ei := range c.entries {
		e := &c.entries[ei]
		for vi := range e.versions {
			for _, d := range e.versions[vi].deps {
				words += len(c.entries[d.target].releases)
			}
		}
	}
	arena := make([]uint64, words)
	pos := 0
	for ei := range c.entries {
		e := &c.entries[ei]
		for vi := range e.versions {
			v := &e.versions[vi]
			for j := range v.deps {
				d := &v.deps[j]
				t := &c.entries[d.target]
				w := len(t.releases)
				d.allowed, arena = vset(arena[:w:w]), arena[w:]
				var k Constraint
				if d.text != "" {
					k = ps.constraints[v.atom.Dependencies[j].Constraint].k
				}
				if k.Any() {
					copy(d.allowed, t.releases)
				} else {
					for ti := range t.versions {
						if tv := &t.versions[ti]; ps.allows(k, d.kid, tv.sv, tv.vid) {
							d.allowed.set(ti)
						}
					}
				}
				field := func() string { return fmt.Sprintf("atoms[%d].dependencies[%d]", inputOf[pos], j) }
				switch {
				case d.allowed.empty() && k.Any():
					fl.add(field(), "%s %s needs a release of %s, but the catalog has only pre-releases of it (%s); name one in a constraint", e.id, v.atom.Version, t.id, t.versionList(nil))
				case d.allowed.empty():
					fl.add(field(), "%s %s needs %s %s, which no catalog version satisfies (%s has %s)", e.id, v.atom.Version, t.id, d.text, t.id, t.versionList(nil))
				case t.builtin && !d.allowed.has(t.latest):
					fl.add(field(), "%s %s needs %s %s, but built-in %s runs at its newest version, %s", e.id, v.atom.Version, t.id, d.text, t.id, t.versions[t.latest].atom.Version)
				}
			}
			pos++
		}
	}
}

func (c *Catalog) checkBuiltinDeps(inputOf []int, fl *fieldList) {
	pos := 0
	for ei := range c.entries {
		e := &c.entries[ei]
		for vi := range e.versions {
			v := &e.versions[vi]
			if e.builtin {
				for j, d := range v.deps {
					if t := &c.entries[d.target]; !t.builtin {
						fl.add(fmt.Sprintf("atoms[%d].dependencies[%d]", inputOf[pos], j), "built-in %s %s may depend only on built-in atoms, and %s is not one", e.id, v.atom.Version, t.id)
					}
				}
			}
			pos++
		}
	}
}

// sortTopologically orders the entries so that each comes before the
// entries it depends on (Kahn's algorithm over the id-level graph: an edge
// a -> b when any version of a depends on b), or returns the first cycle.
func (c *Catalog) sortTopologically(inputOf []int) error {
	n := len(c.entries)
	indeg := make([]int32, n)
	for ei := range c.entries {
		for vi := range c.entries[ei].versions {
			for _, d := range c.entries[ei].versions[vi].deps {
				indeg[d.target]++
			}
		}
	}
	// Level by level, each level in id order (entry order), so that the
	// order reads well in plans: atoms nothing depends on first, then the
	// atoms only they depend on, and so on.
	c.order = make([]int32, 0, n)
	for ei := range indeg {
		if indeg[ei] == 0 {
			c.order = append(c.order, int32(ei))
		}
	}
	for start := 0; start < len(c.order); {
		end := len(c.order)
		for h := start; h < end; h++ {
			e := &c.entries[c.order[h]]
			e.topo = int32(h)
			for vi := range e.versions {
				for _, d := range e.versions[vi].deps {
					if indeg[d.target]--; indeg[d.target] == 0 {
						c.order = append(c.order, d.target)
					}
				}
			}
		}
		slices.Sort(c.order[end:])
		start = end
	}
	if len(c.order) == n {
		return nil
	}
	return c.cycleError(indeg, inputOf)
}

// cycleError finds a cycle among the entries Kahn's algorithm could not
// order and describes it. Each of those has indeg > 0: a dependent that is
// itself unordered. Walking from one to such a dependent, again and again,
// must revisit an entry, which closes a cycle.
func (c *Catalog) cycleError(indeg []int32, inputOf []int) error {
	dependents := make(map[int32][]int32)
	start := int32(-1)
	for ei := range c.entries {
		if indeg[ei] == 0 {
			continue
		}
		if start < 0 {
			start = int32(ei)
		}
		for vi := range c.entries[ei].versions {
			for _, d := range c.entries[ei].versions[vi].deps {
				if indeg[d.target] > 0 {
					dependents[d.target] = append(dependents[d.target], int32(ei))
				}
			}
		}
	}
	seen := make(map[int32]int)
	var path []int32
	for cur := start; ; cur = dependents[cur][0] {
		if at, ok := seen[cur]; ok {
			path = path[at:]
			break
		}
		seen[cur] = len(path)
		path = append(path, cur)
	}
	// Each entry of path is depended on by the next; reverse it so that
	// each depends on the next, and start at the smallest id.
	slices.Reverse(path)
	m := 0
	for i := range path {
		if c.entries[path[i]].id < c.entries[path[m]].id {
			m = i
		}
	}
	path = append(path[m:], path[:m]...)
	names := make([]string, 0, len(path)+1)
	because := make([]string, 0, len(path))
	field := ""
	for i, ei := range path {
		e := &c.entries[ei]
		next := path[(i+1)%len(path)]
		names = append(names, e.id)
		for vi, v := range e.versions { // the newest version that needs next
			if j := slices.IndexFunc(v.deps, func(d dep) bool { return d.target == next }); j >= 0 {
				because = append(because, fmt.Sprintf("%s %s needs %s", e.id, v.atom.Version, c.entries[next].id))
				if field == "" {
					field = fmt.Sprintf("atoms[%d].dependencies[%d]", inputOf[e.first+vi], j)
				}
				break
			}
		}
	}
	names = append(names, names[0])
	cycle := strings.Join(names, " -> ")
	return &core.Error{Code: core.AtomDependencyCycle,
		Message: fmt.Sprintf("dependency cycle: %s (%s); an atom may not depend on itself through other atoms", cycle, strings.Join(because, "; ")),
		Fields:  []core.FieldError{{Field: field, Message: "closes the dependency cycle " + cycle}}}
}

// catalogError turns collected field errors into one *core.Error.
func catalogError(code core.Code, fl *fieldList) error {
	fields := make([]core.FieldError, len(fl.fields))
	for i, f := range fl.fields {
		fields[i] = core.FieldError{Field: f.field, Message: f.msg}
	}
	msg := fields[0].Message
	if total := fl.len(); total > 1 {
		msg = fmt.Sprintf("%d problems in the catalog; the first, at %s: %s", total, fields[0].Field, fields[0].Message)
		if fl.dropped > 0 {
			msg += fmt.Sprintf(" (only the first %d are listed)", len(fields))
		}
	}
	return &core.Error{Code: code, Message: msg, Fields: fields}
}

// versionList formats the versions of e in set s (all when s is nil),
// newest first.
func (e *entry) versionList(s vset) string {
	var b strings.Builder
	for i := range e.versions {
		if s != nil && !s.has(i) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.versions[i].atom.Version)
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}
