package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/atomixplatform/atomix/core"
)

// MaxBodyBytes bounds a request body; a larger one is answered 413.
const MaxBodyBytes = 1 << 20

// decode reads r's body strictly into v, a pointer to a request struct
// whose key shape is s. Errors (all safe to show): those of readBody and
// of decodeBody.
func decode(r *http.Request, v any, s *shape) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeBody(body, v, s)
}

// readBody reads r's JSON body. Errors (all safe to show):
// CodeUnsupportedMediaType unless the content type is application/json
// (a charset=utf-8 parameter is allowed); CodeBodyTooLarge over
// MaxBodyBytes; CodeMalformedJSON for a body that cannot be read or is
// empty.
func readBody(r *http.Request) ([]byte, error) {
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	if r.ContentLength > MaxBodyBytes {
		return nil, tooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, &core.Error{Code: CodeMalformedJSON, Message: "the request body could not be read", Err: err}
	}
	if len(body) > MaxBodyBytes {
		return nil, tooLarge()
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &core.Error{Code: CodeMalformedJSON, Message: "the request body is empty; it must be a JSON object"}
	}
	return body, nil
}

// decodeBody decodes body, from readBody, strictly into v, a pointer to
// a request struct whose key shape is s. Errors (all safe to show):
// CodeMalformedJSON for bad JSON or data after the object;
// CodeInvalidType for a value of the wrong type; CodeUnknownField for a
// key the struct does not name exactly; CodeDuplicateField for a
// repeated key.
func decodeBody(body []byte, v any, s *shape) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, body, s)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &core.Error{Code: CodeMalformedJSON, Message: "the request body has data after the JSON object"}
	}
	// encoding/json matches keys case-insensitively and keeps the last of
	// repeated keys; the API does neither.
	return s.check(body)
}

func tooLarge() error {
	return &core.Error{Code: CodeBodyTooLarge, Message: fmt.Sprintf("the request body is over %d bytes", MaxBodyBytes)}
}

// checkContentType returns CodeUnsupportedMediaType unless v is
// application/json with at most a charset=utf-8 parameter.
func checkContentType(v string) error {
	mt, params, err := mime.ParseMediaType(v)
	ok := err == nil && mt == "application/json"
	for k, val := range params {
		if k != "charset" || !strings.EqualFold(val, "utf-8") {
			ok = false
		}
	}
	if !ok {
		return &core.Error{Code: CodeUnsupportedMediaType, Message: "the request body must be application/json"}
	}
	return nil
}

// decodeError turns an encoding/json error into a problem-ready error.
func decodeError(err error, body []byte, s *shape) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &core.Error{Code: CodeMalformedJSON, Message: fmt.Sprintf("the request body is not valid JSON (at byte %d)", syn.Offset)}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &core.Error{Code: CodeMalformedJSON, Message: "the request body ends before the JSON object does"}
	case errors.As(err, &typ):
		return typeError(typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// The message names the key but not where it is; the shape walk
		// finds its path.
		if err := s.check(body); err != nil {
			return err
		}
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return unknownField(name)
	}
	return &core.Error{Code: CodeMalformedJSON, Message: "the request body is not valid JSON"}
}

// typeError reports that the value at field (a dotted path; "" for the whole
// body) should have been of Go type t.
func typeError(field string, t reflect.Type) error {
	want := jsonType(t)
	if field == "" {
		return &core.Error{Code: CodeInvalidType, Message: "the request body must be a JSON " + want}
	}
	return &core.Error{
		Code:    CodeInvalidType,
		Message: field + " must be a JSON " + want,
		Fields:  []core.FieldError{{Field: field, Message: "must be a JSON " + want}},
	}
}

// jsonType names the JSON type that decodes into t.
func jsonType(t reflect.Type) string {
	if t == nil {
		return "value of another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "value of another type"
}

func unknownField(path string) error {
	return &core.Error{
		Code:    CodeUnknownField,
		Message: "unknown field " + path,
		Fields:  []core.FieldError{{Field: path, Message: "is not a known field"}},
	}
}

// shape is the key structure of a request struct: the exact JSON names of
// its fields and, for those that are structs themselves, their shapes. A
// nil *shape means "any keys", as for free-form settings.
type shape struct {
	fields map[string]*shape
}

// shapeOf derives the shape of a struct type from its json tags.
func shapeOf(t reflect.Type) *shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	s := &shape{fields: make(map[string]*shape, t.NumField())}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s.fields[name] = shapeOf(f.Type)
	}
	return s
}

// check walks the JSON object in data and returns CodeUnknownField for the
// first key that is not exactly a field name of s, and CodeDuplicateField for
// the first repeated key. Syntax errors are left to encoding/json and give
// nil here.
func (s *shape) check(data []byte) error {
	if s == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	err := s.walk(dec, "")
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	return nil
}

// walk reads one JSON value from dec, checking the keys of objects against
// s.
func (s *shape) walk(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		if tok == json.Delim('[') {
			return skipRest(dec)
		}
		return nil // a scalar or null
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		p := key
		if path != "" {
			p = path + "." + key
		}
		if seen[key] {
			return &core.Error{
				Code:    CodeDuplicateField,
				Message: "field " + p + " is repeated",
				Fields:  []core.FieldError{{Field: p, Message: "is repeated"}},
			}
		}
		seen[key] = true
		child, ok := s.fields[key]
		if !ok {
			return unknownField(p)
		}
		if child == nil {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if err := child.walk(dec, p); err != nil {
			return err
		}
	}
	_, err = dec.Token() // '}'
	return err
}

// skipRest consumes the rest of an array whose '[' was read.
func skipRest(dec *json.Decoder) error {
	for dec.More() {
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	_, err := dec.Token() // ']'
	return err
}
