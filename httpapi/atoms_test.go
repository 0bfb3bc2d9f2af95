package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/atom"
)

// publishDemo publishes atom.DemoCatalog's atoms.
func publishDemo(t testing.TB, p *atomix.Platform) {
	t.Helper()
	demo, err := atom.DemoCatalog()
	if err != nil {
		t.Fatalf("DemoCatalog: %v", err)
	}
	if _, err := p.PublishAtoms(atomix.AsSystem(context.Background()), demo.Atoms()...); err != nil {
		t.Fatalf("PublishAtoms: %v", err)
	}
}

// Wire forms of the atom answers, for reading responses.

type refBody struct {
	InstallationID string `json:"installationId"`
	AtomID         string `json:"atomId"`
	Version        string `json:"version"`
	FromVersion    string `json:"fromVersion"`
	Mode           string `json:"mode"`
}

type changeBody struct {
	InstallationID        string          `json:"installationId"`
	AtomID                string          `json:"atomId"`
	Version               string          `json:"version"`
	Mode                  string          `json:"mode"`
	Status                string          `json:"status"`
	Config                json.RawMessage `json:"config"`
	InstalledAt           string          `json:"installedAt"`
	PreviousVersion       string          `json:"previousVersion"`
	InstalledDependencies []refBody       `json:"installedDependencies"`
	UpgradedDependencies  []refBody       `json:"upgradedDependencies"`
	RemovedDependencies   []refBody       `json:"removedDependencies"`
	Summary               string          `json:"summary"`
	Slots                 struct {
		Before, After int
	} `json:"slots"`
}

type removalBody struct {
	Removed             []refBody `json:"removed"`
	RemovedDependencies []refBody `json:"removedDependencies"`
	KeptDependencies    []refBody `json:"keptDependencies"`
}

type atomProblemBody struct {
	problemBody
	Dependents []atom.Dependent `json:"dependents"`
	Limit      *struct {
		Resource              string
		Needed, Allowed, Used int
	} `json:"limit"`
}

func decodeInto[T any](t testing.TB, res *resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(res.body, &v); err != nil {
		t.Fatalf("decoding %s: %v", res.body, err)
	}
	return v
}

// refNames formats refs as "id version mode".
func refNames(rs []refBody) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.AtomID+" "+r.Version+" "+r.Mode)
	}
	return out
}

// createWithAtoms creates a tenant on the plan with initial atoms.
func (e *env) createWithAtoms(t testing.TB, subdomain, plan string, atoms ...string) tenantBody {
	t.Helper()
	b, _ := json.Marshal(map[string]any{
		"name": "Tenant " + subdomain, "subdomain": subdomain, "planId": plan,
		"contact": map[string]string{"name": "Jane Roe", "email": "jane@" + subdomain + ".example.com"}, "initialAtoms": atoms,
	})
	res := e.do(t, req{method: http.MethodPost, path: "/tenants", body: string(b)})
	res.wantStatus(t, http.StatusCreated)
	return res.tenant(t)
}

func (e *env) tenantAtoms(t testing.TB, id string) []string {
	t.Helper()
	res := e.do(t, req{method: http.MethodGet, path: "/tenants/" + id + "/atoms?limit=100"})
	res.wantStatus(t, http.StatusOK)
	var l struct {
		Data []refBody `json:"data"`
	}
	if err := json.Unmarshal(res.body, &l); err != nil {
		t.Fatal(err)
	}
	return refNames(l.Data)
}

// TestAtomsMustShow is the must-show through the REST API.
func TestAtomsMustShow(t *testing.T) {
	e := newEnv(t)
	acme := e.create(t, "Acme", "acme")

	res := e.do(t, req{method: http.MethodPost, path: "/tenants/" + acme.ID + "/atoms",
		body: `{"atomId": "atom_crm", "config": {"enablePipeline": true, "defaultCurrency": "TRY"}}`})
	res.wantStatus(t, http.StatusCreated)
	ch := decodeInto[changeBody](t, res)
	if ch.AtomID != "atom_crm" || ch.Version != "1.5.0" || ch.Status != "active" || !strings.HasPrefix(ch.InstallationID, "inst_") ||
		string(ch.Config) != `{"enablePipeline":true,"defaultCurrency":"TRY"}` || ch.InstalledAt == "" {
		t.Errorf("POST atom_crm: got %s, want seed 000's answer", res.body)
	}
	if diff := cmp.Diff([]string{"atom_notification 1.3.0 dependency"}, refNames(ch.InstalledDependencies)); diff != "" {
		t.Errorf("installedDependencies (-want +got):\n%s", diff)
	}

	res = e.do(t, req{method: http.MethodDelete, path: "/tenants/" + acme.ID + "/atoms/atom_notification"})
	res.wantStatus(t, http.StatusConflict)
	pb := decodeInto[atomProblemBody](t, res)
	want := []atom.Dependent{{AtomID: "atom_crm", Version: "1.5.0", Mode: atom.ModeExplicit, Chain: []string{"atom_crm 1.5.0", "atom_notification 1.3.0"}}}
	if pb.Code != "atom_has_dependents" || !strings.Contains(pb.Detail, "atom_crm 1.5.0 depends on it") {
		t.Errorf("DELETE atom_notification: got %s %q, want atom_has_dependents naming atom_crm", pb.Code, pb.Detail)
	}
	if diff := cmp.Diff(want, pb.Dependents); diff != "" {
		t.Errorf("dependents (-want +got):\n%s", diff)
	}

	res = e.do(t, req{method: http.MethodDelete, path: "/tenants/" + acme.ID + "/atoms/atom_crm"})
	res.wantStatus(t, http.StatusOK)
	rm := decodeInto[removalBody](t, res)
	if got := refNames(rm.Removed); !slices.Equal(got, []string{"atom_crm 1.5.0 explicit"}) {
		t.Errorf("removed: got %v, want atom_crm", got)
	}
	if got := refNames(rm.RemovedDependencies); !slices.Equal(got, []string{"atom_notification 1.3.0 dependency"}) {
		t.Errorf("removedDependencies: got %v, want atom_notification", got)
	}
	if got := e.tenantAtoms(t, acme.ID); len(got) != 0 {
		t.Errorf("installations left: got %v, want none", got)
	}

	// plan_starter allows 5 atom slots here; the tenant uses them all.
	full := e.createWithAtoms(t, "full", "plan_starter", "atom_crm", "atom_task", "atom_wireframe", "atom_sms")
	res = e.do(t, req{method: http.MethodPost, path: "/tenants/" + full.ID + "/atoms", body: `{"atomId":"atom_analytics"}`})
	res.wantStatus(t, http.StatusConflict)
	pb = decodeInto[atomProblemBody](t, res)
	if pb.Code != "plan_limit_exceeded" || pb.Limit == nil || pb.Limit.Needed != 7 || pb.Limit.Allowed != 5 || pb.Limit.Used != 5 ||
		pb.Limit.Resource != "atomSlots" || !strings.Contains(pb.Detail, "needs 7 atom slots (5 in use and 2 more), but the plan allows 5") {
		t.Errorf("POST over the limit: got %s, want plan_limit_exceeded with needed 7, allowed 5, used 5", res.body)
	}
}

func TestListAtoms(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		query string
		ids   []string
		total int
	}{
		{"", []string{"atom_analytics", "atom_campaign", "atom_crm", "atom_legacy_reports", "atom_notification", "atom_sms", "atom_task", "atom_wireframe", "core_auth"}, 9},
		{"?category=communication", []string{"atom_notification", "atom_sms"}, 2},
		{"?q=CRM", []string{"atom_campaign", "atom_crm"}, 2}, // atom_campaign's description names CRM
		{"?limit=2&page=2", []string{"atom_crm", "atom_legacy_reports"}, 9},
		{"?category=none", []string{}, 0},
	}
	for _, tt := range tests {
		res := e.do(t, req{method: http.MethodGet, path: "/atoms" + tt.query})
		res.wantStatus(t, http.StatusOK)
		var l struct {
			Data []struct {
				ID      string `json:"id"`
				Version string `json:"version"`
			} `json:"data"`
			Pagination struct{ Total int } `json:"pagination"`
		}
		if err := json.Unmarshal(res.body, &l); err != nil {
			t.Fatal(err)
		}
		ids := []string{}
		for _, a := range l.Data {
			ids = append(ids, a.ID)
			if a.ID == "atom_wireframe" && a.Version != "2.1.0" {
				t.Errorf("%s: atom_wireframe version: got %s, want 2.1.0 (the newest release)", tt.query, a.Version)
			}
		}
		if diff := cmp.Diff(tt.ids, ids); diff != "" || l.Pagination.Total != tt.total {
			t.Errorf("GET /atoms%s: total %d (want %d); ids (-want +got):\n%s", tt.query, l.Pagination.Total, tt.total, diff)
		}
	}

	res := e.do(t, req{method: http.MethodGet, path: "/atoms/atom_crm"})
	res.wantStatus(t, http.StatusOK)
	var d struct {
		Version      string          `json:"version"`
		Dependencies []string        `json:"dependencies"`
		ConfigSchema json.RawMessage `json:"configSchema"`
		Versions     []struct {
			Version string `json:"version"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(res.body, &d); err != nil {
		t.Fatal(err)
	}
	if d.Version != "1.5.0" || len(d.Versions) != 2 || d.Versions[0].Version != "1.5.0" || d.Versions[1].Version != "1.4.0" ||
		!slices.Equal(d.Dependencies, []string{"atom_notification >=1.2.0"}) || len(d.ConfigSchema) == 0 {
		t.Errorf("GET /atoms/atom_crm: got %s, want 1.5.0 with versions 1.5.0, 1.4.0", res.body)
	}
	for _, tt := range []struct {
		path   string
		status int
		code   string
	}{
		{"/atoms/atom_nope", 404, "atom_not_found"},
		{"/atoms?sort=name", 422, "invalid"},
		{"/atoms?limit=0", 422, "invalid"},
		{"/atoms/atom_crm?x=1", 422, "invalid"},
	} {
		res := e.do(t, req{method: http.MethodGet, path: tt.path})
		res.wantStatus(t, tt.status)
		if p := res.problem(t); p.Code != tt.code {
			t.Errorf("GET %s: got code %s, want %s", tt.path, p.Code, tt.code)
		}
	}
}

func TestCreateTenantAnswersInstallations(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, req{method: http.MethodPost, path: "/tenants", body: seedCreateBody})
	res.wantStatus(t, http.StatusCreated)
	var b struct {
		AtomCount     int       `json:"atomCount"`
		Installations []refBody `json:"installations"`
	}
	if err := json.Unmarshal(res.body, &b); err != nil {
		t.Fatal(err)
	}
	want := []string{"atom_notification 1.3.0 dependency", "atom_task 1.8.0 explicit", "atom_wireframe 2.1.0 explicit"}
	if diff := cmp.Diff(want, refNames(b.Installations)); diff != "" || b.AtomCount != 3 {
		t.Errorf("POST /tenants: atomCount %d (want 3); installations (-want +got):\n%s", b.AtomCount, diff)
	}

	// An initial atom that cannot be installed fails the whole create.
	body := strings.Replace(createBody("Small", "small"), `"planId":"plan_starter"`, `"planId":"plan_starter","initialAtoms":["atom_crm","atom_task","atom_campaign"]`, 1)
	res = e.do(t, req{method: http.MethodPost, path: "/tenants", body: body})
	res.wantStatus(t, http.StatusConflict)
	if p := res.problem(t); p.Code != "plan_limit_exceeded" {
		t.Errorf("POST /tenants over the limit: got code %s, want plan_limit_exceeded", p.Code)
	}
	res = e.do(t, req{method: http.MethodGet, path: "/tenants?q=small"})
	if l := res.list(t); l.Pagination.Total != 0 {
		t.Errorf("tenants named small: got %d, want 0", l.Pagination.Total)
	}
}

func TestTenantAtoms(t *testing.T) {
	e := newEnv(t)
	acme := e.create(t, "Acme", "acme")
	paused := e.create(t, "Paused", "paused")
	e.do(t, req{method: http.MethodPost, path: "/tenants/" + paused.ID + "/activate"}).wantStatus(t, http.StatusOK)
	e.do(t, req{method: http.MethodPost, path: "/tenants/" + paused.ID + "/suspend"}).wantStatus(t, http.StatusOK)
	base := "/tenants/" + acme.ID + "/atoms"

	res := e.do(t, req{method: http.MethodPost, path: base, body: `{"atomId":"atom_crm","version":"1.4.0","config":{"defaultCurrency":"TRY"}}`})
	res.wantStatus(t, http.StatusCreated)
	first := decodeInto[changeBody](t, res)

	// Again: 200, the same installation.
	res = e.do(t, req{method: http.MethodPost, path: base, body: `{"atomId":"atom_crm","version":"1.4.0","config":null}`})
	res.wantStatus(t, http.StatusOK)
	if again := decodeInto[changeBody](t, res); again.InstallationID != first.InstallationID {
		t.Errorf("POST again: got installation %s, want %s", again.InstallationID, first.InstallationID)
	}
	// A dependency asked for: 200, now explicit.
	res = e.do(t, req{method: http.MethodPost, path: base, body: `{"atomId":"atom_notification"}`})
	res.wantStatus(t, http.StatusOK)
	if got := decodeInto[changeBody](t, res); got.Mode != "explicit" {
		t.Errorf("POST a dependency: got mode %s, want explicit", got.Mode)
	}

	// Upgrade to the newest, keeping the config.
	res = e.do(t, req{method: http.MethodPatch, path: base + "/atom_crm", body: `{"version":"latest"}`})
	res.wantStatus(t, http.StatusOK)
	up := decodeInto[changeBody](t, res)
	if up.Version != "1.5.0" || up.PreviousVersion != "1.4.0" || string(up.Config) != `{"defaultCurrency":"TRY"}` {
		t.Errorf("PATCH latest: got %s, want 1.4.0 -> 1.5.0", res.body)
	}
	res = e.do(t, req{method: http.MethodPatch, path: base + "/atom_crm", body: `{"config":{"enablePipeline":false}}`})
	res.wantStatus(t, http.StatusOK)
	if got := decodeInto[changeBody](t, res); string(got.Config) != `{"enablePipeline":false}` {
		t.Errorf("PATCH config: got %s", res.body)
	}
	if diff := cmp.Diff([]string{"atom_crm 1.5.0 explicit", "atom_notification 1.3.0 explicit"}, e.tenantAtoms(t, acme.ID)); diff != "" {
		t.Errorf("installations (-want +got):\n%s", diff)
	}
	res = e.do(t, req{method: http.MethodGet, path: "/tenants?q=acme"})
	if l := res.list(t); len(l.Data) != 1 || l.Data[0].AtomCount != 2 {
		t.Errorf("GET /tenants?q=acme: got %s, want atomCount 2", res.body)
	}

	before := e.tenantAtoms(t, acme.ID)
	for _, tt := range []struct {
		name       string
		rq         req
		status     int
		code       string
		firstField string
	}{
		{"config against the schema", req{method: "POST", path: base, body: `{"atomId":"atom_sms","config":{"x":1}}`}, 201, "", ""},
		{"bad config", req{method: "PATCH", path: base + "/atom_crm", body: `{"config":{"defaultCurrency":"try","more":1}}`}, 422, "atom_config_invalid", "config/defaultCurrency"},
		{"nothing to change", req{method: "PATCH", path: base + "/atom_crm", body: `{}`}, 422, "invalid", "version"},
		{"downgrade", req{method: "PATCH", path: base + "/atom_crm", body: `{"version":"1.4.0"}`}, 409, "atom_downgrade", ""},
		{"bad constraint", req{method: "PATCH", path: base + "/atom_crm", body: `{"version":">>1"}`}, 422, "atom_constraint_invalid", ""},
		{"unknown version", req{method: "POST", path: base, body: `{"atomId":"atom_task","version":"9.9.9"}`}, 404, "atom_version_not_found", ""},
		{"unknown atom", req{method: "POST", path: base, body: `{"atomId":"atom_nope"}`}, 404, "atom_not_found", ""},
		{"no atom", req{method: "POST", path: base, body: `{"config":{}}`}, 422, "invalid", "atomId"},
		{"unknown field", req{method: "POST", path: base, body: `{"atomId":"atom_task","cfg":{}}`}, 400, "unknown_field", "cfg"},
		{"config not an object", req{method: "POST", path: base, body: `{"atomId":"atom_task","config":[1]}`}, 422, "atom_config_invalid", "config"},
		{"built-in", req{method: "POST", path: base, body: `{"atomId":"core_auth"}`}, 409, "atom_builtin", ""},
		{"uninstall built-in", req{method: "DELETE", path: base + "/core_auth"}, 409, "atom_builtin", ""},
		{"conflict", req{method: "POST", path: base, body: `{"atomId":"atom_legacy_reports"}`}, 409, "atom_dependency_conflict", ""},
		{"not installed", req{method: "DELETE", path: base + "/atom_task"}, 404, "atom_not_installed", ""},
		{"bad cascade", req{method: "DELETE", path: base + "/atom_crm?cascade=yes"}, 422, "invalid", "cascade"},
		{"unknown parameter", req{method: "DELETE", path: base + "/atom_crm?force=true"}, 422, "invalid", "force"},
		{"unknown tenant", req{method: "GET", path: "/tenants/tn_missing/atoms"}, 404, "not_found", ""},
		{"install for unknown tenant", req{method: "POST", path: "/tenants/tn_missing/atoms", body: `{"atomId":"atom_task"}`}, 404, "not_found", ""},
		{"suspended tenant", req{method: "POST", path: "/tenants/" + paused.ID + "/atoms", body: `{"atomId":"atom_task"}`}, 409, "tenant_not_active", ""},
		{"bad page", req{method: "GET", path: base + "?page=0"}, 422, "invalid", "page"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(t, tt.rq)
			res.wantStatus(t, tt.status)
			if tt.status < 400 {
				// atom_sms has no config schema: any object is fine.
				e.do(t, req{method: "DELETE", path: base + "/atom_sms"}).wantStatus(t, http.StatusOK)
				return
			}
			p := res.problem(t)
			if p.Code != tt.code {
				t.Errorf("got code %s (%s), want %s", p.Code, p.Detail, tt.code)
			}
			if tt.firstField != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tt.firstField) {
				t.Errorf("got errors %v, want the first on %s", p.Errors, tt.firstField)
			}
			if diff := cmp.Diff(before, e.tenantAtoms(t, acme.ID)); diff != "" {
				t.Errorf("installations changed (-before +after):\n%s", diff)
			}
		})
	}

	// Cascade with kept orphans, over the API.
	e.do(t, req{method: http.MethodPost, path: base, body: `{"atomId":"atom_campaign"}`}).wantStatus(t, http.StatusCreated)
	res = e.do(t, req{method: http.MethodDelete, path: base + "/atom_crm?cascade=true&keepOrphans=true"})
	res.wantStatus(t, http.StatusOK)
	rm := decodeInto[removalBody](t, res)
	if got := refNames(rm.Removed); !slices.Equal(got, []string{"atom_campaign 1.1.0 explicit", "atom_crm 1.5.0 explicit"}) {
		t.Errorf("removed: got %v, want atom_campaign, then atom_crm", got)
	}
	if got := refNames(rm.KeptDependencies); !slices.Equal(got, []string{"atom_sms 1.0.0 explicit"}) {
		t.Errorf("kept: got %v, want atom_sms", got)
	}
	if diff := cmp.Diff([]string{"atom_notification 1.3.0 explicit", "atom_sms 1.0.0 explicit"}, e.tenantAtoms(t, acme.ID)); diff != "" {
		t.Errorf("installations (-want +got):\n%s", diff)
	}
}
