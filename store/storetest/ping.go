package storetest

import (
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
)

// testPing checks Ping: nil on an open store and inside a transaction; an
// error on a finished transaction, with a done context, and core.Internal
// on a closed store.
func testPing(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: got error %v, want nil", err)
	}
	var leaked store.Store
	if err := s.InTx(ctx, func(tx store.Store) error {
		leaked = tx
		return tx.Ping(ctx)
	}); err != nil {
		t.Errorf("Ping in a transaction: got error %v, want nil", err)
	}
	if err := leaked.Ping(ctx); err == nil {
		t.Error("Ping on a finished transaction: got nil error, want an error")
	}
	if err := s.Ping(canceled(t)); err == nil {
		t.Error("Ping with a done context: got nil error, want an error")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: got error %v, want nil", err)
	}
	wantCode(t, "Ping on a closed store", s.Ping(ctx), core.Internal)
}
