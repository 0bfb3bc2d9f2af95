package atom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/atomixplatform/atomix/core"
)

// schemaURL is the location each config schema is compiled under; every
// schema gets its own compiler, so schemas cannot reach each other.
const schemaURL = "urn:atomix:atom-config-schema"

// noLoader refuses every external reference, so a catalog's schema cannot
// make the compiler read files or the network. The JSON Schema meta-schemas
// are built into the library and still resolve.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external schema references are not allowed (%s)", url)
}

// compileSchema compiles a config schema. raw is compact JSON text.
func compileSchema(raw []byte) (*jsonschema.Schema, error) {
	if len(raw) > MaxSchemaBytes {
		return nil, fmt.Errorf("the schema is larger than %d bytes", MaxSchemaBytes)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, errors.New("the schema is not valid JSON")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("the schema must be a JSON object")
	}
	if t, ok := obj["type"]; ok && t != "object" {
		return nil, errors.New(`a config schema describes an object: its "type" must be "object"`)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(noLoader{})
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return nil, err
	}
	return sch, nil
}

// schemaError returns a one-line description of a compile error: for a
// schema the meta-schema refuses, each problem at its JSON pointer in the
// schema.
func schemaError(err error, p *message.Printer) string {
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if errors.As(err, &sve) && errors.As(sve.Err, &ve) {
		fields := leafFields(ve, p)
		parts := make([]string, len(fields))
		for i, f := range fields {
			at := f.Field
			if at == "" {
				at = "/"
			}
			parts[i] = "at " + at + ": " + f.Message
		}
		return "it is not a valid JSON Schema: " + strings.Join(parts, "; ")
	}
	s := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
	return strings.ReplaceAll(s, schemaURL, "the schema")
}

// ValidateConfig checks an installation's config against the config schema
// of atom id at version. An empty config is taken as {}. Each problem is a
// core.FieldError whose Field is a JSON pointer into the config, such as
// "/defaultCurrency" ("" for the config itself).
// Errors: core.AtomNotFound; core.AtomVersionNotFound; core.AtomConfigInvalid.
func (c *Catalog) ValidateConfig(id, version string, config json.RawMessage) error {
	e, err := c.entry(id)
	if err != nil {
		return err
	}
	v, err := c.version(e, version)
	if err != nil {
		return err
	}
	who := e.id + " " + v.atom.Version
	if len(config) > MaxConfigBytes {
		return &core.Error{Code: core.AtomConfigInvalid,
			Message: fmt.Sprintf("the config of %s is larger than %d bytes", who, MaxConfigBytes),
			Fields:  []core.FieldError{{Field: "", Message: fmt.Sprintf("must be at most %d bytes", MaxConfigBytes)}}}
	}
	if len(bytes.TrimSpace(config)) == 0 {
		config = json.RawMessage("{}")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(config))
	if err != nil {
		return &core.Error{Code: core.AtomConfigInvalid, Message: "the config of " + who + " is not valid JSON",
			Fields: []core.FieldError{{Field: "", Message: "must be a JSON object"}}}
	}
	if _, ok := inst.(map[string]any); !ok {
		return &core.Error{Code: core.AtomConfigInvalid, Message: "the config of " + who + " must be a JSON object",
			Fields: []core.FieldError{{Field: "", Message: "must be a JSON object"}}}
	}
	if v.schema == nil {
		return nil
	}
	err = v.schema.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return core.Wrap(err, "validating the config of "+who)
	}
	fields := c.configFields(ve)
	msg := fmt.Sprintf("the config of %s does not match its schema", who)
	if len(fields) == 1 {
		ptr := fields[0].Field
		if ptr == "" {
			ptr = "the config"
		}
		msg = fmt.Sprintf("the config of %s is invalid: %s %s", who, ptr, fields[0].Message)
	}
	return &core.Error{Code: core.AtomConfigInvalid, Message: msg, Fields: fields}
}

// configFields flattens a validation error into one field error per leaf
// cause, each at the JSON pointer of the offending value; a missing
// required property is reported at the pointer it should have had.
func (c *Catalog) configFields(ve *jsonschema.ValidationError) []core.FieldError {
	return leafFields(ve, c.printer)
}

func leafFields(ve *jsonschema.ValidationError, p *message.Printer) []core.FieldError {
	var out []core.FieldError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, x := range e.Causes {
				walk(x)
			}
			return
		}
		ptr := pointer(e.InstanceLocation)
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			for _, m := range k.Missing {
				out = append(out, core.FieldError{Field: ptr + "/" + escapePointer(m), Message: "is required"})
			}
		case *kind.AdditionalProperties:
			for _, p := range k.Properties {
				out = append(out, core.FieldError{Field: ptr + "/" + escapePointer(p), Message: "is not allowed"})
			}
		default:
			out = append(out, core.FieldError{Field: ptr, Message: e.ErrorKind.LocalizedString(p)})
		}
	}
	walk(ve)
	slices.SortStableFunc(out, func(a, b core.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return slices.CompactFunc(out, func(a, b core.FieldError) bool { return a == b })
}

func pointer(loc []string) string {
	var b strings.Builder
	for _, t := range loc {
		b.WriteByte('/')
		b.WriteString(escapePointer(t))
	}
	return b.String()
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func newPrinter() *message.Printer { return message.NewPrinter(language.English) }
