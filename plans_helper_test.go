package atomix_test

import (
	"context"
	"testing"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
)

// seedPlans stores billing.DemoPlans (seed 000's Starter, Professional and
// Enterprise), which CreateTenant's planId must name; plans stored
// already are kept.
func seedPlans(t testing.TB, p *atomix.Platform) {
	t.Helper()
	ctx := atomix.AsSystem(context.Background())
	for _, pl := range billing.DemoPlans() {
		if _, err := p.CreatePlan(ctx, pl); err != nil && core.ErrorCode(err) != core.Conflict {
			t.Fatalf("CreatePlan(%s): %v", pl.ID, err)
		}
	}
}
