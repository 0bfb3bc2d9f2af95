package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	// The pure-Go SQLite driver, registered as "sqlite".
	_ "modernc.org/sqlite"
)

// Defaults of the options.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultTxAttempts     = 5
	// DefaultBusyTimeout is how long a SQLite connection waits for a lock
	// held by another process before it reports the database busy.
	DefaultBusyTimeout = 5 * time.Second
)

// Store is a store.Store over bun. Create one with Open or New; it is safe
// for concurrent use.
type Store struct {
	db   *bun.DB // writes and transactions; the pool migrations run on
	read *bun.DB // reads outside a transaction; db on PostgreSQL
	pg   bool    // PostgreSQL, else SQLite
	pgx  bool    // the PostgreSQL driver is pgx (its statement cache is used)
	// stmts prepares the hot reads once per connection of read (SQLite,
	// opened by Open; nil otherwise). stmtcache.go
	stmts  *stmtCache
	cfg    config
	owned  bool // Close closes the pools
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

// Option configures Open and New.
type Option func(*config)

type config struct {
	migrate        bool
	connectTimeout time.Duration
	txAttempts     int
	busyTimeout    time.Duration
	observer       Observer // observe.go
}

func newConfig(opts []Option) config {
	c := config{migrate: true, connectTimeout: DefaultConnectTimeout, txAttempts: DefaultTxAttempts, busyTimeout: DefaultBusyTimeout}
	for _, o := range opts {
		o(&c)
	}
	if c.connectTimeout <= 0 {
		c.connectTimeout = DefaultConnectTimeout
	}
	if c.txAttempts < 1 {
		c.txAttempts = 1
	}
	if c.busyTimeout <= 0 {
		c.busyTimeout = DefaultBusyTimeout
	}
	return c
}

// WithoutMigrations makes Open and New leave the schema alone, for those who
// run Migrate separately (for example from a deploy step).
func WithoutMigrations() Option { return func(c *config) { c.migrate = false } }

// WithConnectTimeout bounds how long Open waits for the database to answer
// (DefaultConnectTimeout by default).
func WithConnectTimeout(d time.Duration) Option {
	return func(c *config) { c.connectTimeout = d }
}

// WithTxAttempts sets how many times InTx runs a transaction that keeps
// failing on a serialization conflict, a deadlock or a busy database
// (DefaultTxAttempts by default; 1 means no retry).
func WithTxAttempts(n int) Option { return func(c *config) { c.txAttempts = n } }

// WithBusyTimeout sets the SQLite busy timeout (DefaultBusyTimeout by
// default). It has no effect on PostgreSQL or on New.
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// Open connects to the database named by dsn, checks that it answers within
// the connect timeout, and applies the migrations. The DSN forms are
// "sqlite:PATH", "file:PATH", "postgres://..." and "postgresql://..."; see
// the package documentation. The returned Store owns its pools: Close closes
// them.
//
// Errors: an unknown scheme, a database that does not answer in time, and
// ErrSchemaNewer are reported as plain errors naming the problem.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg := newConfig(opts)
	scheme, rest, ok := strings.Cut(dsn, ":")
	if !ok {
		return nil, errors.New("sqlstore: the DSN has no scheme; use sqlite:PATH, file:PATH or postgres://URL")
	}
	var s *Store
	var err error
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3", "file":
		s, err = openSQLite(ctx, rest, cfg)
	case "postgres", "postgresql":
		s, err = openPostgres(ctx, dsn, cfg)
	default:
		return nil, fmt.Errorf("sqlstore: unknown DSN scheme %q; use sqlite:PATH, file:PATH or postgres://URL", scheme)
	}
	if err != nil {
		return nil, err
	}
	s.observe()
	if cfg.migrate {
		if err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// New returns a Store over db, whose dialect must be PostgreSQL or SQLite.
// The caller owns db: Close leaves it open. New applies the migrations
// unless WithoutMigrations is given.
//
// On SQLite, give a db whose transactions begin IMMEDIATE (modernc's
// "_txlock=immediate") and that holds one connection
// (db.SetMaxOpenConns(1)); otherwise concurrent writers may fail with a busy
// database after the retries.
func New(ctx context.Context, db *bun.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: New needs a *bun.DB")
	}
	cfg := newConfig(opts)
	s := &Store{db: db, read: db, cfg: cfg}
	switch db.Dialect().Name() {
	case dialect.PG:
		s.pg = true
		_, s.pgx = db.Driver().(*stdlib.Driver)
	case dialect.SQLite:
	default:
		return nil, fmt.Errorf("sqlstore: unsupported dialect %s; use PostgreSQL or SQLite", db.Dialect().Name())
	}
	s.observe()
	if cfg.migrate {
		if err := s.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// DB returns the pool that writes and transactions use (on SQLite, the
// single writer connection), for an embedder's own queries and tables.
func (s *Store) DB() *bun.DB { return s.db }

// InProcess implements store.InProcess: true on SQLite, whose work runs in
// this process (modernc is SQLite in Go), false on PostgreSQL.
func (s *Store) InProcess() bool { return !s.pg }

// Close closes the pools the Store opened; a Store made by New leaves the
// caller's pool open. Every later call fails with a core.Internal error.
func (s *Store) Close() error {
	if s.closed.Swap(true) || !s.owned {
		return nil
	}
	var err error
	if s.stmts != nil {
		err = s.stmts.close()
	}
	err = errors.Join(err, s.db.Close())
	if s.read != s.db {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

var errClosed = &core.Error{Code: core.Internal, Message: "the store is closed", Err: errors.New("sqlstore: use of a closed store")}

func (s *Store) check(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	return ctx.Err()
}

// sqlitePragmas are applied to every SQLite connection unless the DSN
// names the same pragma.
var sqlitePragmas = []string{"journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"}

func openSQLite(ctx context.Context, rest string, cfg config) (*Store, error) {
	// "sqlite:///abs/path" and "sqlite://rel" are accepted as well.
	rest = strings.TrimPrefix(rest, "//")
	path, query, _ := strings.Cut(rest, "?")
	if path == "" {
		return nil, errors.New("sqlstore: the SQLite DSN names no file; use sqlite:PATH")
	}
	if path == ":memory:" || strings.Contains(query, "mode=memory") {
		return nil, errors.New("sqlstore: in-memory SQLite is not supported (reads and writes use separate connections); use a file, or store/memory")
	}
	user, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: bad SQLite DSN parameters: %w", err)
	}
	given := map[string]bool{}
	for _, p := range user["_pragma"] {
		name, _, _ := strings.Cut(p, "(")
		name, _, _ = strings.Cut(name, "=")
		given[strings.ToLower(strings.TrimSpace(name))] = true
	}
	base := url.Values{}
	for k, v := range user {
		base[k] = v
	}
	if !given["busy_timeout"] && user.Get("_busy_timeout") == "" && user.Get("_timeout") == "" {
		base.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", cfg.busyTimeout.Milliseconds()))
	}
	for _, p := range sqlitePragmas {
		name, _, _ := strings.Cut(p, "(")
		if !given[name] {
			base.Add("_pragma", p)
		}
	}
	file := "file:" + (&url.URL{Path: path}).EscapedPath()

	w := url.Values{}
	for k, v := range base {
		w[k] = v
	}
	w.Set("_txlock", "immediate")
	wdb, err := sql.Open("sqlite", file+"?"+w.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open SQLite %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxIdleTime(0)
	wdb.SetConnMaxLifetime(0)
	if err := ping(ctx, wdb, cfg.connectTimeout); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlstore: open SQLite %s: %w", path, err)
	}
	r := url.Values{}
	for k, v := range base {
		r[k] = v
	}
	rdb, err := sql.Open("sqlite", file+"?"+r.Encode())
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlstore: open SQLite %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	s := &Store{
		db:    bun.NewDB(wdb, sqlitedialect.New()),
		read:  bun.NewDB(rdb, sqlitedialect.New()),
		stmts: newStmtCache(rdb),
		cfg:   cfg,
		owned: true,
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string, cfg config) (*Store, error) {
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: bad PostgreSQL DSN: %w", err)
	}
	if pc.ConnectTimeout == 0 || pc.ConnectTimeout > cfg.connectTimeout {
		pc.ConnectTimeout = cfg.connectTimeout
	}
	// bun formats its arguments into the SQL text, so statements need no
	// server-side preparation: the simple protocol takes one round trip.
	pc.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	sqldb := stdlib.OpenDB(*pc)
	n := 4 * runtime.GOMAXPROCS(0)
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	if err := ping(ctx, sqldb, cfg.connectTimeout); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("sqlstore: PostgreSQL at %s does not answer: %w", pc.Host, err)
	}
	db := bun.NewDB(sqldb, pgdialect.New())
	s := &Store{db: db, read: db, pg: true, pgx: true, cfg: cfg, owned: true}
	return s, nil
}

func ping(ctx context.Context, db *sql.DB, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := db.PingContext(ctx)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("no answer within %s: %w", timeout, err)
	}
	return err
}
