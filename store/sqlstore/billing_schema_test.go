package sqlstore_test

import (
	"context"
	"testing"
)

// TestBillingIndexesLeadWithTenant checks that every key and index of the
// tenant-owned billing tables starts with tenant_id, but for the
// documented exceptions: the IDs of subscriptions and invoices are unique
// across tenants, and invoices are listed and scanned by month, and
// overdue ones by status and due date, across tenants.
func TestBillingIndexesLeadWithTenant(t *testing.T) {
	exceptions := map[string]string{
		"subscriptions_id_key":      "id",
		"invoices_id_key":           "id",
		"invoices_month_tenant_idx": "month",
		"invoices_owner_month_idx":  "owner_id",
		"invoices_status_due_idx":   "status",
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := open(t, b.dsn(t))
			for _, table := range []string{"subscriptions", "usage_records", "threshold_marks", "invoices"} {
				q := `SELECT l.name, (SELECT i.name FROM pragma_index_info(l.name) AS i WHERE i.seqno = 0)
					FROM pragma_index_list(?) AS l`
				if s.DB().Dialect().Name().String() == "pg" {
					q = `SELECT i.relname, a.attname FROM pg_index x
						JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
						JOIN pg_namespace n ON n.oid = c.relnamespace
						JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]
						WHERE n.nspname = current_schema() AND c.relname = ?`
				}
				rows, err := s.DB().QueryContext(context.Background(), q, table)
				if err != nil {
					t.Fatalf("list the indexes of %s: %v", table, err)
				}
				n := 0
				for rows.Next() {
					var name, first string
					if err := rows.Scan(&name, &first); err != nil {
						t.Fatal(err)
					}
					n++
					want := "tenant_id"
					if col, ok := exceptions[name]; ok {
						want = col
					}
					if first != want {
						t.Errorf("index %s of %s starts with %q, want %q", name, table, first, want)
					}
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				rows.Close()
				if n == 0 {
					t.Errorf("%s: got no index, want at least its primary key", table)
				}
			}
		})
	}
}
