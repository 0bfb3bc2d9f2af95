package httpapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"
)

// openapiJSON is the OpenAPI 3.1 document of the routes table, with a
// placeholder server.
//
//go:embed openapi.json
var openapiJSON []byte

// buildDocument returns the document with its one server URL set to the
// prefix, indented. It panics when the embedded document is not a JSON
// object, which the package's tests rule out.
func buildDocument(prefix string) []byte {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		panic("httpapi: openapi.json: " + err.Error())
	}
	url := prefix
	if url == "" {
		url = "/"
	}
	servers, err := json.Marshal([]map[string]string{{"url": url, "description": "this server"}})
	if err != nil {
		panic("httpapi: " + err.Error())
	}
	doc["servers"] = servers
	flat, err := json.Marshal(doc)
	if err != nil {
		panic("httpapi: openapi.json: " + err.Error())
	}
	var out bytes.Buffer
	if err := json.Indent(&out, flat, "", "  "); err != nil {
		panic("httpapi: openapi.json: " + err.Error())
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// openAPIDocument serves GET /swagger.json.
func (h *handler) openAPIDocument(c *call, r *http.Request) error {
	writeJSON(c, http.StatusOK, h.doc)
	return nil
}
