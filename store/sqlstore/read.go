package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// The two hot reads, GetTenant and ListTenants, are written in SQL with
// bound parameters and scanned without reflection. They run on the
// database/sql handle under the bun.IDB (the pool, or the transaction), so
// that PostgreSQL can reuse its plans through pgx's statement cache, where
// bun's queries, which carry their values as literals, would be planned
// anew each time. On any other IDB they go through bun's own QueryContext.
// This halves the time of a read on PostgreSQL; see the benchmarks.

// querier is the database/sql handle of a bun.IDB.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readQuery builds a statement with bound parameters.
type readQuery struct {
	b       strings.Builder
	args    []any
	dollars bool // PostgreSQL's $n placeholders, else ?
	sqlite  bool // SQLite: times are read as text (see readColumns)
}

func (q *readQuery) sql(s string) *readQuery { q.b.WriteString(s); return q }

func (q *readQuery) arg(v any) *readQuery {
	q.args = append(q.args, v)
	if q.dollars {
		q.b.WriteByte('$')
		q.b.WriteString(strconv.Itoa(len(q.args)))
	} else {
		q.b.WriteByte('?')
	}
	return q
}

// run runs q on idb: on the database/sql handle under it when there is one,
// with pgx's statement cache on PostgreSQL, and otherwise through bun.
func (s *Store) run(ctx context.Context, idb bun.IDB, build func(q *readQuery)) (_ *sql.Rows, err error) {
	var raw querier
	switch v := idb.(type) {
	case *bun.DB:
		raw = v.DB
	case bun.Tx:
		raw = v.Tx
	case *bun.Tx:
		raw = v.Tx
	case bun.Conn:
		raw = v.Conn
	}
	q := &readQuery{dollars: raw != nil && s.pg, sqlite: !s.pg}
	build(q)
	if s.cfg.observer != nil && raw != nil {
		// bun's hook sees the other path; this one bypasses bun.
		start := time.Now()
		defer func() { s.observeStatement(ctx, OpSelect, start, err) }()
	}
	if raw == nil {
		return idb.QueryContext(ctx, q.b.String(), q.args...)
	}
	args := q.args
	if s.pgx {
		args = append([]any{pgx.QueryExecModeCacheStatement}, args...)
	}
	if s.stmts != nil && idb == bun.IDB(s.read) {
		return s.stmts.query(ctx, q.b.String(), args...)
	}
	return raw.QueryContext(ctx, q.b.String(), args...)
}

// tenantColumns are the columns a rowScanner reads, qualified by alias p.
const tenantColumns = "p.id, p.name, p.subdomain, p.status, p.plan_id, p.owner_id, p.contact_name, p.contact_email, " +
	"p.contact_phone, p.industry, p.company_size, p.settings_extra, p.created_at, p.updated_at, p.deleted_at"

// sqliteColumns are tenantColumns with the times read as text. modernc
// parses a DATETIME column's text itself, trying a layout that never fits
// first (an allocated error per value) and then its list of layouts: a
// seventh of a page read. As expressions, the times come back as text
// and parseSQLiteTime reads bun's layout in one try.
const sqliteColumns = "p.id, p.name, p.subdomain, p.status, p.plan_id, p.owner_id, p.contact_name, p.contact_email, " +
	"p.contact_phone, p.industry, p.company_size, p.settings_extra, p.created_at || '', p.updated_at || '', p.deleted_at || ''"

// readColumns returns the columns q's rows carry for a rowScanner.
func (q *readQuery) readColumns() string {
	if q.sqlite {
		return sqliteColumns
	}
	return tenantColumns
}

// rowScanner reads readQuery.readColumns() (after leading int64 columns) from the
// rows of one query. Its destinations are allocated once per query and
// reused for every row, not once per column and row.
type rowScanner struct {
	lead                                                                         []int64
	id, name, sub, status, plan, owner, cname, cemail, cphone, industry, size, x sql.NullString
	created, updated, deleted                                                    sql.NullTime
	createdText, updatedText, deletedText                                        sql.NullString // SQLite
	text                                                                         bool
	dest                                                                         []any
}

// newRowScanner returns a scanner for rows that start with lead int64
// columns before readQuery.readColumns(); sqlite says which columns.
func newRowScanner(sqlite bool, lead int) *rowScanner {
	sc := &rowScanner{lead: make([]int64, lead), text: sqlite}
	sc.dest = make([]any, 0, lead+15)
	for i := range sc.lead {
		sc.dest = append(sc.dest, &sc.lead[i])
	}
	sc.dest = append(sc.dest, &sc.id, &sc.name, &sc.sub, &sc.status, &sc.plan, &sc.owner, &sc.cname, &sc.cemail,
		&sc.cphone, &sc.industry, &sc.size, &sc.x)
	if sc.text {
		sc.dest = append(sc.dest, &sc.createdText, &sc.updatedText, &sc.deletedText)
	} else {
		sc.dest = append(sc.dest, &sc.created, &sc.updated, &sc.deleted)
	}
	return sc
}

// sqliteTimeLayouts are the layouts parseSQLiteTime accepts, most likely
// first: bun's, then the others modernc writes or reads.
var sqliteTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700 MST",
}

// parseSQLiteTime reads a time SQLite keeps as text.
func parseSQLiteTime(v sql.NullString) (sql.NullTime, error) {
	if !v.Valid {
		return sql.NullTime{}, nil
	}
	s := strings.TrimSuffix(v.String, "Z")
	for _, layout := range sqliteTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return sql.NullTime{Time: t, Valid: true}, nil
		}
	}
	return sql.NullTime{}, fmt.Errorf("sqlstore: unreadable time %q", v.String)
}

// scan reads the current row into r; the leading columns are in sc.lead
// afterwards. A row of NULLs (the empty page of a list) leaves r.ID empty.
func (sc *rowScanner) scan(rows *sql.Rows, r *tenantRow) error {
	if err := rows.Scan(sc.dest...); err != nil {
		return err
	}
	if sc.text {
		var err error
		if sc.created, err = parseSQLiteTime(sc.createdText); err != nil {
			return err
		}
		if sc.updated, err = parseSQLiteTime(sc.updatedText); err != nil {
			return err
		}
		if sc.deleted, err = parseSQLiteTime(sc.deletedText); err != nil {
			return err
		}
	}
	*r = tenantRow{
		ID: sc.id.String, Name: sc.name.String, Subdomain: sc.sub.String, Status: sc.status.String,
		PlanID: sc.plan.String, OwnerID: sc.owner.String,
		ContactName: sc.cname.String, ContactEmail: sc.cemail.String, ContactPhone: sc.cphone.String,
		Industry: sc.industry.String, CompanySize: sc.size.String,
		CreatedAt: sc.created.Time, UpdatedAt: sc.updated.Time,
	}
	if sc.x.Valid {
		extra := sc.x.String
		r.SettingsExtra = &extra
	}
	if sc.deleted.Valid {
		deleted := sc.deleted.Time
		r.DeletedAt = &deleted
	}
	return nil
}

// readTenant reads one tenant by ID. Errors: core.NotFound; core.Internal.
func (s *Store) readTenant(ctx context.Context, idb bun.IDB, id string) (tenant.Tenant, error) {
	rows, err := s.run(ctx, idb, func(q *readQuery) {
		q.sql("SELECT " + atomCountColumn + ", " + userCountColumn + ", " + q.readColumns() + " FROM tenants AS p WHERE p.id = ").arg(id)
	})
	if err != nil {
		return tenant.Tenant{}, s.translate(ctx, err, "read tenant "+id, "")
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return tenant.Tenant{}, s.translate(ctx, err, "read tenant "+id, "")
		}
		return tenant.Tenant{}, notFound(id)
	}
	var r tenantRow
	sc := newRowScanner(!s.pg, 2)
	if err := sc.scan(rows, &r); err != nil {
		return tenant.Tenant{}, s.translate(ctx, err, "read tenant "+id, "")
	}
	t, err := r.toTenant()
	t.AtomCount = int(sc.lead[0])
	t.UserCount = int(sc.lead[1])
	return t, err
}

// ownerIn writes " AND col IN (...)" for a Filter's OwnerIDs; nothing
// when there are none.
func (q *readQuery) ownerIn(owners []string, col string) {
	if len(owners) == 0 {
		return
	}
	q.sql(" AND " + col + " IN (")
	n := 0
	for _, o := range owners {
		if o == "" {
			continue // names no reseller: matches nothing
		}
		if n > 0 {
			q.sql(", ")
		}
		q.arg(o)
		n++
	}
	if n == 0 {
		q.sql("NULL") // IN (NULL) is never true
	}
	q.sql(")")
}

// filter writes the WHERE clause of f for tenants AS alias.
func (q *readQuery) filter(f tenant.Filter, alias string) {
	q.sql(" WHERE 1 = 1")
	if !f.IncludeDeleted {
		q.sql(" AND " + alias + ".deleted_at IS NULL")
	}
	if f.Status != "" {
		q.sql(" AND " + alias + ".status = ").arg(string(f.Status))
	}
	if f.PlanID != "" {
		q.sql(" AND " + alias + ".plan_id = ").arg(f.PlanID)
	}
	if f.OwnerID != "" {
		q.sql(" AND " + alias + ".owner_id = ").arg(f.OwnerID)
	}
	q.ownerIn(f.OwnerIDs, alias+".owner_id")
	if f.Query != "" {
		q.sql(" AND " + alias + ".name_lower LIKE ").arg("%" + escapeLike(strings.ToLower(f.Query)) + "%").sql(` ESCAPE '\'`)
	}
}

// sqliteTimeLayout is bun's layout for the times it writes to SQLite
// (schema.BaseDialect.AppendTime), in UTC: SQLite compares the stored
// text, so a key's time must be written the same way to compare exactly.
const sqliteTimeLayout = "2006-01-02 15:04:05.999999-07:00"

// after writes " AND (alias.created_at, alias.id) > (time, id)" for a
// keyset page: the key's time as a stored time is (dbTime; on SQLite in
// bun's text layout, so that the text comparison is exact to the
// microsecond).
func (q *readQuery) after(k core.ListKey, alias string) {
	at := any(dbTime(k.CreatedAt))
	if q.sqlite {
		at = dbTime(k.CreatedAt).Format(sqliteTimeLayout)
	}
	q.sql(" AND (" + alias + ".created_at, " + alias + ".id) > (").arg(at).sql(", ").arg(k.ID).sql(")")
}

// listQuery writes the statement of listTenants into q. With f.After the
// page is the rows past the key; the total, from tenant_counts or from m,
// still counts every match.
func listQuery(q *readQuery, f tenant.Filter) {
	// LIMIT and OFFSET are literals: with parameters there, a cached
	// PostgreSQL plan assumes a large limit and sorts instead of walking
	// the index.
	offset := f.Page.Offset()
	if f.After != nil {
		offset = 0 // a keyset page is the first past the key (Page 0 or 1)
	}
	limit := " LIMIT " + strconv.Itoa(f.Page.Limit) + " OFFSET " + strconv.Itoa(offset)
	cols := strings.ReplaceAll(tenantColumns, "p.", "t.")

	if f.Query != "" {
		// A name search scans the table once: the keys of the matching
		// rows are collected, counted and sorted for the page. Walking
		// the created_at index instead would visit every row in random
		// order when fewer than a page match.
		q.sql("WITH m AS MATERIALIZED (SELECT t.created_at, t.id FROM tenants AS t")
		q.filter(f, "t")
		q.sql(") SELECT c.total, " + atomCountColumn + ", " + userCountColumn + ", " + q.readColumns() + " FROM (SELECT count(*) AS total FROM m) AS c")
		q.sql(" LEFT JOIN (SELECT " + cols + " FROM tenants AS t WHERE t.id IN (SELECT m.id FROM m")
		if f.After != nil {
			q.sql(" WHERE 1 = 1")
			q.after(*f.After, "m")
		}
		q.sql(" ORDER BY m.created_at, m.id" + limit + "))")
		q.sql(" AS p ON 1 = 1 ORDER BY p.created_at, p.id")
		return
	}
	q.sql("SELECT c.total, " + atomCountColumn + ", " + userCountColumn + ", " + q.readColumns() + " FROM (")
	q.sql("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS total FROM tenant_counts AS k WHERE 1 = 1")
	if !f.IncludeDeleted {
		q.sql(" AND k.deleted = ").arg(false)
	}
	if f.Status != "" {
		q.sql(" AND k.status = ").arg(string(f.Status))
	}
	if f.PlanID != "" {
		q.sql(" AND k.plan_id = ").arg(f.PlanID)
	}
	if f.OwnerID != "" {
		q.sql(" AND k.owner_id = ").arg(f.OwnerID)
	}
	q.ownerIn(f.OwnerIDs, "k.owner_id")
	q.sql(") AS c LEFT JOIN (SELECT " + cols + " FROM tenants AS t")
	q.filter(f, "t")
	if f.After != nil {
		q.after(*f.After, "t")
	}
	q.sql(" ORDER BY t.created_at, t.id" + limit + ") AS p ON 1 = 1 ORDER BY p.created_at, p.id")
}

// listTenants reads a page and its total in one statement, so both come
// from one snapshot: the total (from tenant_counts, or a count of the
// matching rows when f.Query is set) is joined to each row of the page, and
// to one row of NULLs when the page is empty.
func (s *Store) listTenants(ctx context.Context, idb bun.IDB, f tenant.Filter) ([]tenant.Tenant, int, error) {
	if err := core.CheckAfter(f.After, f.Page); err != nil {
		return nil, 0, err
	}
	rows, err := s.run(ctx, idb, func(q *readQuery) { listQuery(q, f) })
	if err != nil {
		return nil, 0, s.translate(ctx, err, "list tenants", "")
	}
	defer rows.Close()
	out := make([]tenant.Tenant, 0, f.Page.Limit)
	total, seen := int64(0), false
	sc := newRowScanner(!s.pg, 3)
	for rows.Next() {
		var r tenantRow
		if err := sc.scan(rows, &r); err != nil {
			return nil, 0, s.translate(ctx, err, "list tenants", "")
		}
		seen = true
		total = sc.lead[0]
		if r.ID == "" {
			continue // the empty page's row of NULLs
		}
		t, err := r.toTenant()
		if err != nil {
			return nil, 0, err
		}
		t.AtomCount = int(sc.lead[1])
		t.UserCount = int(sc.lead[2])
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.translate(ctx, err, "list tenants", "")
	}
	if !seen {
		return nil, 0, core.Wrap(errNoTotal, "list tenants")
	}
	return out, int(total), nil
}
