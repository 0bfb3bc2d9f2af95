package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/atomixplatform/atomix/tenant"
)

// The isolation matrix: every mounted endpoint against every kind of actor,
// with the status each must get. An endpoint mounted without a row fails
// the test.

// The kinds of actor, in the order of a row's statuses. "In" acts inside
// the actor's scope, "Out" on a record outside it.
const (
	actAPIKey     = iota // the platform API key
	actSuperAdmin        // a super_admin user
	actDistIn            // distributor D1's admin, on a tenant of D1's partner P1
	actDistOut           // D1's admin, on tenant B of distributor D2's partner P3
	actPartnerIn         // partner P1's admin, on a tenant of P1
	actPartnerOut        // P1's admin, on tenant B
	actAdminIn           // tenant A's admin, on A
	actAdminOut          // A's admin, on B
	actMemberIn          // a member of A, on A
	actMemberOut         // a member of A, on B
	actOwnIn             // a member of A holding only "task:edit_own", on A
	numActors
)

var actorNames = [numActors]string{"api key", "super admin", "distributor in", "distributor out",
	"partner in", "partner out", "tenant admin in", "tenant admin out", "member in", "member out", "own member in"}

// world is the chain the matrix runs on: distributors D1 and D2, partners
// P1 and P2 under D1 and P3 under D2; tenant A owned by P1, B by P3.
type world struct {
	e            *authEnv
	d1, d2       string
	p1, p2, p3   string
	a, b         string
	adminA       string // A's admin user
	creds        [numActors]struct{ email, tenant string }
	tokens       [numActors]string
	n            int
	fresh        func(t *testing.T, ownerID string) string // a new tenant
	freshUser    func(t *testing.T, tenantID string) string
	freshDist    func(t *testing.T) string
	freshPartner func(t *testing.T) string
	// Billing: bare makes a tenant without a plan (nor subscription);
	// month is the billing run's month whose draft invoices the world
	// holds: invA and invB of A and B, and a pool of the platform's
	// own to move (drafts to finalize or void, open ones to pay or mark
	// uncollectible).
	bare       func(ownerID string) string
	month      string
	invA, invB string
	drafts     []string
	opens      []string
	// Commissions: D1 and D2 on distPlan (10%), P1 and P3 on prtPlan
	// (15%) from the current month; the run of month filed P1's
	// statement stmtIn and P3's stmtOut, and D1's and D2's, the pool the
	// platform closes.
	distPlan, prtPlan string
	stmtIn, stmtOut   string
	stmtPool          []string
}

func (w *world) uniq(prefix string) string {
	w.n++
	return fmt.Sprintf("%s%d", prefix, w.n)
}

func newWorld(t *testing.T, st store.Store) *world {
	t.Helper()
	e := newAuthEnv(t, identity.EdDSA, st)
	publishDemo(t, e.p)
	ctx := atomix.AsSystem(context.Background())
	w := &world{e: e}
	rs := e.p.Resellers()
	mk := func(kind, dist string) string {
		in := reseller.Input{
			Name:          w.uniq("Reseller") + " Co",
			Contact:       tenant.Contact{Name: "Mia Wong", Email: "mia@example.com"},
			Address:       reseller.Address{Line1: "100 George St", Postcode: "2000", City: "Sydney", Country: "AU"},
			DistributorID: dist,
		}
		var r reseller.Reseller
		var err error
		if kind == "dist" {
			r, err = rs.CreateDistributor(ctx, in)
		} else {
			r, err = rs.CreatePartner(ctx, in)
		}
		if err != nil {
			t.Fatalf("creating a reseller: %v", err)
		}
		return r.ID
	}
	w.d1, w.d2 = mk("dist", ""), mk("dist", "")
	w.p1, w.p2, w.p3 = mk("prt", w.d1), mk("prt", w.d1), mk("prt", w.d2)
	w.freshDist = func(t *testing.T) string { return mk("dist", "") }
	w.freshPartner = func(t *testing.T) string { return mk("prt", w.d1) }
	w.fresh = func(t *testing.T, ownerID string) string {
		sub := w.uniq("fresh")
		out, err := e.p.CreateTenant(ctx, atomix.CreateTenantInput{
			Name: "Tenant " + sub, Subdomain: sub, OwnerID: ownerID, InitialAtoms: []string{"atom_task"},
			Contact: tenant.Contact{Name: "Jo Fresh", Email: "jo@" + sub + ".example.com"}, PlanID: "plan_enterprise",
		})
		if err != nil {
			t.Fatalf("creating a tenant: %v", err)
		}
		return out.Tenant.ID
	}
	w.bare = func(ownerID string) string {
		sub := w.uniq("bare")
		out, err := e.p.CreateTenant(ctx, atomix.CreateTenantInput{
			Name: "Tenant " + sub, Subdomain: sub, OwnerID: ownerID,
			Contact: tenant.Contact{Name: "Jo Bare", Email: "jo@" + sub + ".example.com"},
		})
		if err != nil { // a body function has no *testing.T
			panic(fmt.Sprintf("creating a tenant: %v", err))
		}
		return out.Tenant.ID
	}
	users := e.p.Identity()
	w.freshUser = func(t *testing.T, tenantID string) string {
		u, err := users.CreateUser(ctx, identity.CreateUserInput{TenantID: tenantID, Name: "Fresh User",
			Email: w.uniq("user") + "@example.com", Role: identity.RoleTenantMember})
		if err != nil {
			t.Fatalf("creating a user: %v", err)
		}
		return u.ID
	}
	createA := func(sub, owner string) (string, string) {
		out, err := e.p.CreateTenant(ctx, atomix.CreateTenantInput{
			Name: "Tenant " + sub, Subdomain: sub, OwnerID: owner, InitialAtoms: []string{"atom_task"},
			Contact: tenant.Contact{Name: "Jane Roe", Email: "jane@" + sub + ".example.com"}, Password: testPassword,
			PlanID: "plan_enterprise",
		})
		if err != nil {
			t.Fatalf("creating tenant %s: %v", sub, err)
		}
		return out.Tenant.ID, out.AdminUser.ID
	}
	w.a, w.adminA = createA("alpha", w.p1)
	w.b, _ = createA("bravo", w.p3)
	w.commissionPlans(t)
	w.billInvoices(t)
	w.runCommissions(t)
	user := func(email, tenantID string, sc identity.Scope, role identity.Role, perms ...string) {
		if _, err := users.CreateUser(ctx, identity.CreateUserInput{TenantID: tenantID, Scope: sc, Name: "Some One",
			Email: email, Role: role, Password: testPassword, Permissions: perms}); err != nil {
			t.Fatalf("creating user %s: %v", email, err)
		}
	}
	user("dist@d1.example.com", "", identity.Scope{Kind: identity.ScopeDistributor, ID: w.d1}, identity.RoleDistributorAdmin)
	user("partner@p1.example.com", "", identity.Scope{Kind: identity.ScopePartner, ID: w.p1}, identity.RolePartnerAdmin)
	user("member@alpha.example.com", w.a, identity.Scope{}, identity.RoleTenantMember)
	user("own@alpha.example.com", w.a, identity.Scope{}, identity.RoleTenantMember, "task:edit_own")
	set := func(k int, email, tenantID string) { w.creds[k].email, w.creds[k].tenant = email, tenantID }
	set(actSuperAdmin, rootEmail, "")
	set(actDistIn, "dist@d1.example.com", "")
	set(actDistOut, "dist@d1.example.com", "")
	set(actPartnerIn, "partner@p1.example.com", "")
	set(actPartnerOut, "partner@p1.example.com", "")
	set(actAdminIn, "jane@alpha.example.com", w.a)
	set(actAdminOut, "jane@alpha.example.com", w.a)
	set(actMemberIn, "member@alpha.example.com", w.a)
	set(actMemberOut, "member@alpha.example.com", w.a)
	set(actOwnIn, "own@alpha.example.com", w.a)
	for k := range numActors {
		if k != actAPIKey {
			w.tokens[k] = w.login(t, k)
		}
	}
	return w
}

// billInvoices makes the world's invoices: it subscribes a pool of
// tenants, moves the clock past their first period's month and its usage
// grace, and runs billing for that month as drafts. It runs before any
// login: the move outdates access tokens.
func (w *world) billInvoices(t *testing.T) {
	t.Helper()
	ctx := atomix.AsSystem(context.Background())
	pool := make([]string, 8)
	for i := range pool {
		pool[i] = w.fresh(t, w.p1)
	}
	now := w.e.clock.now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	end := billing.Cycle{Interval: billing.Monthly, Anchor: day}.Boundary(1) // the first period's end
	last := end.AddDate(0, 0, -1)
	w.month = last.Format("2006-01")
	next := time.Date(last.Year(), last.Month()+1, 1, 2, 0, 0, 0, time.UTC)
	w.e.clock.advance(next.Sub(now))
	run, err := w.e.p.RunBilling(ctx, w.month, true)
	if err != nil || run.Created != len(pool)+2 {
		t.Fatalf("the world's billing run: got %+v, %v; want %d invoices", run, err, len(pool)+2)
	}
	inv := func(tenantID string) string {
		pg, err := w.e.p.ListInvoices(ctx, atomix.InvoiceQuery{TenantID: tenantID})
		if err != nil || len(pg.Items) != 1 {
			t.Fatalf("the invoices of %s: got %d, %v; want one", tenantID, len(pg.Items), err)
		}
		return pg.Items[0].ID
	}
	w.invA, w.invB = inv(w.a), inv(w.b)
	for i, id := range pool {
		if i%2 == 0 {
			w.drafts = append(w.drafts, inv(id))
			continue
		}
		open, err := w.e.p.SetInvoiceStatus(ctx, inv(id), billing.InvoiceOpen)
		if err != nil {
			t.Fatalf("finalizing: %v", err)
		}
		w.opens = append(w.opens, open.ID)
	}
}

// commissionPlans puts D1 and D2 on a 10% plan, P1 and P3 on a 15% one,
// from the current month.
func (w *world) commissionPlans(t *testing.T) {
	t.Helper()
	ctx := atomix.AsSystem(context.Background())
	month := commission.MonthOf(w.e.clock.now())
	mk := func(level commission.Level, bp int, resellers ...string) string {
		pl, err := w.e.p.CreateCommissionPlan(ctx, commission.Plan{Name: string(level), Level: level,
			Versions: []commission.Version{{Month: month, RateBP: bp}}})
		if err != nil {
			t.Fatalf("creating a commission plan: %v", err)
		}
		for _, r := range resellers {
			if _, err := w.e.p.AssignCommissionPlan(ctx, r, pl.ID); err != nil {
				t.Fatalf("assigning a commission plan: %v", err)
			}
		}
		return pl.ID
	}
	w.distPlan = mk(commission.LevelDistributor, 1000, w.d1, w.d2)
	w.prtPlan = mk(commission.LevelPartner, 1500, w.p1, w.p3)
}

// runCommissions finalizes A's and B's invoices and runs the month's
// commissions: statements for P1, D1, P3 and D2.
func (w *world) runCommissions(t *testing.T) {
	t.Helper()
	ctx := atomix.AsSystem(context.Background())
	for _, id := range []string{w.invA, w.invB} {
		if _, err := w.e.p.SetInvoiceStatus(ctx, id, billing.InvoiceOpen); err != nil {
			t.Fatalf("finalizing: %v", err)
		}
	}
	if _, err := w.e.p.CalculateCommissions(ctx, w.month); err != nil {
		t.Fatalf("the world's commission run: %v", err)
	}
	of := func(resellerID string) string {
		pg, err := w.e.p.ListStatements(ctx, atomix.StatementQuery{ResellerID: resellerID, Month: w.month})
		if err != nil || len(pg.Items) != 1 {
			t.Fatalf("the statements of %s: got %d, %v; want one", resellerID, len(pg.Items), err)
		}
		return pg.Items[0].ID
	}
	w.stmtIn, w.stmtOut = of(w.p1), of(w.p3)
	w.stmtPool = []string{of(w.d1), of(w.d2)}
}

// statementFor returns the statement actor k acts on at the path: P3's
// outside the actor's scope, P1's inside; a draft of the pool for the
// platform closing one.
func (w *world) statementFor(t *testing.T, k int, path string) string {
	switch {
	case out(k):
		return w.stmtOut
	case (k == actAPIKey || k == actSuperAdmin) && strings.HasSuffix(path, "/close"):
		if len(w.stmtPool) == 0 {
			t.Fatalf("%s: the world's statement pool is empty", path)
		}
		id := w.stmtPool[0]
		w.stmtPool = w.stmtPool[1:]
		return id
	}
	return w.stmtIn
}

// freshCommissionPlan returns a new partner-level commission plan's ID,
// with a version from the current month.
func (w *world) freshCommissionPlan(t *testing.T) string {
	pl, err := w.e.p.CreateCommissionPlan(atomix.AsSystem(context.Background()), commission.Plan{Name: w.uniq("Isolation "),
		Level: commission.LevelPartner, Versions: []commission.Version{{Month: commission.MonthOf(w.e.clock.now()), RateBP: 500}}})
	if err != nil {
		t.Fatalf("creating a commission plan: %v", err)
	}
	return pl.ID
}

// invoiceFor returns the invoice actor k acts on at the path: for the
// platform, one of the pool in the state the path moves from; A's inside
// the others' scopes; B's outside.
func (w *world) invoiceFor(t *testing.T, k int, path string) string {
	switch {
	case out(k):
		return w.invB
	case k != actAPIKey && k != actSuperAdmin:
		return w.invA
	}
	var pool *[]string
	switch {
	case strings.HasSuffix(path, "/finalize"), strings.HasSuffix(path, "/void"):
		pool = &w.drafts
	case strings.HasSuffix(path, "/pay"), strings.HasSuffix(path, "/mark-uncollectible"):
		pool = &w.opens
	default:
		return w.invA
	}
	if len(*pool) == 0 {
		t.Fatalf("%s: the world's invoice pool is empty", path)
	}
	id := (*pool)[0]
	*pool = (*pool)[1:]
	return id
}

// freshPlan returns a new plan's ID.
func (w *world) freshPlan(t *testing.T) string {
	pl := testPlans()[0]
	pl.ID, pl.Name = w.uniq("plan_iso_"), "Isolation"
	if _, err := w.e.p.CreatePlan(atomix.AsSystem(context.Background()), pl); err != nil {
		t.Fatalf("creating a plan: %v", err)
	}
	return pl.ID
}

// login returns a new bearer header of actor k.
func (w *world) login(t *testing.T, k int) string {
	t.Helper()
	if k == actAPIKey {
		return ""
	}
	c := w.creds[k]
	return bearer(w.e.login(t, c.email, testPassword, c.tenant).tokens(t).AccessToken)
}

// out reports whether actor k acts outside its scope.
func out(k int) bool {
	switch k {
	case actDistOut, actPartnerOut, actAdminOut, actMemberOut:
		return true
	}
	return false
}

// tenantFor returns the tenant actor k acts on: a new tenant of P1 for the
// platform and the resellers acting inside their scope, A for A's users,
// B outside.
func (w *world) tenantFor(t *testing.T, k int) string {
	switch {
	case out(k):
		return w.b
	case k == actAdminIn || k == actMemberIn || k == actOwnIn:
		return w.a
	}
	return w.fresh(t, w.p1)
}

func (w *world) distributorFor(t *testing.T, k int) string {
	switch {
	case out(k):
		return w.d2
	case k == actAPIKey || k == actSuperAdmin:
		return w.freshDist(t)
	}
	return w.d1
}

func (w *world) partnerFor(t *testing.T, k int) string {
	switch {
	case out(k):
		return w.p3
	case k == actAPIKey || k == actSuperAdmin:
		return w.freshPartner(t)
	}
	return w.p1
}

// matrixRow is one endpoint and the status each kind of actor gets.
type matrixRow struct {
	method, pattern string
	body            func(w *world, k int) string
	// want is the status of each kind of actor; a public endpoint lists
	// one status for all in want[0] and sets public.
	want   [numActors]int
	public bool
	// relogin gives each actor a new session first (an endpoint that
	// ends the caller's session).
	relogin bool
}

func fixed(s string) func(*world, int) string { return func(*world, int) string { return s } }

// Statuses, short.
const (
	s200 = http.StatusOK
	s201 = http.StatusCreated
	s204 = http.StatusNoContent
	s401 = http.StatusUnauthorized
	s403 = http.StatusForbidden
	s404 = http.StatusNotFound
	s409 = http.StatusConflict
	s422 = http.StatusUnprocessableEntity
)

func matrix() []matrixRow {
	createTenant := func(w *world, _ int) string {
		sub := w.uniq("new")
		return jsonBody(map[string]any{"name": "New " + sub, "subdomain": sub,
			"contact": map[string]string{"name": "Ann Lee", "email": "ann@" + sub + ".example.com"}})
	}
	createCustomer := func(w *world, _ int) string {
		return jsonBody(map[string]any{"name": w.uniq("Customer "), "nickname": w.uniq("cust"), "addressLine1": "1 Main St",
			"postcode": "2000", "country": "AU", "ownerId": w.p1})
	}
	createReseller := func(dist bool) func(w *world, k int) string {
		return func(w *world, k int) string {
			d := ""
			if !dist {
				d = w.d1
			}
			return resellerBody(w.uniq("Reseller")+" Co", d)
		}
	}
	createRole := func(w *world, k int) string {
		tn := w.a // in the tree of D1 and P1
		if out(k) {
			tn = w.b
		}
		return jsonBody(map[string]any{"tenantId": tn, "name": w.uniq("role_"), "permissions": []string{"tenant:view"}})
	}
	createUser := func(w *world, _ int) string {
		return jsonBody(map[string]any{"name": "New User", "email": w.uniq("new") + "@example.com", "role": "tenant_member"})
	}
	createPlan := func(w *world, _ int) string {
		return jsonBody(map[string]any{"id": w.uniq("plan_new_"), "name": "New", "currency": "USD",
			"prices": []map[string]any{{"interval": "month", "amount": 1000}}})
	}
	createSKU := func(w *world, _ int) string {
		return jsonBody(map[string]any{"code": w.uniq("iso_"), "name": "Isolation", "metric": "iso_calls", "aggregation": "sum",
			"currency": "USD", "model": "per_unit", "unitAmount": "0.01"})
	}
	subscribe := func(w *world, k int) string {
		var tn string
		switch {
		case out(k):
			tn = w.bare(w.p3)
		case k == actAdminIn || k == actMemberIn || k == actOwnIn:
			tn = w.a
		default:
			tn = w.bare(w.p1)
		}
		return jsonBody(map[string]any{"tenantId": tn, "planId": "plan_starter", "billingCycle": "monthly"})
	}
	usage := func(w *world, _ int) string {
		return jsonBody(map[string]any{"records": []map[string]any{{"idempotencyKey": w.uniq("iso-"), "tenantId": w.a,
			"metric": "api_calls", "quantity": 1, "timestamp": w.e.clock.now().UTC().Format(time.RFC3339)}}})
	}
	run := func(w *world, _ int) string { return jsonBody(map[string]any{"period": w.month}) }
	createCommissionPlan := func(w *world, _ int) string {
		return jsonBody(map[string]any{"name": w.uniq("Plan "), "level": "partner",
			"versions": []map[string]any{{"month": commission.MonthOf(w.e.clock.now()), "rateBp": 1000}}})
	}
	addVersion := func(w *world, _ int) string {
		next := w.e.clock.now().UTC().AddDate(0, 1, 0)
		return jsonBody(map[string]any{"month": commission.MonthOf(time.Date(next.Year(), next.Month(), 1, 0, 0, 0, 0, time.UTC)), "rateBp": 700})
	}
	assignDist := func(w *world, _ int) string { return jsonBody(map[string]any{"planId": w.distPlan}) }
	assignPartner := func(w *world, _ int) string { return jsonBody(map[string]any{"planId": w.prtPlan}) }
	move := func(w *world, _ int) string {
		// A move takes effect after the tenant's creation: let time pass.
		w.e.clock.advance(time.Second)
		return jsonBody(map[string]any{"ownerId": w.p2})
	}
	//                                      key   super dIn   dOut  pIn   pOut  aIn   aOut  mIn   mOut  own
	return []matrixRow{
		{"GET", "/tenants", nil, [numActors]int{s200, s200, s200, s200, s200, s200, s200, s200, s200, s200, s200}, false, false},
		{"POST", "/tenants", createTenant, [numActors]int{s201, s201, s201, s201, s201, s201, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/tenants/{tenantId}", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s200, s404, s200}, false, false},
		{"PATCH", "/tenants/{tenantId}", fixed(`{"name":"Renamed"}`), [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s404, s403}, false, false},
		{"DELETE", "/tenants/{tenantId}", nil, [numActors]int{s204, s204, s204, s404, s204, s404, s403, s404, s403, s404, s403}, false, false},
		{"POST", "/tenants/{tenantId}/suspend", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s403, s404, s403, s404, s403}, false, false},
		{"POST", "/tenants/{tenantId}/activate", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s403, s404, s403, s404, s403}, false, false},
		{"POST", "/tenants/{tenantId}/cancel", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s403, s404, s403, s404, s403}, false, false},
		{"GET", "/atoms", nil, [numActors]int{s200, s200, s200, s200, s200, s200, s200, s200, s200, s200, s200}, false, false},
		{"GET", "/atoms/{atomId}", nil, [numActors]int{s200, s200, s200, s200, s200, s200, s200, s200, s200, s200, s200}, false, false},
		{"GET", "/tenants/{tenantId}/atoms", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s200, s404, s200}, false, false},
		{"POST", "/tenants/{tenantId}/atoms", fixed(`{"atomId":"atom_wireframe"}`), [numActors]int{s201, s201, s201, s404, s201, s404, s201, s404, s403, s404, s403}, false, false},
		{"PATCH", "/tenants/{tenantId}/atoms/{atomId}", fixed(`{"config":{}}`), [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s404, s403}, false, false},
		{"DELETE", "/tenants/{tenantId}/atoms/{atomId}", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s404, s403}, false, false},
		{"GET", "/distributors", nil, [numActors]int{s200, s200, s200, s200, s200, s200, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/distributors", createReseller(true), [numActors]int{s201, s201, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/distributors/{distributorId}", nil, [numActors]int{s200, s200, s200, s404, s404, s404, s404, s404, s404, s404, s404}, false, false},
		{"PATCH", "/distributors/{distributorId}", fixed(`{"website":"https://renamed.example.com"}`), [numActors]int{s200, s200, s200, s404, s404, s404, s404, s404, s404, s404, s404}, false, false},
		{"DELETE", "/distributors/{distributorId}", nil, [numActors]int{s204, s204, s403, s404, s404, s404, s404, s404, s404, s404, s404}, false, false},
		{"GET", "/partners", nil, [numActors]int{s200, s200, s200, s200, s200, s200, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/partners", createReseller(false), [numActors]int{s201, s201, s201, s201, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/partners/{partnerId}", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s404, s404, s404, s404, s404}, false, false},
		{"PATCH", "/partners/{partnerId}", fixed(`{"website":"https://renamed.example.com"}`), [numActors]int{s200, s200, s200, s404, s403, s404, s404, s404, s404, s404, s404}, false, false},
		{"DELETE", "/partners/{partnerId}", nil, [numActors]int{s204, s204, s403, s404, s403, s404, s404, s404, s404, s404, s404}, false, false},
		{"POST", "/tenants/{tenantId}/owner", move, [numActors]int{s200, s200, s200, s404, s422, s404, s403, s404, s403, s404, s403}, false, false},
		{"GET", "/tenants/{tenantId}/owners", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s200, s404, s200}, false, false},
		{"GET", "/customers", nil, [numActors]int{s200, s200, s200, s200, s200, s200, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/customers", createCustomer, [numActors]int{s201, s201, s201, s201, s201, s201, s403, s403, s403, s403, s403}, false, false},
		{"DELETE", "/customers/{tenantId}", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s403, s404, s403, s404, s403}, false, false},
		{"POST", "/auth/login", fixed(`{"email":"nobody@example.com","password":"wrong password here"}`), [numActors]int{s401}, true, false},
		{"POST", "/auth/refresh", fixed(`{"refreshToken":"rt_nonsense"}`), [numActors]int{s401}, true, false},
		{"POST", "/auth/password/set", fixed(`{"token":"pst_nonsense","password":"a long new secret"}`), [numActors]int{s401}, true, false},
		{"POST", "/auth/otp/send", fixed(`{"phone":"12"}`), [numActors]int{s422}, true, false},
		{"POST", "/auth/otp/verify", fixed(`{"requestId":"otp_nonsense","code":"000000"}`), [numActors]int{s401}, true, false},
		{"POST", "/auth/federated", fixed(`{"provider":"google","idToken":"x.y.z"}`), [numActors]int{s403}, true, false},
		{"GET", "/.well-known/jwks.json", nil, [numActors]int{s200}, true, false},
		{"GET", "/settings", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"PATCH", "/settings", fixed(`{"branding":{"displayName":"Isolation"}}`), [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/tenants/{tenantId}/settings", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s200, s404, s200}, false, false},
		{"PATCH", "/tenants/{tenantId}/settings", fixed(`{"branding":{"displayName":"Isolation"}}`), [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s404, s403}, false, false},
		{"POST", "/users/{userId}/password", fixed(`{"oldPassword":"not the password","newPassword":"a long new secret"}`), [numActors]int{s422, s422, s404, s404, s404, s404, s404, s404, s404, s404, s404}, false, false},
		{"POST", "/users/{userId}/totp", nil, [numActors]int{s200, s200, s404, s404, s404, s404, s404, s404, s404, s404, s404}, false, false},
		{"POST", "/users/{userId}/totp/verify", fixed(`{"code":"000000"}`), [numActors]int{s404, s404, s404, s404, s404, s404, s404, s404, s404, s404, s404}, false, false},
		{"GET", "/tenants/{tenantId}/users", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s404, s403}, false, false},
		{"POST", "/tenants/{tenantId}/users", createUser, [numActors]int{s201, s201, s201, s404, s201, s404, s201, s404, s403, s404, s403}, false, false},
		{"GET", "/users/{userId}", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s404, s403}, false, false},
		{"PATCH", "/users/{userId}", fixed(`{"name":"Renamed User"}`), [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s404, s403}, false, false},
		{"DELETE", "/users/{userId}", nil, [numActors]int{s204, s204, s204, s404, s204, s404, s204, s404, s403, s404, s403}, false, false},
		{"PATCH", "/users/{userId}/permissions", fixed(`{"permissions":["tenant:view","!user:delete"]}`), [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s404, s403}, false, false},
		{"PUT", "/users/{userId}/role", fixed(`{"role":"tenant_admin"}`), [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s404, s403}, false, false},
		{"GET", "/roles", nil, [numActors]int{s200, s200, s200, s200, s200, s200, s200, s200, s200, s200, s200}, false, false},
		{"POST", "/roles", createRole, [numActors]int{s201, s201, s201, s404, s201, s404, s201, s404, s403, s404, s403}, false, false},
		{"GET", "/audit", nil, [numActors]int{s200, s200, s200, s200, s200, s200, s200, s200, s403, s403, s403}, false, false},
		{"GET", "/swagger.json", nil, [numActors]int{s200}, true, false},
		{"GET", "/swagger", nil, [numActors]int{s200}, true, false},
		{"GET", "/swagger/{file}", nil, [numActors]int{s200}, true, false},
		{"GET", "/billing/plans", nil, [numActors]int{s200}, true, false},
		{"GET", "/plans", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/plans", createPlan, [numActors]int{s201, s201, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/plans/{planId}", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"PUT", "/plans/{planId}", fixed(`{"name":"Renamed","prices":[{"interval":"month","price":"12.50"}]}`), [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"DELETE", "/plans/{planId}", nil, [numActors]int{s204, s204, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/pricing", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/pricing", createSKU, [numActors]int{s201, s201, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/subscriptions", nil, [numActors]int{s200, s200, s200, s200, s200, s200, s200, s200, s403, s403, s403}, false, false},
		{"POST", "/subscriptions", subscribe, [numActors]int{s201, s201, s201, s404, s201, s404, s403, s404, s403, s404, s403}, false, false},
		{"GET", "/tenants/{tenantId}/subscription", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s404, s403}, false, false},
		{"PUT", "/tenants/{tenantId}/subscription", fixed(`{"taxRateBp":1000}`), [numActors]int{s200, s200, s200, s404, s200, s404, s403, s404, s403, s404, s403}, false, false},
		{"POST", "/usage", usage, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/tenants/{tenantId}/usage", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s404, s403}, false, false},
		{"POST", "/billing/runs", run, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/billing/summary", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s403, s403}, false, false},
		{"GET", "/invoices", nil, [numActors]int{s200, s200, s200, s200, s200, s200, s200, s200, s403, s403, s403}, false, false},
		{"GET", "/invoices/{invoiceId}", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s200, s404, s403, s403, s403}, false, false},
		{"POST", "/invoices/{invoiceId}/finalize", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/invoices/{invoiceId}/pay", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/invoices/{invoiceId}/void", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/invoices/{invoiceId}/mark-uncollectible", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/commissions/summary", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/commissions/statements", nil, [numActors]int{s200, s200, s200, s200, s200, s200, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/commissions/statements/{statementId}", nil, [numActors]int{s200, s200, s200, s404, s200, s404, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/commissions/statements/{statementId}/close", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/commissions/reconciliation", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/commissions/runs", run, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/commissions/plans", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/commissions/plans", createCommissionPlan, [numActors]int{s201, s201, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"GET", "/commissions/plans/{planId}", nil, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/commissions/plans/{planId}/versions", addVersion, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"PUT", "/distributors/{distributorId}/commission-plan", assignDist, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"PUT", "/partners/{partnerId}/commission-plan", assignPartner, [numActors]int{s200, s200, s403, s403, s403, s403, s403, s403, s403, s403, s403}, false, false},
		{"POST", "/auth/logout", nil, [numActors]int{s403, s204, s204, s204, s204, s204, s204, s204, s204, s204, s204}, false, true},
	}
}

// TestIsolationMatrix runs the matrix on the memory and SQLite stores.
func TestIsolationMatrix(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"memory", func(*testing.T) store.Store { return memory.New() }},
		{"sqlite", func(t *testing.T) store.Store {
			st, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "atomix.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return st
		}},
	}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			w := newWorld(t, s.open(t))
			rows := matrix()
			listed := map[string]bool{}
			for _, rw := range rows {
				listed[rw.method+" "+rw.pattern] = true
			}
			for _, rt := range httpapi.MountedRoutes(w.e.h) {
				if !listed[rt.Method+" "+rt.Pattern] {
					t.Errorf("%s %s (%s) is mounted without a row in the isolation matrix", rt.Method, rt.Pattern, rt.OperationID)
				}
			}
			for _, rw := range rows {
				for k := range numActors {
					if rw.public && k > 0 {
						break
					}
					w.runCell(t, rw, k)
				}
			}
		})
	}
}

func (w *world) runCell(t *testing.T, rw matrixRow, k int) {
	t.Helper()
	path := rw.pattern
	if strings.Contains(path, "{tenantId}") {
		path = strings.ReplaceAll(path, "{tenantId}", w.tenantFor(t, k))
	}
	if strings.Contains(path, "{userId}") {
		tn := w.a
		if out(k) {
			tn = w.b
		}
		path = strings.ReplaceAll(path, "{userId}", w.freshUser(t, tn))
	}
	if strings.Contains(path, "{distributorId}") {
		path = strings.ReplaceAll(path, "{distributorId}", w.distributorFor(t, k))
	}
	if strings.Contains(path, "{partnerId}") {
		path = strings.ReplaceAll(path, "{partnerId}", w.partnerFor(t, k))
	}
	path = strings.ReplaceAll(path, "{atomId}", "atom_task")
	path = strings.ReplaceAll(path, "{file}", "swagger-ui-bundle.js")
	switch {
	case strings.HasPrefix(path, "/commissions/plans/") && rw.method == "GET":
		path = strings.ReplaceAll(path, "{planId}", w.prtPlan)
	case strings.HasPrefix(path, "/commissions/plans/"):
		path = strings.ReplaceAll(path, "{planId}", w.freshCommissionPlan(t))
	case rw.method == "GET" && strings.Contains(path, "{planId}"):
		path = strings.ReplaceAll(path, "{planId}", "plan_starter")
	case strings.Contains(path, "{planId}"):
		path = strings.ReplaceAll(path, "{planId}", w.freshPlan(t))
	}
	if strings.Contains(path, "{invoiceId}") {
		path = strings.ReplaceAll(path, "{invoiceId}", w.invoiceFor(t, k, path))
	}
	if strings.Contains(path, "{statementId}") {
		path = strings.ReplaceAll(path, "{statementId}", w.statementFor(t, k, path))
	}
	switch path {
	case "/commissions/summary":
		p := w.p1
		if out(k) {
			p = w.p3
		}
		path += "?period=" + w.month + "&partnerId=" + p
	case "/commissions/reconciliation":
		path += "?period=" + w.month
	}
	if path == "/billing/summary" {
		tn := w.a
		if out(k) {
			tn = w.b
		}
		path += "?period=" + w.month + "&tenantId=" + tn
	}
	auth := w.tokens[k]
	if rw.relogin {
		auth = w.login(t, k)
	}
	if rw.public {
		auth = "-"
	}
	body := ""
	if rw.body != nil {
		body = rw.body(w, k)
	}
	res := w.e.do(t, req{method: rw.method, path: path, body: body, auth: auth})
	if res.status != rw.want[k] {
		who := actorNames[k]
		if rw.public {
			who = "anyone"
		}
		t.Errorf("%s %s as %s: got %d (%s), want %d", rw.method, rw.pattern, who, res.status, res.body, rw.want[k])
	}
	if rw.want[k] == s403 && res.status == s403 {
		if c := res.problem(t).Code; c != string(core.Forbidden) {
			t.Errorf("%s %s as %s: got code %q, want forbidden", rw.method, rw.pattern, actorNames[k], c)
		}
	}
}

// TestTenantAdminMustShow is the must-show over HTTP: a tenant
// admin's token lists only its tenant, gets 404 for another tenant's
// record, users and atoms, cannot grant a permission of an atom its tenant
// lacks (422 naming it), and reads the audit log of its tenant only.
func TestTenantAdminMustShow(t *testing.T) {
	w := newWorld(t, memory.New())
	admin := w.tokens[actAdminIn]
	res := w.e.do(t, req{method: "GET", path: "/tenants", auth: admin})
	res.wantStatus(t, s200)
	if l := res.list(t); len(l.Data) != 1 || l.Data[0].ID != w.a {
		t.Errorf("GET /tenants: got %d tenants, want A only", len(l.Data))
	}
	member := w.freshUser(t, w.a)
	for _, rq := range []req{
		{method: "GET", path: "/tenants/" + w.b},
		{method: "PATCH", path: "/tenants/" + w.b, body: `{"name":"Mine now"}`},
		{method: "DELETE", path: "/tenants/" + w.b},
		{method: "GET", path: "/tenants/" + w.b + "/users"},
		{method: "GET", path: "/tenants/" + w.b + "/atoms"},
		{method: "DELETE", path: "/tenants/" + w.b + "/atoms/atom_task"},
		{method: "GET", path: "/audit?tenantId=" + w.b},
	} {
		rq.auth = admin
		if got := w.e.do(t, rq); got.status != s404 {
			t.Errorf("%s %s: got %d, want 404", rq.method, rq.path, got.status)
		}
	}
	res = w.e.do(t, req{method: "PATCH", path: "/users/" + member + "/permissions", auth: admin,
		body: `{"permissions":["task:view","crm:view"]}`})
	res.wantStatus(t, s422)
	if p := res.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "permissions" || !strings.Contains(p.Errors[0].Message, `"crm:view"`) {
		t.Errorf("granting crm:view: got %+v, want the permissions field naming crm:view", p.Errors)
	}
	res = w.e.do(t, req{method: "GET", path: "/audit", auth: admin})
	res.wantStatus(t, s200)
	var log struct {
		Data []struct {
			TenantID string `json:"tenantId"`
			Action   string `json:"action"`
			Outcome  string `json:"outcome"`
		} `json:"data"`
	}
	if err := json.Unmarshal(res.body, &log); err != nil {
		t.Fatal(err)
	}
	denied := false
	for _, e := range log.Data {
		if e.TenantID != w.a {
			t.Errorf("GET /audit as A's admin: got an entry of %q (%s)", e.TenantID, e.Action)
		}
		denied = denied || (e.Action == "user.permissions" && e.Outcome == "failed")
	}
	if !denied {
		t.Errorf("GET /audit as A's admin: got %d entries without the refused grant, want it", len(log.Data))
	}
}
