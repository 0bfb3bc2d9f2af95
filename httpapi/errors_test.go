package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/httpapi"
)

// TestBadInput sends every kind of bad request and checks its status, code
// and field, and that the store is left as it was.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	acme := e.create(t, "Acme", "acme")
	gone := e.create(t, "Gone", "gone")
	e.do(t, req{method: http.MethodDelete, path: "/tenants/" + gone.ID}).wantStatus(t, http.StatusNoContent)
	ended := e.create(t, "Ended", "ended")
	e.do(t, req{method: http.MethodPost, path: "/tenants/" + ended.ID + "/cancel"}).wantStatus(t, http.StatusOK)

	withContact := func(contact string) string {
		return `{"name":"X","subdomain":"xyz","contact":` + contact + `}`
	}
	big := `{"name":"` + strings.Repeat("a", 1<<20) + `"}`
	var many []string
	for i := range 60 {
		many = append(many, fmt.Sprintf(`"k%d":%d`, i, i))
	}
	manySettings := `{"settings":{` + strings.Join(many, ",") + `}}`

	tests := []struct {
		name       string
		rq         req
		wantStatus int
		wantCode   string
		wantField  string // the first field of errors; "" when none is expected
	}{
		// Domain rules.
		{"duplicate subdomain", req{method: "POST", path: "/tenants", body: createBody("Other", "acme")}, 409, "subdomain_taken", ""},
		{"duplicate subdomain in capitals", req{method: "POST", path: "/tenants", body: createBody("Other", "ACME")}, 409, "subdomain_taken", ""},
		{"invalid subdomain", req{method: "POST", path: "/tenants", body: createBody("Other", "-bad-")}, 422, "invalid", "subdomain"},
		{"short subdomain", req{method: "POST", path: "/tenants", body: createBody("Other", "ab")}, 422, "invalid", "subdomain"},
		{"reserved subdomain", req{method: "POST", path: "/tenants", body: createBody("Other", "www")}, 422, "invalid", "subdomain"},
		{"invalid email", req{method: "POST", path: "/tenants", body: withContact(`{"name":"A","email":"not-an-email"}`)}, 422, "invalid", "contact.email"},
		{"invalid phone", req{method: "POST", path: "/tenants", body: withContact(`{"name":"A","email":"a@b.co","phone":"05321234567"}`)}, 422, "invalid", "contact.phone"},
		{"missing fields", req{method: "POST", path: "/tenants", body: `{}`}, 422, "invalid", "name"},
		{"bad initial atom", req{method: "POST", path: "/tenants", body: `{"name":"X","subdomain":"xyz","contact":{"name":"A","email":"a@b.co"},"initialAtoms":["nope"]}`}, 422, "invalid", "initialAtoms"},
		{"unknown tenant", req{method: "GET", path: "/tenants/tn_doesnotexist0000000000"}, 404, "not_found", ""},
		{"malformed tenant id", req{method: "GET", path: "/tenants/nope"}, 404, "not_found", ""},
		{"patch unknown tenant", req{method: "PATCH", path: "/tenants/tn_doesnotexist0000000000", body: `{"name":"X"}`}, 404, "not_found", ""},
		{"delete unknown tenant", req{method: "DELETE", path: "/tenants/tn_doesnotexist0000000000"}, 404, "not_found", ""},
		{"suspend unknown tenant", req{method: "POST", path: "/tenants/tn_doesnotexist0000000000/suspend"}, 404, "not_found", ""},
		{"illegal transition", req{method: "POST", path: "/tenants/" + ended.ID + "/activate"}, 409, "invalid_transition", ""},
		{"patch deleted tenant", req{method: "PATCH", path: "/tenants/" + gone.ID, body: `{"name":"X"}`}, 409, "tenant_deleted", ""},
		{"delete deleted tenant", req{method: "DELETE", path: "/tenants/" + gone.ID}, 409, "tenant_deleted", ""},
		{"transition deleted tenant", req{method: "POST", path: "/tenants/" + gone.ID + "/activate"}, 409, "tenant_deleted", ""},
		{"patch invalid email", req{method: "PATCH", path: "/tenants/" + acme.ID, body: `{"contact":{"email":"nope"}}`}, 422, "invalid", "contact.email"},
		{"patch empty name", req{method: "PATCH", path: "/tenants/" + acme.ID, body: `{"name":"  "}`}, 422, "invalid", "name"},
		{"patch bad plan", req{method: "PATCH", path: "/tenants/" + acme.ID, body: `{"planId":"gold"}`}, 422, "invalid", "planId"},
		{"patch industry not a string", req{method: "PATCH", path: "/tenants/" + acme.ID, body: `{"settings":{"industry":5}}`}, 400, "invalid_type", "settings.industry"},
		{"patch companySize not a string", req{method: "PATCH", path: "/tenants/" + acme.ID, body: `{"settings":{"companySize":{"a":1}}}`}, 400, "invalid_type", "settings.companySize"},
		{"patch settings not an object", req{method: "PATCH", path: "/tenants/" + acme.ID, body: `{"settings":[1]}`}, 400, "invalid_type", "settings"},
		{"patch too many settings", req{method: "PATCH", path: "/tenants/" + acme.ID, body: manySettings}, 422, "invalid", "settings"},

		// Query parameters.
		{"limit over 100", req{method: "GET", path: "/tenants?limit=101"}, 422, "invalid", "limit"},
		{"limit zero", req{method: "GET", path: "/tenants?limit=0"}, 422, "invalid", "limit"},
		{"limit not a number", req{method: "GET", path: "/tenants?limit=ten"}, 422, "invalid", "limit"},
		{"page zero", req{method: "GET", path: "/tenants?page=0"}, 422, "invalid", "page"},
		{"page negative", req{method: "GET", path: "/tenants?page=-1"}, 422, "invalid", "page"},
		{"page not a number", req{method: "GET", path: "/tenants?page=1.5"}, 422, "invalid", "page"},
		{"unknown status", req{method: "GET", path: "/tenants?status=frozen"}, 422, "invalid", "status"},
		{"unknown parameter", req{method: "GET", path: "/tenants?sort=name"}, 422, "invalid", "sort"},
		{"repeated parameter", req{method: "GET", path: "/tenants?status=trial&status=active"}, 422, "invalid", "status"},
		{"bad includeDeleted", req{method: "GET", path: "/tenants?includeDeleted=yes"}, 422, "invalid", "includeDeleted"},
		{"bad plan filter", req{method: "GET", path: "/tenants?plan=no%20such"}, 422, "invalid", "plan"},

		// Decoding.
		{"malformed JSON", req{method: "POST", path: "/tenants", body: `{"name": "x",}`}, 400, "malformed_json", ""},
		{"truncated JSON", req{method: "POST", path: "/tenants", body: `{"name": "x"`}, 400, "malformed_json", ""},
		{"empty body", req{method: "POST", path: "/tenants", contentType: "application/json"}, 400, "malformed_json", ""},
		{"blank body", req{method: "POST", path: "/tenants", body: "  \n"}, 400, "malformed_json", ""},
		{"trailing data", req{method: "POST", path: "/tenants", body: createBody("T", "trail") + ` {}`}, 400, "malformed_json", ""},
		{"trailing garbage", req{method: "POST", path: "/tenants", body: createBody("T", "trail") + `x`}, 400, "malformed_json", ""},
		{"not an object", req{method: "POST", path: "/tenants", body: `["a"]`}, 400, "invalid_type", ""},
		{"wrong type", req{method: "POST", path: "/tenants", body: `{"name":5}`}, 400, "invalid_type", "name"},
		{"wrong nested type", req{method: "POST", path: "/tenants", body: withContact(`{"name":"A","email":true}`)}, 400, "invalid_type", "contact.email"},
		{"wrong array item type", req{method: "POST", path: "/tenants", body: `{"initialAtoms":[1]}`}, 400, "invalid_type", "initialAtoms"},
		{"settings not an object", req{method: "POST", path: "/tenants", body: `{"settings":"big"}`}, 400, "invalid_type", "settings"},
		{"industry not a string", req{method: "POST", path: "/tenants", body: `{"settings":{"industry":5}}`}, 400, "invalid_type", "settings.industry"},
		{"unknown field", req{method: "POST", path: "/tenants", body: `{"name":"X","color":"red"}`}, 400, "unknown_field", "color"},
		{"unknown nested field", req{method: "POST", path: "/tenants", body: withContact(`{"name":"A","email":"a@b.co","fax":"1"}`)}, 400, "unknown_field", "contact.fax"},
		{"field in other case", req{method: "POST", path: "/tenants", body: `{"Name":"X"}`}, 400, "unknown_field", "Name"},
		{"nested field in other case", req{method: "PATCH", path: "/tenants/" + acme.ID, body: `{"contact":{"EMAIL":"a@b.co"}}`}, 400, "unknown_field", "contact.EMAIL"},
		{"repeated field", req{method: "POST", path: "/tenants", body: `{"name":"X","name":"Y"}`}, 400, "duplicate_field", "name"},
		{"patch unknown field", req{method: "PATCH", path: "/tenants/" + acme.ID, body: `{"status":"active"}`}, 400, "unknown_field", "status"},
		{"body over 1 MiB", req{method: "POST", path: "/tenants", body: big}, 413, "body_too_large", ""},
		{"not JSON media type", req{method: "POST", path: "/tenants", body: seedCreateBody, contentType: "text/plain"}, 415, "unsupported_media_type", ""},
		{"no media type", req{method: "POST", path: "/tenants", body: seedCreateBody, contentType: "-"}, 415, "unsupported_media_type", ""},
		{"other charset", req{method: "POST", path: "/tenants", body: seedCreateBody, contentType: "application/json; charset=latin1"}, 415, "unsupported_media_type", ""},
		{"form body", req{method: "PATCH", path: "/tenants/" + acme.ID, body: "name=x", contentType: "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", ""},

		// Authentication.
		{"no credentials", req{method: "GET", path: "/tenants", auth: "-"}, 401, "unauthenticated", ""},
		{"wrong key", req{method: "GET", path: "/tenants", auth: "Bearer wrong-key"}, 401, "unauthenticated", ""},
		{"key of another scheme", req{method: "GET", path: "/tenants", auth: "Basic " + testKey}, 401, "unauthenticated", ""},
		{"empty bearer", req{method: "GET", path: "/tenants", auth: "Bearer "}, 401, "unauthenticated", ""},
		{"key with a suffix", req{method: "GET", path: "/tenants", auth: "Bearer " + testKey + "x"}, 401, "unauthenticated", ""},
		{"create without credentials", req{method: "POST", path: "/tenants", body: seedCreateBody, auth: "-"}, 401, "unauthenticated", ""},
		{"delete with a wrong key", req{method: "DELETE", path: "/tenants/" + acme.ID, auth: "Bearer nope"}, 401, "unauthenticated", ""},

		// Routing.
		{"method not allowed", req{method: "PUT", path: "/tenants"}, 405, "method_not_allowed", ""},
		{"method not allowed on an action", req{method: "GET", path: "/tenants/" + acme.ID + "/suspend"}, 405, "method_not_allowed", ""},
		{"unknown route", req{method: "GET", path: "/nope"}, 404, "not_found", ""},
		{"unknown action", req{method: "POST", path: "/tenants/" + acme.ID + "/explode"}, 404, "not_found", ""},
		{"trailing slash", req{method: "GET", path: "/tenants/"}, 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			res := e.do(t, tt.rq)
			if res.status != tt.wantStatus {
				t.Fatalf("got status %d (%s), want %d", res.status, res.body, tt.wantStatus)
			}
			p := res.problem(t)
			if p.Code != tt.wantCode {
				t.Errorf("got code %q (%s), want %q", p.Code, p.Detail, tt.wantCode)
			}
			if p.Status != tt.wantStatus {
				t.Errorf("got problem status %d, want %d", p.Status, tt.wantStatus)
			}
			if want := "urn:atomix:problem:" + tt.wantCode; p.Type != want {
				t.Errorf("got type %q, want %q", p.Type, want)
			}
			if p.Title != http.StatusText(tt.wantStatus) || p.Detail == "" {
				t.Errorf("got title %q detail %q, want %q and a detail", p.Title, p.Detail, http.StatusText(tt.wantStatus))
			}
			if p.RequestID == "" || p.RequestID != res.header.Get("X-Request-Id") {
				t.Errorf("got requestId %q, want the X-Request-Id %q", p.RequestID, res.header.Get("X-Request-Id"))
			}
			if want := e.prefix + strings.SplitN(tt.rq.path, "?", 2)[0]; p.Instance != want {
				t.Errorf("got instance %q, want %q", p.Instance, want)
			}
			switch {
			case tt.wantField != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.wantField):
				t.Errorf("got errors %+v, want the first naming %q", p.Errors, tt.wantField)
			case tt.wantStatus == http.StatusUnprocessableEntity && len(p.Errors) == 0:
				t.Errorf("got no errors in a 422")
			}
			switch tt.wantStatus {
			case http.StatusUnauthorized:
				if got := res.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("got WWW-Authenticate %q, want a Bearer challenge", got)
				}
			case http.StatusMethodNotAllowed:
				if res.header.Get("Allow") == "" {
					t.Errorf("got no Allow header on a 405")
				}
			}
			e.unchanged(t, before)
		})
	}
}

func TestMethodNotAllowedAllow(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path, want string
	}{
		{"PUT", "/tenants", "GET, HEAD, POST"},
		{"POST", "/tenants/tn_x", "GET, HEAD, PATCH, DELETE"},
		{"DELETE", "/tenants/tn_x/cancel", "POST"},
		{"POST", "/swagger.json", "GET, HEAD"},
	}
	for _, tt := range tests {
		res := e.do(t, req{method: tt.method, path: tt.path})
		res.wantStatus(t, http.StatusMethodNotAllowed)
		if got := res.header.Get("Allow"); got != tt.want {
			t.Errorf("%s %s: got Allow %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestNoAPIKeyConfigured(t *testing.T) {
	// WithAPIKey("") after the test key configures none: every
	// authenticated endpoint answers 401, whatever the client sends.
	e := newEnv(t, httpapi.WithAPIKey(""))
	for _, auth := range []string{"", "-", "Bearer ", "Bearer x"} {
		res := e.do(t, req{method: http.MethodGet, path: "/tenants", auth: auth})
		res.wantStatus(t, http.StatusUnauthorized)
	}
	e.do(t, req{method: http.MethodGet, path: "/swagger.json", auth: "-"}).wantStatus(t, http.StatusOK)
	if !strings.Contains(e.logs.String(), "no API key is configured") {
		t.Errorf("got logs %s, want a warning that no API key is configured", e.logs.String())
	}
}

func TestBodyTooLargeWithoutContentLength(t *testing.T) {
	e := newEnv(t)
	before := e.snapshot(t)
	body := io.MultiReader(strings.NewReader(`{"name":"`), strings.NewReader(strings.Repeat("a", 1<<20)), strings.NewReader(`"}`))
	r := httptest.NewRequest(http.MethodPost, "/v1/tenants", io.NopCloser(body))
	r.ContentLength = -1
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+testKey)
	res := e.serve(t, r)
	res.wantStatus(t, http.StatusRequestEntityTooLarge)
	if c := res.problem(t).Code; c != "body_too_large" {
		t.Errorf("got code %q, want body_too_large", c)
	}
	e.unchanged(t, before)
}
