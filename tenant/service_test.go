package tenant_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

func TestCreate(t *testing.T) {
	f := newFixture(t)
	at := f.clock.peek()
	in := validInput()
	in.Name = "  Acme Corporation  "
	in.Contact.Name = " John Doe "
	in.Contact.Email = " john@acme.com "
	in.Settings.Extra = map[string]json.RawMessage{"tags": json.RawMessage(`[ "a" , "b" ]`)}
	got, err := f.svc.Create(context.Background(), in)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if !core.ValidID(core.PrefixTenant, got.ID) || len(got.ID) != len("tn_")+core.IDRandomLen {
		t.Errorf("ID: got %q, want tn_ and %d base-62 characters", got.ID, core.IDRandomLen)
	}
	want := tenant.Tenant{
		ID:        got.ID,
		Name:      "Acme Corporation",
		Subdomain: "acme",
		Status:    tenant.StatusTrial,
		PlanID:    "plan_professional",
		Contact:   tenant.Contact{Name: "John Doe", Email: "john@acme.com", Phone: "+905321234567"},
		Settings: tenant.Settings{
			Industry:    "technology",
			CompanySize: "51-200",
			Extra:       map[string]json.RawMessage{"tags": json.RawMessage(`["a","b"]`)},
		},
		CreatedAt: at,
		UpdatedAt: at,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created tenant (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, f.get(t, got.ID)); diff != "" {
		t.Errorf("stored tenant (-want +got):\n%s", diff)
	}
}

func TestCreateOptionalFields(t *testing.T) {
	f := newFixture(t)
	got, err := f.svc.Create(context.Background(), tenant.CreateInput{
		Name:      "Bare",
		Subdomain: "bare",
		Contact:   tenant.Contact{Name: "Jane", Email: "jane@bare.io"},
		OwnerID:   "dist_123",
	})
	if err != nil {
		t.Fatalf("Create without plan, phone or settings: %v", err)
	}
	if got.PlanID != "" || got.Contact.Phone != "" || got.OwnerID != "dist_123" {
		t.Errorf("got plan %q phone %q owner %q, want \"\", \"\", dist_123", got.PlanID, got.Contact.Phone, got.OwnerID)
	}
}

func TestCreateReportsEveryBadField(t *testing.T) {
	tooLong := strings.Repeat("x", tenant.MaxNameLen+1)
	tests := []struct {
		name string
		mod  func(*tenant.CreateInput)
		want []string
	}{
		{
			"all at once",
			func(in *tenant.CreateInput) {
				in.Name = "  "
				in.Subdomain = "-x"
				in.PlanID = "professional"
				in.Contact = tenant.Contact{Name: "", Email: "not-an-email", Phone: "+1 202 555 0123"}
				in.Settings.Industry = tooLong
				in.Settings.CompanySize = tooLong
			},
			[]string{"name", "subdomain", "planId", "contact.name", "contact.email", "contact.phone", "settings.industry", "settings.companySize"},
		},
		{"name too long", func(in *tenant.CreateInput) { in.Name = tooLong }, []string{"name"}},
		{"name with control character", func(in *tenant.CreateInput) { in.Name = "Acme\x00Corp" }, []string{"name"}},
		{"name invalid UTF-8", func(in *tenant.CreateInput) { in.Name = "Acme \xff" }, []string{"name"}},
		{"contact name too long", func(in *tenant.CreateInput) { in.Contact.Name = tooLong }, []string{"contact.name"}},
		{"email missing", func(in *tenant.CreateInput) { in.Contact.Email = "" }, []string{"contact.email"}},
		{
			"settings extras",
			func(in *tenant.CreateInput) {
				in.Settings.Extra = map[string]json.RawMessage{
					"bad":                   json.RawMessage(`{nope`),
					"big":                   json.RawMessage(`"` + strings.Repeat("a", tenant.MaxSettingsValueLen) + `"`),
					"":                      json.RawMessage(`1`),
					"industry":              json.RawMessage(`5`),
					strings.Repeat("k", 65): json.RawMessage(`1`),
				}
			},
			[]string{"settings", "settings", "settings.bad", "settings.big", "settings.industry"},
		},
		{
			"too many settings",
			func(in *tenant.CreateInput) {
				in.Settings.Extra = make(map[string]json.RawMessage)
				for i := range tenant.MaxSettingsKeys + 1 {
					in.Settings.Extra[strings.Repeat("k", i+1)] = json.RawMessage(`1`)
				}
			},
			[]string{"settings"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			in := validInput()
			tt.mod(&in)
			_, err := f.svc.Create(context.Background(), in)
			wantFields(t, err, tt.want...)
			if n := len(f.all(t)); n != 0 {
				t.Errorf("tenants stored: got %d, want 0", n)
			}
		})
	}
}

func TestCreateDuplicateSubdomain(t *testing.T) {
	f := newFixture(t)
	first := f.create(t, nil)
	for _, sub := range []string{"acme", "ACME", " Acme "} {
		in := validInput()
		in.Name = "Other"
		in.Subdomain = sub
		_, err := f.svc.Create(context.Background(), in)
		wantCode(t, err, core.SubdomainTaken)
	}
	if diff := cmp.Diff([]tenant.Tenant{first}, f.all(t)); diff != "" {
		t.Errorf("store after refused creates (-want +got):\n%s", diff)
	}
}

func TestGet(t *testing.T) {
	f := newFixture(t)
	tn := f.create(t, nil)
	if got := f.get(t, tn.ID); got.ID != tn.ID {
		t.Errorf("Get: got %q, want %q", got.ID, tn.ID)
	}
	for _, id := range []string{"", "tn_", "tn", "usr_" + tn.ID[3:], "tn_a/b", "tn_a b", "tn_unknown", strings.ToUpper(tn.ID)} {
		_, err := f.svc.Get(context.Background(), id)
		if got := core.ErrorCode(err); got != core.NotFound {
			t.Errorf("Get(%q): got code %q (%v), want %q", id, got, err, core.NotFound)
		}
	}
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		in   tenant.UpdateInput
		want func(*tenant.Tenant)
	}{
		{
			"name trimmed",
			tenant.UpdateInput{Name: ptr("  Acme Holdings  ")},
			func(t *tenant.Tenant) { t.Name = "Acme Holdings" },
		},
		{
			"plan",
			tenant.UpdateInput{PlanID: ptr("plan_enterprise")},
			func(t *tenant.Tenant) { t.PlanID = "plan_enterprise" },
		},
		{
			"plan removed",
			tenant.UpdateInput{PlanID: ptr("")},
			func(t *tenant.Tenant) { t.PlanID = "" },
		},
		{
			"partial contact: phone only",
			tenant.UpdateInput{Contact: &tenant.ContactPatch{Phone: ptr("+442071838750")}},
			func(t *tenant.Tenant) { t.Contact.Phone = "+442071838750" },
		},
		{
			"partial contact: name and email trimmed",
			tenant.UpdateInput{Contact: &tenant.ContactPatch{Name: ptr(" Jane Roe "), Email: ptr(" jane@acme.com ")}},
			func(t *tenant.Tenant) { t.Contact.Name, t.Contact.Email = "Jane Roe", "jane@acme.com" },
		},
		{
			"phone removed",
			tenant.UpdateInput{Contact: &tenant.ContactPatch{Phone: ptr("")}},
			func(t *tenant.Tenant) { t.Contact.Phone = "" },
		},
		{
			"settings merge patch",
			tenant.UpdateInput{Settings: map[string]json.RawMessage{
				"region":      json.RawMessage(`null`),
				"tier":        json.RawMessage(`{ "level": "gold" }`),
				"companySize": json.RawMessage(`"201-500"`),
			}},
			func(t *tenant.Tenant) {
				t.Settings = tenant.Settings{
					Industry:    "technology",
					CompanySize: "201-500",
					Extra: map[string]json.RawMessage{
						"tags": json.RawMessage(`["a"]`),
						"tier": json.RawMessage(`{"level":"gold"}`),
					},
				}
			},
		},
		{
			"settings null deletes a known key",
			tenant.UpdateInput{Settings: map[string]json.RawMessage{"industry": json.RawMessage(` null `)}},
			func(t *tenant.Tenant) { t.Settings.Industry = "" },
		},
		{
			"settings null on a missing key",
			tenant.UpdateInput{Settings: map[string]json.RawMessage{"nothing": json.RawMessage(`null`)}},
			func(*tenant.Tenant) {},
		},
		{
			"empty update touches only updatedAt",
			tenant.UpdateInput{},
			func(*tenant.Tenant) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.create(t, func(in *tenant.CreateInput) {
				in.Settings.Extra = map[string]json.RawMessage{
					"region": json.RawMessage(`"emea"`),
					"tags":   json.RawMessage(`["a"]`),
				}
			})
			at := f.clock.peek()
			got, err := f.svc.Update(ctx, before.ID, tt.in)
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			want := before
			tt.want(&want)
			want.UpdatedAt = at
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("updated tenant (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, f.get(t, before.ID)); diff != "" {
				t.Errorf("stored tenant (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateInvalidWritesNothing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		in   tenant.UpdateInput
		want []string
	}{
		{"empty name", tenant.UpdateInput{Name: ptr("   ")}, []string{"name"}},
		{"bad plan", tenant.UpdateInput{PlanID: ptr("enterprise")}, []string{"planId"}},
		{"bad email", tenant.UpdateInput{Contact: &tenant.ContactPatch{Email: ptr("nope")}}, []string{"contact.email"}},
		{"bad phone", tenant.UpdateInput{Contact: &tenant.ContactPatch{Phone: ptr("+1 202 555 0123")}}, []string{"contact.phone"}},
		{"empty contact name", tenant.UpdateInput{Contact: &tenant.ContactPatch{Name: ptr("")}}, []string{"contact.name"}},
		{"industry not a string", tenant.UpdateInput{Settings: map[string]json.RawMessage{"industry": json.RawMessage(`5`)}}, []string{"settings"}},
		{"settings value not JSON", tenant.UpdateInput{Settings: map[string]json.RawMessage{"x": json.RawMessage(`{nope`)}}, []string{"settings"}},
		{"settings value too big", tenant.UpdateInput{Settings: map[string]json.RawMessage{"x": json.RawMessage(`"` + strings.Repeat("a", tenant.MaxSettingsValueLen) + `"`)}}, []string{"settings.x"}},
		{
			"valid and invalid together",
			tenant.UpdateInput{Name: ptr("Fine Name"), PlanID: ptr("plan_ok"), Contact: &tenant.ContactPatch{Email: ptr("bad")}},
			[]string{"contact.email"},
		},
		{
			"several bad fields",
			tenant.UpdateInput{Name: ptr(""), PlanID: ptr("x y"), Contact: &tenant.ContactPatch{Phone: ptr("123")}},
			[]string{"name", "planId", "contact.phone"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.create(t, nil)
			_, err := f.svc.Update(ctx, before.ID, tt.in)
			wantFields(t, err, tt.want...)
			if diff := cmp.Diff(before, f.get(t, before.ID)); diff != "" {
				t.Errorf("a refused update changed the tenant (-before +after):\n%s", diff)
			}
		})
	}
}

func TestUpdateUnknown(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{"tn_missing", "bad id"} {
		_, err := f.svc.Update(context.Background(), id, tenant.UpdateInput{Name: ptr("x")})
		wantCode(t, err, core.NotFound)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tn := f.create(t, nil)
	at := f.clock.peek()

	got, err := f.svc.Delete(ctx, tn.ID)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got.DeletedAt == nil || !got.DeletedAt.Equal(at) {
		t.Fatalf("deletedAt: got %v, want %v", got.DeletedAt, at)
	}
	if !got.UpdatedAt.Equal(at) {
		t.Errorf("updatedAt: got %v, want %v", got.UpdatedAt, at)
	}
	if !got.Deleted() {
		t.Errorf("Deleted(): got false, want true")
	}
	stored := f.get(t, tn.ID)
	if diff := cmp.Diff(got, stored); diff != "" {
		t.Errorf("Get after Delete (-returned +stored):\n%s", diff)
	}

	_, err = f.svc.Delete(ctx, tn.ID)
	wantCode(t, err, core.TenantDeleted)

	mutations := []struct {
		name string
		do   func() error
	}{
		{"update", func() error { _, err := f.svc.Update(ctx, tn.ID, tenant.UpdateInput{Name: ptr("New")}); return err }},
		{"activate", func() error { _, err := f.svc.Activate(ctx, tn.ID); return err }},
		{"suspend", func() error { _, err := f.svc.Suspend(ctx, tn.ID); return err }},
		{"cancel", func() error { _, err := f.svc.Cancel(ctx, tn.ID); return err }},
	}
	for _, m := range mutations {
		if got := core.ErrorCode(m.do()); got != core.TenantDeleted {
			t.Errorf("%s on a deleted tenant: got code %q, want %q", m.name, got, core.TenantDeleted)
		}
	}
	if diff := cmp.Diff(stored, f.get(t, tn.ID)); diff != "" {
		t.Errorf("refused mutations changed the deleted tenant (-before +after):\n%s", diff)
	}

	// The subdomain is free again.
	again := f.create(t, func(in *tenant.CreateInput) { in.Subdomain = "ACME" })
	if again.Subdomain != "acme" || again.ID == tn.ID {
		t.Errorf("new tenant on the freed subdomain: got %q %q, want subdomain acme and a new ID", again.ID, again.Subdomain)
	}
	_, err = f.svc.Create(ctx, validInput())
	wantCode(t, err, core.SubdomainTaken)

	for _, id := range []string{"tn_missing", "x"} {
		_, err := f.svc.Delete(ctx, id)
		wantCode(t, err, core.NotFound)
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	mk := func(name, sub, plan string) tenant.Tenant {
		return f.create(t, func(in *tenant.CreateInput) { in.Name, in.Subdomain, in.PlanID = name, sub, plan })
	}
	acme := mk("Acme Corporation", "acme", "plan_professional")
	globex := mk("Globex", "globex", "plan_starter")
	initech := mk("Initech ACME Division", "initech", "plan_professional")
	umbrella := mk("Umbrella", "umbrella", "")
	gone := mk("Acme Old", "acme-old", "plan_professional")
	for _, step := range []struct {
		move func(context.Context, string) (tenant.Tenant, error)
		id   string
	}{
		{f.svc.Activate, globex.ID},
		{f.svc.Activate, initech.ID},
		{f.svc.Suspend, initech.ID},
		{f.svc.Cancel, umbrella.ID},
		{f.svc.Delete, gone.ID},
	} {
		if _, err := step.move(ctx, step.id); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name string
		q    tenant.ListQuery
		want []tenant.Tenant
	}{
		{"all but deleted", tenant.ListQuery{}, []tenant.Tenant{acme, globex, initech, umbrella}},
		{"include deleted", tenant.ListQuery{IncludeDeleted: true}, []tenant.Tenant{acme, globex, initech, umbrella, gone}},
		{"status trial", tenant.ListQuery{Status: tenant.StatusTrial}, []tenant.Tenant{acme}},
		{"status trial with deleted", tenant.ListQuery{Status: tenant.StatusTrial, IncludeDeleted: true}, []tenant.Tenant{acme, gone}},
		{"status active", tenant.ListQuery{Status: tenant.StatusActive}, []tenant.Tenant{globex}},
		{"status suspended", tenant.ListQuery{Status: tenant.StatusSuspended}, []tenant.Tenant{initech}},
		{"status cancelled", tenant.ListQuery{Status: tenant.StatusCancelled}, []tenant.Tenant{umbrella}},
		{"plan by key", tenant.ListQuery{Plan: "professional"}, []tenant.Tenant{acme, initech}},
		{"plan by id", tenant.ListQuery{Plan: "plan_professional"}, []tenant.Tenant{acme, initech}},
		{"plan with no tenant", tenant.ListQuery{Plan: "enterprise"}, []tenant.Tenant{}},
		{"q lowercase", tenant.ListQuery{Query: "acme"}, []tenant.Tenant{acme, initech}},
		{"q mixed case", tenant.ListQuery{Query: "aCmE"}, []tenant.Tenant{acme, initech}},
		{"q partial", tenant.ListQuery{Query: "corp"}, []tenant.Tenant{acme}},
		{"q trimmed", tenant.ListQuery{Query: "  globex "}, []tenant.Tenant{globex}},
		{"q with deleted", tenant.ListQuery{Query: "acme", IncludeDeleted: true}, []tenant.Tenant{acme, initech, gone}},
		{"q no match", tenant.ListQuery{Query: "zzz"}, []tenant.Tenant{}},
		{"filters combined", tenant.ListQuery{Query: "acme", Plan: "professional", Status: tenant.StatusSuspended}, []tenant.Tenant{initech}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.svc.List(ctx, tt.q)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			// Stored versions carry the later status moves.
			want := make([]tenant.Tenant, len(tt.want))
			for i, w := range tt.want {
				want[i] = f.get(t, w.ID)
			}
			if diff := cmp.Diff(want, got.Items); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if got.Total != len(want) || got.Page != 1 || got.Limit != core.DefaultLimit {
				t.Errorf("got total %d page %d limit %d, want %d, 1, %d", got.Total, got.Page, got.Limit, len(want), core.DefaultLimit)
			}
			for _, it := range got.Items {
				if it.AtomCount != 0 || it.UserCount != 0 {
					t.Errorf("%s counts: got atoms %d users %d, want 0, 0", it.ID, it.AtomCount, it.UserCount)
				}
			}
		})
	}
}

func TestListPagination(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var ids []string
	for _, sub := range []string{"one", "two", "three", "four", "five"} {
		ids = append(ids, f.create(t, func(in *tenant.CreateInput) { in.Subdomain = sub }).ID)
	}
	tests := []struct {
		name      string
		page      core.PageRequest
		want      []string
		wantPages int
	}{
		{"defaults", core.PageRequest{}, ids, 1},
		{"limit 2 page 1", core.PageRequest{Page: 1, Limit: 2}, ids[0:2], 3},
		{"limit 2 page 2", core.PageRequest{Page: 2, Limit: 2}, ids[2:4], 3},
		{"limit 2 last partial page", core.PageRequest{Page: 3, Limit: 2}, ids[4:5], 3},
		{"limit 2 past the end", core.PageRequest{Page: 4, Limit: 2}, []string{}, 3},
		{"far past the end", core.PageRequest{Page: core.MaxPage, Limit: core.MaxLimit}, []string{}, 1},
		{"limit 1 page 1", core.PageRequest{Page: 1, Limit: 1}, ids[0:1], 5},
		{"limit 1 page 5", core.PageRequest{Page: 5, Limit: 1}, ids[4:5], 5},
		{"exact multiple", core.PageRequest{Page: 1, Limit: 5}, ids, 1},
		{"limit 100", core.PageRequest{Limit: 100}, ids, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.svc.List(ctx, tenant.ListQuery{Page: tt.page})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			gotIDs := []string{}
			for _, it := range got.Items {
				gotIDs = append(gotIDs, it.ID)
			}
			if diff := cmp.Diff(tt.want, gotIDs); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if got.Items == nil {
				t.Errorf("Items: got nil, want an empty slice")
			}
			if got.Total != 5 || got.TotalPages != tt.wantPages {
				t.Errorf("total %d, pages %d: want 5, %d", got.Total, got.TotalPages, tt.wantPages)
			}
		})
	}
}

func TestListOrderWithEqualTimes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.clock.step = 0 // every tenant gets the same createdAt
	subs := []string{"aaa", "bbb", "ccc", "ddd", "eee", "fff", "ggg", "hhh"}
	var ids []string
	for _, sub := range subs {
		ids = append(ids, f.create(t, func(in *tenant.CreateInput) { in.Subdomain = sub }).ID)
	}
	// The order is by ID among equal times; page through it one at a time.
	want := append([]string(nil), ids...)
	slices.Sort(want)
	var got []string
	for page := 1; page <= len(ids); page++ {
		p, err := f.svc.List(ctx, tenant.ListQuery{Page: core.PageRequest{Page: page, Limit: 1}})
		if err != nil {
			t.Fatalf("List page %d: %v", page, err)
		}
		if len(p.Items) != 1 {
			t.Fatalf("page %d: got %d items, want 1", page, len(p.Items))
		}
		if !p.Items[0].CreatedAt.Equal(t0) {
			t.Fatalf("createdAt: got %v, want %v", p.Items[0].CreatedAt, t0)
		}
		got = append(got, p.Items[0].ID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order with equal createdAt (-want +got):\n%s", diff)
	}
}

func TestListOrderByCreatedAt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.clock.step = -time.Hour // each new tenant is older than the last
	var ids []string
	for _, sub := range []string{"aaa", "bbb", "ccc"} {
		ids = append(ids, f.create(t, func(in *tenant.CreateInput) { in.Subdomain = sub }).ID)
	}
	p, err := f.svc.List(ctx, tenant.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range p.Items {
		got = append(got, it.ID)
	}
	want := []string{ids[2], ids[1], ids[0]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order by createdAt (-want +got):\n%s", diff)
	}
}

func TestListInvalid(t *testing.T) {
	f := newFixture(t)
	f.create(t, nil)
	tests := []struct {
		name string
		q    tenant.ListQuery
		want []string
	}{
		{"unknown status", tenant.ListQuery{Status: "paused"}, []string{"status"}},
		{"status wrong case", tenant.ListQuery{Status: "Trial"}, []string{"status"}},
		{"page below 1", tenant.ListQuery{Page: core.PageRequest{Page: -1}}, []string{"page"}},
		{"page above max", tenant.ListQuery{Page: core.PageRequest{Page: core.MaxPage + 1}}, []string{"page"}},
		{"limit above 100", tenant.ListQuery{Page: core.PageRequest{Limit: 101}}, []string{"limit"}},
		{"limit below 1", tenant.ListQuery{Page: core.PageRequest{Limit: -3}}, []string{"limit"}},
		{"bad plan", tenant.ListQuery{Plan: "pro plan"}, []string{"plan"}},
		{"q too long", tenant.ListQuery{Query: strings.Repeat("q", tenant.MaxQueryLen+1)}, []string{"q"}},
		{"q invalid UTF-8", tenant.ListQuery{Query: "\xff"}, []string{"q"}},
		{
			"everything",
			tenant.ListQuery{Status: "x", Plan: "a b", Query: "\xfe", Page: core.PageRequest{Page: -1, Limit: 1000}},
			[]string{"status", "plan", "q", "page", "limit"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.List(context.Background(), tt.q)
			wantFields(t, err, tt.want...)
		})
	}
}

func TestWithStoreJoinsTransaction(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	boom := errors.New("boom")
	var created tenant.Tenant
	err := f.store.InTx(ctx, func(tx store.Store) error {
		var err error
		created, err = f.svc.WithStore(tx).Create(ctx, validInput())
		if err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx: got %v, want %v", err, boom)
	}
	if created.ID == "" {
		t.Fatalf("Create inside the transaction returned no tenant")
	}
	_, err = f.svc.Get(ctx, created.ID)
	wantCode(t, err, core.NotFound)
	if n := len(f.all(t)); n != 0 {
		t.Errorf("tenants after rollback: got %d, want 0", n)
	}
}

func TestServiceNow(t *testing.T) {
	f := newFixture(t)
	at := f.clock.peek()
	if got := f.svc.Now().Now(); !got.Equal(at) {
		t.Errorf("Now(): got %v, want %v", got, at)
	}
	def := tenant.NewService(f.store)
	before := time.Now().Add(-time.Second)
	if got := def.Now().Now(); got.Before(before) || got.Location() != time.UTC {
		t.Errorf("default clock: got %v, want the wall clock in UTC", got)
	}
}
