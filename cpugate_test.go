package atomix_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/cpugate"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
)

// TestCPUGateOption: a platform makes its own gate of the default size,
// takes the one it is given, or none with WithCPUGate(nil).
func TestCPUGateOption(t *testing.T) {
	mine := cpugate.New(3)
	for _, tc := range []struct {
		name      string
		opts      []atomix.Option
		wantSlots int
		wantGate  *cpugate.Gate // nil: any gate
		wantNone  bool
	}{
		{name: "default", wantSlots: cpugate.DefaultSlots()},
		{name: "given", opts: []atomix.Option{atomix.WithCPUGate(mine)}, wantSlots: 3, wantGate: mine},
		{name: "none", opts: []atomix.Option{atomix.WithCPUGate(nil)}, wantNone: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := newPlatform(t, tc.opts...)
			g := p.CPUGate()
			switch {
			case tc.wantNone && g != nil:
				t.Errorf("CPUGate() = %p, want nil", g)
			case !tc.wantNone && g == nil:
				t.Errorf("CPUGate() = nil, want a gate of %d slots", tc.wantSlots)
			case tc.wantGate != nil && g != tc.wantGate:
				t.Errorf("CPUGate() = %p, want the gate given, %p", g, tc.wantGate)
			case g.Stats().Slots != tc.wantSlots:
				t.Errorf("CPUGate() has %d slots, want %d", g.Stats().Slots, tc.wantSlots)
			}
		})
	}
}

// remoteStore is a store that says it works in a process of its own, as
// PostgreSQL does; opaqueStore one that does not say.
type (
	remoteStore struct{ store.Store }
	opaqueStore struct{ store.Store }
)

func (remoteStore) InProcess() bool { return false }

// TestIngestUsageWaitsForCPUGate: on a store that works in this process,
// a usage batch's write runs in a slot of the platform's gate. While other
// heavy work holds every slot, the batch waits within its context and,
// when that ends, fails with nothing stored; once a slot frees, the same
// batch is accepted. On a store working elsewhere, or one that does not
// say, the batch takes no slot and goes through while the gate is full.
func TestIngestUsageWaitsForCPUGate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		st       func() store.Store
		wantSlot bool
	}{
		{name: "in process", st: func() store.Store { return memory.New() }, wantSlot: true},
		{name: "elsewhere", st: func() store.Store { return remoteStore{memory.New()} }},
		{name: "unsaid", st: func() store.Store { return opaqueStore{memory.New()} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gate := cpugate.New(1)
			p, clk, _ := billPlatform(t, tc.st(), atomix.WithCPUGate(gate))
			ctx := sys()
			a := billTenant(t, p, "alpha", "plan_metered")
			clk.set(time.Date(2026, time.April, 10, 0, 30, 0, 0, time.UTC))
			ts := time.Date(2026, time.April, 9, 0, 0, 0, 0, time.UTC)
			batch := []billing.UsageRecord{usageRec(a.ID, "k1", "api_calls", 700, ts), usageRec(a.ID, "k2", "api_calls", 800, ts)}
			total := func() int64 {
				t.Helper()
				got, err := p.Store().UsageTotals(ctx, a.ID, ts, ts.Add(time.Hour), map[string]billing.Aggregation{"api_calls": billing.AggSum})
				if err != nil {
					t.Fatalf("UsageTotals: %v", err)
				}
				return got["api_calls"]
			}

			if err := gate.Acquire(ctx); err != nil { // another heavy job
				t.Fatalf("Acquire: got error %v, want nil", err)
			}
			wctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
			defer cancel()
			_, err := p.IngestUsage(wctx, batch)
			wantTotal := int64(0)
			if tc.wantSlot {
				if got := core.ErrorCode(err); got != core.Internal || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("IngestUsage while the gate is full: got error %v (code %q), want code %q wrapping context.DeadlineExceeded", err, got, core.Internal)
				}
			} else {
				if err != nil {
					t.Errorf("IngestUsage while the gate is full: got error %v, want nil (no slot needed)", err)
				}
				wantTotal = 1500
			}
			if got := total(); got != wantTotal {
				t.Errorf("usage stored while the gate was full: got %d, want %d", got, wantTotal)
			}
			if got := gate.Stats(); got.Running != 1 || got.Waiting != 0 {
				t.Errorf("after the batch: %d running and %d waiting, want 1 and 0", got.Running, got.Waiting)
			}
			gate.Release()

			runs := gate.Stats().Runs
			res, err := p.IngestUsage(ctx, batch)
			if err != nil {
				t.Fatalf("IngestUsage with a free slot: got error %v, want nil", err)
			}
			want := []string{"accepted", "accepted"}
			if !tc.wantSlot {
				want = []string{"duplicate", "duplicate"}
			}
			if got := outcomes(res); !cmp.Equal(got, want) {
				t.Errorf("outcomes: got %v, want %v", got, want)
			}
			if got := total(); got != 1500 {
				t.Errorf("usage stored: got %d, want 1500", got)
			}
			wantRuns := runs
			if tc.wantSlot {
				wantRuns++
			}
			if got := gate.Stats(); got.Runs != wantRuns || got.Running != 0 {
				t.Errorf("after the batch: %d runs (want %d) and %d running (want 0)", got.Runs, wantRuns, got.Running)
			}
		})
	}
}

// TestCPUGateSharedWithIdentity: password hashes run in the platform's
// gate unless the identity configuration names its own.
func TestCPUGateSharedWithIdentity(t *testing.T) {
	gate := cpugate.New(1)
	other := cpugate.New(1)
	for _, tc := range []struct {
		name string
		own  *cpugate.Gate // identity's Password.Gate
		want *cpugate.Gate // the gate the hash takes a slot in
	}{
		{name: "platform's", want: gate},
		{name: "identity's own", own: other, want: other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := identityConfig()
			cfg.Password.Gate = tc.own
			p, _ := newPlatform(t, atomix.WithCPUGate(gate), atomix.WithIdentity(cfg))
			before := tc.want.Stats().Runs
			if _, err := p.Identity().HashPassword(context.Background(), "a long enough password", "someone@example.com"); err != nil {
				t.Fatalf("HashPassword: got error %v, want nil", err)
			}
			if got := tc.want.Stats().Runs - before; got != 1 {
				t.Errorf("slots taken by one hash: got %d, want 1", got)
			}
		})
	}
}
