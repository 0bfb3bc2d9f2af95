package cpugate_test

import (
	"context"
	"fmt"

	"github.com/atomixplatform/atomix/cpugate"
)

func Example() {
	// One gate for the whole process, shared by every kind of heavy job.
	g := cpugate.New(1)
	ctx := context.Background()

	sum := 0
	if err := g.Do(ctx, func() {
		for i := range 1000 {
			sum += i
		}
	}); err != nil {
		fmt.Println("no slot:", err) // the context ended first
		return
	}
	fmt.Println(sum, g.Stats().Runs)
	// Output: 499500 1
}
