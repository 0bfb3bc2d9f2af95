package atom_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
)

const (
	ex  = atom.ModeExplicit
	dep = atom.ModeDependency
)

// tenant builds Installed from "id version mode" triples.
func tenant(entries ...string) atom.Installed {
	in := atom.Installed{}
	for _, e := range entries {
		f := strings.Fields(e)
		in[f[0]] = atom.InstalledAtom{Version: f[1], Mode: atom.Mode(f[2])}
	}
	return in
}

// steps formats steps as "id version mode" or "id from->to mode".
func steps(ss []atom.Step) []string {
	out := []string{}
	for _, s := range ss {
		if s.FromVersion != "" {
			out = append(out, s.AtomID+" "+s.FromVersion+"->"+s.Version+" "+string(s.Mode))
			continue
		}
		out = append(out, s.AtomID+" "+s.Version+" "+string(s.Mode))
	}
	return out
}

// want is the expected shape of a plan; nil lists must be empty.
type want struct {
	version            string
	noOp               bool
	install, upgrade   []string
	promote, remove    []string
	removeDependencies []string
	slotsBefore, after int
	notes              []string
	summary            string
	state              atom.Installed
}

func checkPlan(t *testing.T, p *atom.Plan, w want) {
	t.Helper()
	or := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	if p.Version != w.version || p.NoOp != w.noOp {
		t.Errorf("got version %s noOp %t, want %s %t", p.Version, p.NoOp, w.version, w.noOp)
	}
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"install", steps(p.Install), or(w.install)},
		{"upgrade", steps(p.Upgrade), or(w.upgrade)},
		{"promote", steps(p.Promote), or(w.promote)},
		{"remove", steps(p.Remove), or(w.remove)},
		{"removeDependencies", steps(p.RemoveDependencies), or(w.removeDependencies)},
		{"notes", p.Notes, or(w.notes)},
	} {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
	if p.SlotsBefore != w.slotsBefore || p.SlotsAfter != w.after {
		t.Errorf("got slots %d -> %d, want %d -> %d", p.SlotsBefore, p.SlotsAfter, w.slotsBefore, w.after)
	}
	if w.summary != "" && p.Summary != w.summary {
		t.Errorf("got summary %q, want %q", p.Summary, w.summary)
	}
	if w.state != nil {
		if diff := cmp.Diff(w.state, p.After); diff != "" {
			t.Errorf("after (-want +got):\n%s", diff)
		}
	}
}

// legacy is a tenant whose atom_legacy_reports pins atom_notification to
// the 1.1 line.
func legacy(more ...string) atom.Installed {
	return tenant(append([]string{"atom_legacy_reports 1.0.0 explicit", "atom_notification 1.1.0 dependency"}, more...)...)
}

func TestPlanInstall(t *testing.T) {
	c := demo(t)
	tests := []struct {
		name      string
		installed atom.Installed
		req       atom.InstallRequest
		want      want
	}{
		{"seed 000: atom_crm on a new tenant", tenant(), atom.InstallRequest{AtomID: "atom_crm"}, want{
			version: "1.5.0",
			install: []string{"atom_notification 1.3.0 dependency", "atom_crm 1.5.0 explicit"},
			after:   2,
			summary: "install atom_crm 1.5.0; with the dependencies atom_notification 1.3.0 (2 atom slots in use after, 0 before)",
			state:   tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency"),
		}},
		{"a built-in dependency is never installed", tenant(), atom.InstallRequest{AtomID: "atom_wireframe"}, want{
			version: "2.1.0", install: []string{"atom_wireframe 2.1.0 explicit"}, after: 1,
		}},
		{"the newest release, not a pre-release", tenant(), atom.InstallRequest{AtomID: "atom_wireframe", Version: ">=2.0.0"}, want{
			version: "2.1.0", install: []string{"atom_wireframe 2.1.0 explicit"}, after: 1,
		}},
		{"a pre-release asked for by version", tenant(), atom.InstallRequest{AtomID: "atom_wireframe", Version: "3.0.0-beta.1"}, want{
			version: "3.0.0-beta.1", install: []string{"atom_wireframe 3.0.0-beta.1 explicit"}, after: 1,
		}},
		{"an older version by constraint", tenant(), atom.InstallRequest{AtomID: "atom_wireframe", Version: "~2.0.0"}, want{
			version: "2.0.0", install: []string{"atom_notification 1.3.0 dependency", "atom_wireframe 2.0.0 explicit"}, after: 2,
		}},
		{"a chain three deep, dependencies first", tenant(), atom.InstallRequest{AtomID: "atom_campaign"}, want{
			version: "1.1.0",
			install: []string{"atom_notification 1.3.0 dependency", "atom_sms 1.0.0 dependency", "atom_crm 1.5.0 dependency", "atom_campaign 1.1.0 explicit"},
			after:   5,
		}},
		{"installed dependencies are reused", tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency"), atom.InstallRequest{AtomID: "atom_campaign"}, want{
			version: "1.1.0", install: []string{"atom_sms 1.0.0 dependency", "atom_campaign 1.1.0 explicit"}, slotsBefore: 2, after: 5,
			state: tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency", "atom_sms 1.0.0 dependency", "atom_campaign 1.1.0 explicit"),
		}},
		{"already installed explicitly: a no-op", tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency"), atom.InstallRequest{AtomID: "atom_crm"}, want{
			version: "1.5.0", noOp: true, slotsBefore: 2, after: 2,
			summary: "atom_crm 1.5.0 is already installed; nothing to do",
			state:   tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency"),
		}},
		{"already installed at a version the request allows", tenant("atom_crm 1.4.0 explicit", "atom_notification 1.3.0 dependency"), atom.InstallRequest{AtomID: "atom_crm", Version: "^1.4"}, want{
			version: "1.4.0", noOp: true, slotsBefore: 2, after: 2,
		}},
		{"installed as a dependency: promoted", tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency"), atom.InstallRequest{AtomID: "atom_notification"}, want{
			version: "1.3.0", promote: []string{"atom_notification 1.3.0 explicit"}, slotsBefore: 2, after: 2,
			summary: "atom_notification 1.3.0 is already installed as a dependency; it becomes an explicit installation",
			state:   tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 explicit"),
		}},
		{"an installed dependency is upgraded when a new constraint needs it", tenant("atom_task 1.7.0 explicit", "atom_notification 1.2.0 dependency"), atom.InstallRequest{AtomID: "atom_sms"}, want{
			version:     "1.0.0",
			install:     []string{"atom_sms 1.0.0 explicit"},
			upgrade:     []string{"atom_notification 1.2.0->1.3.0 dependency"},
			slotsBefore: 2, after: 3,
			summary: "install atom_sms 1.0.0; upgrading atom_notification 1.2.0 -> 1.3.0 (3 atom slots in use after, 2 before)",
		}},
		{"an older version when the newest does not fit", legacy(), atom.InstallRequest{AtomID: "atom_crm"}, want{
			version: "1.4.0", install: []string{"atom_crm 1.4.0 explicit"}, slotsBefore: 2, after: 3,
			notes: []string{"The newest versions did not fit: atom_crm 1.5.0 needs atom_notification >=1.2.0; atom_legacy_reports 1.0.0 (installed) needs atom_notification ~1.1.0; no atom_notification version satisfies both (the catalog has 1.3.0, 1.2.0, 1.1.0), so atom_crm 1.5.0 cannot be installed."},
		}},
		{"an older version when an upgrade down the chain does not fit", legacy("atom_crm 1.4.0 explicit"), atom.InstallRequest{AtomID: "atom_analytics"}, want{
			version: "2.4.0", install: []string{"atom_analytics 2.4.0 explicit"}, slotsBefore: 3, after: 5,
			notes: []string{"The newest versions did not fit: atom_analytics 3.0.0 -> atom_crm 1.5.0 (an upgrade from 1.4.0) needs atom_notification >=1.2.0; atom_legacy_reports 1.0.0 (installed) needs atom_notification ~1.1.0; no atom_notification version satisfies both (the catalog has 1.3.0, 1.2.0, 1.1.0), so atom_analytics 3.0.0 cannot be installed."},
		}},
		{"built-in atoms in installed are ignored", tenant("core_auth 1.0.0 explicit"), atom.InstallRequest{AtomID: "atom_wireframe"}, want{
			version: "2.1.0", install: []string{"atom_wireframe 2.1.0 explicit"}, after: 1,
			state: tenant("atom_wireframe 2.1.0 explicit"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := clone(tt.installed)
			p, err := c.PlanInstall(tt.installed, tt.req)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if p.Operation != atom.OpInstall || p.AtomID != tt.req.AtomID {
				t.Errorf("got operation %s on %s, want install on %s", p.Operation, p.AtomID, tt.req.AtomID)
			}
			checkPlan(t, p, tt.want)
			if diff := cmp.Diff(before, tt.installed); diff != "" {
				t.Errorf("PlanInstall changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

func clone(in atom.Installed) atom.Installed {
	out := atom.Installed{}
	for k, v := range in {
		out[k] = v
	}
	return out
}

func TestPlanInstallErrors(t *testing.T) {
	c := demo(t)
	tests := []struct {
		name      string
		installed atom.Installed
		req       atom.InstallRequest
		code      core.Code
		msg       string
	}{
		{"unknown atom", tenant(), atom.InstallRequest{AtomID: "atom_erp"}, core.AtomNotFound, `the catalog has no atom "atom_erp"`},
		{"unknown version", tenant(), atom.InstallRequest{AtomID: "atom_crm", Version: "2.0.0"}, core.AtomVersionNotFound, "the catalog has no atom_crm 2.0.0; it has 1.5.0, 1.4.0"},
		{"constraint nothing satisfies", tenant(), atom.InstallRequest{AtomID: "atom_crm", Version: "^2"}, core.AtomVersionNotFound, "no atom_crm version satisfies ^2; the catalog has 1.5.0, 1.4.0"},
		{"constraint that does not parse", tenant(), atom.InstallRequest{AtomID: "atom_crm", Version: "newest"}, core.AtomConstraintInvalid, `version constraint "newest" does not parse`},
		{"a built-in atom", tenant(), atom.InstallRequest{AtomID: "core_auth"}, core.AtomBuiltin, "core_auth is built in: every tenant has it, and it is never installed by hand"},
		{"installed at a version the request excludes", tenant("atom_crm 1.4.0 explicit", "atom_notification 1.3.0 dependency"), atom.InstallRequest{AtomID: "atom_crm", Version: "1.5.0"},
			core.AtomAlreadyInstalled, "atom_crm 1.4.0 is already installed, and you asked for 1.5.0; upgrade it instead"},
		{"conflict down a chain", legacy("atom_crm 1.4.0 explicit"), atom.InstallRequest{AtomID: "atom_campaign"}, core.AtomDependencyConflict,
			"atom_campaign 1.1.0 -> atom_sms 1.0.0 needs atom_notification >=1.3.0; atom_legacy_reports 1.0.0 (installed) needs atom_notification ~1.1.0; no atom_notification version satisfies both (the catalog has 1.3.0, 1.2.0, 1.1.0), so atom_campaign 1.1.0 cannot be installed."},
		{"conflict with the exact version asked for", legacy(), atom.InstallRequest{AtomID: "atom_crm", Version: "1.5.0"}, core.AtomDependencyConflict,
			"atom_crm 1.5.0 needs atom_notification >=1.2.0; atom_legacy_reports 1.0.0 (installed) needs atom_notification ~1.1.0; no atom_notification version satisfies both (the catalog has 1.3.0, 1.2.0, 1.1.0), so atom_crm 1.5.0 cannot be installed."},
		{"never a downgrade", tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency"), atom.InstallRequest{AtomID: "atom_legacy_reports"}, core.AtomDependencyConflict,
			"atom_legacy_reports 1.0.0 needs atom_notification ~1.1.0; the installed atom_notification is 1.3.0, and atomix never downgrades, so atom_legacy_reports 1.0.0 cannot be installed."},
		{"no upgrade when not allowed", tenant("atom_task 1.7.0 explicit", "atom_notification 1.2.0 dependency"), atom.InstallRequest{AtomID: "atom_sms", NoUpgrade: true}, core.AtomDependencyConflict,
			"atom_sms 1.0.0 needs atom_notification >=1.3.0; the installed atom_notification is 1.2.0, and upgrades were not allowed, so atom_sms 1.0.0 cannot be installed."},
		{"installed atom missing from the catalog", tenant("atom_gone 1.0.0 explicit"), atom.InstallRequest{AtomID: "atom_crm"}, core.AtomNotFound,
			`installed atom "atom_gone" is not in the catalog`},
		{"installed version missing from the catalog", tenant("atom_crm 0.9.0 explicit"), atom.InstallRequest{AtomID: "atom_task"}, core.AtomVersionNotFound,
			"installed atom_crm 0.9.0 is not in the catalog, which has 1.5.0, 1.4.0"},
		{"installed with a bad mode", tenant("atom_crm 1.5.0 manual"), atom.InstallRequest{AtomID: "atom_task"}, core.Invalid,
			`installed atom_crm has mode "manual"; it must be explicit or dependency`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.PlanInstall(tt.installed, tt.req)
			if p != nil {
				t.Errorf("got a plan %q, want none", p.Summary)
			}
			checkErr(t, err, tt.code, "-", tt.msg)
		})
	}
}

func TestPlanInstallWithUpgradeSweepsOrphans(t *testing.T) {
	c := mustCatalog(t, []atom.Atom{
		mk("atom_old", "1.0.0"),
		mk("atom_util", "1.0.0"),
		mk("atom_base", "1.0.0", "atom_old", "atom_util"),
		mk("atom_base", "2.0.0", "atom_util"),
		mk("atom_plugin", "1.0.0", "atom_base >=2.0.0"),
	})
	in := tenant("atom_base 1.0.0 explicit", "atom_old 1.0.0 dependency", "atom_util 1.0.0 dependency")
	p, err := c.PlanInstall(in, atom.InstallRequest{AtomID: "atom_plugin"})
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, p, want{
		version: "1.0.0", install: []string{"atom_plugin 1.0.0 explicit"}, upgrade: []string{"atom_base 1.0.0->2.0.0 explicit"},
		removeDependencies: []string{"atom_old 1.0.0 dependency"}, slotsBefore: 3, after: 3,
		state: tenant("atom_base 2.0.0 explicit", "atom_util 1.0.0 dependency", "atom_plugin 1.0.0 explicit"),
	})
	if got, want := p.Upgrade[0].Reason, "atom_plugin 1.0.0 needs atom_base >=2.0.0"; got != want {
		t.Errorf("upgrade reason: got %q, want %q", got, want)
	}
	p, err = c.PlanInstall(in, atom.InstallRequest{AtomID: "atom_plugin", KeepOrphans: true})
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, p, want{
		version: "1.0.0", install: []string{"atom_plugin 1.0.0 explicit"}, upgrade: []string{"atom_base 1.0.0->2.0.0 explicit"},
		promote: []string{"atom_old 1.0.0 explicit"}, slotsBefore: 3, after: 4,
	})
}

func TestPlanInstallTriesEveryVersion(t *testing.T) {
	c := mustCatalog(t, []atom.Atom{
		mk("atom_n", "1.0.0"), mk("atom_n", "2.0.0"), mk("atom_n", "2.1.0"), mk("atom_p", "1.0.0", "atom_n ^1"),
		mk("atom_x", "1.0.0", "atom_n ^2"), mk("atom_x", "1.1.0", "atom_n ^2"), mk("atom_x", "2.0.0", "atom_n >=2.1.0"),
	})
	in := tenant("atom_p 1.0.0 explicit", "atom_n 1.0.0 dependency")
	for _, tt := range []struct{ version, msg string }{
		{"", "atom_x 2.0.0 needs atom_n >=2.1.0; atom_p 1.0.0 (installed) needs atom_n ^1; no atom_n version satisfies both (the catalog has 2.1.0, 2.0.0, 1.0.0), so atom_x 2.0.0 cannot be installed. The 2 other versions of atom_x that the request allows do not fit either."},
		{"^1", "atom_x 1.1.0 needs atom_n ^2; atom_p 1.0.0 (installed) needs atom_n ^1; no atom_n version satisfies both (the catalog has 2.1.0, 2.0.0, 1.0.0), so atom_x 1.1.0 cannot be installed. The other version of atom_x that the request allows does not fit either."},
		{"1.0.0", "atom_x 1.0.0 needs atom_n ^2; atom_p 1.0.0 (installed) needs atom_n ^1; no atom_n version satisfies both (the catalog has 2.1.0, 2.0.0, 1.0.0), so atom_x 1.0.0 cannot be installed."},
	} {
		_, err := c.PlanInstall(in, atom.InstallRequest{AtomID: "atom_x", Version: tt.version})
		if err == nil || err.Error() != "atom_dependency_conflict: "+tt.msg {
			t.Errorf("version %q: got %v, want atom_dependency_conflict: %s", tt.version, err, tt.msg)
		}
	}
}

// TestPlanInstallSearchIsBounded builds a catalog where every path of a
// 14-atom chain, three versions each, ends in the same conflict: the
// resolver must stop after maxTries versions and still explain it.
func TestPlanInstallSearchIsBounded(t *testing.T) {
	var atoms []atom.Atom
	atoms = append(atoms, mk("atom_w", "1.0.0"), mk("atom_w", "2.0.0"), mk("atom_pin", "1.0.0", "atom_w <2.0.0"))
	atoms = append(atoms, mk("atom_z", "1.0.0", "atom_w >=2.0.0"))
	prev := "atom_z"
	for i := 13; i >= 0; i-- {
		id := "atom_c" + string(rune('a'+i))
		for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
			atoms = append(atoms, mk(id, v, prev))
		}
		prev = id
	}
	c := mustCatalog(t, atoms)
	start := time.Now()
	_, err := c.PlanInstall(tenant("atom_pin 1.0.0 explicit", "atom_w 1.0.0 dependency"), atom.InstallRequest{AtomID: "atom_ca"})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("got %v to give up, want well under 5s", d)
	}
	checkErr(t, err, core.AtomDependencyConflict, "-",
		"atom_ca 1.2.0 -> atom_cb 1.2.0 -> atom_cc 1.2.0 -> atom_cd 1.2.0 -> atom_ce 1.2.0 -> atom_cf 1.2.0 -> atom_cg 1.2.0 -> atom_ch 1.2.0 -> atom_ci 1.2.0 -> atom_cj 1.2.0 -> atom_ck 1.2.0 -> atom_cl 1.2.0 -> atom_cm 1.2.0 -> atom_cn 1.2.0 -> atom_z 1.0.0 needs atom_w >=2.0.0; atom_pin 1.0.0 (installed) needs atom_w <2.0.0; no atom_w version satisfies both (the catalog has 2.0.0, 1.0.0), so atom_ca 1.2.0 cannot be installed.")
	checkErr(t, err, core.AtomDependencyConflict, "-", "(atomix stopped after trying 10000 versions.)")
}

func TestPlanUpgrade(t *testing.T) {
	c := demo(t)
	tests := []struct {
		name      string
		installed atom.Installed
		req       atom.UpgradeRequest
		want      want
	}{
		{"to the newest, removing what it no longer needs", tenant("atom_wireframe 2.0.0 explicit", "atom_notification 1.3.0 dependency"), atom.UpgradeRequest{AtomID: "atom_wireframe"}, want{
			version: "2.1.0", upgrade: []string{"atom_wireframe 2.0.0->2.1.0 explicit"}, removeDependencies: []string{"atom_notification 1.3.0 dependency"},
			slotsBefore: 2, after: 1,
			summary: "upgrade atom_wireframe to 2.1.0; removing the unneeded atom_notification 1.3.0 (1 atom slots in use after, 2 before)",
			state:   tenant("atom_wireframe 2.1.0 explicit"),
		}},
		{"keeping orphans", tenant("atom_wireframe 2.0.0 explicit", "atom_notification 1.3.0 dependency"), atom.UpgradeRequest{AtomID: "atom_wireframe", KeepOrphans: true}, want{
			version: "2.1.0", upgrade: []string{"atom_wireframe 2.0.0->2.1.0 explicit"}, promote: []string{"atom_notification 1.3.0 explicit"},
			slotsBefore: 2, after: 2,
		}},
		{"upgrading a dependency along", tenant("atom_crm 1.4.0 explicit", "atom_notification 1.1.0 dependency"), atom.UpgradeRequest{AtomID: "atom_crm"}, want{
			version: "1.5.0", upgrade: []string{"atom_notification 1.1.0->1.3.0 dependency", "atom_crm 1.4.0->1.5.0 explicit"}, slotsBefore: 2, after: 2,
		}},
		{"keeping a dependency that still fits", tenant("atom_task 1.7.0 explicit", "atom_notification 1.2.0 dependency"), atom.UpgradeRequest{AtomID: "atom_task"}, want{
			version: "1.8.0", upgrade: []string{"atom_task 1.7.0->1.8.0 explicit"}, slotsBefore: 2, after: 2,
		}},
		{"to an exact version", tenant("atom_wireframe 2.0.0 explicit", "atom_notification 1.3.0 dependency"), atom.UpgradeRequest{AtomID: "atom_wireframe", Version: "3.0.0-beta.1"}, want{
			version: "3.0.0-beta.1", upgrade: []string{"atom_wireframe 2.0.0->3.0.0-beta.1 explicit"}, removeDependencies: []string{"atom_notification 1.3.0 dependency"}, slotsBefore: 2, after: 1,
		}},
		{"already the newest: a no-op", tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency"), atom.UpgradeRequest{AtomID: "atom_crm"}, want{
			version: "1.5.0", noOp: true, slotsBefore: 2, after: 2,
			summary: "atom_crm 1.5.0 is installed, and the catalog has no newer release of it; nothing to do",
		}},
		{"already at the version asked for", tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency"), atom.UpgradeRequest{AtomID: "atom_crm", Version: "^1.4"}, want{
			version: "1.5.0", noOp: true, slotsBefore: 2, after: 2,
			summary: "atom_crm 1.5.0 is installed and already satisfies ^1.4; nothing to do",
		}},
		{"a dependency installation by hand keeps its mode", tenant("atom_crm 1.4.0 explicit", "atom_notification 1.2.0 dependency"), atom.UpgradeRequest{AtomID: "atom_notification"}, want{
			version: "1.3.0", upgrade: []string{"atom_notification 1.2.0->1.3.0 dependency"}, slotsBefore: 2, after: 2,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.PlanUpgrade(tt.installed, tt.req)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if p.Operation != atom.OpUpgrade {
				t.Errorf("got operation %s, want upgrade", p.Operation)
			}
			checkPlan(t, p, tt.want)
		})
	}

	// The newest version does not fit, an intermediate one does.
	c2 := mustCatalog(t, []atom.Atom{
		mk("atom_n", "1.0.0"), mk("atom_n", "2.0.0"), mk("atom_p", "1.0.0", "atom_n ^1"),
		mk("atom_x", "1.0.0"), mk("atom_x", "1.1.0", "atom_n ^1"), mk("atom_x", "2.0.0", "atom_n ^2"),
	})
	p, err := c2.PlanUpgrade(tenant("atom_p 1.0.0 explicit", "atom_n 1.0.0 dependency", "atom_x 1.0.0 explicit"), atom.UpgradeRequest{AtomID: "atom_x"})
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, p, want{version: "1.1.0", upgrade: []string{"atom_x 1.0.0->1.1.0 explicit"}, slotsBefore: 3, after: 3,
		notes: []string{"The newest versions did not fit: atom_x 2.0.0 (an upgrade from 1.0.0) needs atom_n ^2; atom_p 1.0.0 (installed) needs atom_n ^1; no atom_n version satisfies both (the catalog has 2.0.0, 1.0.0), so atom_x cannot be upgraded to 2.0.0."}})
}

func TestPlanUpgradeErrors(t *testing.T) {
	c := demo(t)
	crm := tenant("atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency")
	tests := []struct {
		name      string
		installed atom.Installed
		req       atom.UpgradeRequest
		code      core.Code
		msg       string
	}{
		{"not installed", tenant(), atom.UpgradeRequest{AtomID: "atom_crm"}, core.AtomNotInstalled, "atom_crm is not installed, so it cannot be upgraded; install it instead"},
		{"a built-in atom", crm, atom.UpgradeRequest{AtomID: "core_auth"}, core.AtomBuiltin, "core_auth is built in: it runs at the platform's version, 1.0.0, and is never upgraded by hand"},
		{"unknown atom", crm, atom.UpgradeRequest{AtomID: "atom_erp"}, core.AtomNotFound, "atom_erp"},
		{"downgrade to an exact version", crm, atom.UpgradeRequest{AtomID: "atom_crm", Version: "1.4.0"}, core.AtomDowngrade,
			"atom_crm 1.5.0 is installed and you asked for 1.4.0, an older version; atomix never downgrades an atom"},
		{"downgrade by constraint", crm, atom.UpgradeRequest{AtomID: "atom_crm", Version: "~1.4.0"}, core.AtomDowngrade,
			"atom_crm 1.5.0 is installed and you asked for ~1.4.0, which only older versions satisfy; atomix never downgrades an atom"},
		{"unknown version", crm, atom.UpgradeRequest{AtomID: "atom_crm", Version: "1.6.0"}, core.AtomVersionNotFound, "the catalog has no atom_crm 1.6.0"},
		{"a dependent holds it back", legacy("atom_crm 1.4.0 explicit"), atom.UpgradeRequest{AtomID: "atom_notification"}, core.AtomDependencyConflict,
			"atom_legacy_reports 1.0.0 (installed) needs atom_notification ~1.1.0; upgrading atom_notification means a release newer than 1.1.0; no atom_notification version satisfies both (the catalog has 1.3.0, 1.2.0, 1.1.0), so atom_notification cannot be upgraded."},
		{"its new dependency does not fit", legacy("atom_crm 1.4.0 explicit"), atom.UpgradeRequest{AtomID: "atom_crm"}, core.AtomDependencyConflict,
			"atom_crm 1.5.0 (an upgrade from 1.4.0) needs atom_notification >=1.2.0; atom_legacy_reports 1.0.0 (installed) needs atom_notification ~1.1.0; no atom_notification version satisfies both (the catalog has 1.3.0, 1.2.0, 1.1.0), so atom_crm cannot be upgraded to 1.5.0."},
		{"no other upgrade allowed", tenant("atom_crm 1.4.0 explicit", "atom_notification 1.1.0 dependency"), atom.UpgradeRequest{AtomID: "atom_crm", NoUpgrade: true}, core.AtomDependencyConflict,
			"the installed atom_notification is 1.1.0, and upgrades were not allowed, so atom_crm cannot be upgraded to 1.5.0."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.PlanUpgrade(tt.installed, tt.req)
			checkErr(t, err, tt.code, "-", tt.msg)
		})
	}
}

func TestPlanInstallPreReleaseOnly(t *testing.T) {
	c := mustCatalog(t, []atom.Atom{mk("atom_next", "2.0.0-beta.1"), mk("atom_next", "2.0.0-beta.2")})
	_, err := c.PlanInstall(tenant(), atom.InstallRequest{AtomID: "atom_next"})
	checkErr(t, err, core.AtomVersionNotFound, "-", "atom_next has only pre-release versions (2.0.0-beta.2, 2.0.0-beta.1); ask for one by version")
	p, err := c.PlanInstall(tenant(), atom.InstallRequest{AtomID: "atom_next", Version: ">=2.0.0-beta.1"})
	if err != nil || p.Version != "2.0.0-beta.2" {
		t.Errorf("got %v, %v, want 2.0.0-beta.2", p, err)
	}
}

// TestCatalogConcurrentUse runs plans and config checks on one catalog from
// several goroutines; run with -race.
func TestCatalogConcurrentUse(t *testing.T) {
	c := demo(t)
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				var p *atom.Plan
				p, err = c.PlanInstall(legacy(), atom.InstallRequest{AtomID: "atom_analytics"})
				if err == nil && p.Version != "2.4.0" {
					err = fmt.Errorf("got atom_analytics %s, want 2.4.0", p.Version)
				}
				if err == nil {
					_, err = c.PlanUninstall(p.After, atom.UninstallRequest{AtomID: "atom_crm", Cascade: true})
				}
				if e := c.ValidateConfig("atom_crm", "1.5.0", json.RawMessage(`{"defaultCurrency": 1}`)); core.ErrorCode(e) != core.AtomConfigInvalid {
					err = fmt.Errorf("ValidateConfig: got %v, want %s", e, core.AtomConfigInvalid)
				}
			}
			done <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
