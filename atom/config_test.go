package atom_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
)

func TestValidateConfig(t *testing.T) {
	c := demo(t)
	nested := mk("atom_mail", "1.0.0")
	nested.ConfigSchema = json.RawMessage(`{"type":"object","properties":{
		"smtp":{"type":"object","required":["host"],"properties":{"host":{"type":"string"},"port":{"type":"integer","minimum":1,"maximum":65535}}},
		"a/b~c":{"type":"string"},
		"from":{"type":"string","format":"email"}}}`)
	mail := mustCatalog(t, []atom.Atom{nested})
	type field struct{ ptr, msg string }
	tests := []struct {
		name    string
		c       *atom.Catalog
		id, ver string
		config  string
		code    core.Code
		msg     string
		fields  []field
	}{
		{"seed 000's config", c, "atom_crm", "1.5.0", `{"enablePipeline": true, "defaultCurrency": "TRY"}`, "", "", nil},
		{"no config", c, "atom_crm", "1.5.0", ``, "", "", nil},
		{"empty object", c, "atom_crm", "1.5.0", `{}`, "", "", nil},
		{"currency too short", c, "atom_crm", "1.5.0", `{"defaultCurrency": "TR"}`, core.AtomConfigInvalid,
			"the config of atom_crm 1.5.0 is invalid: /defaultCurrency 'TR' does not match pattern '^[A-Z]{3}$'",
			[]field{{"/defaultCurrency", "'TR' does not match pattern '^[A-Z]{3}$'"}}},
		{"flag of the wrong type", c, "atom_crm", "1.5.0", `{"enablePipeline": "yes"}`, core.AtomConfigInvalid,
			"the config of atom_crm 1.5.0 is invalid: /enablePipeline got string, want boolean",
			[]field{{"/enablePipeline", "got string, want boolean"}}},
		{"several problems", c, "atom_crm", "1.5.0", `{"enablePipeline": 1, "defaultCurrency": "usd", "colour": "red"}`, core.AtomConfigInvalid,
			"the config of atom_crm 1.5.0 does not match its schema",
			[]field{{"/colour", "is not allowed"}, {"/defaultCurrency", "'usd' does not match pattern '^[A-Z]{3}$'"}, {"/enablePipeline", "got number, want boolean"}}},
		{"a key the older version does not know", c, "atom_crm", "1.4.0", `{"enablePipeline": true}`, core.AtomConfigInvalid,
			"the config of atom_crm 1.4.0 is invalid: /enablePipeline is not allowed", []field{{"/enablePipeline", "is not allowed"}}},
		{"not an object", c, "atom_crm", "1.5.0", `[1]`, core.AtomConfigInvalid, "the config of atom_crm 1.5.0 must be a JSON object", []field{{"", "must be a JSON object"}}},
		{"not JSON", c, "atom_crm", "1.5.0", `{"a":`, core.AtomConfigInvalid, "the config of atom_crm 1.5.0 is not valid JSON", []field{{"", "must be a JSON object"}}},
		{"no schema takes any object", c, "atom_task", "1.8.0", `{"anything": [1, 2]}`, "", "", nil},
		{"no schema still wants an object", c, "atom_task", "1.8.0", `"text"`, core.AtomConfigInvalid, "must be a JSON object", []field{{"", "must be a JSON object"}}},
		{"too large", c, "atom_task", "1.8.0", `{"a": "` + strings.Repeat("x", atom.MaxConfigBytes) + `"}`, core.AtomConfigInvalid,
			"the config of atom_task 1.8.0 is larger than 65536 bytes", []field{{"", "must be at most 65536 bytes"}}},
		{"missing nested property", mail, "atom_mail", "1.0.0", `{"smtp": {"port": 0}}`, core.AtomConfigInvalid, "does not match its schema",
			[]field{{"/smtp/host", "is required"}, {"/smtp/port", "minimum: got 0, want 1"}}},
		{"pointer escaping", mail, "atom_mail", "1.0.0", `{"a/b~c": 5}`, core.AtomConfigInvalid, "/a~1b~0c got number, want string", []field{{"/a~1b~0c", "got number, want string"}}},
		{"format asserted", mail, "atom_mail", "1.0.0", `{"from": "not-an-address"}`, core.AtomConfigInvalid, "/from", []field{{"/from", "'not-an-address' is not valid email: missing @"}}},
		{"unknown atom", c, "atom_nope", "1.0.0", `{}`, core.AtomNotFound, `the catalog has no atom "atom_nope"`, nil},
		{"unknown version", c, "atom_crm", "2.0.0", `{}`, core.AtomVersionNotFound, "the catalog has no atom_crm 2.0.0; it has 1.5.0, 1.4.0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.ValidateConfig(tt.id, tt.ver, json.RawMessage(tt.config))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			checkErr(t, err, tt.code, "-", tt.msg)
			e := err.(*core.Error)
			var got []field
			for _, f := range e.Fields {
				got = append(got, field{f.Field, f.Message})
			}
			if len(got) != len(tt.fields) {
				t.Fatalf("got fields %v, want %v", got, tt.fields)
			}
			for i := range got {
				if got[i] != tt.fields[i] {
					t.Errorf("field %d: got %v, want %v", i, got[i], tt.fields[i])
				}
			}
		})
	}
}
