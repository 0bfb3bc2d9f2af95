package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// Billing (migrations 20260501000001_billing, 20260510000001_billing_due
// and 20260525000001_invoices_month_key): plans and SKUs, and each
// tenant's subscription, usage records, threshold marks and invoices.

type planRow struct {
	bun.BaseModel `bun:"table:plans,alias:pl"`

	ID          string    `bun:"id,pk"`
	Name        string    `bun:"name,notnull"`
	Description string    `bun:"description,notnull"`
	Currency    string    `bun:"currency,notnull"`
	Prices      string    `bun:"prices,notnull"`
	TrialDays   int64     `bun:"trial_days,notnull"`
	Limits      string    `bun:"limits,notnull"`
	Features    string    `bun:"features,notnull"`
	IsPopular   bool      `bun:"is_popular,notnull"`
	Status      string    `bun:"status,notnull"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
	UpdatedAt   time.Time `bun:"updated_at,notnull"`
}

type skuRow struct {
	bun.BaseModel `bun:"table:skus,alias:sk"`

	Code           string    `bun:"code,pk"`
	Name           string    `bun:"name,notnull"`
	Aggregation    string    `bun:"aggregation,notnull"`
	Price          string    `bun:"price,notnull"`
	PlanIDs        string    `bun:"plan_ids,notnull"`
	Commissionable bool      `bun:"commissionable,notnull"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
}

type subscriptionRow struct {
	bun.BaseModel `bun:"table:subscriptions,alias:sb"`

	TenantID          string     `bun:"tenant_id,pk"`
	ID                string     `bun:"id,notnull"`
	PlanID            string     `bun:"plan_id,notnull"`
	Status            string     `bun:"status,notnull"`
	Interval          string     `bun:"billing_interval,notnull"`
	Anchor            time.Time  `bun:"anchor,notnull"`
	StartedAt         time.Time  `bun:"started_at,notnull"`
	TrialEnd          *time.Time `bun:"trial_end"`
	ConvertedAt       *time.Time `bun:"converted_at"`
	CancelAtPeriodEnd bool       `bun:"cancel_at_period_end,notnull"`
	PendingPlanID     string     `bun:"pending_plan_id,nullzero"`
	ChangeAt          *time.Time `bun:"change_at"`
	EndedAt           *time.Time `bun:"ended_at"`
	Segments          string     `bun:"segments,notnull"`
	TaxRateBP         int64      `bun:"tax_rate_bp,notnull"`
	CreatedAt         time.Time  `bun:"created_at,notnull"`
	UpdatedAt         time.Time  `bun:"updated_at,notnull"`

	Total int64 `bun:"total,scanonly"`
}

type thresholdRow struct {
	bun.BaseModel `bun:"table:threshold_marks,alias:tm"`

	TenantID    string    `bun:"tenant_id,pk"`
	Metric      string    `bun:"metric,pk"`
	PeriodStart time.Time `bun:"period_start,pk"`
	Percent     int64     `bun:"percent,pk"`
}

type invoiceRow struct {
	bun.BaseModel `bun:"table:invoices,alias:iv"`

	TenantID        string     `bun:"tenant_id,pk"`
	ID              string     `bun:"id,pk"`
	SubscriptionID  string     `bun:"subscription_id,notnull"`
	PlanID          string     `bun:"plan_id,notnull"`
	OwnerID         string     `bun:"owner_id,notnull"`
	Status          string     `bun:"status,notnull"`
	Currency        string     `bun:"currency,notnull"`
	Month           string     `bun:"month,notnull"`
	PeriodStart     time.Time  `bun:"period_start,notnull"`
	PeriodEnd       time.Time  `bun:"period_end,notnull"`
	Lines           string     `bun:"lines,notnull"`
	Subtotal        int64      `bun:"subtotal,notnull"`
	TaxRateBP       int64      `bun:"tax_rate_bp,notnull"`
	Tax             int64      `bun:"tax,notnull"`
	TotalAmount     int64      `bun:"total,notnull"`
	CreatedAt       time.Time  `bun:"created_at,notnull"`
	DueAt           time.Time  `bun:"due_at,notnull"`
	FinalizedAt     *time.Time `bun:"finalized_at"`
	PaidAt          *time.Time `bun:"paid_at"`
	VoidedAt        *time.Time `bun:"voided_at"`
	UncollectibleAt *time.Time `bun:"uncollectible_at"`
	UpdatedAt       time.Time  `bun:"updated_at,notnull"`

	Count int64 `bun:"match_count,scanonly"`
}

// Conversions between the billing types and their rows. JSON columns
// hold maps and lists; a nil map or list is stored as null and reads back
// nil, an empty one reads back empty.

func encodeJSON(v any, what string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", core.Errorf(core.Invalid, "%s cannot be stored as JSON: %v", what, err)
	}
	return string(b), nil
}

func decodeJSON(s string, v any, what string) error {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return core.Wrap(err, "read "+what)
	}
	return nil
}

// listPage makes q, a list's select over model's table as alias with
// the list's filter already applied by where, one page ordered by
// alias.created_at then alias.id, with the total of every match in the
// column total. Without after it is the offset page, the total a window
// count. With after it is a keyset page, the rows past the key, and the
// total comes from a count over the same filter in the same statement (one
// snapshot), which a window over these rows would not see; the key's time
// is written as stored times are (dbTime, bun's layout), so that SQLite's
// text comparison is exact to the microsecond.
func listPage(idb bun.IDB, q *bun.SelectQuery, where func(*bun.SelectQuery) *bun.SelectQuery, model any, alias, total string,
	after *core.ListKey, page core.PageRequest) *bun.SelectQuery {
	if after == nil {
		q = q.ColumnExpr("count(*) OVER () AS " + total).Offset(int64(page.Offset()))
	} else {
		q = q.ColumnExpr("(?) AS "+total, where(idb.NewSelect().Model(model).ColumnExpr("count(*)"))).
			Where("("+alias+".created_at, "+alias+".id) > (?, ?)", dbTime(after.CreatedAt), after.ID)
	}
	return q.OrderExpr(alias + ".created_at, " + alias + ".id").Limit(int64(page.Limit))
}

// dbTimePtr is dbTime for an optional time.
func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := dbTime(*t)
	return &v
}

// currencyOf reads a stored currency code; "" is the zero Currency.
func currencyOf(code, what string) (money.Currency, error) {
	if code == "" {
		return money.Currency{}, nil
	}
	c, err := money.ParseCurrency(code)
	if err != nil {
		return c, core.Wrap(err, "read the currency of "+what)
	}
	return c, nil
}

func toPlanRow(p billing.Plan) (planRow, error) {
	r := planRow{
		ID: p.ID, Name: p.Name, Description: p.Description, Currency: p.Currency.Code(),
		TrialDays: int64(p.TrialDays), IsPopular: p.IsPopular, Status: string(p.Status),
		CreatedAt: dbTime(p.CreatedAt), UpdatedAt: dbTime(p.UpdatedAt),
	}
	var err error
	what := "plan " + p.ID
	if r.Prices, err = encodeJSON(p.Prices, "the prices of "+what); err != nil {
		return r, err
	}
	if r.Limits, err = encodeJSON(p.Limits, "the limits of "+what); err != nil {
		return r, err
	}
	if r.Features, err = encodeJSON(p.Features, "the features of "+what); err != nil {
		return r, err
	}
	return r, nil
}

func (r *planRow) toPlan() (billing.Plan, error) {
	p := billing.Plan{
		ID: r.ID, Name: r.Name, Description: r.Description, TrialDays: int(r.TrialDays), IsPopular: r.IsPopular,
		Status: billing.PlanStatus(r.Status), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	what := "plan " + r.ID
	var err error
	if p.Currency, err = currencyOf(r.Currency, what); err != nil {
		return p, err
	}
	if err := decodeJSON(r.Prices, &p.Prices, "the prices of "+what); err != nil {
		return p, err
	}
	if err := decodeJSON(r.Limits, &p.Limits, "the limits of "+what); err != nil {
		return p, err
	}
	if err := decodeJSON(r.Features, &p.Features, "the features of "+what); err != nil {
		return p, err
	}
	return p, nil
}

func toSKURow(s billing.SKU) (skuRow, error) {
	r := skuRow{Code: s.Code, Name: s.Name, Aggregation: string(s.Aggregation), Commissionable: s.Commissionable, CreatedAt: dbTime(s.CreatedAt)}
	var err error
	if r.Price, err = encodeJSON(s.Price, "the price of SKU "+s.Code); err != nil {
		return r, err
	}
	if r.PlanIDs, err = encodeJSON(s.PlanIDs, "the plans of SKU "+s.Code); err != nil {
		return r, err
	}
	return r, nil
}

func (r *skuRow) toSKU() (billing.SKU, error) {
	s := billing.SKU{Code: r.Code, Name: r.Name, Aggregation: billing.Aggregation(r.Aggregation), Commissionable: r.Commissionable, CreatedAt: r.CreatedAt.UTC()}
	if err := decodeJSON(r.Price, &s.Price, "the price of SKU "+r.Code); err != nil {
		return s, err
	}
	if err := decodeJSON(r.PlanIDs, &s.PlanIDs, "the plans of SKU "+r.Code); err != nil {
		return s, err
	}
	return s, nil
}

func toSubscriptionRow(s billing.Subscription) (subscriptionRow, error) {
	r := subscriptionRow{
		TenantID: s.TenantID, ID: s.ID, PlanID: s.PlanID, Status: string(s.Status), Interval: string(s.Interval),
		Anchor: dbTime(s.Anchor), StartedAt: dbTime(s.StartedAt), TrialEnd: dbTimePtr(s.TrialEnd),
		ConvertedAt: dbTimePtr(s.ConvertedAt), CancelAtPeriodEnd: s.CancelAtPeriodEnd, PendingPlanID: s.PendingPlanID,
		ChangeAt: dbTimePtr(s.ChangeAt), EndedAt: dbTimePtr(s.EndedAt), TaxRateBP: int64(s.TaxRateBP),
		CreatedAt: dbTime(s.CreatedAt), UpdatedAt: dbTime(s.UpdatedAt),
	}
	var segs []billing.Segment
	if s.Segments != nil {
		segs = make([]billing.Segment, len(s.Segments))
		for i, sg := range s.Segments {
			segs[i] = billing.Segment{PlanID: sg.PlanID, From: dbTime(sg.From)}
		}
	}
	var err error
	r.Segments, err = encodeJSON(segs, "the segments of subscription "+s.ID)
	return r, err
}

func (r *subscriptionRow) toSubscription() (billing.Subscription, error) {
	s := billing.Subscription{
		ID: r.ID, TenantID: r.TenantID, PlanID: r.PlanID, Status: billing.SubscriptionStatus(r.Status),
		Interval: billing.Interval(r.Interval), Anchor: r.Anchor.UTC(), StartedAt: r.StartedAt.UTC(),
		TrialEnd: utcPtr(r.TrialEnd), ConvertedAt: utcPtr(r.ConvertedAt), CancelAtPeriodEnd: r.CancelAtPeriodEnd,
		PendingPlanID: r.PendingPlanID, ChangeAt: utcPtr(r.ChangeAt), EndedAt: utcPtr(r.EndedAt),
		TaxRateBP: int(r.TaxRateBP), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	err := decodeJSON(r.Segments, &s.Segments, "the segments of subscription "+r.ID)
	for i := range s.Segments {
		s.Segments[i].From = s.Segments[i].From.UTC()
	}
	return s, err
}

func toInvoiceRow(inv billing.Invoice) (invoiceRow, error) {
	r := invoiceRow{
		TenantID: inv.TenantID, ID: inv.ID, SubscriptionID: inv.SubscriptionID, PlanID: inv.PlanID, OwnerID: inv.OwnerID,
		Status: string(inv.Status), Currency: inv.Currency.Code(), Month: inv.Month,
		PeriodStart: dbTime(inv.PeriodStart), PeriodEnd: dbTime(inv.PeriodEnd),
		Subtotal: inv.Subtotal, TaxRateBP: int64(inv.TaxRateBP), Tax: inv.Tax, TotalAmount: inv.Total,
		CreatedAt: dbTime(inv.CreatedAt), DueAt: dbTime(inv.DueAt), FinalizedAt: dbTimePtr(inv.FinalizedAt),
		PaidAt: dbTimePtr(inv.PaidAt), VoidedAt: dbTimePtr(inv.VoidedAt), UncollectibleAt: dbTimePtr(inv.UncollectibleAt),
		UpdatedAt: dbTime(inv.UpdatedAt),
	}
	var lines []billing.InvoiceLine
	if inv.Lines != nil {
		lines = make([]billing.InvoiceLine, len(inv.Lines))
		for i, l := range inv.Lines {
			l.PeriodStart, l.PeriodEnd = dbTime(l.PeriodStart), dbTime(l.PeriodEnd)
			lines[i] = l
		}
	}
	var err error
	r.Lines, err = encodeJSON(lines, "the lines of invoice "+inv.ID)
	return r, err
}

func (r *invoiceRow) toInvoice() (billing.Invoice, error) {
	inv := billing.Invoice{
		ID: r.ID, TenantID: r.TenantID, SubscriptionID: r.SubscriptionID, PlanID: r.PlanID, OwnerID: r.OwnerID,
		Status: billing.InvoiceStatus(r.Status), Month: r.Month, PeriodStart: r.PeriodStart.UTC(), PeriodEnd: r.PeriodEnd.UTC(),
		Subtotal: r.Subtotal, TaxRateBP: int(r.TaxRateBP), Tax: r.Tax, Total: r.TotalAmount,
		CreatedAt: r.CreatedAt.UTC(), DueAt: r.DueAt.UTC(), FinalizedAt: utcPtr(r.FinalizedAt), PaidAt: utcPtr(r.PaidAt),
		VoidedAt: utcPtr(r.VoidedAt), UncollectibleAt: utcPtr(r.UncollectibleAt), UpdatedAt: r.UpdatedAt.UTC(),
	}
	var err error
	if inv.Currency, err = currencyOf(r.Currency, "invoice "+r.ID); err != nil {
		return inv, err
	}
	if err := decodeJSON(r.Lines, &inv.Lines, "the lines of invoice "+r.ID); err != nil {
		return inv, err
	}
	for i := range inv.Lines {
		inv.Lines[i].PeriodStart = inv.Lines[i].PeriodStart.UTC()
		inv.Lines[i].PeriodEnd = inv.Lines[i].PeriodEnd.UTC()
	}
	return inv, nil
}

func planNotFound(id string) error { return core.Errorf(core.NotFound, "plan %q not found", id) }

func subscriptionNotFound(tenantID string) error {
	return core.Errorf(core.NotFound, "tenant %q has no subscription", tenantID)
}

func invoiceNotFound(id string) error { return core.Errorf(core.NotFound, "invoice %q not found", id) }

// readRows runs a read on the raw path (s.run: one round trip, the
// statement cached on PostgreSQL) and calls scan for each row; it is
// what the hot reads (a tenant's subscription, plan and SKUs, and the
// subscription scan) use instead of bun's model queries.
func (s *Store) readRows(ctx context.Context, idb bun.IDB, doing string, build func(q *readQuery), scan func(rows *sql.Rows) error) error {
	rows, err := s.run(ctx, idb, build)
	if err != nil {
		return s.translate(ctx, err, doing, "")
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return s.translate(ctx, err, doing, "")
		}
	}
	if err := rows.Err(); err != nil {
		return s.translate(ctx, err, doing, "")
	}
	return nil
}

// readOne runs the query build writes and scans its one row with scan;
// it answers notFound when the query selects none.
func (s *Store) readOne(ctx context.Context, idb bun.IDB, doing string, notFound error, build func(q *readQuery), scan func(rows *sql.Rows) error) error {
	found := false
	err := s.readRows(ctx, idb, doing, build, func(rows *sql.Rows) error { found = true; return scan(rows) })
	if err == nil && !found {
		return notFound
	}
	return err
}

// convertRows converts scanned rows to records with conv, stopping at the
// first error.
func convertRows[R, T any](rows []R, conv func(*R) (T, error)) ([]T, error) {
	out := make([]T, len(rows))
	for i := range rows {
		v, err := conv(&rows[i])
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// nullTime is an optional time read by readRows.
func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

const planColumns = "pl.id, pl.name, pl.description, pl.currency, pl.prices, pl.trial_days, pl.limits, pl.features, pl.is_popular, pl.status, pl.created_at, pl.updated_at"

func scanPlanRow(rows *sql.Rows, r *planRow) error {
	return rows.Scan(&r.ID, &r.Name, &r.Description, &r.Currency, &r.Prices, &r.TrialDays, &r.Limits, &r.Features, &r.IsPopular, &r.Status, &r.CreatedAt, &r.UpdatedAt)
}

const skuColumns = "sk.code, sk.name, sk.aggregation, sk.price, sk.plan_ids, sk.commissionable, sk.created_at"

func scanSKURow(rows *sql.Rows, r *skuRow) error {
	return rows.Scan(&r.Code, &r.Name, &r.Aggregation, &r.Price, &r.PlanIDs, &r.Commissionable, &r.CreatedAt)
}

const subscriptionColumns = "sb.tenant_id, sb.id, sb.plan_id, sb.status, sb.billing_interval, sb.anchor, sb.started_at, sb.trial_end, " +
	"sb.converted_at, sb.cancel_at_period_end, sb.pending_plan_id, sb.change_at, sb.ended_at, sb.segments, sb.tax_rate_bp, sb.created_at, sb.updated_at"

func scanSubscriptionRow(rows *sql.Rows, r *subscriptionRow) error {
	var trialEnd, convertedAt, changeAt, endedAt sql.NullTime
	var pending sql.NullString
	if err := rows.Scan(&r.TenantID, &r.ID, &r.PlanID, &r.Status, &r.Interval, &r.Anchor, &r.StartedAt, &trialEnd, &convertedAt,
		&r.CancelAtPeriodEnd, &pending, &changeAt, &endedAt, &r.Segments, &r.TaxRateBP, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return err
	}
	r.TrialEnd, r.ConvertedAt, r.ChangeAt, r.EndedAt = nullTime(trialEnd), nullTime(convertedAt), nullTime(changeAt), nullTime(endedAt)
	r.PendingPlanID = pending.String
	return nil
}

// checkFilterIDs bounds a filter's ID list.
func checkFilterIDs(field string, ids []string) error {
	if len(ids) > billing.MaxFilterIDs {
		return core.InvalidField(field, "may name at most %d IDs", billing.MaxFilterIDs)
	}
	return nil
}

// Plans.

func (s *Store) createPlan(ctx context.Context, idb bun.IDB, p billing.Plan) error {
	r, err := toPlanRow(p)
	if err != nil {
		return err
	}
	n, err := s.affected(ctx, "create plan "+p.ID)(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.Conflict, "plan %s already exists", p.ID)
	}
	return nil
}

// getPlanRow reads a plan; forUpdate locks its row on PostgreSQL.
func (s *Store) getPlanRow(ctx context.Context, idb bun.IDB, id string, forUpdate bool) (planRow, error) {
	var r planRow
	q := idb.NewSelect().Model(&r).Where("pl.id = ?", id)
	if forUpdate && s.pg {
		q = q.For("UPDATE")
	}
	err := s.scanOne(ctx, q, "read plan "+id, planNotFound(id))
	return r, err
}

func (s *Store) getPlan(ctx context.Context, idb bun.IDB, id string) (billing.Plan, error) {
	var r planRow
	err := s.readOne(ctx, idb, "read plan "+id, planNotFound(id), func(q *readQuery) {
		q.sql("SELECT " + planColumns + " FROM plans AS pl WHERE pl.id = ").arg(id)
	}, func(rows *sql.Rows) error { return scanPlanRow(rows, &r) })
	if err != nil {
		return billing.Plan{}, err
	}
	return r.toPlan()
}

func (s *Store) listPlans(ctx context.Context, idb bun.IDB, includeArchived bool) ([]billing.Plan, error) {
	var rows []planRow
	q := idb.NewSelect().Model(&rows).OrderExpr("pl.created_at, pl.id")
	if !includeArchived {
		q = q.Where("pl.status = ?", string(billing.PlanActive))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, s.translate(ctx, err, "list plans", "")
	}
	return convertRows(rows, (*planRow).toPlan)
}

func (s *Store) updatePlan(ctx context.Context, idb bun.IDB, id string, update func(billing.Plan) (billing.Plan, error)) (billing.Plan, error) {
	old, err := s.getPlanRow(ctx, idb, id, true)
	if err != nil {
		return billing.Plan{}, err
	}
	cur, err := old.toPlan()
	if err != nil {
		return billing.Plan{}, err
	}
	next, err := core.Apply(cur, update, billing.CheckPlanUpdate)
	if err != nil {
		return billing.Plan{}, err
	}
	r, err := toPlanRow(next)
	if err != nil {
		return billing.Plan{}, err
	}
	r.CreatedAt = old.CreatedAt
	if _, err := s.affected(ctx, "update plan "+id)(idb.NewUpdate().Model(&r).WherePK().ExcludeColumn("id", "created_at").Exec(ctx)); err != nil {
		return billing.Plan{}, err
	}
	return r.toPlan()
}

// deletePlan locks the plan's row (on PostgreSQL: a subscription being
// written that refers to it holds a key-share lock, which this waits for,
// and one written after waits for this), then deletes it in one statement
// unless a subscription or a tenant not deleted refers to it.
func (s *Store) deletePlan(ctx context.Context, idb bun.IDB, id string) error {
	if _, err := s.getPlanRow(ctx, idb, id, true); err != nil {
		return err
	}
	n, err := s.affected(ctx, "delete plan "+id)(idb.NewDelete().Model((*planRow)(nil)).
		Where("pl.id = ?", id).
		Where("NOT EXISTS (SELECT 1 FROM subscriptions AS sb WHERE sb.plan_id = ? OR sb.pending_plan_id = ?)", id, id).
		Where("NOT EXISTS (SELECT 1 FROM tenants AS t WHERE t.plan_id = ? AND t.deleted_at IS NULL)", id).
		Exec(ctx))
	if core.ErrorCode(err) == core.Invalid || (err == nil && n == 0) {
		return core.Errorf(core.PlanInUse, "plan %s is in use by a tenant or a subscription; archive it instead", id)
	}
	return err
}

// checkPlans reports core.Invalid unless every non-empty ID names a plan.
func (s *Store) checkPlans(ctx context.Context, idb bun.IDB, ids ...string) error {
	for _, id := range ids {
		if id == "" {
			continue
		}
		ok, err := s.exists(ctx, idb.NewSelect().Model((*planRow)(nil)).Where("pl.id = ?", id), "read plan "+id)
		if err != nil {
			return err
		}
		if !ok {
			return core.Errorf(core.Invalid, "plan %q does not exist", id)
		}
	}
	return nil
}

// SKUs.

func (s *Store) createSKU(ctx context.Context, idb bun.IDB, sku billing.SKU) error {
	r, err := toSKURow(sku)
	if err != nil {
		return err
	}
	n, err := s.affected(ctx, "create SKU "+sku.Code)(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.SKUDuplicate, "SKU %q already exists", sku.Code)
	}
	return nil
}

func (s *Store) listSKUs(ctx context.Context, idb bun.IDB) ([]billing.SKU, error) {
	var rows []skuRow
	err := s.readRows(ctx, idb, "list SKUs", func(q *readQuery) {
		q.sql("SELECT " + skuColumns + " FROM skus AS sk ORDER BY sk.created_at, sk.code")
	}, func(r *sql.Rows) error {
		rows = append(rows, skuRow{})
		return scanSKURow(r, &rows[len(rows)-1])
	})
	if err != nil {
		return nil, err
	}
	return convertRows(rows, (*skuRow).toSKU)
}

// Subscriptions.

func (s *Store) createSubscription(ctx context.Context, idb bun.IDB, sub billing.Subscription) error {
	r, err := toSubscriptionRow(sub)
	if err != nil {
		return err
	}
	// A missing plan would fail the foreign key, aborting a caller's
	// PostgreSQL transaction; look first.
	if err := s.checkPlans(ctx, idb, sub.PlanID, sub.PendingPlanID); err != nil {
		return err
	}
	n, err := s.affected(ctx, "create subscription "+sub.ID)(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.Conflict, "tenant %s has a subscription, or the ID %s is taken", sub.TenantID, sub.ID)
	}
	return nil
}

func (s *Store) getSubscriptionRow(ctx context.Context, idb bun.IDB, tenantID string, forUpdate bool) (subscriptionRow, error) {
	var r subscriptionRow
	q := idb.NewSelect().Model(&r).Where("sb.tenant_id = ?", tenantID)
	if forUpdate && s.pg {
		q = q.For("UPDATE")
	}
	err := s.scanOne(ctx, q, "read the subscription of tenant "+tenantID, subscriptionNotFound(tenantID))
	return r, err
}

func (s *Store) getSubscription(ctx context.Context, idb bun.IDB, tenantID string) (billing.Subscription, error) {
	var r subscriptionRow
	err := s.readOne(ctx, idb, "read the subscription of tenant "+tenantID, subscriptionNotFound(tenantID), func(q *readQuery) {
		q.sql("SELECT " + subscriptionColumns + " FROM subscriptions AS sb WHERE sb.tenant_id = ").arg(tenantID)
	}, func(rows *sql.Rows) error { return scanSubscriptionRow(rows, &r) })
	if err != nil {
		return billing.Subscription{}, err
	}
	return r.toSubscription()
}

func (s *Store) updateSubscription(ctx context.Context, idb bun.IDB, tenantID string, update func(billing.Subscription) (billing.Subscription, error)) (billing.Subscription, error) {
	old, err := s.getSubscriptionRow(ctx, idb, tenantID, true)
	if err != nil {
		return billing.Subscription{}, err
	}
	cur, err := old.toSubscription()
	if err != nil {
		return billing.Subscription{}, err
	}
	next, err := core.Apply(cur, update, billing.CheckSubscriptionUpdate)
	if err != nil {
		return billing.Subscription{}, err
	}
	r, err := toSubscriptionRow(next)
	if err != nil {
		return billing.Subscription{}, err
	}
	r.CreatedAt = old.CreatedAt
	if err := s.checkPlans(ctx, idb, next.PlanID, next.PendingPlanID); err != nil {
		return billing.Subscription{}, err
	}
	if _, err := s.affected(ctx, "update the subscription of tenant "+tenantID)(idb.NewUpdate().Model(&r).WherePK().
		ExcludeColumn("tenant_id", "id", "created_at").Exec(ctx)); err != nil {
		return billing.Subscription{}, err
	}
	return r.toSubscription()
}

func (s *Store) listSubscriptions(ctx context.Context, idb bun.IDB, f billing.SubscriptionFilter) ([]billing.Subscription, int, error) {
	page, err := f.Page.Normalize()
	if err != nil {
		return nil, 0, err
	}
	if err := core.CheckAfter(f.After, f.Page); err != nil {
		return nil, 0, err
	}
	if err := checkFilterIDs("tenantIds", f.TenantIDs); err != nil {
		return nil, 0, err
	}
	where := func(q *bun.SelectQuery) *bun.SelectQuery {
		if len(f.Statuses) > 0 {
			q = q.Where("sb.status IN (?)", bun.List(f.Statuses))
		}
		if f.PlanID != "" {
			q = q.Where("sb.plan_id = ?", f.PlanID)
		}
		if len(f.TenantIDs) > 0 {
			q = q.Where("sb.tenant_id IN (?)", bun.List(f.TenantIDs))
		}
		return q
	}
	var rows []subscriptionRow
	err = listPage(idb, where(idb.NewSelect().Model(&rows).ColumnExpr("sb.*")), where, (*subscriptionRow)(nil), "sb", "total",
		f.After, page).Scan(ctx)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "list subscriptions", "")
	}
	out, err := convertRows(rows, (*subscriptionRow).toSubscription)
	if err != nil {
		return nil, 0, err
	}
	if len(rows) > 0 {
		return out, int(rows[0].Total), nil
	}
	n, err := where(idb.NewSelect().Model((*subscriptionRow)(nil))).Count(ctx)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "count subscriptions", "")
	}
	return out, int(n), nil
}

// scanSubscriptions reads the subscriptions after afterTenantID on the
// primary key.
func (s *Store) scanSubscriptions(ctx context.Context, idb bun.IDB, afterTenantID string, limit int) ([]billing.Subscription, error) {
	if err := billing.CheckScanLimit(limit); err != nil {
		return nil, err
	}
	rows := make([]subscriptionRow, 0, limit)
	err := s.readRows(ctx, idb, "scan subscriptions", func(q *readQuery) {
		q.sql("SELECT " + subscriptionColumns + " FROM subscriptions AS sb WHERE sb.tenant_id > ").arg(afterTenantID).
			sql(" ORDER BY sb.tenant_id LIMIT ").arg(limit)
	}, func(r *sql.Rows) error {
		rows = append(rows, subscriptionRow{})
		return scanSubscriptionRow(r, &rows[len(rows)-1])
	})
	if err != nil {
		return nil, err
	}
	return convertRows(rows, (*subscriptionRow).toSubscription)
}

// Usage.

// usageKey is a usage record's key.
type usageKey struct{ tenant, key string }

// usageBatch is the records of an InsertUsage call to store: the first of
// each key, in key order, so that concurrent batches take their index
// locks in one order and cannot deadlock.
func usageBatch(recs []billing.UsageRecord) (first map[usageKey]int, uniq []billing.UsageRecord) {
	first = make(map[usageKey]int, len(recs))
	uniq = make([]billing.UsageRecord, 0, len(recs))
	for i, r := range recs {
		k := usageKey{r.TenantID, r.IdempotencyKey}
		if _, ok := first[k]; ok {
			continue
		}
		first[k] = i
		r.Timestamp, r.ReceivedAt = dbTime(r.Timestamp), dbTime(r.ReceivedAt)
		uniq = append(uniq, r)
	}
	slices.SortFunc(uniq, func(a, b billing.UsageRecord) int {
		return cmp.Or(cmp.Compare(a.TenantID, b.TenantID), cmp.Compare(a.IdempotencyKey, b.IdempotencyKey))
	})
	return first, uniq
}

// usageResults answers InsertUsage from the keys stored.
func usageResults(recs []billing.UsageRecord, first map[usageKey]int, inserted map[usageKey]bool) []bool {
	out := make([]bool, len(recs))
	for i, r := range recs {
		k := usageKey{r.TenantID, r.IdempotencyKey}
		out[i] = first[k] == i && inserted[k]
	}
	return out
}

const usageColumns = "tenant_id, idempotency_key, metric, quantity, subject, ts, received_at"

// usageChunk is the most records one INSERT carries: 7,000 parameters,
// under SQLite's limit of 32,766 and PostgreSQL's of 65,535.
const usageChunk = 1000

// insertUsage stores recs with multi-row INSERT ... ON CONFLICT DO
// NOTHING RETURNING statements inside the transaction idb.
func (s *Store) insertUsage(ctx context.Context, idb bun.IDB, recs []billing.UsageRecord) ([]bool, error) {
	first, uniq := usageBatch(recs)
	inserted := make(map[usageKey]bool, len(uniq))
	for start := 0; start < len(uniq); start += usageChunk {
		chunk := uniq[start:min(start+usageChunk, len(uniq))]
		rows, err := s.run(ctx, idb, func(q *readQuery) {
			q.b.Grow(len(chunk) * 40)
			q.args = make([]any, 0, 7*len(chunk))
			q.sql("INSERT INTO usage_records (" + usageColumns + ") VALUES ")
			for i, r := range chunk {
				if i > 0 {
					q.sql(", ")
				}
				q.sql("(").arg(r.TenantID).sql(", ").arg(r.IdempotencyKey).sql(", ").arg(r.Metric).sql(", ").arg(r.Quantity).
					sql(", ").arg(r.Subject).sql(", ").arg(r.Timestamp).sql(", ").arg(r.ReceivedAt).sql(")")
			}
			q.sql(" ON CONFLICT DO NOTHING RETURNING tenant_id, idempotency_key")
		})
		if err != nil {
			return nil, s.translate(ctx, err, "insert usage", "")
		}
		if err := scanUsageKeys(rows, inserted); err != nil {
			return nil, s.translate(ctx, err, "insert usage", "")
		}
	}
	return usageResults(recs, first, inserted), nil
}

// usageRows is what scanUsageKeys reads: *sql.Rows or pgx.Rows.
type usageRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

func scanUsageKeys(rows *sql.Rows, into map[usageKey]bool) error {
	return scanKeys(sqlRows{rows}, into)
}

func scanKeys(rows usageRows, into map[usageKey]bool) error {
	defer rows.Close()
	for rows.Next() {
		var k usageKey
		if err := rows.Scan(&k.tenant, &k.key); err != nil {
			return err
		}
		into[k] = true
	}
	return rows.Err()
}

// usageStage is the temporary table copyUsage stages records in, and the
// key of the connection's custom data that says it exists.
const usageStage = "atomix_usage_stage"

// copyUsage is InsertUsage on PostgreSQL through pgx, in a transaction of
// its own: the records are copied (COPY) into a temporary staging table,
// made once per connection and emptied at each commit, and moved into
// usage_records by one INSERT ... SELECT ... ON CONFLICT DO NOTHING
// RETURNING, which names the keys stored. ok is false when the pool's
// connection is not pgx's.
func (s *Store) copyUsage(ctx context.Context, recs []billing.UsageRecord) (out []bool, ok bool, err error) {
	conn, err := s.db.DB.Conn(ctx)
	if err != nil {
		return nil, true, s.translate(ctx, err, "insert usage", "")
	}
	defer conn.Close()
	first, uniq := usageBatch(recs)
	inserted := make(map[usageKey]bool, len(uniq))
	err = conn.Raw(func(dc any) error {
		sc, isPgx := dc.(*stdlib.Conn)
		if !isPgx {
			return nil
		}
		ok = true
		pc := sc.Conn()
		data := pc.PgConn().CustomData()
		staged := data[usageStage] != nil
		err := pgx.BeginFunc(ctx, pc, func(tx pgx.Tx) error {
			if !staged {
				if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE IF NOT EXISTS `+usageStage+` (
					tenant_id TEXT COLLATE "C", idempotency_key TEXT COLLATE "C", metric TEXT, quantity BIGINT,
					subject TEXT, ts TIMESTAMPTZ, received_at TIMESTAMPTZ) ON COMMIT DELETE ROWS`); err != nil {
					return err
				}
			}
			// One row of pointers into uniq, reused: pgx encodes each row
			// before it asks for the next, and pointers box for free.
			i := 0
			row := make([]any, 7)
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{usageStage},
				[]string{"tenant_id", "idempotency_key", "metric", "quantity", "subject", "ts", "received_at"},
				pgx.CopyFromFunc(func() ([]any, error) {
					if i == len(uniq) {
						return nil, nil
					}
					r := &uniq[i]
					i++
					row[0], row[1], row[2], row[3] = &r.TenantID, &r.IdempotencyKey, &r.Metric, &r.Quantity
					row[4], row[5], row[6] = &r.Subject, &r.Timestamp, &r.ReceivedAt
					return row, nil
				})); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, "INSERT INTO usage_records ("+usageColumns+") SELECT "+usageColumns+
				" FROM "+usageStage+" ORDER BY tenant_id, idempotency_key ON CONFLICT DO NOTHING RETURNING tenant_id, idempotency_key")
			if err != nil {
				return err
			}
			return scanKeys(pgxRows{rows}, inserted)
		})
		if err == nil && !staged {
			data[usageStage] = true // committed: the table stays with the connection
		}
		return err
	})
	if err != nil {
		return nil, true, s.translate(ctx, err, "insert usage", "")
	}
	if !ok {
		return nil, false, nil
	}
	return usageResults(recs, first, inserted), true, nil
}

// unnestUsage is insertUsage on PostgreSQL through pgx inside a caller's
// transaction (whose connection database/sql does not hand out for COPY):
// one INSERT ... SELECT FROM unnest(arrays) ... ON CONFLICT DO NOTHING
// RETURNING, the batch sent as seven array parameters.
func (s *Store) unnestUsage(ctx context.Context, idb bun.IDB, recs []billing.UsageRecord) ([]bool, error) {
	first, uniq := usageBatch(recs)
	tenants, keys, metrics, subjects := make([]string, len(uniq)), make([]string, len(uniq)), make([]string, len(uniq)), make([]string, len(uniq))
	qty := make([]int64, len(uniq))
	ts, received := make([]time.Time, len(uniq)), make([]time.Time, len(uniq))
	for i, r := range uniq {
		tenants[i], keys[i], metrics[i], qty[i], subjects[i], ts[i], received[i] = r.TenantID, r.IdempotencyKey, r.Metric, r.Quantity, r.Subject, r.Timestamp, r.ReceivedAt
	}
	rows, err := s.run(ctx, idb, func(q *readQuery) {
		q.sql("INSERT INTO usage_records (" + usageColumns + ") SELECT * FROM unnest(").arg(tenants).sql("::text[], ").arg(keys).
			sql("::text[], ").arg(metrics).sql("::text[], ").arg(qty).sql("::bigint[], ").arg(subjects).sql("::text[], ").
			arg(ts).sql("::timestamptz[], ").arg(received).sql("::timestamptz[]) ON CONFLICT DO NOTHING RETURNING tenant_id, idempotency_key")
	})
	if err != nil {
		return nil, s.translate(ctx, err, "insert usage", "")
	}
	inserted := make(map[usageKey]bool, len(uniq))
	if err := scanUsageKeys(rows, inserted); err != nil {
		return nil, s.translate(ctx, err, "insert usage", "")
	}
	return usageResults(recs, first, inserted), nil
}

type pgxRows struct{ pgx.Rows }

func (r pgxRows) Close() { r.Rows.Close() }

// usageTotals runs one statement for the metrics aggregated by sum,
// count, max or unique count, which computes the four for each metric
// and keeps the one asked for, and one for those aggregated by last; both
// on the (tenant_id, metric, ts) index.
func (s *Store) usageTotals(ctx context.Context, idb bun.IDB, tenantID string, from, to time.Time, aggs map[string]billing.Aggregation) (map[string]int64, error) {
	var grouped, lasts []string
	out := make(map[string]int64, len(aggs))
	for m, a := range aggs {
		if !a.Valid() {
			return nil, core.Errorf(core.Invalid, "metric %q: unknown aggregation %q", m, a)
		}
		out[m] = 0
		if a == billing.AggLast {
			lasts = append(lasts, m)
		} else {
			grouped = append(grouped, m)
		}
	}
	from, to = dbTime(from), dbTime(to)
	slices.Sort(grouped)
	slices.Sort(lasts)
	if len(grouped) > 0 {
		rows, err := s.run(ctx, idb, func(q *readQuery) {
			q.sql("SELECT u.metric, CAST(COALESCE(SUM(u.quantity), 0) AS BIGINT), COUNT(*), COALESCE(MAX(u.quantity), 0), " +
				"COUNT(DISTINCT NULLIF(u.subject, '')) FROM usage_records AS u WHERE u.tenant_id = ").arg(tenantID).sql(" AND u.metric IN (")
			for i, m := range grouped {
				if i > 0 {
					q.sql(", ")
				}
				q.arg(m)
			}
			q.sql(") AND u.ts >= ").arg(from).sql(" AND u.ts < ").arg(to).sql(" GROUP BY u.metric")
		})
		if err != nil {
			return nil, s.translate(ctx, err, "total usage", "")
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				var m string
				var v [4]int64 // sum, count, max, unique
				if err := rows.Scan(&m, &v[0], &v[1], &v[2], &v[3]); err != nil {
					return err
				}
				switch aggs[m] {
				case billing.AggSum:
					out[m] = v[0]
				case billing.AggCount:
					out[m] = v[1]
				case billing.AggMax:
					out[m] = v[2]
				case billing.AggUnique:
					out[m] = v[3]
				}
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, s.translate(ctx, err, "total usage", "")
		}
	}
	if len(lasts) > 0 {
		rows, err := s.run(ctx, idb, func(q *readQuery) {
			for i, m := range lasts {
				if i > 0 {
					q.sql(" UNION ALL ")
				}
				q.sql("SELECT l.metric, l.quantity FROM (SELECT u.metric, u.quantity FROM usage_records AS u WHERE u.tenant_id = ").arg(tenantID).
					sql(" AND u.metric = ").arg(m).sql(" AND u.ts >= ").arg(from).sql(" AND u.ts < ").arg(to).
					sql(" ORDER BY u.ts DESC, u.idempotency_key DESC LIMIT 1) AS l")
			}
		})
		if err != nil {
			return nil, s.translate(ctx, err, "total usage", "")
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				var m string
				var v int64
				if err := rows.Scan(&m, &v); err != nil {
					return err
				}
				out[m] = v
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, s.translate(ctx, err, "total usage", "")
		}
	}
	return out, nil
}

func (s *Store) markThreshold(ctx context.Context, idb bun.IDB, tenantID, metric string, periodStart time.Time, percent int) (bool, error) {
	r := thresholdRow{TenantID: tenantID, Metric: metric, PeriodStart: dbTime(periodStart), Percent: int64(percent)}
	n, err := s.affected(ctx, "mark a usage threshold")(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx))
	return n == 1, err
}

// Invoices.

func (s *Store) createInvoice(ctx context.Context, idb bun.IDB, inv billing.Invoice) (bool, error) {
	r, err := toInvoiceRow(inv)
	if err != nil {
		return false, err
	}
	doing := "create invoice " + inv.ID
	// ON CONFLICT DO NOTHING on any key, so that neither the period nor
	// the ID aborts a caller's PostgreSQL transaction; then find out which.
	n, err := s.affected(ctx, doing)(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil || n == 1 {
		return n == 1, err
	}
	period, err := s.exists(ctx, idb.NewSelect().Model((*invoiceRow)(nil)).
		Where("iv.tenant_id = ? AND iv.subscription_id = ? AND iv.period_start = ?", r.TenantID, r.SubscriptionID, r.PeriodStart), doing)
	if err != nil || period {
		return false, err
	}
	return false, core.Errorf(core.Conflict, "invoice %s already exists", inv.ID)
}

func (s *Store) getInvoiceRow(ctx context.Context, idb bun.IDB, id string, forUpdate bool) (invoiceRow, error) {
	var r invoiceRow
	q := idb.NewSelect().Model(&r).Where("iv.id = ?", id)
	if forUpdate && s.pg {
		q = q.For("UPDATE")
	}
	err := s.scanOne(ctx, q, "read invoice "+id, invoiceNotFound(id))
	return r, err
}

func (s *Store) getInvoice(ctx context.Context, idb bun.IDB, id string) (billing.Invoice, error) {
	r, err := s.getInvoiceRow(ctx, idb, id, false)
	if err != nil {
		return billing.Invoice{}, err
	}
	return r.toInvoice()
}

func (s *Store) updateInvoice(ctx context.Context, idb bun.IDB, id string, update func(billing.Invoice) (billing.Invoice, error)) (billing.Invoice, error) {
	old, err := s.getInvoiceRow(ctx, idb, id, true)
	if err != nil {
		return billing.Invoice{}, err
	}
	cur, err := old.toInvoice()
	if err != nil {
		return billing.Invoice{}, err
	}
	next, err := core.Apply(cur, update, billing.CheckInvoiceUpdate)
	if err != nil {
		return billing.Invoice{}, err
	}
	r, err := toInvoiceRow(next)
	if err != nil {
		return billing.Invoice{}, err
	}
	r.CreatedAt, r.PeriodStart, r.PeriodEnd = old.CreatedAt, old.PeriodStart, old.PeriodEnd
	// The subscription stays too: with the period it is the invoice's
	// place in the exactly-once key.
	r.SubscriptionID = old.SubscriptionID
	if _, err := s.affected(ctx, "update invoice "+id)(idb.NewUpdate().Model(&r).WherePK().
		ExcludeColumn("tenant_id", "id", "subscription_id", "created_at", "period_start", "period_end").Exec(ctx)); err != nil {
		return billing.Invoice{}, err
	}
	return r.toInvoice()
}

func (s *Store) listInvoices(ctx context.Context, idb bun.IDB, f billing.InvoiceFilter) ([]billing.Invoice, int, error) {
	page, err := f.Page.Normalize()
	if err != nil {
		return nil, 0, err
	}
	if err := core.CheckAfter(f.After, f.Page); err != nil {
		return nil, 0, err
	}
	if err := checkFilterIDs("ownerIds", f.OwnerIDs); err != nil {
		return nil, 0, err
	}
	where := func(q *bun.SelectQuery) *bun.SelectQuery {
		if f.TenantID != "" {
			q = q.Where("iv.tenant_id = ?", f.TenantID)
		}
		if len(f.OwnerIDs) > 0 {
			q = q.Where("iv.owner_id IN (?)", bun.List(f.OwnerIDs))
		}
		if f.Month != "" {
			q = q.Where("iv.month = ?", f.Month)
		}
		if len(f.Statuses) > 0 {
			q = q.Where("iv.status IN (?)", bun.List(f.Statuses))
		}
		if !f.DueBefore.IsZero() {
			q = q.Where("iv.due_at < ?", dbTime(f.DueBefore))
		}
		return q
	}
	var rows []invoiceRow
	err = listPage(idb, where(idb.NewSelect().Model(&rows).ColumnExpr("iv.*")), where, (*invoiceRow)(nil), "iv", "match_count",
		f.After, page).Scan(ctx)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "list invoices", "")
	}
	out, err := convertRows(rows, (*invoiceRow).toInvoice)
	if err != nil {
		return nil, 0, err
	}
	if len(rows) > 0 {
		return out, int(rows[0].Count), nil
	}
	n, err := where(idb.NewSelect().Model((*invoiceRow)(nil))).Count(ctx)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "count invoices", "")
	}
	return out, int(n), nil
}

const invoiceColumns = "iv.tenant_id, iv.id, iv.subscription_id, iv.plan_id, iv.owner_id, iv.status, iv.currency, iv.month, " +
	"iv.period_start, iv.period_end, iv.lines, iv.subtotal, iv.tax_rate_bp, iv.tax, iv.total, iv.created_at, iv.due_at, " +
	"iv.finalized_at, iv.paid_at, iv.voided_at, iv.uncollectible_at, iv.updated_at"

func scanInvoiceRow(rows *sql.Rows, r *invoiceRow) error {
	var finalized, paid, voided, uncollectible sql.NullTime
	if err := rows.Scan(&r.TenantID, &r.ID, &r.SubscriptionID, &r.PlanID, &r.OwnerID, &r.Status, &r.Currency, &r.Month,
		&r.PeriodStart, &r.PeriodEnd, &r.Lines, &r.Subtotal, &r.TaxRateBP, &r.Tax, &r.TotalAmount, &r.CreatedAt, &r.DueAt,
		&finalized, &paid, &voided, &uncollectible, &r.UpdatedAt); err != nil {
		return err
	}
	r.FinalizedAt, r.PaidAt, r.VoidedAt, r.UncollectibleAt = nullTime(finalized), nullTime(paid), nullTime(voided), nullTime(uncollectible)
	return nil
}

// scanInvoices reads the month's invoices after the key on
// invoices_month_tenant_idx (month, tenant_id, id).
func (s *Store) scanInvoices(ctx context.Context, idb bun.IDB, month string, after billing.InvoiceKey, limit int) ([]billing.Invoice, error) {
	if err := billing.CheckScanLimit(limit); err != nil {
		return nil, err
	}
	rows := make([]invoiceRow, 0, min(limit, 256))
	err := s.readRows(ctx, idb, "scan invoices", func(q *readQuery) {
		q.sql("SELECT " + invoiceColumns + " FROM invoices AS iv WHERE iv.month = ").arg(month).
			sql(" AND (iv.tenant_id, iv.id) > (").arg(after.TenantID).sql(", ").arg(after.ID).
			sql(") ORDER BY iv.tenant_id, iv.id LIMIT ").arg(limit)
	}, func(r *sql.Rows) error {
		rows = append(rows, invoiceRow{})
		return scanInvoiceRow(r, &rows[len(rows)-1])
	})
	if err != nil {
		return nil, err
	}
	return convertRows(rows, (*invoiceRow).toInvoice)
}

// The Store's billing methods: reads on the read pool, writes in a
// transaction of their own.

// CreatePlan implements billing.Store. Errors: core.Conflict; core.Invalid
// for a value that cannot be stored; core.Internal.
func (s *Store) CreatePlan(ctx context.Context, p billing.Plan) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.CreatePlan(ctx, p)) })
	return err
}

// GetPlan implements billing.Store. Errors: core.NotFound; core.Internal.
func (s *Store) GetPlan(ctx context.Context, id string) (billing.Plan, error) {
	return readWith(ctx, s, func(idb bun.IDB) (billing.Plan, error) { return s.getPlan(ctx, idb, id) })
}

// ListPlans implements billing.Store. Errors: core.Internal.
func (s *Store) ListPlans(ctx context.Context, includeArchived bool) ([]billing.Plan, error) {
	return readWith(ctx, s, func(idb bun.IDB) ([]billing.Plan, error) { return s.listPlans(ctx, idb, includeArchived) })
}

// UpdatePlan implements billing.Store, locking the plan's row. Errors:
// core.NotFound; core.Invalid when update changes the ID or creation
// time; those of update; core.Internal.
func (s *Store) UpdatePlan(ctx context.Context, id string, update func(billing.Plan) (billing.Plan, error)) (billing.Plan, error) {
	return writeWith(ctx, s, func(tx *txStore) (billing.Plan, error) { return tx.UpdatePlan(ctx, id, update) })
}

// DeletePlan implements billing.Store. Errors: core.NotFound;
// core.PlanInUse; core.Internal.
func (s *Store) DeletePlan(ctx context.Context, id string) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.DeletePlan(ctx, id)) })
	return err
}

// CreateSKU implements billing.Store. Errors: core.SKUDuplicate;
// core.Invalid for a price that cannot be stored; core.Internal.
func (s *Store) CreateSKU(ctx context.Context, sku billing.SKU) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.CreateSKU(ctx, sku)) })
	return err
}

// ListSKUs implements billing.Store. Errors: core.Internal.
func (s *Store) ListSKUs(ctx context.Context) ([]billing.SKU, error) {
	return readWith(ctx, s, func(idb bun.IDB) ([]billing.SKU, error) { return s.listSKUs(ctx, idb) })
}

// CreateSubscription implements billing.Store. Errors: core.Conflict;
// core.Invalid when a plan it names does not exist; core.Internal.
func (s *Store) CreateSubscription(ctx context.Context, sub billing.Subscription) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.CreateSubscription(ctx, sub)) })
	return err
}

// GetSubscription implements billing.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) GetSubscription(ctx context.Context, tenantID string) (billing.Subscription, error) {
	return readWith(ctx, s, func(idb bun.IDB) (billing.Subscription, error) { return s.getSubscription(ctx, idb, tenantID) })
}

// UpdateSubscription implements billing.Store, locking the row. Errors:
// core.NotFound; core.Invalid when update changes the ID, tenant or
// creation time, or names a plan that does not exist; those of update;
// core.Internal.
func (s *Store) UpdateSubscription(ctx context.Context, tenantID string, update func(billing.Subscription) (billing.Subscription, error)) (billing.Subscription, error) {
	return writeWith(ctx, s, func(tx *txStore) (billing.Subscription, error) { return tx.UpdateSubscription(ctx, tenantID, update) })
}

// ListSubscriptions implements billing.Store. Errors: core.Invalid for a
// bad page (naming "page" for a page past the first with After) or too
// many tenant IDs; core.Internal.
func (s *Store) ListSubscriptions(ctx context.Context, f billing.SubscriptionFilter) ([]billing.Subscription, int, error) {
	type page struct {
		items []billing.Subscription
		total int
	}
	p, err := readWith(ctx, s, func(idb bun.IDB) (page, error) {
		items, total, err := s.listSubscriptions(ctx, idb, f)
		return page{items, total}, err
	})
	return p.items, p.total, err
}

// ScanSubscriptions implements billing.Store, on the primary key. Errors:
// core.Invalid for a limit outside 1..billing.MaxScanLimit; core.Internal.
func (s *Store) ScanSubscriptions(ctx context.Context, afterTenantID string, limit int) ([]billing.Subscription, error) {
	return readWith(ctx, s, func(idb bun.IDB) ([]billing.Subscription, error) {
		return s.scanSubscriptions(ctx, idb, afterTenantID, limit)
	})
}

// InsertUsage implements billing.Store: on PostgreSQL through pgx, with
// COPY into a staging table; otherwise with multi-row inserts in one
// transaction. Errors: core.Internal.
func (s *Store) InsertUsage(ctx context.Context, recs []billing.UsageRecord) ([]bool, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return []bool{}, nil
	}
	if s.pg {
		out, ok, err := s.copyUsage(ctx, recs)
		if ok || err != nil {
			return out, err
		}
	}
	return writeWith(ctx, s, func(tx *txStore) ([]bool, error) { return tx.InsertUsage(ctx, recs) })
}

// UsageTotals implements billing.Store. Errors: core.Invalid for an
// unknown aggregation; core.Internal.
func (s *Store) UsageTotals(ctx context.Context, tenantID string, from, to time.Time, aggs map[string]billing.Aggregation) (map[string]int64, error) {
	return readWith(ctx, s, func(idb bun.IDB) (map[string]int64, error) { return s.usageTotals(ctx, idb, tenantID, from, to, aggs) })
}

// MarkThreshold implements billing.Store. Errors: core.Internal.
func (s *Store) MarkThreshold(ctx context.Context, tenantID, metric string, periodStart time.Time, percent int) (bool, error) {
	return writeWith(ctx, s, func(tx *txStore) (bool, error) { return tx.MarkThreshold(ctx, tenantID, metric, periodStart, percent) })
}

// CreateInvoice implements billing.Store. Errors: core.Conflict;
// core.Invalid for lines that cannot be stored; core.Internal.
func (s *Store) CreateInvoice(ctx context.Context, inv billing.Invoice) (bool, error) {
	return writeWith(ctx, s, func(tx *txStore) (bool, error) { return tx.CreateInvoice(ctx, inv) })
}

// GetInvoice implements billing.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) GetInvoice(ctx context.Context, id string) (billing.Invoice, error) {
	return readWith(ctx, s, func(idb bun.IDB) (billing.Invoice, error) { return s.getInvoice(ctx, idb, id) })
}

// UpdateInvoice implements billing.Store, locking the row. Errors:
// core.NotFound; core.Invalid when update changes the ID, tenant,
// creation time or period; those of update; core.Internal.
func (s *Store) UpdateInvoice(ctx context.Context, id string, update func(billing.Invoice) (billing.Invoice, error)) (billing.Invoice, error) {
	return writeWith(ctx, s, func(tx *txStore) (billing.Invoice, error) { return tx.UpdateInvoice(ctx, id, update) })
}

// ListInvoices implements billing.Store. Errors: core.Invalid for a bad
// page (naming "page" for a page past the first with After) or too many
// owner IDs; core.Internal.
func (s *Store) ListInvoices(ctx context.Context, f billing.InvoiceFilter) ([]billing.Invoice, int, error) {
	type page struct {
		items []billing.Invoice
		total int
	}
	p, err := readWith(ctx, s, func(idb bun.IDB) (page, error) {
		items, total, err := s.listInvoices(ctx, idb, f)
		return page{items, total}, err
	})
	return p.items, p.total, err
}

// ScanInvoices implements billing.Store, on invoices_month_tenant_idx.
// Errors: core.Invalid for a limit outside 1..billing.MaxScanLimit;
// core.Internal.
func (s *Store) ScanInvoices(ctx context.Context, month string, after billing.InvoiceKey, limit int) ([]billing.Invoice, error) {
	return readWith(ctx, s, func(idb bun.IDB) ([]billing.Invoice, error) {
		return s.scanInvoices(ctx, idb, month, after, limit)
	})
}

// The transaction's billing methods.

func (tx *txStore) CreatePlan(ctx context.Context, p billing.Plan) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.createPlan(ctx, idb, p)) })
	return err
}

func (tx *txStore) GetPlan(ctx context.Context, id string) (billing.Plan, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (billing.Plan, error) { return tx.s.getPlan(ctx, idb, id) })
}

func (tx *txStore) ListPlans(ctx context.Context, includeArchived bool) ([]billing.Plan, error) {
	return withTx(ctx, tx, func(idb bun.IDB) ([]billing.Plan, error) { return tx.s.listPlans(ctx, idb, includeArchived) })
}

func (tx *txStore) UpdatePlan(ctx context.Context, id string, update func(billing.Plan) (billing.Plan, error)) (billing.Plan, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (billing.Plan, error) { return tx.s.updatePlan(ctx, idb, id, update) })
}

func (tx *txStore) DeletePlan(ctx context.Context, id string) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.deletePlan(ctx, idb, id)) })
	return err
}

func (tx *txStore) CreateSKU(ctx context.Context, sku billing.SKU) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.createSKU(ctx, idb, sku)) })
	return err
}

func (tx *txStore) ListSKUs(ctx context.Context) ([]billing.SKU, error) {
	return withTx(ctx, tx, func(idb bun.IDB) ([]billing.SKU, error) { return tx.s.listSKUs(ctx, idb) })
}

func (tx *txStore) CreateSubscription(ctx context.Context, sub billing.Subscription) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.createSubscription(ctx, idb, sub)) })
	return err
}

func (tx *txStore) GetSubscription(ctx context.Context, tenantID string) (billing.Subscription, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (billing.Subscription, error) { return tx.s.getSubscription(ctx, idb, tenantID) })
}

func (tx *txStore) UpdateSubscription(ctx context.Context, tenantID string, update func(billing.Subscription) (billing.Subscription, error)) (billing.Subscription, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (billing.Subscription, error) {
		return tx.s.updateSubscription(ctx, idb, tenantID, update)
	})
}

func (tx *txStore) ListSubscriptions(ctx context.Context, f billing.SubscriptionFilter) ([]billing.Subscription, int, error) {
	if err := tx.check(ctx); err != nil {
		return nil, 0, err
	}
	return tx.s.listSubscriptions(ctx, tx.tx, f)
}

func (tx *txStore) ScanSubscriptions(ctx context.Context, afterTenantID string, limit int) ([]billing.Subscription, error) {
	return withTx(ctx, tx, func(idb bun.IDB) ([]billing.Subscription, error) {
		return tx.s.scanSubscriptions(ctx, idb, afterTenantID, limit)
	})
}

func (tx *txStore) InsertUsage(ctx context.Context, recs []billing.UsageRecord) ([]bool, error) {
	return withTx(ctx, tx, func(idb bun.IDB) ([]bool, error) {
		if tx.s.pgx {
			return tx.s.unnestUsage(ctx, idb, recs)
		}
		return tx.s.insertUsage(ctx, idb, recs)
	})
}

func (tx *txStore) UsageTotals(ctx context.Context, tenantID string, from, to time.Time, aggs map[string]billing.Aggregation) (map[string]int64, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (map[string]int64, error) {
		return tx.s.usageTotals(ctx, idb, tenantID, from, to, aggs)
	})
}

func (tx *txStore) MarkThreshold(ctx context.Context, tenantID, metric string, periodStart time.Time, percent int) (bool, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (bool, error) {
		return tx.s.markThreshold(ctx, idb, tenantID, metric, periodStart, percent)
	})
}

func (tx *txStore) CreateInvoice(ctx context.Context, inv billing.Invoice) (bool, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (bool, error) { return tx.s.createInvoice(ctx, idb, inv) })
}

func (tx *txStore) GetInvoice(ctx context.Context, id string) (billing.Invoice, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (billing.Invoice, error) { return tx.s.getInvoice(ctx, idb, id) })
}

func (tx *txStore) UpdateInvoice(ctx context.Context, id string, update func(billing.Invoice) (billing.Invoice, error)) (billing.Invoice, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (billing.Invoice, error) { return tx.s.updateInvoice(ctx, idb, id, update) })
}

func (tx *txStore) ListInvoices(ctx context.Context, f billing.InvoiceFilter) ([]billing.Invoice, int, error) {
	if err := tx.check(ctx); err != nil {
		return nil, 0, err
	}
	return tx.s.listInvoices(ctx, tx.tx, f)
}

func (tx *txStore) ScanInvoices(ctx context.Context, month string, after billing.InvoiceKey, limit int) ([]billing.Invoice, error) {
	return withTx(ctx, tx, func(idb bun.IDB) ([]billing.Invoice, error) {
		return tx.s.scanInvoices(ctx, idb, month, after, limit)
	})
}
