package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// Goroutine counts of the commission concurrency tests.
const (
	raceOpeners   = 10 // OpenStatement calls for one key
	raceInserters = 8  // batches of overlapping entries
)

// RunCommission checks the commission.Store part of a store: plans
// round-trip exactly, are unique and update through their updaters
// (keeping ID, level and creation time); assignments replace each other
// and name existing plans; a statement is opened once per reseller, month
// and currency, computes a draft's totals from its entries, and freezes
// them when it closes, after which it takes no entry; entries are stored
// once per key and listed by filter in keyset pages; a rolled-back
// transaction leaves nothing; concurrent openers share one statement,
// concurrent inserters store each key once, and a close racing inserts
// freezes exactly the entries its statement holds.
func RunCommission(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"PlanRoundTrip", testCommissionPlanRoundTrip},
		{"PlanDuplicate", testCommissionPlanDuplicate},
		{"PlanNotFound", testCommissionPlanNotFound},
		{"PlanUpdate", testCommissionPlanUpdate},
		{"PlanUpdateRules", testCommissionPlanUpdateRules},
		{"PlanListOrder", testCommissionPlanList},
		{"Assignments", testAssignments},
		{"AssignmentUnknownPlan", testAssignmentUnknownPlan},
		{"StatementOpenTwice", testStatementOpenTwice},
		{"StatementOpenInvalid", testStatementOpenInvalid},
		{"StatementCloseFreezes", testStatementCloseFreezes},
		{"StatementClosedStaysClosed", testStatementClosedStaysClosed},
		{"StatementNotFound", testStatementNotFound},
		{"StatementList", testStatementList},
		{"EntryRoundTrip", testEntryRoundTrip},
		{"EntryDuplicates", testEntryDuplicates},
		{"EntryRules", testEntryRules},
		{"EntryListFilters", testEntryListFilters},
		{"EntryListKeyset", testEntryListKeyset},
		{"EntryListInvalid", testEntryListInvalid},
		{"TxRollback", testCommissionRollback},
		{"TxSeesOwnWrites", testCommissionTxOwnWrites},
		{"ConcurrentOpenStatement", testConcurrentOpenStatement},
		{"ConcurrentInsertEntries", testConcurrentInsertEntries},
		{"ConcurrentCloseAndInsert", testConcurrentCloseAndInsert},
		{"ConcurrentPlanUpdates", testConcurrentCommissionPlanUpdates},
	})
}

// commissionOpts compare a Currency by its code.
var commissionOpts = cmp.Options{cmp.Comparer(func(a, b money.Currency) bool { return a == b })}

// commissionPlan returns a complete plan with the ID, created at(n): two
// versions, the second with every field set.
func commissionPlan(id string, n int) commission.Plan {
	upTo := int64(1_000_000)
	return commission.Plan{
		ID: id, Name: "Plan " + id, Level: commission.LevelDistributor,
		Versions: []commission.Version{
			{Month: "2024-01", RateBP: 1000},
			{
				Month: "2024-03", RateBP: 1200,
				SKURates: map[string]int{"api_calls": 500}, PlanRates: map[string]int{"plan_pro": 1500},
				ExcludedSKUs: []string{"sms"},
				Tiers:        []commission.Tier{{UpTo: &upTo, RateBP: 1000}, {RateBP: 2000}},
				TierMode:     commission.Graduated, TierCurrency: money.USD, ClawbackUncollectible: true,
			},
		},
		CreatedAt: at(n), UpdatedAt: at(n),
	}
}

func createCommissionPlans(t *testing.T, s commission.Store, ps ...commission.Plan) {
	t.Helper()
	for _, p := range ps {
		if err := s.CreateCommissionPlan(t.Context(), p); err != nil {
			t.Fatalf("CreateCommissionPlan(%s): got error %v, want nil", p.ID, err)
		}
	}
}

func wantCommissionPlan(t *testing.T, s commission.Store, want commission.Plan) {
	t.Helper()
	got, err := s.GetCommissionPlan(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("GetCommissionPlan(%s): got error %v, want nil", want.ID, err)
	}
	if d := cmp.Diff(want, got, commissionOpts); d != "" {
		t.Errorf("GetCommissionPlan(%s) mismatch (-want +got):\n%s", want.ID, d)
	}
}

const stMonth = "2024-03"

// openStatement opens the reseller's USD statement of stMonth.
func openStatement(t *testing.T, s commission.Store, resellerID string) commission.Statement {
	t.Helper()
	st, err := s.OpenStatement(t.Context(), resellerID, stMonth, money.USD, at(10))
	if err != nil {
		t.Fatalf("OpenStatement(%s): got error %v, want nil", resellerID, err)
	}
	return st
}

// entry returns a complete earned entry of the distributor in the
// statement, for line n of the tenant's invoice.
func entry(tenantID, invoiceID string, line int, statementID string, amount int64) commission.Entry {
	return commission.Entry{
		TenantID: tenantID, InvoiceID: invoiceID, Line: line, ResellerID: "dist_st", Party: commission.PartyDistributor,
		Kind: commission.Earned, StatementID: statementID, Month: stMonth, InvoiceMonth: stMonth, Currency: money.USD,
		LineKind: billing.LineUsage, SKU: "api_calls", BillingPlan: "plan_pro", NetAmount: amount * 10, RateBP: 1000,
		Detail: "1,000 at 10%", Amount: amount, PlanID: "cpl_st", VersionMonth: "2024-01", CreatedAt: at(20),
	}
}

// platformEntry returns the platform's share of the same line.
func platformEntry(tenantID, invoiceID string, line int, amount int64) commission.Entry {
	return commission.Entry{
		TenantID: tenantID, InvoiceID: invoiceID, Line: line, Party: commission.PartyPlatform, Kind: commission.Earned,
		Month: stMonth, InvoiceMonth: stMonth, Currency: money.USD, LineKind: billing.LineSubscription,
		BillingPlan: "plan_pro", NetAmount: amount, Amount: amount, CreatedAt: at(20),
	}
}

func insertEntries(t *testing.T, s commission.Store, entries []commission.Entry, want []bool) {
	t.Helper()
	got, err := s.InsertEntries(t.Context(), entries)
	if err != nil {
		t.Fatalf("InsertEntries: got error %v, want nil", err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("InsertEntries results: got %v, want %v", got, want)
	}
}

func trues(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = true
	}
	return out
}

// listEntries reads every entry matching f, page after page.
func listEntries(t *testing.T, s commission.Store, f commission.EntryFilter) []commission.Entry {
	t.Helper()
	var all []commission.Entry
	for {
		got, err := s.ListEntries(t.Context(), f)
		if err != nil {
			t.Fatalf("ListEntries(%+v): got error %v, want nil", f, err)
		}
		all = append(all, got...)
		if f.Limit == 0 || len(got) < f.Limit {
			return all
		}
		k := got[len(got)-1].Key()
		f.After = &k
	}
}

func entryKeys(es []commission.Entry) []commission.EntryKey {
	out := make([]commission.EntryKey, 0, len(es))
	for _, e := range es {
		out = append(out, e.Key())
	}
	return out
}

func testCommissionPlanRoundTrip(t *testing.T, s store.Store) {
	full := commissionPlan("cpl_sta", 1)
	bare := commission.Plan{ID: "cpl_stb", Name: "Bare", Level: commission.LevelPartner,
		Versions: []commission.Version{{Month: "2024-02", SKURates: map[string]int{}, ExcludedSKUs: []string{}}}, CreatedAt: at(2), UpdatedAt: at(3)}
	createCommissionPlans(t, s, full, bare)
	wantCommissionPlan(t, s, full)
	wantCommissionPlan(t, s, bare)
	got, _ := s.GetCommissionPlan(t.Context(), full.ID)
	got.Versions[1].SKURates["api_calls"] = 1
	*got.Versions[1].Tiers[0].UpTo = 5
	got.Versions[1].ExcludedSKUs[0] = "x"
	wantCommissionPlan(t, s, commissionPlan("cpl_sta", 1))
}

func testCommissionPlanDuplicate(t *testing.T, s store.Store) {
	p := commissionPlan("cpl_sta", 1)
	createCommissionPlans(t, s, p)
	other := commissionPlan("cpl_sta", 2)
	other.Name = "Other"
	wantCode(t, "CreateCommissionPlan with a taken ID", s.CreateCommissionPlan(t.Context(), other), core.Conflict)
	wantCommissionPlan(t, s, p)
}

func testCommissionPlanNotFound(t *testing.T, s store.Store) {
	_, err := s.GetCommissionPlan(t.Context(), "cpl_none")
	wantCode(t, "GetCommissionPlan", err, core.NotFound)
	_, err = s.UpdateCommissionPlan(t.Context(), "cpl_none", func(p commission.Plan) (commission.Plan, error) { return p, nil })
	wantCode(t, "UpdateCommissionPlan", err, core.NotFound)
}

func testCommissionPlanUpdate(t *testing.T, s store.Store) {
	p := commissionPlan("cpl_sta", 1)
	createCommissionPlans(t, s, p)
	change := func(x *commission.Plan) {
		x.Name, x.UpdatedAt = "Renamed", at(50)
		x.Versions = append(x.Versions, commission.Version{Month: "2024-06", RateBP: 900, PlanRates: map[string]int{"plan_x": 1}})
	}
	want := commissionPlan("cpl_sta", 1)
	change(&want)
	got, err := s.UpdateCommissionPlan(t.Context(), p.ID, func(cur commission.Plan) (commission.Plan, error) {
		if d := cmp.Diff(p, cur, commissionOpts); d != "" {
			t.Errorf("updater got (-want +got):\n%s", d)
		}
		change(&cur)
		return cur, nil
	})
	if err != nil {
		t.Fatalf("UpdateCommissionPlan: got error %v, want nil", err)
	}
	if d := cmp.Diff(want, got, commissionOpts); d != "" {
		t.Errorf("UpdateCommissionPlan result (-want +got):\n%s", d)
	}
	wantCommissionPlan(t, s, want)
}

func testCommissionPlanUpdateRules(t *testing.T, s store.Store) {
	p := commissionPlan("cpl_sta", 1)
	createCommissionPlans(t, s, p)
	wantUpdatesRefused(t, func(fn func(commission.Plan) (commission.Plan, error)) error {
		_, err := s.UpdateCommissionPlan(t.Context(), p.ID, fn)
		return err
	}, func() { wantCommissionPlan(t, s, p) }, []updateRefusal[commission.Plan]{
		{"updater fails", func(x commission.Plan) (commission.Plan, error) { x.Name = "Never"; return x, errSentinel }, ""},
		{"ID changes", func(x commission.Plan) (commission.Plan, error) { x.ID = "cpl_stz"; return x, nil }, core.Invalid},
		{"level changes", func(x commission.Plan) (commission.Plan, error) { x.Level = commission.LevelPartner; return x, nil }, core.Invalid},
		{"creation time changes", func(x commission.Plan) (commission.Plan, error) { x.CreatedAt = at(99); return x, nil }, core.Invalid},
	})
}

func testCommissionPlanList(t *testing.T, s store.Store) {
	c, a, b := commissionPlan("cpl_stc", 1), commissionPlan("cpl_sta", 2), commissionPlan("cpl_stb", 2)
	createCommissionPlans(t, s, b, a, c)
	got, err := s.ListCommissionPlans(t.Context())
	if err != nil {
		t.Fatalf("ListCommissionPlans: got error %v, want nil", err)
	}
	if d := cmp.Diff([]commission.Plan{c, a, b}, got, commissionOpts); d != "" {
		t.Errorf("ListCommissionPlans (-want +got):\n%s", d)
	}
}

func testAssignments(t *testing.T, s store.Store) {
	ctx := t.Context()
	createCommissionPlans(t, s, commissionPlan("cpl_sta", 1), commissionPlan("cpl_stb", 2))
	put := func(a commission.Assignment) {
		t.Helper()
		if err := s.PutAssignment(ctx, a); err != nil {
			t.Fatalf("PutAssignment(%+v): got error %v, want nil", a, err)
		}
	}
	r2 := commission.Assignment{ResellerID: "prt_st2", PlanID: "cpl_sta", UpdatedAt: at(3)}
	put(commission.Assignment{ResellerID: "dist_st1", PlanID: "cpl_sta", UpdatedAt: at(1)})
	put(r2)
	r1 := commission.Assignment{ResellerID: "dist_st1", PlanID: "cpl_stb", UpdatedAt: at(5)}
	put(r1) // replaces
	got, err := s.GetAssignment(ctx, "dist_st1")
	if err != nil || got != r1 {
		t.Errorf("GetAssignment(dist_st1): got %+v, %v, want %+v, nil", got, err, r1)
	}
	all, err := s.ListAssignments(ctx)
	if err != nil {
		t.Fatalf("ListAssignments: got error %v, want nil", err)
	}
	if d := cmp.Diff([]commission.Assignment{r1, r2}, all); d != "" {
		t.Errorf("ListAssignments (-want +got):\n%s", d)
	}
	_, err = s.GetAssignment(ctx, "dist_none")
	wantCode(t, "GetAssignment of a reseller without one", err, core.NotFound)
}

func testAssignmentUnknownPlan(t *testing.T, s store.Store) {
	ctx := t.Context()
	createCommissionPlans(t, s, commissionPlan("cpl_sta", 1))
	a := commission.Assignment{ResellerID: "dist_st1", PlanID: "cpl_sta", UpdatedAt: at(1)}
	if err := s.PutAssignment(ctx, a); err != nil {
		t.Fatalf("PutAssignment: got error %v, want nil", err)
	}
	err := s.PutAssignment(ctx, commission.Assignment{ResellerID: "dist_st1", PlanID: "cpl_none", UpdatedAt: at(2)})
	wantCode(t, "PutAssignment to an unknown plan", err, core.Invalid)
	err = s.PutAssignment(ctx, commission.Assignment{ResellerID: "dist_st2", PlanID: "cpl_none", UpdatedAt: at(2)})
	wantCode(t, "PutAssignment of a new reseller to an unknown plan", err, core.Invalid)
	if got, err := s.GetAssignment(ctx, "dist_st1"); err != nil || got != a {
		t.Errorf("GetAssignment after a refused put: got %+v, %v, want %+v", got, err, a)
	}
	if _, err := s.GetAssignment(ctx, "dist_st2"); core.ErrorCode(err) != core.NotFound {
		t.Errorf("GetAssignment(dist_st2): got %v, want not found", err)
	}
}

func testStatementOpenTwice(t *testing.T, s store.Store) {
	ctx := t.Context()
	first, err := s.OpenStatement(ctx, "dist_st", stMonth, money.USD, at(10))
	if err != nil {
		t.Fatalf("OpenStatement: got error %v, want nil", err)
	}
	if !core.ValidID(core.PrefixStatement, first.ID) {
		t.Errorf("statement ID: got %q, want a %s_ ID", first.ID, core.PrefixStatement)
	}
	want := commission.Statement{ID: first.ID, ResellerID: "dist_st", Month: stMonth, Currency: money.USD,
		Status: commission.StatementDraft, CreatedAt: at(10)}
	if d := cmp.Diff(want, first, commissionOpts); d != "" {
		t.Errorf("OpenStatement (-want +got):\n%s", d)
	}
	again, err := s.OpenStatement(ctx, "dist_st", stMonth, money.USD, at(11))
	if err != nil {
		t.Fatalf("OpenStatement again: got error %v, want nil", err)
	}
	if d := cmp.Diff(want, again, commissionOpts); d != "" {
		t.Errorf("OpenStatement again (-want +got):\n%s", d)
	}
	// Another month, currency or reseller is another statement.
	seen := map[string]bool{first.ID: true}
	for _, k := range []struct {
		reseller, month string
		c               money.Currency
	}{{"dist_st", "2024-04", money.USD}, {"dist_st", stMonth, money.EUR}, {"prt_st", stMonth, money.USD}} {
		st, err := s.OpenStatement(ctx, k.reseller, k.month, k.c, at(12))
		if err != nil {
			t.Fatalf("OpenStatement(%+v): got error %v, want nil", k, err)
		}
		if seen[st.ID] {
			t.Errorf("OpenStatement(%+v): got ID %s again, want a new statement", k, st.ID)
		}
		seen[st.ID] = true
	}
	got, err := s.GetStatement(ctx, first.ID)
	if err != nil {
		t.Fatalf("GetStatement: got error %v, want nil", err)
	}
	if d := cmp.Diff(want, got, commissionOpts); d != "" {
		t.Errorf("GetStatement (-want +got):\n%s", d)
	}
}

func testStatementOpenInvalid(t *testing.T, s store.Store) {
	for _, tc := range []struct {
		reseller, month string
		c               money.Currency
	}{{"", stMonth, money.USD}, {"dist_st", "2024-13", money.USD}, {"dist_st", stMonth, money.Currency{}}} {
		_, err := s.OpenStatement(t.Context(), tc.reseller, tc.month, tc.c, at(1))
		wantCode(t, fmt.Sprintf("OpenStatement(%q, %q, %q)", tc.reseller, tc.month, tc.c.Code()), err, core.Invalid)
	}
	if got, total, err := s.ListStatements(t.Context(), commission.StatementFilter{}); err != nil || total != 0 || len(got) != 0 {
		t.Errorf("ListStatements: got %d (total %d), %v, want none", len(got), total, err)
	}
}

func testStatementCloseFreezes(t *testing.T, s store.Store) {
	ctx := t.Context()
	st := openStatement(t, s, "dist_st")
	other := openStatement(t, s, "prt_st")
	insertEntries(t, s, []commission.Entry{
		entry("tn_a", "inv_1", 0, st.ID, 100), entry("tn_a", "inv_1", 1, st.ID, -30), entry("tn_b", "inv_2", 0, st.ID, 7),
		entry("tn_b", "inv_2", 1, other.ID, 1000), platformEntry("tn_a", "inv_1", 0, 900),
	}, trues(5))
	draft, err := s.GetStatement(ctx, st.ID)
	if err != nil || draft.Total != 77 || draft.Entries != 3 || draft.Status != commission.StatementDraft {
		t.Errorf("GetStatement of the draft: got %+v, %v, want total 77 of 3 entries, draft", draft, err)
	}
	closed, err := s.CloseStatement(ctx, st.ID, at(30))
	if err != nil {
		t.Fatalf("CloseStatement: got error %v, want nil", err)
	}
	want := st
	want.Status, want.Total, want.Entries, want.ClosedAt = commission.StatementClosed, 77, 3, timePtr(at(30))
	if d := cmp.Diff(want, closed, commissionOpts); d != "" {
		t.Errorf("CloseStatement (-want +got):\n%s", d)
	}
	got, err := s.GetStatement(ctx, st.ID)
	if err != nil {
		t.Fatalf("GetStatement: got error %v, want nil", err)
	}
	if d := cmp.Diff(want, got, commissionOpts); d != "" {
		t.Errorf("GetStatement after the close (-want +got):\n%s", d)
	}
	// The other statement is still a draft with its own totals.
	if got, err := s.GetStatement(ctx, other.ID); err != nil || got.Total != 1000 || got.Entries != 1 || got.Status != commission.StatementDraft {
		t.Errorf("GetStatement(other): got %+v, %v, want a draft of 1000 in 1 entry", got, err)
	}
}

func testStatementClosedStaysClosed(t *testing.T, s store.Store) {
	ctx := t.Context()
	st := openStatement(t, s, "dist_st")
	insertEntries(t, s, []commission.Entry{entry("tn_a", "inv_1", 0, st.ID, 100)}, trues(1))
	closed, err := s.CloseStatement(ctx, st.ID, at(30))
	if err != nil {
		t.Fatalf("CloseStatement: got error %v, want nil", err)
	}
	_, err = s.CloseStatement(ctx, st.ID, at(31))
	wantCode(t, "CloseStatement twice", err, core.StatementClosed)
	_, err = s.OpenStatement(ctx, "dist_st", stMonth, money.USD, at(32))
	wantCode(t, "OpenStatement of a closed statement", err, core.StatementClosed)

	// A batch with an entry for the closed statement is refused whole.
	_, err = s.InsertEntries(ctx, []commission.Entry{
		platformEntry("tn_a", "inv_9", 0, 5), entry("tn_a", "inv_9", 0, st.ID, 5), entry("tn_a", "inv_1", 0, st.ID, 100),
	})
	wantCode(t, "InsertEntries into a closed statement", err, core.StatementClosed)
	// So is one naming a statement that does not exist.
	_, err = s.InsertEntries(ctx, []commission.Entry{platformEntry("tn_a", "inv_9", 0, 5), entry("tn_a", "inv_9", 0, "cst_none", 5)})
	wantCode(t, "InsertEntries into an unknown statement", err, core.Invalid)
	if got := listEntries(t, s, commission.EntryFilter{InvoiceID: "inv_9"}); len(got) != 0 {
		t.Errorf("entries of inv_9 after refused inserts: got %v, want none", entryKeys(got))
	}
	got, err := s.GetStatement(ctx, st.ID)
	if err != nil {
		t.Fatalf("GetStatement: got error %v, want nil", err)
	}
	if d := cmp.Diff(closed, got, commissionOpts); d != "" {
		t.Errorf("closed statement changed (-want +got):\n%s", d)
	}
	if got := listEntries(t, s, commission.EntryFilter{StatementID: st.ID}); len(got) != 1 {
		t.Errorf("entries of the closed statement: got %d, want 1", len(got))
	}
}

func testStatementNotFound(t *testing.T, s store.Store) {
	_, err := s.GetStatement(t.Context(), "cst_none")
	wantCode(t, "GetStatement", err, core.NotFound)
	_, err = s.CloseStatement(t.Context(), "cst_none", at(1))
	wantCode(t, "CloseStatement", err, core.NotFound)
}

func testStatementList(t *testing.T, s store.Store) {
	ctx := t.Context()
	open := func(reseller, month string, c money.Currency) commission.Statement {
		t.Helper()
		st, err := s.OpenStatement(ctx, reseller, month, c, at(1))
		if err != nil {
			t.Fatalf("OpenStatement(%s, %s, %s): got error %v, want nil", reseller, month, c.Code(), err)
		}
		return st
	}
	// Opened out of order; listed by month, reseller, currency.
	b4u := open("b", "2024-04", money.USD)
	a3u := open("a", "2024-03", money.USD)
	b3e := open("b", "2024-03", money.EUR)
	a3e := open("a", "2024-03", money.EUR)
	c3u := open("c", "2024-03", money.USD)
	insertEntries(t, s, []commission.Entry{entry("tn_a", "inv_1", 0, a3e.ID, 10), entry("tn_a", "inv_1", 1, a3e.ID, 5),
		entry("tn_a", "inv_1", 2, b4u.ID, 3)}, trues(3))
	closedC, err := s.CloseStatement(ctx, c3u.ID, at(2))
	if err != nil {
		t.Fatalf("CloseStatement: got error %v, want nil", err)
	}
	a3e.Total, a3e.Entries = 15, 2
	b4u.Total, b4u.Entries = 3, 1
	for _, tc := range []struct {
		name  string
		f     commission.StatementFilter
		want  []commission.Statement
		total int
	}{
		{"all", commission.StatementFilter{}, []commission.Statement{a3e, a3u, b3e, closedC, b4u}, 5},
		{"month", commission.StatementFilter{Month: "2024-03"}, []commission.Statement{a3e, a3u, b3e, closedC}, 4},
		{"resellers", commission.StatementFilter{ResellerIDs: []string{"b", "c"}}, []commission.Statement{b3e, closedC, b4u}, 3},
		{"closed", commission.StatementFilter{Status: commission.StatementClosed}, []commission.Statement{closedC}, 1},
		{"drafts of b", commission.StatementFilter{Status: commission.StatementDraft, ResellerIDs: []string{"b"}}, []commission.Statement{b3e, b4u}, 2},
		{"page 2", commission.StatementFilter{Page: core.PageRequest{Page: 2, Limit: 2}}, []commission.Statement{b3e, closedC}, 5},
		{"past the end", commission.StatementFilter{Page: core.PageRequest{Page: 4, Limit: 2}}, []commission.Statement{}, 5},
		{"none", commission.StatementFilter{Month: "2025-01"}, []commission.Statement{}, 0},
	} {
		got, total, err := s.ListStatements(ctx, tc.f)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tc.name, err)
			continue
		}
		if got == nil {
			got = []commission.Statement{}
		}
		if d := cmp.Diff(tc.want, got, commissionOpts); d != "" || total != tc.total {
			t.Errorf("%s: got total %d, want %d; statements (-want +got):\n%s", tc.name, total, tc.total, d)
		}
	}
	for _, f := range []commission.StatementFilter{
		{ResellerIDs: make([]string, commission.MaxFilterIDs+1)}, {Month: "March"}, {Status: "open"},
		{Page: core.PageRequest{Limit: core.MaxLimit + 1}},
	} {
		_, _, err := s.ListStatements(ctx, f)
		wantCode(t, fmt.Sprintf("ListStatements(%+v)", f), err, core.Invalid)
	}
}

func testEntryRoundTrip(t *testing.T, s store.Store) {
	st := openStatement(t, s, "dist_st")
	full := entry("tn_a", "inv_1", 3, st.ID, 123)
	full.Kind, full.Amount, full.NetAmount = commission.Clawback, -123, -1230
	full.Month, full.Excluded = "2024-04", commission.ExcludedSKU
	bare := commission.Entry{TenantID: "tn_a", InvoiceID: "inv_1", Line: 0, Party: commission.PartyPlatform, Kind: commission.Earned,
		Month: stMonth, InvoiceMonth: stMonth, CreatedAt: at(1)}
	insertEntries(t, s, []commission.Entry{full, bare}, trues(2))
	got := listEntries(t, s, commission.EntryFilter{InvoiceID: "inv_1"})
	if d := cmp.Diff([]commission.Entry{bare, full}, got, commissionOpts); d != "" {
		t.Errorf("ListEntries (-want +got):\n%s", d)
	}
}

func testEntryDuplicates(t *testing.T, s store.Store) {
	st := openStatement(t, s, "dist_st")
	first := entry("tn_a", "inv_1", 0, st.ID, 100)
	insertEntries(t, s, []commission.Entry{first}, trues(1))
	sameKey := entry("tn_a", "inv_1", 0, st.ID, 999) // the stored one's key
	newer := entry("tn_a", "inv_1", 1, st.ID, 5)
	newerDup := entry("tn_a", "inv_1", 1, st.ID, 6) // same key within the batch: the first wins
	otherTenant := entry("tn_b", "inv_1", 0, st.ID, 7)
	otherKind := entry("tn_a", "inv_1", 0, st.ID, -100)
	otherKind.Kind = commission.Clawback
	otherParty := platformEntry("tn_a", "inv_1", 0, 900)
	insertEntries(t, s, []commission.Entry{sameKey, newer, newerDup, otherTenant, otherKind, otherParty},
		[]bool{false, true, false, true, true, true})
	got := listEntries(t, s, commission.EntryFilter{InvoiceID: "inv_1"})
	want := []commission.Entry{otherKind, first, otherParty, newer, otherTenant}
	if d := cmp.Diff(want, got, commissionOpts); d != "" {
		t.Errorf("ListEntries (-want +got):\n%s", d)
	}
	if got, err := s.GetStatement(t.Context(), st.ID); err != nil || got.Total != 100+5+7-100 || got.Entries != 4 {
		t.Errorf("GetStatement: got %+v, %v, want total 12 of 4 entries", got, err)
	}
	if got, err := s.InsertEntries(t.Context(), nil); err != nil || len(got) != 0 {
		t.Errorf("InsertEntries(nil): got %v, %v, want [], nil", got, err)
	}
}

func testEntryRules(t *testing.T, s store.Store) {
	good := platformEntry("tn_a", "inv_1", 0, 1)
	for _, tc := range []struct {
		name string
		fn   func(e *commission.Entry)
	}{
		{"no tenant", func(e *commission.Entry) { e.TenantID = "" }},
		{"no invoice", func(e *commission.Entry) { e.InvoiceID = "" }},
		{"negative line", func(e *commission.Entry) { e.Line = -1 }},
		{"unknown party", func(e *commission.Entry) { e.Party = "bank" }},
		{"unknown kind", func(e *commission.Entry) { e.Kind = "bonus" }},
	} {
		bad := good
		tc.fn(&bad)
		_, err := s.InsertEntries(t.Context(), []commission.Entry{good, bad})
		wantCode(t, "InsertEntries with "+tc.name, err, core.Invalid)
	}
	if got := listEntries(t, s, commission.EntryFilter{InvoiceID: "inv_1"}); len(got) != 0 {
		t.Errorf("entries after refused inserts: got %v, want none", entryKeys(got))
	}
}

// entryGrid stores and returns, in key order, the entries of three
// tenants' invoices: statements of two resellers, platform entries,
// earned and clawback, over two months.
func entryGrid(t *testing.T, s store.Store) (all []commission.Entry, dist, prt commission.Statement) {
	t.Helper()
	dist, prt = openStatement(t, s, "dist_st"), openStatement(t, s, "prt_st")
	for _, tn := range []string{"tn_c", "tn_a", "tn_b"} {
		for inv := range 3 {
			for line := range 4 {
				invID := fmt.Sprintf("inv_%s_%d", tn, inv)
				d := entry(tn, invID, line, dist.ID, int64(line+1))
				p := entry(tn, invID, line, prt.ID, int64(line+10))
				p.Party, p.ResellerID = commission.PartyPartner, "prt_st"
				pl := platformEntry(tn, invID, line, 100)
				es := []commission.Entry{d, p, pl}
				if line == 3 {
					for _, e := range []commission.Entry{d, p, pl} {
						c := e
						c.Kind, c.Amount, c.Month = commission.Clawback, -e.Amount, "2024-04"
						es = append(es, c)
					}
				}
				if inv == 2 {
					for i := range es {
						es[i].InvoiceMonth = "2024-02"
					}
				}
				insertEntries(t, s, es, trues(len(es)))
				all = append(all, es...)
			}
		}
	}
	slices.SortFunc(all, func(a, b commission.Entry) int { return commission.CompareKeys(a.Key(), b.Key()) })
	return all, dist, prt
}

func testEntryListFilters(t *testing.T, s store.Store) {
	all, dist, _ := entryGrid(t, s)
	for _, tc := range []struct {
		name string
		f    commission.EntryFilter
		keep func(e commission.Entry) bool
	}{
		{"statement", commission.EntryFilter{StatementID: dist.ID}, func(e commission.Entry) bool { return e.StatementID == dist.ID }},
		{"month", commission.EntryFilter{Month: "2024-04"}, func(e commission.Entry) bool { return e.Month == "2024-04" }},
		{"invoice month", commission.EntryFilter{InvoiceMonth: "2024-02"}, func(e commission.Entry) bool { return e.InvoiceMonth == "2024-02" }},
		{"invoice", commission.EntryFilter{InvoiceID: "inv_tn_b_1"}, func(e commission.Entry) bool { return e.InvoiceID == "inv_tn_b_1" }},
		{"month and tenant", commission.EntryFilter{Month: stMonth, TenantID: "tn_b"}, func(e commission.Entry) bool {
			return e.Month == stMonth && e.TenantID == "tn_b"
		}},
		{"statement and kind", commission.EntryFilter{StatementID: dist.ID, Kind: commission.Clawback}, func(e commission.Entry) bool {
			return e.StatementID == dist.ID && e.Kind == commission.Clawback
		}},
		{"invoice month, month, tenant, kind", commission.EntryFilter{InvoiceMonth: stMonth, Month: stMonth, TenantID: "tn_c", Kind: commission.Earned},
			func(e commission.Entry) bool {
				return e.InvoiceMonth == stMonth && e.Month == stMonth && e.TenantID == "tn_c" && e.Kind == commission.Earned
			}},
		{"nothing", commission.EntryFilter{Month: "2030-01"}, func(commission.Entry) bool { return false }},
	} {
		want := []commission.Entry{}
		for _, e := range all {
			if tc.keep(e) {
				want = append(want, e)
			}
		}
		got, err := s.ListEntries(t.Context(), tc.f)
		if err != nil {
			t.Errorf("%s: got error %v, want nil", tc.name, err)
			continue
		}
		if got == nil {
			got = []commission.Entry{}
		}
		if d := cmp.Diff(want, got, commissionOpts); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}

func testEntryListKeyset(t *testing.T, s store.Store) {
	all, dist, _ := entryGrid(t, s)
	for _, limit := range []int{1, 7, 50, len(all)} {
		for _, f := range []commission.EntryFilter{{Month: stMonth}, {StatementID: dist.ID}, {InvoiceMonth: stMonth, TenantID: "tn_b"}} {
			want := []commission.EntryKey{}
			for _, e := range all {
				if (f.Month == "" || e.Month == f.Month) && (f.StatementID == "" || e.StatementID == f.StatementID) &&
					(f.InvoiceMonth == "" || e.InvoiceMonth == f.InvoiceMonth) && (f.TenantID == "" || e.TenantID == f.TenantID) {
					want = append(want, e.Key())
				}
			}
			f.Limit = limit
			pages := 0
			got := []commission.EntryKey{}
			for {
				page, err := s.ListEntries(t.Context(), f)
				if err != nil {
					t.Fatalf("ListEntries(%+v): got error %v, want nil", f, err)
				}
				if len(page) > limit {
					t.Fatalf("ListEntries(%+v): got %d entries, want at most %d", f, len(page), limit)
				}
				pages++
				got = append(got, entryKeys(page)...)
				if len(page) < limit || pages > len(all)+1 {
					break
				}
				k := page[len(page)-1].Key()
				f.After = &k
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("pages of %d with %+v: keys (-want +got):\n%s", limit, f, d)
			}
		}
	}
	// After a key that is not stored, the next page starts at the next
	// stored key.
	after := commission.EntryKey{TenantID: "tn_b", InvoiceID: "inv_tn_b_0", Line: 1, Party: "partnea", Kind: commission.Earned}
	got, err := s.ListEntries(t.Context(), commission.EntryFilter{Month: stMonth, After: &after, Limit: 1})
	want := commission.EntryKey{TenantID: "tn_b", InvoiceID: "inv_tn_b_0", Line: 1, Party: commission.PartyPartner, Kind: commission.Earned}
	if err != nil || len(got) != 1 || got[0].Key() != want {
		t.Errorf("ListEntries after an absent key: got %v, %v, want [%+v]", entryKeys(got), err, want)
	}
}

func testEntryListInvalid(t *testing.T, s store.Store) {
	for _, f := range []commission.EntryFilter{
		{}, {TenantID: "tn_a"}, {Kind: commission.Earned, TenantID: "tn_a"},
		{Month: stMonth, Limit: commission.MaxEntryPage + 1}, {Month: stMonth, Limit: -1},
		{Month: "2024-3"}, {InvoiceMonth: "x"}, {Month: stMonth, Kind: "bonus"},
	} {
		_, err := s.ListEntries(t.Context(), f)
		wantCode(t, fmt.Sprintf("ListEntries(%+v)", f), err, core.Invalid)
	}
	if _, err := s.ListEntries(t.Context(), commission.EntryFilter{InvoiceID: "inv_1", Limit: commission.MaxEntryPage}); err != nil {
		t.Errorf("ListEntries with the largest limit: got error %v, want nil", err)
	}
}

// commissionWrites makes one write of every commission kind through s and
// returns the statement it opened (and closed).
func commissionWrites(t *testing.T, s store.Store) commission.Statement {
	t.Helper()
	ctx := t.Context()
	createCommissionPlans(t, s, commissionPlan("cpl_sttx", 1))
	if err := s.PutAssignment(ctx, commission.Assignment{ResellerID: "dist_st", PlanID: "cpl_sttx", UpdatedAt: at(1)}); err != nil {
		t.Fatalf("PutAssignment: got error %v, want nil", err)
	}
	st := openStatement(t, s, "dist_st")
	insertEntries(t, s, []commission.Entry{entry("tn_a", "inv_1", 0, st.ID, 10), platformEntry("tn_a", "inv_1", 0, 90)}, trues(2))
	closed, err := s.CloseStatement(ctx, st.ID, at(5))
	if err != nil {
		t.Fatalf("CloseStatement: got error %v, want nil", err)
	}
	return closed
}

func testCommissionRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	var inTx commission.Statement
	err := s.InTx(ctx, func(tx store.Store) error {
		inTx = commissionWrites(t, tx)
		return errSentinel
	})
	if !errors.Is(err, errSentinel) {
		t.Fatalf("InTx: got %v, want the sentinel", err)
	}
	if _, err := s.GetCommissionPlan(ctx, "cpl_sttx"); core.ErrorCode(err) != core.NotFound {
		t.Errorf("GetCommissionPlan after a rollback: got %v, want not found", err)
	}
	if as, err := s.ListAssignments(ctx); err != nil || len(as) != 0 {
		t.Errorf("ListAssignments after a rollback: got %v, %v, want none", as, err)
	}
	if _, err := s.GetStatement(ctx, inTx.ID); core.ErrorCode(err) != core.NotFound {
		t.Errorf("GetStatement after a rollback: got %v, want not found", err)
	}
	if sts, total, err := s.ListStatements(ctx, commission.StatementFilter{}); err != nil || total != 0 || len(sts) != 0 {
		t.Errorf("ListStatements after a rollback: got %d (total %d), %v, want none", len(sts), total, err)
	}
	if got := listEntries(t, s, commission.EntryFilter{InvoiceID: "inv_1"}); len(got) != 0 {
		t.Errorf("entries after a rollback: got %v, want none", entryKeys(got))
	}
	// Everything can be written again: the keys are free, the statement
	// opens as a new draft.
	closed := commissionWrites(t, s)
	if closed.ID == inTx.ID || closed.Total != 10 || closed.Entries != 1 {
		t.Errorf("statement after the writes: got %+v, want a new one of total 10 in 1 entry", closed)
	}
	if got := listEntries(t, s, commission.EntryFilter{InvoiceID: "inv_1"}); len(got) != 2 {
		t.Errorf("entries after the writes: got %d, want 2", len(got))
	}
}

func testCommissionTxOwnWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	var id string
	err := s.InTx(ctx, func(tx store.Store) error {
		st := openStatement(t, tx, "dist_st")
		id = st.ID
		insertEntries(t, tx, []commission.Entry{entry("tn_a", "inv_1", 0, st.ID, 10), entry("tn_a", "inv_1", 1, st.ID, 20)}, trues(2))
		again := openStatement(t, tx, "dist_st")
		if again.ID != st.ID || again.Status != commission.StatementDraft {
			t.Errorf("OpenStatement in the transaction: got %+v, want the draft %s", again, st.ID)
		}
		if got, err := tx.GetStatement(ctx, st.ID); err != nil || got.Total != 30 || got.Entries != 2 {
			t.Errorf("GetStatement in the transaction: got %+v, %v, want total 30 of 2", got, err)
		}
		if sts, n, err := tx.ListStatements(ctx, commission.StatementFilter{}); err != nil || n != 1 || len(sts) != 1 || sts[0].Total != 30 {
			t.Errorf("ListStatements in the transaction: got %+v (total %d), %v, want one of total 30", sts, n, err)
		}
		if got := listEntries(t, tx, commission.EntryFilter{StatementID: st.ID}); len(got) != 2 {
			t.Errorf("ListEntries in the transaction: got %d, want 2", len(got))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: got error %v, want nil", err)
	}
	if got, err := s.GetStatement(ctx, id); err != nil || got.Total != 30 {
		t.Errorf("GetStatement after the commit: got %+v, %v, want total 30", got, err)
	}
}

func testConcurrentOpenStatement(t *testing.T, s store.Store) {
	ids := make([]string, raceOpeners)
	errs := make([]error, raceOpeners)
	together(raceOpeners, func(i int) {
		st, err := s.OpenStatement(t.Context(), "dist_st", stMonth, money.USD, at(i))
		ids[i], errs[i] = st.ID, err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("OpenStatement %d: got error %v, want nil", i, err)
		}
	}
	for i, id := range ids {
		if id != ids[0] {
			t.Errorf("OpenStatement %d: got statement %s, want %s as the first", i, id, ids[0])
		}
	}
	sts, total, err := s.ListStatements(t.Context(), commission.StatementFilter{})
	if err != nil || total != 1 || len(sts) != 1 {
		t.Errorf("ListStatements: got %d (total %d), %v, want 1", len(sts), total, err)
	}
}

func testConcurrentInsertEntries(t *testing.T, s store.Store) {
	st := openStatement(t, s, "dist_st")
	// Batch i holds lines i*10 .. i*10+29 of one invoice (each overlaps
	// the next two), in reverse order for odd i, and lines 0..4 of an
	// invoice of a second tenant shared by every batch.
	const perBatch = 30
	var inserted atomic.Int64
	errs := make([]error, raceInserters)
	firsts := make([]map[commission.EntryKey]bool, raceInserters)
	together(raceInserters, func(i int) {
		var es []commission.Entry
		for k := i * 10; k < i*10+perBatch; k++ {
			es = append(es, entry("tn_a", "inv_race", k, st.ID, 1))
		}
		if i%2 == 1 {
			slices.Reverse(es)
		}
		for k := range 5 {
			es = append(es, platformEntry("tn_b", "inv_race", k, 1))
		}
		got, err := s.InsertEntries(t.Context(), es)
		errs[i] = err
		firsts[i] = map[commission.EntryKey]bool{}
		for j, ok := range got {
			if ok {
				inserted.Add(1)
				firsts[i][es[j].Key()] = true
			}
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("InsertEntries %d: got error %v, want nil", i, err)
		}
	}
	distinct := (raceInserters-1)*10 + perBatch + 5
	if got := inserted.Load(); got != int64(distinct) {
		t.Errorf("entries reported inserted: got %d, want %d (each key once)", got, distinct)
	}
	seen := map[commission.EntryKey]int{}
	for _, m := range firsts {
		for k := range m {
			seen[k]++
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("key %+v reported inserted %d times, want once", k, n)
		}
	}
	if got := listEntries(t, s, commission.EntryFilter{InvoiceID: "inv_race"}); len(got) != distinct {
		t.Errorf("entries stored: got %d, want %d", len(got), distinct)
	}
	if got, err := s.GetStatement(t.Context(), st.ID); err != nil || got.Total != int64(distinct-5) || got.Entries != distinct-5 {
		t.Errorf("GetStatement: got %+v, %v, want total and count %d", got, err, distinct-5)
	}
}

// testConcurrentCloseAndInsert races CloseStatement against inserters
// that add entries to the statement (some opening it first in their
// transaction, some naming it only): each inserter either stores its
// entries or is refused with core.StatementClosed, and after the close
// the statement's frozen total and count are exactly those of its
// entries.
func testConcurrentCloseAndInsert(t *testing.T, s store.Store) {
	for round := range 3 {
		reseller := fmt.Sprintf("dist_race%d", round)
		st := openStatement(t, s, reseller)
		errs := make([]error, raceInserters+1)
		together(raceInserters+1, func(i int) {
			if i == raceInserters {
				_, errs[i] = s.CloseStatement(t.Context(), st.ID, at(40))
				return
			}
			es := []commission.Entry{
				entry("tn_a", fmt.Sprintf("inv_r%d_%d", round, i), 0, st.ID, int64(i+1)),
				entry("tn_a", fmt.Sprintf("inv_r%d_%d", round, i), 1, st.ID, int64(100*(i+1))),
			}
			if i%2 == 0 {
				errs[i] = s.InTx(t.Context(), func(tx store.Store) error {
					if _, err := tx.OpenStatement(t.Context(), reseller, stMonth, money.USD, at(41)); err != nil {
						return err
					}
					_, err := tx.InsertEntries(t.Context(), es)
					return err
				})
				return
			}
			_, errs[i] = s.InsertEntries(t.Context(), es)
		})
		if errs[raceInserters] != nil {
			t.Fatalf("round %d: CloseStatement: got error %v, want nil", round, errs[raceInserters])
		}
		stored := 0
		for i, err := range errs[:raceInserters] {
			switch core.ErrorCode(err) {
			case "":
				stored++
			case core.StatementClosed:
			default:
				t.Errorf("round %d: inserter %d: got %v, want nil or %s", round, i, err, core.StatementClosed)
			}
		}
		got, err := s.GetStatement(t.Context(), st.ID)
		if err != nil {
			t.Fatalf("GetStatement: got error %v, want nil", err)
		}
		entries := listEntries(t, s, commission.EntryFilter{StatementID: st.ID})
		var sum int64
		for _, e := range entries {
			sum += e.Amount
		}
		if got.Status != commission.StatementClosed || got.Total != sum || got.Entries != len(entries) || len(entries) != 2*stored {
			t.Errorf("round %d: closed statement holds total %d of %d entries; its entries sum to %d in %d; %d inserters stored 2 each",
				round, got.Total, got.Entries, sum, len(entries), stored)
		}
	}
}

// testConcurrentCommissionPlanUpdates runs concurrent read-modify-write
// updates of one plan: each adds one to a rate, and none is lost.
func testConcurrentCommissionPlanUpdates(t *testing.T, s store.Store) {
	createCommissionPlans(t, s, commissionPlan("cpl_sta", 1))
	errs := make([]error, raceUpdaters)
	together(raceUpdaters, func(i int) {
		_, errs[i] = s.UpdateCommissionPlan(t.Context(), "cpl_sta", func(p commission.Plan) (commission.Plan, error) {
			p.Versions[0].RateBP++
			return p, nil
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("UpdateCommissionPlan %d: got error %v, want nil", i, err)
		}
	}
	p, err := s.GetCommissionPlan(t.Context(), "cpl_sta")
	if err != nil || p.Versions[0].RateBP != 1000+raceUpdaters {
		t.Errorf("rate after %d updates: got %d, %v, want %d", raceUpdaters, p.Versions[0].RateBP, err, 1000+raceUpdaters)
	}
}

// Isolation: a tenant's commission entries.

const isoReseller = "dist_iso"

// commissionIsolationKinds are the tenant-owned commission records.
func commissionIsolationKinds() []isolationKind {
	return []isolationKind{{
		name: "commission entries",
		seed: func(t *testing.T, s store.Store, tn tenant.Tenant) {
			st := openStatement(t, s, isoReseller) // shared by both tenants
			// Both tenants use the same invoice ID and lines.
			insertEntries(t, s, []commission.Entry{
				entry(tn.ID, "inv_iso", 0, st.ID, 10), platformEntry(tn.ID, "inv_iso", 0, 90),
				entry(tn.ID, "inv_iso", 1, st.ID, 20), platformEntry(tn.ID, "inv_iso_"+token(tn), 0, 5),
			}, trues(4))
		},
		snapshot: func(t *testing.T, s store.Store, id string) any {
			// Text, which go-cmp compares without knowing money's
			// internals (Currency prints its code).
			es := listEntries(t, s, commission.EntryFilter{Month: stMonth, TenantID: id, Limit: 2})
			return fmt.Sprintf("%d entries: %+v", len(es), es)
		},
	}}
}

// commissionIsolationOps are the operations on a tenant's commission
// entries.
func commissionIsolationOps() []isolationOp {
	return []isolationOp{
		{name: "insert commission entries with the other's keys", changes: true, act: func(t *testing.T, s store.Store, actor, observer tenant.Tenant) {
			st := openStatement(t, s, isoReseller)
			insertEntries(t, s, []commission.Entry{
				entry(actor.ID, "inv_iso", 0, st.ID, 999),                 // the actor's own: a duplicate
				platformEntry(actor.ID, "inv_iso_"+token(observer), 0, 5), // the observer's invoice ID, for the actor: new
				entry(actor.ID, "inv_iso", 2, st.ID, 30),
			}, []bool{false, true, true})
		}},
		{name: "commission entries rolled back", act: func(t *testing.T, s store.Store, actor, _ tenant.Tenant) {
			err := s.InTx(t.Context(), func(tx store.Store) error {
				st := openStatement(t, tx, isoReseller)
				if _, err := tx.InsertEntries(t.Context(), []commission.Entry{entry(actor.ID, "inv_iso", 7, st.ID, 1)}); err != nil {
					return err
				}
				return errSentinel
			})
			if !errors.Is(err, errSentinel) {
				t.Fatalf("InTx: got %v, want the sentinel", err)
			}
		}},
	}
}
