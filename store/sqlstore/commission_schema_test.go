package sqlstore_test

import (
	"context"
	"testing"
)

// TestCommissionIndexesLeadWithTenant checks that every key and index of
// commission_entries, the tenant-owned commission table, starts with
// tenant_id, but for the documented exceptions: a statement's entries and
// the entries of a month (reported, or invoiced) are read across
// tenants. It also checks that each exception exists.
func TestCommissionIndexesLeadWithTenant(t *testing.T) {
	exceptions := map[string]string{
		"commission_entries_statement_idx":     "statement_id",
		"commission_entries_month_idx":         "month",
		"commission_entries_invoice_month_idx": "invoice_month",
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := open(t, b.dsn(t))
			q := `SELECT l.name, (SELECT i.name FROM pragma_index_info(l.name) AS i WHERE i.seqno = 0)
				FROM pragma_index_list(?) AS l`
			if s.DB().Dialect().Name().String() == "pg" {
				q = `SELECT i.relname, a.attname FROM pg_index x
					JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
					JOIN pg_namespace n ON n.oid = c.relnamespace
					JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]
					WHERE n.nspname = current_schema() AND c.relname = ?`
			}
			rows, err := s.DB().QueryContext(context.Background(), q, "commission_entries")
			if err != nil {
				t.Fatalf("list the indexes of commission_entries: %v", err)
			}
			defer rows.Close()
			seen := map[string]bool{}
			led := 0
			for rows.Next() {
				var name, first string
				if err := rows.Scan(&name, &first); err != nil {
					t.Fatal(err)
				}
				seen[name] = true
				want := "tenant_id"
				if col, ok := exceptions[name]; ok {
					want = col
				} else {
					led++
				}
				if first != want {
					t.Errorf("index %s of commission_entries starts with %q, want %q", name, first, want)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if led == 0 {
				t.Errorf("commission_entries: got no index led by tenant_id, want at least its primary key")
			}
			for name := range exceptions {
				if !seen[name] {
					t.Errorf("commission_entries: got no index %s, want it (a documented exception)", name)
				}
			}
		})
	}
}
