package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/role"
	"github.com/atomixplatform/atomix/store"
)

// RunRoles checks the tenants' custom roles: they round-trip, list by
// name, refuse a duplicate name within a tenant, and belong to their
// tenant only.
func RunRoles(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"RoleRoundTripAndList", testRoleRoundTrip},
		{"RoleDuplicateName", testRoleDuplicate},
		{"RoleTenantIsolation", testRoleIsolation},
	})
}

func testRoleRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	tn := fixture(1)
	create(t, s, tn)
	b := role.Custom{TenantID: tn.ID, Name: "support", Description: "Answers tickets", Permissions: []string{"task:view", "!task:delete"}, CreatedAt: at(1)}
	a := role.Custom{TenantID: tn.ID, Name: "auditor", Permissions: []string{}, CreatedAt: at(2)}
	for _, r := range []role.Custom{b, a} {
		if err := s.CreateRole(ctx, r); err != nil {
			t.Fatalf("CreateRole %s: %v", r.Name, err)
		}
	}
	got, err := s.GetRole(ctx, tn.ID, "support")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, got); diff != "" {
		t.Errorf("GetRole (-want +got):\n%s", diff)
	}
	list, err := s.ListRoles(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]role.Custom{a, b}, list); diff != "" {
		t.Errorf("ListRoles (-want +got):\n%s", diff)
	}
	_, err = s.GetRole(ctx, tn.ID, "nobody")
	wantCode(t, "GetRole of a missing role", err, core.NotFound)
}

func testRoleDuplicate(t *testing.T, s store.Store) {
	ctx := context.Background()
	tn := fixture(1)
	create(t, s, tn)
	r := role.Custom{TenantID: tn.ID, Name: "support", Permissions: []string{"task:view"}, CreatedAt: at(1)}
	if err := s.CreateRole(ctx, r); err != nil {
		t.Fatal(err)
	}
	r2 := r
	r2.Permissions = []string{"task:*"}
	wantCode(t, "a duplicate role", s.CreateRole(ctx, r2), core.Conflict)
	got, err := s.GetRole(ctx, tn.ID, "support")
	if err != nil || !cmp.Equal(got.Permissions, []string{"task:view"}) {
		t.Errorf("after the duplicate: got %v (%v), want the first role's task:view", got.Permissions, err)
	}
}

func testRoleIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	ta, tb := fixture(1), fixture(2)
	create(t, s, ta, tb)
	if err := s.CreateRole(ctx, role.Custom{TenantID: ta.ID, Name: "support", Permissions: []string{"task:view"}, CreatedAt: at(1)}); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetRole(ctx, tb.ID, "support")
	wantCode(t, "another tenant's role", err, core.NotFound)
	if list, err := s.ListRoles(ctx, tb.ID); err != nil || len(list) != 0 {
		t.Errorf("ListRoles of B: got %v (%v), want none", list, err)
	}
	if err := s.CreateRole(ctx, role.Custom{TenantID: tb.ID, Name: "support", Permissions: []string{"crm:view"}, CreatedAt: at(2)}); err != nil {
		t.Errorf("the same name in B: got %v, want it stored", err)
	}
}
