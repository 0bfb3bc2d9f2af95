package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/store/sqlstore"

	// The "pgx" driver, for the tests' own administration connection.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// postgresEnv names the variable that points the tests at PostgreSQL.
const postgresEnv = "ATOMIX_TEST_POSTGRES_DSN"

// backend opens fresh, empty stores of one dialect.
type backend struct {
	name string
	// dsn returns the DSN of a fresh, empty database (a SQLite file, or a
	// PostgreSQL schema dropped at cleanup).
	dsn func(t testing.TB) string
}

func backends() []backend {
	return []backend{
		{"SQLite", sqliteDSN},
		{"Postgres", postgresSchemaDSN},
	}
}

// sqliteDSN returns the DSN of a new SQLite file in t's temporary directory.
func sqliteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "atomix.db")
}

// postgresDSN returns ATOMIX_TEST_POSTGRES_DSN; without it, it skips t, or
// fails it when CI=true, where a skip would hide a missing database.
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		msg := postgresEnv + " is not set; run the PostgreSQL tests with " +
			postgresEnv + "='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./store/sqlstore/"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: a skip would be a failure)")
		}
		t.Skip(msg)
	}
	return dsn
}

// postgresSchemaDSN creates a new schema, drops it when t ends, and returns
// a DSN whose search_path is that schema.
func postgresSchemaDSN(t testing.TB) string {
	t.Helper()
	dsn := postgresDSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open the admin connection: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	rand.Read(b[:])
	schema := "atomix_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	s, err := withSearchPath(dsn, schema)
	if err != nil {
		t.Fatalf("parse %s: %v", postgresEnv, err)
	}
	return s
}

// withSearchPath returns dsn with its search_path set to schema.
func withSearchPath(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// open opens dsn with Open and closes the store when t ends.
func open(t testing.TB, dsn string, opts ...sqlstore.Option) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("Open: got error %v, want nil", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
