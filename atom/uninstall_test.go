package atom_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
)

// marketing is a tenant with a campaign (and its chain) and a task atom.
func marketing() atom.Installed {
	return tenant("atom_campaign 1.1.0 explicit", "atom_crm 1.5.0 dependency", "atom_sms 1.0.0 dependency",
		"atom_notification 1.3.0 dependency", "atom_task 1.8.0 explicit")
}

func TestPlanUninstall(t *testing.T) {
	c := demo(t)
	crm := tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency")
	tests := []struct {
		name      string
		installed atom.Installed
		req       atom.UninstallRequest
		want      want
	}{
		{"its dependency goes too", crm, atom.UninstallRequest{AtomID: "atom_crm"}, want{
			version: "1.5.0", remove: []string{"atom_crm 1.5.0 explicit"}, removeDependencies: []string{"atom_notification 1.3.0 dependency"},
			slotsBefore: 2, after: 0, state: atom.Installed{},
			summary: "uninstall atom_crm 1.5.0; removing the unneeded atom_notification 1.3.0 (0 atom slots in use after, 2 before)",
		}},
		{"keeping orphans", crm, atom.UninstallRequest{AtomID: "atom_crm", KeepOrphans: true}, want{
			version: "1.5.0", remove: []string{"atom_crm 1.5.0 explicit"}, promote: []string{"atom_notification 1.3.0 explicit"},
			slotsBefore: 2, after: 1, state: tenant("atom_notification 1.3.0 explicit"),
		}},
		{"a dependency still needed stays", marketing(), atom.UninstallRequest{AtomID: "atom_campaign"}, want{
			version: "1.1.0", remove: []string{"atom_campaign 1.1.0 explicit"},
			removeDependencies: []string{"atom_crm 1.5.0 dependency", "atom_sms 1.0.0 dependency"},
			slotsBefore:        6, after: 2, state: tenant("atom_notification 1.3.0 dependency", "atom_task 1.8.0 explicit"),
		}},
		{"keeping orphans keeps only the top ones explicit", tenant("atom_campaign 1.1.0 explicit", "atom_crm 1.5.0 dependency", "atom_sms 1.0.0 dependency", "atom_notification 1.3.0 dependency"),
			atom.UninstallRequest{AtomID: "atom_campaign", KeepOrphans: true}, want{
				version: "1.1.0", remove: []string{"atom_campaign 1.1.0 explicit"},
				promote:     []string{"atom_crm 1.5.0 explicit", "atom_sms 1.0.0 explicit"},
				slotsBefore: 5, after: 3,
				state: tenant("atom_crm 1.5.0 explicit", "atom_sms 1.0.0 explicit", "atom_notification 1.3.0 dependency"),
			}},
		{"cascade removes the dependents, dependents first", tenant("atom_crm 1.5.0 explicit", "atom_task 1.8.0 explicit", "atom_notification 1.3.0 dependency", "atom_wireframe 2.1.0 explicit"),
			atom.UninstallRequest{AtomID: "atom_notification", Cascade: true}, want{
				version: "1.3.0", remove: []string{"atom_task 1.8.0 explicit", "atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency"},
				slotsBefore: 4, after: 1, state: tenant("atom_wireframe 2.1.0 explicit"),
				summary: "uninstall atom_notification 1.3.0 and, by cascade, atom_task 1.8.0, atom_crm 1.5.0 (1 atom slots in use after, 4 before)",
			}},
		{"cascade through a chain sweeps what is left", marketing(), atom.UninstallRequest{AtomID: "atom_crm", Cascade: true}, want{
			version: "1.5.0", remove: []string{"atom_campaign 1.1.0 explicit", "atom_crm 1.5.0 dependency"},
			removeDependencies: []string{"atom_sms 1.0.0 dependency"},
			slotsBefore:        6, after: 2, state: tenant("atom_notification 1.3.0 dependency", "atom_task 1.8.0 explicit"),
		}},
		{"a dependency nothing needs can be removed by hand", tenant("atom_task 1.8.0 explicit", "atom_notification 1.3.0 dependency", "atom_sms 1.0.0 dependency"),
			atom.UninstallRequest{AtomID: "atom_sms"}, want{
				version: "1.0.0", remove: []string{"atom_sms 1.0.0 dependency"}, slotsBefore: 3, after: 2,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.PlanUninstall(tt.installed, tt.req)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if p.Operation != atom.OpUninstall {
				t.Errorf("got operation %s, want uninstall", p.Operation)
			}
			checkPlan(t, p, tt.want)
		})
	}
}

func TestPlanUninstallErrors(t *testing.T) {
	c := demo(t)
	tests := []struct {
		name      string
		installed atom.Installed
		req       atom.UninstallRequest
		code      core.Code
		msg       string
	}{
		{"one dependent", tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency"), atom.UninstallRequest{AtomID: "atom_notification"}, core.AtomHasDependents,
			"atom_notification 1.3.0 cannot be uninstalled: atom_crm 1.5.0 depends on it (atom_crm 1.5.0 -> atom_notification 1.3.0). Uninstall atom_crm first, or ask for cascade to remove it too."},
		{"dependents through chains", marketing(), atom.UninstallRequest{AtomID: "atom_notification", KeepOrphans: true}, core.AtomHasDependents,
			"atom_notification 1.3.0 cannot be uninstalled: 4 installed atoms depend on it: atom_crm 1.5.0 (atom_crm 1.5.0 -> atom_notification 1.3.0); " +
				"atom_sms 1.0.0 (atom_sms 1.0.0 -> atom_notification 1.3.0); atom_task 1.8.0 (atom_task 1.8.0 -> atom_notification 1.3.0); " +
				"atom_campaign 1.1.0 (atom_campaign 1.1.0 -> atom_crm 1.5.0 -> atom_notification 1.3.0). Uninstall them first, or ask for cascade to remove them with atom_notification."},
		{"a built-in atom", tenant(), atom.UninstallRequest{AtomID: "core_auth", Cascade: true}, core.AtomBuiltin, "core_auth is built in: every tenant has it, and it is never removed"},
		{"not installed", tenant("atom_task 1.8.0 explicit", "atom_notification 1.3.0 dependency"), atom.UninstallRequest{AtomID: "atom_crm"}, core.AtomNotInstalled,
			"atom_crm is not installed, so there is nothing to uninstall"},
		{"unknown atom", tenant(), atom.UninstallRequest{AtomID: "atom_erp"}, core.AtomNotFound, `the catalog has no atom "atom_erp"`},
		{"bad installed", tenant("atom_crm 1.5.0 sometimes"), atom.UninstallRequest{AtomID: "atom_crm"}, core.Invalid, "it must be explicit or dependency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.PlanUninstall(tt.installed, tt.req)
			if p != nil {
				t.Errorf("got a plan %q, want none", p.Summary)
			}
			checkErr(t, err, tt.code, "-", tt.msg)
		})
	}
}

func TestDependents(t *testing.T) {
	c := demo(t)
	got, err := c.Dependents(marketing(), "atom_notification")
	if err != nil {
		t.Fatal(err)
	}
	wantDeps := []atom.Dependent{
		{AtomID: "atom_crm", Version: "1.5.0", Mode: dep, Chain: []string{"atom_crm 1.5.0", "atom_notification 1.3.0"}},
		{AtomID: "atom_sms", Version: "1.0.0", Mode: dep, Chain: []string{"atom_sms 1.0.0", "atom_notification 1.3.0"}},
		{AtomID: "atom_task", Version: "1.8.0", Mode: ex, Chain: []string{"atom_task 1.8.0", "atom_notification 1.3.0"}},
		{AtomID: "atom_campaign", Version: "1.1.0", Mode: ex, Chain: []string{"atom_campaign 1.1.0", "atom_crm 1.5.0", "atom_notification 1.3.0"}},
	}
	if diff := cmp.Diff(wantDeps, got); diff != "" {
		t.Errorf("Dependents (-want +got):\n%s", diff)
	}
	// A built-in atom's dependents, through installable atoms.
	got, err = c.Dependents(tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency", "atom_wireframe 2.1.0 explicit"), "core_auth")
	if err != nil {
		t.Fatal(err)
	}
	wantDeps = []atom.Dependent{
		{AtomID: "atom_notification", Version: "1.3.0", Mode: dep, Chain: []string{"atom_notification 1.3.0", "core_auth 1.0.0"}},
		{AtomID: "atom_wireframe", Version: "2.1.0", Mode: ex, Chain: []string{"atom_wireframe 2.1.0", "core_auth 1.0.0"}},
		{AtomID: "atom_crm", Version: "1.5.0", Mode: ex, Chain: []string{"atom_crm 1.5.0", "atom_notification 1.3.0", "core_auth 1.0.0"}},
	}
	if diff := cmp.Diff(wantDeps, got); diff != "" {
		t.Errorf("Dependents(core_auth) (-want +got):\n%s", diff)
	}
	got, err = c.Dependents(tenant("atom_wireframe 2.1.0 explicit"), "atom_wireframe")
	if err != nil || len(got) != 0 {
		t.Errorf("no dependents: got %v, %v, want none", got, err)
	}
	_, err = c.Dependents(tenant(), "atom_crm")
	checkErr(t, err, core.AtomNotInstalled, "-", "atom_crm is not installed")
	_, err = c.Dependents(tenant(), "atom_erp")
	checkErr(t, err, core.AtomNotFound, "-", "atom_erp")
}

func TestCheckSlots(t *testing.T) {
	c := demo(t)
	install, err := c.PlanInstall(tenant(), atom.InstallRequest{AtomID: "atom_crm"})
	if err != nil {
		t.Fatal(err)
	}
	atLimit := tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency")
	more, err := c.PlanInstall(atLimit, atom.InstallRequest{AtomID: "atom_campaign"})
	if err != nil {
		t.Fatal(err)
	}
	over := tenant("atom_campaign 1.1.0 explicit", "atom_crm 1.5.0 dependency", "atom_sms 1.0.0 dependency", "atom_notification 1.3.0 dependency")
	remove, err := c.PlanUninstall(over, atom.UninstallRequest{AtomID: "atom_campaign"})
	if err != nil {
		t.Fatal(err)
	}
	upgrade, err := c.PlanUpgrade(tenant("atom_wireframe 2.0.0 explicit", "atom_notification 1.3.0 dependency"), atom.UpgradeRequest{AtomID: "atom_wireframe"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    *atom.Plan
		max  int
		msg  string
	}{
		{"within the limit", install, 2, ""},
		{"unlimited", more, -1, ""},
		{"over the limit", install, 1, "installing atom_crm 1.5.0 needs 2 atom slots (0 in use and 2 more), but the plan allows 1; uninstall atoms or move to a larger plan"},
		{"over the limit with atoms in use", more, 4, "installing atom_campaign 1.1.0 needs 5 atom slots (2 in use and 3 more), but the plan allows 4"},
		{"an uninstall over the limit still passes", remove, 1, ""},
		{"an upgrade freeing slots passes", upgrade, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := atom.CheckSlots(tt.p, tt.max)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			checkErr(t, err, core.PlanLimitExceeded, "-", tt.msg)
			if core.ErrorCode(err).Class() != core.LimitExceeded {
				t.Errorf("got class %s, want %s", core.ErrorCode(err).Class(), core.LimitExceeded)
			}
		})
	}
	n, err := c.SlotsUsed(over)
	if err != nil || n != 5 {
		t.Errorf("SlotsUsed: got %d, %v, want 5", n, err)
	}
	_, err = c.SlotsUsed(tenant("atom_x 1.0.0 explicit"))
	checkErr(t, err, core.AtomNotFound, "-", "atom_x")
}

// TestMustShow walks the must-show behaviours on the demo catalog,
// applying each plan to the tenant's state as a store would.
func TestMustShow(t *testing.T) {
	c := demo(t)
	state := atom.Installed{}

	// Installing atom_crm on a new tenant installs atom_notification 1.3.0.
	p, err := c.PlanInstall(state, atom.InstallRequest{AtomID: "atom_crm"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := steps(p.InstalledDependencies()), []string{"atom_notification 1.3.0 dependency"}; !cmp.Equal(got, want) {
		t.Fatalf("installedDependencies: got %v, want %v", got, want)
	}
	if p.Version != "1.5.0" {
		t.Fatalf("got atom_crm %s, want 1.5.0", p.Version)
	}
	state = p.After

	// Uninstalling atom_notification is refused, naming atom_crm.
	_, err = c.PlanUninstall(state, atom.UninstallRequest{AtomID: "atom_notification"})
	checkErr(t, err, core.AtomHasDependents, "-", "atom_crm 1.5.0 depends on it")

	// A tenant at its slot limit gets the numbers.
	more, err := c.PlanInstall(state, atom.InstallRequest{AtomID: "atom_wireframe"})
	if err != nil {
		t.Fatal(err)
	}
	checkErr(t, atom.CheckSlots(more, 2), core.PlanLimitExceeded, "-",
		"installing atom_wireframe 2.1.0 needs 3 atom slots (2 in use and 1 more), but the plan allows 2")

	// Uninstalling atom_crm removes atom_notification too.
	p, err = c.PlanUninstall(state, atom.UninstallRequest{AtomID: "atom_crm"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := steps(p.RemoveDependencies), []string{"atom_notification 1.3.0 dependency"}; !cmp.Equal(got, want) {
		t.Errorf("removedDependencies: got %v, want %v", got, want)
	}
	if len(p.After) != 0 {
		t.Errorf("after uninstalling atom_crm: got %v, want an empty tenant", p.After)
	}
}
