package atomix

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/store"
)

// Invoices: billing runs, the invoice lifecycle and summaries.
//
// A billing run for a month (RunBilling) first applies what came due on
// every subscription, then makes one invoice for each paid period that
// ends in the month (invoices are in arrears: a period is billed once it
// is over, with its subscription or proration lines and its usage lines;
// see package billing). A run may start only after the month's end plus
// the usage grace window, so no usage record can reach a period after
// its invoice was made. The store keeps one invoice per subscription and
// period start, so runs are idempotent and two runs at once, even from
// two processes over one PostgreSQL, make each invoice exactly once.

// BillingRun is the outcome of RunBilling.
type BillingRun struct {
	Month string
	// Created counts the invoices this run made; Existing those another
	// run had made already.
	Created  int
	Existing int
	// Advanced counts the subscriptions whose state moved first.
	Advanced int
	// Totals sums the invoices this run made, per currency, in minor
	// units, ordered by currency code.
	Totals []money.Money
	// InvoiceIDs are the invoices this run made.
	InvoiceIDs []string
}

// RunBilling runs billing for a month ("2026-11"): it applies what came
// due on every subscription, then makes the month's invoices, finalized
// (open; a zero total is paid at once) unless draft is true.
// Errors: core.Unauthenticated; core.Forbidden without billing:run or
// outside the platform's scope; core.Invalid naming "period";
// core.PeriodNotEnded before the month's end plus the usage grace.
func (p *Platform) RunBilling(ctx context.Context, month string, draft bool) (BillingRun, error) {
	ctx, done := p.audited(ctx, "billing.run")
	out, err := p.doRunBilling(ctx, month, draft)
	done(month, "", err)
	return out, err
}

func (p *Platform) doRunBilling(ctx context.Context, month string, draft bool) (BillingRun, error) {
	if err := needPlatform(ctx, PermBillingRun); err != nil {
		return BillingRun{}, err
	}
	start, end, err := billing.ParseMonth(month)
	if err != nil {
		return BillingRun{}, err
	}
	now := p.now.Now()
	if opens := end.Add(p.billing.UsageGrace); now.Before(opens) {
		return BillingRun{}, core.Errorf(core.PeriodNotEnded, "the billing run for %s can start at %s, once the month and its usage grace of %s are over", month, opens.Format(time.RFC3339), p.billing.UsageGrace)
	}
	out := BillingRun{Month: month}
	if out.Advanced, err = p.advanceAll(ctx); err != nil {
		return BillingRun{}, err
	}
	plans, err := p.store.ListPlans(ctx, true)
	if err != nil {
		return BillingRun{}, err
	}
	planByID := make(map[string]billing.Plan, len(plans))
	for _, pl := range plans {
		planByID[pl.ID] = pl
	}
	skus, err := p.store.ListSKUs(ctx)
	if err != nil {
		return BillingRun{}, err
	}
	totals := map[string]money.Money{}
	for after := ""; ; {
		subs, err := p.store.ScanSubscriptions(ctx, after, scanPage)
		if err != nil {
			return BillingRun{}, err
		}
		var invs []billing.Invoice
		for _, sub := range subs {
			if invs, err = p.billSubscription(ctx, sub, start, end, month, draft, planByID, skus, invs); err != nil {
				return BillingRun{}, err
			}
		}
		if err := p.storeInvoices(ctx, invs, &out, totals); err != nil {
			return BillingRun{}, err
		}
		if len(subs) < scanPage {
			break
		}
		after = subs[len(subs)-1].TenantID
	}
	for _, c := range slices.Sorted(maps.Keys(totals)) {
		out.Totals = append(out.Totals, totals[c])
	}
	return out, nil
}

// billSubscription appends to invs the invoices of one subscription's
// periods that end in the month.
func (p *Platform) billSubscription(ctx context.Context, sub billing.Subscription, start, end time.Time, month string, draft bool,
	plans map[string]billing.Plan, skus []billing.SKU, invs []billing.Invoice) ([]billing.Invoice, error) {
	periods, err := sub.BillablePeriods(start, end)
	if err != nil || len(periods) == 0 {
		return invs, err
	}
	t, err := p.store.GetTenant(ctx, sub.TenantID)
	if err != nil {
		return invs, err
	}
	for _, pd := range periods {
		last := pd.End.AddDate(0, 0, -1)
		if sub.EndedAt != nil && sub.EndedAt.Before(pd.End) {
			last = sub.EndedAt.AddDate(0, 0, -1)
		}
		pl, ok := plans[sub.PlanAt(last)]
		if !ok {
			return invs, core.Errorf(core.Internal, "subscription %s names plan %q, which is not stored", sub.ID, sub.PlanAt(last))
		}
		aggs := map[string]billing.Aggregation{}
		for _, s := range skus {
			if s.AppliesTo(pl) {
				aggs[s.Metric()] = s.Aggregation
			}
		}
		usage := map[string]int64{}
		if len(aggs) > 0 {
			if usage, err = p.store.UsageTotals(ctx, sub.TenantID, pd.Start, pd.End, aggs); err != nil {
				return invs, err
			}
		}
		now := p.now.Now()
		inv, err := billing.BuildInvoice(billing.InvoiceInput{Subscription: sub, Period: pd, Plans: plans, SKUs: skus, Usage: usage,
			OwnerID: t.OwnerID, Month: month, Now: now, DueDays: p.billing.InvoiceDueDays})
		if err != nil {
			return invs, err
		}
		if !draft {
			finalize(&inv, now)
		}
		invs = append(invs, inv)
	}
	return invs, nil
}

// storeInvoices writes a page of a run's invoices in one transaction; an
// invoice another run stored first is counted as existing.
func (p *Platform) storeInvoices(ctx context.Context, invs []billing.Invoice, out *BillingRun, totals map[string]money.Money) error {
	if len(invs) == 0 {
		return nil
	}
	made := make([]bool, len(invs))
	err := p.store.InTx(ctx, func(tx store.Store) error {
		for i, inv := range invs {
			created, err := tx.CreateInvoice(ctx, inv)
			if err != nil {
				return err
			}
			made[i] = created
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, inv := range invs {
		if !made[i] {
			out.Existing++
			continue
		}
		out.Created++
		out.InvoiceIDs = append(out.InvoiceIDs, inv.ID)
		sum := totals[inv.Currency.Code()]
		if sum.Currency.IsZero() {
			sum = money.New(0, inv.Currency)
		}
		if sum, err = sum.Add(money.New(inv.Total, inv.Currency)); err != nil {
			return err
		}
		totals[inv.Currency.Code()] = sum
	}
	return nil
}

// finalize moves a draft to open (paid at once when its total is zero).
func finalize(inv *billing.Invoice, now time.Time) {
	inv.Status, inv.FinalizedAt, inv.UpdatedAt = billing.InvoiceOpen, &now, now
	inv.DueAt = now.AddDate(0, 0, dueDays(inv))
	if inv.Total == 0 {
		inv.Status, inv.PaidAt = billing.InvoicePaid, &now
	}
}

// dueDays keeps the due period BuildInvoice gave the draft.
func dueDays(inv *billing.Invoice) int {
	d := int(inv.DueAt.Sub(inv.CreatedAt).Hours() / 24)
	return max(d, 0)
}

// InvoiceQuery selects invoices for ListInvoices.
type InvoiceQuery struct {
	TenantID string
	Month    string
	Status   billing.InvoiceStatus
	Page     core.PageRequest
}

// invoiceScope narrows f to the actor's scope: its tenant, or the owners
// of its reseller tree. ok is false when the scope cannot be written as a
// filter (a distributor with more partners than a filter holds).
func (p *Platform) invoiceScope(ctx context.Context, a access.Actor, f *billing.InvoiceFilter) (bool, error) {
	switch a.Scope.Kind {
	case access.ScopePlatform:
		return true, nil
	case access.ScopeTenant:
		f.TenantID = a.Scope.ID
		return true, nil
	case access.ScopePartner:
		f.OwnerIDs = []string{a.Scope.ID}
		return true, nil
	case access.ScopeDistributor:
		owners, ok, err := p.distributorOwners(ctx, a.Scope.ID)
		if err != nil || !ok {
			return false, err
		}
		f.OwnerIDs = owners
		return true, nil
	}
	return false, core.Errorf(core.Forbidden, "the actor has no scope")
}

// ListInvoices returns one page of the invoices the actor reaches: the
// platform all, a reseller those of its tree's tenants (by the owner when
// the invoice was made), a tenant user its tenant's.
// Errors: core.Unauthenticated; core.Forbidden without invoice:view;
// core.Invalid naming "period", "status" or the page's fields.
func (p *Platform) ListInvoices(ctx context.Context, q InvoiceQuery) (core.Page[billing.Invoice], error) {
	a, err := need(ctx, PermInvoiceView)
	if err != nil {
		return core.Page[billing.Invoice]{}, err
	}
	f := billing.InvoiceFilter{TenantID: q.TenantID, Month: q.Month}
	var fields core.Fields
	if q.Month != "" {
		if _, _, err := billing.ParseMonth(q.Month); err != nil {
			fields.Add("period", "must be a month such as \"2026-11\"")
		}
	}
	switch q.Status {
	case "":
	case billing.InvoiceDraft, billing.InvoiceOpen, billing.InvoicePaid, billing.InvoiceVoid, billing.InvoiceUncollectible:
		f.Statuses = []billing.InvoiceStatus{q.Status}
	default:
		fields.Add("status", "must be one of draft, open, paid, void, uncollectible")
	}
	req, err := q.Page.Normalize()
	if err != nil {
		var ce *core.Error
		if core.ErrorCode(err) == core.Invalid && asCore(err, &ce) {
			fields = append(fields, ce.Fields...)
		} else {
			return core.Page[billing.Invoice]{}, err
		}
	}
	if err := fields.Err(); err != nil {
		return core.Page[billing.Invoice]{}, err
	}
	if a.Scope.Kind == access.ScopeTenant && q.TenantID != "" && q.TenantID != a.Scope.ID {
		return core.NewPage(req, []billing.Invoice{}, 0), nil
	}
	ok, err := p.invoiceScope(ctx, a, &f)
	if err != nil {
		return core.Page[billing.Invoice]{}, err
	}
	if ok {
		f.Page = req
		items, total, err := p.store.ListInvoices(ctx, f)
		if err != nil {
			return core.Page[billing.Invoice]{}, err
		}
		return core.NewPage(req, items, total), nil
	}
	// The store cannot filter this scope: walk the list and keep the
	// page's share of the invoices in it.
	return scopedPage(req, p.invoicePages(ctx, f), billing.Invoice.ListKey,
		func(inv billing.Invoice) (bool, error) { return p.ownerInScope(ctx, a, inv.OwnerID) })
}

// invoicePages returns walk's list of the invoices matching f.
func (p *Platform) invoicePages(ctx context.Context, f billing.InvoiceFilter) func(*core.ListKey, core.PageRequest) ([]billing.Invoice, error) {
	return func(after *core.ListKey, pr core.PageRequest) ([]billing.Invoice, error) {
		f.After, f.Page = after, pr
		items, _, err := p.store.ListInvoices(ctx, f)
		return items, err
	}
}

// reachInvoice returns the invoice when the actor reaches it and holds
// perm.
func (p *Platform) reachInvoice(ctx context.Context, perm, id string) (access.Actor, billing.Invoice, error) {
	a, err := need(ctx, perm)
	if err != nil {
		return a, billing.Invoice{}, err
	}
	notFound := core.Errorf(core.NotFound, "invoice %q not found", id)
	if !core.ValidID(core.PrefixInvoice, id) {
		return a, billing.Invoice{}, notFound
	}
	inv, err := p.store.GetInvoice(ctx, id)
	if err != nil {
		return a, billing.Invoice{}, err
	}
	in := true
	switch a.Scope.Kind {
	case access.ScopePlatform:
	case access.ScopeTenant:
		in = inv.TenantID == a.Scope.ID
	default:
		if in, err = p.ownerInScope(ctx, a, inv.OwnerID); err != nil {
			return a, billing.Invoice{}, err
		}
	}
	if !in {
		noteOutOfScope(ctx)
		return a, billing.Invoice{}, notFound
	}
	return a, inv, nil
}

// GetInvoice returns the invoice with the ID.
// Errors: core.Unauthenticated; core.NotFound, also outside the actor's
// scope; core.Forbidden without invoice:view.
func (p *Platform) GetInvoice(ctx context.Context, id string) (billing.Invoice, error) {
	_, inv, err := p.reachInvoice(ctx, PermInvoiceView, id)
	return inv, err
}

// SetInvoiceStatus moves an invoice along its lifecycle: a draft to open
// (finalize) or void; an open invoice to paid (the external payment
// system reports it), void or uncollectible; an uncollectible one to paid
// or void. Lines and amounts never change. Paying the last overdue
// invoice returns a past_due subscription to active. Voiding a finalized
// invoice reverses its commissions, and so does marking it uncollectible
// when a reseller's commission plan says so, in the same transaction;
// paying an uncollectible invoice reinstates what was reversed.
// Errors: core.Unauthenticated; core.NotFound; core.Forbidden without
// invoice:edit or outside the platform's scope; core.InvalidTransition.
func (p *Platform) SetInvoiceStatus(ctx context.Context, id string, to billing.InvoiceStatus) (billing.Invoice, error) {
	ctx, done := p.audited(ctx, "invoice."+string(to))
	out, err := p.doSetInvoiceStatus(ctx, id, to)
	done(id, out.TenantID, err)
	return out, err
}

func (p *Platform) doSetInvoiceStatus(ctx context.Context, id string, to billing.InvoiceStatus) (billing.Invoice, error) {
	if err := needPlatform(ctx, PermInvoiceEdit); err != nil {
		return billing.Invoice{}, err
	}
	if _, _, err := p.reachInvoice(ctx, PermInvoiceEdit, id); err != nil {
		return billing.Invoice{}, err
	}
	now := p.now.Now()
	var out billing.Invoice
	err := p.store.InTx(ctx, func(tx store.Store) error {
		var err error
		var from billing.InvoiceStatus
		out, err = tx.UpdateInvoice(ctx, id, func(inv billing.Invoice) (billing.Invoice, error) {
			from = inv.Status
			if !billing.CanMove(inv.Status, to) {
				return inv, core.Errorf(core.InvalidTransition, "invoice %s is %s and cannot become %s", inv.ID, inv.Status, to)
			}
			switch to {
			case billing.InvoiceOpen:
				finalize(&inv, now)
				return inv, nil
			case billing.InvoicePaid:
				inv.PaidAt = &now
			case billing.InvoiceVoid:
				inv.VoidedAt = &now
			case billing.InvoiceUncollectible:
				inv.UncollectibleAt = &now
			}
			inv.Status, inv.UpdatedAt = to, now
			return inv, nil
		})
		switch {
		case err != nil:
			return err
		case from == billing.InvoiceUncollectible && to == billing.InvoicePaid:
			// Paid after all: clawed-back commissions are reinstated.
			return p.reinstate(ctx, tx, out, now)
		case from.Finalized() && (to == billing.InvoiceVoid || to == billing.InvoiceUncollectible):
			// The commissions of a finalized invoice are reversed in the
			// same transaction (commissions.go).
			return p.clawback(ctx, tx, out, to, now)
		}
		return nil
	})
	if err != nil {
		return billing.Invoice{}, err
	}
	if to == billing.InvoicePaid || to == billing.InvoiceVoid {
		if _, err := p.advanceTenant(ctx, out.TenantID, nil); err != nil {
			return out, err
		}
	}
	return out, nil
}

// BillingSummary is seed 001's billing summary for a month: the totals
// of the finalized invoices (open, paid, uncollectible) the actor
// reaches, by currency, by plan, by SKU and by tenant. Amounts are minor
// units of each entry's currency.
type BillingSummary struct {
	Month      string
	TenantID   string
	Invoices   int
	ByCurrency []CurrencyTotal
	ByPlan     []PlanTotal
	BySKU      []SKUTotal
	ByTenant   []TenantTotal
}

// CurrencyTotal sums invoices of one currency.
type CurrencyTotal struct {
	Currency    money.Currency
	Invoices    int
	Subtotal    int64
	Tax         int64
	Total       int64
	Paid        int64
	Outstanding int64 // open and uncollectible
}

// PlanTotal sums the subscription and proration lines of one plan.
type PlanTotal struct {
	PlanID   string
	PlanName string
	Currency money.Currency
	Amount   int64
}

// SKUTotal sums the usage lines of one SKU.
type SKUTotal struct {
	SKU      string
	Metric   string
	Currency money.Currency
	Quantity int64
	Amount   int64
}

// TenantTotal sums the invoices of one tenant in one currency.
type TenantTotal struct {
	TenantID string
	Currency money.Currency
	Invoices int
	Subtotal int64
	Tax      int64
	Total    int64
}

// BillingSummary summarises the month's finalized invoices in the actor's
// scope, for one tenant when tenantID is set.
// Errors: core.Unauthenticated; core.Forbidden without billing:view;
// core.Invalid naming "period"; core.NotFound for a tenant outside the
// scope; core.AmountOverflow.
func (p *Platform) BillingSummary(ctx context.Context, month, tenantID string) (BillingSummary, error) {
	a, err := need(ctx, PermBillingView)
	if err != nil {
		return BillingSummary{}, err
	}
	if _, _, err := billing.ParseMonth(month); err != nil {
		return BillingSummary{}, core.InvalidField("period", "must be a month such as \"2026-11\"")
	}
	if tenantID != "" {
		if _, _, err := p.reachTenant(ctx, PermBillingView, tenantID); err != nil {
			return BillingSummary{}, err
		}
	}
	f := billing.InvoiceFilter{TenantID: tenantID, Month: month,
		Statuses: []billing.InvoiceStatus{billing.InvoiceOpen, billing.InvoicePaid, billing.InvoiceUncollectible}}
	ok, err := p.invoiceScope(ctx, a, &f)
	if err != nil {
		return BillingSummary{}, err
	}
	if a.Scope.Kind == access.ScopeTenant && tenantID == "" {
		f.TenantID = a.Scope.ID
	}
	plans, err := p.store.ListPlans(ctx, true)
	if err != nil {
		return BillingSummary{}, err
	}
	names := map[string]string{}
	for _, pl := range plans {
		names[pl.ID] = pl.Name
	}
	// Keyset pages: an invoice finalized or voided during the walk moves
	// no other one across a page boundary, so each is summed once.
	sum := newSummer()
	err = walk(p.invoicePages(ctx, f), billing.Invoice.ListKey, func(inv billing.Invoice) error {
		if !ok {
			in, err := p.ownerInScope(ctx, a, inv.OwnerID)
			if err != nil || !in {
				return err
			}
		}
		return sum.add(inv)
	})
	if err != nil {
		return BillingSummary{}, err
	}
	out := sum.summary(names)
	out.Month, out.TenantID = month, tenantID
	return out, nil
}

// summer accumulates a BillingSummary with overflow-checked sums.
type summer struct {
	n        int
	currency map[string]*CurrencyTotal
	plan     map[[2]string]*PlanTotal
	sku      map[[2]string]*SKUTotal
	tenant   map[[2]string]*TenantTotal
}

func newSummer() *summer {
	return &summer{currency: map[string]*CurrencyTotal{}, plan: map[[2]string]*PlanTotal{},
		sku: map[[2]string]*SKUTotal{}, tenant: map[[2]string]*TenantTotal{}}
}

// addTo adds v to *dst, refusing an overflow.
func addTo(dst *int64, v int64) error {
	s := *dst + v
	if (v > 0 && s < *dst) || (v < 0 && s > *dst) {
		return core.Errorf(core.AmountOverflow, "a summary total overflows int64 minor units")
	}
	*dst = s
	return nil
}

func (s *summer) add(inv billing.Invoice) error {
	s.n++
	cur := inv.Currency.Code()
	ct := s.currency[cur]
	if ct == nil {
		ct = &CurrencyTotal{Currency: inv.Currency}
		s.currency[cur] = ct
	}
	ct.Invoices++
	for _, e := range []struct {
		dst *int64
		v   int64
	}{{&ct.Subtotal, inv.Subtotal}, {&ct.Tax, inv.Tax}, {&ct.Total, inv.Total}} {
		if err := addTo(e.dst, e.v); err != nil {
			return err
		}
	}
	if inv.Status == billing.InvoicePaid {
		if err := addTo(&ct.Paid, inv.Total); err != nil {
			return err
		}
	} else if err := addTo(&ct.Outstanding, inv.Total); err != nil {
		return err
	}
	tk := [2]string{inv.TenantID, cur}
	tt := s.tenant[tk]
	if tt == nil {
		tt = &TenantTotal{TenantID: inv.TenantID, Currency: inv.Currency}
		s.tenant[tk] = tt
	}
	tt.Invoices++
	for _, e := range []struct {
		dst *int64
		v   int64
	}{{&tt.Subtotal, inv.Subtotal}, {&tt.Tax, inv.Tax}, {&tt.Total, inv.Total}} {
		if err := addTo(e.dst, e.v); err != nil {
			return err
		}
	}
	for _, l := range inv.Lines {
		switch l.Kind {
		case billing.LineSubscription, billing.LineProration:
			k := [2]string{l.PlanID, cur}
			pt := s.plan[k]
			if pt == nil {
				pt = &PlanTotal{PlanID: l.PlanID, Currency: inv.Currency}
				s.plan[k] = pt
			}
			if err := addTo(&pt.Amount, l.Amount); err != nil {
				return err
			}
		case billing.LineUsage:
			k := [2]string{l.SKU, cur}
			st := s.sku[k]
			if st == nil {
				st = &SKUTotal{SKU: l.SKU, Metric: l.Metric, Currency: inv.Currency}
				s.sku[k] = st
			}
			if err := addTo(&st.Amount, l.Amount); err != nil {
				return err
			}
			if err := addTo(&st.Quantity, l.Quantity); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *summer) summary(names map[string]string) BillingSummary {
	out := BillingSummary{Invoices: s.n, ByCurrency: []CurrencyTotal{}, ByPlan: []PlanTotal{}, BySKU: []SKUTotal{}, ByTenant: []TenantTotal{}}
	for _, k := range slices.Sorted(maps.Keys(s.currency)) {
		out.ByCurrency = append(out.ByCurrency, *s.currency[k])
	}
	for _, k := range sortedPairs(s.plan) {
		pt := *s.plan[k]
		pt.PlanName = names[pt.PlanID]
		out.ByPlan = append(out.ByPlan, pt)
	}
	for _, k := range sortedPairs(s.sku) {
		out.BySKU = append(out.BySKU, *s.sku[k])
	}
	for _, k := range sortedPairs(s.tenant) {
		out.ByTenant = append(out.ByTenant, *s.tenant[k])
	}
	return out
}

func sortedPairs[V any](m map[[2]string]V) [][2]string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b [2]string) int {
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		if a[1] < b[1] {
			return -1
		}
		if a[1] > b[1] {
			return 1
		}
		return 0
	})
	return keys
}

// asCore is errors.As for *core.Error.
func asCore(err error, target **core.Error) bool { return errors.As(err, target) }
