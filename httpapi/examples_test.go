package httpapi_test

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestDocumentExamples checks the document's examples with a JSON Schema
// 2020-12 validator that asserts formats (santhosh-tekuri/jsonschema),
// independently of kin-openapi's own example check: every example of a
// media type, a parameter or a component schema validates against its
// schema, and every operation shows one for each JSON body it takes and
// each JSON success response it gives.
func TestDocumentExamples(t *testing.T) {
	const url = "file:///openapi.json"
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	root := doc.(map[string]any)

	// check validates the examples held by holder (a media type, a
	// parameter or a schema) against the schema at ptr, and reports
	// whether there was one.
	check := func(where string, holder map[string]any, ptr string) bool {
		t.Helper()
		var values []any
		if v, ok := holder["example"]; ok {
			values = append(values, v)
		}
		if exs, ok := holder["examples"].(map[string]any); ok {
			for _, name := range docKeys(exs) {
				ex := docRefValue(root, exs[name].(map[string]any))
				values = append(values, ex["value"])
			}
		}
		if exs, ok := holder["examples"].([]any); ok {
			values = append(values, exs...)
		}
		if len(values) == 0 {
			return false
		}
		sch, err := c.Compile(url + "#" + ptr)
		if err != nil {
			t.Errorf("%s: compiling the schema at %s: %v", where, ptr, err)
			return true
		}
		for i, v := range values {
			if err := sch.Validate(v); err != nil {
				t.Errorf("%s: example %d does not validate: %v", where, i, err)
			}
		}
		return true
	}

	paths := root["paths"].(map[string]any)
	var operations int
	for _, path := range docKeys(paths) {
		item := paths[path].(map[string]any)
		for _, method := range []string{"get", "put", "post", "delete", "patch"} {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			operations++
			name := strings.ToUpper(method) + " " + path
			opPtr := "/paths/" + pointerToken(path) + "/" + method
			params, _ := op["parameters"].([]any)
			for i, p := range params {
				p, ptr := docRef(root, p.(map[string]any), fmt.Sprintf("%s/parameters/%d", opPtr, i))
				check(fmt.Sprintf("%s parameter %v", name, p["name"]), p, ptr+"/schema")
			}
			if rb, ok := op["requestBody"].(map[string]any); ok {
				rb, ptr := docRef(root, rb, opPtr+"/requestBody")
				content := rb["content"].(map[string]any)
				for _, ct := range docKeys(content) {
					mtPtr := ptr + "/content/" + pointerToken(ct)
					if !check(name+" request "+ct, content[ct].(map[string]any), mtPtr+"/schema") && strings.Contains(ct, "json") {
						t.Errorf("%s: the %s request body has no example", name, ct)
					}
				}
			}
			responses := op["responses"].(map[string]any)
			for _, code := range docKeys(responses) {
				r, ptr := docRef(root, responses[code].(map[string]any), opPtr+"/responses/"+code)
				content, _ := r["content"].(map[string]any)
				for _, ct := range docKeys(content) {
					mtPtr := ptr + "/content/" + pointerToken(ct)
					if !check(name+" "+code+" "+ct, content[ct].(map[string]any), mtPtr+"/schema") && code[0] == '2' && ct == "application/json" {
						t.Errorf("%s: the %s %s response has no example", name, code, ct)
					}
				}
			}
		}
	}
	if operations == 0 {
		t.Fatal("got no operation in the document")
	}
	schemas := root["components"].(map[string]any)["schemas"].(map[string]any)
	for _, name := range docKeys(schemas) {
		check("schema "+name, schemas[name].(map[string]any), "/components/schemas/"+pointerToken(name))
	}
}

// docRef follows a local $ref of obj (found at ptr) once, and returns
// the object and its JSON pointer.
func docRef(root, obj map[string]any, ptr string) (map[string]any, string) {
	ref, ok := obj["$ref"].(string)
	if !ok {
		return obj, ptr
	}
	ref = strings.TrimPrefix(ref, "#")
	var v any = root
	for _, tok := range strings.Split(ref, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		v = v.(map[string]any)[tok]
	}
	return v.(map[string]any), ref
}

// docRefValue is docRef without the pointer.
func docRefValue(root, obj map[string]any) map[string]any {
	v, _ := docRef(root, obj, "")
	return v
}

// pointerToken escapes a JSON pointer token.
func pointerToken(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// docKeys returns the keys of m, sorted.
func docKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
