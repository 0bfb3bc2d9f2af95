package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// Commissions (migration 20260520000001_commission): plans, the
// resellers' assignments and statements, and the tenants' entries.

type commissionPlanRow struct {
	bun.BaseModel `bun:"table:commission_plans,alias:cp"`

	ID        string    `bun:"id,pk"`
	Name      string    `bun:"name,notnull"`
	Level     string    `bun:"level,notnull"`
	Versions  string    `bun:"versions,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

type commissionAssignmentRow struct {
	bun.BaseModel `bun:"table:commission_assignments,alias:ca"`

	ResellerID string    `bun:"reseller_id,pk"`
	PlanID     string    `bun:"plan_id,notnull"`
	UpdatedAt  time.Time `bun:"updated_at,notnull"`
}

type statementRow struct {
	bun.BaseModel `bun:"table:commission_statements,alias:cs"`

	ID         string     `bun:"id,pk"`
	ResellerID string     `bun:"reseller_id,notnull"`
	Month      string     `bun:"month,notnull"`
	Currency   string     `bun:"currency,notnull"`
	Status     string     `bun:"status,notnull"`
	Total      int64      `bun:"total,notnull"`
	Entries    int64      `bun:"entries,notnull"`
	CreatedAt  time.Time  `bun:"created_at,notnull"`
	ClosedAt   *time.Time `bun:"closed_at"`

	Count int64 `bun:"match_count,scanonly"`
}

// versionJSON is how a commission.Version is stored: its currency as a
// code ("" when none), its maps and lists null when nil, so that every
// version reads back exactly as written.
type versionJSON struct {
	Month                 string            `json:"month"`
	RateBP                int               `json:"rateBp"`
	SKURates              map[string]int    `json:"skuRates"`
	PlanRates             map[string]int    `json:"planRates"`
	ExcludedSKUs          []string          `json:"excludedSkus"`
	Tiers                 []commission.Tier `json:"tiers"`
	TierMode              string            `json:"tierMode"`
	TierCurrency          string            `json:"tierCurrency"`
	ClawbackUncollectible bool              `json:"clawbackUncollectible"`
}

func toCommissionPlanRow(p commission.Plan) (commissionPlanRow, error) {
	r := commissionPlanRow{ID: p.ID, Name: p.Name, Level: string(p.Level), CreatedAt: dbTime(p.CreatedAt), UpdatedAt: dbTime(p.UpdatedAt)}
	var vs []versionJSON
	if p.Versions != nil {
		vs = make([]versionJSON, len(p.Versions))
		for i, v := range p.Versions {
			vs[i] = versionJSON{
				Month: v.Month, RateBP: v.RateBP, SKURates: v.SKURates, PlanRates: v.PlanRates, ExcludedSKUs: v.ExcludedSKUs,
				Tiers: v.Tiers, TierMode: string(v.TierMode), TierCurrency: v.TierCurrency.Code(), ClawbackUncollectible: v.ClawbackUncollectible,
			}
		}
	}
	var err error
	r.Versions, err = encodeJSON(vs, "the versions of commission plan "+p.ID)
	return r, err
}

func (r *commissionPlanRow) toPlan() (commission.Plan, error) {
	p := commission.Plan{ID: r.ID, Name: r.Name, Level: commission.Level(r.Level), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	what := "commission plan " + r.ID
	var vs []versionJSON
	if err := decodeJSON(r.Versions, &vs, "the versions of "+what); err != nil {
		return p, err
	}
	if vs != nil {
		p.Versions = make([]commission.Version, len(vs))
		for i, v := range vs {
			c, err := currencyOf(v.TierCurrency, what)
			if err != nil {
				return p, err
			}
			p.Versions[i] = commission.Version{
				Month: v.Month, RateBP: v.RateBP, SKURates: v.SKURates, PlanRates: v.PlanRates, ExcludedSKUs: v.ExcludedSKUs,
				Tiers: v.Tiers, TierMode: commission.TierMode(v.TierMode), TierCurrency: c, ClawbackUncollectible: v.ClawbackUncollectible,
			}
		}
	}
	return p, nil
}

func (r *commissionAssignmentRow) toAssignment() commission.Assignment {
	return commission.Assignment{ResellerID: r.ResellerID, PlanID: r.PlanID, UpdatedAt: r.UpdatedAt.UTC()}
}

func (r *statementRow) toStatement() (commission.Statement, error) {
	st := commission.Statement{
		ID: r.ID, ResellerID: r.ResellerID, Month: r.Month, Status: commission.StatementStatus(r.Status),
		Total: r.Total, Entries: int(r.Entries), CreatedAt: r.CreatedAt.UTC(), ClosedAt: utcPtr(r.ClosedAt),
	}
	var err error
	st.Currency, err = currencyOf(r.Currency, "statement "+r.ID)
	return st, err
}

func commissionPlanNotFound(id string) error {
	return core.Errorf(core.NotFound, "commission plan %q not found", id)
}

func assignmentNotFound(resellerID string) error {
	return core.Errorf(core.NotFound, "reseller %q has no commission plan assigned", resellerID)
}

func statementNotFound(id string) error {
	return core.Errorf(core.NotFound, "statement %q not found", id)
}

func statementClosed(id string) error {
	return core.Errorf(core.StatementClosed, "statement %s is closed", id)
}

// Plans.

func (s *Store) createCommissionPlan(ctx context.Context, idb bun.IDB, p commission.Plan) error {
	r, err := toCommissionPlanRow(p)
	if err != nil {
		return err
	}
	n, err := s.affected(ctx, "create commission plan "+p.ID)(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return core.Errorf(core.Conflict, "commission plan %s already exists", p.ID)
	}
	return nil
}

func (s *Store) getCommissionPlanRow(ctx context.Context, idb bun.IDB, id string, forUpdate bool) (commissionPlanRow, error) {
	var r commissionPlanRow
	q := idb.NewSelect().Model(&r).Where("cp.id = ?", id)
	if forUpdate && s.pg {
		q = q.For("UPDATE")
	}
	err := s.scanOne(ctx, q, "read commission plan "+id, commissionPlanNotFound(id))
	return r, err
}

func (s *Store) getCommissionPlan(ctx context.Context, idb bun.IDB, id string) (commission.Plan, error) {
	r, err := s.getCommissionPlanRow(ctx, idb, id, false)
	if err != nil {
		return commission.Plan{}, err
	}
	return r.toPlan()
}

func (s *Store) listCommissionPlans(ctx context.Context, idb bun.IDB) ([]commission.Plan, error) {
	var rows []commissionPlanRow
	if err := idb.NewSelect().Model(&rows).OrderExpr("cp.created_at, cp.id").Scan(ctx); err != nil {
		return nil, s.translate(ctx, err, "list commission plans", "")
	}
	return convertRows(rows, (*commissionPlanRow).toPlan)
}

func (s *Store) updateCommissionPlan(ctx context.Context, idb bun.IDB, id string, update func(commission.Plan) (commission.Plan, error)) (commission.Plan, error) {
	old, err := s.getCommissionPlanRow(ctx, idb, id, true)
	if err != nil {
		return commission.Plan{}, err
	}
	cur, err := old.toPlan()
	if err != nil {
		return commission.Plan{}, err
	}
	next, err := core.Apply(cur, update, commission.CheckPlanUpdate)
	if err != nil {
		return commission.Plan{}, err
	}
	r, err := toCommissionPlanRow(next)
	if err != nil {
		return commission.Plan{}, err
	}
	r.CreatedAt = old.CreatedAt
	if _, err := s.affected(ctx, "update commission plan "+id)(idb.NewUpdate().Model(&r).WherePK().
		ExcludeColumn("id", "level", "created_at").Exec(ctx)); err != nil {
		return commission.Plan{}, err
	}
	return r.toPlan()
}

// Assignments.

func (s *Store) putAssignment(ctx context.Context, idb bun.IDB, a commission.Assignment) error {
	// A missing plan would fail the foreign key, aborting a caller's
	// PostgreSQL transaction; look first.
	ok, err := s.exists(ctx, idb.NewSelect().Model((*commissionPlanRow)(nil)).Where("cp.id = ?", a.PlanID), "read commission plan "+a.PlanID)
	if err != nil {
		return err
	}
	if !ok {
		return core.Errorf(core.Invalid, "commission plan %q does not exist", a.PlanID)
	}
	r := commissionAssignmentRow{ResellerID: a.ResellerID, PlanID: a.PlanID, UpdatedAt: dbTime(a.UpdatedAt)}
	_, err = s.affected(ctx, "assign a commission plan to reseller "+a.ResellerID)(idb.NewInsert().Model(&r).
		On("CONFLICT (reseller_id) DO UPDATE").Set("plan_id = EXCLUDED.plan_id, updated_at = EXCLUDED.updated_at").Exec(ctx))
	return err
}

func (s *Store) getAssignment(ctx context.Context, idb bun.IDB, resellerID string) (commission.Assignment, error) {
	var r commissionAssignmentRow
	err := s.scanOne(ctx, idb.NewSelect().Model(&r).Where("ca.reseller_id = ?", resellerID),
		"read the commission plan of reseller "+resellerID, assignmentNotFound(resellerID))
	return r.toAssignment(), err
}

func (s *Store) listAssignments(ctx context.Context, idb bun.IDB) ([]commission.Assignment, error) {
	var rows []commissionAssignmentRow
	if err := idb.NewSelect().Model(&rows).OrderExpr("ca.reseller_id").Scan(ctx); err != nil {
		return nil, s.translate(ctx, err, "list commission assignments", "")
	}
	out := make([]commission.Assignment, len(rows))
	for i := range rows {
		out[i] = rows[i].toAssignment()
	}
	return out, nil
}

// Statements.

const statementColumns = "cs.id, cs.reseller_id, cs.month, cs.currency, cs.status, cs.total, cs.entries, cs.created_at, cs.closed_at"

func scanStatementRow(rows *sql.Rows, r *statementRow) error {
	var closed sql.NullTime
	if err := rows.Scan(&r.ID, &r.ResellerID, &r.Month, &r.Currency, &r.Status, &r.Total, &r.Entries, &r.CreatedAt, &closed); err != nil {
		return err
	}
	r.ClosedAt = nullTime(closed)
	return nil
}

// readStatement reads the one statement where builds its condition;
// forUpdate locks it on PostgreSQL.
func (s *Store) readStatement(ctx context.Context, idb bun.IDB, doing string, notFound error, forUpdate bool, where func(q *readQuery)) (statementRow, error) {
	var r statementRow
	err := s.readOne(ctx, idb, doing, notFound, func(q *readQuery) {
		q.sql("SELECT " + statementColumns + " FROM commission_statements AS cs WHERE ")
		where(q)
		if forUpdate && s.pg {
			q.sql(" FOR UPDATE")
		}
	}, func(rows *sql.Rows) error { return scanStatementRow(rows, &r) })
	return r, err
}

// withDraftTotals returns the statements of rows, the Total and Entries
// of each draft summed from its entries in one grouped query.
func (s *Store) withDraftTotals(ctx context.Context, idb bun.IDB, rows []statementRow) ([]commission.Statement, error) {
	var drafts []string
	for i := range rows {
		if rows[i].Status != string(commission.StatementClosed) {
			drafts = append(drafts, rows[i].ID)
		}
	}
	type sum struct{ total, n int64 }
	sums := make(map[string]sum, len(drafts))
	if len(drafts) > 0 {
		err := s.readRows(ctx, idb, "total the statements' entries", func(q *readQuery) {
			q.sql("SELECT e.statement_id, CAST(COALESCE(SUM(e.amount), 0) AS BIGINT), COUNT(*) FROM commission_entries AS e WHERE e.statement_id IN (")
			for i, id := range drafts {
				if i > 0 {
					q.sql(", ")
				}
				q.arg(id)
			}
			q.sql(") GROUP BY e.statement_id")
		}, func(r *sql.Rows) error {
			var id string
			var v sum
			if err := r.Scan(&id, &v.total, &v.n); err != nil {
				return err
			}
			sums[id] = v
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]commission.Statement, len(rows))
	for i := range rows {
		st, err := rows[i].toStatement()
		if err != nil {
			return nil, err
		}
		if st.Status != commission.StatementClosed {
			v := sums[st.ID]
			st.Total, st.Entries = v.total, int(v.n)
		}
		out[i] = st
	}
	return out, nil
}

func (s *Store) openStatement(ctx context.Context, idb bun.IDB, resellerID, month string, currency money.Currency, now time.Time) (commission.Statement, error) {
	if err := commission.CheckStatementKey(resellerID, month, currency); err != nil {
		return commission.Statement{}, err
	}
	doing := "open the statement of reseller " + resellerID + " for " + month
	r := statementRow{
		ID: core.NewID(core.PrefixStatement), ResellerID: resellerID, Month: month, Currency: currency.Code(),
		Status: string(commission.StatementDraft), CreatedAt: dbTime(now),
	}
	// On PostgreSQL a concurrent opener's insert waits for this one's
	// transaction, then does nothing; both then lock the one row.
	if _, err := s.affected(ctx, doing)(idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx)); err != nil {
		return commission.Statement{}, err
	}
	row, err := s.readStatement(ctx, idb, doing, core.Errorf(core.Internal, "%s: the statement vanished", doing), true, func(q *readQuery) {
		q.sql("cs.reseller_id = ").arg(resellerID).sql(" AND cs.month = ").arg(month).sql(" AND cs.currency = ").arg(currency.Code())
	})
	if err != nil {
		return commission.Statement{}, err
	}
	if row.Status == string(commission.StatementClosed) {
		return commission.Statement{}, statementClosed(row.ID)
	}
	// The totals of a draft are not computed here (see OpenStatement):
	// a run opens each statement once a page.
	return row.toStatement()
}

func (s *Store) getStatement(ctx context.Context, idb bun.IDB, id string) (commission.Statement, error) {
	row, err := s.readStatement(ctx, idb, "read statement "+id, statementNotFound(id), false, func(q *readQuery) {
		q.sql("cs.id = ").arg(id)
	})
	if err != nil {
		return commission.Statement{}, err
	}
	out, err := s.withDraftTotals(ctx, idb, []statementRow{row})
	if err != nil {
		return commission.Statement{}, err
	}
	return out[0], nil
}

// closeStatement locks the statement, then freezes its total and count
// from its entries in one UPDATE: an InsertEntries that reached the
// statement first holds it (its share lock on PostgreSQL, the writer on
// SQLite) until it commits, and one that comes after finds it closed.
func (s *Store) closeStatement(ctx context.Context, idb bun.IDB, id string, now time.Time) (commission.Statement, error) {
	doing := "close statement " + id
	row, err := s.readStatement(ctx, idb, doing, statementNotFound(id), true, func(q *readQuery) { q.sql("cs.id = ").arg(id) })
	if err != nil {
		return commission.Statement{}, err
	}
	if row.Status == string(commission.StatementClosed) {
		return commission.Statement{}, statementClosed(id)
	}
	if _, err := s.affected(ctx, doing)(idb.ExecContext(ctx, "UPDATE commission_statements SET status = ?, closed_at = ?, "+
		"total = (SELECT CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) FROM commission_entries AS e WHERE e.statement_id = ?), "+
		"entries = (SELECT COUNT(*) FROM commission_entries AS e WHERE e.statement_id = ?) WHERE id = ?",
		string(commission.StatementClosed), dbTime(now), id, id, id)); err != nil {
		return commission.Statement{}, err
	}
	row, err = s.readStatement(ctx, idb, doing, statementNotFound(id), false, func(q *readQuery) { q.sql("cs.id = ").arg(id) })
	if err != nil {
		return commission.Statement{}, err
	}
	return row.toStatement()
}

func (s *Store) listStatements(ctx context.Context, idb bun.IDB, f commission.StatementFilter) ([]commission.Statement, int, error) {
	f, err := commission.CheckStatementFilter(f)
	if err != nil {
		return nil, 0, err
	}
	where := func(q *bun.SelectQuery) *bun.SelectQuery {
		if len(f.ResellerIDs) > 0 {
			q = q.Where("cs.reseller_id IN (?)", bun.List(f.ResellerIDs))
		}
		if f.Month != "" {
			q = q.Where("cs.month = ?", f.Month)
		}
		if f.Status != "" {
			q = q.Where("cs.status = ?", string(f.Status))
		}
		return q
	}
	var rows []statementRow
	err = where(idb.NewSelect().Model(&rows).ColumnExpr("cs.*").ColumnExpr("count(*) OVER () AS match_count")).
		OrderExpr("cs.month, cs.reseller_id, cs.currency").Limit(int64(f.Page.Limit)).Offset(int64(f.Page.Offset())).Scan(ctx)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "list statements", "")
	}
	out, err := s.withDraftTotals(ctx, idb, rows)
	if err != nil {
		return nil, 0, err
	}
	if len(rows) > 0 {
		return out, int(rows[0].Count), nil
	}
	n, err := where(idb.NewSelect().Model((*statementRow)(nil))).Count(ctx)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "count statements", "")
	}
	return out, int(n), nil
}

// Entries.

const entryColumns = "tenant_id, invoice_id, line, party, kind, statement_id, reseller_id, month, invoice_month, currency, " +
	"line_kind, sku, billing_plan, net_amount, rate_bp, detail, amount, plan_id, version_month, excluded, created_at"

// entryParams is the number of columns of entryColumns.
const entryParams = 21

// entryChunk is the most entries one INSERT carries: 21,000 parameters,
// under SQLite's limit of 32,766 and PostgreSQL's of 65,535.
const entryChunk = 1000

// entryBatch is the entries of an InsertEntries call to store: the first
// of each key, in key order, so that concurrent batches take their index
// locks in one order and cannot deadlock.
func entryBatch(entries []commission.Entry) (first map[commission.EntryKey]int, uniq []commission.Entry) {
	first = make(map[commission.EntryKey]int, len(entries))
	uniq = make([]commission.Entry, 0, len(entries))
	for i, e := range entries {
		k := e.Key()
		if _, ok := first[k]; ok {
			continue
		}
		first[k] = i
		e.CreatedAt = dbTime(e.CreatedAt)
		uniq = append(uniq, e)
	}
	slices.SortFunc(uniq, func(a, b commission.Entry) int { return commission.CompareKeys(a.Key(), b.Key()) })
	return first, uniq
}

func entryResults(entries []commission.Entry, first map[commission.EntryKey]int, inserted map[commission.EntryKey]bool) []bool {
	out := make([]bool, len(entries))
	for i, e := range entries {
		k := e.Key()
		out[i] = first[k] == i && inserted[k]
	}
	return out
}

// checkEntryStatements reads the statements the entries name, sharing a
// lock on each on PostgreSQL until the transaction ends (so that none
// closes before the entries commit, and a close that came first is
// waited for and seen), and refuses a statement that is missing or
// closed.
func (s *Store) checkEntryStatements(ctx context.Context, idb bun.IDB, entries []commission.Entry) error {
	seen := map[string]bool{}
	var ids []string
	for _, e := range entries {
		if e.StatementID != "" && !seen[e.StatementID] {
			seen[e.StatementID] = true
			ids = append(ids, e.StatementID)
		}
	}
	slices.Sort(ids)
	status := make(map[string]string, len(ids))
	for start := 0; start < len(ids); start += entryChunk {
		chunk := ids[start:min(start+entryChunk, len(ids))]
		err := s.readRows(ctx, idb, "read the entries' statements", func(q *readQuery) {
			q.sql("SELECT cs.id, cs.status FROM commission_statements AS cs WHERE cs.id IN (")
			for i, id := range chunk {
				if i > 0 {
					q.sql(", ")
				}
				q.arg(id)
			}
			q.sql(") ORDER BY cs.id")
			if s.pg {
				q.sql(" FOR SHARE")
			}
		}, func(r *sql.Rows) error {
			var id, st string
			if err := r.Scan(&id, &st); err != nil {
				return err
			}
			status[id] = st
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, id := range ids {
		switch st, ok := status[id]; {
		case !ok:
			return core.Errorf(core.Invalid, "statement %q does not exist", id)
		case st == string(commission.StatementClosed):
			return core.Errorf(core.StatementClosed, "statement %s is closed; it takes no more entries", id)
		}
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// insertEntries stores entries inside the transaction idb: with one
// INSERT ... SELECT FROM unnest(arrays) per chunk on PostgreSQL through
// pgx, else with multi-row INSERTs; both ON CONFLICT DO NOTHING
// RETURNING the keys stored.
func (s *Store) insertEntries(ctx context.Context, idb bun.IDB, entries []commission.Entry) ([]bool, error) {
	if err := commission.CheckEntries(entries); err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return []bool{}, nil
	}
	if err := s.checkEntryStatements(ctx, idb, entries); err != nil {
		return nil, err
	}
	first, uniq := entryBatch(entries)
	inserted := make(map[commission.EntryKey]bool, len(uniq))
	for start := 0; start < len(uniq); start += entryChunk {
		chunk := uniq[start:min(start+entryChunk, len(uniq))]
		build := s.entryValues
		if s.pgx {
			build = entryArrays
		}
		rows, err := s.run(ctx, idb, func(q *readQuery) { build(q, chunk) })
		if err != nil {
			return nil, s.translate(ctx, err, "insert commission entries", "")
		}
		if err := scanEntryKeys(rows, inserted); err != nil {
			return nil, s.translate(ctx, err, "insert commission entries", "")
		}
	}
	return entryResults(entries, first, inserted), nil
}

const entryReturning = " ON CONFLICT DO NOTHING RETURNING tenant_id, invoice_id, line, party, kind"

func (s *Store) entryValues(q *readQuery, chunk []commission.Entry) {
	q.b.Grow(len(chunk) * entryParams * 4)
	q.args = make([]any, 0, entryParams*len(chunk))
	q.sql("INSERT INTO commission_entries (" + entryColumns + ") VALUES ")
	for i := range chunk {
		e := &chunk[i]
		if i > 0 {
			q.sql(", ")
		}
		q.sql("(").arg(e.TenantID).sql(", ").arg(e.InvoiceID).sql(", ").arg(int64(e.Line)).sql(", ").arg(string(e.Party)).
			sql(", ").arg(string(e.Kind)).sql(", ").arg(nullIfEmpty(e.StatementID)).sql(", ").arg(e.ResellerID).
			sql(", ").arg(e.Month).sql(", ").arg(e.InvoiceMonth).sql(", ").arg(e.Currency.Code()).sql(", ").arg(string(e.LineKind)).
			sql(", ").arg(e.SKU).sql(", ").arg(e.BillingPlan).sql(", ").arg(e.NetAmount).sql(", ").arg(int64(e.RateBP)).
			sql(", ").arg(e.Detail).sql(", ").arg(e.Amount).sql(", ").arg(e.PlanID).sql(", ").arg(e.VersionMonth).
			sql(", ").arg(e.Excluded).sql(", ").arg(e.CreatedAt).sql(")")
	}
	q.sql(entryReturning)
}

// entryArrays sends a chunk as one array per column, so that the
// statement's text is the same for every batch and PostgreSQL plans it
// once.
func entryArrays(q *readQuery, chunk []commission.Entry) {
	n := len(chunk)
	var (
		tenants, invoices, parties, kinds, statements, resellers, months, invMonths, currencies = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		lineKinds, skus, plans, details, planIDs, versions, excluded = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		lines, nets, rates, amounts = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		created                     = make([]time.Time, n)
	)
	for i := range chunk {
		e := &chunk[i]
		tenants[i], invoices[i], lines[i], parties[i], kinds[i] = e.TenantID, e.InvoiceID, int64(e.Line), string(e.Party), string(e.Kind)
		statements[i], resellers[i], months[i], invMonths[i], currencies[i] = e.StatementID, e.ResellerID, e.Month, e.InvoiceMonth, e.Currency.Code()
		lineKinds[i], skus[i], plans[i], nets[i], rates[i] = string(e.LineKind), e.SKU, e.BillingPlan, e.NetAmount, int64(e.RateBP)
		details[i], amounts[i], planIDs[i], versions[i], excluded[i], created[i] = e.Detail, e.Amount, e.PlanID, e.VersionMonth, e.Excluded, e.CreatedAt
	}
	q.sql("INSERT INTO commission_entries (" + entryColumns + ") SELECT u.t, u.i, u.l, u.p, u.k, NULLIF(u.st, ''), u.r, u.m, u.im, u.c, " +
		"u.lk, u.sku, u.bp, u.na, u.rb, u.d, u.a, u.pl, u.vm, u.x, u.ca FROM unnest(")
	for i, a := range []struct {
		v   any
		typ string
	}{
		{tenants, "text"}, {invoices, "text"}, {lines, "bigint"}, {parties, "text"}, {kinds, "text"}, {statements, "text"},
		{resellers, "text"}, {months, "text"}, {invMonths, "text"}, {currencies, "text"}, {lineKinds, "text"}, {skus, "text"},
		{plans, "text"}, {nets, "bigint"}, {rates, "bigint"}, {details, "text"}, {amounts, "bigint"}, {planIDs, "text"},
		{versions, "text"}, {excluded, "text"}, {created, "timestamptz"},
	} {
		if i > 0 {
			q.sql(", ")
		}
		q.arg(a.v).sql("::" + a.typ + "[]")
	}
	q.sql(") AS u(t, i, l, p, k, st, r, m, im, c, lk, sku, bp, na, rb, d, a, pl, vm, x, ca)" + entryReturning)
}

func scanEntryKeys(rows *sql.Rows, into map[commission.EntryKey]bool) error {
	defer rows.Close()
	for rows.Next() {
		var k commission.EntryKey
		var line int64
		var party, kind string
		if err := rows.Scan(&k.TenantID, &k.InvoiceID, &line, &party, &kind); err != nil {
			return err
		}
		k.Line, k.Party, k.Kind = int(line), commission.Party(party), commission.Kind(kind)
		into[k] = true
	}
	return rows.Err()
}

const entrySelect = "SELECT e.tenant_id, e.invoice_id, e.line, e.party, e.kind, e.statement_id, e.reseller_id, e.month, e.invoice_month, " +
	"e.currency, e.line_kind, e.sku, e.billing_plan, e.net_amount, e.rate_bp, e.detail, e.amount, e.plan_id, e.version_month, " +
	"e.excluded, e.created_at FROM commission_entries AS e"

func scanEntry(rows *sql.Rows, e *commission.Entry) error {
	var line, rate int64
	var party, kind, currency, lineKind string
	var statement sql.NullString
	if err := rows.Scan(&e.TenantID, &e.InvoiceID, &line, &party, &kind, &statement, &e.ResellerID, &e.Month, &e.InvoiceMonth,
		&currency, &lineKind, &e.SKU, &e.BillingPlan, &e.NetAmount, &rate, &e.Detail, &e.Amount, &e.PlanID, &e.VersionMonth,
		&e.Excluded, &e.CreatedAt); err != nil {
		return err
	}
	e.Line, e.RateBP, e.Party, e.Kind = int(line), int(rate), commission.Party(party), commission.Kind(kind)
	e.StatementID, e.LineKind, e.CreatedAt = statement.String, billing.LineKind(lineKind), e.CreatedAt.UTC()
	var err error
	e.Currency, err = currencyOf(currency, "a commission entry of invoice "+e.InvoiceID)
	return err
}

func (s *Store) listEntries(ctx context.Context, idb bun.IDB, f commission.EntryFilter) ([]commission.Entry, error) {
	f, err := commission.CheckEntryFilter(f)
	if err != nil {
		return nil, err
	}
	out := make([]commission.Entry, 0, min(f.Limit, 256))
	err = s.readRows(ctx, idb, "list commission entries", func(q *readQuery) {
		q.sql(entrySelect + " WHERE 1 = 1")
		for _, c := range []struct{ col, v string }{
			{"statement_id", f.StatementID}, {"month", f.Month}, {"invoice_month", f.InvoiceMonth},
			{"invoice_id", f.InvoiceID}, {"tenant_id", f.TenantID}, {"kind", string(f.Kind)},
		} {
			if c.v != "" {
				q.sql(" AND e." + c.col + " = ").arg(c.v)
			}
		}
		if a := f.After; a != nil {
			q.sql(" AND (e.tenant_id, e.invoice_id, e.line, e.party, e.kind) > (").arg(a.TenantID).sql(", ").arg(a.InvoiceID).
				sql(", ").arg(int64(a.Line)).sql(", ").arg(string(a.Party)).sql(", ").arg(string(a.Kind)).sql(")")
		}
		q.sql(" ORDER BY e.tenant_id, e.invoice_id, e.line, e.party, e.kind LIMIT ").arg(f.Limit)
	}, func(r *sql.Rows) error {
		out = append(out, commission.Entry{})
		return scanEntry(r, &out[len(out)-1])
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// The Store's commission methods: reads on the read pool, writes in a
// transaction of their own.

// CreateCommissionPlan implements commission.Store. Errors: core.Conflict;
// core.Invalid for a value that cannot be stored; core.Internal.
func (s *Store) CreateCommissionPlan(ctx context.Context, p commission.Plan) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.CreateCommissionPlan(ctx, p)) })
	return err
}

// GetCommissionPlan implements commission.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) GetCommissionPlan(ctx context.Context, id string) (commission.Plan, error) {
	return readWith(ctx, s, func(idb bun.IDB) (commission.Plan, error) { return s.getCommissionPlan(ctx, idb, id) })
}

// ListCommissionPlans implements commission.Store. Errors: core.Internal.
func (s *Store) ListCommissionPlans(ctx context.Context) ([]commission.Plan, error) {
	return readWith(ctx, s, func(idb bun.IDB) ([]commission.Plan, error) { return s.listCommissionPlans(ctx, idb) })
}

// UpdateCommissionPlan implements commission.Store, locking the plan's
// row. Errors: core.NotFound; core.Invalid when update changes the ID,
// level or creation time; those of update; core.Internal.
func (s *Store) UpdateCommissionPlan(ctx context.Context, id string, update func(commission.Plan) (commission.Plan, error)) (commission.Plan, error) {
	return writeWith(ctx, s, func(tx *txStore) (commission.Plan, error) { return tx.UpdateCommissionPlan(ctx, id, update) })
}

// PutAssignment implements commission.Store. Errors: core.Invalid when
// the plan does not exist; core.Internal.
func (s *Store) PutAssignment(ctx context.Context, a commission.Assignment) error {
	_, err := writeWith(ctx, s, func(tx *txStore) (none, error) { return noValue(tx.PutAssignment(ctx, a)) })
	return err
}

// GetAssignment implements commission.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) GetAssignment(ctx context.Context, resellerID string) (commission.Assignment, error) {
	return readWith(ctx, s, func(idb bun.IDB) (commission.Assignment, error) { return s.getAssignment(ctx, idb, resellerID) })
}

// ListAssignments implements commission.Store. Errors: core.Internal.
func (s *Store) ListAssignments(ctx context.Context) ([]commission.Assignment, error) {
	return readWith(ctx, s, func(idb bun.IDB) ([]commission.Assignment, error) { return s.listAssignments(ctx, idb) })
}

// OpenStatement implements commission.Store: INSERT ... ON CONFLICT DO
// NOTHING, then the row read and locked (FOR UPDATE on PostgreSQL; the
// single writer on SQLite). Errors: core.StatementClosed; core.Invalid
// for an empty reseller, a bad month or no currency; core.Internal.
func (s *Store) OpenStatement(ctx context.Context, resellerID, month string, currency money.Currency, now time.Time) (commission.Statement, error) {
	return writeWith(ctx, s, func(tx *txStore) (commission.Statement, error) {
		return tx.OpenStatement(ctx, resellerID, month, currency, now)
	})
}

// GetStatement implements commission.Store. Errors: core.NotFound;
// core.Internal.
func (s *Store) GetStatement(ctx context.Context, id string) (commission.Statement, error) {
	return readWith(ctx, s, func(idb bun.IDB) (commission.Statement, error) { return s.getStatement(ctx, idb, id) })
}

// CloseStatement implements commission.Store, locking the statement.
// Errors: core.NotFound; core.StatementClosed; core.Internal.
func (s *Store) CloseStatement(ctx context.Context, id string, now time.Time) (commission.Statement, error) {
	return writeWith(ctx, s, func(tx *txStore) (commission.Statement, error) { return tx.CloseStatement(ctx, id, now) })
}

// ListStatements implements commission.Store: one page and its total in
// one statement, the drafts' totals in one grouped query. Errors:
// core.Invalid for a bad filter; core.Internal.
func (s *Store) ListStatements(ctx context.Context, f commission.StatementFilter) ([]commission.Statement, int, error) {
	type page struct {
		items []commission.Statement
		total int
	}
	p, err := readWith(ctx, s, func(idb bun.IDB) (page, error) {
		items, total, err := s.listStatements(ctx, idb, f)
		return page{items, total}, err
	})
	return p.items, p.total, err
}

// InsertEntries implements commission.Store, in one transaction. Errors:
// core.Invalid for an entry without its key or naming a statement that
// does not exist; core.StatementClosed for an entry naming a closed
// statement (nothing is stored); core.Internal.
func (s *Store) InsertEntries(ctx context.Context, entries []commission.Entry) ([]bool, error) {
	return writeWith(ctx, s, func(tx *txStore) ([]bool, error) { return tx.InsertEntries(ctx, entries) })
}

// ListEntries implements commission.Store, a keyset page on the primary
// key. Errors: core.Invalid for a bad filter; core.Internal.
func (s *Store) ListEntries(ctx context.Context, f commission.EntryFilter) ([]commission.Entry, error) {
	return readWith(ctx, s, func(idb bun.IDB) ([]commission.Entry, error) { return s.listEntries(ctx, idb, f) })
}

// The transaction's commission methods.

func (tx *txStore) CreateCommissionPlan(ctx context.Context, p commission.Plan) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.createCommissionPlan(ctx, idb, p)) })
	return err
}

func (tx *txStore) GetCommissionPlan(ctx context.Context, id string) (commission.Plan, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (commission.Plan, error) { return tx.s.getCommissionPlan(ctx, idb, id) })
}

func (tx *txStore) ListCommissionPlans(ctx context.Context) ([]commission.Plan, error) {
	return withTx(ctx, tx, func(idb bun.IDB) ([]commission.Plan, error) { return tx.s.listCommissionPlans(ctx, idb) })
}

func (tx *txStore) UpdateCommissionPlan(ctx context.Context, id string, update func(commission.Plan) (commission.Plan, error)) (commission.Plan, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (commission.Plan, error) { return tx.s.updateCommissionPlan(ctx, idb, id, update) })
}

func (tx *txStore) PutAssignment(ctx context.Context, a commission.Assignment) error {
	_, err := withTx(ctx, tx, func(idb bun.IDB) (none, error) { return noValue(tx.s.putAssignment(ctx, idb, a)) })
	return err
}

func (tx *txStore) GetAssignment(ctx context.Context, resellerID string) (commission.Assignment, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (commission.Assignment, error) { return tx.s.getAssignment(ctx, idb, resellerID) })
}

func (tx *txStore) ListAssignments(ctx context.Context) ([]commission.Assignment, error) {
	return withTx(ctx, tx, func(idb bun.IDB) ([]commission.Assignment, error) { return tx.s.listAssignments(ctx, idb) })
}

func (tx *txStore) OpenStatement(ctx context.Context, resellerID, month string, currency money.Currency, now time.Time) (commission.Statement, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (commission.Statement, error) {
		return tx.s.openStatement(ctx, idb, resellerID, month, currency, now)
	})
}

func (tx *txStore) GetStatement(ctx context.Context, id string) (commission.Statement, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (commission.Statement, error) { return tx.s.getStatement(ctx, idb, id) })
}

func (tx *txStore) CloseStatement(ctx context.Context, id string, now time.Time) (commission.Statement, error) {
	return withTx(ctx, tx, func(idb bun.IDB) (commission.Statement, error) { return tx.s.closeStatement(ctx, idb, id, now) })
}

func (tx *txStore) ListStatements(ctx context.Context, f commission.StatementFilter) ([]commission.Statement, int, error) {
	if err := tx.check(ctx); err != nil {
		return nil, 0, err
	}
	return tx.s.listStatements(ctx, tx.tx, f)
}

func (tx *txStore) InsertEntries(ctx context.Context, entries []commission.Entry) ([]bool, error) {
	return withTx(ctx, tx, func(idb bun.IDB) ([]bool, error) { return tx.s.insertEntries(ctx, idb, entries) })
}

func (tx *txStore) ListEntries(ctx context.Context, f commission.EntryFilter) ([]commission.Entry, error) {
	return withTx(ctx, tx, func(idb bun.IDB) ([]commission.Entry, error) { return tx.s.listEntries(ctx, idb, f) })
}
