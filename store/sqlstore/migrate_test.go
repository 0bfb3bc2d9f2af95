package sqlstore_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"
)

// dbColumns reads the columns of a table from the database catalogue, in
// the shape of sqlstore.ModelColumn.
func dbColumns(t *testing.T, db *bun.DB, table string) []sqlstore.ModelColumn {
	t.Helper()
	ctx := context.Background()
	var q string
	if db.Dialect().Name().String() == "pg" {
		q = `SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`
	} else {
		q = `SELECT name, type, "notnull" = 0 FROM pragma_table_info(?) ORDER BY cid`
	}
	rows, err := db.QueryContext(ctx, q, table)
	if err != nil {
		t.Fatalf("read the columns of %s: %v", table, err)
	}
	defer rows.Close()
	kinds := map[string]string{
		"text": "text", "timestamp with time zone": "time", "bigint": "int", "boolean": "bool", // PostgreSQL
		"TEXT": "text", "TIMESTAMP": "time", "INTEGER": "int", "BOOLEAN": "bool", // SQLite
	}
	var out []sqlstore.ModelColumn
	for rows.Next() {
		var c sqlstore.ModelColumn
		var typ string
		if err := rows.Scan(&c.Name, &typ, &c.Nullable); err != nil {
			t.Fatalf("scan a column of %s: %v", table, err)
		}
		c.Kind = kinds[typ]
		if c.Kind == "" {
			c.Kind = "unknown type " + typ
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read the columns of %s: %v", table, err)
	}
	return out
}

func appliedMigrations(t *testing.T, db *bun.DB) []string {
	t.Helper()
	var names []string
	if err := db.NewSelect().Table("bun_migrations").Column("name").Order("name").Scan(context.Background(), &names); err != nil {
		t.Fatalf("read bun_migrations: %v", err)
	}
	return names
}

// TestMigrateEmptyDatabase migrates an empty database to the latest version
// and checks every table against the model that reads and writes it.
func TestMigrateEmptyDatabase(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := open(t, b.dsn(t))
			models := sqlstore.ModelColumns(s.DB())
			if got, want := slices.Sorted(maps.Keys(models)), []string{"tenant_counts", "tenants"}; !slices.Equal(got, want) {
				t.Fatalf("model tables: got %v, want %v", got, want)
			}
			for table, want := range models {
				got := dbColumns(t, s.DB(), table)
				byName := func(a, b sqlstore.ModelColumn) int { return strings.Compare(a.Name, b.Name) }
				slices.SortFunc(got, byName)
				slices.SortFunc(want, byName)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("table %s: columns differ from the model (-model +database):\n%s", table, diff)
				}
			}
			if got := appliedMigrations(t, s.DB()); len(got) == 0 {
				t.Error("bun_migrations: got no applied migration, want at least one")
			}
		})
	}
}

// TestMigrateTwice checks that Migrate on an up-to-date database changes
// nothing, and that reopening does not migrate again.
func TestMigrateTwice(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			s := open(t, dsn)
			before := appliedMigrations(t, s.DB())
			cols := dbColumns(t, s.DB(), "tenants")
			for i := range 2 {
				if err := s.Migrate(context.Background()); err != nil {
					t.Fatalf("Migrate #%d: got error %v, want nil", i+1, err)
				}
			}
			s.Close()
			s = open(t, dsn)
			if diff := cmp.Diff(before, appliedMigrations(t, s.DB())); diff != "" {
				t.Errorf("applied migrations changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(cols, dbColumns(t, s.DB(), "tenants")); diff != "" {
				t.Errorf("tenants columns changed (-before +after):\n%s", diff)
			}
		})
	}
}

// TestMigrateRefusesNewerSchema records a migration the binary does not
// know, as a newer atomix would, and expects Open and Migrate to refuse the
// database with ErrSchemaNewer and a message naming the migration.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			s := open(t, dsn)
			if _, err := s.DB().ExecContext(context.Background(),
				"INSERT INTO bun_migrations (name, group_id, migrated_at) VALUES (?, ?, CURRENT_TIMESTAMP)",
				"99991231235959", 99); err != nil {
				t.Fatalf("record a future migration: %v", err)
			}
			err := s.Migrate(context.Background())
			if !errors.Is(err, sqlstore.ErrSchemaNewer) || !strings.Contains(err.Error(), "99991231235959") {
				t.Errorf("Migrate: got error %v, want ErrSchemaNewer naming 99991231235959", err)
			}
			s.Close()
			s2, err := sqlstore.Open(context.Background(), dsn)
			if err == nil {
				s2.Close()
			}
			if !errors.Is(err, sqlstore.ErrSchemaNewer) {
				t.Errorf("Open: got error %v, want ErrSchemaNewer", err)
			}
		})
	}
}

// TestWithoutMigrations checks that Open leaves an empty database alone
// when asked, and that Migrate then brings it up to date.
func TestWithoutMigrations(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := open(t, b.dsn(t), sqlstore.WithoutMigrations())
			if cols := dbColumns(t, s.DB(), "tenants"); len(cols) != 0 {
				t.Fatalf("tenants before Migrate: got %d columns, want no table", len(cols))
			}
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatalf("Migrate: got error %v, want nil", err)
			}
			if cols := dbColumns(t, s.DB(), "tenants"); len(cols) == 0 {
				t.Error("tenants after Migrate: got no table, want one")
			}
		})
	}
}
