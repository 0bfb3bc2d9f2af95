// Package store composes the narrow store interfaces of the domain packages
// into the one Store that atomix runs on, with transactions.
//
// Implementations live in subpackages that never import each other:
// store/memory (in process) and store/sqlstore (bun over SQLite and
// PostgreSQL). store/storetest is the conformance suite every implementation
// must pass.
package store
