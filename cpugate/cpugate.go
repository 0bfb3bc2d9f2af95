// Package cpugate bounds the CPU-heavy work that runs at once, so that
// short requests keep a core.
//
// Some requests are short (a page of tenants takes about 0.2 ms of CPU)
// and some are long and CPU-bound: an argon2id password hash holds one
// core for tens of milliseconds, and a usage batch of a thousand records
// for about 15 ms. When long jobs run on every core at once, the short
// requests that arrive meanwhile wait in the Go scheduler's queue until a
// job ends or is preempted, which happens after 10 ms. A Gate lets at most
// a fixed number of long jobs run at once, by default one less than
// GOMAXPROCS (and at least one), so one core stays for everything else.
// Long jobs wait for their turn in the order they came; short requests do
// not wait for them.
//
// In atomix's load test on two cores, with logins, usage batches, atom
// installs and 1,000 tenant lists a second, the gate took the lists' p99
// from 15–34 ms to about 6 ms (see the README).
//
// The platform makes one Gate and shares it between password hashing
// (identity) and usage ingestion (the store write of
// atomix.Platform.IngestUsage, on a store whose work runs in this process,
// and httpapi's decoding of a batch). A nil *Gate admits every job at once.
package cpugate

import (
	"context"
	"runtime"
	"sync/atomic"
)

// Gate admits a bounded number of CPU-heavy jobs at once. Its methods
// are safe for concurrent use.
type Gate struct {
	slots   chan struct{}
	running atomic.Int64
	waiting atomic.Int64
	runs    atomic.Uint64
}

// DefaultSlots returns the number of slots New gives when asked for 0:
// GOMAXPROCS − 1, and at least 1.
func DefaultSlots() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// New returns a Gate with n slots; n ≤ 0 takes DefaultSlots().
func New(n int) *Gate {
	if n <= 0 {
		n = DefaultSlots()
	}
	return &Gate{slots: make(chan struct{}, n)}
}

// Acquire waits for a free slot and takes it; the caller gives it back
// with Release. Waiters are served in the order they came. It returns
// ctx.Err(), holding nothing, when ctx ends first or has already ended.
// On a nil Gate it returns at once.
func (g *Gate) Acquire(ctx context.Context) error {
	if g == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case g.slots <- struct{}{}:
	default:
		g.waiting.Add(1)
		select {
		case g.slots <- struct{}{}:
			g.waiting.Add(-1)
		case <-ctx.Done():
			g.waiting.Add(-1)
			return ctx.Err()
		}
	}
	g.running.Add(1)
	g.runs.Add(1)
	return nil
}

// Release gives back a slot taken by Acquire. It panics when no slot is
// held, as that is a bug in the caller. On a nil Gate it does nothing.
func (g *Gate) Release() {
	if g == nil {
		return
	}
	select {
	case <-g.slots:
		g.running.Add(-1)
	default:
		panic("cpugate: Release without Acquire")
	}
}

// Do runs fn in a slot: Acquire, fn, Release. It returns Acquire's error
// without running fn.
func (g *Gate) Do(ctx context.Context, fn func()) error {
	if err := g.Acquire(ctx); err != nil {
		return err
	}
	defer g.Release()
	fn()
	return nil
}

// Stats describes a Gate.
type Stats struct {
	// Slots is the number of jobs that may run at once; 0 for a nil Gate.
	Slots int
	// Running and Waiting are the jobs in a slot now and those waiting
	// for one.
	Running int64
	Waiting int64
	// Runs counts the jobs admitted so far.
	Runs uint64
}

// Stats returns the Gate's state. Its figures are read one at a time, so
// under load they may not add up to one instant.
func (g *Gate) Stats() Stats {
	if g == nil {
		return Stats{}
	}
	return Stats{Slots: cap(g.slots), Running: g.running.Load(), Waiting: g.waiting.Load(), Runs: g.runs.Load()}
}
