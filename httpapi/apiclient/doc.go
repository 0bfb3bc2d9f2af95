// Package apiclient is a Go client of the atomix REST API, generated from
// the OpenAPI 3.1 document httpapi/openapi.json (the one each server serves
// at {prefix}/swagger.json) by oapi-codegen, pinned in go.mod as a tool:
//
//	go generate ./httpapi/apiclient
//
// runs the line below, which reads oapi-codegen.yaml (models and client).
// The package's test generates into a temporary directory and fails when
// client.gen.go differs, so a change to the document must be followed by
// go generate.
//
// The generator is oapi-codegen (v2.8.2, the version go.mod pins). Its
// OpenAPI 3.1 support is partial, but covers what the document uses: it
// reads the 3.1 document as it is, with no 3.0 view derived first; a type
// array with "null" becomes a pointer. The configuration adds two things:
// integers as int64 (amounts in minor units and usage quantities are int64
// on the server); and JSON numbers as json.Number, so
// that the two decimal fields (a public plan's display price, a usage
// percentage) keep their exact text instead of becoming float32.
//
// Use:
//
//	c, err := apiclient.NewClientWithResponses("http://127.0.0.1:8080/v1",
//		apiclient.WithRequestEditorFn(func(ctx context.Context, r *http.Request) error {
//			r.Header.Set("Authorization", "Bearer "+token)
//			return nil
//		}))
//	res, err := c.ListPublicPlansWithResponse(ctx)
//	// res.JSON200 is the decoded 200 body; res.ApplicationproblemJSON404 and the
//	// like are the problems (RFC 9457) of the documented error statuses.
package apiclient

//go:generate go tool oapi-codegen -config oapi-codegen.yaml -o client.gen.go ../openapi.json
