package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// testKey is the platform API key of the test handlers.
const testKey = "test-platform-key-0123456789"

// seedCreateBody is seed 000's example body of POST /tenants, verbatim.
const seedCreateBody = `{
"name": "Acme Corporation",
"subdomain": "acme",
"planId": "plan_professional",
"contact": {
"name": "John Doe",
"email": "john@acme.com",
"phone": "+905321234567"
},
"initialAtoms": ["atom_wireframe", "atom_task"],
"settings": {
"industry": "technology",
"companySize": "51-200"
}
}`

// env is a handler over a fresh memory store, with the OpenAPI document it
// serves loaded for validating its responses.
type env struct {
	p      *atomix.Platform
	clk    *clock // nil for envs on another clock
	h      http.Handler
	prefix string
	logs   *syncBuffer
	doc    *openapi3.T
	router routers.Router
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clock is a test clock that moves one second at every reading, so that
// creation order is also time order.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// set moves the clock to t (the next reading is a second later).
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// testPlans are the plans the tests' tenants are on: seed 000's starter
// and professional, and an unlimited enterprise plan without a trial.
func testPlans() []billing.Plan {
	feat := func(storage string, custom bool) map[string]json.RawMessage {
		return map[string]json.RawMessage{"storage": json.RawMessage(`"` + storage + `"`), "apiAccess": json.RawMessage(`true`),
			"customDomain": json.RawMessage(strconv.FormatBool(custom))}
	}
	return []billing.Plan{
		{ID: "plan_starter", Name: "Starter", Currency: money.USD, Prices: map[billing.Interval]int64{billing.Monthly: 4900, billing.Yearly: 49000},
			TrialDays: 14, Limits: map[string]int64{billing.LimitAtoms: 5, billing.LimitUsers: 10}, Features: feat("10GB", false)},
		{ID: "plan_professional", Name: "Professional", Currency: money.USD, Prices: map[billing.Interval]int64{billing.Monthly: 14900},
			TrialDays: 14, Limits: map[string]int64{billing.LimitAtoms: 15, billing.LimitUsers: 50}, Features: feat("100GB", true), IsPopular: true},
		{ID: "plan_enterprise", Name: "Enterprise", Currency: money.USD, Prices: map[billing.Interval]int64{billing.Monthly: 49900},
			Limits: map[string]int64{billing.LimitAtoms: billing.Unlimited, billing.LimitUsers: billing.Unlimited}, Features: feat("1TB", true)},
	}
}

// seedPlans stores testPlans in p's store.
func seedPlans(t testing.TB, p *atomix.Platform) {
	t.Helper()
	ctx := atomix.AsSystem(context.Background())
	for _, pl := range testPlans() {
		if _, err := p.CreatePlan(ctx, pl); err != nil {
			t.Fatalf("creating plan %s: %v", pl.ID, err)
		}
	}
}

// newEnv returns an env with the test key and the default prefix; opts
// come after those and may override them.
func newEnv(t testing.TB, opts ...httpapi.Option) *env {
	t.Helper()
	start := time.Date(2026, 1, 16, 12, 0, 0, 0, time.UTC)
	clk := &clock{t: start}
	p, err := atomix.New(memory.New(), atomix.WithClock(clk.now), atomix.WithLimits(atom.StaticLimits{"plan_starter": 5}),
		atomix.WithIdentity(testIdentity(nil))) // auth_test.go
	if err != nil {
		t.Fatalf("atomix.New: %v", err)
	}
	// The plans are older than anything else, and do not move the tests'
	// times.
	clk.set(start.Add(-time.Hour))
	seedPlans(t, p)
	clk.set(start)
	publishDemo(t, p) // the catalog seed 000's initialAtoms come from: atoms_test.go
	e := &env{p: p, clk: clk, logs: &syncBuffer{}}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	all := append([]httpapi.Option{httpapi.WithAPIKey(testKey), httpapi.WithLogger(logger)}, opts...)
	e.h = httpapi.New(p, all...)
	e.loadDoc(t)
	return e
}

// parsedDoc is a served document, loaded and validated, with its router.
type parsedDoc struct {
	doc    *openapi3.T
	router routers.Router
}

// docCache keeps each served document parsed once per test binary: loading
// and validating it with kin-openapi takes most of a second under -race.
// Parsed documents and routers are only read afterwards.
var docCache = struct {
	sync.Mutex
	m map[string]*parsedDoc
}{m: make(map[string]*parsedDoc)}

// loadDoc fetches /swagger.json from the handler itself (the server URL
// gives the prefix), loads and validates it, and builds the router used
// to find each response's operation.
func (e *env) loadDoc(t testing.TB) {
	t.Helper()
	for _, prefix := range []string{"/v1", "/platform/v1", ""} {
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, prefix+"/swagger.json", nil))
		if rec.Code != http.StatusOK {
			continue
		}
		docCache.Lock()
		defer docCache.Unlock()
		if pd, ok := docCache.m[rec.Body.String()]; ok {
			e.prefix = strings.TrimSuffix(pd.doc.Servers[0].URL, "/")
			e.doc, e.router = pd.doc, pd.router
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("loading the served document: %v", err)
		}
		if err := doc.Validate(loader.Context); err != nil {
			t.Fatalf("the served document does not validate: %v", err)
		}
		if len(doc.Servers) != 1 {
			t.Fatalf("got %d servers, want 1", len(doc.Servers))
		}
		e.prefix = strings.TrimSuffix(doc.Servers[0].URL, "/")
		e.doc = doc
		e.router, err = legacy.NewRouter(doc)
		if err != nil {
			t.Fatalf("building the router: %v", err)
		}
		docCache.m[rec.Body.String()] = &parsedDoc{doc: doc, router: e.router}
		return
	}
	t.Fatal("the handler serves swagger.json under none of the tried prefixes")
}

// req describes one request to the handler.
type req struct {
	method string
	path   string // relative to the prefix, with the query
	body   string
	// contentType defaults to application/json when body is set; "-"
	// sends none.
	contentType string
	// auth is the Authorization header; "" sends the test key, "-" none.
	auth   string
	header map[string]string
}

// resp is a recorded response.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// do serves rq and validates the response against the document.
func (e *env) do(t testing.TB, rq req) *resp {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, e.prefix+rq.path, body)
	if rq.body != "" && rq.contentType == "" {
		r.Header.Set("Content-Type", "application/json")
	} else if rq.contentType != "" && rq.contentType != "-" {
		r.Header.Set("Content-Type", rq.contentType)
	}
	switch rq.auth {
	case "":
		r.Header.Set("Authorization", "Bearer "+testKey)
	case "-":
	default:
		r.Header.Set("Authorization", rq.auth)
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	return e.serve(t, r)
}

// serve serves r and validates the response against the document.
func (e *env) serve(t testing.TB, r *http.Request) *resp {
	t.Helper()
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	res := &resp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	e.validate(t, r, res)
	return res
}

// validate checks res against the document: with openapi3filter for a
// documented operation (an undocumented status fails), and against the
// Problem schema for a request no operation matches. Every response must
// carry X-Request-Id.
func (e *env) validate(t testing.TB, r *http.Request, res *resp) {
	t.Helper()
	if res.header.Get("X-Request-Id") == "" {
		t.Errorf("%s %s: got no X-Request-Id header", r.Method, r.URL)
	}
	ctx := context.Background()
	route, params, err := e.router.FindRoute(r)
	// The document's router forgives a trailing slash; the API does not.
	if err == nil && strings.HasSuffix(r.URL.Path, "/") {
		err = errors.New("a trailing slash")
	}
	if err != nil {
		// Routes mounted by tests (httpapi.WithTestRoute) live under /test/
		// and may answer any problem.
		testRoute := strings.HasPrefix(r.URL.Path, e.prefix+"/test/")
		if !testRoute && res.status != http.StatusNotFound && res.status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s is not documented, and got status %d, want 404 or 405", r.Method, r.URL, res.status)
		}
		e.validateProblem(t, r, res)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 res.status,
		Header:                 res.header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(res.body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		t.Errorf("%s %s: the response (%d %s) does not match the document: %v", r.Method, r.URL, res.status, res.body, err)
	}
	if res.status >= 400 && res.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s %s: got Content-Type %q for status %d, want application/problem+json", r.Method, r.URL, res.header.Get("Content-Type"), res.status)
	}
}

// validateProblem checks that res is a problem matching the Problem schema.
func (e *env) validateProblem(t testing.TB, r *http.Request, res *resp) {
	t.Helper()
	if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s %s: got Content-Type %q, want application/problem+json", r.Method, r.URL, ct)
	}
	var v any
	if err := json.Unmarshal(res.body, &v); err != nil {
		t.Errorf("%s %s: the body is not JSON: %v", r.Method, r.URL, err)
		return
	}
	schema := e.doc.Components.Schemas["Problem"].Value
	if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()); err != nil {
		t.Errorf("%s %s: the body does not match the Problem schema: %v", r.Method, r.URL, err)
	}
}

// problemBody is the wire form of a problem, for reading responses.
type problemBody struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail"`
	Code      string            `json:"code"`
	Instance  string            `json:"instance"`
	RequestID string            `json:"requestId"`
	Errors    []core.FieldError `json:"errors"`
}

func (res *resp) problem(t testing.TB) problemBody {
	t.Helper()
	var p problemBody
	if err := json.Unmarshal(res.body, &p); err != nil {
		t.Fatalf("decoding the problem %s: %v", res.body, err)
	}
	return p
}

// tenantBody is the wire form of a tenant, for reading responses.
type tenantBody struct {
	ID        string                     `json:"id"`
	Name      string                     `json:"name"`
	Subdomain string                     `json:"subdomain"`
	Status    string                     `json:"status"`
	Plan      string                     `json:"plan"`
	PlanID    string                     `json:"planId"`
	Contact   map[string]string          `json:"contact"`
	Settings  map[string]json.RawMessage `json:"settings"`
	AtomCount int                        `json:"atomCount"`
	UserCount int                        `json:"userCount"`
	CreatedAt string                     `json:"createdAt"`
	UpdatedAt string                     `json:"updatedAt"`
	DeletedAt *string                    `json:"deletedAt"`
}

type listBody struct {
	Data       []tenantBody `json:"data"`
	Pagination struct {
		Page       int `json:"page"`
		Limit      int `json:"limit"`
		Total      int `json:"total"`
		TotalPages int `json:"totalPages"`
	} `json:"pagination"`
}

func (res *resp) tenant(t testing.TB) tenantBody {
	t.Helper()
	var b tenantBody
	if err := json.Unmarshal(res.body, &b); err != nil {
		t.Fatalf("decoding the tenant %s: %v", res.body, err)
	}
	return b
}

func (res *resp) list(t testing.TB) listBody {
	t.Helper()
	var b listBody
	if err := json.Unmarshal(res.body, &b); err != nil {
		t.Fatalf("decoding the list %s: %v", res.body, err)
	}
	return b
}

// wantStatus fails the test when res has another status.
func (res *resp) wantStatus(t testing.TB, status int) {
	t.Helper()
	if res.status != status {
		t.Fatalf("got status %d (%s), want %d", res.status, res.body, status)
	}
}

// createBody returns a valid POST /tenants body for the subdomain.
func createBody(name, subdomain string) string {
	b, _ := json.Marshal(map[string]any{
		"name":      name,
		"subdomain": subdomain,
		"planId":    "plan_starter",
		"contact":   map[string]string{"name": "Jane Roe", "email": "jane@" + subdomain + ".example.com"},
	})
	return string(b)
}

// create creates a tenant through the API and returns it.
func (e *env) create(t testing.TB, name, subdomain string) tenantBody {
	t.Helper()
	res := e.do(t, req{method: http.MethodPost, path: "/tenants", body: createBody(name, subdomain)})
	res.wantStatus(t, http.StatusCreated)
	return res.tenant(t)
}

// snapshot returns every tenant in the store, deleted ones included.
func (e *env) snapshot(t testing.TB) []tenant.Tenant {
	t.Helper()
	var all []tenant.Tenant
	for page := 1; ; page++ {
		pg, err := e.p.Tenants().List(context.Background(), tenant.ListQuery{
			IncludeDeleted: true,
			Page:           core.PageRequest{Page: page, Limit: core.MaxLimit},
		})
		if err != nil {
			t.Fatalf("listing the store: %v", err)
		}
		all = append(all, pg.Items...)
		if page >= pg.TotalPages {
			return all
		}
	}
}

// unchanged fails the test when the store differs from before.
func (e *env) unchanged(t testing.TB, before []tenant.Tenant) {
	t.Helper()
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Errorf("the store changed (-before +after):\n%s", diff)
	}
}
