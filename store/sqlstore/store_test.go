package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"
)

var base = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// mixTenant returns tenant n of the random mix.
func mixTenant(n int, rng *rand.Rand) tenant.Tenant {
	plans := []string{"", "plan_starter", "plan_pro"}
	owners := []string{"", "dist_a", "prt_b"}
	created := base.Add(time.Duration(rng.IntN(1000)) * time.Millisecond) // ties on purpose
	return tenant.Tenant{
		ID:        fmt.Sprintf("tn_mix%05d", n),
		Name:      fmt.Sprintf("Mix %d", n),
		Subdomain: fmt.Sprintf("mix-%d", n),
		Status:    tenant.Statuses[rng.IntN(len(tenant.Statuses))],
		PlanID:    plans[rng.IntN(len(plans))],
		OwnerID:   owners[rng.IntN(len(owners))],
		Contact:   tenant.Contact{Name: "M", Email: "m@example.com"},
		CreatedAt: created,
		UpdatedAt: created,
	}
}

// mutate applies one random change to x.
func mutate(x tenant.Tenant, rng *rand.Rand) tenant.Tenant {
	switch rng.IntN(5) {
	case 0:
		x.Status = tenant.Statuses[rng.IntN(len(tenant.Statuses))]
	case 1:
		x.PlanID = []string{"", "plan_starter", "plan_pro"}[rng.IntN(3)]
	case 2:
		if x.DeletedAt == nil {
			d := base.Add(time.Hour)
			x.DeletedAt = &d
		} else {
			x.DeletedAt = nil // may fail with subdomain_taken: fine
		}
	case 3:
		x.OwnerID = []string{"", "dist_a", "prt_b"}[rng.IntN(3)]
	case 4:
		x.Name += " renamed"
	}
	return x
}

// TestCountsMatchRows runs a random mix of creates, updates, deletes and
// status moves, from several goroutines, some inside transactions that roll
// back, and then checks that tenant_counts equals a count(*) of the rows and
// that every list total equals the number of matching tenants.
func TestCountsMatchRows(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, b.dsn(t))
			const workers, ops = 4, 60
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			var wg sync.WaitGroup
			errs := make(chan error, workers*ops)
			for w := range workers {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(seed, uint64(w)))
					var mine []string
					for i := range ops {
						n := w*ops + i
						var err error
						switch op := rng.IntN(10); {
						case op < 4 || len(mine) == 0:
							tn := mixTenant(n, rng)
							if err = s.CreateTenant(ctx, tn); err == nil {
								mine = append(mine, tn.ID)
							}
						case op < 7:
							id := mine[rng.IntN(len(mine))]
							_, err = s.UpdateTenant(ctx, id, func(x tenant.Tenant) (tenant.Tenant, error) { return mutate(x, rng), nil })
						default:
							// Several writes in one transaction; every other one rolls back.
							rollback := op == 9
							var created []string
							err = s.InTx(ctx, func(tx store.Store) error {
								created = created[:0]
								tn := mixTenant(10000+n, rng)
								if err := tx.CreateTenant(ctx, tn); err != nil {
									return err
								}
								created = append(created, tn.ID)
								for range 2 {
									id := mine[rng.IntN(len(mine))]
									if _, err := tx.UpdateTenant(ctx, id, func(x tenant.Tenant) (tenant.Tenant, error) { return mutate(x, rng), nil }); err != nil {
										return err
									}
								}
								if rollback {
									return errRollback
								}
								return nil
							})
							if err == nil {
								mine = append(mine, created...)
							}
						}
						if err != nil && !errors.Is(err, errRollback) && core.ErrorCode(err) != core.SubdomainTaken {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("operation: got error %v, want nil, %v or code %q", err, errRollback, core.SubdomainTaken)
			}
			checkCounts(t, s)
		})
	}
}

var errRollback = errors.New("rolling back on purpose")

type countKey struct {
	Status, PlanID, OwnerID string
	Deleted                 bool
}

// checkCounts compares tenant_counts with the rows, and list totals with a
// count of what the lists return.
func checkCounts(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	read := func(q string) map[countKey]int64 {
		rows, err := s.DB().QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		m := map[countKey]int64{}
		for rows.Next() {
			var k countKey
			var n int64
			if err := rows.Scan(&k.Status, &k.PlanID, &k.OwnerID, &k.Deleted, &n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				m[k] = n
			}
		}
		return m
	}
	counted := read(`SELECT status, COALESCE(plan_id, ''), COALESCE(owner_id, ''), deleted_at IS NOT NULL, count(*) FROM tenants
		GROUP BY status, COALESCE(plan_id, ''), COALESCE(owner_id, ''), deleted_at IS NOT NULL`)
	kept := read(`SELECT status, plan_id, owner_id, deleted, n FROM tenant_counts`)
	if len(counted) == 0 {
		t.Fatal("no tenants stored; the mix did nothing")
	}
	if diff := cmp.Diff(counted, kept); diff != "" {
		t.Errorf("tenant_counts differs from count(*) (-count(*) +tenant_counts):\n%s", diff)
	}

	for _, status := range append([]tenant.Status{""}, tenant.Statuses...) {
		for _, plan := range []string{"", "plan_pro"} {
			for _, owner := range []string{"", "dist_a"} {
				for _, del := range []bool{false, true} {
					f := tenant.Filter{Status: status, PlanID: plan, OwnerID: owner, IncludeDeleted: del}
					want := 0
					for k, n := range counted {
						if (status == "" || k.Status == string(status)) && (plan == "" || k.PlanID == plan) &&
							(owner == "" || k.OwnerID == owner) && (del || !k.Deleted) {
							want += int(n)
						}
					}
					f.Page = core.PageRequest{Page: 1, Limit: 5}
					_, total, err := s.ListTenants(ctx, f)
					if err != nil || total != want {
						t.Errorf("ListTenants(%+v): got total %d, error %v; want %d, nil", f, total, err, want)
					}
				}
			}
		}
	}
}

// TestListMatchesMemory lists the same tenants from the SQL store and from
// store/memory, the reference, with filters that exercise the name search
// (LIKE wildcards and backslashes must match literally, case folding must
// follow strings.ToLower), ties in the order and pagination.
func TestListMatchesMemory(t *testing.T) {
	names := []string{
		"100% Pure", "100 Percent", "a_b Labs", "aXb Labs", `Back\slash Ltd`, `Backslash Ltd`,
		"İstanbul Yazılım", "ISTANBUL Tech", "istanbul cafe", "Ünal A.Ş.", "ÜNAL Bros", "straße GmbH",
		"STRASSE AG", "Ωmega", "ωmega two", "Acme", "ACME Corp", "acme-labs", "O'Brien & Co", `"Quoted"`,
	}
	queries := []string{"", "%", "_", `\`, "100%", "a_b", `k\s`, "i̇stanbul", "istanbul", "İSTANBUL", "ünal",
		"Straße", "strasse", "ω", "acme", "ACME", "'", `"`, "no such name", "%%", "l_bs"}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, b.dsn(t))
			ref := memory.New()
			rng := rand.New(rand.NewPCG(1, 2))
			for i, name := range names {
				tn := mixTenant(i, rng)
				tn.Name = name
				tn.CreatedAt = base.Add(time.Duration(i%4) * time.Microsecond) // many ties: the ID decides
				tn.UpdatedAt = tn.CreatedAt
				if i%7 == 3 {
					d := base
					tn.DeletedAt = &d
				}
				for _, st := range []tenant.Store{s, ref} {
					if err := st.CreateTenant(ctx, tn); err != nil {
						t.Fatalf("CreateTenant(%q): %v", name, err)
					}
				}
			}
			for _, q := range queries {
				for _, f := range []tenant.Filter{
					{Query: q},
					{Query: q, IncludeDeleted: true},
					{Query: q, Status: tenant.StatusTrial},
					{Query: q, PlanID: "plan_pro", IncludeDeleted: true},
					{Query: q, OwnerID: "dist_a"},
				} {
					for _, page := range []core.PageRequest{{Page: 1, Limit: 3}, {Page: 2, Limit: 3}, {Page: 1, Limit: 100}, {Page: 50, Limit: 10}} {
						f.Page = page
						want, wantTotal, err := ref.ListTenants(ctx, f)
						if err != nil {
							t.Fatal(err)
						}
						got, total, err := s.ListTenants(ctx, f)
						if err != nil {
							t.Fatalf("ListTenants(%+v): got error %v, want nil", f, err)
						}
						if total != wantTotal {
							t.Errorf("ListTenants(%+v): got total %d, want %d", f, total, wantTotal)
						}
						if diff := cmp.Diff(want, got); diff != "" {
							t.Errorf("ListTenants(%+v) mismatch (-memory +sql):\n%s", f, diff)
						}
					}
				}
			}
		})
	}
}

// TestInTxRetries checks that InTx reruns the whole transaction after a
// serialization failure or deadlock, keeps only the last attempt's writes,
// and gives up with a clear error after the configured attempts.
func TestInTxRetries(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, b.dsn(t), sqlstore.WithTxAttempts(4))
			tests := []struct {
				name     string
				failures int // attempts that fail before one succeeds
				code     string
				wantErr  bool
			}{
				{"serialization failure twice", 2, "40001", false},
				{"deadlock once", 1, "40P01", false},
				{"always", 100, "40001", true},
			}
			for i, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					calls := 0
					tn := sampleTenant(10 + i)
					err := s.InTx(ctx, func(tx store.Store) error {
						calls++
						if err := tx.CreateTenant(ctx, tn); err != nil {
							return err
						}
						if calls <= tc.failures {
							return core.Wrap(&pgconn.PgError{Code: tc.code, Message: "simulated"}, "simulated conflict")
						}
						return nil
					})
					wantCalls := min(tc.failures+1, 4)
					if calls != wantCalls {
						t.Errorf("fn calls: got %d, want %d", calls, wantCalls)
					}
					if tc.wantErr {
						var pe *pgconn.PgError
						if core.ErrorCode(err) != core.Internal || !strings.Contains(err.Error(), "after 4 attempts") || !errors.As(err, &pe) {
							t.Errorf("InTx: got error %v, want code internal saying \"after 4 attempts\" and wrapping the cause", err)
						}
						if _, err := s.GetTenant(ctx, tn.ID); core.ErrorCode(err) != core.NotFound {
							t.Errorf("GetTenant after the failed transaction: got error %v, want code not_found", err)
						}
						return
					}
					if err != nil {
						t.Fatalf("InTx: got error %v, want nil", err)
					}
					_, total, err := s.ListTenants(ctx, tenant.Filter{Query: tn.Name, Page: core.PageRequest{Page: 1, Limit: 10}})
					if err != nil || total != 1 {
						t.Errorf("tenants named %q: got %d, error %v; want 1, nil", tn.Name, total, err)
					}
				})
			}
			checkCounts(t, s)
		})
	}
}

// TestSQLiteBusyRetries holds the SQLite write lock from another connection,
// as another process would, and checks that InTx gives up with a clear
// error while the lock is held, and succeeds when it is released in time.
func TestSQLiteBusyRetries(t *testing.T) {
	ctx := context.Background()
	dsn := sqliteDSN(t)
	s := open(t, dsn, sqlstore.WithBusyTimeout(50*time.Millisecond), sqlstore.WithTxAttempts(6))
	path := strings.TrimPrefix(dsn, "sqlite:")
	other, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	lock := func() *sql.Tx {
		t.Helper()
		tx, err := other.BeginTx(ctx, nil)
		if err != nil {
			t.Fatalf("take the write lock: %v", err)
		}
		return tx
	}

	held := lock()
	err = s.CreateTenant(ctx, sampleTenant(1))
	if core.ErrorCode(err) != core.Internal || !strings.Contains(err.Error(), "after 6 attempts") {
		t.Errorf("CreateTenant while the database is locked: got error %v, want code internal saying \"after 6 attempts\"", err)
	}
	held.Rollback()

	held = lock()
	time.AfterFunc(60*time.Millisecond, func() { held.Rollback() })
	if err := s.CreateTenant(ctx, sampleTenant(2)); err != nil {
		t.Errorf("CreateTenant while the lock is released soon: got error %v, want nil", err)
	}
}
