package atomix_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/cpugate"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
)

func ExampleNew() {
	ctx := atomix.AsSystem(context.Background())

	// Any store.Store will do; the in-memory one keeps nothing across
	// restarts.
	p, err := atomix.New(memory.New())
	if err != nil {
		log.Fatal(err)
	}

	page, err := p.Tenants().List(ctx, tenant.ListQuery{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("tenants:", page.Total, "page:", page.Page, "limit:", page.Limit)

	_, err = atomix.New(nil)
	fmt.Println("without a store:", err)
	// Output:
	// tenants: 0 page: 1 limit: 20
	// without a store: atomix: New needs a store
}

func ExamplePlatform_CreateTenant() {
	ctx := atomix.AsSystem(context.Background())
	p, err := atomix.New(memory.New())
	if err != nil {
		log.Fatal(err)
	}
	// The atom catalog the initial atoms come from: seed 000's atoms.
	demo, err := atom.DemoCatalog()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := p.PublishAtoms(ctx, demo.Atoms()...); err != nil {
		log.Fatal(err)
	}
	// The plans a tenant's planId names: seed 000's.
	for _, pl := range billing.DemoPlans() {
		if _, err := p.CreatePlan(ctx, pl); err != nil {
			log.Fatal(err)
		}
	}

	// Seed 000's POST /tenants body.
	in := atomix.CreateTenantInput{
		Name:      "Acme Corporation",
		Subdomain: "acme",
		PlanID:    "plan_professional",
		Contact: tenant.Contact{
			Name:  "John Doe",
			Email: "john@acme.com",
			Phone: "+905321234567",
		},
		InitialAtoms: []string{"atom_wireframe", "atom_task"},
		Settings:     tenant.Settings{Industry: "technology", CompanySize: "51-200"},
	}
	created, err := p.CreateTenant(ctx, in)
	if err != nil {
		log.Fatal(err)
	}
	t := created.Tenant
	fmt.Println("id prefix ok:", strings.HasPrefix(t.ID, "tn_"))
	fmt.Println("status:", t.Status)
	fmt.Println("subdomain:", t.Subdomain)
	fmt.Println("atoms:", created.InitialAtoms)
	fmt.Println("subscription:", created.Subscription.PlanID, created.Subscription.Status)
	for _, inst := range created.Installations {
		fmt.Println("  installed:", inst.AtomID, inst.Version, inst.Mode)
	}

	// The subdomain is now taken, case-insensitively.
	in.Subdomain = "ACME"
	_, err = p.CreateTenant(ctx, in)
	fmt.Println("again:", core.ErrorCode(err))

	// Bad input is reported field by field, all at once.
	_, err = p.CreateTenant(ctx, atomix.CreateTenantInput{
		Name:         "Globex",
		Subdomain:    "-globex",
		Contact:      tenant.Contact{Name: "Hank", Email: "hank@"},
		InitialAtoms: []string{"crm"},
	})
	fmt.Println("bad input:", core.ErrorCode(err))
	var e *core.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			fmt.Printf("  %s: %s\n", f.Field, f.Message)
		}
	}
	// Output:
	// id prefix ok: true
	// status: trial
	// subdomain: acme
	// atoms: [atom_wireframe atom_task]
	// subscription: plan_professional trialing
	//   installed: atom_notification 1.3.0 dependency
	//   installed: atom_task 1.8.0 explicit
	//   installed: atom_wireframe 2.1.0 explicit
	// again: subdomain_taken
	// bad input: invalid
	//   subdomain: must not start or end with a hyphen
	//   contact.email: must be a valid email address
	//   initialAtoms: must hold atom IDs such as "atom_crm"
}

// WithCPUGate shares one gate for CPU-heavy work (password hashes, usage
// batches) between the platform and the application's own heavy jobs.
func ExampleWithCPUGate() {
	gate := cpugate.New(1) // one heavy job at a time; New(0) for GOMAXPROCS−1
	p, err := atomix.New(memory.New(), atomix.WithCPUGate(gate))
	if err != nil {
		log.Fatal(err)
	}
	// The application's own heavy work waits for a slot like the
	// platform's.
	if err := p.CPUGate().Do(context.Background(), func() { /* build a large export */ }); err != nil {
		log.Fatal(err) // the context ended before a slot freed
	}
	fmt.Println(p.CPUGate() == gate, gate.Stats().Slots, gate.Stats().Runs)
	// Output: true 1 1
}
