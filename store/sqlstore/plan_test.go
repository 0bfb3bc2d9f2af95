package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
)

// TestListUsesIndexes checks, with the database's own EXPLAIN, that every
// list filter and the order are served by an index: the page never comes
// from a full scan of tenants or from sorting them. On PostgreSQL,
// sequential scans are disabled for the check, since on a table of a few
// thousand rows the planner may rightly prefer them.
func TestListUsesIndexes(t *testing.T) {
	tests := []struct {
		name  string
		f     tenant.Filter
		index string
	}{
		{"none", tenant.Filter{}, "tenants_created_idx"},
		{"status", tenant.Filter{Status: tenant.StatusActive}, "tenants_status_created_idx"},
		{"plan", tenant.Filter{PlanID: "plan_pro"}, "tenants_plan_created_idx"},
		{"owner", tenant.Filter{OwnerID: "dist_a"}, "tenants_owner_created_idx"},
		{"include deleted", tenant.Filter{IncludeDeleted: true}, "tenants_created_idx"},
		{"status, include deleted", tenant.Filter{Status: tenant.StatusTrial, IncludeDeleted: true}, "tenants_status_created_idx"},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, b.dsn(t))
			ph := func(int) string { return "?" }
			if b.name != "SQLite" {
				ph = func(n int) string { return fmt.Sprintf("$%d", n) }
			}
			// Enough rows, with statistics, for the planner to choose as it
			// would in production.
			if err := seed(ctx, s.DB().DB, ph, 3000); err != nil {
				t.Fatalf("seed: %v", err)
			}
			for _, tc := range tests {
				name, f := tc.name, tc.f
				f.Page = core.PageRequest{Page: 2, Limit: 20}
				query, args := s.ListSQL(f)
				var plan []string
				if b.name == "SQLite" {
					rows, err := s.DB().DB.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
					if err != nil {
						t.Fatalf("%s: EXPLAIN: %v", name, err)
					}
					for rows.Next() {
						var id, parent, unused int
						var detail string
						if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
							t.Fatal(err)
						}
						plan = append(plan, detail)
					}
					rows.Close()
				} else {
					tx, err := s.DB().DB.BeginTx(ctx, nil)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
						t.Fatal(err)
					}
					rows, err := tx.QueryContext(ctx, "EXPLAIN "+query, args...)
					if err != nil {
						t.Fatalf("%s: EXPLAIN: %v", name, err)
					}
					for rows.Next() {
						var line string
						if err := rows.Scan(&line); err != nil {
							t.Fatal(err)
						}
						plan = append(plan, line)
					}
					rows.Close()
					tx.Rollback()
				}
				text := strings.Join(plan, "\n")
				// The page comes from the filter's index; the one sort
				// allowed is the outer one, of the page's rows.
				var usesIndex bool
				var sorts int
				for _, line := range plan {
					line = strings.TrimSpace(line)
					switch {
					case strings.HasPrefix(line, "SCAN t USING INDEX "+tc.index), strings.HasPrefix(line, "SEARCH t USING INDEX "+tc.index),
						strings.Contains(line, "Index Scan using "+tc.index+" on tenants"),
						// PostgreSQL may rightly walk the order's index and
						// filter, when the filter keeps many rows.
						strings.Contains(line, "Index Scan using tenants_created_idx on tenants"):
						usesIndex = true
					case line == "SCAN t", strings.HasPrefix(line, "Seq Scan on tenants "):
						t.Errorf("%s: the plan scans the whole tenants table: %q", name, line)
					case strings.HasPrefix(line, "USE TEMP B-TREE FOR ORDER BY"), strings.HasPrefix(line, "Sort Key:"):
						sorts++
					}
				}
				if !usesIndex {
					t.Errorf("%s: the plan does not read the page through %s", name, tc.index)
				}
				if sorts != 1 {
					t.Errorf("%s: got %d sorts, want 1 (the page's own rows)", name, sorts)
				}
				if t.Failed() {
					t.Logf("%s plan:\n%s", name, text)
				}
			}
		})
	}
}
