package memory

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
)

// billingData holds the billing domain's records.
type billingData struct {
	plans map[string]billing.Plan
	skus  map[string]billing.SKU
	// subs maps a tenant ID to its subscription; subIDs a subscription ID
	// to its tenant. subOrder holds the subscriptions' keys in list order
	// (CreatedAt, then ID), subTenants their tenant IDs sorted: neither
	// changes when a subscription does, so the lists need no sorting.
	subs       map[string]billing.Subscription
	subIDs     map[string]string
	subOrder   []orderKey
	subTenants []string
	// usage maps a tenant ID to its records by idempotency key; series a
	// tenant's metric to its records, in the order stored.
	usage  map[string]map[string]billing.UsageRecord
	series map[seriesKey][]billing.UsageRecord
	marks  map[markKey]bool
	// invoices maps an invoice ID to the invoice; periods the key of the
	// exactly-once rule to the invoice's ID. invOrder holds the invoices'
	// keys in list order, invByTenant each tenant's, invKeys their
	// InvoiceKeys sorted (scan order; neither part changes).
	invoices    map[string]billing.Invoice
	periods     map[periodKey]string
	invOrder    []orderKey
	invByTenant map[string]*[]orderKey
	invKeys     []billing.InvoiceKey
}

// orderKey places a subscription or an invoice in list order: by
// creation time, then ID. key is its key in subs or invoices.
type orderKey struct {
	at      time.Time
	id, key string
}

func compareOrder(x, y orderKey) int { return cmp.Or(x.at.Compare(y.at), cmp.Compare(x.id, y.id)) }

// orderPlace gives afterIndex an orderKey's place.
func orderPlace(k orderKey) (time.Time, string) { return k.at, k.id }

type seriesKey struct{ tenant, metric string }

type markKey struct {
	tenant, metric string
	start          time.Time
	percent        int
}

type periodKey struct {
	tenant, sub string
	start       time.Time
}

func newBillingData() *billingData {
	return &billingData{
		plans:       make(map[string]billing.Plan),
		skus:        make(map[string]billing.SKU),
		subs:        make(map[string]billing.Subscription),
		subIDs:      make(map[string]string),
		usage:       make(map[string]map[string]billing.UsageRecord),
		series:      make(map[seriesKey][]billing.UsageRecord),
		marks:       make(map[markKey]bool),
		invoices:    make(map[string]billing.Invoice),
		periods:     make(map[periodKey]string),
		invByTenant: make(map[string]*[]orderKey),
	}
}

// insertOrdered inserts v into the ordered slice *s and records how to
// undo it. Undo runs backwards, so *s is then as this call left it.
func insertOrdered[T any](tx *txStore, s *[]T, v T, compare func(T, T) int) {
	i, _ := slices.BinarySearchFunc(*s, v, compare)
	*s = slices.Insert(*s, i, v)
	tx.undo = append(tx.undo, func() {
		if j, ok := slices.BinarySearchFunc(*s, v, compare); ok {
			*s = slices.Delete(*s, j, j+1)
		}
	})
}

// Times are kept as the SQL stores keep them: UTC, to the microsecond.

func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return new(utc(*t))
}

// Copies, so that nothing a caller holds aliases the store's state.

func clonePlan(p billing.Plan) billing.Plan {
	p.Prices = maps.Clone(p.Prices)
	p.Limits = maps.Clone(p.Limits)
	if p.Features != nil {
		f := make(map[string]json.RawMessage, len(p.Features))
		for k, v := range p.Features {
			f[k] = slices.Clone(v)
		}
		p.Features = f
	}
	p.CreatedAt, p.UpdatedAt = utc(p.CreatedAt), utc(p.UpdatedAt)
	return p
}

func cloneInt64Ptr(v *int64) *int64 {
	if v == nil {
		return nil
	}
	return new(*v)
}

func cloneSKU(s billing.SKU) billing.SKU {
	s.PlanIDs = slices.Clone(s.PlanIDs)
	if s.Price.Tiers != nil {
		tiers := make([]billing.Tier, len(s.Price.Tiers))
		for i, t := range s.Price.Tiers {
			t.UpTo = cloneInt64Ptr(t.UpTo)
			tiers[i] = t
		}
		s.Price.Tiers = tiers
	}
	s.CreatedAt = utc(s.CreatedAt)
	return s
}

func cloneSubscription(s billing.Subscription) billing.Subscription {
	s.Anchor, s.StartedAt = utc(s.Anchor), utc(s.StartedAt)
	s.TrialEnd, s.ConvertedAt, s.ChangeAt, s.EndedAt = utcPtr(s.TrialEnd), utcPtr(s.ConvertedAt), utcPtr(s.ChangeAt), utcPtr(s.EndedAt)
	if s.Segments != nil {
		segs := make([]billing.Segment, len(s.Segments))
		for i, sg := range s.Segments {
			segs[i] = billing.Segment{PlanID: sg.PlanID, From: utc(sg.From)}
		}
		s.Segments = segs
	}
	s.CreatedAt, s.UpdatedAt = utc(s.CreatedAt), utc(s.UpdatedAt)
	return s
}

func cloneInvoice(inv billing.Invoice) billing.Invoice {
	if inv.Lines != nil {
		lines := make([]billing.InvoiceLine, len(inv.Lines))
		for i, l := range inv.Lines {
			l.PeriodStart, l.PeriodEnd = utc(l.PeriodStart), utc(l.PeriodEnd)
			if l.Calculation != nil {
				c := *l.Calculation
				if c.Breakdown != nil {
					c.Breakdown = slices.Clone(c.Breakdown)
					for j := range c.Breakdown {
						c.Breakdown[j].To = cloneInt64Ptr(c.Breakdown[j].To)
					}
				}
				l.Calculation = &c
			}
			lines[i] = l
		}
		inv.Lines = lines
	}
	inv.PeriodStart, inv.PeriodEnd = utc(inv.PeriodStart), utc(inv.PeriodEnd)
	inv.CreatedAt, inv.DueAt, inv.UpdatedAt = utc(inv.CreatedAt), utc(inv.DueAt), utc(inv.UpdatedAt)
	inv.FinalizedAt, inv.PaidAt = utcPtr(inv.FinalizedAt), utcPtr(inv.PaidAt)
	inv.VoidedAt, inv.UncollectibleAt = utcPtr(inv.VoidedAt), utcPtr(inv.UncollectibleAt)
	return inv
}

func planNotFound(id string) error { return core.Errorf(core.NotFound, "plan %q not found", id) }

func subscriptionNotFound(tenantID string) error {
	return core.Errorf(core.NotFound, "tenant %q has no subscription", tenantID)
}

func invoiceNotFound(id string) error { return core.Errorf(core.NotFound, "invoice %q not found", id) }

// checkPlans reports core.Invalid unless every non-empty ID names a plan,
// as the SQL stores' foreign keys do.
func (b *billingData) checkPlans(ids ...string) error {
	for _, id := range ids {
		if _, ok := b.plans[id]; id != "" && !ok {
			return core.Errorf(core.Invalid, "plan %q does not exist", id)
		}
	}
	return nil
}

// The Store's billing methods: each runs under the read lock, or as a
// transaction of its own.

func readBilling[T any](ctx context.Context, s *Store, fn func(d *data) (T, error)) (T, error) {
	return readOTP(ctx, s, fn)
}

// CreatePlan implements billing.Store. Errors: core.Conflict; core.Internal
// when closed.
func (s *Store) CreatePlan(ctx context.Context, p billing.Plan) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.CreatePlan(ctx, p) })
	return err
}

// GetPlan implements billing.Store. Errors: core.NotFound; core.Internal
// when closed.
func (s *Store) GetPlan(ctx context.Context, id string) (billing.Plan, error) {
	return readBilling(ctx, s, func(d *data) (billing.Plan, error) { return d.billing.getPlan(id) })
}

// ListPlans implements billing.Store. Errors: core.Internal when closed.
func (s *Store) ListPlans(ctx context.Context, includeArchived bool) ([]billing.Plan, error) {
	return readBilling(ctx, s, func(d *data) ([]billing.Plan, error) { return d.billing.listPlans(includeArchived), nil })
}

// UpdatePlan implements billing.Store. Errors: core.NotFound; core.Invalid
// when update changes the ID or creation time; those of update;
// core.Internal when closed.
func (s *Store) UpdatePlan(ctx context.Context, id string, update func(billing.Plan) (billing.Plan, error)) (billing.Plan, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (billing.Plan, error) { return tx.UpdatePlan(ctx, id, update) })
}

// DeletePlan implements billing.Store. Errors: core.NotFound;
// core.PlanInUse; core.Internal when closed.
func (s *Store) DeletePlan(ctx context.Context, id string) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.DeletePlan(ctx, id) })
	return err
}

// CreateSKU implements billing.Store. Errors: core.SKUDuplicate;
// core.Internal when closed.
func (s *Store) CreateSKU(ctx context.Context, sku billing.SKU) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.CreateSKU(ctx, sku) })
	return err
}

// ListSKUs implements billing.Store. Errors: core.Internal when closed.
func (s *Store) ListSKUs(ctx context.Context) ([]billing.SKU, error) {
	return readBilling(ctx, s, func(d *data) ([]billing.SKU, error) { return d.billing.listSKUs(), nil })
}

// CreateSubscription implements billing.Store. Errors: core.Conflict;
// core.Invalid when a plan it names does not exist; core.Internal when
// closed.
func (s *Store) CreateSubscription(ctx context.Context, sub billing.Subscription) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.CreateSubscription(ctx, sub) })
	return err
}

// GetSubscription implements billing.Store. Errors: core.NotFound;
// core.Internal when closed.
func (s *Store) GetSubscription(ctx context.Context, tenantID string) (billing.Subscription, error) {
	return readBilling(ctx, s, func(d *data) (billing.Subscription, error) { return d.billing.getSubscription(tenantID) })
}

// UpdateSubscription implements billing.Store. Errors: core.NotFound;
// core.Invalid when update changes the ID, tenant or creation time, or
// names a plan that does not exist; those of update; core.Internal when
// closed.
func (s *Store) UpdateSubscription(ctx context.Context, tenantID string, update func(billing.Subscription) (billing.Subscription, error)) (billing.Subscription, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (billing.Subscription, error) { return tx.UpdateSubscription(ctx, tenantID, update) })
}

type subPage struct {
	items []billing.Subscription
	total int
}

// ListSubscriptions implements billing.Store. Errors: core.Invalid for a
// bad page (naming "page" for a page past the first with After) or too
// many tenant IDs; core.Internal when closed.
func (s *Store) ListSubscriptions(ctx context.Context, f billing.SubscriptionFilter) ([]billing.Subscription, int, error) {
	p, err := readBilling(ctx, s, func(d *data) (subPage, error) { return d.billing.listSubscriptions(f) })
	return p.items, p.total, err
}

// ScanSubscriptions implements billing.Store. Errors: core.Invalid for a
// limit outside 1..billing.MaxScanLimit; core.Internal when closed.
func (s *Store) ScanSubscriptions(ctx context.Context, afterTenantID string, limit int) ([]billing.Subscription, error) {
	return readBilling(ctx, s, func(d *data) ([]billing.Subscription, error) {
		return d.billing.scanSubscriptions(afterTenantID, limit)
	})
}

// InsertUsage implements billing.Store. Errors: core.Internal when closed.
func (s *Store) InsertUsage(ctx context.Context, recs []billing.UsageRecord) ([]bool, error) {
	return writeIdentity(ctx, s, func(tx *txStore) ([]bool, error) { return tx.InsertUsage(ctx, recs) })
}

// UsageTotals implements billing.Store. Errors: core.Invalid for an
// unknown aggregation; core.Internal when closed.
func (s *Store) UsageTotals(ctx context.Context, tenantID string, from, to time.Time, aggs map[string]billing.Aggregation) (map[string]int64, error) {
	return readBilling(ctx, s, func(d *data) (map[string]int64, error) { return d.billing.usageTotals(tenantID, from, to, aggs) })
}

// MarkThreshold implements billing.Store. Errors: core.Internal when
// closed.
func (s *Store) MarkThreshold(ctx context.Context, tenantID, metric string, periodStart time.Time, percent int) (bool, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (bool, error) { return tx.MarkThreshold(ctx, tenantID, metric, periodStart, percent) })
}

// CreateInvoice implements billing.Store. Errors: core.Conflict;
// core.Internal when closed.
func (s *Store) CreateInvoice(ctx context.Context, inv billing.Invoice) (bool, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (bool, error) { return tx.CreateInvoice(ctx, inv) })
}

// GetInvoice implements billing.Store. Errors: core.NotFound;
// core.Internal when closed.
func (s *Store) GetInvoice(ctx context.Context, id string) (billing.Invoice, error) {
	return readBilling(ctx, s, func(d *data) (billing.Invoice, error) { return d.billing.getInvoice(id) })
}

// UpdateInvoice implements billing.Store. Errors: core.NotFound;
// core.Invalid when update changes the ID, tenant, creation time or
// period; those of update; core.Internal when closed.
func (s *Store) UpdateInvoice(ctx context.Context, id string, update func(billing.Invoice) (billing.Invoice, error)) (billing.Invoice, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (billing.Invoice, error) { return tx.UpdateInvoice(ctx, id, update) })
}

type invoicePage struct {
	items []billing.Invoice
	total int
}

// ListInvoices implements billing.Store. Errors: core.Invalid for a bad
// page (naming "page" for a page past the first with After) or too many
// owner IDs; core.Internal when closed.
func (s *Store) ListInvoices(ctx context.Context, f billing.InvoiceFilter) ([]billing.Invoice, int, error) {
	p, err := readBilling(ctx, s, func(d *data) (invoicePage, error) { return d.billing.listInvoices(f) })
	return p.items, p.total, err
}

// ScanInvoices implements billing.Store. Errors: core.Invalid for a
// limit outside 1..billing.MaxScanLimit; core.Internal when closed.
func (s *Store) ScanInvoices(ctx context.Context, month string, after billing.InvoiceKey, limit int) ([]billing.Invoice, error) {
	return readBilling(ctx, s, func(d *data) ([]billing.Invoice, error) { return d.billing.scanInvoices(month, after, limit) })
}

// Reads.

func (b *billingData) getPlan(id string) (billing.Plan, error) {
	p, ok := b.plans[id]
	if !ok {
		return billing.Plan{}, planNotFound(id)
	}
	return clonePlan(p), nil
}

func (b *billingData) listPlans(includeArchived bool) []billing.Plan {
	out := make([]billing.Plan, 0, len(b.plans))
	for _, p := range b.plans {
		if includeArchived || p.Status == billing.PlanActive {
			out = append(out, clonePlan(p))
		}
	}
	slices.SortFunc(out, func(x, y billing.Plan) int {
		return cmp.Or(x.CreatedAt.Compare(y.CreatedAt), cmp.Compare(x.ID, y.ID))
	})
	return out
}

func (b *billingData) listSKUs() []billing.SKU {
	out := make([]billing.SKU, 0, len(b.skus))
	for _, s := range b.skus {
		out = append(out, cloneSKU(s))
	}
	slices.SortFunc(out, func(x, y billing.SKU) int {
		return cmp.Or(x.CreatedAt.Compare(y.CreatedAt), cmp.Compare(x.Code, y.Code))
	})
	return out
}

func (b *billingData) getSubscription(tenantID string) (billing.Subscription, error) {
	s, ok := b.subs[tenantID]
	if !ok {
		return billing.Subscription{}, subscriptionNotFound(tenantID)
	}
	return cloneSubscription(s), nil
}

func (b *billingData) listSubscriptions(f billing.SubscriptionFilter) (subPage, error) {
	pr, err := f.Page.Normalize()
	if err != nil {
		return subPage{}, err
	}
	if err := core.CheckAfter(f.After, f.Page); err != nil {
		return subPage{}, err
	}
	if len(f.TenantIDs) > billing.MaxFilterIDs {
		return subPage{}, core.InvalidField("tenantIds", "may name at most %d IDs", billing.MaxFilterIDs)
	}
	order := b.subOrder
	if len(f.TenantIDs) > 0 {
		order = make([]orderKey, 0, len(f.TenantIDs))
		for _, id := range f.TenantIDs {
			if s, ok := b.subs[id]; ok && !slices.ContainsFunc(order, func(k orderKey) bool { return k.key == id }) {
				order = append(order, orderKey{s.CreatedAt, s.ID, id})
			}
		}
		slices.SortFunc(order, compareOrder)
	}
	// With After, the page starts at the first key past it (the keys
	// hold stored, microsecond times) and the total counts every match.
	off, end := pr.Offset(), pr.Offset()+pr.Limit
	from := 0
	if f.After != nil {
		from = afterIndex(order, *f.After, orderPlace)
	}
	out := []billing.Subscription{}
	total, matched := 0, 0
	for j, k := range order {
		s := b.subs[k.key]
		if (len(f.Statuses) == 0 || slices.Contains(f.Statuses, s.Status)) && (f.PlanID == "" || s.PlanID == f.PlanID) {
			if j >= from {
				if matched >= off && matched < end {
					out = append(out, cloneSubscription(s))
				}
				matched++
			}
			total++
		}
	}
	return subPage{out, total}, nil
}

func (b *billingData) scanSubscriptions(afterTenantID string, limit int) ([]billing.Subscription, error) {
	if err := billing.CheckScanLimit(limit); err != nil {
		return nil, err
	}
	i, found := slices.BinarySearch(b.subTenants, afterTenantID)
	if found {
		i++
	}
	ids := b.subTenants[i:min(i+limit, len(b.subTenants))]
	out := make([]billing.Subscription, len(ids))
	for j, id := range ids {
		out[j] = cloneSubscription(b.subs[id])
	}
	return out, nil
}

func (b *billingData) usageTotals(tenantID string, from, to time.Time, aggs map[string]billing.Aggregation) (map[string]int64, error) {
	out := make(map[string]int64, len(aggs))
	for m, a := range aggs {
		if !a.Valid() {
			return nil, core.Errorf(core.Invalid, "metric %q: unknown aggregation %q", m, a)
		}
		out[m] = 0
	}
	from, to = utc(from), utc(to)
	type last struct {
		ts  time.Time
		key string
		ok  bool
	}
	for m, a := range aggs {
		var l last
		var subjects map[string]bool
		for _, r := range b.series[seriesKey{tenantID, m}] {
			if r.Timestamp.Before(from) || !r.Timestamp.Before(to) {
				continue
			}
			switch a {
			case billing.AggSum:
				out[m] += r.Quantity
			case billing.AggCount:
				out[m]++
			case billing.AggMax:
				if !l.ok || r.Quantity > out[m] {
					out[m] = r.Quantity
					l.ok = true
				}
			case billing.AggLast:
				if !l.ok || cmp.Or(r.Timestamp.Compare(l.ts), cmp.Compare(r.IdempotencyKey, l.key)) > 0 {
					l = last{r.Timestamp, r.IdempotencyKey, true}
					out[m] = r.Quantity
				}
			case billing.AggUnique:
				if r.Subject == "" || subjects[r.Subject] {
					continue
				}
				if subjects == nil {
					subjects = map[string]bool{}
				}
				subjects[r.Subject] = true
				out[m]++
			}
		}
	}
	return out, nil
}

func (b *billingData) getInvoice(id string) (billing.Invoice, error) {
	inv, ok := b.invoices[id]
	if !ok {
		return billing.Invoice{}, invoiceNotFound(id)
	}
	return cloneInvoice(inv), nil
}

func (b *billingData) listInvoices(f billing.InvoiceFilter) (invoicePage, error) {
	pr, err := f.Page.Normalize()
	if err != nil {
		return invoicePage{}, err
	}
	if err := core.CheckAfter(f.After, f.Page); err != nil {
		return invoicePage{}, err
	}
	if len(f.OwnerIDs) > billing.MaxFilterIDs {
		return invoicePage{}, core.InvalidField("ownerIds", "may name at most %d IDs", billing.MaxFilterIDs)
	}
	order := b.invOrder
	if f.TenantID != "" {
		order = nil
		if o := b.invByTenant[f.TenantID]; o != nil {
			order = *o
		}
	}
	dueBefore := utc(f.DueBefore)
	// With After, the page starts at the first key past it (the keys
	// hold stored, microsecond times) and the total counts every match.
	off, end := pr.Offset(), pr.Offset()+pr.Limit
	from := 0
	if f.After != nil {
		from = afterIndex(order, *f.After, orderPlace)
	}
	out := []billing.Invoice{}
	total, matched := 0, 0
	for j, k := range order {
		inv := b.invoices[k.key]
		if (len(f.OwnerIDs) == 0 || slices.Contains(f.OwnerIDs, inv.OwnerID)) && (f.Month == "" || inv.Month == f.Month) &&
			(len(f.Statuses) == 0 || slices.Contains(f.Statuses, inv.Status)) && (f.DueBefore.IsZero() || inv.DueAt.Before(dueBefore)) {
			if j >= from {
				if matched >= off && matched < end {
					out = append(out, cloneInvoice(inv))
				}
				matched++
			}
			total++
		}
	}
	return invoicePage{out, total}, nil
}

func compareInvoiceKeys(x, y billing.InvoiceKey) int {
	return cmp.Or(cmp.Compare(x.TenantID, y.TenantID), cmp.Compare(x.ID, y.ID))
}

// scanInvoices walks invKeys from after, keeping the month's invoices.
func (b *billingData) scanInvoices(month string, after billing.InvoiceKey, limit int) ([]billing.Invoice, error) {
	if err := billing.CheckScanLimit(limit); err != nil {
		return nil, err
	}
	i, found := slices.BinarySearchFunc(b.invKeys, after, compareInvoiceKeys)
	if found {
		i++
	}
	out := []billing.Invoice{}
	for _, k := range b.invKeys[i:] {
		if len(out) == limit {
			break
		}
		if inv := b.invoices[k.ID]; inv.Month == month {
			out = append(out, cloneInvoice(inv))
		}
	}
	return out, nil
}

// The transaction's billing methods. Each holds tx.mu while it touches the
// data; the updaters run without it, so that they may read through tx.

func (tx *txStore) CreatePlan(ctx context.Context, p billing.Plan) error {
	_, err := withinOTP(ctx, tx, func(d *data) (struct{}, error) {
		if _, ok := d.billing.plans[p.ID]; ok {
			return struct{}{}, core.Errorf(core.Conflict, "plan %s already exists", p.ID)
		}
		put(tx, d.billing.plans, p.ID, clonePlan(p))
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) GetPlan(ctx context.Context, id string) (billing.Plan, error) {
	return withinOTP(ctx, tx, func(d *data) (billing.Plan, error) { return d.billing.getPlan(id) })
}

func (tx *txStore) ListPlans(ctx context.Context, includeArchived bool) ([]billing.Plan, error) {
	return withinOTP(ctx, tx, func(d *data) ([]billing.Plan, error) { return d.billing.listPlans(includeArchived), nil })
}

func (tx *txStore) UpdatePlan(ctx context.Context, id string, update func(billing.Plan) (billing.Plan, error)) (billing.Plan, error) {
	cur, err := tx.GetPlan(ctx, id)
	if err != nil {
		return billing.Plan{}, err
	}
	// The store's write lock, held by this transaction, keeps every other
	// writer out while update runs.
	next, err := core.Apply(cur, update, billing.CheckPlanUpdate)
	if err != nil {
		return billing.Plan{}, err
	}
	return withinOTP(ctx, tx, func(d *data) (billing.Plan, error) {
		if _, ok := d.billing.plans[id]; !ok {
			return billing.Plan{}, planNotFound(id)
		}
		next = clonePlan(next)
		next.CreatedAt = cur.CreatedAt
		put(tx, d.billing.plans, id, next)
		return clonePlan(next), nil
	})
}

func (tx *txStore) DeletePlan(ctx context.Context, id string) error {
	_, err := withinOTP(ctx, tx, func(d *data) (struct{}, error) {
		b := d.billing
		if _, ok := b.plans[id]; !ok {
			return struct{}{}, planNotFound(id)
		}
		inUse := func() bool {
			for _, s := range b.subs {
				if s.PlanID == id || s.PendingPlanID == id {
					return true
				}
			}
			for _, r := range d.tenants {
				if r.t.PlanID == id && !r.t.Deleted() {
					return true
				}
			}
			return false
		}
		if inUse() {
			return struct{}{}, core.Errorf(core.PlanInUse, "plan %s is in use by a tenant or a subscription; archive it instead", id)
		}
		del(tx, b.plans, id)
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) CreateSKU(ctx context.Context, sku billing.SKU) error {
	_, err := withinOTP(ctx, tx, func(d *data) (struct{}, error) {
		if _, ok := d.billing.skus[sku.Code]; ok {
			return struct{}{}, core.Errorf(core.SKUDuplicate, "SKU %q already exists", sku.Code)
		}
		put(tx, d.billing.skus, sku.Code, cloneSKU(sku))
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) ListSKUs(ctx context.Context) ([]billing.SKU, error) {
	return withinOTP(ctx, tx, func(d *data) ([]billing.SKU, error) { return d.billing.listSKUs(), nil })
}

func (tx *txStore) CreateSubscription(ctx context.Context, sub billing.Subscription) error {
	_, err := withinOTP(ctx, tx, func(d *data) (struct{}, error) {
		b := d.billing
		if err := b.checkPlans(sub.PlanID, sub.PendingPlanID); err != nil {
			return struct{}{}, err
		}
		_, had := b.subs[sub.TenantID]
		_, taken := b.subIDs[sub.ID]
		if had || taken {
			return struct{}{}, core.Errorf(core.Conflict, "tenant %s has a subscription, or the ID %s is taken", sub.TenantID, sub.ID)
		}
		sub = cloneSubscription(sub)
		put(tx, b.subs, sub.TenantID, sub)
		put(tx, b.subIDs, sub.ID, sub.TenantID)
		insertOrdered(tx, &b.subOrder, orderKey{sub.CreatedAt, sub.ID, sub.TenantID}, compareOrder)
		insertOrdered(tx, &b.subTenants, sub.TenantID, cmp.Compare[string])
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) GetSubscription(ctx context.Context, tenantID string) (billing.Subscription, error) {
	return withinOTP(ctx, tx, func(d *data) (billing.Subscription, error) { return d.billing.getSubscription(tenantID) })
}

func (tx *txStore) UpdateSubscription(ctx context.Context, tenantID string, update func(billing.Subscription) (billing.Subscription, error)) (billing.Subscription, error) {
	cur, err := tx.GetSubscription(ctx, tenantID)
	if err != nil {
		return billing.Subscription{}, err
	}
	next, err := core.Apply(cur, update, billing.CheckSubscriptionUpdate)
	if err != nil {
		return billing.Subscription{}, err
	}
	return withinOTP(ctx, tx, func(d *data) (billing.Subscription, error) {
		b := d.billing
		if _, ok := b.subs[tenantID]; !ok {
			return billing.Subscription{}, subscriptionNotFound(tenantID)
		}
		if err := b.checkPlans(next.PlanID, next.PendingPlanID); err != nil {
			return billing.Subscription{}, err
		}
		next = cloneSubscription(next)
		next.CreatedAt = cur.CreatedAt
		put(tx, b.subs, tenantID, next)
		return cloneSubscription(next), nil
	})
}

func (tx *txStore) ListSubscriptions(ctx context.Context, f billing.SubscriptionFilter) ([]billing.Subscription, int, error) {
	p, err := withinOTP(ctx, tx, func(d *data) (subPage, error) { return d.billing.listSubscriptions(f) })
	return p.items, p.total, err
}

func (tx *txStore) ScanSubscriptions(ctx context.Context, afterTenantID string, limit int) ([]billing.Subscription, error) {
	return withinOTP(ctx, tx, func(d *data) ([]billing.Subscription, error) {
		return d.billing.scanSubscriptions(afterTenantID, limit)
	})
}

func (tx *txStore) InsertUsage(ctx context.Context, recs []billing.UsageRecord) ([]bool, error) {
	return withinOTP(ctx, tx, func(d *data) ([]bool, error) {
		out := make([]bool, len(recs))
		for i, r := range recs {
			m := d.billing.usage[r.TenantID]
			if m == nil {
				m = make(map[string]billing.UsageRecord)
				d.billing.usage[r.TenantID] = m
			}
			if _, dup := m[r.IdempotencyKey]; dup {
				continue
			}
			r.Timestamp, r.ReceivedAt = utc(r.Timestamp), utc(r.ReceivedAt)
			put(tx, m, r.IdempotencyKey, r)
			k := seriesKey{r.TenantID, r.Metric}
			old := d.billing.series[k]
			put(tx, d.billing.series, k, append(old, r))
			out[i] = true
		}
		return out, nil
	})
}

func (tx *txStore) UsageTotals(ctx context.Context, tenantID string, from, to time.Time, aggs map[string]billing.Aggregation) (map[string]int64, error) {
	return withinOTP(ctx, tx, func(d *data) (map[string]int64, error) { return d.billing.usageTotals(tenantID, from, to, aggs) })
}

func (tx *txStore) MarkThreshold(ctx context.Context, tenantID, metric string, periodStart time.Time, percent int) (bool, error) {
	return withinOTP(ctx, tx, func(d *data) (bool, error) {
		k := markKey{tenantID, metric, utc(periodStart), percent}
		if d.billing.marks[k] {
			return false, nil
		}
		put(tx, d.billing.marks, k, true)
		return true, nil
	})
}

func (tx *txStore) CreateInvoice(ctx context.Context, inv billing.Invoice) (bool, error) {
	return withinOTP(ctx, tx, func(d *data) (bool, error) {
		b := d.billing
		k := periodKey{inv.TenantID, inv.SubscriptionID, utc(inv.PeriodStart)}
		if _, ok := b.periods[k]; ok {
			return false, nil
		}
		if _, ok := b.invoices[inv.ID]; ok {
			return false, core.Errorf(core.Conflict, "invoice %s already exists", inv.ID)
		}
		inv = cloneInvoice(inv)
		put(tx, b.invoices, inv.ID, inv)
		put(tx, b.periods, k, inv.ID)
		ok := orderKey{inv.CreatedAt, inv.ID, inv.ID}
		insertOrdered(tx, &b.invOrder, ok, compareOrder)
		byTenant := b.invByTenant[inv.TenantID]
		if byTenant == nil {
			byTenant = new([]orderKey)
			b.invByTenant[inv.TenantID] = byTenant
		}
		insertOrdered(tx, byTenant, ok, compareOrder)
		insertOrdered(tx, &b.invKeys, inv.Key(), compareInvoiceKeys)
		return true, nil
	})
}

func (tx *txStore) GetInvoice(ctx context.Context, id string) (billing.Invoice, error) {
	return withinOTP(ctx, tx, func(d *data) (billing.Invoice, error) { return d.billing.getInvoice(id) })
}

func (tx *txStore) UpdateInvoice(ctx context.Context, id string, update func(billing.Invoice) (billing.Invoice, error)) (billing.Invoice, error) {
	cur, err := tx.GetInvoice(ctx, id)
	if err != nil {
		return billing.Invoice{}, err
	}
	next, err := core.Apply(cur, update, billing.CheckInvoiceUpdate)
	if err != nil {
		return billing.Invoice{}, err
	}
	return withinOTP(ctx, tx, func(d *data) (billing.Invoice, error) {
		if _, ok := d.billing.invoices[id]; !ok {
			return billing.Invoice{}, invoiceNotFound(id)
		}
		next = cloneInvoice(next)
		// The subscription and the period are the invoice's place in the
		// exactly-once key: they stay.
		next.CreatedAt, next.PeriodStart, next.PeriodEnd, next.SubscriptionID = cur.CreatedAt, cur.PeriodStart, cur.PeriodEnd, cur.SubscriptionID
		put(tx, d.billing.invoices, id, next)
		return cloneInvoice(next), nil
	})
}

func (tx *txStore) ListInvoices(ctx context.Context, f billing.InvoiceFilter) ([]billing.Invoice, int, error) {
	p, err := withinOTP(ctx, tx, func(d *data) (invoicePage, error) { return d.billing.listInvoices(f) })
	return p.items, p.total, err
}

func (tx *txStore) ScanInvoices(ctx context.Context, month string, after billing.InvoiceKey, limit int) ([]billing.Invoice, error) {
	return withinOTP(ctx, tx, func(d *data) ([]billing.Invoice, error) { return d.billing.scanInvoices(month, after, limit) })
}
