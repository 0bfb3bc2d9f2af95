package atom

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
)

// InstallationStatus is the state of an installation.
type InstallationStatus string

// The installation states.
const (
	// InstallationActive: the atom is installed and in use. It is the one
	// state today; a removed installation is deleted, not marked.
	InstallationActive InstallationStatus = "active"
)

// Installation is one atom installed for one tenant: seed 000's
// installation, with the mode and config.
type Installation struct {
	// TenantID is the tenant owning the installation.
	TenantID string
	// ID is the installation's opaque ID, "inst_" and random characters.
	ID string
	// AtomID names the atom; a tenant has at most one installation of
	// each atom.
	AtomID string
	// Version is the installed catalog version, as the catalog writes it.
	Version string
	// Mode says whether a tenant admin asked for the atom or the resolver
	// pulled it in.
	Mode Mode
	// Config is the installation's config, a JSON object as compact text;
	// it reads back byte for byte from every store.
	Config json.RawMessage
	Status InstallationStatus
	// InstalledAt is when the installation was created; UpdatedAt when it
	// last changed (version, mode or config).
	InstalledAt time.Time
	UpdatedAt   time.Time
}

// InstalledOf returns the installations as the resolver sees them.
func InstalledOf(insts []Installation) Installed {
	out := make(Installed, len(insts))
	for _, in := range insts {
		out[in.AtomID] = InstalledAtom{Version: in.Version, Mode: in.Mode}
	}
	return out
}

// Store is what the atom marketplace needs from storage: the published
// catalog, which is global, and each tenant's installations, which the
// tenant owns. Implementations live in atomix/store/...; each must pass
// atomix/store/storetest.
//
// Values are returned as copies: a caller may change what it receives
// without changing what is stored.
type Store interface {
	// PublishAtoms adds atom versions to the catalog. It holds the catalog
	// against other publishers until the surrounding transaction ends,
	// passes every published version (in publication order) to publish,
	// and stores the versions publish returns, in that order, as one
	// publication. When publish returns versions, the catalog version
	// (CatalogVersion) moves forward; when it returns none, nothing
	// changes. An error from publish is returned as it is and nothing is
	// written. It returns the catalog version after the call.
	// Errors: core.AtomDuplicate when a returned atom id and version is
	// published already, or returned twice (nothing is written); those of
	// publish.
	PublishAtoms(ctx context.Context, publish func(published []Atom) ([]Atom, error)) (int64, error)

	// ListAtoms returns every published atom version, in publication
	// order.
	ListAtoms(ctx context.Context) ([]Atom, error)

	// CatalogVersion returns a number that changes whenever a publication
	// commits, and only then: a cheap check of whether a catalog loaded
	// before is still current. It is 0 for an empty catalog.
	CatalogVersion(ctx context.Context) (int64, error)

	// ListInstallations returns the tenant's installations ordered by
	// AtomID; none (and no error) for an unknown tenant.
	ListInstallations(ctx context.Context, tenantID string) ([]Installation, error)

	// UpdateInstallations reads the tenant and holds it against concurrent
	// writers of its record and installations until the surrounding
	// transaction ends, passes it and its installations (ordered by
	// AtomID) to update, and makes the stored installations what update
	// returns: installations whose ID is new are inserted, changed ones
	// updated, missing ones deleted. Each returned installation must carry
	// the tenant's ID, an atom id that no other one carries, a mode, and a
	// Config that is valid JSON; an existing ID keeps its AtomID and
	// InstalledAt. An error from update is returned as it is and nothing
	// is written. It returns the installations after the call, ordered by
	// AtomID.
	// Errors: core.NotFound for an unknown tenant; core.Invalid for a
	// returned installation that breaks the rules above; core.Conflict for
	// an ID or atom id returned twice; those of update.
	UpdateInstallations(ctx context.Context, tenantID string, update func(t tenant.Tenant, cur []Installation) ([]Installation, error)) ([]Installation, error)
}

// Limits reads the atom-slot limit of a tenant's plan. Billing implements
// it; StaticLimits serves demos and tests.
//
// The platform calls MaxAtoms inside the transaction that holds the
// tenant, with the tenant as locked there: it must not write the
// platform's store nor wait on another transaction of it.
type Limits interface {
	// MaxAtoms returns the atom slots the tenant's plan allows: the most
	// the sum of atomSlots of its installations may reach; -1 means no
	// limit.
	MaxAtoms(ctx context.Context, t tenant.Tenant) (int, error)
}

// StaticLimits maps plan IDs to their maxAtoms (-1 for no limit). A plan
// not in the map, and a tenant without a plan, have no limit.
type StaticLimits map[string]int

// MaxAtoms implements Limits.
func (l StaticLimits) MaxAtoms(_ context.Context, t tenant.Tenant) (int, error) {
	if n, ok := l[t.PlanID]; ok {
		return n, nil
	}
	return -1, nil
}

// DependentsError is the cause (read it with errors.As) of a
// core.AtomHasDependents error from the platform: the installed atoms
// depending on the one to uninstall, as data.
type DependentsError struct {
	AtomID     string
	Version    string
	Dependents []Dependent
}

// Error returns a short description.
func (e *DependentsError) Error() string {
	return e.AtomID + " " + e.Version + " has installed dependents"
}

// SlotsError is the cause (read it with errors.As) of a
// core.PlanLimitExceeded error from the platform: the atom slots the
// change needs in all, the plan allows, and are in use before it.
type SlotsError struct {
	Needed  int
	Allowed int
	Used    int
}

// Error returns a short description.
func (e *SlotsError) Error() string {
	return "atom slots: needed " + strconv.Itoa(e.Needed) + ", allowed " + strconv.Itoa(e.Allowed) + ", used " + strconv.Itoa(e.Used)
}

// CheckUpdate checks what an UpdateInstallations updater returned (next)
// against the current installations (cur) and the rules every store
// enforces: each row belongs to tenantID, has an ID, an atom id, a valid
// mode and JSON config; no ID or atom appears twice; an existing
// installation keeps its atom and installation time (compared to the
// microsecond, the precision every store keeps).
// Errors: core.Invalid; core.Conflict for a duplicate.
func CheckUpdate(tenantID string, cur, next []Installation) error {
	byID := make(map[string]*Installation, len(cur))
	for i := range cur {
		byID[cur[i].ID] = &cur[i]
	}
	ids := make(map[string]bool, len(next))
	atoms := make(map[string]bool, len(next))
	for _, in := range next {
		switch {
		case in.TenantID != tenantID:
			return core.Errorf(core.Invalid, "installation %s belongs to tenant %q, not %q", in.ID, in.TenantID, tenantID)
		case in.ID == "" || in.AtomID == "":
			return core.Errorf(core.Invalid, "an installation needs an ID and an atom id")
		case !in.Mode.Valid():
			return core.Errorf(core.Invalid, "installation %s has mode %q; it must be explicit or dependency", in.ID, in.Mode)
		case !json.Valid(in.Config):
			return core.Errorf(core.Invalid, "the config of installation %s is not valid JSON", in.ID)
		case ids[in.ID]:
			return core.Errorf(core.Conflict, "installation %s is returned twice", in.ID)
		case atoms[in.AtomID]:
			return core.Errorf(core.Conflict, "the tenant already has an installation of %s", in.AtomID)
		}
		if o, ok := byID[in.ID]; ok && (o.AtomID != in.AtomID || !sameMicro(o.InstalledAt, in.InstalledAt)) {
			return core.Errorf(core.Invalid, "installation %s cannot change its atom or installation time", in.ID)
		}
		ids[in.ID] = true
		atoms[in.AtomID] = true
	}
	return nil
}

func sameMicro(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}
