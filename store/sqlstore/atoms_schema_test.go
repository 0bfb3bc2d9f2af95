package sqlstore_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/google/go-cmp/cmp"
)

// TestAtomSchema checks every table of the atom migration against its
// model.
func TestAtomSchema(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := open(t, b.dsn(t))
			models := sqlstore.AtomModelColumns(s.DB())
			want := []string{"atom_catalog", "atom_installations", "atom_versions"}
			if got := slices.Sorted(maps.Keys(models)); !slices.Equal(got, want) {
				t.Fatalf("model tables: got %v, want %v", got, want)
			}
			byName := func(a, b sqlstore.ModelColumn) int { return strings.Compare(a.Name, b.Name) }
			for table, want := range models {
				got := dbColumns(t, s.DB(), table)
				slices.SortFunc(got, byName)
				slices.SortFunc(want, byName)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("table %s: columns differ from the model (-model +database):\n%s", table, diff)
				}
			}
		})
	}
}

// TestAtomInstallationIndexesLeadWithTenant checks that every key and index
// of atom_installations, the tenant-owned atom table, starts with
// tenant_id.
func TestAtomInstallationIndexesLeadWithTenant(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := open(t, b.dsn(t))
			q := `SELECT l.name, (SELECT i.name FROM pragma_index_info(l.name) AS i WHERE i.seqno = 0)
				FROM pragma_index_list('atom_installations') AS l`
			if s.DB().Dialect().Name().String() == "pg" {
				q = `SELECT i.relname, a.attname FROM pg_index x
					JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
					JOIN pg_namespace n ON n.oid = c.relnamespace
					JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]
					WHERE n.nspname = current_schema() AND c.relname = 'atom_installations'`
			}
			rows, err := s.DB().QueryContext(context.Background(), q)
			if err != nil {
				t.Fatalf("list the indexes: %v", err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var name, first string
				if err := rows.Scan(&name, &first); err != nil {
					t.Fatal(err)
				}
				n++
				if first != "tenant_id" {
					t.Errorf("index %s starts with %q, want tenant_id", name, first)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n < 2 {
				t.Errorf("indexes: got %d, want at least the primary key and atom_installations_atom_key", n)
			}
		})
	}
}
