package atom_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
)

func TestNewCatalogErrors(t *testing.T) {
	with := func(a atom.Atom, f func(*atom.Atom)) atom.Atom { f(&a); return a }
	paid := func(amount int64, cur string) func(*atom.Atom) {
		return func(a *atom.Atom) {
			a.Pricing = atom.Pricing{Type: atom.PricingPaid, AtomSlots: 1, Price: &atom.Price{Amount: amount, Currency: cur}}
		}
	}
	schema := func(s string) func(*atom.Atom) { return func(a *atom.Atom) { a.ConfigSchema = json.RawMessage(s) } }
	perms := func(p ...string) func(*atom.Atom) { return func(a *atom.Atom) { a.Permissions = p } }
	many := make([]atom.Atom, 120)
	for i := range many {
		many[i] = mk(fmt.Sprintf("atom_x%d", i), "1")
	}
	tests := []struct {
		name  string
		atoms []atom.Atom
		code  core.Code
		field string
		msg   string
	}{
		{"id without atom_ prefix", []atom.Atom{mk("crm", "1.0.0")}, core.AtomInvalid, "atoms[0].id",
			`atoms[0]: id "crm" must be lowercase letters and digits in words joined by underscores, such as atom_crm`},
		{"id with another prefix", []atom.Atom{mk("core_crm", "1.0.0")}, core.AtomInvalid, "atoms[0].id",
			`id "core_crm" must start with atom_ (only built-in atoms may use another prefix)`},
		{"id in capitals", []atom.Atom{mk("atom_CRM", "1.0.0")}, core.AtomInvalid, "atoms[0].id", "must be lowercase"},
		{"id with double underscore", []atom.Atom{mk("atom__crm", "1.0.0")}, core.AtomInvalid, "atoms[0].id", "must be lowercase"},
		{"id too long", []atom.Atom{mk("atom_"+strings.Repeat("a", 60), "1.0.0")}, core.AtomInvalid, "atoms[0].id", "longer than 64"},
		{"missing version", []atom.Atom{mk("atom_crm", "")}, core.AtomInvalid, "atoms[0].version", "atom_crm: version is required"},
		{"partial version", []atom.Atom{mk("atom_crm", "1.5")}, core.AtomInvalid, "atoms[0].version",
			`atom_crm: version "1.5" is not a semantic version such as 1.5.0`},
		{"v prefix", []atom.Atom{mk("atom_crm", "v1.5.0")}, core.AtomInvalid, "atoms[0].version", "is not a semantic version"},
		{"build metadata", []atom.Atom{mk("atom_crm", "1.5.0+build.7")}, core.AtomInvalid, "atoms[0].version",
			`atom_crm: version "1.5.0+build.7" carries build metadata, which does not order versions; drop the +build.7`},
		{"missing name", []atom.Atom{with(mk("atom_crm", "1.0.0"), func(a *atom.Atom) { a.Name = " " })}, core.AtomInvalid, "atoms[0].name",
			"atom_crm 1.0.0: name is required"},
		{"control character in name", []atom.Atom{with(mk("atom_crm", "1.0.0"), func(a *atom.Atom) { a.Name = "CRM\x00" })}, core.AtomInvalid, "atoms[0].name", "characters of text"},
		{"bad category", []atom.Atom{with(mk("atom_crm", "1.0.0"), func(a *atom.Atom) { a.Category = "Sales Tools" })}, core.AtomInvalid, "atoms[0].category",
			`category "Sales Tools" must be a lowercase slug`},
		{"bad feature", []atom.Atom{with(mk("atom_crm", "1.0.0"), func(a *atom.Atom) { a.Features = []string{"ok", "Not OK"} })}, core.AtomInvalid, "atoms[0].features[1]",
			`feature "Not OK" must be a lowercase slug`},
		{"feature twice", []atom.Atom{with(mk("atom_crm", "1.0.0"), func(a *atom.Atom) { a.Features = []string{"deals", "deals"} })}, core.AtomInvalid, "atoms[0].features[1]",
			"feature deals is listed twice"},
		{"permission without action", []atom.Atom{with(mk("atom_crm", "1.0.0"), perms("crm"))}, core.AtomInvalid, "atoms[0].permissions[0]",
			`atom_crm 1.0.0: permission "crm" must be resource:action or resource:*, in lowercase, such as crm:view`},
		{"permission in capitals", []atom.Atom{with(mk("atom_crm", "1.0.0"), perms("CRM:view"))}, core.AtomInvalid, "atoms[0].permissions[0]", "must be resource:action"},
		{"permission on every resource", []atom.Atom{with(mk("atom_crm", "1.0.0"), perms("*:view"))}, core.AtomInvalid, "atoms[0].permissions[0]", "must be resource:action"},
		{"permission twice", []atom.Atom{with(mk("atom_crm", "1.0.0"), perms("crm:view", "crm:view"))}, core.AtomInvalid, "atoms[0].permissions[1]", "permission crm:view is listed twice"},
		{"permission resource of another atom", []atom.Atom{with(mk("atom_crm", "1.0.0"), perms("crm:view")), with(mk("atom_sales", "1.0.0"), perms("crm:edit"))},
			core.AtomInvalid, "atoms[1].permissions[0]", "atom_sales 1.0.0: permission crm:edit belongs to atom_crm, which defines the crm resource"},
		{"paid without price", []atom.Atom{with(mk("atom_crm", "1.0.0"), func(a *atom.Atom) { a.Pricing.Type = atom.PricingPaid })}, core.AtomInvalid, "atoms[0].pricing.price",
			"atom_crm 1.0.0: a paid atom needs a price"},
		{"paid at zero", []atom.Atom{with(mk("atom_crm", "1.0.0"), paid(0, "USD"))}, core.AtomInvalid, "atoms[0].pricing.price.amount", "positive amount in minor units"},
		{"lowercase currency", []atom.Atom{with(mk("atom_crm", "1.0.0"), paid(4900, "usd"))}, core.AtomInvalid, "atoms[0].pricing.price.currency",
			`currency "usd" must be an ISO 4217 code such as USD`},
		{"included with a price", []atom.Atom{with(mk("atom_crm", "1.0.0"), func(a *atom.Atom) { a.Pricing.Price = &atom.Price{Amount: 1, Currency: "USD"} })},
			core.AtomInvalid, "atoms[0].pricing.price", "an included atom has no price"},
		{"unknown pricing type", []atom.Atom{with(mk("atom_crm", "1.0.0"), func(a *atom.Atom) { a.Pricing.Type = "free" })}, core.AtomInvalid, "atoms[0].pricing.type",
			`pricing type "free" must be included or paid`},
		{"missing pricing", []atom.Atom{with(mk("atom_crm", "1.0.0"), func(a *atom.Atom) { a.Pricing = atom.Pricing{} })}, core.AtomInvalid, "atoms[0].pricing.type", "pricing type is required"},
		{"negative slots", []atom.Atom{with(mk("atom_crm", "1.0.0"), func(a *atom.Atom) { a.Pricing.AtomSlots = -1 })}, core.AtomInvalid, "atoms[0].pricing.atomSlots", "between 0 and 100"},
		{"built-in using a slot", []atom.Atom{with(builtin("core_auth", "1.0.0"), func(a *atom.Atom) { a.Pricing.AtomSlots = 1 })}, core.AtomInvalid, "atoms[0].pricing",
			"core_auth 1.0.0: a built-in atom is included and uses no atom slot"},
		{"malformed dependency id", []atom.Atom{mk("atom_crm", "1.0.0", "Notification")}, core.AtomInvalid, "atoms[0].dependencies[0]", `dependency id "Notification" must be lowercase`},
		{"dependency twice", []atom.Atom{mk("atom_crm", "1.0.0", "atom_n >=1.0.0", "atom_n <2.0.0")}, core.AtomInvalid, "atoms[0].dependencies[1]",
			"atom_crm 1.0.0: depends on atom_n twice; join the constraints into one"},
		{"constraint that does not parse", []atom.Atom{mk("atom_crm", "1.0.0", "atom_n >>1.0")}, core.AtomInvalid, "atoms[0].dependencies[0]",
			`atom_crm 1.0.0: constraint ">>1.0" on atom_n does not parse; write it as >=1.3.0, ^1.2, ~1.3 or 1.2 - 1.4`},
		{"schema of the wrong type", []atom.Atom{with(mk("atom_crm", "1.0.0"), schema(`{"type":"string"}`))}, core.AtomInvalid, "atoms[0].configSchema",
			`atom_crm 1.0.0: the config schema is invalid: a config schema describes an object: its "type" must be "object"`},
		{"schema not an object", []atom.Atom{with(mk("atom_crm", "1.0.0"), schema(`[1]`))}, core.AtomInvalid, "atoms[0].configSchema", "the schema must be a JSON object"},
		{"schema not JSON", []atom.Atom{with(mk("atom_crm", "1.0.0"), schema(`{"type":`))}, core.AtomInvalid, "atoms[0].configSchema", "the schema is not valid JSON"},
		{"schema against the meta-schema", []atom.Atom{with(mk("atom_crm", "1.0.0"), schema(`{"type":"object","properties":{"a":{"type":"string","minLength":"x"}}}`))}, core.AtomInvalid, "atoms[0].configSchema",
			"atom_crm 1.0.0: the config schema is invalid: it is not a valid JSON Schema: at /properties/a/minLength: got string, want integer"},
		{"schema reading a file", []atom.Atom{with(mk("atom_crm", "1.0.0"), schema(`{"$ref":"file:///etc/passwd"}`))}, core.AtomInvalid, "atoms[0].configSchema",
			"external schema references are not allowed"},
		{"schema fetching a URL", []atom.Atom{with(mk("atom_crm", "1.0.0"), schema(`{"$ref":"https://example.com/s.json"}`))}, core.AtomInvalid, "atoms[0].configSchema",
			"external schema references are not allowed"},
		{"every field error is listed", many, core.AtomInvalid, "atoms[0].version", "120 problems in the catalog; the first, at atoms[0].version: atom_x0: version \"1\" is not a semantic version such as 1.5.0 (only the first 100 are listed)"},
		{"same version twice", []atom.Atom{mk("atom_crm", "1.5.0"), mk("atom_task", "1.0.0"), mk("atom_crm", "1.5.0")}, core.AtomDuplicate, "atoms[2].version",
			"atom_crm 1.5.0 is published twice (atoms[0] and atoms[2])"},
		{"built-in in one version only", []atom.Atom{builtin("core_auth", "1.0.0"), with(builtin("core_auth", "1.1.0"), func(a *atom.Atom) { a.Builtin = false; a.ID = "core_auth" })},
			core.AtomInvalid, "-", "atoms[1]: id \"core_auth\" must start with atom_"},
		{"built-in flag differs between versions", []atom.Atom{with(mk("atom_auth", "1.0.0"), func(a *atom.Atom) { a.Builtin = true; a.Pricing = atom.Pricing{} }), mk("atom_auth", "1.1.0")},
			core.AtomInvalid, "atoms[0].builtin", "atom_auth 1.0.0 says builtin true, but the newest version, 1.1.0, says false; every version of an atom is built-in or none is"},
		{"unknown dependency", []atom.Atom{mk("atom_crm", "1.5.0", "atom_notification")}, core.AtomDependencyUnknown, "atoms[0].dependencies[0]",
			"atom_crm 1.5.0 needs atom_notification, which is not in the catalog"},
		{"unsatisfiable constraint", []atom.Atom{mk("atom_notification", "1.3.0"), mk("atom_crm", "1.5.0", "atom_notification >=1.4.0")},
			core.AtomConstraintUnsatisfiable, "atoms[1].dependencies[0]",
			"atom_crm 1.5.0 needs atom_notification >=1.4.0, which no catalog version satisfies (atom_notification has 1.3.0)"},
		{"only pre-releases for a bare dependency", []atom.Atom{mk("atom_n", "2.0.0-beta.1"), mk("atom_crm", "1.0.0", "atom_n")},
			core.AtomConstraintUnsatisfiable, "atoms[1].dependencies[0]",
			"atom_crm 1.0.0 needs a release of atom_n, but the catalog has only pre-releases of it (2.0.0-beta.1); name one in a constraint"},
		{"built-in past the constraint", []atom.Atom{builtin("core_auth", "1.0.0"), builtin("core_auth", "1.1.0"), mk("atom_crm", "1.0.0", "core_auth ~1.0.0")},
			core.AtomConstraintUnsatisfiable, "atoms[2].dependencies[0]",
			"atom_crm 1.0.0 needs core_auth ~1.0.0, but built-in core_auth runs at its newest version, 1.1.0"},
		{"built-in needing an installable atom", []atom.Atom{mk("atom_n", "1.0.0"), with(builtin("core_auth", "1.0.0"), func(a *atom.Atom) { a.Dependencies = []atom.Dependency{{AtomID: "atom_n"}} })},
			core.AtomInvalid, "atoms[1].dependencies[0]", "built-in core_auth 1.0.0 may depend only on built-in atoms, and atom_n is not one"},
		{"self dependency", []atom.Atom{mk("atom_a", "1.0.0", "atom_a")}, core.AtomDependencyCycle, "atoms[0].dependencies[0]",
			"dependency cycle: atom_a -> atom_a (atom_a 1.0.0 needs atom_a)"},
		{"two-atom cycle", []atom.Atom{mk("atom_b", "1.0.0", "atom_a ^1.0"), mk("atom_a", "1.0.0"), mk("atom_a", "2.0.0", "atom_b")}, core.AtomDependencyCycle, "atoms[2].dependencies[0]",
			"dependency cycle: atom_a -> atom_b -> atom_a (atom_a 2.0.0 needs atom_b; atom_b 1.0.0 needs atom_a); an atom may not depend on itself through other atoms"},
		{"longer cycle behind a tail", []atom.Atom{mk("atom_z", "1.0.0", "atom_c"), mk("atom_c", "1.0.0", "atom_d"), mk("atom_d", "1.0.0", "atom_e"), mk("atom_e", "1.0.0", "atom_c"), mk("atom_f", "1.0.0")},
			core.AtomDependencyCycle, "atoms[1].dependencies[0]", "dependency cycle: atom_c -> atom_d -> atom_e -> atom_c (atom_c 1.0.0 needs atom_d; atom_d 1.0.0 needs atom_e; atom_e 1.0.0 needs atom_c)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := atom.NewCatalog(tt.atoms)
			if c != nil {
				t.Errorf("got a catalog, want nil")
			}
			checkErr(t, err, tt.code, tt.field, tt.msg)
		})
	}
}

func TestNewCatalogCopiesItsInput(t *testing.T) {
	in := []atom.Atom{mk("atom_n", "1.0.0"), mk("atom_crm", "1.0.0", "atom_n")}
	in[1].Features = []string{"deals"}
	c := mustCatalog(t, in)
	in[1].Features[0] = "changed"
	in[1].Dependencies[0].AtomID = "atom_x"
	got, err := c.Get("atom_crm", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if got.Features[0] != "deals" || got.Dependencies[0].AtomID != "atom_n" {
		t.Errorf("got %v and %v after changing the input, want deals and atom_n", got.Features, got.Dependencies)
	}
	got.Features[0] = "mine"
	again, _ := c.Get("atom_crm", "1.0.0")
	if again.Features[0] != "deals" {
		t.Errorf("got feature %q after changing a returned atom, want deals", again.Features[0])
	}
}

func TestCatalogLookups(t *testing.T) {
	c := demo(t)
	if got, want := c.Len(), 9; got != want {
		t.Errorf("Len: got %d, want %d", got, want)
	}
	vs, err := c.Versions("atom_wireframe")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.Version)
	}
	if want := []string{"3.0.0-beta.1", "2.1.0", "2.0.0"}; !slices.Equal(got, want) {
		t.Errorf("Versions: got %v, want %v (newest first)", got, want)
	}
	latest, err := c.Latest("atom_wireframe")
	if err != nil || latest.Version != "2.1.0" {
		t.Errorf("Latest: got %q, %v, want 2.1.0 (the newest release, not the pre-release)", latest.Version, err)
	}
	crm, err := c.Get("atom_crm", "1.5.0")
	if err != nil {
		t.Fatal(err)
	}
	if crm.Name != "CRM Atom" || crm.Dependencies[0] != (atom.Dependency{AtomID: "atom_notification", Constraint: ">=1.2.0"}) || len(crm.ConfigSchema) == 0 {
		t.Errorf("Get: got %+v, want CRM Atom needing atom_notification >=1.2.0 with a config schema", crm)
	}
	if _, err := c.Get("atom_nope", "1.0.0"); err == nil {
		t.Error("Get(atom_nope): got no error")
	} else {
		checkErr(t, err, core.AtomNotFound, "-", `the catalog has no atom "atom_nope"`)
	}
	_, err = c.Get("atom_crm", "9.9.9")
	checkErr(t, err, core.AtomVersionNotFound, "-", "the catalog has no atom_crm 9.9.9; it has 1.5.0, 1.4.0")
	_, err = c.Versions("atom_nope")
	checkErr(t, err, core.AtomNotFound, "-", "atom_nope")
	_, err = c.Latest("atom_nope")
	checkErr(t, err, core.AtomNotFound, "-", "atom_nope")

	ids := func(as []atom.Atom) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID+" "+a.Version)
		}
		return out
	}
	for _, tt := range []struct {
		f    atom.Filter
		want []string
	}{
		{atom.Filter{}, []string{"atom_analytics 3.0.0", "atom_campaign 1.1.0", "atom_crm 1.5.0", "atom_legacy_reports 1.0.0", "atom_notification 1.3.0", "atom_sms 1.0.0", "atom_task 1.8.0", "atom_wireframe 2.1.0", "core_auth 1.0.0"}},
		{atom.Filter{Category: "core"}, []string{"atom_wireframe 2.1.0", "core_auth 1.0.0"}},
		{atom.Filter{Query: "PIPELINE"}, []string{"atom_analytics 3.0.0", "atom_crm 1.5.0"}},
		{atom.Filter{Query: "notification"}, []string{"atom_legacy_reports 1.0.0", "atom_notification 1.3.0", "atom_sms 1.0.0"}},
		{atom.Filter{Category: "analytics", Query: "sales"}, []string{"atom_analytics 3.0.0"}},
		{atom.Filter{Category: "nothing"}, nil},
	} {
		if got := ids(c.List(tt.f)); !slices.Equal(got, tt.want) {
			t.Errorf("List(%+v): got %v, want %v", tt.f, got, tt.want)
		}
	}
}

func TestDemoCatalogRoundTrip(t *testing.T) {
	c := demo(t)
	b, err := json.Marshal(map[string]any{"atoms": c.Atoms()})
	if err != nil {
		t.Fatal(err)
	}
	again, err := atom.LoadCatalogJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("LoadCatalogJSON of Atoms(): got error %v, want none", err)
	}
	if diff := cmp.Diff(c.Atoms(), again.Atoms()); diff != "" {
		t.Errorf("round trip changed the atoms (-before +after):\n%s", diff)
	}
	// seed 000's shape for atom_wireframe 2.1.0
	w, _ := c.Get("atom_wireframe", "2.1.0")
	wb, _ := json.Marshal(w)
	var m map[string]any
	if err := json.Unmarshal(wb, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": "atom_wireframe", "name": "Wireframe Atom", "version": "2.1.0", "category": "core",
		"description":  "Visual wireframe documentation system",
		"features":     []any{"pin-auth", "comments", "versioning"},
		"dependencies": []any{"core_auth"},
		"pricing":      map[string]any{"type": "included", "atomSlots": float64(1)},
		"permissions":  []any{"wireframe:view", "wireframe:comment", "wireframe:edit"},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("atom_wireframe JSON (-want +got):\n%s", diff)
	}
	sms, _ := c.Get("atom_sms", "1.0.0")
	if p := sms.Pricing; p.Type != atom.PricingPaid || p.Price == nil || *p.Price != (atom.Price{Amount: 990, Currency: "USD"}) {
		t.Errorf("atom_sms pricing: got %+v, want paid 990 USD", p)
	}
}

func TestCatalogWith(t *testing.T) {
	c := demo(t)
	next, err := c.With(mk("atom_crm", "1.6.0", "atom_notification ^1.3"))
	if err != nil {
		t.Fatalf("With: got error %v, want none", err)
	}
	if l, _ := next.Latest("atom_crm"); l.Version != "1.6.0" {
		t.Errorf("With: got latest %s, want 1.6.0", l.Version)
	}
	if l, _ := c.Latest("atom_crm"); l.Version != "1.5.0" {
		t.Errorf("With changed the old catalog: got latest %s, want 1.5.0", l.Version)
	}
	_, err = c.With(mk("atom_crm", "1.5.0"))
	checkErr(t, err, core.AtomDuplicate, "atoms[16].version", "atom_crm 1.5.0 is published twice (atoms[3] and atoms[16])")
	_, err = c.With(mk("atom_notification", "1.4.0", "atom_task"))
	checkErr(t, err, core.AtomDependencyCycle, "-", "dependency cycle: atom_notification -> atom_task -> atom_notification")
}

func TestLoadCatalogJSONErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		field     string
		msg       string
	}{
		{"not JSON", `{"atoms": [`, "-", "the catalog document ends early"},
		{"syntax error", `{"atoms": [}`, "-", "the catalog is not valid JSON at byte 12"},
		{"unknown member", `{"atoms": [], "extra": 1}`, "-", `the catalog does not decode: unknown field "extra"`},
		{"unknown atom member", `{"atoms": [{"id": "atom_a", "colour": "red"}]}`, "-", `unknown field "colour"`},
		{"wrong type", `{"atoms": [{"id": "atom_a", "pricing": {"atomSlots": "one"}}]}`, "atoms.pricing.atomSlots", "atoms.pricing.atomSlots must be an integer, not string"},
		{"dependency of the wrong type", `{"atoms": [{"id": "atom_a", "dependencies": [5]}]}`, "-", "a dependency must be a string or an object"},
		{"trailing data", `{"atoms": []} {}`, "-", "unexpected data after the catalog object"},
		{"invalid atom", `{"atoms": [{"id": "atom_a", "name": "A", "version": "1", "category": "x", "pricing": {"type": "included"}}]}`, "atoms[0].version", `atom_a: version "1" is not a semantic version`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := atom.LoadCatalogJSON(strings.NewReader(tt.doc))
			checkErr(t, err, core.AtomInvalid, tt.field, tt.msg)
		})
	}
	// Dependencies may also be objects.
	c, err := atom.LoadCatalogJSON(strings.NewReader(`{"atoms": [
		{"id": "atom_a", "name": "A", "version": "1.0.0", "category": "x", "pricing": {"type": "included", "atomSlots": 1}},
		{"id": "atom_b", "name": "B", "version": "1.0.0", "category": "x", "pricing": {"type": "included", "atomSlots": 1},
		 "dependencies": [{"atomId": "atom_a", "constraint": " ^1.0 "}]}]}`))
	if err != nil {
		t.Fatalf("object dependency: got error %v, want none", err)
	}
	b, _ := c.Get("atom_b", "1.0.0")
	if got, want := b.Dependencies[0].String(), "atom_a ^1.0"; got != want {
		t.Errorf("object dependency: got %q, want %q", got, want)
	}
}

func TestParseConstraint(t *testing.T) {
	tests := []struct {
		in      string
		allowed []string
		denied  []string
	}{
		{"", []string{"0.1.0", "1.3.0", "9.0.0"}, []string{"2.0.0-beta.1", "x"}},
		{"*", []string{"1.3.0"}, []string{"2.0.0-beta.1"}},
		{">=1.3.0", []string{"1.3.0", "2.0.0"}, []string{"1.2.9"}},
		{"^1.2", []string{"1.2.0", "1.9.9"}, []string{"1.1.0", "2.0.0"}},
		{"~1.3", []string{"1.3.0", "1.3.7"}, []string{"1.4.0", "1.2.0"}},
		{"1.2 - 1.4", []string{"1.2.0", "1.4.0"}, []string{"1.5.0", "1.1.0"}},
		{">=1.0.0, <2.0.0", []string{"1.0.0", "1.9.0"}, []string{"2.0.0"}},
		{"^1 || ^3", []string{"1.5.0", "3.0.0"}, []string{"2.0.0"}},
		{">=2.0.0-beta", []string{"2.0.0-beta.1", "2.0.0"}, []string{"1.9.0"}},
	}
	for _, tt := range tests {
		k, err := atom.ParseConstraint(tt.in)
		if err != nil {
			t.Errorf("ParseConstraint(%q): got error %v, want none", tt.in, err)
			continue
		}
		for _, v := range tt.allowed {
			if !k.Allows(v) {
				t.Errorf("%q.Allows(%s): got false, want true", tt.in, v)
			}
		}
		for _, v := range tt.denied {
			if k.Allows(v) {
				t.Errorf("%q.Allows(%s): got true, want false", tt.in, v)
			}
		}
	}
	for _, bad := range []string{">>1", "1.2.3.4", "abc", "^", strings.Repeat("1", 300)} {
		_, err := atom.ParseConstraint(bad)
		checkErr(t, err, core.AtomConstraintInvalid, "-", "")
	}
	_, err := atom.ParseConstraint(">>1")
	checkErr(t, err, core.AtomConstraintInvalid, "-", `version constraint ">>1" does not parse; write it as >=1.3.0, ^1.2, ~1.3 or 1.2 - 1.4`)
}

func TestParseDependency(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want atom.Dependency
		code core.Code
	}{
		{"atom_notification", atom.Dependency{AtomID: "atom_notification"}, ""},
		{"  atom_notification   >=1.3.0, <2 ", atom.Dependency{AtomID: "atom_notification", Constraint: ">=1.3.0, <2"}, ""},
		{"core_auth ^1", atom.Dependency{AtomID: "core_auth", Constraint: "^1"}, ""},
		{"Atom_x", atom.Dependency{}, core.AtomInvalid},
		{"atom_x >>1", atom.Dependency{}, core.AtomConstraintInvalid},
	} {
		got, err := atom.ParseDependency(tt.in)
		if core.ErrorCode(err) != tt.code {
			t.Errorf("ParseDependency(%q): got code %q (%v), want %q", tt.in, core.ErrorCode(err), err, tt.code)
		}
		if got != tt.want {
			t.Errorf("ParseDependency(%q): got %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestCheckPermission(t *testing.T) {
	for p, want := range map[string]bool{
		"wireframe:view": true, "wireframe:comment": true, "task:*": true, "task:edit_own": true, "crm:view": true,
		"crm": false, "crm:": false, ":view": false, "*:*": false, "CRM:view": false, "crm:view:all": false, "crm:vi ew": false,
		"1crm:view": false, "crm:" + strings.Repeat("a", 64): false,
	} {
		if got := atom.CheckPermission(p); got != want {
			t.Errorf("CheckPermission(%q): got %t, want %t", p, got, want)
		}
	}
}
