// Package memory is an in-process implementation of store.Store, safe for
// concurrent use, with real transactional rollback. It suits tests, demos
// and single-process embedders that keep nothing across restarts.
//
// Transactions are serialized: a transaction holds the store's write lock
// from its start to its end, and readers outside it wait, so no one ever
// sees uncommitted writes. Each write inside a transaction records how to
// undo itself; a failed transaction replays those records backwards.
//
// Because a transaction holds the write lock, the function given to InTx
// (and the updater given to UpdateTenant) must use the transaction's store,
// never the outer one: a call on the outer store from inside waits for the
// lock forever.
package memory
