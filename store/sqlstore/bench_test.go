package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/atomixplatform/atomix/tenant"
)

// The benchmarks run on benchTenants tenants, seeded once with bulk
// inserts and kept between runs: a SQLite file in the temporary directory,
// and a PostgreSQL schema named benchSchema. Bump benchVersion when the
// schema or the seed changes.
const (
	benchTenants = 100_000
	benchVersion = "v1"
	benchSchema  = "atomix_bench_" + benchVersion
	benchTime    = "2006-01-02 15:04:05.999999-07:00" // bun's format for times
)

var benchStatuses = []tenant.Status{
	tenant.StatusTrial, tenant.StatusActive, tenant.StatusActive, tenant.StatusActive,
	tenant.StatusActive, tenant.StatusSuspended, tenant.StatusCancelled, tenant.StatusTrial,
}

var benchPlans = []string{"plan_starter", "plan_professional", "plan_enterprise", ""}

func benchID(i int) string { return fmt.Sprintf("tn_bench%07d", i) }

func benchCreated(i int) time.Time {
	return time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * time.Minute)
}

// seed fills an empty, migrated database with count tenants and
// their counts, using multi-row inserts; ph(n) returns the nth placeholder.
// The tests use it with a smaller count.
func seed(ctx context.Context, db *sql.DB, ph func(n int) string, count int) error {
	const cols = "id, name, name_lower, subdomain, status, plan_id, owner_id, contact_name, contact_email, contact_phone, industry, company_size, settings_extra, created_at, updated_at, deleted_at"
	const ncol = 16
	const batch = 1000
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for start := 0; start < count; start += batch {
		var b strings.Builder
		b.WriteString("INSERT INTO tenants (" + cols + ") VALUES ")
		args := make([]any, 0, batch*ncol)
		for i := start; i < min(start+batch, count); i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := range ncol {
				if c > 0 {
					b.WriteByte(',')
				}
				b.WriteString(ph(len(args) + c + 1))
			}
			b.WriteByte(')')
			name := fmt.Sprintf("Bench Company %d", i)
			var plan, deleted any
			if p := benchPlans[i%len(benchPlans)]; p != "" {
				plan = p
			}
			created := benchCreated(i).Format(benchTime)
			if i%50 == 7 {
				deleted = benchCreated(i).Add(time.Hour).Format(benchTime)
			}
			args = append(args, benchID(i), name, strings.ToLower(name), fmt.Sprintf("bench-%d", i),
				string(benchStatuses[i%len(benchStatuses)]), plan, nil, "Owner", fmt.Sprintf("owner%d@example.com", i),
				"+905321234567", "retail", "11-50", `{"seats":25}`, created, created, deleted)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_counts (status, plan_id, owner_id, deleted, n)
		SELECT status, COALESCE(plan_id, ''), COALESCE(owner_id, ''), deleted_at IS NOT NULL, count(*) FROM tenants
		GROUP BY status, COALESCE(plan_id, ''), COALESCE(owner_id, ''), deleted_at IS NOT NULL`); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "ANALYZE")
	return err
}

// benchDB is one seeded database: the store under test and a plain
// database/sql pool on the same data.
type benchDB struct {
	store *sqlstore.Store
	plain *sql.DB
	ph    func(n int) string
	err   error
}

// sqliteBench returns the seeded SQLite database, seeding it on first use
// in the process when the cached file is missing.
var sqliteBench = sync.OnceValue(func() *benchDB {
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), "atomix-sqlstore-bench-"+benchVersion+".db")
	if _, err := os.Stat(path); err != nil {
		tmp := fmt.Sprintf("%s.seeding-%d", path, os.Getpid())
		s, err := sqlstore.Open(ctx, "sqlite:"+tmp)
		if err != nil {
			return &benchDB{err: err}
		}
		plain, err := sql.Open("sqlite", "file:"+tmp+"?_pragma=busy_timeout(5000)")
		if err == nil {
			err = seed(ctx, plain, func(int) string { return "?" }, benchTenants)
			if err == nil {
				_, err = plain.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
			}
			plain.Close()
		}
		s.Close()
		if err == nil {
			err = os.Rename(tmp, path)
		}
		if err != nil {
			os.Remove(tmp)
			return &benchDB{err: fmt.Errorf("seed %s: %w", tmp, err)}
		}
	}
	s, err := sqlstore.Open(ctx, "sqlite:"+path)
	if err != nil {
		return &benchDB{err: err}
	}
	plain, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return &benchDB{err: err}
	}
	return &benchDB{store: s, plain: plain, ph: func(int) string { return "?" }}
})

// postgresBench returns the seeded PostgreSQL schema, seeding it when
// missing.
var postgresBench = sync.OnceValue(func() *benchDB {
	ctx := context.Background()
	dsn := os.Getenv(postgresEnv)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return &benchDB{err: err}
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", benchSchema).Scan(&exists); err != nil {
		return &benchDB{err: err}
	}
	if !exists {
		var b [4]byte
		rand.Read(b[:])
		tmp := benchSchema + "_seeding_" + hex.EncodeToString(b[:])
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+tmp); err != nil {
			return &benchDB{err: err}
		}
		err := func() error {
			tdsn, err := withSearchPath(dsn, tmp)
			if err != nil {
				return err
			}
			s, err := sqlstore.Open(ctx, tdsn)
			if err != nil {
				return err
			}
			defer s.Close()
			plain, err := sql.Open("pgx", tdsn)
			if err != nil {
				return err
			}
			defer plain.Close()
			return seed(ctx, plain, func(n int) string { return fmt.Sprintf("$%d", n) }, benchTenants)
		}()
		if err == nil {
			_, err = admin.ExecContext(ctx, "ALTER SCHEMA "+tmp+" RENAME TO "+benchSchema)
		}
		if err != nil {
			admin.ExecContext(ctx, "DROP SCHEMA "+tmp+" CASCADE")
			return &benchDB{err: fmt.Errorf("seed schema %s: %w", tmp, err)}
		}
	}
	bdsn, err := withSearchPath(dsn, benchSchema)
	if err != nil {
		return &benchDB{err: err}
	}
	s, err := sqlstore.Open(ctx, bdsn)
	if err != nil {
		return &benchDB{err: err}
	}
	plain, err := sql.Open("pgx", bdsn)
	if err != nil {
		return &benchDB{err: err}
	}
	return &benchDB{store: s, plain: plain, ph: func(n int) string { return fmt.Sprintf("$%d", n) }}
})

func sqliteBenchDB(b *testing.B) *benchDB {
	d := sqliteBench()
	if d.err != nil {
		b.Fatal(d.err)
	}
	return d
}

func postgresBenchDB(b *testing.B) *benchDB {
	postgresDSN(b)
	d := postgresBench()
	if d.err != nil {
		b.Fatal(d.err)
	}
	return d
}

var statusPage = tenant.Filter{Status: tenant.StatusActive, Page: core.PageRequest{Page: 1, Limit: 20}}

func benchListStore(b *testing.B, d *benchDB) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		items, total, err := d.store.ListTenants(ctx, statusPage)
		if err != nil || len(items) != 20 || total < benchTenants/3 {
			b.Fatalf("ListTenants: got %d items, total %d, error %v", len(items), total, err)
		}
	}
}

// plainTenantCols is the column list the plain-SQL benchmarks read.
const plainTenantCols = "id, name, subdomain, status, plan_id, owner_id, contact_name, contact_email, contact_phone, industry, company_size, settings_extra, created_at, updated_at, deleted_at"

type scanner interface{ Scan(...any) error }

// scanPlain reads a row of plainTenantCols into a tenant, doing the same
// conversions as the store.
func scanPlain(sc scanner, extra ...any) (tenant.Tenant, error) {
	var t tenant.Tenant
	var plan, owner, settings sql.NullString
	var deleted sql.NullTime
	dest := append([]any{&t.ID, &t.Name, &t.Subdomain, &t.Status, &plan, &owner, &t.Contact.Name, &t.Contact.Email,
		&t.Contact.Phone, &t.Settings.Industry, &t.Settings.CompanySize, &settings, &t.CreatedAt, &t.UpdatedAt, &deleted}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return t, err
	}
	t.PlanID, t.OwnerID = plan.String, owner.String
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	if deleted.Valid {
		d := deleted.Time.UTC()
		t.DeletedAt = &d
	}
	if settings.Valid {
		if err := json.Unmarshal([]byte(settings.String), &t.Settings.Extra); err != nil {
			return t, err
		}
	}
	return t, nil
}

// benchListPlain runs the store's list statement (a page and its total
// from tenant_counts, in one statement) through database/sql.
func benchListPlain(b *testing.B, d *benchDB) {
	ctx := context.Background()
	q := fmt.Sprintf(`SELECT c.total, p.* FROM (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS total FROM tenant_counts
		WHERE deleted = FALSE AND status = %s) AS c
		LEFT JOIN (SELECT %s FROM tenants WHERE deleted_at IS NULL AND status = %s ORDER BY created_at, id LIMIT 20 OFFSET 0) AS p
		ON 1 = 1 ORDER BY p.created_at, p.id`, d.ph(1), plainTenantCols, d.ph(2))
	b.ReportAllocs()
	for b.Loop() {
		rows, err := d.plain.QueryContext(ctx, q, "active", "active")
		if err != nil {
			b.Fatal(err)
		}
		var items []tenant.Tenant
		var total int64
		for rows.Next() {
			var tot int64
			// Columns are selected as p.* after the total: scan them in order.
			t, err := scanPlainTotal(rows, &tot)
			if err != nil {
				b.Fatal(err)
			}
			total = tot
			items = append(items, t)
		}
		rows.Close()
		if len(items) != 20 || total < benchTenants/3 {
			b.Fatalf("got %d items, total %d", len(items), total)
		}
	}
}

// scanPlainTotal reads "total, <plainTenantCols>".
func scanPlainTotal(rows *sql.Rows, total *int64) (tenant.Tenant, error) {
	return scanPlain(shift{rows, total})
}

// shift scans a leading column into first, then the rest as asked.
type shift struct {
	rows  *sql.Rows
	first *int64
}

func (s shift) Scan(dest ...any) error { return s.rows.Scan(append([]any{s.first}, dest...)...) }

func benchGetStore(b *testing.B, d *benchDB) {
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i = (i + 7919) % benchTenants
		if _, err := d.store.GetTenant(ctx, benchID(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGetPlain(b *testing.B, d *benchDB) {
	ctx := context.Background()
	q := "SELECT " + plainTenantCols + " FROM tenants WHERE id = " + d.ph(1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i = (i + 7919) % benchTenants
		if _, err := scanPlain(d.plain.QueryRowContext(ctx, q, benchID(i))); err != nil {
			b.Fatal(err)
		}
	}
}

// newBenchTenant returns a tenant for the create benchmarks; cleanupCreated
// removes them afterwards, so that the cached database stays as seeded.
func newBenchTenant(run string, i int) tenant.Tenant {
	now := core.Clock(nil).Now()
	return tenant.Tenant{
		ID:        fmt.Sprintf("tn_new_%s_%d", run, i),
		Name:      fmt.Sprintf("New Company %d", i),
		Subdomain: fmt.Sprintf("new-%s-%d", strings.ToLower(run), i),
		Status:    tenant.StatusTrial,
		PlanID:    "plan_starter",
		Contact:   tenant.Contact{Name: "Owner", Email: "owner@example.com", Phone: "+905321234567"},
		Settings:  tenant.Settings{Industry: "retail", CompanySize: "11-50", Extra: map[string]json.RawMessage{"seats": json.RawMessage(`25`)}},
		CreatedAt: now,
		UpdatedAt: now,
	}
}

func cleanupCreated(b *testing.B, d *benchDB) {
	b.Cleanup(func() {
		ctx := context.Background()
		for _, q := range []string{
			"DELETE FROM tenants WHERE id LIKE 'tn\\_new\\_%' ESCAPE '\\'",
			"DELETE FROM tenant_counts",
			`INSERT INTO tenant_counts (status, plan_id, owner_id, deleted, n)
			SELECT status, COALESCE(plan_id, ''), COALESCE(owner_id, ''), deleted_at IS NOT NULL, count(*) FROM tenants
			GROUP BY status, COALESCE(plan_id, ''), COALESCE(owner_id, ''), deleted_at IS NOT NULL`,
		} {
			if _, err := d.store.DB().ExecContext(ctx, q); err != nil {
				b.Errorf("clean up the created tenants: %v", err)
			}
		}
	})
}

func runID() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func benchCreateStore(b *testing.B, d *benchDB) {
	cleanupCreated(b, d)
	ctx := context.Background()
	run := runID()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		t := newBenchTenant(run, i)
		if err := d.store.InTx(ctx, func(tx store.Store) error { return tx.CreateTenant(ctx, t) }); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCreatePlain runs the store's statements for a create through
// database/sql: the insert and the count upsert, in one transaction.
func benchCreatePlain(b *testing.B, d *benchDB) {
	cleanupCreated(b, d)
	ctx := context.Background()
	run := runID()
	var ins strings.Builder
	ins.WriteString("INSERT INTO tenants (id, name, name_lower, subdomain, status, plan_id, owner_id, contact_name, contact_email, contact_phone, industry, company_size, settings_extra, created_at, updated_at, deleted_at) VALUES (")
	for c := range 16 {
		if c > 0 {
			ins.WriteByte(',')
		}
		ins.WriteString(d.ph(c + 1))
	}
	ins.WriteString(") ON CONFLICT DO NOTHING")
	upsert := fmt.Sprintf(`INSERT INTO tenant_counts AS c (status, plan_id, owner_id, deleted, n) VALUES (%s, %s, '', FALSE, 1)
		ON CONFLICT (status, plan_id, owner_id, deleted) DO UPDATE SET n = c.n + EXCLUDED.n`, d.ph(1), d.ph(2))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		t := newBenchTenant(run, i)
		extra, _ := json.Marshal(t.Settings.Extra)
		created := t.CreatedAt.Format(benchTime)
		tx, err := d.plain.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := tx.ExecContext(ctx, ins.String(), t.ID, t.Name, strings.ToLower(t.Name), t.Subdomain, string(t.Status), t.PlanID, nil,
			t.Contact.Name, t.Contact.Email, t.Contact.Phone, t.Settings.Industry, t.Settings.CompanySize, string(extra), created, created, nil)
		if err == nil {
			var n int64
			if n, err = res.RowsAffected(); err == nil && n != 1 {
				err = fmt.Errorf("inserted %d rows, want 1", n)
			}
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, upsert, string(t.Status), t.PlanID)
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			tx.Rollback()
			b.Fatal(err)
		}
	}
}

func BenchmarkSQLiteListByStatus(b *testing.B)         { benchListStore(b, sqliteBenchDB(b)) }
func BenchmarkSQLiteListByStatusPlainSQL(b *testing.B) { benchListPlain(b, sqliteBenchDB(b)) }
func BenchmarkSQLiteGet(b *testing.B)                  { benchGetStore(b, sqliteBenchDB(b)) }
func BenchmarkSQLiteGetPlainSQL(b *testing.B)          { benchGetPlain(b, sqliteBenchDB(b)) }
func BenchmarkSQLiteCreate(b *testing.B)               { benchCreateStore(b, sqliteBenchDB(b)) }
func BenchmarkSQLiteCreatePlainSQL(b *testing.B)       { benchCreatePlain(b, sqliteBenchDB(b)) }

func BenchmarkPostgresListByStatus(b *testing.B)         { benchListStore(b, postgresBenchDB(b)) }
func BenchmarkPostgresListByStatusPlainSQL(b *testing.B) { benchListPlain(b, postgresBenchDB(b)) }
func BenchmarkPostgresGet(b *testing.B)                  { benchGetStore(b, postgresBenchDB(b)) }
func BenchmarkPostgresGetPlainSQL(b *testing.B)          { benchGetPlain(b, postgresBenchDB(b)) }
func BenchmarkPostgresCreate(b *testing.B)               { benchCreateStore(b, postgresBenchDB(b)) }
func BenchmarkPostgresCreatePlainSQL(b *testing.B)       { benchCreatePlain(b, postgresBenchDB(b)) }

// benchSearch lists a page of a name search: its total is a count of the
// matching rows, not a read of tenant_counts.
func benchSearch(b *testing.B, d *benchDB) {
	ctx := context.Background()
	f := tenant.Filter{Query: "company 4242", Page: core.PageRequest{Page: 1, Limit: 20}}
	b.ReportAllocs()
	for b.Loop() {
		items, total, err := d.store.ListTenants(ctx, f)
		if err != nil || len(items) == 0 || total != len(items) {
			b.Fatalf("ListTenants(q): got %d items, total %d, error %v", len(items), total, err)
		}
	}
}

func BenchmarkSQLiteListSearch(b *testing.B)   { benchSearch(b, sqliteBenchDB(b)) }
func BenchmarkPostgresListSearch(b *testing.B) { benchSearch(b, postgresBenchDB(b)) }
