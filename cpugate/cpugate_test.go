package cpugate_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/cpugate"
)

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestNewSlots(t *testing.T) {
	def := max(1, runtime.GOMAXPROCS(0)-1)
	if got := cpugate.DefaultSlots(); got != def {
		t.Fatalf("DefaultSlots() = %d, want %d", got, def)
	}
	for _, tc := range []struct {
		n    int
		want int
	}{
		{n: -1, want: def},
		{n: 0, want: def},
		{n: 1, want: 1},
		{n: 3, want: 3},
	} {
		if got := cpugate.New(tc.n).Stats().Slots; got != tc.want {
			t.Errorf("New(%d) has %d slots, want %d", tc.n, got, tc.want)
		}
	}
}

// TestBound runs more jobs than slots and checks that no more than the
// slots ran at once, that the rest waited, and that all ran.
func TestBound(t *testing.T) {
	for _, tc := range []struct{ slots, jobs int }{{1, 4}, {2, 5}, {3, 3}} {
		g := cpugate.New(tc.slots)
		var now, most atomic.Int64
		hold := make(chan struct{})
		var wg sync.WaitGroup
		for range tc.jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := g.Do(context.Background(), func() {
					n := now.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					<-hold
					now.Add(-1)
				})
				if err != nil {
					t.Errorf("Do: got error %v, want nil", err)
				}
			}()
		}
		wantRunning := int64(min(tc.slots, tc.jobs))
		waitFor(t, "the slots to fill", func() bool {
			s := g.Stats()
			return s.Running == wantRunning && s.Waiting == int64(tc.jobs)-wantRunning
		})
		close(hold)
		wg.Wait()
		if got := most.Load(); got != wantRunning {
			t.Errorf("%d slots, %d jobs: at most %d ran at once, want %d", tc.slots, tc.jobs, got, wantRunning)
		}
		want := cpugate.Stats{Slots: tc.slots, Runs: uint64(tc.jobs)}
		if got := g.Stats(); got != want {
			t.Errorf("%d slots, %d jobs: after all ran, Stats() = %+v, want %+v", tc.slots, tc.jobs, got, want)
		}
	}
}

// TestOrder checks that waiters get the slot in the order they came.
func TestOrder(t *testing.T) {
	g := cpugate.New(1)
	ctx := context.Background()
	if err := g.Acquire(ctx); err != nil {
		t.Fatalf("Acquire: got error %v, want nil", err)
	}
	const waiters = 5
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.Do(ctx, func() {
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
			}); err != nil {
				t.Errorf("Do: got error %v, want nil", err)
			}
		}()
		waitFor(t, "the waiter to queue", func() bool { return g.Stats().Waiting == int64(i+1) })
	}
	g.Release()
	wg.Wait()
	for i, got := range order {
		if got != i {
			t.Fatalf("waiters ran in order %v, want 0 to %d in turn", order, waiters-1)
		}
	}
}

// TestContextEnds checks that a wait ends with the context, holding
// nothing, whether the context ends before or during the wait.
func TestContextEnds(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		held bool // the one slot is taken first
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{
			name: "ended before, slot free",
			ctx:  func() (context.Context, context.CancelFunc) { return canceled, func() {} },
			want: context.Canceled,
		},
		{
			name: "ended before, slot taken",
			held: true,
			ctx:  func() (context.Context, context.CancelFunc) { return canceled, func() {} },
			want: context.Canceled,
		},
		{
			name: "deadline during the wait",
			held: true,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 20*time.Millisecond)
			},
			want: context.DeadlineExceeded,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := cpugate.New(1)
			if tc.held {
				if err := g.Acquire(context.Background()); err != nil {
					t.Fatalf("Acquire: got error %v, want nil", err)
				}
			}
			ctx, cancel := tc.ctx()
			defer cancel()
			ran := false
			if err := g.Do(ctx, func() { ran = true }); !errors.Is(err, tc.want) {
				t.Errorf("Do: got error %v, want %v", err, tc.want)
			}
			if ran {
				t.Error("Do ran fn after its context ended, want it not run")
			}
			var running int64
			if tc.held {
				running = 1
				g.Release()
			}
			want := cpugate.Stats{Slots: 1, Runs: uint64(running)}
			if got := g.Stats(); got != want {
				t.Errorf("after the refusal and the release, Stats() = %+v, want %+v", got, want)
			}
			// The slot is free again: nothing leaked.
			if err := g.Acquire(context.Background()); err != nil {
				t.Errorf("Acquire after the refusal: got error %v, want nil", err)
			}
		})
	}
}

func TestReleaseWithoutAcquire(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Release without Acquire did not panic, want a panic")
		}
	}()
	cpugate.New(1).Release()
}

func TestNilGate(t *testing.T) {
	var g *cpugate.Gate
	ran := false
	if err := g.Do(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Errorf("nil Gate Do: got error %v and ran %t, want nil and true", err, ran)
	}
	g.Release()
	if got := g.Stats(); got != (cpugate.Stats{}) {
		t.Errorf("nil Gate Stats() = %+v, want zero", got)
	}
}
