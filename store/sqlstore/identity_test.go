package sqlstore_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"
)

// identityTables are the tables of the identity migration; all but
// signing_keys belong to a tenant.
var identityTables = []string{
	"login_attempts", "refresh_families", "refresh_tokens", "set_password_tokens",
	"signing_keys", "user_recovery_codes", "user_totp", "users",
}

// identityColumns reads a table's columns from the catalogue.
func identityColumns(t *testing.T, db *bun.DB, table string) []sqlstore.ModelColumn {
	t.Helper()
	var q string
	if db.Dialect().Name().String() == "pg" {
		q = `SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`
	} else {
		q = `SELECT name, type, "notnull" = 0 FROM pragma_table_info(?) ORDER BY cid`
	}
	rows, err := db.QueryContext(context.Background(), q, table)
	if err != nil {
		t.Fatalf("read the columns of %s: %v", table, err)
	}
	defer rows.Close()
	kinds := map[string]string{
		"text": "text", "timestamp with time zone": "time", "bigint": "int", "boolean": "bool", "bytea": "bytes",
		"TEXT": "text", "TIMESTAMP": "time", "INTEGER": "int", "BOOLEAN": "bool", "BLOB": "bytes",
	}
	var out []sqlstore.ModelColumn
	for rows.Next() {
		var c sqlstore.ModelColumn
		var typ string
		if err := rows.Scan(&c.Name, &typ, &c.Nullable); err != nil {
			t.Fatalf("scan a column of %s: %v", table, err)
		}
		if c.Kind = kinds[typ]; c.Kind == "" {
			c.Kind = "unknown type " + typ
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read the columns of %s: %v", table, err)
	}
	return out
}

// TestIdentitySchema checks every identity table against its model.
func TestIdentitySchema(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := open(t, b.dsn(t))
			models := sqlstore.IdentityModelColumns(s.DB())
			if got := slices.Sorted(maps.Keys(models)); !slices.Equal(got, identityTables) {
				t.Fatalf("model tables: got %v, want %v", got, identityTables)
			}
			byName := func(a, b sqlstore.ModelColumn) int { return strings.Compare(a.Name, b.Name) }
			for table, want := range models {
				got := identityColumns(t, s.DB(), table)
				slices.SortFunc(got, byName)
				slices.SortFunc(want, byName)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("table %s: columns differ from the model (-model +database):\n%s", table, diff)
				}
			}
		})
	}
}

// TestIdentityIndexesLeadWithTenant checks that every key and index of a
// tenant-owned identity table starts with tenant_id, except the one
// documented exception: the unique index on users.id.
func TestIdentityIndexesLeadWithTenant(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := open(t, b.dsn(t))
			ctx := context.Background()
			type index struct{ table, name, first string }
			var found []index
			pg := s.DB().Dialect().Name().String() == "pg"
			for _, table := range identityTables {
				if table == "signing_keys" {
					continue
				}
				var q string
				if pg {
					q = `SELECT i.relname, a.attname FROM pg_index x
						JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
						JOIN pg_namespace n ON n.oid = c.relnamespace
						JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]
						WHERE n.nspname = current_schema() AND c.relname = ?`
				} else {
					q = `SELECT l.name, (SELECT i.name FROM pragma_index_info(l.name) AS i WHERE i.seqno = 0)
						FROM pragma_index_list(?) AS l`
				}
				rows, err := s.DB().QueryContext(ctx, q, table)
				if err != nil {
					t.Fatalf("list the indexes of %s: %v", table, err)
				}
				n := 0
				for rows.Next() {
					var ix index
					ix.table = table
					if err := rows.Scan(&ix.name, &ix.first); err != nil {
						t.Fatalf("scan an index of %s: %v", table, err)
					}
					found = append(found, ix)
					n++
				}
				rows.Close()
				if n == 0 {
					t.Errorf("table %s: no index found, want at least its primary key", table)
				}
			}
			exceptions := 0
			for _, ix := range found {
				switch {
				case ix.first == "tenant_id":
				case ix.table == "users" && ix.name == "users_id_key" && ix.first == "id":
					exceptions++
				default:
					t.Errorf("index %s of %s starts with %q, want tenant_id", ix.name, ix.table, ix.first)
				}
			}
			if exceptions != 1 {
				t.Errorf("users_id_key: found %d times, want once", exceptions)
			}
		})
	}
}
