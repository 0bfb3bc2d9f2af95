package atomix_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/atomixplatform/atomix/tenant"
)

// publishDemo publishes atom.DemoCatalog's atoms and stores billing.DemoPlans.
func publishDemo(t testing.TB, p *atomix.Platform) {
	t.Helper()
	demo, err := atom.DemoCatalog()
	if err != nil {
		t.Fatalf("DemoCatalog: %v", err)
	}
	if _, err := p.PublishAtoms(atomix.AsSystem(context.Background()), demo.Atoms()...); err != nil {
		t.Fatalf("PublishAtoms(demo): %v", err)
	}
	seedPlans(t, p)
}

// installed formats installations as "id version mode", in order.
func installed(insts []atom.Installation) []string {
	out := []string{}
	for _, in := range insts {
		out = append(out, in.AtomID+" "+in.Version+" "+string(in.Mode))
	}
	return out
}

// backend opens a fresh, empty store of one kind.
type backend struct {
	name string
	open func(t *testing.T) store.Store
}

// backends returns the memory store, SQLite and, when
// ATOMIX_TEST_POSTGRES_DSN is set, PostgreSQL (a schema of its own per
// test).
func backends() []backend {
	out := []backend{
		{"memory", func(t *testing.T) store.Store {
			s := memory.New()
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"sqlite", func(t *testing.T) store.Store {
			return openSQL(t, "sqlite:"+filepath.Join(t.TempDir(), "atomix.db"))
		}},
	}
	if dsn := os.Getenv("ATOMIX_TEST_POSTGRES_DSN"); dsn != "" {
		out = append(out, backend{"postgres", func(t *testing.T) store.Store { return openSQL(t, postgresSchema(t, dsn)) }})
	}
	return out
}

func openSQL(t testing.TB, dsn string) store.Store {
	t.Helper()
	s, err := sqlstore.Open(atomix.AsSystem(context.Background()), dsn)
	if err != nil {
		t.Fatalf("sqlstore.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// postgresSchema creates a schema that is dropped when t ends and returns a
// DSN whose search_path is it.
func postgresSchema(t testing.TB, dsn string) string {
	t.Helper()
	admin, err := sqlstore.Open(atomix.AsSystem(context.Background()), dsn, sqlstore.WithoutMigrations())
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "atomix_root_" + hex.EncodeToString(b)
	if _, err := admin.DB().ExecContext(atomix.AsSystem(context.Background()), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.DB().ExecContext(atomix.AsSystem(context.Background()), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// demoPlatform returns a platform over st with the demo catalog published
// and seed 000's plan limits (plan_starter 5 slots, plan_professional 15).
func demoPlatform(t *testing.T, st store.Store) *atomix.Platform {
	t.Helper()
	p, err := atomix.New(st, atomix.WithLimits(atom.StaticLimits{"plan_starter": 5, "plan_professional": 15, "plan_enterprise": -1}))
	if err != nil {
		t.Fatal(err)
	}
	publishDemo(t, p)
	return p
}

// newTenant creates a tenant on the plan, with the initial atoms.
func newTenant(t *testing.T, p *atomix.Platform, subdomain, plan string, atoms ...string) tenant.Tenant {
	t.Helper()
	out, err := p.CreateTenant(atomix.AsSystem(context.Background()), atomix.CreateTenantInput{
		Name: "Tenant " + subdomain, Subdomain: subdomain, PlanID: plan,
		Contact:      tenant.Contact{Name: "Jane Roe", Email: "jane@" + subdomain + ".example.com"},
		InitialAtoms: atoms,
	})
	if err != nil {
		t.Fatalf("CreateTenant(%s): %v", subdomain, err)
	}
	return out.Tenant
}

func tenantAtoms(t *testing.T, p *atomix.Platform, id string) []string {
	t.Helper()
	insts, err := p.ListTenantAtoms(atomix.AsSystem(context.Background()), id)
	if err != nil {
		t.Fatalf("ListTenantAtoms: %v", err)
	}
	return installed(insts)
}

func wantCode(t *testing.T, what string, err error, code core.Code) *core.Error {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("%s: got error %v, want code %s", what, err, code)
	}
	return ce
}

// TestAtomsMustShow is the must-show, on every store.
func TestAtomsMustShow(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := atomix.AsSystem(context.Background())
			p := demoPlatform(t, b.open(t))
			tn := newTenant(t, p, "acme", "plan_professional")

			ch, err := p.InstallAtom(ctx, tn.ID, atomix.InstallAtomInput{AtomID: "atom_crm", Config: json.RawMessage(`{"enablePipeline": true, "defaultCurrency": "TRY"}`)})
			if err != nil {
				t.Fatalf("InstallAtom(atom_crm): %v", err)
			}
			if !ch.Created || ch.Installation.Version != "1.5.0" || ch.Installation.Mode != atom.ModeExplicit ||
				string(ch.Installation.Config) != `{"enablePipeline":true,"defaultCurrency":"TRY"}` || !strings.HasPrefix(ch.Installation.ID, "inst_") {
				t.Errorf("InstallAtom(atom_crm): got %+v, want a new explicit installation of 1.5.0 with the compact config", ch.Installation)
			}
			if diff := cmp.Diff([]string{"atom_notification 1.3.0 dependency"}, installed(ch.InstalledDependencies)); diff != "" {
				t.Errorf("installed dependencies (-want +got):\n%s", diff)
			}

			_, err = p.UninstallAtom(ctx, tn.ID, "atom_notification", atomix.AtomUninstall{})
			ce := wantCode(t, "UninstallAtom(atom_notification)", err, core.AtomHasDependents)
			if !strings.Contains(ce.Message, "atom_crm 1.5.0 depends on it") {
				t.Errorf("message: got %q, want it to name atom_crm 1.5.0", ce.Message)
			}
			var de *atom.DependentsError
			if !errors.As(err, &de) || len(de.Dependents) != 1 || de.Dependents[0].AtomID != "atom_crm" ||
				!slices.Equal(de.Dependents[0].Chain, []string{"atom_crm 1.5.0", "atom_notification 1.3.0"}) {
				t.Errorf("cause: got %+v, want a DependentsError naming atom_crm and its chain", de)
			}

			rm, err := p.UninstallAtom(ctx, tn.ID, "atom_crm", atomix.AtomUninstall{})
			if err != nil {
				t.Fatalf("UninstallAtom(atom_crm): %v", err)
			}
			if got, want := installed(rm.Removed), []string{"atom_crm 1.5.0 explicit"}; !slices.Equal(got, want) {
				t.Errorf("removed: got %v, want %v", got, want)
			}
			if got, want := installed(rm.RemovedDependencies), []string{"atom_notification 1.3.0 dependency"}; !slices.Equal(got, want) {
				t.Errorf("removed dependencies: got %v, want %v", got, want)
			}
			if got := tenantAtoms(t, p, tn.ID); len(got) != 0 {
				t.Errorf("installations left: got %v, want none", got)
			}

			// A tenant at its slot limit: plan_starter allows 5.
			full := newTenant(t, p, "full", "plan_starter", "atom_crm", "atom_task", "atom_wireframe", "atom_sms")
			_, err = p.InstallAtom(ctx, full.ID, atomix.InstallAtomInput{AtomID: "atom_analytics"})
			ce = wantCode(t, "InstallAtom over the limit", err, core.PlanLimitExceeded)
			if !strings.Contains(ce.Message, "needs 7 atom slots (5 in use and 2 more), but the plan allows 5") {
				t.Errorf("message: got %q, want the numbers", ce.Message)
			}
			var se *atom.SlotsError
			if !errors.As(err, &se) || *se != (atom.SlotsError{Needed: 7, Allowed: 5, Used: 5}) {
				t.Errorf("cause: got %+v, want needed 7, allowed 5, used 5", se)
			}
			if got := tenantAtoms(t, p, full.ID); len(got) != 5 {
				t.Errorf("installations after the refusal: got %v, want the 5 from before", got)
			}
		})
	}
}

// bulkAtoms returns n atoms without dependencies, one slot each.
func bulkAtoms(n int) []atom.Atom {
	out := make([]atom.Atom, n)
	for i := range out {
		out[i] = atom.Atom{ID: fmt.Sprintf("atom_bulk%02d", i), Name: fmt.Sprintf("Bulk %d", i), Version: "1.0.0", Category: "test",
			Pricing: atom.Pricing{Type: atom.PricingIncluded, AtomSlots: 1}}
	}
	return out
}

// together runs fn(0..n-1) on n goroutines released at once.
func together(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

func TestInstallAtomConcurrency(t *testing.T) {
	const installers, limit = 20, 5
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := atomix.AsSystem(context.Background())
			p := demoPlatform(t, b.open(t))
			if _, err := p.PublishAtoms(ctx, bulkAtoms(installers)...); err != nil {
				t.Fatal(err)
			}

			// 20 installs of different atoms for a tenant allowed 5 slots.
			tn := newTenant(t, p, "racing", "plan_starter")
			errs := make([]error, installers)
			together(installers, func(i int) {
				_, errs[i] = p.InstallAtom(ctx, tn.ID, atomix.InstallAtomInput{AtomID: fmt.Sprintf("atom_bulk%02d", i)})
			})
			ok := 0
			for i, err := range errs {
				switch core.ErrorCode(err) {
				case "":
					ok++
				case core.PlanLimitExceeded:
				default:
					t.Errorf("install %d: got %v, want nil or %s", i, err, core.PlanLimitExceeded)
				}
			}
			if got := tenantAtoms(t, p, tn.ID); ok != limit || len(got) != limit {
				t.Errorf("installs: got %d succeeded and %d stored, want %d and %d", ok, len(got), limit, limit)
			}

			// Two installs of one atom, and two atoms sharing a
			// dependency: one installation each.
			two := newTenant(t, p, "twice", "plan_professional")
			results := make([]atomix.AtomChange, 4)
			errs = make([]error, 4)
			ids := []string{"atom_crm", "atom_crm", "atom_task", "atom_sms"}
			together(len(ids), func(i int) {
				results[i], errs[i] = p.InstallAtom(ctx, two.ID, atomix.InstallAtomInput{AtomID: ids[i]})
			})
			for i, err := range errs {
				if err != nil {
					t.Fatalf("install %d of %s: %v", i, ids[i], err)
				}
			}
			if results[0].Created == results[1].Created || results[0].Installation.ID != results[1].Installation.ID {
				t.Errorf("two installs of atom_crm: got created %t and %t, IDs %s and %s; want one created, the same installation",
					results[0].Created, results[1].Created, results[0].Installation.ID, results[1].Installation.ID)
			}
			want := []string{"atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency", "atom_sms 1.0.0 explicit", "atom_task 1.8.0 explicit"}
			if diff := cmp.Diff(want, tenantAtoms(t, p, two.ID)); diff != "" {
				t.Errorf("installations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateTenantInitialAtoms(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := atomix.AsSystem(context.Background())
			p := demoPlatform(t, b.open(t))
			in := atomix.CreateTenantInput{
				Name: "Acme", Subdomain: "acme", PlanID: "plan_starter",
				Contact: tenant.Contact{Name: "Jane Roe", Email: "jane@acme.example.com"},
			}
			fails := []struct {
				name  string
				atoms []string
				code  core.Code
				msg   string
			}{
				{"unknown atom", []string{"atom_task", "atom_nope"}, core.Invalid, "atom_nope is not in the atom catalog"},
				// 6 slots on a plan allowing 5.
				{"over the limit", []string{"atom_crm", "atom_task", "atom_campaign"}, core.PlanLimitExceeded, "but the plan allows 5"},
				// atom_legacy_reports needs atom_notification ~1.1.0; atom_crm
				// put 1.3.0 in, and atomix never downgrades.
				{"conflict", []string{"atom_crm", "atom_legacy_reports"}, core.AtomDependencyConflict, "atom_legacy_reports"},
			}
			for _, f := range fails {
				in.InitialAtoms = f.atoms
				_, err := p.CreateTenant(ctx, in)
				ce := wantCode(t, f.name, err, f.code)
				if !strings.Contains(ce.Error(), f.msg) {
					t.Errorf("%s: got %v, want it to contain %q", f.name, err, f.msg)
				}
				if n := len(allTenants(t, p)); n != 0 {
					t.Fatalf("%s: tenants stored: got %d, want 0", f.name, n)
				}
			}

			in.InitialAtoms = []string{"core_auth", "atom_crm", "atom_wireframe"}
			out, err := p.CreateTenant(ctx, in) // the subdomain is still free
			if err != nil {
				t.Fatalf("CreateTenant: %v", err)
			}
			want := []string{"atom_crm 1.5.0 explicit", "atom_notification 1.3.0 dependency", "atom_wireframe 2.1.0 explicit"}
			if diff := cmp.Diff(want, installed(out.Installations)); diff != "" {
				t.Errorf("installations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, tenantAtoms(t, p, out.Tenant.ID)); diff != "" {
				t.Errorf("stored installations (-want +got):\n%s", diff)
			}
			for _, in := range out.Installations {
				if in.TenantID != out.Tenant.ID {
					t.Errorf("installation %+v: got tenant %s, want %s", in, in.TenantID, out.Tenant.ID)
				}
			}
			// The counts of every read agree.
			got, err := p.Tenants().Get(ctx, out.Tenant.ID)
			if err != nil || got.AtomCount != 3 || out.Tenant.AtomCount != 3 {
				t.Errorf("AtomCount: created %d, read %d (%v), want 3", out.Tenant.AtomCount, got.AtomCount, err)
			}
			if list := allTenants(t, p); len(list) != 1 || list[0].AtomCount != 3 {
				t.Errorf("listed tenants: got %+v, want one with AtomCount 3", list)
			}
		})
	}
}

// memPlatform returns a demo platform over a memory store.
func memPlatform(t *testing.T) *atomix.Platform {
	t.Helper()
	return demoPlatform(t, memory.New())
}

func TestInstallAtomRefusals(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p := memPlatform(t)
	tn := newTenant(t, p, "acme", "plan_starter", "atom_crm", "atom_task", "atom_wireframe")
	suspended := newTenant(t, p, "paused", "plan_starter")
	cancelled := newTenant(t, p, "gone", "plan_starter")
	deleted := newTenant(t, p, "deleted", "plan_starter")
	for _, step := range []func() (tenant.Tenant, error){
		func() (tenant.Tenant, error) { return p.Tenants().Activate(ctx, suspended.ID) },
		func() (tenant.Tenant, error) { return p.Tenants().Suspend(ctx, suspended.ID) },
		func() (tenant.Tenant, error) { return p.Tenants().Cancel(ctx, cancelled.ID) },
		func() (tenant.Tenant, error) { return p.Tenants().Delete(ctx, deleted.ID) },
	} {
		if _, err := step(); err != nil {
			t.Fatal(err)
		}
	}
	before := tenantAtoms(t, p, tn.ID)
	tests := []struct {
		name   string
		tenant string
		in     atomix.InstallAtomInput
		code   core.Code
		msg    string
		field  string
	}{
		{"no atom id", tn.ID, atomix.InstallAtomInput{}, core.Invalid, "atomId", "atomId"},
		{"unknown tenant", "tn_missing", atomix.InstallAtomInput{AtomID: "atom_task"}, core.NotFound, "tn_missing", ""},
		{"suspended", suspended.ID, atomix.InstallAtomInput{AtomID: "atom_task"}, core.TenantNotActive, "is suspended", ""},
		{"cancelled", cancelled.ID, atomix.InstallAtomInput{AtomID: "atom_task"}, core.TenantNotActive, "is cancelled", ""},
		{"deleted", deleted.ID, atomix.InstallAtomInput{AtomID: "atom_task"}, core.TenantDeleted, "is deleted", ""},
		{"unknown atom", tn.ID, atomix.InstallAtomInput{AtomID: "atom_nope"}, core.AtomNotFound, "atom_nope", ""},
		{"unknown version", tn.ID, atomix.InstallAtomInput{AtomID: "atom_task", Version: "9.0.0"}, core.AtomVersionNotFound, "1.8.0, 1.7.0", ""},
		{"bad constraint", tn.ID, atomix.InstallAtomInput{AtomID: "atom_task", Version: ">>1"}, core.AtomConstraintInvalid, "does not parse", ""},
		{"built-in", tn.ID, atomix.InstallAtomInput{AtomID: "core_auth"}, core.AtomBuiltin, "built in", ""},
		{"conflict", tn.ID, atomix.InstallAtomInput{AtomID: "atom_legacy_reports"}, core.AtomDependencyConflict, "never downgrades", ""},
		{"other version installed", tn.ID, atomix.InstallAtomInput{AtomID: "atom_crm", Version: "1.4.0"}, core.AtomAlreadyInstalled, "upgrade it instead", ""},
		{"other config installed", tn.ID, atomix.InstallAtomInput{AtomID: "atom_crm", Config: json.RawMessage(`{"defaultCurrency":"EUR"}`)}, core.AtomAlreadyInstalled, "another config", ""},
		{"config not JSON", tn.ID, atomix.InstallAtomInput{AtomID: "atom_task", Config: json.RawMessage(`{`)}, core.AtomConfigInvalid, "not valid JSON", "config"},
		{"config not an object", tn.ID, atomix.InstallAtomInput{AtomID: "atom_sms", Config: json.RawMessage(`[1]`)}, core.AtomConfigInvalid, "must be a JSON object", "config"},
		{"over the limit", tn.ID, atomix.InstallAtomInput{AtomID: "atom_campaign"}, core.PlanLimitExceeded, "7 atom slots (4 in use and 3 more), but the plan allows 5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.InstallAtom(ctx, tt.tenant, tt.in)
			ce := wantCode(t, "InstallAtom", err, tt.code)
			if !strings.Contains(ce.Message, tt.msg) {
				t.Errorf("message: got %q, want it to contain %q", ce.Message, tt.msg)
			}
			if tt.field != "" && (len(ce.Fields) == 0 || ce.Fields[0].Field != tt.field) {
				t.Errorf("fields: got %v, want the first %q", ce.Fields, tt.field)
			}
			if diff := cmp.Diff(before, tenantAtoms(t, p, tn.ID)); diff != "" {
				t.Errorf("installations changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestInstallAtomConfigErrors(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p := memPlatform(t)
	tn := newTenant(t, p, "acme", "plan_professional")
	_, err := p.InstallAtom(ctx, tn.ID, atomix.InstallAtomInput{AtomID: "atom_crm",
		Config: json.RawMessage(`{"enablePipeline":"yes","defaultCurrency":"try","extra":1}`)})
	ce := wantCode(t, "InstallAtom with a bad config", err, core.AtomConfigInvalid)
	var fields []string
	for _, f := range ce.Fields {
		fields = append(fields, f.Field)
	}
	if diff := cmp.Diff([]string{"config/defaultCurrency", "config/enablePipeline", "config/extra"}, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if got := tenantAtoms(t, p, tn.ID); len(got) != 0 {
		t.Errorf("installations: got %v, want none", got)
	}
}

func TestInstallAtomIdempotentAndPromotes(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p := memPlatform(t)
	tn := newTenant(t, p, "acme", "plan_professional")
	first, err := p.InstallAtom(ctx, tn.ID, atomix.InstallAtomInput{AtomID: "atom_task"})
	if err != nil || !first.Created {
		t.Fatalf("InstallAtom: got %+v, %v, want a created installation", first, err)
	}
	again, err := p.InstallAtom(ctx, tn.ID, atomix.InstallAtomInput{AtomID: "atom_task", Config: json.RawMessage(`{ }`)})
	if err != nil || again.Created || again.Changed {
		t.Errorf("InstallAtom again: got %+v, %v, want no change", again, err)
	}
	if diff := cmp.Diff(first.Installation, again.Installation); diff != "" {
		t.Errorf("InstallAtom again: the installation differs (-first +again):\n%s", diff)
	}

	// atom_notification came in as a dependency; asking for it makes it
	// explicit, so that uninstalling atom_task keeps it.
	dep, err := p.InstallAtom(ctx, tn.ID, atomix.InstallAtomInput{AtomID: "atom_notification"})
	if err != nil || dep.Created || !dep.Changed || dep.Installation.Mode != atom.ModeExplicit {
		t.Fatalf("InstallAtom(atom_notification): got %+v, %v, want a promotion", dep, err)
	}
	rm, err := p.UninstallAtom(ctx, tn.ID, "atom_task", atomix.AtomUninstall{})
	if err != nil || len(rm.RemovedDependencies) != 0 {
		t.Errorf("UninstallAtom(atom_task): got %+v, %v, want no removed dependency", rm, err)
	}
	if diff := cmp.Diff([]string{"atom_notification 1.3.0 explicit"}, tenantAtoms(t, p, tn.ID)); diff != "" {
		t.Errorf("installations (-want +got):\n%s", diff)
	}
}

func TestUninstallAtomOptions(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	for _, tt := range []struct {
		name        string
		atomID      string
		opt         atomix.AtomUninstall
		code        core.Code
		removed     []string
		removedDeps []string
		left        []string
	}{
		{"refused", "atom_crm", atomix.AtomUninstall{}, core.AtomHasDependents, nil, nil, nil},
		{"cascade", "atom_crm", atomix.AtomUninstall{Cascade: true}, "",
			[]string{"atom_campaign 1.1.0 explicit", "atom_crm 1.5.0 explicit"},
			[]string{"atom_sms 1.0.0 dependency", "atom_notification 1.3.0 dependency"}, []string{}},
		{"cascade keeping orphans", "atom_crm", atomix.AtomUninstall{Cascade: true, KeepOrphans: true}, "",
			[]string{"atom_campaign 1.1.0 explicit", "atom_crm 1.5.0 explicit"}, nil,
			[]string{"atom_notification 1.3.0 dependency", "atom_sms 1.0.0 explicit"}},
		{"not installed", "atom_task", atomix.AtomUninstall{}, core.AtomNotInstalled, nil, nil, nil},
		{"built-in", "core_auth", atomix.AtomUninstall{}, core.AtomBuiltin, nil, nil, nil},
		{"unknown", "atom_nope", atomix.AtomUninstall{}, core.AtomNotFound, nil, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := memPlatform(t)
			tn := newTenant(t, p, "acme", "plan_professional", "atom_crm", "atom_campaign")
			before := tenantAtoms(t, p, tn.ID)
			rm, err := p.UninstallAtom(ctx, tn.ID, tt.atomID, tt.opt)
			if tt.code != "" {
				wantCode(t, "UninstallAtom", err, tt.code)
				if diff := cmp.Diff(before, tenantAtoms(t, p, tn.ID)); diff != "" {
					t.Errorf("installations changed (-before +after):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.removed, installed(rm.Removed)); diff != "" {
				t.Errorf("removed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.removedDeps, installed(rm.RemovedDependencies), cmpEmpty); diff != "" {
				t.Errorf("removed dependencies (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.left, tenantAtoms(t, p, tn.ID), cmpEmpty); diff != "" {
				t.Errorf("left (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpEmpty makes nil and empty slices equal.
var cmpEmpty = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

func TestUpdateAtom(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p := memPlatform(t)
	tn := newTenant(t, p, "acme", "plan_professional")
	if _, err := p.InstallAtom(ctx, tn.ID, atomix.InstallAtomInput{AtomID: "atom_crm", Version: "1.4.0", Config: json.RawMessage(`{"defaultCurrency":"TRY"}`)}); err != nil {
		t.Fatal(err)
	}

	// Refusals change nothing.
	before := tenantAtoms(t, p, tn.ID)
	for _, tt := range []struct {
		name   string
		atomID string
		in     atomix.AtomUpdate
		code   core.Code
	}{
		{"nothing asked", "atom_crm", atomix.AtomUpdate{}, core.Invalid},
		{"downgrade", "atom_crm", atomix.AtomUpdate{Version: "1.3.0"}, core.AtomVersionNotFound},
		{"older version", "atom_crm", atomix.AtomUpdate{Version: "<1.4.0"}, core.AtomVersionNotFound},
		{"bad config", "atom_crm", atomix.AtomUpdate{Config: json.RawMessage(`{"defaultCurrency":"lira"}`)}, core.AtomConfigInvalid},
		{"bad config for the new version", "atom_crm", atomix.AtomUpdate{Version: "latest", Config: json.RawMessage(`{"enablePipeline":1}`)}, core.AtomConfigInvalid},
		{"not installed", "atom_task", atomix.AtomUpdate{Version: "latest"}, core.AtomNotInstalled},
		{"not installed, config", "atom_task", atomix.AtomUpdate{Config: json.RawMessage(`{}`)}, core.AtomNotInstalled},
		{"built-in", "core_auth", atomix.AtomUpdate{Config: json.RawMessage(`{}`)}, core.AtomBuiltin},
	} {
		_, err := p.UpdateAtom(ctx, tn.ID, tt.atomID, tt.in)
		wantCode(t, tt.name, err, tt.code)
		if diff := cmp.Diff(before, tenantAtoms(t, p, tn.ID)); diff != "" {
			t.Errorf("%s: installations changed (-before +after):\n%s", tt.name, diff)
		}
	}

	// An upgrade to the newest keeps a config the new schema accepts.
	ch, err := p.UpdateAtom(ctx, tn.ID, "atom_crm", atomix.AtomUpdate{Version: "latest"})
	if err != nil {
		t.Fatalf("UpdateAtom(latest): %v", err)
	}
	if ch.PreviousVersion != "1.4.0" || ch.Installation.Version != "1.5.0" || string(ch.Installation.Config) != `{"defaultCurrency":"TRY"}` {
		t.Errorf("UpdateAtom(latest): got %+v, want 1.4.0 -> 1.5.0 with the config kept", ch)
	}
	// Once at the newest: nothing to do; a config alone replaces it.
	ch, err = p.UpdateAtom(ctx, tn.ID, "atom_crm", atomix.AtomUpdate{Version: "latest"})
	if err != nil || ch.Changed {
		t.Errorf("UpdateAtom(latest) again: got %+v, %v, want no change", ch, err)
	}
	ch, err = p.UpdateAtom(ctx, tn.ID, "atom_crm", atomix.AtomUpdate{Config: json.RawMessage(` {"enablePipeline": true} `)})
	if err != nil || !ch.Changed || string(ch.Installation.Config) != `{"enablePipeline":true}` {
		t.Errorf("UpdateAtom(config): got %+v, %v, want the new config", ch, err)
	}
	_, err = p.UpdateAtom(ctx, tn.ID, "atom_crm", atomix.AtomUpdate{Version: "1.4.0"})
	wantCode(t, "UpdateAtom to an older version", err, core.AtomDowngrade)
}

func TestUpdateAtomUpgradesDependencies(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p := memPlatform(t)
	tn := newTenant(t, p, "acme", "plan_professional")
	if _, err := p.InstallAtom(ctx, tn.ID, atomix.InstallAtomInput{AtomID: "atom_legacy_reports"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.UninstallAtom(ctx, tn.ID, "atom_legacy_reports", atomix.AtomUninstall{KeepOrphans: true}); err != nil {
		t.Fatal(err)
	}
	// atom_notification 1.1.0 is now explicit; atom_sms needs >=1.3.0.
	ch, err := p.InstallAtom(ctx, tn.ID, atomix.InstallAtomInput{AtomID: "atom_sms"})
	if err != nil {
		t.Fatalf("InstallAtom(atom_sms): %v", err)
	}
	if len(ch.Upgraded) != 1 || ch.Upgraded[0].FromVersion != "1.1.0" || ch.Upgraded[0].Installation.Version != "1.3.0" {
		t.Errorf("upgraded: got %+v, want atom_notification 1.1.0 -> 1.3.0", ch.Upgraded)
	}
	if diff := cmp.Diff([]string{"atom_notification 1.3.0 explicit", "atom_sms 1.0.0 explicit"}, tenantAtoms(t, p, tn.ID)); diff != "" {
		t.Errorf("installations (-want +got):\n%s", diff)
	}
}

func TestPublishAtoms(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	st := memory.New()
	p1, _ := atomix.New(st)
	p2, _ := atomix.New(st) // another instance over the same store
	publishDemo(t, p1)
	c2, err := p2.Catalog(ctx)
	if err != nil || c2.Len() != 9 {
		t.Fatalf("the other instance's catalog: got %v atoms, %v, want 9", c2.Len(), err)
	}
	v, _ := st.CatalogVersion(ctx)

	// Publishing the same again is a no-op.
	publishDemo(t, p2)
	if v2, _ := st.CatalogVersion(ctx); v2 != v {
		t.Errorf("catalog version after republishing: got %d, want %d", v2, v)
	}

	// A new version reaches the other instance.
	next := atom.Atom{ID: "atom_task", Name: "Task Management Atom", Version: "1.9.0", Category: "productivity",
		Dependencies: []atom.Dependency{{AtomID: "atom_notification", Constraint: ">=1.3.0"}},
		Pricing:      atom.Pricing{Type: atom.PricingIncluded, AtomSlots: 1}}
	if _, err := p2.PublishAtoms(ctx, next); err != nil {
		t.Fatalf("PublishAtoms(atom_task 1.9.0): %v", err)
	}
	c1, err := p1.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c1.Latest("atom_task"); err != nil || a.Version != "1.9.0" {
		t.Errorf("the first instance's newest atom_task: got %s, %v, want 1.9.0", a.Version, err)
	}

	// Refusals name the caller's entries.
	changed := next
	changed.Name = "Renamed"
	_, err = p1.PublishAtoms(ctx, bulkAtoms(1)[0], changed)
	ce := wantCode(t, "PublishAtoms of a changed version", err, core.AtomDuplicate)
	if len(ce.Fields) != 1 || ce.Fields[0].Field != "atoms[1].version" {
		t.Errorf("fields: got %v, want atoms[1].version", ce.Fields)
	}
	bad := bulkAtoms(3)
	bad[2].Dependencies = []atom.Dependency{{AtomID: "atom_task", Constraint: ">=2.0.0"}}
	_, err = p1.PublishAtoms(ctx, bad...)
	ce = wantCode(t, "PublishAtoms with an unsatisfiable dependency", err, core.AtomConstraintUnsatisfiable)
	if len(ce.Fields) != 1 || ce.Fields[0].Field != "atoms[2].dependencies[0]" {
		t.Errorf("fields: got %v, want atoms[2].dependencies[0]", ce.Fields)
	}
	cycle := bulkAtoms(1)[0]
	cycle.ID, cycle.Version = "atom_notification", "1.4.0"
	cycle.Dependencies = []atom.Dependency{{AtomID: "atom_crm"}}
	_, err = p1.PublishAtoms(ctx, cycle)
	ce = wantCode(t, "PublishAtoms closing a cycle", err, core.AtomDependencyCycle)
	if !strings.Contains(ce.Message, "atom_notification 1.4.0 needs atom_crm") {
		t.Errorf("message: got %q, want the cycle through atom_notification 1.4.0", ce.Message)
	}
	if v3, _ := st.CatalogVersion(ctx); v3 != v+1 {
		t.Errorf("catalog version after refusals: got %d, want %d", v3, v+1)
	}
}

func TestPublishCatalogJSON(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p, _ := atomix.New(memory.New())
	c, err := p.PublishCatalogJSON(ctx, strings.NewReader(`{"atoms":[{"id":"atom_one","name":"One","version":"1.0.0","category":"test",
		"pricing":{"type":"included","atomSlots":1}}]}`))
	if err != nil || c.Len() != 1 {
		t.Fatalf("PublishCatalogJSON: got %v, %v, want one atom", c, err)
	}
	for _, doc := range []string{`{"atoms":[{"id":1}]}`, `{"atomz":[]}`, `{"atoms":[]} x`, `nope`} {
		_, err := p.PublishCatalogJSON(ctx, strings.NewReader(doc))
		wantCode(t, "PublishCatalogJSON("+doc+")", err, core.AtomInvalid)
	}
}

func TestListTenantAtomsUnknownTenant(t *testing.T) {
	p := memPlatform(t)
	_, err := p.ListTenantAtoms(atomix.AsSystem(context.Background()), "tn_missing")
	wantCode(t, "ListTenantAtoms", err, core.NotFound)
}

// slowLimits answers after a delay, so that installs overlap while one
// holds the tenant.
type slowLimits struct{ max int }

func (l slowLimits) MaxAtoms(context.Context, tenant.Tenant) (int, error) {
	time.Sleep(time.Millisecond)
	return l.max, nil
}

func TestInstallAtomLimitReadInsideTheLock(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p, _ := atomix.New(memory.New(), atomix.WithLimits(slowLimits{max: 3}))
	if _, err := p.PublishAtoms(ctx, bulkAtoms(10)...); err != nil {
		t.Fatal(err)
	}
	seedPlans(t, p)
	tn := newTenant(t, p, "acme", "plan_starter")
	together(10, func(i int) {
		_, _ = p.InstallAtom(ctx, tn.ID, atomix.InstallAtomInput{AtomID: fmt.Sprintf("atom_bulk%02d", i)})
	})
	if got := tenantAtoms(t, p, tn.ID); len(got) != 3 {
		t.Errorf("installations: got %v, want 3", got)
	}
}
