package sqlstore_test

import (
	"testing"

	"github.com/atomixplatform/atomix/store"
)

// TestInProcess: SQLite works in this process (the platform gates its
// bulk writes as CPU-heavy work), PostgreSQL in its own.
func TestInProcess(t *testing.T) {
	want := map[string]bool{"SQLite": true, "Postgres": false}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			var s store.Store = open(t, b.dsn(t))
			local, ok := s.(store.InProcess)
			if !ok {
				t.Fatalf("%T does not implement store.InProcess", s)
			}
			if got := local.InProcess(); got != want[b.name] {
				t.Errorf("InProcess() = %t, want %t", got, want[b.name])
			}
		})
	}
}
