package atomix

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
)

// The atom marketplace's workflows. Each change to a tenant's atoms runs in
// one store transaction: it locks the tenant (UpdateInstallations), reads
// the catalog as of that moment, plans with the atom resolver, checks the
// plan's slots and the configs, and writes the plan's installations.

// WithLimits sets where the platform reads each tenant's atom-slot limit,
// in place of its plan's maxAtoms (atom.StaticLimits serves tests). By
// default the limit is the maxAtoms of the tenant's plan, read in the
// transaction that holds the tenant; a tenant without a stored plan, or a
// plan without maxAtoms, has no limit.
func WithLimits(l atom.Limits) Option {
	return func(c *config) { c.limits = l }
}

// catalogState is a loaded catalog and the store's catalog version it
// reflects.
type catalogState struct {
	version int64
	cat     *atom.Catalog
}

// Catalog returns the atom catalog as the store holds it now. The platform
// keeps the last catalog it loaded, which is immutable, and loads the
// catalog again only when the store's catalog version has moved (another
// platform over the same store may have published): each call costs one
// read of that version.
// Errors: core.Internal when the store fails, or holds a catalog that does
// not validate.
func (p *Platform) Catalog(ctx context.Context) (*atom.Catalog, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	return p.catalogIn(ctx, p.store)
}

// catalogIn returns the catalog as st (the store or a transaction) sees it.
func (p *Platform) catalogIn(ctx context.Context, st atom.Store) (*atom.Catalog, error) {
	v, err := st.CatalogVersion(ctx)
	if err != nil {
		return nil, err
	}
	if cs := p.catalog.Load(); cs != nil && cs.version == v {
		return cs.cat, nil
	}
	atoms, err := st.ListAtoms(ctx)
	if err != nil {
		return nil, err
	}
	cat, err := atom.NewCatalog(atoms)
	if err != nil {
		return nil, &core.Error{Code: core.Internal, Message: "the stored atom catalog does not validate", Err: err}
	}
	// A transaction of the platform's never publishes and reads, so what
	// it read is committed: it may be kept.
	p.catalog.Store(&catalogState{version: v, cat: cat})
	return cat, nil
}

// PublishAtoms adds atom versions to the catalog and returns the catalog
// after it. The catalog it would make, the published versions and these,
// is validated first as atom.NewCatalog does; field paths such as
// "atoms[2].dependencies[0]" index the atoms given here ("published[i]"
// for a version published before). A version published before with the
// same content is skipped, so publishing is idempotent.
// Errors: those of atom.NewCatalog; core.AtomDuplicate for a version
// published before with other content; core.Internal.
func (p *Platform) PublishAtoms(ctx context.Context, atoms ...atom.Atom) (*atom.Catalog, error) {
	ctx, done := p.audited(ctx, "atom.publish")
	out, err := p.doPublishAtoms(ctx, atoms...)
	done("", "", err)
	return out, err
}

// doPublishAtoms is PublishAtoms without its audit record.
func (p *Platform) doPublishAtoms(ctx context.Context, atoms ...atom.Atom) (*atom.Catalog, error) {
	if err := needPlatform(ctx, PermAtomPublish); err != nil {
		return nil, err
	}
	var merged *atom.Catalog
	v, err := p.store.PublishAtoms(ctx, func(published []atom.Atom) ([]atom.Atom, error) {
		fresh, at, err := freshAtoms(published, atoms)
		if err != nil {
			return nil, err
		}
		all := make([]atom.Atom, 0, len(fresh)+len(published))
		all = append(append(all, fresh...), published...)
		if merged, err = atom.NewCatalog(all); err != nil {
			return nil, renumber(err, at, len(fresh))
		}
		return fresh, nil
	})
	if err != nil {
		return nil, err
	}
	p.catalog.Store(&catalogState{version: v, cat: merged})
	return merged, nil
}

// freshAtoms returns the atoms not published yet and, for each, its index
// in atoms. An atom published before with the same content is left out;
// with other content it is refused.
func freshAtoms(published, atoms []atom.Atom) ([]atom.Atom, []int, error) {
	old := make(map[[2]string]int, len(published))
	for i, a := range published {
		old[[2]string{a.ID, a.Version}] = i
	}
	var fresh []atom.Atom
	var at []int
	for i, a := range atoms {
		j, ok := old[[2]string{a.ID, a.Version}]
		if !ok {
			fresh = append(fresh, a)
			at = append(at, i)
			continue
		}
		if !sameAtom(published[j], a) {
			return nil, nil, &core.Error{Code: core.AtomDuplicate,
				Message: fmt.Sprintf("%s %s is published already, with other content; a published version never changes, so publish a new version", a.ID, a.Version),
				Fields:  []core.FieldError{{Field: fmt.Sprintf("atoms[%d].version", i), Message: "is published already, with other content"}}}
		}
	}
	return fresh, at, nil
}

// sameAtom reports whether a and b are the same atom version, as the
// catalog would hold them: nil and empty lists, and the spacing of the
// config schema, do not count.
func sameAtom(a, b atom.Atom) bool {
	x, err1 := canonicalAtom(a)
	y, err2 := canonicalAtom(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func canonicalAtom(a atom.Atom) ([]byte, error) {
	if a.Features == nil {
		a.Features = []string{}
	}
	if a.Dependencies == nil {
		a.Dependencies = []atom.Dependency{}
	}
	if a.Permissions == nil {
		a.Permissions = []string{}
	}
	if a.Builtin && a.Pricing.Type == "" {
		a.Pricing.Type = atom.PricingIncluded
	}
	if len(a.ConfigSchema) > 0 {
		var b bytes.Buffer
		if err := json.Compact(&b, a.ConfigSchema); err != nil {
			return nil, err
		}
		a.ConfigSchema = b.Bytes()
	}
	return json.Marshal(a)
}

var atomsIndex = regexp.MustCompile(`atoms\[(\d+)\]`)

// renumber rewrites the "atoms[i]" of a catalog error, which index fresh
// then published, to index the caller's atoms (through at) or
// "published[j]".
func renumber(err error, at []int, nFresh int) error {
	var ce *core.Error
	if !errors.As(err, &ce) {
		return err
	}
	fix := func(s string) string {
		return atomsIndex.ReplaceAllStringFunc(s, func(m string) string {
			i, _ := strconv.Atoi(m[len("atoms[") : len(m)-1])
			if i < nFresh {
				return fmt.Sprintf("atoms[%d]", at[i])
			}
			return fmt.Sprintf("published[%d]", i-nFresh)
		})
	}
	out := *ce
	out.Message = fix(ce.Message)
	out.Fields = make([]core.FieldError, len(ce.Fields))
	for i, f := range ce.Fields {
		out.Fields[i] = core.FieldError{Field: fix(f.Field), Message: fix(f.Message)}
	}
	return &out
}

// PublishCatalogJSON reads a catalog document, {"atoms": [Atom, ...]} (the
// form atom.LoadCatalogJSON reads), and publishes its atoms with
// PublishAtoms. The document may hold new versions only, or the whole
// catalog again.
// Errors: core.AtomInvalid when the document does not decode; those of
// PublishAtoms.
func (p *Platform) PublishCatalogJSON(ctx context.Context, r io.Reader) (*atom.Catalog, error) {
	if err := needPlatform(ctx, PermAtomPublish); err != nil {
		return nil, err
	}
	var doc struct {
		Atoms []atom.Atom `json:"atoms"`
	}
	lr := &io.LimitedReader{R: r, N: atom.MaxCatalogBytes + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	err := dec.Decode(&doc)
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = errors.New("unexpected data after the catalog object")
		}
	}
	switch {
	case lr.N <= 0:
		return nil, core.Errorf(core.AtomInvalid, "the catalog document is larger than %d bytes", atom.MaxCatalogBytes)
	case err != nil:
		return nil, &core.Error{Code: core.AtomInvalid, Message: "the catalog document does not decode: " + strings.TrimPrefix(err.Error(), "json: "), Err: err}
	}
	return p.PublishAtoms(ctx, doc.Atoms...)
}

// InstallAtomInput is the input of InstallAtom: seed 000's body of POST
// /tenants/{tenantId}/atoms.
type InstallAtomInput struct {
	AtomID string
	// Version is an exact version ("1.5.0"), a constraint ("^1.4"), or
	// "" or "latest" for the newest release that fits.
	Version string
	// Config is the installation's config, a JSON object checked against
	// the atom's config schema; empty means {} for a new installation.
	Config json.RawMessage
}

// AtomChange is the outcome of InstallAtom and UpdateAtom.
type AtomChange struct {
	// Installation is the tenant's installation of the atom asked for,
	// after the change.
	Installation atom.Installation
	// Created is true when InstallAtom created the installation; false
	// when it was there already (installed explicitly, or promoted from a
	// dependency).
	Created bool
	// Changed is false when nothing was written.
	Changed bool
	// PreviousVersion is the atom's version before an upgrade; "" when the
	// version did not change.
	PreviousVersion string
	// InstalledDependencies are the dependency installations the change
	// created: seed 000's installedDependencies.
	InstalledDependencies []atom.Installation
	// Upgraded are the other installations moved to a newer version
	// because a new constraint needed it.
	Upgraded []UpgradedAtom
	// RemovedDependencies are the dependency installations nothing needs
	// after the change (an upgrade may drop a dependency).
	RemovedDependencies []atom.Installation
	// KeptDependencies are those, kept as explicit installations when
	// orphans are kept.
	KeptDependencies []atom.Installation
	// Summary says what the change did, in one sentence; Notes explain
	// choices that are not the obvious one.
	Summary string
	Notes   []string
	// SlotsBefore and SlotsAfter are the atom slots in use before and
	// after.
	SlotsBefore, SlotsAfter int
}

// UpgradedAtom is an installation moved to a newer version.
type UpgradedAtom struct {
	Installation atom.Installation
	FromVersion  string
}

// InstallAtom installs an atom for a tenant, with every atom it needs, in
// one transaction: the resolver picks the highest versions satisfying every
// constraint (upgrading an installed atom when a new constraint needs it),
// the config is checked against the atom's schema, and the atom slots
// after it against the tenant's plan. Installing an atom installed
// explicitly changes nothing and answers its installation (Created false);
// installing one installed as a dependency makes it explicit (and sets the
// config when one is given).
// Errors: core.NotFound; core.TenantDeleted; core.TenantNotActive for a
// suspended or cancelled tenant; core.Invalid for a missing atomId;
// core.AtomNotFound; core.AtomVersionNotFound; core.AtomConstraintInvalid;
// core.AtomBuiltin; core.AtomAlreadyInstalled (installed at a version the
// request excludes, or with another config); core.AtomDependencyConflict
// explaining the chain of needs; core.AtomConfigInvalid with a JSON
// pointer per problem ("config/defaultCurrency"); core.PlanLimitExceeded,
// whose cause is an *atom.SlotsError.
func (p *Platform) InstallAtom(ctx context.Context, tenantID string, in InstallAtomInput) (AtomChange, error) {
	ctx, done := p.audited(ctx, "atom.install")
	out, err := p.doInstallAtom(ctx, tenantID, in)
	done(in.AtomID, tenantID, err)
	return out, err
}

// doInstallAtom is InstallAtom without its audit record.
func (p *Platform) doInstallAtom(ctx context.Context, tenantID string, in InstallAtomInput) (AtomChange, error) {
	_, t, err := p.reachTenant(ctx, PermInstallCreate, tenantID)
	if err != nil {
		return AtomChange{}, err
	}
	in.AtomID = strings.TrimSpace(in.AtomID)
	if in.AtomID == "" {
		return AtomChange{}, core.InvalidField("atomId", "is required")
	}
	cfg, err := compactConfig(in.Config)
	if err != nil {
		return AtomChange{}, err
	}
	version := requestVersion(in.Version)
	var out AtomChange
	defer func() {
		if err == nil && out.SlotsAfter > out.SlotsBefore {
			p.stateThresholds(ctx, t, billing.MetricAtoms)
		}
	}()
	err = p.changeAtoms(ctx, tenantID, true, func(w *work) error {
		pl, err := w.cat.PlanInstall(w.installed, atom.InstallRequest{AtomID: in.AtomID, Version: version})
		if err != nil {
			return err
		}
		if pl.NoOp {
			cur := w.find(in.AtomID)
			if cfg != nil && !bytes.Equal(cfg, cur.Config) {
				return core.Errorf(core.AtomAlreadyInstalled, "%s %s is already installed, with another config; change the config with an update of the installation", cur.AtomID, cur.Version)
			}
			out = AtomChange{Installation: *cur, Summary: pl.Summary, Notes: pl.Notes, SlotsBefore: pl.SlotsBefore, SlotsAfter: pl.SlotsAfter}
			return nil
		}
		ch, err := w.apply(pl, in.AtomID, cfg)
		if err != nil {
			return err
		}
		ch.Created = slices.ContainsFunc(pl.Install, func(s atom.Step) bool { return s.AtomID == in.AtomID })
		out = ch
		return nil
	})
	return out, err
}

// AtomUpdate is the input of UpdateAtom: the body of PATCH
// /tenants/{tenantId}/atoms/{atomId}. At least one of Version and Config is
// set.
type AtomUpdate struct {
	// Version is "latest" (the newest release that fits), an exact
	// version, or a constraint; "" keeps the installed version.
	Version string
	// Config replaces the installation's config; empty keeps it.
	Config json.RawMessage
	// KeepOrphans keeps, as explicit installations, the dependency
	// installations an upgrade leaves unneeded, instead of removing them.
	KeepOrphans bool
}

// UpdateAtom upgrades and reconfigures a tenant's installation in one
// transaction. An upgrade re-resolves the atom's dependencies (installing,
// upgrading and removing as the new version needs) and checks the configs
// and the slots again; it never moves an atom to an older version. The
// installed config is checked against the new version's schema unless a
// new config is given.
// Errors: core.Invalid when neither a version nor a config is given;
// core.NotFound; core.TenantDeleted; core.TenantNotActive;
// core.AtomNotFound; core.AtomBuiltin; core.AtomNotInstalled;
// core.AtomVersionNotFound; core.AtomConstraintInvalid; core.AtomDowngrade;
// core.AtomDependencyConflict; core.AtomConfigInvalid;
// core.PlanLimitExceeded (cause *atom.SlotsError).
func (p *Platform) UpdateAtom(ctx context.Context, tenantID, atomID string, in AtomUpdate) (AtomChange, error) {
	ctx, done := p.audited(ctx, "atom.update")
	out, err := p.doUpdateAtom(ctx, tenantID, atomID, in)
	done(atomID, tenantID, err)
	return out, err
}

// doUpdateAtom is UpdateAtom without its audit record.
func (p *Platform) doUpdateAtom(ctx context.Context, tenantID, atomID string, in AtomUpdate) (AtomChange, error) {
	if _, _, err := p.reachTenant(ctx, PermInstallEdit, tenantID); err != nil {
		return AtomChange{}, err
	}
	cfg, err := compactConfig(in.Config)
	if err != nil {
		return AtomChange{}, err
	}
	if strings.TrimSpace(in.Version) == "" && cfg == nil {
		return AtomChange{}, (core.Fields{{Field: "version", Message: "give a version to upgrade to, a config, or both"},
			{Field: "config", Message: "give a version to upgrade to, a config, or both"}}).Err()
	}
	var out AtomChange
	err = p.changeAtoms(ctx, tenantID, true, func(w *work) error {
		if strings.TrimSpace(in.Version) == "" {
			return w.reconfigure(atomID, cfg, &out)
		}
		pl, err := w.cat.PlanUpgrade(w.installed, atom.UpgradeRequest{AtomID: atomID, Version: requestVersion(in.Version), KeepOrphans: in.KeepOrphans})
		if err != nil {
			return err
		}
		if pl.NoOp {
			if cfg == nil {
				cur := w.find(atomID)
				out = AtomChange{Installation: *cur, Summary: pl.Summary, Notes: pl.Notes, SlotsBefore: pl.SlotsBefore, SlotsAfter: pl.SlotsAfter}
				return nil
			}
			if err := w.reconfigure(atomID, cfg, &out); err != nil {
				return err
			}
			out.Notes = append(out.Notes, pl.Summary)
			return nil
		}
		ch, err := w.apply(pl, atomID, cfg)
		if err != nil {
			return err
		}
		out = ch
		return nil
	})
	return out, err
}

// AtomUninstall is the input of UninstallAtom.
type AtomUninstall struct {
	// Cascade removes the installed atoms depending on the atom too,
	// instead of refusing.
	Cascade bool
	// KeepOrphans keeps, as explicit installations, the dependency
	// installations nothing needs afterwards, instead of removing them.
	KeepOrphans bool
}

// AtomRemoval is the outcome of UninstallAtom.
type AtomRemoval struct {
	// Removed are the atom and, with cascade, the atoms depending on it,
	// dependents first, as they were.
	Removed []atom.Installation
	// RemovedDependencies are the dependency installations nothing needs
	// any more, removed with it.
	RemovedDependencies []atom.Installation
	// KeptDependencies are those, kept as explicit installations with
	// KeepOrphans.
	KeptDependencies []atom.Installation
	// Summary says what was done; SlotsBefore and SlotsAfter are the atom
	// slots in use before and after.
	Summary                 string
	SlotsBefore, SlotsAfter int
}

// UninstallAtom removes an atom from a tenant in one transaction, with the
// dependency installations nothing needs afterwards (unless KeepOrphans).
// It is refused while installed atoms depend on the atom, unless Cascade,
// which removes them too. A suspended or cancelled tenant may uninstall.
// Errors: core.NotFound; core.TenantDeleted; core.AtomNotFound;
// core.AtomBuiltin; core.AtomNotInstalled; core.AtomHasDependents, naming
// each dependent and its chain, whose cause is an *atom.DependentsError.
func (p *Platform) UninstallAtom(ctx context.Context, tenantID, atomID string, in AtomUninstall) (AtomRemoval, error) {
	ctx, done := p.audited(ctx, "atom.uninstall")
	out, err := p.doUninstallAtom(ctx, tenantID, atomID, in)
	done(atomID, tenantID, err)
	return out, err
}

// doUninstallAtom is UninstallAtom without its audit record.
func (p *Platform) doUninstallAtom(ctx context.Context, tenantID, atomID string, in AtomUninstall) (AtomRemoval, error) {
	if _, _, err := p.reachTenant(ctx, PermInstallDelete, tenantID); err != nil {
		return AtomRemoval{}, err
	}
	var out AtomRemoval
	err := p.changeAtoms(ctx, tenantID, false, func(w *work) error {
		pl, err := w.cat.PlanUninstall(w.installed, atom.UninstallRequest{AtomID: atomID, Cascade: in.Cascade, KeepOrphans: in.KeepOrphans})
		if core.ErrorCode(err) == core.AtomHasDependents {
			if deps, derr := w.cat.Dependents(w.installed, atomID); derr == nil {
				ce := *err.(*core.Error)
				ce.Err = &atom.DependentsError{AtomID: atomID, Version: w.installed[atomID].Version, Dependents: deps}
				return &ce
			}
		}
		if err != nil {
			return err
		}
		before := w.byAtom()
		ch, err := w.apply(pl, "", nil)
		if err != nil {
			return err
		}
		out = AtomRemoval{RemovedDependencies: ch.RemovedDependencies, KeptDependencies: ch.KeptDependencies,
			Summary: pl.Summary, SlotsBefore: pl.SlotsBefore, SlotsAfter: pl.SlotsAfter}
		for _, s := range pl.Remove {
			out.Removed = append(out.Removed, before[s.AtomID])
		}
		return nil
	})
	return out, err
}

// ListTenantAtoms returns the tenant's installations ordered by atom id.
// Built-in atoms, which every tenant has, are not listed.
// Errors: core.NotFound.
func (p *Platform) ListTenantAtoms(ctx context.Context, tenantID string) ([]atom.Installation, error) {
	if _, _, err := p.reachTenant(ctx, PermInstallView, tenantID); err != nil {
		return nil, err
	}
	return p.store.ListInstallations(ctx, tenantID)
}

// checkInitialAtoms adds a field error for each of ids the catalog does not
// hold, so that CreateTenant names them with the other bad fields.
func (p *Platform) checkInitialAtoms(ctx context.Context, ids []string, fields *core.Fields) error {
	if len(ids) == 0 {
		return nil
	}
	cat, err := p.Catalog(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := cat.Latest(id); err != nil {
			fields.Add("initialAtoms", "%s is not in the atom catalog", id)
		}
	}
	return nil
}

// installInitialAtoms installs ids, explicitly and with empty configs, for
// the tenant just created in tx. Built-in atoms are skipped: every tenant
// has them.
func (p *Platform) installInitialAtoms(ctx context.Context, tx store.Store, tenantID string, ids []string) ([]atom.Installation, error) {
	if len(ids) == 0 {
		return []atom.Installation{}, nil
	}
	var out []atom.Installation
	err := p.changeAtomsIn(ctx, tx, tenantID, true, func(w *work) error {
		for _, id := range ids {
			if a, err := w.cat.Latest(id); err == nil && a.Builtin {
				continue
			}
			pl, err := w.cat.PlanInstall(w.installed, atom.InstallRequest{AtomID: id})
			if core.ErrorCode(err) == core.AtomNotFound {
				return core.InvalidField("initialAtoms", "%s is not in the atom catalog", id)
			}
			if err != nil {
				return err
			}
			if !pl.NoOp {
				if _, err := w.apply(pl, id, nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err = tx.ListInstallations(ctx, tenantID)
	return out, err
}

// work is one change to a tenant's installations, inside the transaction
// holding the tenant: the catalog, the tenant, its installations as they
// change, and the limit.
type work struct {
	p         *Platform
	ctx       context.Context
	tx        store.Store
	cat       *atom.Catalog
	t         tenant.Tenant
	next      []atom.Installation
	installed atom.Installed
	now       time.Time
	maxAtoms  *int // read once, when a plan adds slots
}

// changeAtoms runs fn on the tenant's installations in a transaction of
// its own; active says the change needs a tenant in trial or active.
func (p *Platform) changeAtoms(ctx context.Context, tenantID string, active bool, fn func(w *work) error) error {
	return p.store.InTx(ctx, func(tx store.Store) error {
		return p.changeAtomsIn(ctx, tx, tenantID, active, fn)
	})
}

func (p *Platform) changeAtomsIn(ctx context.Context, tx store.Store, tenantID string, active bool, fn func(w *work) error) error {
	_, err := tx.UpdateInstallations(ctx, tenantID, func(t tenant.Tenant, cur []atom.Installation) ([]atom.Installation, error) {
		if err := checkTenant(t, active); err != nil {
			return nil, err
		}
		// The catalog is read after the tenant is locked, so it holds
		// every version the tenant's installations name.
		cat, err := p.catalogIn(ctx, tx)
		if err != nil {
			return nil, err
		}
		w := &work{p: p, ctx: ctx, tx: tx, cat: cat, t: t, next: cur, installed: atom.InstalledOf(cur), now: p.now.Now()}
		if err := fn(w); err != nil {
			return nil, err
		}
		return w.next, nil
	})
	return err
}

// checkTenant refuses a deleted tenant and, when active, a suspended or
// cancelled one.
func checkTenant(t tenant.Tenant, active bool) error {
	switch {
	case t.Deleted():
		return core.Errorf(core.TenantDeleted, "tenant %s is deleted", t.ID)
	case !active:
		return nil
	case t.Status == tenant.StatusSuspended:
		return core.Errorf(core.TenantNotActive, "tenant %s is suspended: atoms are installed, upgraded and configured only for a tenant in trial or active; activate it first", t.ID)
	case t.Status == tenant.StatusCancelled:
		return core.Errorf(core.TenantNotActive, "tenant %s is cancelled: a cancelled tenant cannot install, upgrade or configure atoms", t.ID)
	}
	return nil
}

func (w *work) find(atomID string) *atom.Installation {
	for i := range w.next {
		if w.next[i].AtomID == atomID {
			return &w.next[i]
		}
	}
	return nil
}

func (w *work) byAtom() map[string]atom.Installation {
	m := make(map[string]atom.Installation, len(w.next))
	for _, in := range w.next {
		m[in.AtomID] = in
	}
	return m
}

// checkSlots checks a plan against the tenant's limit, read once.
func (w *work) checkSlots(pl *atom.Plan) error {
	if pl.SlotsAfter <= pl.SlotsBefore {
		return nil
	}
	if w.maxAtoms == nil {
		n, err := w.p.maxAtoms(w.ctx, w.tx, w.t)
		if err != nil {
			return core.Wrap(err, "read the atom-slot limit of tenant "+w.t.ID)
		}
		w.maxAtoms = &n
	}
	err := atom.CheckSlots(pl, *w.maxAtoms)
	var ce *core.Error
	if errors.As(err, &ce) {
		out := *ce
		out.Err = &atom.SlotsError{Needed: pl.SlotsAfter, Allowed: *w.maxAtoms, Used: pl.SlotsBefore}
		return &out
	}
	return err
}

// apply checks a plan (slots, configs) and applies it to w.next. target is
// the atom asked for, whose config becomes cfg when cfg is set; "" for an
// uninstall.
func (w *work) apply(pl *atom.Plan, target string, cfg json.RawMessage) (AtomChange, error) {
	if err := w.checkSlots(pl); err != nil {
		return AtomChange{}, err
	}
	idx := make(map[string]int, len(w.next))
	next := make([]atom.Installation, len(w.next))
	copy(next, w.next)
	for i, in := range next {
		idx[in.AtomID] = i
	}
	ch := AtomChange{Changed: true, Summary: pl.Summary, Notes: pl.Notes, SlotsBefore: pl.SlotsBefore, SlotsAfter: pl.SlotsAfter}
	changed := map[string]bool{} // atoms whose version or config changed: their config is checked
	for _, s := range pl.Install {
		in := atom.Installation{TenantID: w.t.ID, ID: core.NewID(core.PrefixInstallation), AtomID: s.AtomID, Version: s.Version,
			Mode: s.Mode, Config: json.RawMessage(`{}`), Status: atom.InstallationActive, InstalledAt: w.now, UpdatedAt: w.now}
		idx[s.AtomID] = len(next)
		next = append(next, in)
		changed[s.AtomID] = true
	}
	for _, s := range pl.Upgrade {
		in := &next[idx[s.AtomID]]
		if s.AtomID == target {
			ch.PreviousVersion = in.Version
		}
		in.Version, in.UpdatedAt = s.Version, w.now
		changed[s.AtomID] = true
	}
	for _, s := range pl.Promote {
		in := &next[idx[s.AtomID]]
		in.Mode, in.UpdatedAt = atom.ModeExplicit, w.now
	}
	if cfg != nil {
		in := &next[idx[target]]
		if !bytes.Equal(in.Config, cfg) {
			in.Config, in.UpdatedAt = cfg, w.now
			changed[target] = true
		}
	}
	gone := make(map[string]bool)
	for _, s := range slices.Concat(pl.Remove, pl.RemoveDependencies) {
		gone[s.AtomID] = true
	}
	// Configs: the one asked for, then those of the dependencies.
	if changed[target] {
		if err := w.validateConfig(&next[idx[target]], "config", nil); err != nil {
			return AtomChange{}, err
		}
	}
	for _, s := range slices.Concat(pl.Install, pl.Upgrade) {
		if s.AtomID != target {
			if err := w.validateConfig(&next[idx[s.AtomID]], s.AtomID, &s); err != nil {
				return AtomChange{}, err
			}
		}
	}

	kept := next[:0:0]
	for _, in := range next {
		if !gone[in.AtomID] {
			kept = append(kept, in)
		}
	}
	// The plan says what the tenant has afterwards; what is written must
	// be that.
	if got := atom.InstalledOf(kept); len(got) != len(pl.After) || !mapsEqual(got, pl.After) {
		return AtomChange{}, core.Wrap(errors.New("the applied plan differs from its After"), "apply the plan for "+pl.AtomID)
	}

	for _, s := range pl.Install {
		if s.AtomID != target {
			ch.InstalledDependencies = append(ch.InstalledDependencies, next[idx[s.AtomID]])
		}
	}
	for _, s := range pl.Upgrade {
		if s.AtomID != target {
			ch.Upgraded = append(ch.Upgraded, UpgradedAtom{Installation: next[idx[s.AtomID]], FromVersion: s.FromVersion})
		}
	}
	for _, s := range pl.RemoveDependencies {
		ch.RemovedDependencies = append(ch.RemovedDependencies, next[idx[s.AtomID]])
	}
	for _, s := range pl.Promote {
		if s.AtomID != target {
			ch.KeptDependencies = append(ch.KeptDependencies, next[idx[s.AtomID]])
		}
	}
	if target != "" && !gone[target] {
		ch.Installation = next[idx[target]]
	}
	w.next = kept
	w.installed = pl.After
	return ch, nil
}

func mapsEqual(a, b atom.Installed) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// validateConfig checks an installation's config against its version's
// schema. For the atom asked for, field names "config" and each problem's
// pointer follows ("config/defaultCurrency"); for another atom of the plan
// (step), the error says why it is in the plan.
func (w *work) validateConfig(in *atom.Installation, field string, step *atom.Step) error {
	err := w.cat.ValidateConfig(in.AtomID, in.Version, in.Config)
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.AtomConfigInvalid {
		return err
	}
	out := *ce
	out.Fields = make([]core.FieldError, len(ce.Fields))
	for i, f := range ce.Fields {
		out.Fields[i] = core.FieldError{Field: field + f.Field, Message: f.Message}
	}
	if step != nil {
		what := "installed as a dependency with an empty config"
		if step.FromVersion != "" {
			what = "upgraded from " + step.FromVersion + " with its config"
		}
		out.Message = fmt.Sprintf("%s %s would be %s (%s), which its schema refuses: %s. Install or configure %s first with a config that fits.",
			in.AtomID, in.Version, what, step.Reason, ce.Message, in.AtomID)
	}
	return &out
}

// reconfigure replaces the config of an installation, keeping its version.
func (w *work) reconfigure(atomID string, cfg json.RawMessage, out *AtomChange) error {
	a, err := w.cat.Latest(atomID)
	if err != nil {
		return err
	}
	if a.Builtin {
		return core.Errorf(core.AtomBuiltin, "%s is built in: it has no installation to configure", atomID)
	}
	cur := w.find(atomID)
	if cur == nil {
		return core.Errorf(core.AtomNotInstalled, "%s is not installed, so it cannot be configured; install it instead", atomID)
	}
	next := *cur
	next.Config = cfg
	if err := w.validateConfig(&next, "config", nil); err != nil {
		return err
	}
	slots, err := w.cat.SlotsUsed(w.installed)
	if err != nil {
		return err
	}
	*out = AtomChange{Installation: *cur, SlotsBefore: slots, SlotsAfter: slots,
		Summary: fmt.Sprintf("%s %s keeps its config; nothing to do", atomID, cur.Version)}
	if bytes.Equal(cur.Config, cfg) {
		return nil
	}
	cur.Config, cur.UpdatedAt = cfg, w.now
	out.Installation, out.Changed = *cur, true
	out.Summary = fmt.Sprintf("configure %s %s", atomID, cur.Version)
	return nil
}

// compactConfig returns cfg as compact JSON, nil for an empty one.
// Errors: core.AtomConfigInvalid when it is not JSON.
func compactConfig(cfg json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(cfg)) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, cfg); err != nil {
		return nil, &core.Error{Code: core.AtomConfigInvalid, Message: "the config is not valid JSON",
			Fields: []core.FieldError{{Field: "config", Message: "must be a JSON object"}}}
	}
	return b.Bytes(), nil
}

// requestVersion maps "latest" to "", the resolver's newest.
func requestVersion(v string) string {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "latest") {
		return ""
	}
	return v
}
