// Package sqlstore implements store.Store over github.com/uptrace/bun, on
// SQLite (modernc.org/sqlite, pure Go, so CGO_ENABLED=0 builds work) and on
// PostgreSQL (pgx through database/sql).
//
// # Opening
//
// Open takes a DSN:
//
//	sqlite:PATH                 a SQLite file, created when missing
//	file:PATH                   the same
//	postgres://USER@HOST:PORT/DB?sslmode=disable
//	postgresql://...            the same
//
// A SQLite PATH may carry modernc.org/sqlite query parameters
// ("sqlite:atomix.db?_pragma=synchronous(FULL)"); a parameter given there
// replaces the default of the same name. A PostgreSQL DSN takes every pgx
// parameter, such as search_path or connect_timeout. New wraps a *bun.DB
// that an embedder owns. Both apply the migrations unless WithoutMigrations
// is given; Migrate applies them explicitly.
//
// SQLite runs in WAL mode with a busy timeout and foreign keys on. Writes go
// through one connection whose transactions begin IMMEDIATE, so there is
// one writer at a time and a read-modify-write cannot lose an update; reads
// outside a transaction use a separate pool and are never blocked by the
// writer. PostgreSQL uses one pool; UpdateTenant locks the row with SELECT
// ... FOR UPDATE.
//
// # Transactions
//
// Every query runs on a bun.IDB, so the same code serves the store and a
// transaction. InTx gives fn a Store bound to the transaction; InTx on that
// Store joins it. A serialization failure or deadlock on PostgreSQL
// (SQLSTATE 40001, 40P01) or a busy SQLite database reruns the whole
// transaction a bounded number of times, with jittered backoff, and then
// fails with a core.Internal error that says so. A panic in fn rolls back and
// panics again; a done context rolls back and returns ctx.Err().
//
// # Schema
//
// The schema is versioned with bun/migrate: one SQL file per version and
// dialect under migrations/, embedded in the binary and recorded in the
// bun_migrations table. Each version runs and is recorded in one
// transaction, so a crash leaves it either applied or not. A database that
// records a version this binary does not know is refused with
// ErrSchemaNewer: an older binary never writes to a newer schema.
//
// The tenants table is keyed by id, the tenant's ID: it is the tenant_id that
// every tenant-owned table refers to. Every future tenant-owned table must
// carry tenant_id as the leading column of its primary key and of each of its
// indexes, so that one tenant's rows are clustered together and no query can
// reach them without naming the tenant.
//
// Every filter and order of ListTenants is served by an index: (created_at,
// id) for the order, and (status | plan_id | owner_id, created_at, id) for
// the filters. Subdomains are unique case-insensitively among tenants that
// are not deleted, through a partial unique index on lower(subdomain). Times
// are TIMESTAMP (SQLite) or TIMESTAMPTZ (PostgreSQL) columns in UTC, with
// microsecond precision. Free-form settings are kept as JSON text, not jsonb,
// so that they come back byte for byte.
//
// # Totals
//
// Every list page carries the exact number of matching tenants. Counting
// 100,000 rows costs milliseconds, so the table tenant_counts keeps the
// number of tenants per (status, plan_id, owner_id, deleted) and is changed
// in the same transaction as each tenant write (the changes are applied in
// key order at commit, so that concurrent writers cannot deadlock on them).
// A list filtered by status, plan or owner, or by none, reads its total from
// there in time proportional to the number of groups: a page of 20 with its
// total takes about 0.35 ms on SQLite and 0.2 ms on PostgreSQL with 100,000
// tenants. A name search (q) cannot use the counts: it scans the tenants
// table once, matching name_lower (strings.ToLower of the name, written by
// the store) with LIKE, then counts the matches and sorts them for the page.
// It costs about 30 ms on SQLite and 20 ms on PostgreSQL per 100,000
// tenants, growing linearly with their number.
//
// The atom catalog is global: atom_versions holds each published version as
// JSON text, in publication order, and the one row of atom_catalog holds the
// catalog version, whose row lock serializes publishers. Installations are
// tenant-owned: atom_installations is keyed (tenant_id, id), with a unique
// (tenant_id, atom_id) that also serves the derived atom count of every
// tenant read. UpdateInstallations locks the tenant's row (FOR UPDATE on
// PostgreSQL) before it reads the installations, so that concurrent installs
// for one tenant run one after the other.
//
// WithObserver reports the duration and outcome of every transaction and
// statement (see Observer), for metrics; Ping checks that the pools answer.
//
// GetTenant and ListTenants are written in SQL with bound parameters and run
// on the database/sql handle under the bun.IDB, so that PostgreSQL reuses
// their plans through pgx's statement cache; bun, which writes values into
// the SQL text, would have every read planned anew. Writes and migrations go
// through bun.
package sqlstore
