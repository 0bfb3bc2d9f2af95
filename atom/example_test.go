package atom_test

import (
	"fmt"

	"github.com/atomixplatform/atomix/atom"
)

func ExampleNewCatalog() {
	c, err := atom.NewCatalog([]atom.Atom{
		{ID: "core_auth", Name: "Authentication", Version: "1.0.0", Category: "core", Builtin: true},
		{ID: "atom_notification", Name: "Notification Atom", Version: "1.3.0", Category: "communication",
			Dependencies: []atom.Dependency{{AtomID: "core_auth"}},
			Pricing:      atom.Pricing{Type: atom.PricingIncluded, AtomSlots: 1}},
		{ID: "atom_crm", Name: "CRM Atom", Version: "1.5.0", Category: "sales",
			Dependencies: []atom.Dependency{{AtomID: "atom_notification", Constraint: ">=1.4.0"}},
			Pricing:      atom.Pricing{Type: atom.PricingIncluded, AtomSlots: 1}},
	})
	fmt.Println(c == nil, err)
	// Output:
	// true atom_constraint_unsatisfiable: atom_crm 1.5.0 needs atom_notification >=1.4.0, which no catalog version satisfies (atom_notification has 1.3.0) (atoms[2].dependencies[0]: atom_crm 1.5.0 needs atom_notification >=1.4.0, which no catalog version satisfies (atom_notification has 1.3.0))
}

func ExampleCatalog_PlanInstall() {
	c, err := atom.DemoCatalog()
	if err != nil {
		panic(err)
	}
	// A new tenant installs atom_crm; its dependency comes along.
	p, err := c.PlanInstall(atom.Installed{}, atom.InstallRequest{AtomID: "atom_crm"})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Summary)
	for _, s := range p.InstalledDependencies() {
		fmt.Printf("dependency %s %s: %s\n", s.AtomID, s.Version, s.Reason)
	}
	fmt.Println(atom.CheckSlots(p, 1))

	// Uninstalling the dependency is refused while atom_crm needs it.
	_, err = c.PlanUninstall(p.After, atom.UninstallRequest{AtomID: "atom_notification"})
	fmt.Println(err)
	// Output:
	// install atom_crm 1.5.0; with the dependencies atom_notification 1.3.0 (2 atom slots in use after, 0 before)
	// dependency atom_notification 1.3.0: atom_crm 1.5.0 needs atom_notification >=1.2.0
	// plan_limit_exceeded: installing atom_crm 1.5.0 needs 2 atom slots (0 in use and 2 more), but the plan allows 1; uninstall atoms or move to a larger plan
	// atom_has_dependents: atom_notification 1.3.0 cannot be uninstalled: atom_crm 1.5.0 depends on it (atom_crm 1.5.0 -> atom_notification 1.3.0). Uninstall atom_crm first, or ask for cascade to remove it too.
}
