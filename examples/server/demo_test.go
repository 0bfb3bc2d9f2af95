package main_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestServerDemoMustShow drives the atom marketplace's must-show over real
// HTTP against `server -demo`.
func TestServerDemoMustShow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	const key = "demo-key"
	s := start(t, bin, t.TempDir(), []string{"ATOMIX_API_KEY=" + key}, "-dsn", "memory:", "-demo")

	code, tn := s.do(t, "POST", "/tenants", key, `{"name":"Acme","subdomain":"acme","planId":"plan_starter",
		"contact":{"name":"John Doe","email":"john@acme.com"}}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /tenants: got %d %v, want 201", code, tn)
	}
	atoms := "/tenants/" + tn["id"].(string) + "/atoms"

	// Installing atom_crm on a new tenant: 201, with atom_notification
	// 1.3.0 installed as its dependency.
	code, inst := s.do(t, "POST", atoms, key, `{"atomId":"atom_crm","config":{"enablePipeline":true,"defaultCurrency":"TRY"}}`)
	if code != http.StatusCreated || inst["atomId"] != "atom_crm" || inst["version"] != "1.5.0" || inst["status"] != "active" {
		t.Fatalf("POST atom_crm: got %d %v, want 201 with atom_crm 1.5.0 active", code, inst)
	}
	deps, _ := inst["installedDependencies"].([]any)
	if len(deps) != 1 || deps[0].(map[string]any)["atomId"] != "atom_notification" || deps[0].(map[string]any)["version"] != "1.3.0" {
		t.Errorf("installedDependencies: got %v, want atom_notification 1.3.0", inst["installedDependencies"])
	}

	// Uninstalling atom_notification: 409 naming atom_crm.
	code, p := s.do(t, "DELETE", atoms+"/atom_notification", key, "")
	dependents, _ := p["dependents"].([]any)
	if code != http.StatusConflict || p["code"] != "atom_has_dependents" || !strings.Contains(p["detail"].(string), "atom_crm") ||
		len(dependents) != 1 || dependents[0].(map[string]any)["atomId"] != "atom_crm" {
		t.Errorf("DELETE atom_notification: got %d %v, want 409 atom_has_dependents naming atom_crm", code, p)
	}

	// Uninstalling atom_crm removes atom_notification too.
	code, rm := s.do(t, "DELETE", atoms+"/atom_crm", key, "")
	removed, _ := rm["removedDependencies"].([]any)
	if code != http.StatusOK || len(removed) != 1 || removed[0].(map[string]any)["atomId"] != "atom_notification" {
		t.Errorf("DELETE atom_crm: got %d %v, want 200 removing atom_notification", code, rm)
	}
	if code, l := s.do(t, "GET", atoms, key, ""); code != http.StatusOK || len(l["data"].([]any)) != 0 {
		t.Errorf("GET atoms after: got %d %v, want 200 and none", code, l)
	}

	// A tenant at its slot limit (plan_starter: 5) gets 409 with the
	// numbers.
	code, full := s.do(t, "POST", "/tenants", key, `{"name":"Full","subdomain":"full","planId":"plan_starter",
		"contact":{"name":"Jane Roe","email":"jane@full.com"},"initialAtoms":["atom_crm","atom_task","atom_wireframe","atom_sms"]}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /tenants full: got %d %v, want 201", code, full)
	}
	code, p = s.do(t, "POST", "/tenants/"+full["id"].(string)+"/atoms", key, `{"atomId":"atom_analytics"}`)
	limit, _ := p["limit"].(map[string]any)
	if code != http.StatusConflict || p["code"] != "plan_limit_exceeded" || limit["needed"] != 7.0 || limit["allowed"] != 5.0 || limit["used"] != 5.0 {
		t.Errorf("POST at the limit: got %d %v, want 409 plan_limit_exceeded with needed 7, allowed 5, used 5", code, p)
	}
	s.stop(t)
}
