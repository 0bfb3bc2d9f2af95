package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
)

func sampleTenant(n int) tenant.Tenant {
	now := time.Date(2025, 6, 1, 12, 0, 0, 654321000, time.UTC).Add(time.Duration(n) * time.Second)
	return tenant.Tenant{
		ID:        "tn_open" + string(rune('a'+n)),
		Name:      "Open Test " + string(rune('A'+n)),
		Subdomain: "open-" + string(rune('a'+n)),
		Status:    tenant.StatusTrial,
		PlanID:    "plan_starter",
		Contact:   tenant.Contact{Name: "Ada", Email: "ada@example.com"},
		CreatedAt: now,
		UpdatedAt: now,
	}
}

func TestOpenBadDSN(t *testing.T) {
	tests := []struct {
		dsn  string
		want string // in the error message
	}{
		{"mysql://root@localhost/db", `unknown DSN scheme "mysql"`},
		{"memory:", `unknown DSN scheme "memory"`},
		{"atomix.db", "the DSN has no scheme"},
		{"", "has no scheme"},
		{"sqlite:", "names no file"},
		{"sqlite::memory:", "in-memory SQLite is not supported"},
		{"postgres://%zz", "bad PostgreSQL DSN"},
	}
	for _, tc := range tests {
		t.Run(tc.dsn, func(t *testing.T) {
			s, err := sqlstore.Open(context.Background(), tc.dsn)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q): got nil error, want one containing %q", tc.dsn, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%q): got error %q, want one containing %q", tc.dsn, err, tc.want)
			}
		})
	}
}

// TestOpenUnreachablePostgres needs no PostgreSQL: it opens a port where
// nothing listens, and a server that accepts connections but never answers,
// and expects an error within a bounded time in both cases.
func TestOpenUnreachablePostgres(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	var mu sync.Mutex
	var held []net.Conn
	conns.Go(func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accept, then say nothing
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		silent.Close()
		conns.Wait()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})

	tests := []struct {
		name string
		dsn  string
	}{
		{"refused", "postgres://postgres@127.0.0.1:1/test?sslmode=disable"},
		{"silent", "postgres://postgres@" + silent.Addr().String() + "/test?sslmode=disable"},
	}
	const timeout = 500 * time.Millisecond
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			s, err := sqlstore.Open(context.Background(), tc.dsn, sqlstore.WithConnectTimeout(timeout))
			took := time.Since(start)
			if err == nil {
				s.Close()
				t.Fatal("Open: got nil error, want one")
			}
			if !strings.Contains(err.Error(), "does not answer") {
				t.Errorf("Open: got error %q, want one saying the database does not answer", err)
			}
			if took > 4*timeout {
				t.Errorf("Open took %s, want at most %s", took, 4*timeout)
			}
		})
	}
}

func TestOpenCancelledContext(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			s, err := sqlstore.Open(ctx, dsn)
			if err == nil {
				s.Close()
				t.Fatal("Open with a cancelled context: got nil error, want one")
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Open with a cancelled context: got error %v, want one matching context.Canceled", err)
			}
		})
	}
}

// TestReopenKeepsData closes a store and opens the same database again.
func TestReopenKeepsData(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := b.dsn(t)
			s := open(t, dsn)
			want := sampleTenant(1)
			want.Settings.Extra = map[string]json.RawMessage{"k": json.RawMessage(`{"z":1,"a":[true]}`)}
			if err := s.CreateTenant(ctx, want); err != nil {
				t.Fatalf("CreateTenant: got error %v, want nil", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close: got error %v, want nil", err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("second Close: got error %v, want nil", err)
			}
			if _, err := s.GetTenant(ctx, want.ID); core.ErrorCode(err) != core.Internal {
				t.Errorf("GetTenant on a closed store: got error %v, want code %q", err, core.Internal)
			}
			s = open(t, dsn)
			got, err := s.GetTenant(ctx, want.ID)
			if err != nil {
				t.Fatalf("GetTenant after reopening: got error %v, want nil", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("tenant after reopening (-want +got):\n%s", diff)
			}
			_, total, err := s.ListTenants(ctx, tenant.Filter{Page: core.PageRequest{Page: 1, Limit: 20}})
			if err != nil || total != 1 {
				t.Errorf("ListTenants after reopening: got total %d, error %v; want 1, nil", total, err)
			}
		})
	}
}

// TestNewOverEmbedderPool runs the store over a *bun.DB the caller owns, and
// checks that Close leaves that pool open.
func TestNewOverEmbedderPool(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := b.dsn(t)
			var db *bun.DB
			if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
				sqldb, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?_txlock=immediate&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
				if err != nil {
					t.Fatal(err)
				}
				sqldb.SetMaxOpenConns(1)
				db = bun.NewDB(sqldb, sqlitedialect.New())
			} else {
				sqldb, err := sql.Open("pgx", dsn)
				if err != nil {
					t.Fatal(err)
				}
				db = bun.NewDB(sqldb, pgdialect.New())
			}
			t.Cleanup(func() { db.Close() })
			s, err := sqlstore.New(ctx, db)
			if err != nil {
				t.Fatalf("New: got error %v, want nil", err)
			}
			if s.DB() != db {
				t.Error("DB: got another pool, want the one given to New")
			}
			want := sampleTenant(2)
			err = s.InTx(ctx, func(tx store.Store) error { return tx.CreateTenant(ctx, want) })
			if err != nil {
				t.Fatalf("CreateTenant in InTx: got error %v, want nil", err)
			}
			got, err := s.GetTenant(ctx, want.ID)
			if err != nil {
				t.Fatalf("GetTenant: got error %v, want nil", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("tenant (-want +got):\n%s", diff)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close: got error %v, want nil", err)
			}
			if err := db.PingContext(ctx); err != nil {
				t.Errorf("the embedder's pool after Close: got error %v, want it open", err)
			}
		})
	}
}

func TestNewBadInput(t *testing.T) {
	if _, err := sqlstore.New(context.Background(), nil); err == nil {
		t.Error("New(nil): got nil error, want one")
	}
}
