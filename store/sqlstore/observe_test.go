package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/atomixplatform/atomix/tenant"
)

// observed records what an Observer is told.
type observed struct {
	mu    sync.Mutex
	seen  map[string][2]int    // op -> {successes, failures}
	codes map[string]core.Code // op -> the code of its last failure
}

func (o *observed) observe(op string, d time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.seen[op]
	if err != nil {
		n[1]++
		o.codes[op] = core.ErrorCode(err)
	} else {
		n[0]++
	}
	if d < 0 {
		n[1] += 1000 // a negative duration fails every check below
	}
	o.seen[op] = n
}

// take returns what was seen since the last take.
func (o *observed) take() map[string][2]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.seen
	o.seen = map[string][2]int{}
	o.codes = map[string]core.Code{}
	return out
}

func TestObserver(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := t.Context()
			obs := &observed{seen: map[string][2]int{}, codes: map[string]core.Code{}}
			s, err := sqlstore.Open(ctx, b.dsn(t), sqlstore.WithObserver(obs.observe))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if got := obs.take(); got[sqlstore.OpOther][0] == 0 && got[sqlstore.OpSelect][0] == 0 {
				t.Errorf("migrations: got %v, want their statements observed", got)
			}
			now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			tn := tenant.Tenant{
				ID: "tn_observe", Name: "Observed", Subdomain: "observed", Status: tenant.StatusTrial, PlanID: "plan_starter",
				Contact:   tenant.Contact{Name: "Ayşe Demir", Email: "a@example.com", Phone: "+905321234567"},
				CreatedAt: now, UpdatedAt: now,
			}
			boom := errors.New("failing on purpose")
			tests := []struct {
				name string
				do   func(ctx context.Context) error
				// want: for each op, {at least this many successes, exactly this many failures}
				want map[string][2]int
				// codes are the codes of the failures, by op.
				codes map[string]core.Code
			}{
				{"CreateTenant", func(ctx context.Context) error { return s.CreateTenant(ctx, tn) },
					map[string][2]int{sqlstore.OpTx: {1, 0}, sqlstore.OpInsert: {1, 0}}, nil},
				{"CreateTenantSubdomainTaken", func(ctx context.Context) error {
					other := tn
					other.ID = "tn_observe2"
					if err := s.CreateTenant(ctx, other); core.ErrorCode(err) != core.SubdomainTaken {
						return fmt.Errorf("got %v, want subdomain_taken", err)
					}
					return nil
				}, map[string][2]int{sqlstore.OpTx: {0, 1}}, map[string]core.Code{sqlstore.OpTx: core.SubdomainTaken}},
				// A failing statement is reported as the Store translates
				// it; DB()'s queries are observed too.
				{"FailingStatement", func(ctx context.Context) error {
					if _, err := s.DB().ExecContext(ctx, "SELECT * FROM no_such_table"); err == nil {
						return errors.New("got no error, want one")
					}
					return nil
				}, map[string][2]int{sqlstore.OpSelect: {0, 1}}, map[string]core.Code{sqlstore.OpSelect: core.Internal}},
				{"GetTenant", func(ctx context.Context) error { _, err := s.GetTenant(ctx, tn.ID); return err },
					map[string][2]int{sqlstore.OpSelect: {1, 0}}, nil},
				{"GetTenantMissing", func(ctx context.Context) error { _, _ = s.GetTenant(ctx, "tn_missing"); return nil },
					map[string][2]int{sqlstore.OpSelect: {1, 0}}, nil},
				{"InTxFails", func(ctx context.Context) error {
					if err := s.InTx(ctx, func(store.Store) error { return boom }); !errors.Is(err, boom) {
						return err
					}
					return nil
				}, map[string][2]int{sqlstore.OpTx: {0, 1}}, nil},
				{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }, map[string][2]int{}, nil},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					obs.take()
					if err := tc.do(ctx); err != nil {
						t.Fatalf("got error %v, want nil", err)
					}
					obs.mu.Lock()
					codes := obs.codes
					obs.mu.Unlock()
					for op, want := range tc.codes {
						if codes[op] != want {
							t.Errorf("op %s: got code %q, want %q", op, codes[op], want)
						}
					}
					got := obs.take()
					for op, w := range tc.want {
						if got[op][0] < w[0] || got[op][1] != w[1] {
							t.Errorf("op %s: got %d ok, %d failed, want at least %d ok, %d failed (all: %v)", op, got[op][0], got[op][1], w[0], w[1], got)
						}
					}
					if len(tc.want) == 0 && len(got) != 0 {
						t.Errorf("got %v, want nothing observed", got)
					}
				})
			}
		})
	}
}

// BenchmarkObserver measures GetTenant and CreateTenant on SQLite without
// and with an Observer that does nothing: the difference is the cost of
// observing (bun's query hook, the timing of the hand-written reads).
func BenchmarkObserver(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []sqlstore.Option
	}{
		{"none", nil},
		{"observer", []sqlstore.Option{sqlstore.WithObserver(func(string, time.Duration, error) {})}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := sqlstore.Open(ctx, sqliteDSN(b), bc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			newTenant := func(i int) tenant.Tenant {
				return tenant.Tenant{
					ID: fmt.Sprintf("tn_bench%06d", i), Name: "Bench", Subdomain: fmt.Sprintf("bench-%06d", i),
					Status: tenant.StatusTrial, PlanID: "plan_starter",
					Contact:   tenant.Contact{Name: "Ayşe Demir", Email: "a@example.com", Phone: "+905321234567"},
					CreatedAt: now, UpdatedAt: now,
				}
			}
			if err := s.CreateTenant(ctx, newTenant(0)); err != nil {
				b.Fatal(err)
			}
			b.Run("get", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := s.GetTenant(ctx, "tn_bench000000"); err != nil {
						b.Fatal(err)
					}
				}
			})
			i := 1 // -count reruns the sub-benchmarks on the same store
			b.Run("create", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := s.CreateTenant(ctx, newTenant(i)); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		})
	}
}
