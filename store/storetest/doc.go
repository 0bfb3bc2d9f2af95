// Package storetest is the conformance suite every store.Store
// implementation must pass, in the style of dex's storage/conformance.
//
// A backend runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s := open(t) // a fresh, empty store
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Every named subtest calls newStore once and works on the empty store it
// returns; newStore registers its own cleanup with t.Cleanup. The suite may
// Close the store itself, so the cleanup must tolerate a store that is
// already closed.
//
// The suite uses only the store.Store contract, never a backend's
// internals, so the in-memory and SQL stores run it unchanged. Its times are
// UTC and truncated to microseconds, and it compares records with go-cmp
// (time.Time by Equal, so locations do not matter). Points of the contract
// a backend is easiest to miss:
//
//   - free-form settings round-trip byte for byte, as tenant.Settings
//     promises (nested key order included; PostgreSQL jsonb would reorder);
//   - subdomains are unique case-insensitively among tenants not deleted;
//   - lists order by CreatedAt, then by ID compared bytewise as Go compares
//     strings ("tn_B" before "tn_a"; a linguistic collation differs);
//   - Filter.Query is a substring match of strings.ToLower of both sides,
//     with '%', '_' and '\' matching literally;
//   - totals stay exact through updates and rollbacks, for every status,
//     plan and owner filter;
//   - an error inside a transaction (a taken subdomain, say) fails that call
//     only: the transaction goes on and can commit;
//   - a done context makes every call fail with an error matching
//     context.Canceled, and a transaction whose context ends before the
//     commit is rolled back.
//
// The suite is split four ways, each runnable on its own: RunConformance
// (each method's contract), RunIsolation (operations on one tenant never
// touch another), RunTransactions (InTx commit, rollback, nesting) and
// RunConcurrency (uniqueness and updates under contention). Run runs all
// four.
package storetest
