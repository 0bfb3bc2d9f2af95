package atom_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
)

func FuzzParseConstraint(f *testing.F) {
	for _, s := range []string{"", "*", ">=1.3.0", "^1.2", "~1.3", "1.2 - 1.4", ">=1.0.0, <2.0.0", "^1 || ^3", "1.x", ">=2.0.0-beta.1",
		"||", ">>1", "~>", "1.2.3 - ", "v1.2.3", "=1.0.0 || != 2.0.0", "x.X.*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := atom.ParseConstraint(s)
		if err != nil {
			var e *core.Error
			if !errors.As(err, &e) || e.Code != core.AtomConstraintInvalid {
				t.Fatalf("ParseConstraint(%q): got error %v (%T), want a *core.Error with code %s", s, err, err, core.AtomConstraintInvalid)
			}
			return
		}
		for _, v := range []string{"0.0.0", "1.2.3", "2.0.0-beta.1", "not-a-version"} {
			k.Allows(v)
		}
		again, err := atom.ParseConstraint(k.String())
		if err != nil {
			t.Fatalf("ParseConstraint(%q) parsed, but its String %q does not: %v", s, k.String(), err)
		}
		if again.String() != k.String() || again.Any() != k.Any() {
			t.Fatalf("reparsing %q: got %q (any %t), want %q (any %t)", s, again.String(), again.Any(), k.String(), k.Any())
		}
	})
}

func FuzzLoadCatalogJSON(f *testing.F) {
	demoDoc, err := json.Marshal(map[string]any{"atoms": demo(f).Atoms()})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(demoDoc)
	for _, s := range []string{
		`{"atoms": []}`,
		`{"atoms": [{"id": "atom_a", "name": "A", "version": "1.0.0", "category": "x", "pricing": {"type": "included", "atomSlots": 1}, "dependencies": ["atom_a"]}]}`,
		`{"atoms": [{"id": "atom_a", "name": "A", "version": "1.0.0", "category": "x", "pricing": {"type": "included", "atomSlots": 1}},
		            {"id": "atom_b", "name": "B", "version": "1.0.0", "category": "x", "pricing": {"type": "included", "atomSlots": 1}, "dependencies": ["atom_a ^1 || ^2"]}]}`,
		`{"atoms": [{"id": "atom_a", "configSchema": {"type": "object", "properties": {"a": {"$ref": "#/$defs/x"}}, "$defs": {"x": {"type": "string"}}}}]}`,
		`{"atoms": [{"id": "atom_a", "pricing": {"type": "paid", "price": {"amount": 1e30, "currency": "USD"}}}]}`,
		`{"atoms": [{"dependencies": [{"atomId": "atom_x", "constraint": ">=1"}, "atom_y"]}]}`,
		`[`, `null`, `{"atoms": null}`, `{"atoms": [null]}`, `"atoms"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := atom.LoadCatalogJSON(bytes.NewReader(doc))
		if err != nil {
			var e *core.Error
			if !errors.As(err, &e) {
				t.Fatalf("got error %v (%T), want a *core.Error", err, err)
			}
			if k := e.Code.Class(); k != core.Invalid && k != core.Conflict {
				t.Fatalf("got code %s (class %s), want an invalid or conflict class: %v", e.Code, k, err)
			}
			return
		}
		// A catalog that loads survives a round trip and plans installs of
		// each of its atoms without panicking.
		out, err := json.Marshal(map[string]any{"atoms": c.Atoms()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := atom.LoadCatalogJSON(bytes.NewReader(out)); err != nil {
			t.Fatalf("the catalog's own atoms do not load again: %v", err)
		}
		for _, a := range c.List(atom.Filter{}) {
			p, err := c.PlanInstall(atom.Installed{}, atom.InstallRequest{AtomID: a.ID})
			if err != nil {
				var e *core.Error
				if !errors.As(err, &e) {
					t.Fatalf("PlanInstall(%s): got error %v (%T), want a *core.Error", a.ID, err, err)
				}
				continue
			}
			if _, err := c.PlanUninstall(p.After, atom.UninstallRequest{AtomID: a.ID}); err != nil {
				t.Fatalf("PlanUninstall(%s) after installing it: got %v, want none", a.ID, err)
			}
		}
	})
}
