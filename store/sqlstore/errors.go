package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/atomixplatform/atomix/core"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Constraint names the translation tells apart.
const (
	subdomainIndex = "tenants_subdomain_key"
)

// dbErrorKind classifies a driver error.
type dbErrorKind int

const (
	kindOther dbErrorKind = iota
	kindNoRows
	kindUnique
	kindForeignKey
	kindCheck
	kindRetry // serialization failure, deadlock, busy database
)

// classify returns the kind of err and, for a unique violation, the name of
// the constraint (or, on SQLite, the driver's message, which names it).
func classify(err error) (dbErrorKind, string) {
	if errors.Is(err, sql.ErrNoRows) {
		return kindNoRows, ""
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return kindUnique, pe.ConstraintName
		case "23503":
			return kindForeignKey, pe.ConstraintName
		case "23514", "23502":
			return kindCheck, pe.ConstraintName
		case "40001", "40P01":
			return kindRetry, ""
		}
		return kindOther, ""
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return kindUnique, se.Error()
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return kindForeignKey, se.Error()
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return kindCheck, se.Error()
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return kindRetry, ""
		}
	}
	return kindOther, ""
}

// retryable reports whether a transaction that failed with err may succeed
// when run again.
func retryable(err error) bool {
	k, _ := classify(err)
	return k == kindRetry
}

// translate turns a driver error into a *core.Error: a done context gives
// ctx.Err(); a closed store errClosed; a unique violation
// core.SubdomainTaken (on the subdomain index) or core.Conflict; a
// foreign-key or check violation core.Invalid; no rows core.NotFound;
// anything else core.Internal wrapping err. doing says what was being done,
// and subdomain names the subdomain a write held, for the message.
func (s *Store) translate(ctx context.Context, err error, doing, subdomain string) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.closed.Load() {
		return errClosed
	}
	switch kind, constraint := classify(err); kind {
	case kindNoRows:
		return &core.Error{Code: core.NotFound, Message: doing + ": not found", Err: err}
	case kindUnique:
		if strings.Contains(constraint, subdomainIndex) {
			return &core.Error{Code: core.SubdomainTaken, Message: "subdomain " + quote(subdomain) + " is taken", Err: err}
		}
		return &core.Error{Code: core.Conflict, Message: doing + ": the record already exists", Err: err}
	case kindForeignKey:
		return &core.Error{Code: core.Invalid, Message: doing + ": a referenced record does not exist", Err: err}
	case kindCheck:
		return &core.Error{Code: core.Invalid, Message: doing + ": a value is out of range", Err: err}
	}
	return core.Wrap(err, doing)
}

func quote(s string) string { return `"` + s + `"` }
