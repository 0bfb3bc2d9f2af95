package atomix_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// now is the fixed time of the test clock; its nanoseconds show that the
// platform truncates to microseconds.
var now = time.Date(2025, 1, 15, 9, 30, 0, 123_456_789, time.FixedZone("TRT", 3*60*60))

var nowUTC = time.Date(2025, 1, 15, 6, 30, 0, 123_456_000, time.UTC)

func newPlatform(t *testing.T, opts ...atomix.Option) (*atomix.Platform, *memory.Store) {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	opts = append([]atomix.Option{atomix.WithClock(func() time.Time { return now })}, opts...)
	p, err := atomix.New(st, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	publishDemo(t, p)
	return p, st
}

// seedInput is seed 000's POST /tenants example body.
func seedInput() atomix.CreateTenantInput {
	return atomix.CreateTenantInput{
		Name:         "Acme Corporation",
		Subdomain:    "acme",
		PlanID:       "plan_professional",
		Contact:      tenant.Contact{Name: "John Doe", Email: "john@acme.com", Phone: "+905321234567"},
		InitialAtoms: []string{"atom_wireframe", "atom_task"},
		Settings:     tenant.Settings{Industry: "technology", CompanySize: "51-200"},
	}
}

func allTenants(t *testing.T, p *atomix.Platform) []tenant.Tenant {
	t.Helper()
	page, err := p.Tenants().List(atomix.AsSystem(context.Background()), tenant.ListQuery{IncludeDeleted: true, Page: core.PageRequest{Limit: core.MaxLimit}})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return page.Items
}

func fieldNames(t *testing.T, err error) []string {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) || e.Code != core.Invalid {
		t.Fatalf("error: got %v, want a core.Invalid error", err)
	}
	var names []string
	for _, f := range e.Fields {
		names = append(names, f.Field)
	}
	sort.Strings(names)
	return names
}

func TestNew(t *testing.T) {
	if p, err := atomix.New(nil); err == nil || p != nil {
		t.Errorf("New(nil): got %v, %v, want nil and an error", p, err)
	}
	p, st := newPlatform(t)
	if p.Store() != st {
		t.Errorf("Store(): got %v, want the store given to New", p.Store())
	}
	if p.Tenants() == nil {
		t.Fatalf("Tenants(): got nil, want the tenant service")
	}
	if got := p.Now(); got != nowUTC {
		t.Errorf("Now(): got %v, want %v", got, nowUTC)
	}

	def, err := atomix.New(memory.New())
	if err != nil {
		t.Fatalf("New without options: %v", err)
	}
	before := time.Now().Add(-time.Second)
	if got := def.Now(); got.Before(before) || got.Location() != time.UTC {
		t.Errorf("default clock: got %v, want the wall clock in UTC", got)
	}
}

func TestCreateTenantSeedBody(t *testing.T) {
	p, _ := newPlatform(t)
	got, err := p.CreateTenant(atomix.AsSystem(context.Background()), seedInput())
	if err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	tn := got.Tenant
	if !strings.HasPrefix(tn.ID, "tn_") || !core.ValidID(core.PrefixTenant, tn.ID) || len(tn.ID) < len("tn_")+16 {
		t.Errorf("ID: got %q, want tn_ and at least 16 random characters", tn.ID)
	}
	want := tenant.Tenant{
		ID:        tn.ID,
		Name:      "Acme Corporation",
		Subdomain: "acme",
		Status:    tenant.StatusTrial,
		PlanID:    "plan_professional",
		Contact:   tenant.Contact{Name: "John Doe", Email: "john@acme.com", Phone: "+905321234567"},
		Settings:  tenant.Settings{Industry: "technology", CompanySize: "51-200"},
		CreatedAt: nowUTC,
		UpdatedAt: nowUTC,
		// atom_wireframe and atom_task, and atom_notification, which
		// atom_task needs.
		AtomCount: 3,
		// The tenant admin, made from the contact.
		UserCount: 1,
	}
	if diff := cmp.Diff(want, tn); diff != "" {
		t.Errorf("tenant (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"atom_wireframe", "atom_task"}, got.InitialAtoms); diff != "" {
		t.Errorf("initialAtoms (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"atom_notification 1.3.0 dependency", "atom_task 1.8.0 explicit", "atom_wireframe 2.1.0 explicit"},
		installed(got.Installations)); diff != "" {
		t.Errorf("installations (-want +got):\n%s", diff)
	}
	stored, err := p.Tenants().Get(atomix.AsSystem(context.Background()), tn.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("stored tenant (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(stored.Settings)
	if err != nil || string(b) != `{"companySize":"51-200","industry":"technology"}` {
		t.Errorf("settings JSON: got %s, %v, want seed 000's settings", b, err)
	}
}

func TestCreateTenantInvalid(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*atomix.CreateTenantInput)
		want []string
	}{
		{
			"every field at once",
			func(in *atomix.CreateTenantInput) {
				in.Name = ""
				in.Subdomain = "www"
				in.PlanID = "pro"
				in.Contact = tenant.Contact{Name: "", Email: "john@", Phone: "+1 202 555 0123"}
				in.Settings.Industry = strings.Repeat("x", tenant.MaxNameLen+1)
				in.InitialAtoms = []string{"atom_task", "wireframe"}
			},
			[]string{"contact.email", "contact.name", "contact.phone", "initialAtoms", "name", "planId", "settings.industry", "subdomain"},
		},
		{"only initialAtoms", func(in *atomix.CreateTenantInput) { in.InitialAtoms = []string{"usr_1"} }, []string{"initialAtoms"}},
		{"empty atom ID", func(in *atomix.CreateTenantInput) { in.InitialAtoms = []string{""} }, []string{"initialAtoms"}},
		{
			"too many atoms",
			func(in *atomix.CreateTenantInput) {
				in.InitialAtoms = make([]string, atomix.MaxInitialAtoms+1)
				for i := range in.InitialAtoms {
					in.InitialAtoms[i] = "atom_a"
				}
			},
			[]string{"initialAtoms"},
		},
		{"only subdomain", func(in *atomix.CreateTenantInput) { in.Subdomain = "a_b" }, []string{"subdomain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newPlatform(t)
			in := seedInput()
			tt.mod(&in)
			_, err := p.CreateTenant(atomix.AsSystem(context.Background()), in)
			if diff := cmp.Diff(tt.want, fieldNames(t, err)); diff != "" {
				t.Errorf("invalid fields (-want +got):\n%s", diff)
			}
			if n := len(allTenants(t, p)); n != 0 {
				t.Errorf("tenants stored: got %d, want 0", n)
			}
		})
	}
}

func TestCreateTenantAtomIDs(t *testing.T) {
	p, _ := newPlatform(t)
	in := seedInput()
	in.InitialAtoms = []string{" atom_task ", "atom_task", "atom_crm", "atom_task"}
	got, err := p.CreateTenant(atomix.AsSystem(context.Background()), in)
	if err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	if diff := cmp.Diff([]string{"atom_task", "atom_crm"}, got.InitialAtoms); diff != "" {
		t.Errorf("initialAtoms, trimmed and deduplicated in order (-want +got):\n%s", diff)
	}

	in = seedInput()
	in.Subdomain = "noatoms"
	in.InitialAtoms = nil
	got, err = p.CreateTenant(atomix.AsSystem(context.Background()), in)
	if err != nil {
		t.Fatalf("CreateTenant without atoms: %v", err)
	}
	if got.InitialAtoms == nil || len(got.InitialAtoms) != 0 {
		t.Errorf("initialAtoms: got %#v, want an empty non-nil slice", got.InitialAtoms)
	}
}

func TestCreateTenantDuplicateSubdomain(t *testing.T) {
	p, _ := newPlatform(t)
	ctx := atomix.AsSystem(context.Background())
	first, err := p.CreateTenant(ctx, seedInput())
	if err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	before := allTenants(t, p)
	for _, sub := range []string{"acme", "ACME", " Acme"} {
		in := seedInput()
		in.Name = "Another Acme"
		in.Subdomain = sub
		_, err := p.CreateTenant(ctx, in)
		if got := core.ErrorCode(err); got != core.SubdomainTaken {
			t.Errorf("CreateTenant(subdomain %q): got code %q (%v), want %q", sub, got, err, core.SubdomainTaken)
		}
	}
	after := allTenants(t, p)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("store changed by refused creates (-before +after):\n%s", diff)
	}
	if len(after) != 1 || after[0].ID != first.Tenant.ID {
		t.Errorf("tenants: got %d, want only %s", len(after), first.Tenant.ID)
	}
}

func TestWithReservedSubdomains(t *testing.T) {
	p, _ := newPlatform(t, atomix.WithReservedSubdomains("acme"))
	ctx := atomix.AsSystem(context.Background())
	_, err := p.CreateTenant(ctx, seedInput())
	if diff := cmp.Diff([]string{"subdomain"}, fieldNames(t, err)); diff != "" {
		t.Errorf("reserved acme: invalid fields (-want +got):\n%s", diff)
	}
	in := seedInput()
	in.Subdomain = "www"
	if _, err := p.CreateTenant(ctx, in); err != nil {
		t.Errorf("www with the default list replaced: got %v, want nil", err)
	}
}

func TestCreateTenantCanceledContext(t *testing.T) {
	p, _ := newPlatform(t)
	ctx, cancel := context.WithCancel(atomix.AsSystem(context.Background()))
	cancel()
	if _, err := p.CreateTenant(ctx, seedInput()); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateTenant with a canceled context: got %v, want context.Canceled", err)
	}
	if n := len(allTenants(t, p)); n != 0 {
		t.Errorf("tenants stored: got %d, want 0", n)
	}
}
