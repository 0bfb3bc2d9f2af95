package atomix_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// rsClock is a test clock that stands still until moved.
type rsClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *rsClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *rsClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// rsDay returns midnight UTC of the nth day of March 2026.
func rsDay(n int) time.Time { return time.Date(2026, time.March, n, 0, 0, 0, 0, time.UTC) }

// rsPlatform returns a platform over a fresh memory store whose clock
// reads rsDay(1) until moved.
func rsPlatform(t *testing.T) (*atomix.Platform, *rsClock) {
	t.Helper()
	return rsPlatformOver(t, memory.New())
}

func rsPlatformOver(t *testing.T, st store.Store) (*atomix.Platform, *rsClock) {
	t.Helper()
	t.Cleanup(func() { _ = st.Close() })
	clk := &rsClock{t: rsDay(1)}
	p, err := atomix.New(st, atomix.WithClock(clk.now))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p, clk
}

// rsStores opens a fresh store of every kind: memory, SQLite and, when
// ATOMIX_TEST_POSTGRES_DSN is set, PostgreSQL in a schema of its own.
func rsStores(t *testing.T) map[string]func(t *testing.T) store.Store {
	out := map[string]func(t *testing.T) store.Store{
		"memory": func(*testing.T) store.Store { return memory.New() },
		"SQLite": func(t *testing.T) store.Store {
			return rsOpen(t, "sqlite:"+filepath.Join(t.TempDir(), "atomix.db"))
		},
	}
	dsn := os.Getenv("ATOMIX_TEST_POSTGRES_DSN")
	if dsn == "" {
		return out
	}
	out["Postgres"] = func(t *testing.T) store.Store {
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatalf("open the admin connection: %v", err)
		}
		t.Cleanup(func() { admin.Close() })
		var b [6]byte
		rand.Read(b[:])
		schema := "atomix_rs_" + hex.EncodeToString(b[:])
		if _, err := admin.ExecContext(atomix.AsSystem(context.Background()), "CREATE SCHEMA "+schema); err != nil {
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() {
			if _, err := admin.ExecContext(atomix.AsSystem(context.Background()), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
				t.Errorf("drop schema %s: %v", schema, err)
			}
		})
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("parse the DSN: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return rsOpen(t, u.String())
	}
	return out
}

func rsOpen(t *testing.T, dsn string) store.Store {
	t.Helper()
	s, err := sqlstore.Open(atomix.AsSystem(context.Background()), dsn)
	if err != nil {
		t.Fatalf("sqlstore.Open: %v", err)
	}
	return s
}

func rsInput(name string) reseller.Input {
	return reseller.Input{
		Name:               name,
		Contact:            tenant.Contact{Name: "Mia Wong", Email: "mia@" + strings.ToLower(strings.Fields(name)[0]) + ".example.com", Phone: "+61291234567"},
		Address:            reseller.Address{Line1: "100 George St", Postcode: "2000", City: "Sydney", Region: "NSW", Country: "au"},
		RegistrationNumber: "51 824 753 556",
		Website:            "https://reseller.example.com",
	}
}

func rsCode(t *testing.T, what string, err error, code core.Code) *core.Error {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("%s: got error %v, want code %s", what, err, code)
	}
	return ce
}

func rsMust[T any](t *testing.T, what string) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: got error %v, want nil", what, err)
		}
		return v
	}
}

// rsState is everything the reseller workflows may change.
type rsState struct {
	Resellers []reseller.Reseller
	Tenants   []tenant.Tenant
	Owners    map[string][]reseller.Ownership
	Profiles  map[string]reseller.Profile
}

func rsSnapshot(t *testing.T, p *atomix.Platform) rsState {
	t.Helper()
	ctx := atomix.AsSystem(context.Background())
	var s rsState
	rs, _, err := p.Store().ListResellers(ctx, reseller.Filter{IncludeDeleted: true, Page: core.PageRequest{Page: 1, Limit: core.MaxLimit}})
	if err != nil {
		t.Fatalf("ListResellers: %v", err)
	}
	s.Resellers = rs
	s.Tenants = allTenants(t, p)
	s.Owners = map[string][]reseller.Ownership{}
	s.Profiles = map[string]reseller.Profile{}
	for _, tn := range s.Tenants {
		rows, err := p.Store().ListOwnerships(ctx, tn.ID)
		if err != nil {
			t.Fatalf("ListOwnerships: %v", err)
		}
		s.Owners[tn.ID] = rows
		if prof, err := p.Store().GetCustomerProfile(ctx, tn.ID); err == nil {
			s.Profiles[tn.ID] = prof
		}
	}
	return s
}

func rsUnchanged(t *testing.T, what string, p *atomix.Platform, before rsState) {
	t.Helper()
	if diff := cmp.Diff(before, rsSnapshot(t, p)); diff != "" {
		t.Errorf("%s changed the store (-before +after):\n%s", what, diff)
	}
}

// rsTenant creates a tenant owned by owner.
func rsTenant(t *testing.T, p *atomix.Platform, sub, owner string) tenant.Tenant {
	t.Helper()
	out, err := p.CreateTenant(atomix.AsSystem(context.Background()), atomix.CreateTenantInput{
		Name: "Tenant " + sub, Subdomain: sub, OwnerID: owner,
		Contact: tenant.Contact{Name: "Jo", Email: "jo@" + sub + ".example.com"},
	})
	if err != nil {
		t.Fatalf("CreateTenant(%s, owner %q): got error %v, want nil", sub, owner, err)
	}
	return out.Tenant
}

func TestResellerChain(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p, clk := rsPlatform(t)
	rs := p.Resellers()
	dist := rsMust[reseller.Reseller](t, "CreateDistributor")(rs.CreateDistributor(ctx, rsInput("Northwind Distribution")))
	if !core.ValidID(core.PrefixDistributor, dist.ID) || dist.Kind != reseller.KindDistributor || dist.Status != reseller.StatusActive ||
		dist.Address.Country != "AU" || !dist.CreatedAt.Equal(rsDay(1)) {
		t.Errorf("CreateDistributor: got %+v, want an active dist_ in AU created now", dist)
	}
	in := rsInput("Contoso Partner")
	in.DistributorID = dist.ID
	partner := rsMust[reseller.Reseller](t, "CreatePartner")(rs.CreatePartner(ctx, in))
	direct := rsMust[reseller.Reseller](t, "CreatePartner direct")(rs.CreatePartner(ctx, rsInput("Direct Partner")))
	if partner.DistributorID != dist.ID || direct.DistributorID != "" || !core.ValidID(core.PrefixPartner, partner.ID) {
		t.Errorf("partners: got %+v and %+v, want one under %s and one direct", partner, direct, dist.ID)
	}
	for _, want := range []reseller.Reseller{dist, partner, direct} {
		got := rsMust[reseller.Reseller](t, "Get")(rs.Get(ctx, want.ID))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Get(%s) (-want +got):\n%s", want.ID, diff)
		}
	}
	_, err := rs.Get(ctx, "tn_notareseller")
	rsCode(t, "Get of a tenant ID", err, core.NotFound)

	page := rsMust[core.Page[reseller.Reseller]](t, "List")(rs.List(ctx, reseller.Filter{Kind: reseller.KindPartner, DistributorID: dist.ID}))
	if page.Total != 1 || len(page.Items) != 1 || page.Items[0].ID != partner.ID {
		t.Errorf("List of %s's partners: got %+v, want only %s", dist.ID, page, partner.ID)
	}
	_, err = rs.List(ctx, reseller.Filter{Kind: "tenant", Status: "gone", DistributorID: "prt_x", Page: core.PageRequest{Limit: 101}})
	if got, want := fieldNames(t, err), []string{"distributorId", "kind", "limit", "status"}; !cmp.Equal(got, want) {
		t.Errorf("List with bad filters: got fields %v, want %v", got, want)
	}

	// A patch changes what it names; the kind and distributor stay.
	clk.set(rsDay(2))
	suspended := reseller.StatusSuspended
	updated := rsMust[reseller.Reseller](t, "Update")(rs.Update(ctx, dist.ID, reseller.Patch{
		Name:    new("Northwind Holdings"),
		Address: &reseller.AddressPatch{Country: new("nz"), City: new("")},
		Status:  &suspended,
	}))
	want := dist
	want.Name, want.Address.Country, want.Address.City, want.Status, want.UpdatedAt = "Northwind Holdings", "NZ", "", suspended, rsDay(2)
	if diff := cmp.Diff(want, updated); diff != "" {
		t.Errorf("Update (-want +got):\n%s", diff)
	}

	// Bad input: each its own code, and nothing changes.
	before := rsSnapshot(t, p)
	bad := rsInput("Bad Country")
	bad.Address.Country = "UK"
	_, err = rs.CreateDistributor(ctx, bad)
	if ce := rsCode(t, "CreateDistributor in UK", err, core.CountryInvalid); len(ce.Fields) != 1 || ce.Fields[0].Field != "billingAddress.country" {
		t.Errorf("CreateDistributor in UK: got fields %+v, want billingAddress.country", ce.Fields)
	}
	bad.Name, bad.Website = "", "ftp://example.com"
	_, err = rs.CreateDistributor(ctx, bad)
	if ce := rsCode(t, "CreateDistributor with three bad fields", err, core.CountryInvalid); len(ce.Fields) != 3 {
		t.Errorf("got fields %+v, want name, billingAddress.country and website", ce.Fields)
	}
	_, err = rs.Update(ctx, partner.ID, reseller.Patch{Address: &reseller.AddressPatch{Country: new("XK")}})
	rsCode(t, "Update to Kosovo's user-assigned code", err, core.CountryInvalid)
	for _, tt := range []struct {
		dist string
		code core.Code
	}{
		{"dist_missing", core.DistributorUnknown},
		{dist.ID, core.DistributorSuspended},
		{"prt_notadistributor", core.Invalid},
	} {
		in := rsInput("Orphan Partner")
		in.DistributorID = tt.dist
		_, err := rs.CreatePartner(ctx, in)
		rsCode(t, "CreatePartner under "+tt.dist, err, tt.code)
	}
	in.DistributorID = direct.ID // a partner is no distributor
	_, err = rs.CreatePartner(ctx, in)
	rsCode(t, "CreatePartner under a partner", err, core.Invalid)
	rsUnchanged(t, "refused creates and updates", p, before)

	// A deleted distributor is unknown to new partners.
	active := reseller.StatusActive
	rsMust[reseller.Reseller](t, "Update")(rs.Update(ctx, dist.ID, reseller.Patch{Status: &active}))
	other := rsMust[reseller.Reseller](t, "CreateDistributor")(rs.CreateDistributor(ctx, rsInput("Other Distribution")))
	rsMust[reseller.Reseller](t, "Delete")(rs.Delete(ctx, other.ID))
	in.DistributorID = other.ID
	_, err = rs.CreatePartner(ctx, in)
	rsCode(t, "CreatePartner under a deleted distributor", err, core.DistributorUnknown)
	_, err = rs.Update(ctx, other.ID, reseller.Patch{Name: new("Back")})
	rsCode(t, "Update of a deleted distributor", err, core.ResellerDeleted)
}

func TestCreateTenantOwner(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p, _ := rsPlatform(t)
	rs := p.Resellers()
	dist := rsMust[reseller.Reseller](t, "CreateDistributor")(rs.CreateDistributor(ctx, rsInput("Alpha Distribution")))
	in := rsInput("Beta Partner")
	in.DistributorID = dist.ID
	partner := rsMust[reseller.Reseller](t, "CreatePartner")(rs.CreatePartner(ctx, in))
	gone := rsMust[reseller.Reseller](t, "CreatePartner")(rs.CreatePartner(ctx, rsInput("Gone Partner")))
	rsMust[reseller.Reseller](t, "Delete")(rs.Delete(ctx, gone.ID))

	tn := rsTenant(t, p, "owned", partner.ID)
	if tn.OwnerID != partner.ID {
		t.Errorf("OwnerID: got %q, want %q", tn.OwnerID, partner.ID)
	}
	want := []reseller.Ownership{{TenantID: tn.ID, OwnerID: partner.ID, ValidFrom: tn.CreatedAt}}
	if diff := cmp.Diff(want, rsMust[[]reseller.Ownership](t, "Owners")(rs.Owners(ctx, tn.ID))); diff != "" {
		t.Errorf("Owners (-want +got):\n%s", diff)
	}
	platformOwned := rsTenant(t, p, "platform-owned", "")
	if got := rsMust[string](t, "OwnerAt")(rs.OwnerAt(ctx, platformOwned.ID, rsDay(1))); got != "" {
		t.Errorf("OwnerAt of a platform tenant: got %q, want the platform", got)
	}

	suspended := reseller.StatusSuspended
	before := rsSnapshot(t, p)
	for _, tt := range []struct {
		name, owner string
		suspend     string
		code        core.Code
	}{
		{"unknown", "prt_missing", "", core.OwnerUnknown},
		{"deleted", gone.ID, "", core.OwnerUnknown},
		{"malformed", "tn_abc", "", core.Invalid},
		{"suspended partner", partner.ID, partner.ID, core.OwnerSuspended},
		{"partner of a suspended distributor", partner.ID, dist.ID, core.OwnerSuspended},
		{"suspended distributor", dist.ID, dist.ID, core.OwnerSuspended},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.suspend != "" {
				rsMust[reseller.Reseller](t, "suspend")(rs.Update(ctx, tt.suspend, reseller.Patch{Status: &suspended}))
				defer func() {
					active := reseller.StatusActive
					rsMust[reseller.Reseller](t, "activate")(rs.Update(ctx, tt.suspend, reseller.Patch{Status: &active}))
				}()
			}
			_, err := p.CreateTenant(ctx, atomix.CreateTenantInput{
				Name: "Refused", Subdomain: "refused", OwnerID: tt.owner,
				Contact: tenant.Contact{Name: "Jo", Email: "jo@example.com"},
			})
			rsCode(t, "CreateTenant owned by "+tt.owner, err, tt.code)
			after := rsSnapshot(t, p)
			if diff := cmp.Diff(before.Tenants, after.Tenants); diff != "" {
				t.Errorf("a refused create changed the tenants (-before +after):\n%s", diff)
			}
		})
	}
}

func TestMoveTenant(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p, clk := rsPlatform(t)
	rs := p.Resellers()
	dist := rsMust[reseller.Reseller](t, "CreateDistributor")(rs.CreateDistributor(ctx, rsInput("Alpha Distribution")))
	in := rsInput("Beta Partner")
	in.DistributorID = dist.ID
	p1 := rsMust[reseller.Reseller](t, "CreatePartner")(rs.CreatePartner(ctx, in))
	p2 := rsMust[reseller.Reseller](t, "CreatePartner")(rs.CreatePartner(ctx, rsInput("Gamma Partner")))
	tn := rsTenant(t, p, "moving", p1.ID) // created rsDay(1)

	clk.set(rsDay(20))
	// A move dated in the past, after the latest one, is allowed.
	if hist := rsMust[[]reseller.Ownership](t, "Move")(rs.Move(ctx, tn.ID, atomix.MoveInput{OwnerID: p2.ID, EffectiveFrom: rsDay(10)})); len(hist) != 2 {
		t.Errorf("history after one move: got %+v, want two rows", hist)
	}
	hist := rsMust[[]reseller.Ownership](t, "Move")(rs.Move(ctx, tn.ID, atomix.MoveInput{OwnerID: ""})) // now, to the platform
	want := []reseller.Ownership{
		{TenantID: tn.ID, OwnerID: p1.ID, ValidFrom: rsDay(1), ValidTo: new(rsDay(10))},
		{TenantID: tn.ID, OwnerID: p2.ID, ValidFrom: rsDay(10), ValidTo: new(rsDay(20))},
		{TenantID: tn.ID, OwnerID: "", ValidFrom: rsDay(20)},
	}
	if diff := cmp.Diff(want, hist); diff != "" {
		t.Errorf("history after two moves (-want +got):\n%s", diff)
	}
	if got := rsMust[tenant.Tenant](t, "Get")(p.Tenants().Get(ctx, tn.ID)); got.OwnerID != "" || !got.UpdatedAt.Equal(rsDay(20)) {
		t.Errorf("tenant after the moves: got owner %q updated %v, want the platform at %v", got.OwnerID, got.UpdatedAt, rsDay(20))
	}
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{rsDay(1), p1.ID},
		{rsDay(10).Add(-time.Microsecond), p1.ID},
		{rsDay(10), p2.ID},
		{rsDay(19), p2.ID},
		{rsDay(20), ""},
		{rsDay(400), ""},
	} {
		if got := rsMust[string](t, "OwnerAt")(rs.OwnerAt(ctx, tn.ID, tt.at)); got != tt.want {
			t.Errorf("OwnerAt(%v): got %q, want %q", tt.at, got, tt.want)
		}
	}
	_, err := rs.OwnerAt(ctx, tn.ID, rsDay(1).Add(-time.Second))
	rsCode(t, "OwnerAt before the tenant existed", err, core.NotFound)

	// Bad moves: each its own code, and nothing changes.
	deleted := rsTenant(t, p, "deleted", p1.ID)
	rsMust[tenant.Tenant](t, "Delete")(p.Tenants().Delete(ctx, deleted.ID))
	before := rsSnapshot(t, p)
	for _, tt := range []struct {
		name   string
		tenant string
		in     atomix.MoveInput
		code   core.Code
	}{
		{"before the tenant existed", tn.ID, atomix.MoveInput{OwnerID: p1.ID, EffectiveFrom: rsDay(1).Add(-time.Hour)}, core.OwnershipBeforeTenant},
		{"at the latest move", tn.ID, atomix.MoveInput{OwnerID: p1.ID, EffectiveFrom: rsDay(20)}, core.OwnershipOverlap},
		{"before the latest move", tn.ID, atomix.MoveInput{OwnerID: p1.ID, EffectiveFrom: rsDay(15)}, core.OwnershipOverlap},
		{"to the current owner", tn.ID, atomix.MoveInput{OwnerID: ""}, core.OwnerUnchanged},
		{"in the future", tn.ID, atomix.MoveInput{OwnerID: p1.ID, EffectiveFrom: rsDay(21)}, core.Invalid},
		{"to an unknown owner", tn.ID, atomix.MoveInput{OwnerID: "dist_missing"}, core.OwnerUnknown},
		{"to a tenant", tn.ID, atomix.MoveInput{OwnerID: deleted.ID}, core.Invalid},
		{"a deleted tenant", deleted.ID, atomix.MoveInput{OwnerID: p2.ID}, core.TenantDeleted},
		{"an unknown tenant", "tn_missing", atomix.MoveInput{OwnerID: p2.ID}, core.NotFound},
	} {
		_, err := rs.Move(ctx, tt.tenant, tt.in)
		rsCode(t, "Move "+tt.name, err, tt.code)
	}
	rsUnchanged(t, "refused moves", p, before)

	// A tenant stored before histories were kept gets its first row when
	// it first moves.
	legacy := tenant.Tenant{
		ID: "tn_legacy", Name: "Legacy", Subdomain: "legacy", Status: tenant.StatusActive, OwnerID: p1.ID,
		Contact: tenant.Contact{Name: "Lee", Email: "lee@example.com"}, CreatedAt: rsDay(2), UpdatedAt: rsDay(2),
	}
	if err := p.Store().CreateTenant(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	if got := rsMust[[]reseller.Ownership](t, "Owners")(rs.Owners(ctx, legacy.ID)); len(got) != 1 || got[0].OwnerID != p1.ID || !got[0].ValidFrom.Equal(rsDay(2)) {
		t.Errorf("Owners of a tenant without history: got %+v, want %s since its creation", got, p1.ID)
	}
	hist = rsMust[[]reseller.Ownership](t, "Move")(rs.Move(ctx, legacy.ID, atomix.MoveInput{OwnerID: dist.ID, EffectiveFrom: rsDay(5)}))
	want = []reseller.Ownership{
		{TenantID: legacy.ID, OwnerID: p1.ID, ValidFrom: rsDay(2), ValidTo: new(rsDay(5))},
		{TenantID: legacy.ID, OwnerID: dist.ID, ValidFrom: rsDay(5)},
	}
	if diff := cmp.Diff(want, hist); diff != "" {
		t.Errorf("legacy history after a move (-want +got):\n%s", diff)
	}
}

func TestDeleteReseller(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p, clk := rsPlatform(t)
	rs := p.Resellers()
	dist := rsMust[reseller.Reseller](t, "CreateDistributor")(rs.CreateDistributor(ctx, rsInput("Alpha Distribution")))
	in := rsInput("Beta Partner")
	in.DistributorID = dist.ID
	partner := rsMust[reseller.Reseller](t, "CreatePartner")(rs.CreatePartner(ctx, in))
	var ts []tenant.Tenant
	for _, sub := range []string{"one", "two", "three"} {
		ts = append(ts, rsTenant(t, p, sub, partner.ID))
	}
	direct := rsTenant(t, p, "direct", dist.ID)
	rsMust[tenant.Tenant](t, "Delete")(p.Tenants().Delete(ctx, ts[2].ID)) // a deleted tenant does not count

	before := rsSnapshot(t, p)
	_, err := rs.Delete(ctx, partner.ID)
	if ce := rsCode(t, "Delete a partner owning tenants", err, core.ResellerHasTenants); !strings.Contains(ce.Message, "2 tenants") {
		t.Errorf("message: got %q, want it to say 2 tenants", ce.Message)
	}
	_, err = rs.Delete(ctx, dist.ID)
	if ce := rsCode(t, "Delete a distributor owning a tenant", err, core.ResellerHasTenants); !strings.Contains(ce.Message, "1 tenant;") {
		t.Errorf("message: got %q, want it to say 1 tenant", ce.Message)
	}
	_, err = rs.Delete(ctx, "prt_missing")
	rsCode(t, "Delete an unknown partner", err, core.NotFound)
	rsUnchanged(t, "refused deletes", p, before)

	clk.set(rsDay(2))
	for _, tn := range ts[:2] {
		rsMust[[]reseller.Ownership](t, "Move")(rs.Move(ctx, tn.ID, atomix.MoveInput{OwnerID: dist.ID}))
	}
	rsMust[[]reseller.Ownership](t, "Move")(rs.Move(ctx, direct.ID, atomix.MoveInput{}))
	deleted := rsMust[reseller.Reseller](t, "Delete")(rs.Delete(ctx, partner.ID))
	if !deleted.Deleted() || !deleted.DeletedAt.Equal(rsDay(2)) {
		t.Errorf("Delete: got %+v, want it deleted now", deleted)
	}
	_, err = rs.Delete(ctx, partner.ID)
	rsCode(t, "Delete twice", err, core.ResellerDeleted)

	// The distributor owns the two moved tenants; its partner is deleted.
	_, err = rs.Delete(ctx, dist.ID)
	rsCode(t, "Delete a distributor owning the moved tenants", err, core.ResellerHasTenants)
	fresh := rsMust[reseller.Reseller](t, "CreateDistributor")(rs.CreateDistributor(ctx, rsInput("Gamma Distribution")))
	in.DistributorID = fresh.ID
	rsMust[reseller.Reseller](t, "CreatePartner")(rs.CreatePartner(ctx, in))
	_, err = rs.Delete(ctx, fresh.ID)
	if ce := rsCode(t, "Delete a distributor with a partner", err, core.DistributorHasPartners); !strings.Contains(ce.Message, "1 partner;") {
		t.Errorf("message: got %q, want it to say 1 partner", ce.Message)
	}
}

func TestCustomers(t *testing.T) {
	ctx := atomix.AsSystem(context.Background())
	p, clk := rsPlatform(t)
	rs := p.Resellers()
	dist := rsMust[reseller.Reseller](t, "CreateDistributor")(rs.CreateDistributor(ctx, rsInput("Alpha Distribution")))
	in := rsInput("Beta Partner")
	in.DistributorID = dist.ID
	partner := rsMust[reseller.Reseller](t, "CreatePartner")(rs.CreatePartner(ctx, in))
	profile := reseller.ProfileInput{
		Nickname: "Çay Evi", RegistrationNumber: "123455",
		Address: reseller.Address{Line1: "123 Some Street", Postcode: "4000", Country: "au"},
	}
	c := rsMust[atomix.CreatedCustomer](t, "CreateCustomer")(rs.CreateCustomer(ctx, atomix.CreateCustomerInput{
		Name: "ABC Pty Ltd", Profile: profile, OwnerID: partner.ID,
	}))
	wantProfile := &reseller.Profile{
		TenantID: c.Tenant.ID, Nickname: "Çay Evi", RegistrationNumber: "123455",
		Address:   reseller.Address{Line1: "123 Some Street", Postcode: "4000", Country: "AU"},
		CreatedAt: rsDay(1), UpdatedAt: rsDay(1),
	}
	if diff := cmp.Diff(wantProfile, c.Profile); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
	if c.Tenant.Subdomain != "cay-evi" || c.Tenant.Contact != partner.Contact || c.Tenant.OwnerID != partner.ID || c.Tenant.Status != tenant.StatusTrial {
		t.Errorf("tenant: got %+v, want subdomain cay-evi, the partner's contact and ownership, in trial", c.Tenant)
	}
	// Without a contact the customer records the partner's contact but
	// gets no admin: the partner's person is not the customer's user.
	if c.AdminUser != nil || c.SetPasswordToken != nil || c.Tenant.UserCount != 0 {
		t.Errorf("customer without a contact: got admin %+v, token %v, %d users; want none", c.AdminUser, c.SetPasswordToken, c.Tenant.UserCount)
	}
	if us := rsMust[core.Page[identity.User]](t, "ListUsers")(p.ListUsers(ctx, c.Tenant.ID, core.PageRequest{Page: 1, Limit: 10})); len(us.Items) != 0 {
		t.Errorf("users of a customer without a contact: got %d, want 0", len(us.Items))
	}
	// The same nickname again: the subdomain gets a suffix.
	clk.set(rsDay(2))
	c2 := rsMust[atomix.CreatedCustomer](t, "CreateCustomer")(rs.CreateCustomer(ctx, atomix.CreateCustomerInput{
		Name: "ABC Two", Profile: profile, OwnerID: dist.ID,
	}))
	if !strings.HasPrefix(c2.Tenant.Subdomain, "cay-evi-") || len(c2.Tenant.Subdomain) != len("cay-evi-")+6 {
		t.Errorf("second subdomain: got %q, want cay-evi- and six characters", c2.Tenant.Subdomain)
	}
	// A reserved nickname too.
	adm := profile
	adm.Nickname = "Admin"
	clk.set(rsDay(3))
	c3 := rsMust[atomix.CreatedCustomer](t, "CreateCustomer")(rs.CreateCustomer(ctx, atomix.CreateCustomerInput{Name: "Admin Co", Profile: adm, OwnerID: dist.ID}))
	if !strings.HasPrefix(c3.Tenant.Subdomain, "admin-") {
		t.Errorf("reserved nickname: got subdomain %q, want admin-...", c3.Tenant.Subdomain)
	}

	before := rsSnapshot(t, p)
	bad := profile
	bad.Address.Country = "Australia"
	_, err := rs.CreateCustomer(ctx, atomix.CreateCustomerInput{Name: "Bad", Profile: bad, OwnerID: partner.ID})
	rsCode(t, "CreateCustomer in Australia", err, core.CountryInvalid)
	_, err = rs.CreateCustomer(ctx, atomix.CreateCustomerInput{Name: "", Profile: reseller.ProfileInput{Nickname: "admin"}, OwnerID: partner.ID})
	if got, want := fieldNames(t, err), []string{"addressLine1", "country", "name", "postcode"}; !cmp.Equal(got, want) {
		t.Errorf("CreateCustomer without the required fields: got %v, want %v (no subdomain: it was not given)", got, want)
	}
	_, err = rs.CreateCustomer(ctx, atomix.CreateCustomerInput{Name: "Mine", Profile: profile})
	if got := fieldNames(t, err); !cmp.Equal(got, []string{"contact"}) {
		t.Errorf("a platform customer without a contact: got fields %v, want contact", got)
	}
	_, err = rs.CreateCustomer(ctx, atomix.CreateCustomerInput{Name: "Lost", Profile: profile, OwnerID: "prt_missing"})
	rsCode(t, "CreateCustomer of an unknown partner", err, core.OwnerUnknown)
	_, err = rs.CreateCustomer(ctx, atomix.CreateCustomerInput{Name: "Taken", Profile: profile, OwnerID: partner.ID, Subdomain: "cay-evi"})
	rsCode(t, "CreateCustomer with a taken subdomain given", err, core.SubdomainTaken)
	rsUnchanged(t, "refused customers", p, before)

	list := func(f reseller.CustomerFilter) []string {
		t.Helper()
		pg := rsMust[core.Page[reseller.Customer]](t, "ListCustomers")(rs.ListCustomers(ctx, f))
		return customerIDs(pg.Items)
	}
	if got, want := list(reseller.CustomerFilter{Under: dist.ID}), []string{c.Tenant.ID, c2.Tenant.ID, c3.Tenant.ID}; !cmp.Equal(got, want) {
		t.Errorf("a distributor's customers: got %v, want %v (its partner's included)", got, want)
	}
	if got, want := list(reseller.CustomerFilter{Under: partner.ID, Query: "abc"}), []string{c.Tenant.ID}; !cmp.Equal(got, want) {
		t.Errorf("the partner's customers named abc: got %v, want %v", got, want)
	}
	_, err = rs.ListCustomers(ctx, reseller.CustomerFilter{Under: "prt_missing"})
	rsCode(t, "ListCustomers of an unknown partner", err, core.OwnerUnknown)

	del := rsMust[reseller.Customer](t, "DeleteCustomer")(rs.DeleteCustomer(ctx, c.Tenant.ID))
	if del.Tenant.DeletedAt == nil || del.Profile == nil || del.Profile.Nickname != "Çay Evi" {
		t.Errorf("DeleteCustomer: got %+v, want the deleted tenant with its profile", del)
	}
	if got, want := list(reseller.CustomerFilter{Under: partner.ID}), []string{}; !cmp.Equal(got, want) {
		t.Errorf("after the delete: got %v, want none", got)
	}
	_, err = rs.DeleteCustomer(ctx, c.Tenant.ID)
	rsCode(t, "DeleteCustomer twice", err, core.TenantDeleted)
}

func customerIDs(cs []reseller.Customer) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Tenant.ID)
	}
	return out
}

// TestResellersMustShowEveryStore runs the must-show through the
// platform on every store.
func TestResellersMustShowEveryStore(t *testing.T) {
	for name, open := range rsStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := atomix.AsSystem(context.Background())
			p, clk := rsPlatformOver(t, open(t))
			rs := p.Resellers()
			dist := rsMust[reseller.Reseller](t, "CreateDistributor")(rs.CreateDistributor(ctx, rsInput("Northwind Distribution")))
			in := rsInput("Contoso Partner")
			in.DistributorID = dist.ID
			partner := rsMust[reseller.Reseller](t, "CreatePartner")(rs.CreatePartner(ctx, in))
			other := rsMust[reseller.Reseller](t, "CreatePartner")(rs.CreatePartner(ctx, rsInput("Fabrikam Partner")))
			var ids []string
			for _, name := range []string{"Waqi SC01", "Blue Harbour"} {
				c := rsMust[atomix.CreatedCustomer](t, "CreateCustomer")(rs.CreateCustomer(ctx, atomix.CreateCustomerInput{
					Name: name, OwnerID: partner.ID,
					Profile: reseller.ProfileInput{Nickname: name, Address: reseller.Address{Line1: "1 Main St", Postcode: "3000", Country: "AU"}},
				}))
				ids = append(ids, c.Tenant.ID)
			}
			pg := rsMust[core.Page[reseller.Customer]](t, "ListCustomers")(rs.ListCustomers(ctx, reseller.CustomerFilter{Under: partner.ID, Query: "harb"}))
			if got := customerIDs(pg.Items); !cmp.Equal(got, ids[1:]) || pg.Total != 1 {
				t.Errorf("customers named harb: got %v of %d, want %v", got, pg.Total, ids[1:])
			}
			clk.set(rsDay(9))
			hist := rsMust[[]reseller.Ownership](t, "Move")(rs.Move(ctx, ids[0], atomix.MoveInput{OwnerID: other.ID, EffectiveFrom: rsDay(5)}))
			want := []reseller.Ownership{
				{TenantID: ids[0], OwnerID: partner.ID, ValidFrom: rsDay(1), ValidTo: new(rsDay(5))},
				{TenantID: ids[0], OwnerID: other.ID, ValidFrom: rsDay(5)},
			}
			if diff := cmp.Diff(want, hist); diff != "" {
				t.Errorf("history after the move (-want +got):\n%s", diff)
			}
			if got := rsMust[string](t, "OwnerAt")(rs.OwnerAt(ctx, ids[0], rsDay(4))); got != partner.ID {
				t.Errorf("OwnerAt before the move: got %q, want %q", got, partner.ID)
			}
			pg = rsMust[core.Page[reseller.Customer]](t, "ListCustomers")(rs.ListCustomers(ctx, reseller.CustomerFilter{Under: dist.ID}))
			if got := customerIDs(pg.Items); !cmp.Equal(got, ids[1:]) {
				t.Errorf("the distributor's customers after the move: got %v, want %v", got, ids[1:])
			}
		})
	}
}
