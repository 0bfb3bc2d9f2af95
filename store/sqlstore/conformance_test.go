package sqlstore_test

import (
	"testing"

	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/storetest"
)

// TestStoreSuite runs the conformance, isolation, transaction and
// concurrency suites on each dialect, every subtest on a fresh database.
func TestStoreSuite(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				return open(t, b.dsn(t))
			})
		})
	}
}
