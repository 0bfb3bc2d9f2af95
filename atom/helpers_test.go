package atom_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
)

// mk returns a valid atom with the given dependencies, each in the string
// form ("atom_b >=1.0.0").
func mk(id, version string, deps ...string) atom.Atom {
	a := atom.Atom{
		ID: id, Name: "Test " + id, Version: version, Category: "test",
		Pricing: atom.Pricing{Type: atom.PricingIncluded, AtomSlots: 1},
	}
	for _, d := range deps {
		id, c, _ := strings.Cut(d, " ")
		a.Dependencies = append(a.Dependencies, atom.Dependency{AtomID: id, Constraint: c})
	}
	return a
}

func builtin(id, version string) atom.Atom {
	a := mk(id, version)
	a.Builtin = true
	a.Pricing = atom.Pricing{Type: atom.PricingIncluded}
	return a
}

// checkErr fails unless err is a *core.Error with code, whose first field
// (when field is not "-") is field, and whose message contains msg.
func checkErr(t *testing.T, err error, code core.Code, field, msg string) {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want a *core.Error with code %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("got code %s (%v), want %s", e.Code, err, code)
	}
	if field != "-" {
		if len(e.Fields) == 0 {
			t.Fatalf("got no fields (%v), want first field %q", err, field)
		}
		if e.Fields[0].Field != field {
			t.Errorf("got first field %q (%v), want %q", e.Fields[0].Field, err, field)
		}
	}
	if !strings.Contains(e.Message, msg) {
		t.Errorf("got message %q, want it to contain %q", e.Message, msg)
	}
}

func demo(t testing.TB) *atom.Catalog {
	t.Helper()
	c, err := atom.DemoCatalog()
	if err != nil {
		t.Fatalf("DemoCatalog: got error %v, want none", err)
	}
	return c
}
