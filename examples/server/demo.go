package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/atom"
)

// demoLimits returns the atom-slot limits of seed 000's plans, for -demo:
// plan_starter 5, plan_professional 15, plan_enterprise unlimited.
func demoLimits() atom.StaticLimits {
	return atom.StaticLimits{"plan_starter": 5, "plan_professional": 15, "plan_enterprise": -1}
}

// publishDemo publishes atom.DemoCatalog into the store. It is idempotent:
// a restart, or several servers over one store, publish nothing new.
func publishDemo(ctx context.Context, p *atomix.Platform) error {
	demo, err := atom.DemoCatalog()
	if err != nil {
		return fmt.Errorf("demo catalog: %w", err)
	}
	if _, err := p.PublishAtoms(atomix.AsSystem(ctx), demo.Atoms()...); err != nil {
		return fmt.Errorf("publish the demo catalog: %w", err)
	}
	return nil
}

// envBool reads a boolean environment variable: "1", "true" and the other
// forms strconv.ParseBool accepts; anything else is false.
func envBool(getenv func(string) string, key string) bool {
	b, _ := strconv.ParseBool(getenv(key))
	return b
}
