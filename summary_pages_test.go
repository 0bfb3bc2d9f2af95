package atomix_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

// pagedInvoices is how many invoices seedPagedInvoices stores: by i%8,
// 0, 1, 4 open, 2, 5 paid, 7 uncollectible (240 in a summary: three
// pages of core.MaxLimit), 3 draft and 6 void (not summed).
const pagedInvoices = 320

// pagedStatus returns the status of invoice i of seedPagedInvoices.
func pagedStatus(i int) billing.InvoiceStatus {
	switch i % 8 {
	case 2, 5:
		return billing.InvoicePaid
	case 7:
		return billing.InvoiceUncollectible
	case 3:
		return billing.InvoiceDraft
	case 6:
		return billing.InvoiceVoid
	}
	return billing.InvoiceOpen
}

// pagedOwner returns the owner of invoice i of seedPagedInvoices: by i%4,
// a partner of dist, dist, another distributor, the platform.
func pagedOwner(i int, dist string) string {
	switch i % 4 {
	case 0:
		return fmt.Sprintf("prt_sum%04d", i%(tenant.MaxOwnerIDs))
	case 1:
		return dist
	case 2:
		return "dist_other"
	}
	return ""
}

// seedPagedInvoices stores pagedInvoices invoices of April 2026 in st,
// invoice i "inv_sum<i>" of tenant "tn_sum<i%4>" on plan_metered: a
// subscription line of 8.00 and 10 API calls for 2.00, tax 1.80, total
// 11.80 USD. Four share each creation time (the ID orders them), so the
// list order is i's.
func seedPagedInvoices(t *testing.T, st store.Store, dist string) {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, time.April, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	base := end.Add(time.Hour)
	for i := range pagedInvoices {
		at := base.Add(time.Duration(i/4) * time.Second)
		inv := billing.Invoice{ID: fmt.Sprintf("inv_sum%05d", i), TenantID: fmt.Sprintf("tn_sum%d", i%4), SubscriptionID: fmt.Sprintf("sub_sum%05d", i),
			PlanID: "plan_metered", OwnerID: pagedOwner(i, dist), Status: pagedStatus(i), Currency: money.USD, Month: "2026-04",
			PeriodStart: start, PeriodEnd: end, Lines: []billing.InvoiceLine{
				{Kind: billing.LineSubscription, PlanID: "plan_metered", PeriodStart: start, PeriodEnd: end, Quantity: 1, Amount: 800},
				{Kind: billing.LineUsage, SKU: "api_calls", Metric: "api_calls", PeriodStart: start, PeriodEnd: end, Quantity: 10, Amount: 200},
			},
			Subtotal: 1000, TaxRateBP: 1800, Tax: 180, Total: 1180, CreatedAt: at, DueAt: at.AddDate(0, 0, 14), UpdatedAt: at}
		if inv.Status != billing.InvoiceDraft {
			inv.FinalizedAt = &at
		}
		if ok, err := st.CreateInvoice(ctx, inv); err != nil || !ok {
			t.Fatalf("CreateInvoice(%s): got %t, %v, want true, nil", inv.ID, ok, err)
		}
	}
}

// pagedSummary is the summary of seedPagedInvoices, by hand: 240 invoices
// (120 open, 80 paid, 40 uncollectible) of 10.00 + 1.80 tax; tenants 0
// and 1 have 80 of them, 2 and 3 40 (their residues 6 and 3 are void and
// draft).
var pagedSummary = atomix.BillingSummary{Month: "2026-04", Invoices: 240,
	ByCurrency: []atomix.CurrencyTotal{{Currency: money.USD, Invoices: 240, Subtotal: 240_000, Tax: 43_200, Total: 283_200, Paid: 94_400, Outstanding: 188_800}},
	ByPlan:     []atomix.PlanTotal{{PlanID: "plan_metered", PlanName: "Metered", Currency: money.USD, Amount: 192_000}},
	BySKU:      []atomix.SKUTotal{{SKU: "api_calls", Metric: "api_calls", Currency: money.USD, Quantity: 2400, Amount: 48_000}},
	ByTenant: []atomix.TenantTotal{
		{TenantID: "tn_sum0", Currency: money.USD, Invoices: 80, Subtotal: 80_000, Tax: 14_400, Total: 94_400},
		{TenantID: "tn_sum1", Currency: money.USD, Invoices: 80, Subtotal: 80_000, Tax: 14_400, Total: 94_400},
		{TenantID: "tn_sum2", Currency: money.USD, Invoices: 40, Subtotal: 40_000, Tax: 7_200, Total: 47_200},
		{TenantID: "tn_sum3", Currency: money.USD, Invoices: 40, Subtotal: 40_000, Tax: 7_200, Total: 47_200},
	},
}

var currencyByCode = cmp.Comparer(func(a, b money.Currency) bool { return a == b })

func setInvoiceStatus(id string, st billing.InvoiceStatus) func(ctx context.Context, s store.Store) error {
	return func(ctx context.Context, s store.Store) error {
		_, err := s.UpdateInvoice(ctx, id, func(inv billing.Invoice) (billing.Invoice, error) {
			inv.Status = st
			return inv, nil
		})
		return err
	}
}

// TestBillingSummaryPages sums a month of three pages of invoices: each
// invoice once, also when, between two pages, an invoice before the
// walk's place is finalized (offset pages summed the one at the page
// boundary twice: 241 invoices) or voided (offset pages skipped one:
// 239). An invoice finalized behind the walk is not in the summary; one
// voided behind it was summed while open.
func TestBillingSummaryPages(t *testing.T) {
	st := newWalkStore(t)
	p, _, _ := billPlatform(t, st)
	seedPagedInvoices(t, st.Store, "dist_sum")
	for _, tc := range []struct {
		name   string
		change func(ctx context.Context, st store.Store) error
	}{
		{"nothing changes", nil},
		{"a draft before the walk is finalized", setInvoiceStatus("inv_sum00003", billing.InvoiceOpen)},
		{"an open invoice before the walk is voided", setInvoiceStatus("inv_sum00000", billing.InvoiceVoid)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Each case starts from the seeded statuses.
			for _, i := range []int{0, 3} {
				id := fmt.Sprintf("inv_sum%05d", i)
				if err := setInvoiceStatus(id, pagedStatus(i))(t.Context(), st.Store); err != nil {
					t.Fatalf("reset %s: %v", id, err)
				}
			}
			st.arm("invoices", tc.change)
			got, err := p.BillingSummary(sys(), "2026-04", "")
			if err != nil {
				t.Fatalf("BillingSummary: got error %v, want nil", err)
			}
			if st.err != nil {
				t.Fatalf("the change between pages: %v", st.err)
			}
			if n := st.pages("invoices"); n < 3 {
				t.Errorf("pages read: got %d, want at least 3", n)
			}
			if diff := cmp.Diff(pagedSummary, got, currencyByCode); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}

// TestListInvoicesDistributorBeyondOwnerFilter lists the invoices of a
// distributor with more partners than a store filter takes
// (tenant.MaxOwnerIDs), which the platform walks and filters itself: the
// pages are the in-scope invoices' in list order, the total their count;
// the distributor's summary sums them once each.
func TestListInvoicesDistributorBeyondOwnerFilter(t *testing.T) {
	st := memory.New()
	p, _, _ := billPlatform(t, st)
	ctx := context.Background()
	const dist = "dist_sum"
	now := time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)
	contact := tenant.Contact{Name: "Dana", Email: "dana@dist.example.com"}
	if err := st.CreateReseller(ctx, reseller.Reseller{ID: dist, Kind: reseller.KindDistributor, Name: "Dist", Contact: contact,
		Status: reseller.StatusActive, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatalf("CreateReseller(%s): %v", dist, err)
	}
	for i := range tenant.MaxOwnerIDs {
		id := fmt.Sprintf("prt_sum%04d", i)
		if err := st.CreateReseller(ctx, reseller.Reseller{ID: id, Kind: reseller.KindPartner, DistributorID: dist, Name: "Partner " + id,
			Contact: contact, Status: reseller.StatusActive, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatalf("CreateReseller(%s): %v", id, err)
		}
	}
	seedPagedInvoices(t, st, dist)
	// In scope: owners of residues 0 (a partner of dist) and 1 (dist).
	var inScope []string
	for i := range pagedInvoices {
		if i%4 <= 1 {
			inScope = append(inScope, fmt.Sprintf("inv_sum%05d", i))
		}
	}
	as := ctxAs(access.Actor{Kind: access.ActorUser, ID: "usr_dist", Scope: access.Scope{Kind: access.ScopeDistributor, ID: dist},
		Perms: access.MustCompile("invoice:view", "billing:view")})
	for _, tc := range []struct {
		page core.PageRequest
		want []string
	}{
		{core.PageRequest{}, inScope[:20]},
		{core.PageRequest{Page: 2, Limit: 50}, inScope[50:100]},
		{core.PageRequest{Page: 2, Limit: core.MaxLimit}, inScope[100:160]},
		{core.PageRequest{Page: 4, Limit: 50}, inScope[150:]},
		{core.PageRequest{Page: 5, Limit: 50}, []string{}},
	} {
		got, err := p.ListInvoices(as, atomix.InvoiceQuery{Month: "2026-04", Page: tc.page})
		if err != nil {
			t.Fatalf("ListInvoices(%+v): got error %v, want nil", tc.page, err)
		}
		ids := []string{}
		for _, inv := range got.Items {
			ids = append(ids, inv.ID)
		}
		if !cmp.Equal(ids, tc.want) || got.Total != len(inScope) {
			t.Errorf("ListInvoices(%+v): got %v (total %d), want %v (total %d)", tc.page, ids, got.Total, tc.want, len(inScope))
		}
	}
	// By hand: residues 0, 1, 4, 5 of 8 (open, open, open, paid), 40 of
	// each: 160 invoices, 40 paid; tenants 0 and 1, 80 each.
	got, err := p.BillingSummary(as, "2026-04", "")
	if err != nil {
		t.Fatalf("BillingSummary: got error %v, want nil", err)
	}
	want := atomix.BillingSummary{Month: "2026-04", Invoices: 160,
		ByCurrency: []atomix.CurrencyTotal{{Currency: money.USD, Invoices: 160, Subtotal: 160_000, Tax: 28_800, Total: 188_800, Paid: 47_200, Outstanding: 141_600}},
		ByPlan:     []atomix.PlanTotal{{PlanID: "plan_metered", PlanName: "Metered", Currency: money.USD, Amount: 128_000}},
		BySKU:      []atomix.SKUTotal{{SKU: "api_calls", Metric: "api_calls", Currency: money.USD, Quantity: 1600, Amount: 32_000}},
		ByTenant: []atomix.TenantTotal{
			{TenantID: "tn_sum0", Currency: money.USD, Invoices: 80, Subtotal: 80_000, Tax: 14_400, Total: 94_400},
			{TenantID: "tn_sum1", Currency: money.USD, Invoices: 80, Subtotal: 80_000, Tax: 14_400, Total: 94_400},
		},
	}
	if diff := cmp.Diff(want, got, currencyByCode); diff != "" {
		t.Errorf("distributor's summary (-want +got):\n%s", diff)
	}
}
