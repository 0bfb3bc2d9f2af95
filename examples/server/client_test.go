package main_test

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/httpapi/apiclient"
)

// bearer returns a request editor setting Authorization to the token.
func bearer(token string) apiclient.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// newAPIClient returns a generated client of the server; with a token,
// every request carries it.
func newAPIClient(t *testing.T, s *server, token string) *apiclient.ClientWithResponses {
	t.Helper()
	var opts []apiclient.ClientOption
	if token != "" {
		opts = append(opts, apiclient.WithRequestEditorFn(bearer(token)))
	}
	c, err := apiclient.NewClientWithResponses(s.base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestServerGeneratedClientScenario drives the example server (SQLite,
// -demo) only through the client generated from the OpenAPI document
// (httpapi/apiclient): the public plans, a tenant made, read and listed,
// an atom installed, a user made who logs in and refreshes, usage
// ingested and read, the invoices listed, and problems read as the
// Problem type.
func TestServerGeneratedClientScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	const key = "client-scenario-key"
	dir := t.TempDir()
	s := start(t, bin, dir, adminEnv("ATOMIX_API_KEY="+key), "-dsn", "sqlite:"+filepath.Join(dir, "atomix.db"), "-demo")
	ctx := context.Background()
	public := newAPIClient(t, s, "")
	platform := newAPIClient(t, s, key)

	// The public plans: seed 000's, with exact amounts.
	plans, err := public.ListPublicPlansWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if plans.StatusCode() != http.StatusOK || plans.JSON200 == nil {
		t.Fatalf("ListPublicPlans: got %d %s, want 200", plans.StatusCode(), plans.Body)
	}
	amounts := map[string]int64{}
	for _, p := range plans.JSON200.Data {
		amounts[p.Id] = p.Amount.Amount
	}
	for id, want := range map[string]int64{"plan_starter": 4900, "plan_professional": 14900} {
		if got := amounts[id]; got != want {
			t.Errorf("ListPublicPlans %s amount: got %d, want %d", id, got, want)
		}
	}

	// Without credentials, a 401 problem.
	denied, err := public.ListTenantsWithResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := denied.ApplicationproblemJSON401; p == nil || p.Code != "unauthenticated" || p.Status != http.StatusUnauthorized {
		t.Errorf("ListTenants without credentials: got %d %s, want a 401 problem unauthenticated", denied.StatusCode(), denied.Body)
	}

	// A tenant on a plan (seed 000's body, with the admin's password).
	adminPassword := "tenant admin password"
	created, err := platform.CreateTenantWithResponse(ctx, apiclient.CreateTenantRequest{
		Name:         "Acme Corporation",
		Subdomain:    "acme",
		PlanId:       optional("plan_professional"),
		Contact:      apiclient.Contact{Name: "John Doe", Email: "john@acme.com", Phone: optional("+905321234567")},
		InitialAtoms: &[]string{"atom_wireframe", "atom_task"},
		Settings:     &apiclient.Settings{Industry: optional("technology"), CompanySize: optional("51-200")},
		Password:     &adminPassword,
	})
	if err != nil {
		t.Fatal(err)
	}
	tn := created.JSON201
	if tn == nil {
		t.Fatalf("CreateTenant: got %d %s, want 201", created.StatusCode(), created.Body)
	}
	if !strings.HasPrefix(tn.Id, "tn_") || tn.Status != apiclient.TenantStatusTrial || orZero(tn.Plan) != "professional" {
		t.Errorf("CreateTenant: got id %q status %q plan %q, want a tn_ ID, trial, professional", tn.Id, tn.Status, orZero(tn.Plan))
	}
	if tn.AdminUser == nil || tn.AdminUser.Email != "john@acme.com" {
		t.Errorf("CreateTenant adminUser: got %+v, want john@acme.com", tn.AdminUser)
	}

	got, err := platform.GetTenantWithResponse(ctx, tn.Id)
	if err != nil {
		t.Fatal(err)
	}
	if got.JSON200 == nil || got.JSON200.Subdomain != "acme" || got.JSON200.Name != "Acme Corporation" {
		t.Errorf("GetTenant: got %d %s, want acme, Acme Corporation", got.StatusCode(), got.Body)
	}
	q, limit := "acme", apiclient.Limit(1)
	list, err := platform.ListTenantsWithResponse(ctx, &apiclient.ListTenantsParams{Q: &q, Limit: &limit})
	if err != nil {
		t.Fatal(err)
	}
	if list.JSON200 == nil || len(list.JSON200.Data) != 1 || list.JSON200.Data[0].Id != tn.Id || list.JSON200.Pagination.Total != 1 {
		t.Errorf("ListTenants q=acme: got %d %s, want the one tenant %s", list.StatusCode(), list.Body, tn.Id)
	}

	// An atom installed: atom_crm (seed 000's body), listed with the
	// initial atoms and their dependency.
	inst, err := platform.InstallAtomWithResponse(ctx, tn.Id, apiclient.InstallAtomRequest{
		AtomId: "atom_crm",
		Config: &map[string]any{"enablePipeline": true, "defaultCurrency": "TRY"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if inst.JSON201 == nil || inst.JSON201.AtomId != "atom_crm" || inst.JSON201.Version != "1.5.0" || inst.JSON201.Mode != apiclient.AtomChangeModeExplicit {
		t.Fatalf("InstallAtom atom_crm: got %d %s, want 201 with atom_crm 1.5.0 explicit", inst.StatusCode(), inst.Body)
	}
	atoms, err := platform.ListTenantAtomsWithResponse(ctx, tn.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if atoms.JSON200 == nil {
		t.Fatalf("ListTenantAtoms: got %d %s, want 200", atoms.StatusCode(), atoms.Body)
	}
	var installed []string
	for _, i := range atoms.JSON200.Data {
		installed = append(installed, i.AtomId)
	}
	slices.Sort(installed)
	if want := []string{"atom_crm", "atom_notification", "atom_task", "atom_wireframe"}; !slices.Equal(installed, want) {
		t.Errorf("ListTenantAtoms: got %v, want %v", installed, want)
	}

	// A user of the tenant, who logs in and refreshes.
	const userPassword = "member password 1"
	user, err := platform.CreateUserWithResponse(ctx, tn.Id, apiclient.CreateUserRequest{
		Name: "Jane Roe", Email: "jane@acme.com", Role: apiclient.CreateUserRequestRoleTenantMember,
		Permissions: &[]apiclient.Permission{"wireframe:view", "task:view"},
		Password:    optional(userPassword),
	})
	if err != nil {
		t.Fatal(err)
	}
	if user.JSON201 == nil || user.JSON201.TenantId != tn.Id || user.JSON201.Role != apiclient.UserRoleTenantMember {
		t.Fatalf("CreateUser: got %d %s, want 201, a tenant_member of %s", user.StatusCode(), user.Body, tn.Id)
	}
	login, err := public.LoginWithResponse(ctx, apiclient.LoginRequest{Email: "jane@acme.com", Password: userPassword, TenantId: &tn.Id})
	if err != nil {
		t.Fatal(err)
	}
	if login.JSON200 == nil || login.JSON200.User.Id != user.JSON201.Id || login.JSON200.AccessToken == "" {
		t.Fatalf("Login: got %d %s, want 200 for %s", login.StatusCode(), login.Body, user.JSON201.Id)
	}
	refreshed, err := public.RefreshTokensWithResponse(ctx, apiclient.RefreshRequest{RefreshToken: login.JSON200.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if refreshed.JSON200 == nil || refreshed.JSON200.RefreshToken == login.JSON200.RefreshToken || refreshed.JSON200.User.Id != user.JSON201.Id {
		t.Fatalf("RefreshTokens: got %d %s, want 200 with a new refresh token for %s", refreshed.StatusCode(), refreshed.Body, user.JSON201.Id)
	}
	// The old refresh token is spent.
	again, err := public.RefreshTokensWithResponse(ctx, apiclient.RefreshRequest{RefreshToken: login.JSON200.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if again.ApplicationproblemJSON401 == nil {
		t.Errorf("RefreshTokens with the spent token: got %d %s, want a 401 problem", again.StatusCode(), again.Body)
	}
	// The member reads its tenant with the new access token.
	member := newAPIClient(t, s, refreshed.JSON200.AccessToken)
	own, err := member.GetTenantWithResponse(ctx, tn.Id)
	if err != nil {
		t.Fatal(err)
	}
	if own.JSON200 == nil || own.JSON200.Id != tn.Id {
		t.Errorf("GetTenant as the member: got %d %s, want 200 for %s", own.StatusCode(), own.Body, tn.Id)
	}

	// A usage batch, then the tenant's usage.
	at := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	batch := apiclient.UsageBatchRequest{Records: []apiclient.UsageRecord{
		{TenantId: tn.Id, Metric: "api_calls", Quantity: 1200, IdempotencyKey: "evt-1", Timestamp: at},
		{TenantId: tn.Id, Metric: "api_calls", Quantity: 34, IdempotencyKey: "evt-2", Timestamp: at},
	}}
	ingested, err := platform.IngestUsageWithResponse(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if r := ingested.JSON200; r == nil || r.Accepted != 2 || r.Duplicates != 0 || r.Rejected != 0 {
		t.Fatalf("IngestUsage: got %d %s, want 200 with 2 accepted", ingested.StatusCode(), ingested.Body)
	}
	replayed, err := platform.IngestUsageWithResponse(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if r := replayed.JSON200; r == nil || r.Accepted != 0 || r.Duplicates != 2 {
		t.Errorf("IngestUsage again: got %d %s, want 200 with 2 duplicates", replayed.StatusCode(), replayed.Body)
	}
	usage, err := platform.GetTenantUsageWithResponse(ctx, tn.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if usage.JSON200 == nil {
		t.Fatalf("GetTenantUsage: got %d %s, want 200", usage.StatusCode(), usage.Body)
	}
	if got := usage.JSON200.Usage["api_calls"].Used; got != 1234 {
		t.Errorf("GetTenantUsage api_calls used: got %d, want 1234", got)
	}
	if got := usage.JSON200.Usage["users"].Used; got != 2 {
		t.Errorf("GetTenantUsage users used: got %d, want 2 (the admin and the member)", got)
	}

	// The invoices: none before a billing run.
	tenantID := tn.Id
	invoices, err := platform.ListInvoicesWithResponse(ctx, &apiclient.ListInvoicesParams{TenantId: &tenantID})
	if err != nil {
		t.Fatal(err)
	}
	if invoices.JSON200 == nil || len(invoices.JSON200.Data) != 0 || invoices.JSON200.Pagination.Total != 0 {
		t.Errorf("ListInvoices: got %d %s, want 200 and none", invoices.StatusCode(), invoices.Body)
	}

	// Problems, read as the Problem type: 404 and 422.
	missing, err := platform.GetTenantWithResponse(ctx, "tn_doesnotexist")
	if err != nil {
		t.Fatal(err)
	}
	if p := missing.ApplicationproblemJSON404; p == nil || p.Status != http.StatusNotFound || p.Code != "not_found" {
		t.Errorf("GetTenant of a missing tenant: got %d %s, want a 404 problem not_found", missing.StatusCode(), missing.Body)
	}
	if ct := missing.HTTPResponse.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("GetTenant of a missing tenant: got Content-Type %q, want application/problem+json", ct)
	}
	bad, err := platform.CreateTenantWithResponse(ctx, apiclient.CreateTenantRequest{
		Name: "Bad", Subdomain: "Not A Label", Contact: apiclient.Contact{Name: "Bad", Email: "bad@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := bad.ApplicationproblemJSON422
	if p == nil || p.Status != http.StatusUnprocessableEntity || p.Code != "invalid" {
		t.Fatalf("CreateTenant with a bad subdomain: got %d %s, want a 422 problem invalid", bad.StatusCode(), bad.Body)
	}
	var fields []string
	if p.Errors != nil {
		for _, fe := range *p.Errors {
			fields = append(fields, fe.Field)
		}
	}
	if !slices.Contains(fields, "subdomain") {
		t.Errorf("CreateTenant with a bad subdomain: got errors on %v, want one on subdomain", fields)
	}
	s.stop(t)
}

// optional returns a pointer to v, for the client's optional fields.
func optional[T any](v T) *T { return &v }

// orZero returns *p, or the zero value for nil.
func orZero[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
