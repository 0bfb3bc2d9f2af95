package atom

import (
	"fmt"

	"github.com/atomixplatform/atomix/core"
)

// Operation names what a Plan does.
type Operation string

// The operations.
const (
	OpInstall   Operation = "install"
	OpUpgrade   Operation = "upgrade"
	OpUninstall Operation = "uninstall"
)

// Step is one change of a Plan.
type Step struct {
	AtomID string `json:"atomId"`
	// Version is the version installed, kept, upgraded to or removed.
	Version string `json:"version"`
	// FromVersion is the version an upgrade moves from.
	FromVersion string `json:"fromVersion,omitempty"`
	// Mode is the installation's mode after the step (for removals: the
	// mode it had).
	Mode Mode `json:"mode"`
	// AtomSlots is what the installation uses (after the step).
	AtomSlots int `json:"atomSlots"`
	// Reason says, in words, why the step is in the plan.
	Reason string `json:"reason"`
}

// Plan is what an install, upgrade or uninstall changes for one tenant.
// The resolver computes it without side effects; a store applies it in one
// transaction. Each list is in an order that is safe to apply step by step:
// installs and upgrades put dependencies before the atoms needing them,
// removals put dependents before their dependencies.
type Plan struct {
	Operation Operation `json:"operation"`
	// AtomID is the atom asked for.
	AtomID string `json:"atomId"`
	// Version is the version of AtomID after an install or upgrade, or the
	// version an uninstall removes.
	Version string `json:"version"`
	// NoOp is true when nothing changes (the atom is already installed
	// explicitly, or already at the newest version that fits); Summary says
	// which.
	NoOp bool `json:"noOp"`
	// Summary is one sentence describing the plan.
	Summary string `json:"summary"`
	// Install lists the new installations, explicit (the atom asked for)
	// and dependency.
	Install []Step `json:"install"`
	// Upgrade lists the installations moving to a newer version.
	Upgrade []Step `json:"upgrade"`
	// Promote lists dependency installations becoming explicit: the atom
	// asked for, or orphans kept at the caller's request.
	Promote []Step `json:"promote"`
	// Remove lists the atom an uninstall removes and, with cascade, the
	// installed atoms depending on it.
	Remove []Step `json:"remove"`
	// RemoveDependencies lists the dependency installations nothing needs
	// after the change.
	RemoveDependencies []Step `json:"removedDependencies"`
	// Notes explain choices that are not the obvious one, such as an
	// older version installed because the newest does not fit.
	Notes []string `json:"notes"`
	// SlotsBefore and SlotsAfter are the atom slots used (the sum of
	// atomSlots of the installed atoms that are not built-in) before and
	// after the plan.
	SlotsBefore int `json:"slotsBefore"`
	SlotsAfter  int `json:"slotsAfter"`
	// After is the tenant's installations once the plan is applied.
	After Installed `json:"after"`
}

// InstalledDependencies returns the dependency installations the plan
// creates: seed 000's installedDependencies.
func (p *Plan) InstalledDependencies() []Step {
	out := []Step{}
	for _, s := range p.Install {
		if s.Mode == ModeDependency {
			out = append(out, s)
		}
	}
	return out
}

// CheckSlots checks a plan against the tenant's plan limit maxAtoms; a
// negative maxAtoms (-1) means unlimited. A plan that does not add slots
// always passes, so a tenant over its limit can still uninstall.
// Errors: core.PlanLimitExceeded, saying the slots needed, allowed and in
// use.
func CheckSlots(p *Plan, maxAtoms int) error {
	if maxAtoms < 0 || p.SlotsAfter <= maxAtoms || p.SlotsAfter <= p.SlotsBefore {
		return nil
	}
	return core.Errorf(core.PlanLimitExceeded,
		"%s needs %d atom slots (%d in use and %d more), but the plan allows %d; uninstall atoms or move to a larger plan",
		p.doing(), p.SlotsAfter, p.SlotsBefore, p.SlotsAfter-p.SlotsBefore, maxAtoms)
}

func (p *Plan) doing() string {
	switch p.Operation {
	case OpInstall:
		return fmt.Sprintf("installing %s %s", p.AtomID, p.Version)
	case OpUpgrade:
		return fmt.Sprintf("upgrading %s to %s", p.AtomID, p.Version)
	}
	return fmt.Sprintf("uninstalling %s", p.AtomID)
}

// SlotsUsed returns the atom slots the installations use: the sum of the
// atomSlots of each installed version that is not built-in.
// Errors: core.AtomNotFound or core.AtomVersionNotFound for an
// installation the catalog does not hold; core.Invalid for a bad mode.
func (c *Catalog) SlotsUsed(installed Installed) (int, error) {
	t, err := c.tenant(installed)
	if err != nil {
		return 0, err
	}
	return c.slots(t), nil
}
