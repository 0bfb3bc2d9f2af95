package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/google/go-cmp/cmp"
)

func TestCreateTenantSeedBody(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, req{method: http.MethodPost, path: "/tenants", body: seedCreateBody})
	res.wantStatus(t, http.StatusCreated)
	got := res.tenant(t)
	if !strings.HasPrefix(got.ID, "tn_") || !core.ValidID(core.PrefixTenant, got.ID) || len(got.ID) < 3+16 {
		t.Errorf("got id %q, want tn_ and at least 16 random characters", got.ID)
	}
	want := tenantBody{
		ID:        got.ID,
		Name:      "Acme Corporation",
		Subdomain: "acme",
		Status:    "trial",
		Plan:      "professional",
		PlanID:    "plan_professional",
		Contact:   map[string]string{"name": "John Doe", "email": "john@acme.com", "phone": "+905321234567"},
		Settings:  map[string]json.RawMessage{"industry": json.RawMessage(`"technology"`), "companySize": json.RawMessage(`"51-200"`)},
		// The clock ticks at every reading; the audit entry of the
		// catalog's publication read it first.
		CreatedAt: "2026-01-16T12:00:02Z",
		UpdatedAt: "2026-01-16T12:00:02Z",
		AtomCount: 3, // atom_wireframe, atom_task and atom_notification
		UserCount: 1, // the tenant admin, made from the contact
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the created tenant differs (-want +got):\n%s", diff)
	}
	if loc, want := res.header.Get("Location"), "/v1/tenants/"+got.ID; loc != want {
		t.Errorf("got Location %q, want %q", loc, want)
	}

	// The Location answers the same tenant.
	again := e.do(t, req{method: http.MethodGet, path: "/tenants/" + got.ID})
	again.wantStatus(t, http.StatusOK)
	if diff := cmp.Diff(got, again.tenant(t)); diff != "" {
		t.Errorf("GET after POST differs (-post +get):\n%s", diff)
	}
}

func TestCreateTenantCharsetAndRoundTrip(t *testing.T) {
	e := newEnv(t)
	// Strings that need escaping, and free-form settings of every JSON
	// type, must come back as they were sent.
	body := `{"name":"Ünïcödé \"quoted\" \\ back\u2028slash <b>&amp;</b> 🚀","subdomain":"round-trip",` +
		`"contact":{"name":"Zoë","email":"zoe@example.com"},` +
		`"settings":{"industry":"tab\there","companySize":"1-10","flags":{"beta":true,"n":[1,2.5,null]},"note":"line\nbreak","zero":0}}`
	res := e.do(t, req{method: http.MethodPost, path: "/tenants", body: body, contentType: "application/json; charset=UTF-8"})
	res.wantStatus(t, http.StatusCreated)
	var sent, got struct {
		Name     string         `json:"name"`
		Contact  map[string]any `json:"contact"`
		Settings map[string]any `json:"settings"`
	}
	if err := json.Unmarshal([]byte(body), &sent); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sent, got); diff != "" {
		t.Errorf("the tenant did not round-trip (-sent +got):\n%s", diff)
	}
	if !json.Valid(res.body) {
		t.Errorf("got invalid JSON %s", res.body)
	}
}

func TestListTenants(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.create(t, fmt.Sprintf("Company %d", i), fmt.Sprintf("company-%d", i)).ID)
	}
	// Two become active; one of the trials is deleted.
	for _, id := range ids[3:] {
		e.do(t, req{method: http.MethodPost, path: "/tenants/" + id + "/activate"}).wantStatus(t, http.StatusOK)
	}
	e.do(t, req{method: http.MethodDelete, path: "/tenants/" + ids[2]}).wantStatus(t, http.StatusNoContent)
	pro := e.do(t, req{method: http.MethodPost, path: "/tenants", body: seedCreateBody})
	pro.wantStatus(t, http.StatusCreated)
	proID := pro.tenant(t).ID

	tests := []struct {
		query                          string
		wantIDs                        []string
		wantPage, wantLimit, wantTotal int
		wantTotalPages                 int
	}{
		{"", []string{ids[0], ids[1], ids[3], ids[4], proID}, 1, 20, 5, 1},
		{"?status=trial&limit=1", []string{ids[0]}, 1, 1, 3, 3},
		{"?status=trial&limit=1&page=3", []string{proID}, 3, 1, 3, 3},
		{"?status=active", []string{ids[3], ids[4]}, 1, 20, 2, 1},
		{"?status=suspended", nil, 1, 20, 0, 0},
		{"?plan=professional", []string{proID}, 1, 20, 1, 1},
		{"?plan=plan_starter&limit=2&page=2", []string{ids[3], ids[4]}, 2, 2, 4, 2},
		{"?q=company%201", []string{ids[1]}, 1, 20, 1, 1},
		{"?q=ACME", []string{proID}, 1, 20, 1, 1},
		{"?includeDeleted=true", []string{ids[0], ids[1], ids[2], ids[3], ids[4], proID}, 1, 20, 6, 1},
		{"?includeDeleted=false&status=trial", []string{ids[0], ids[1], proID}, 1, 20, 3, 1},
		{"?page=9", nil, 9, 20, 5, 1}, // past the end: empty, not an error
		{"?limit=100", []string{ids[0], ids[1], ids[3], ids[4], proID}, 1, 100, 5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := e.do(t, req{method: http.MethodGet, path: "/tenants" + tt.query})
			res.wantStatus(t, http.StatusOK)
			got := res.list(t)
			var gotIDs []string
			for _, d := range got.Data {
				gotIDs = append(gotIDs, d.ID)
			}
			if diff := cmp.Diff(tt.wantIDs, gotIDs); diff != "" {
				t.Errorf("ids differ (-want +got):\n%s", diff)
			}
			p := got.Pagination
			if p.Page != tt.wantPage || p.Limit != tt.wantLimit || p.Total != tt.wantTotal || p.TotalPages != tt.wantTotalPages {
				t.Errorf("got pagination %+v, want page %d limit %d total %d totalPages %d", p, tt.wantPage, tt.wantLimit, tt.wantTotal, tt.wantTotalPages)
			}
			if got.Data == nil {
				t.Errorf("got data null, want an array")
			}
		})
	}

	// The seed 000 request: GET /tenants?status=trial&limit=1 answers data
	// with seed 000's item fields and the pagination.
	res := e.do(t, req{method: http.MethodGet, path: "/tenants?status=trial&limit=1"})
	var raw struct {
		Data       []map[string]any `json:"data"`
		Pagination map[string]any   `json:"pagination"`
	}
	if err := json.Unmarshal(res.body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "name", "subdomain", "status", "plan", "atomCount", "userCount", "createdAt"} {
		if _, ok := raw.Data[0][k]; !ok {
			t.Errorf("a list item has no %q: %s", k, res.body)
		}
	}
	for _, k := range []string{"page", "limit", "total", "totalPages"} {
		if _, ok := raw.Pagination[k]; !ok {
			t.Errorf("the pagination has no %q: %s", k, res.body)
		}
	}
}

func TestUpdateTenant(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, req{method: http.MethodPost, path: "/tenants", body: seedCreateBody})
	id := res.tenant(t).ID
	seed := `{"name":"Acme Corp","planId":"plan_enterprise","contact":{"phone":"+905321234568"},` +
		`"settings":{"companySize":"201-500","region":"emea","industry":null}}`
	up := e.do(t, req{method: http.MethodPatch, path: "/tenants/" + id, body: seed})
	up.wantStatus(t, http.StatusOK)
	got := up.tenant(t)
	want := tenantBody{
		ID: id, Name: "Acme Corp", Subdomain: "acme", Status: "trial", Plan: "enterprise", PlanID: "plan_enterprise",
		Contact:   map[string]string{"name": "John Doe", "email": "john@acme.com", "phone": "+905321234568"},
		Settings:  map[string]json.RawMessage{"companySize": json.RawMessage(`"201-500"`), "region": json.RawMessage(`"emea"`)},
		CreatedAt: "2026-01-16T12:00:02Z", UpdatedAt: got.UpdatedAt, // as in TestCreateTenantSeedBody
		AtomCount: 3, // seed 000's initialAtoms and atom_notification
		UserCount: 1, // the tenant admin, made from the contact
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the updated tenant differs (-want +got):\n%s", diff)
	}
	if got.UpdatedAt <= got.CreatedAt {
		t.Errorf("got updatedAt %s, want after createdAt %s", got.UpdatedAt, got.CreatedAt)
	}

	// An empty phone removes the phone; settings null leaves settings.
	up = e.do(t, req{method: http.MethodPatch, path: "/tenants/" + id, body: `{"contact":{"phone":""},"settings":null}`})
	up.wantStatus(t, http.StatusOK)
	got = up.tenant(t)
	if _, ok := got.Contact["phone"]; ok {
		t.Errorf("got contact %v, want no phone", got.Contact)
	}
	if len(got.Settings) != 2 {
		t.Errorf("got settings %s, want the two kept", up.body)
	}
}

func TestDeleteTenant(t *testing.T) {
	e := newEnv(t)
	tn := e.create(t, "Gone Ltd", "gone")
	res := e.do(t, req{method: http.MethodDelete, path: "/tenants/" + tn.ID})
	res.wantStatus(t, http.StatusNoContent)
	if len(res.body) != 0 {
		t.Errorf("got body %q, want none", res.body)
	}
	got := e.do(t, req{method: http.MethodGet, path: "/tenants/" + tn.ID})
	got.wantStatus(t, http.StatusOK)
	if d := got.tenant(t).DeletedAt; d == nil {
		t.Errorf("got no deletedAt for a deleted tenant: %s", got.body)
	}
	if n := e.do(t, req{method: http.MethodGet, path: "/tenants"}).list(t).Pagination.Total; n != 0 {
		t.Errorf("got %d tenants listed, want 0", n)
	}
	// The subdomain is free again.
	again := e.create(t, "Gone Again", "gone")
	if again.ID == tn.ID {
		t.Errorf("got the same id %s for a new tenant", again.ID)
	}
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	id := e.create(t, "Cycle Inc", "cycle").ID
	for _, step := range []struct {
		action, want string
	}{
		{"activate", "active"},
		{"suspend", "suspended"},
		{"activate", "active"},
		{"suspend", "suspended"},
		{"cancel", "cancelled"},
	} {
		res := e.do(t, req{method: http.MethodPost, path: "/tenants/" + id + "/" + step.action})
		res.wantStatus(t, http.StatusOK)
		if got := res.tenant(t).Status; got != step.want {
			t.Fatalf("%s: got status %q, want %q", step.action, got, step.want)
		}
	}
	res := e.do(t, req{method: http.MethodPost, path: "/tenants/" + id + "/activate"})
	res.wantStatus(t, http.StatusConflict)
	if p := res.problem(t); p.Code != "invalid_transition" || !strings.Contains(p.Detail, "cancelled") || !strings.Contains(p.Detail, "active") {
		t.Errorf("got %+v, want invalid_transition naming cancelled and active", p)
	}
}

func TestConcurrentCreateSameSubdomain(t *testing.T) {
	e := newEnv(t)
	const n = 16
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.do(t, req{method: http.MethodPost, path: "/tenants", body: createBody(fmt.Sprint("Racer ", i), "racer")}).status
		}()
	}
	wg.Wait()
	created := 0
	for _, c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("got status %d, want 201 or 409", c)
		}
	}
	if created != 1 {
		t.Errorf("got %d tenants created, want 1", created)
	}
}

func TestListNamesEveryBadParameter(t *testing.T) {
	env := newEnv(t)
	res := env.do(t, req{method: "GET", path: "/tenants?status=bogus&limit=101&page=0"})
	if res.status != 422 {
		t.Fatalf("got status %d, want 422", res.status)
	}
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	if err := json.Unmarshal(res.body, &p); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Field)
	}
	if want := []string{"limit", "page", "status"}; !slices.Equal(got, want) {
		t.Errorf("got fields %v, want %v", got, want)
	}
}
