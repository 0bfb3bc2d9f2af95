package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/store"
	"github.com/uptrace/bun"
)

// Observer is told how long each transaction and each statement of a Store
// took, and the error it ended with: nil on success, else what the Store's
// methods return (a *core.Error, such as core.SubdomainTaken for a unique
// violation, or ctx.Err()), or for OpTx the error of the transaction's
// function, unchanged. op is one of the Op
// constants, so that a metric labelled with it has a bounded number of
// series. An Observer is called on the request's goroutine, from many at
// once: it must be safe for concurrent use and quick, such as a Prometheus
// histogram's Observe.
type Observer func(op string, d time.Duration, err error)

// The operations an Observer is told of.
const (
	// OpTx is a transaction of InTx or of one writing method, from its
	// begin to its commit or rollback, retries and backoff included. A
	// nested InTx joins its outer transaction and is not told of.
	OpTx = "tx"
	// OpSelect, OpInsert, OpUpdate and OpDelete are single statements,
	// inside a transaction or not. The hand-written reads (GetTenant,
	// ListTenants) are timed until their first row is ready; their
	// scanning is not included.
	OpSelect = "select"
	OpInsert = "insert"
	OpUpdate = "update"
	OpDelete = "delete"
	// OpOther is any other statement: the migrations' DDL, pings.
	OpOther = "other"
)

// WithObserver sets an Observer told of every transaction and statement
// (none by default). The statements are observed through a bun query hook
// on the Store's own copies of its pools: on New, the caller's *bun.DB is
// left without the hook, and queries an embedder runs on DB() are
// observed as well. sql.ErrNoRows, an answer rather than a failure, is
// reported as nil.
func WithObserver(o Observer) Option { return func(c *config) { c.observer = o } }

// observe installs the configured observer's query hook on the Store's
// pools. Open and New call it before anything runs on them.
func (s *Store) observe() {
	if s.cfg.observer == nil {
		return
	}
	h := observeHook{s: s}
	same := s.read == s.db
	s.db = s.db.WithQueryHook(h)
	if same {
		s.read = s.db
	} else {
		s.read = s.read.WithQueryHook(h)
	}
}

// observeHook is the bun query hook of the Store's Observer.
type observeHook struct{ s *Store }

var _ bun.QueryHook = observeHook{}

func (observeHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (h observeHook) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	h.s.observeStatement(ctx, opOf(e.Operation()), e.StartTime, e.Err)
}

// observeStatement tells the Observer of a statement started at start and
// ended with err, translated as the Store's methods translate it.
func (s *Store) observeStatement(ctx context.Context, op string, start time.Time, err error) {
	d := time.Since(start)
	if err = answerErr(err); err != nil {
		err = s.translate(ctx, err, "run a statement", "")
	}
	s.cfg.observer(op, d, err)
}

// observeSince tells o of op, started at start and ended with *err.
func observeSince(o Observer, op string, start time.Time, err *error) {
	o(op, time.Since(start), answerErr(*err))
}

// answerErr returns err, or nil for sql.ErrNoRows.
func answerErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// opOf maps an SQL keyword to its Op.
func opOf(keyword string) string {
	switch {
	case strings.EqualFold(keyword, "SELECT"), strings.EqualFold(keyword, "WITH"):
		return OpSelect
	case strings.EqualFold(keyword, "INSERT"):
		return OpInsert
	case strings.EqualFold(keyword, "UPDATE"):
		return OpUpdate
	case strings.EqualFold(keyword, "DELETE"):
		return OpDelete
	}
	return OpOther
}

// Ping implements store.Store: it pings every pool the Store uses (on
// SQLite, the writer's connection and the readers' pool).
// Errors: core.Internal when the Store is closed or a pool does not
// answer; ctx.Err() when ctx is done.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := s.db.PingContext(ctx); err != nil {
		return s.translate(ctx, err, "ping the database", "")
	}
	if s.read != s.db {
		if err := s.read.PingContext(ctx); err != nil {
			return s.translate(ctx, err, "ping the database's readers", "")
		}
	}
	return nil
}

// Ping implements store.Store on a transaction: it runs "SELECT 1" in it.
// Errors: core.Internal when the transaction has ended or the database does
// not answer; ctx.Err() when ctx is done.
func (tx *txStore) Ping(ctx context.Context) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, "SELECT 1"); err != nil {
		return tx.s.translate(ctx, err, "ping the database", "")
	}
	return nil
}

var _ store.Store = (*txStore)(nil)
