package store

import (
	"context"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/audit"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/ratelimit"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/role"
	"github.com/atomixplatform/atomix/settings"
	"github.com/atomixplatform/atomix/tenant"
)

// InProcess is implemented by stores whose work runs in the calling
// process and takes its CPU, as the in-memory store's and SQLite's do. The
// platform runs their bulk writes (usage batches) in a slot of its CPU gate
// (package cpugate), as it runs password hashes. A store that does not
// implement InProcess, or reports false (PostgreSQL), is taken to work in
// a process of its own: a slot held while waiting for it would slow the
// other batches and spare no CPU here.
type InProcess interface {
	InProcess() bool
}

// Store is everything atomix keeps.
type Store interface {
	tenant.Store
	identity.Store
	identity.OTPStore
	settings.Store
	identity.FederatedStore
	atom.Store
	reseller.Store
	audit.Store
	role.Store
	billing.Store
	commission.Store
	ratelimit.Store

	// InTx runs fn in one transaction: everything fn writes through tx is
	// committed when fn returns nil, and none of it when fn returns an
	// error, panics, or ctx is done before the commit. InTx called on a
	// transaction's tx joins that transaction: fn runs inside it with no
	// savepoint, its error is returned to the caller, and only the outermost
	// fn's result decides whether everything commits. fn must use tx, never
	// the outer store, for its reads and writes.
	// Errors: those of fn, unchanged; core.Internal when the transaction
	// cannot begin or commit; ctx.Err() when ctx is done.
	InTx(ctx context.Context, fn func(tx Store) error) error

	// Ping reports whether the store answers: the database is reachable
	// (every pool the store reads and writes through) and the store is not
	// closed. Readiness probes call it; it reads and writes nothing.
	// Errors: core.Internal when the store is closed, the transaction has
	// ended, or the database does not answer; ctx.Err() when ctx is done.
	Ping(ctx context.Context) error

	// Close releases the store's resources. A closed store answers every
	// call with an error.
	Close() error
}
