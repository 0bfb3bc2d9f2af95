package commission_test

import (
	"testing"

	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

func TestCheckEntryFilter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		f         commission.EntryFilter
		code      core.Code
		wantLimit int
	}{
		{"statement, default limit", commission.EntryFilter{StatementID: "cst_1"}, "", commission.MaxEntryPage},
		{"month, limit kept", commission.EntryFilter{Month: "2026-11", Limit: 10}, "", 10},
		{"invoice month", commission.EntryFilter{InvoiceMonth: "2026-01", Limit: commission.MaxEntryPage}, "", commission.MaxEntryPage},
		{"invoice", commission.EntryFilter{InvoiceID: "inv_1", TenantID: "tn_1", Kind: commission.Clawback}, "", commission.MaxEntryPage},
		{"nothing set", commission.EntryFilter{}, core.Invalid, 0},
		{"only tenant and kind", commission.EntryFilter{TenantID: "tn_1", Kind: commission.Earned}, core.Invalid, 0},
		{"bad month", commission.EntryFilter{Month: "2026-13"}, core.Invalid, 0},
		{"bad invoice month", commission.EntryFilter{InvoiceMonth: "26-01"}, core.Invalid, 0},
		{"bad kind", commission.EntryFilter{Month: "2026-11", Kind: "bonus"}, core.Invalid, 0},
		{"limit too large", commission.EntryFilter{Month: "2026-11", Limit: commission.MaxEntryPage + 1}, core.Invalid, 0},
		{"negative limit", commission.EntryFilter{Month: "2026-11", Limit: -1}, core.Invalid, 0},
	} {
		got, err := commission.CheckEntryFilter(tc.f)
		if code := core.ErrorCode(err); code != tc.code {
			t.Errorf("%s: got error %v (code %q), want code %q", tc.name, err, code, tc.code)
			continue
		}
		if err == nil && got.Limit != tc.wantLimit {
			t.Errorf("%s: got limit %d, want %d", tc.name, got.Limit, tc.wantLimit)
		}
	}
}

func TestCompareKeys(t *testing.T) {
	k := commission.EntryKey{TenantID: "tn_b", InvoiceID: "inv_b", Line: 2, Party: commission.PartyPartner, Kind: commission.Earned}
	for _, tc := range []struct {
		name string
		fn   func(x *commission.EntryKey)
		want int
	}{
		{"equal", func(*commission.EntryKey) {}, 0},
		{"tenant first", func(x *commission.EntryKey) { x.TenantID, x.Line = "tn_a", 9 }, -1},
		{"then invoice", func(x *commission.EntryKey) { x.InvoiceID, x.Line = "inv_c", 0 }, 1},
		{"then line, as a number", func(x *commission.EntryKey) { x.Line = 10 }, 1},
		{"then party", func(x *commission.EntryKey) { x.Party, x.Kind = commission.PartyDistributor, commission.Earned }, -1},
		{"then kind", func(x *commission.EntryKey) { x.Kind = commission.Clawback }, -1},
		{"bytes, not letters", func(x *commission.EntryKey) { x.TenantID = "tn_B" }, -1},
	} {
		x := k
		tc.fn(&x)
		if got := commission.CompareKeys(x, k); got != tc.want {
			t.Errorf("%s: CompareKeys(%+v, %+v): got %d, want %d", tc.name, x, k, got, tc.want)
		}
	}
}

func TestCheckStatementKeyAndPlanUpdate(t *testing.T) {
	for _, tc := range []struct {
		reseller, month string
		c               money.Currency
		code            core.Code
	}{
		{"dist_1", "2026-11", money.USD, ""},
		{"", "2026-11", money.USD, core.Invalid},
		{"dist_1", "2026-00", money.USD, core.Invalid},
		{"dist_1", "2026-11", money.Currency{}, core.Invalid},
	} {
		err := commission.CheckStatementKey(tc.reseller, tc.month, tc.c)
		if code := core.ErrorCode(err); code != tc.code {
			t.Errorf("CheckStatementKey(%q, %q, %q): got error %v (code %q), want code %q", tc.reseller, tc.month, tc.c.Code(), err, code, tc.code)
		}
	}
	cur := commission.Plan{ID: "cpl_1", Name: "A", Level: commission.LevelPartner}
	for _, tc := range []struct {
		name string
		fn   func(p *commission.Plan)
		code core.Code
	}{
		{"name and versions may change", func(p *commission.Plan) { p.Name, p.Versions = "B", []commission.Version{{Month: "2026-01"}} }, ""},
		{"ID", func(p *commission.Plan) { p.ID = "cpl_2" }, core.Invalid},
		{"level", func(p *commission.Plan) { p.Level = commission.LevelDistributor }, core.Invalid},
		{"creation time", func(p *commission.Plan) { p.CreatedAt = p.CreatedAt.Add(1) }, core.Invalid},
	} {
		next := cur
		tc.fn(&next)
		if code := core.ErrorCode(commission.CheckPlanUpdate(cur, next)); code != tc.code {
			t.Errorf("CheckPlanUpdate, %s: got code %q, want %q", tc.name, code, tc.code)
		}
	}
}
