package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/store/memory"
)

// TestRoutesMatchDocument fails when a route is mounted but not documented,
// or documented but not mounted.
func TestRoutesMatchDocument(t *testing.T) {
	e := newEnv(t)
	var mounted, documented []string
	for _, rt := range httpapi.MountedRoutes(e.h) {
		mounted = append(mounted, rt.Method+" "+rt.Pattern+" "+rt.OperationID)
	}
	for path, item := range e.doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented = append(documented, method+" "+path+" "+op.OperationID)
		}
	}
	slices.Sort(mounted)
	slices.Sort(documented)
	if diff := cmp.Diff(documented, mounted); diff != "" {
		t.Errorf("mounted routes differ from the document (-documented +mounted):\n%s", diff)
	}

	// And from the outside: every documented operation answers, without
	// credentials, 401; a public one answers anything but 401, 404 or 405
	// (a body it needs is missing: 415).
	for path, item := range e.doc.Paths.Map() {
		for method, op := range item.Operations() {
			concrete := strings.NewReplacer("{tenantId}", "tn_probe", "{atomId}", "atom_probe", "{file}", "swagger-ui.css").Replace(path)
			res := e.do(t, req{method: method, path: concrete, auth: "-"})
			if op.Security != nil && len(*op.Security) == 0 {
				if res.status == http.StatusUnauthorized || res.status == http.StatusNotFound || res.status == http.StatusMethodNotAllowed {
					t.Errorf("%s %s (public): got status %d, want neither 401, 404 nor 405", method, concrete, res.status)
				}
				continue
			}
			if res.status != http.StatusUnauthorized {
				t.Errorf("%s %s: got status %d, want %d", method, concrete, res.status, http.StatusUnauthorized)
			}
		}
	}
}

func TestOpenAPIDocument(t *testing.T) {
	tests := []struct {
		prefix, mount, wantServer string
	}{
		{"", "/v1/", "/v1"}, // the default
		{"/platform/v1", "/platform/v1/", "/platform/v1"},
		{"/api/", "/api/", "/api"},
		{"/", "/", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.wantServer, func(t *testing.T) {
			p, err := atomix.New(memory.New())
			if err != nil {
				t.Fatal(err)
			}
			var opts []httpapi.Option
			if tt.prefix != "" {
				opts = append(opts, httpapi.WithPrefix(tt.prefix))
			}
			mux := http.NewServeMux()
			mux.Handle(tt.mount, httpapi.New(p, opts...))
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, strings.TrimSuffix(tt.mount, "/")+"/swagger.json", nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("got status %d, want 200", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", ct)
			}
			loader := openapi3.NewLoader()
			doc, err := loader.LoadFromData(rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if err := doc.Validate(loader.Context); err != nil {
				t.Fatalf("the document does not validate: %v", err)
			}
			if doc.OpenAPI != "3.1.0" {
				t.Errorf("got openapi %q, want 3.1.0", doc.OpenAPI)
			}
			if len(doc.Servers) != 1 || doc.Servers[0].URL != tt.wantServer {
				t.Errorf("got servers %+v, want one with URL %q", doc.Servers, tt.wantServer)
			}
		})
	}
}

// TestDocumentCompleteness checks what the document promises beyond
// validity: the components, the bearer scheme, and a Problem body for every
// error response.
func TestDocumentCompleteness(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"Tenant", "TenantList", "Pagination", "Problem", "CreateTenantRequest", "UpdateTenantRequest"} {
		if e.doc.Components.Schemas[name] == nil {
			t.Errorf("components.schemas has no %s", name)
		}
	}
	bearer := e.doc.Components.SecuritySchemes["bearerAuth"]
	if bearer == nil || bearer.Value.Type != "http" || bearer.Value.Scheme != "bearer" {
		t.Errorf("got security scheme %+v, want http bearer", bearer)
	}
	problem := e.doc.Components.Schemas["Problem"].Value
	for path, item := range e.doc.Paths.Map() {
		for method, op := range item.Operations() {
			public := op.Security != nil && len(*op.Security) == 0
			codes := op.Responses.Map()
			if _, ok := codes["500"]; !ok {
				t.Errorf("%s %s documents no 500", method, path)
			}
			if _, ok := codes["401"]; !ok && !public {
				t.Errorf("%s %s documents no 401", method, path)
			}
			if op.RequestBody != nil {
				for _, c := range []string{"400", "413", "415", "422"} {
					if _, ok := codes[c]; !ok {
						t.Errorf("%s %s takes a body but documents no %s", method, path, c)
					}
				}
			}
			for code, r := range codes {
				if code[0] != '4' && code[0] != '5' {
					continue
				}
				mt := r.Value.Content.Get("application/problem+json")
				if mt == nil || mt.Schema == nil || mt.Schema.Value != problem {
					t.Errorf("%s %s %s: the body is not the Problem schema", method, path, code)
				}
			}
		}
	}
	// The create example is seed 000's body.
	ex := e.doc.Paths.Value("/tenants").Post.RequestBody.Value.Content.Get("application/json").Example
	var seed any
	if err := json.Unmarshal([]byte(seedCreateBody), &seed); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(seed, ex); diff != "" {
		t.Errorf("the create example differs from seed 000 (-seed +doc):\n%s", diff)
	}
}

func TestStatusMap(t *testing.T) {
	tests := []struct {
		code core.Code
		want int
	}{
		{core.Invalid, 422},
		{core.NotFound, 404},
		{core.Conflict, 409},
		{core.SubdomainTaken, 409},
		{core.InvalidTransition, 409},
		{core.TenantDeleted, 409},
		{core.Unauthenticated, 401},
		{core.Forbidden, 403},
		{core.LimitExceeded, 409},
		{core.RateLimited, 429},
		{core.Unavailable, 503},
		{core.Internal, 500},
		{"no_such_code", 500},
		// Billing's codes, through their classes.
		{core.PlanUnknown, 422},
		{core.PriceInvalid, 422},
		{core.PlanInUse, 409},
		{core.PlanArchived, 409},
		{core.SKUDuplicate, 409},
		{core.MetricConflict, 409},
		{core.SubscriptionEnded, 409},
		{core.PeriodClosed, 409},
		{core.PeriodNotEnded, 409},
		{core.InvoiceFinalized, 409},
		{core.DowngradeBlocked, 409},
		{core.PlanLimitExceeded, 409},
		{httpapi.CodeMalformedJSON, 400},
		{httpapi.CodeInvalidType, 400},
		{httpapi.CodeUnknownField, 400},
		{httpapi.CodeDuplicateField, 400},
		{httpapi.CodeBodyTooLarge, 413},
		{httpapi.CodeUnsupportedMediaType, 415},
		{httpapi.CodeMethodNotAllowed, 405},
	}
	for _, tt := range tests {
		if got := httpapi.Status(tt.code); got != tt.want {
			t.Errorf("Status(%q) = %d, want %d", tt.code, got, tt.want)
		}
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, sent string
		keep       bool
	}{
		{"sane", "abc-123_XYZ.trace:42", true},
		{"128 characters", strings.Repeat("a", 128), true},
		{"129 characters", strings.Repeat("a", 129), false},
		{"with a space", "abc 123", false},
		{"non-ASCII", "abc\u00e9", false},
		{"none", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, rq := range []req{
				{method: http.MethodGet, path: "/tenants"},            // success
				{method: http.MethodGet, path: "/tenants", auth: "-"}, // problem
			} {
				if tt.sent != "" {
					rq.header = map[string]string{"X-Request-Id": tt.sent}
				}
				res := e.do(t, rq)
				got := res.header.Get("X-Request-Id")
				switch {
				case tt.keep && got != tt.sent:
					t.Errorf("got X-Request-Id %q, want %q echoed", got, tt.sent)
				case !tt.keep && (got == tt.sent || !core.ValidID(core.PrefixRequest, got)):
					t.Errorf("got X-Request-Id %q, want a new req_ ID", got)
				}
				if res.status >= 400 {
					if p := res.problem(t); p.RequestID != got {
						t.Errorf("got requestId %q in the problem, want %q", p.RequestID, got)
					}
				}
			}
		})
	}
	// Generated IDs differ.
	a := e.do(t, req{method: http.MethodGet, path: "/tenants"}).header.Get("X-Request-Id")
	b := e.do(t, req{method: http.MethodGet, path: "/tenants"}).header.Get("X-Request-Id")
	if a == b {
		t.Errorf("got the same generated ID %q twice", a)
	}
}

func TestPanicAndInternalErrors(t *testing.T) {
	e := newEnv(t,
		httpapi.WithTestRoute(http.MethodGet, "/test/panic", func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Location", "/should/not/leak")
			panic("secret panic value 1234")
		}),
		httpapi.WithTestRoute(http.MethodGet, "/test/error", func(w http.ResponseWriter, r *http.Request) error {
			return fmt.Errorf("dial tcp: password=hunter2: %w", io.ErrUnexpectedEOF)
		}),
		httpapi.WithTestRoute(http.MethodGet, "/test/internal", func(w http.ResponseWriter, r *http.Request) error {
			return core.Wrap(errors.New("disk full at /var/secret"), "storing a tenant")
		}),
		httpapi.WithTestRoute(http.MethodGet, "/test/unknown-code", func(w http.ResponseWriter, r *http.Request) error {
			return core.Errorf("brand_new_code", "detail with internals")
		}),
	)
	tests := []struct {
		path, secret string
	}{
		{"/test/panic", "secret panic value 1234"},
		{"/test/error", "hunter2"},
		{"/test/internal", "/var/secret"},
		{"/test/unknown-code", "detail with internals"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := e.do(t, req{method: http.MethodGet, path: tt.path, header: map[string]string{"X-Request-Id": "trace-" + tt.path[6:]}})
			res.wantStatus(t, http.StatusInternalServerError)
			p := res.problem(t)
			if p.Code != "internal" || p.Detail != "internal error" {
				t.Errorf("got code %q detail %q, want internal and \"internal error\"", p.Code, p.Detail)
			}
			if strings.Contains(string(res.body), tt.secret) {
				t.Errorf("the body %s shows the cause %q", res.body, tt.secret)
			}
			if loc := res.header.Get("Location"); loc != "" {
				t.Errorf("got Location %q from the handler that panicked", loc)
			}
			// The cause is logged, with the request ID.
			var found bool
			for _, rec := range logRecords(t, e.logs.String()) {
				if rec["level"] == "ERROR" && rec["requestId"] == "trace-"+tt.path[6:] && strings.Contains(fmt.Sprint(rec), tt.secret) {
					found = true
					if tt.path == "/test/panic" && !strings.Contains(fmt.Sprint(rec["stack"]), "goroutine") {
						t.Errorf("got no stack in the panic log %v", rec)
					}
				}
			}
			if !found {
				t.Errorf("no error log names the cause %q:\n%s", tt.secret, e.logs.String())
			}
		})
	}

	// A handler that aborts with http.ErrAbortHandler is not answered: the
	// panic reaches net/http, which drops the connection quietly.
	abort := newEnv(t, httpapi.WithTestRoute(http.MethodGet, "/test/abort", func(w http.ResponseWriter, r *http.Request) error {
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("got panic %v, want http.ErrAbortHandler", v)
			}
		}()
		abort.h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/test/abort", nil))
	}()
}

func TestAccessLog(t *testing.T) {
	e := newEnv(t)
	tn := e.create(t, "Logged", "logged")
	e.do(t, req{method: http.MethodGet, path: "/tenants/" + tn.ID, header: map[string]string{"X-Request-Id": "log-me"}})
	e.do(t, req{method: http.MethodGet, path: "/nowhere", header: map[string]string{"X-Request-Id": "log-404"}})
	var get, miss map[string]any
	for _, rec := range logRecords(t, e.logs.String()) {
		if rec["msg"] != "http request" {
			continue
		}
		switch rec["requestId"] {
		case "log-me":
			get = rec
		case "log-404":
			miss = rec
		}
	}
	if get == nil || miss == nil {
		t.Fatalf("missing access log records:\n%s", e.logs.String())
	}
	if get["level"] != "INFO" || get["method"] != "GET" || get["route"] != "GET /tenants/{tenantId}" ||
		get["path"] != "/v1/tenants/"+tn.ID || get["status"] != float64(200) {
		t.Errorf("got access log %v", get)
	}
	if b, _ := get["bytes"].(float64); b <= 0 {
		t.Errorf("got bytes %v, want the body size", get["bytes"])
	}
	if _, ok := get["duration"].(float64); !ok {
		t.Errorf("got duration %v, want a number", get["duration"])
	}
	if miss["status"] != float64(404) || miss["route"] != "" {
		t.Errorf("got access log %v for an unknown route", miss)
	}
}

func TestPrincipal(t *testing.T) {
	var got httpapi.Principal
	var ok bool
	p, err := atomix.New(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(p, httpapi.WithAPIKey(testKey),
		httpapi.WithTestRoute(http.MethodGet, "/test/whoami", func(w http.ResponseWriter, r *http.Request) error {
			got, ok = httpapi.PrincipalFrom(r.Context())
			return nil
		}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/test/whoami", nil))
	if ok {
		t.Errorf("got principal %+v on a public route, want none", got)
	}
	ctx := httpapi.WithPrincipal(context.Background(), httpapi.Principal{Kind: httpapi.PrincipalAPIKey, ID: "platform", Role: httpapi.RoleSuperAdmin})
	if pr, ok := httpapi.PrincipalFrom(ctx); !ok || pr.ID != "platform" || pr.Role != httpapi.RoleSuperAdmin {
		t.Errorf("got %+v %v, want the platform principal", pr, ok)
	}
}

func TestMountedOnOwnMux(t *testing.T) {
	p, err := atomix.New(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") })
	mux.Handle("/platform/v1/", httpapi.New(p, httpapi.WithPrefix("/platform/v1"), httpapi.WithAPIKey(testKey)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	get := func(path string, auth bool) (int, string) {
		t.Helper()
		r, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth {
			r.Header.Set("Authorization", "Bearer "+testKey)
		}
		res, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/hello", false); code != 200 || body != "hello" {
		t.Errorf("the team's route: got %d %q, want 200 hello", code, body)
	}
	if code, body := get("/platform/v1/tenants", true); code != 200 || !strings.Contains(body, `"pagination"`) {
		t.Errorf("atomix under the prefix: got %d %s, want 200 with a list", code, body)
	}
	if code, _ := get("/v1/tenants", true); code != 404 {
		t.Errorf("the default prefix: got %d, want 404 from the team's mux", code)
	}
	if code, _ := get("/platform/v1/tenants", false); code != 401 {
		t.Errorf("without a key: got %d, want 401", code)
	}
}

func TestNewPanicsOnMisuse(t *testing.T) {
	p, err := atomix.New(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		fn   func()
	}{
		{"nil platform", func() { httpapi.New(nil) }},
		{"wildcard prefix", func() { httpapi.New(p, httpapi.WithPrefix("/{tenant}")) }},
		{"space in prefix", func() { httpapi.New(p, httpapi.WithPrefix("/a b")) }},
		{"double slash", func() { httpapi.New(p, httpapi.WithPrefix("/a//b")) }},
		{"dot-dot segment", func() { httpapi.New(p, httpapi.WithPrefix("/a/../b")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("New did not panic")
				}
			}()
			tt.fn()
		})
	}
}

// logRecords parses JSON log lines.
func logRecords(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 0, 1<<20), 1<<24)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q", sc.Text())
		}
		out = append(out, rec)
	}
	return out
}
