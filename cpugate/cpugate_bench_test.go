package cpugate_test

import (
	"context"
	"testing"

	"github.com/atomixplatform/atomix/cpugate"
)

// BenchmarkAcquireRelease is the cost the gate adds to a job when a slot
// is free.
func BenchmarkAcquireRelease(b *testing.B) {
	g := cpugate.New(1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Acquire(ctx); err != nil {
			b.Fatal(err)
		}
		g.Release()
	}
}

// BenchmarkContended is a slot's hand-over when every core asks at once
// for one of DefaultSlots slots.
func BenchmarkContended(b *testing.B) {
	g := cpugate.New(0)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := g.Acquire(ctx); err != nil {
				b.Error(err)
				return
			}
			g.Release()
		}
	})
}
