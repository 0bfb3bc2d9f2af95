package tenant_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// lifecycle is the expected transition table, written out in full: every
// (from, to) pair of the four states.
var lifecycle = []struct {
	from, to tenant.Status
	allowed  bool
}{
	{tenant.StatusTrial, tenant.StatusTrial, false},
	{tenant.StatusTrial, tenant.StatusActive, true},
	{tenant.StatusTrial, tenant.StatusSuspended, true}, // a trial that ends unconverted
	{tenant.StatusTrial, tenant.StatusCancelled, true},

	{tenant.StatusActive, tenant.StatusTrial, false},
	{tenant.StatusActive, tenant.StatusActive, false},
	{tenant.StatusActive, tenant.StatusSuspended, true},
	{tenant.StatusActive, tenant.StatusCancelled, true},

	{tenant.StatusSuspended, tenant.StatusTrial, false},
	{tenant.StatusSuspended, tenant.StatusActive, true},
	{tenant.StatusSuspended, tenant.StatusSuspended, false},
	{tenant.StatusSuspended, tenant.StatusCancelled, true},

	{tenant.StatusCancelled, tenant.StatusTrial, false},
	{tenant.StatusCancelled, tenant.StatusActive, false},
	{tenant.StatusCancelled, tenant.StatusSuspended, false},
	{tenant.StatusCancelled, tenant.StatusCancelled, false},
}

func TestLifecycleTableIsComplete(t *testing.T) {
	if got, want := len(lifecycle), len(tenant.Statuses)*len(tenant.Statuses); got != want {
		t.Fatalf("lifecycle rows: got %d, want %d", got, want)
	}
	want := []tenant.Status{"trial", "active", "suspended", "cancelled"}
	if diff := cmp.Diff(want, tenant.Statuses); diff != "" {
		t.Errorf("Statuses (-want +got):\n%s", diff)
	}
}

func TestCanTransition(t *testing.T) {
	for _, tt := range lifecycle {
		t.Run(fmt.Sprintf("%s to %s", tt.from, tt.to), func(t *testing.T) {
			if got := tenant.CanTransition(tt.from, tt.to); got != tt.allowed {
				t.Errorf("CanTransition(%s, %s): got %v, want %v", tt.from, tt.to, got, tt.allowed)
			}
			err := tenant.CheckTransition(tt.from, tt.to)
			if tt.allowed {
				if err != nil {
					t.Errorf("CheckTransition(%s, %s): got %v, want nil", tt.from, tt.to, err)
				}
				return
			}
			wantRefusal(t, err, tt.from, tt.to)
		})
	}
}

func TestCanTransitionUnknownStatus(t *testing.T) {
	for _, s := range tenant.Statuses {
		if tenant.CanTransition("paused", s) || tenant.CanTransition(s, "paused") {
			t.Errorf("CanTransition with unknown status and %s: got true, want false", s)
		}
	}
}

// wantRefusal checks an invalid_transition error naming both states.
func wantRefusal(t *testing.T, err error, from, to tenant.Status) {
	t.Helper()
	if got := core.ErrorCode(err); got != core.InvalidTransition {
		t.Fatalf("code: got %q (%v), want %q", got, err, core.InvalidTransition)
	}
	if got := core.ErrorCode(err).Class(); got != core.Conflict {
		t.Errorf("class: got %q, want %q", got, core.Conflict)
	}
	msg := core.ErrorMessage(err)
	if !strings.Contains(msg, string(from)) || !strings.Contains(msg, string(to)) {
		t.Errorf("message: got %q, want it to name %q and %q", msg, from, to)
	}
}

// reach creates a tenant and moves it to status s through the service.
func (f fixture) reach(t *testing.T, s tenant.Status) tenant.Tenant {
	t.Helper()
	ctx := context.Background()
	tn := f.create(t, nil)
	var path []func(context.Context, string) (tenant.Tenant, error)
	switch s {
	case tenant.StatusTrial:
	case tenant.StatusActive:
		path = append(path, f.svc.Activate)
	case tenant.StatusSuspended:
		path = append(path, f.svc.Activate, f.svc.Suspend)
	case tenant.StatusCancelled:
		path = append(path, f.svc.Cancel)
	default:
		t.Fatalf("reach: unknown status %q", s)
	}
	for _, step := range path {
		var err error
		if tn, err = step(ctx, tn.ID); err != nil {
			t.Fatalf("reaching %s: %v", s, err)
		}
	}
	if tn.Status != s {
		t.Fatalf("reach: got status %q, want %q", tn.Status, s)
	}
	return tn
}

func TestServiceTransition(t *testing.T) {
	ctx := context.Background()
	for _, tt := range lifecycle {
		t.Run(fmt.Sprintf("%s to %s", tt.from, tt.to), func(t *testing.T) {
			f := newFixture(t)
			before := f.reach(t, tt.from)
			at := f.clock.peek()
			got, err := f.svc.Transition(ctx, before.ID, tt.to)
			if !tt.allowed {
				wantRefusal(t, err, tt.from, tt.to)
				if diff := cmp.Diff(before, f.get(t, before.ID)); diff != "" {
					t.Errorf("a refused move changed the tenant (-before +after):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Transition(%s -> %s): got %v, want nil", tt.from, tt.to, err)
			}
			if got.Status != tt.to {
				t.Errorf("status: got %q, want %q", got.Status, tt.to)
			}
			if !got.UpdatedAt.Equal(at) {
				t.Errorf("updatedAt: got %v, want %v", got.UpdatedAt, at)
			}
			if !got.CreatedAt.Equal(before.CreatedAt) {
				t.Errorf("createdAt: got %v, want %v", got.CreatedAt, before.CreatedAt)
			}
			if diff := cmp.Diff(got, f.get(t, before.ID)); diff != "" {
				t.Errorf("stored tenant differs from the returned one (-returned +stored):\n%s", diff)
			}
		})
	}
}

func TestLifecycleShortcuts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tn := f.create(t, nil)
	steps := []struct {
		name string
		move func(context.Context, string) (tenant.Tenant, error)
		want tenant.Status
	}{
		{"activate", f.svc.Activate, tenant.StatusActive},
		{"suspend", f.svc.Suspend, tenant.StatusSuspended},
		{"activate again", f.svc.Activate, tenant.StatusActive},
		{"cancel", f.svc.Cancel, tenant.StatusCancelled},
	}
	for _, s := range steps {
		got, err := s.move(ctx, tn.ID)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got.Status != s.want {
			t.Fatalf("%s: got status %q, want %q", s.name, got.Status, s.want)
		}
	}
	_, err := f.svc.Activate(ctx, tn.ID)
	wantRefusal(t, err, tenant.StatusCancelled, tenant.StatusActive)
}

func TestTransitionErrors(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	live := f.create(t, nil)
	gone := f.create(t, func(in *tenant.CreateInput) { in.Subdomain = "gone" })
	if _, err := f.svc.Delete(ctx, gone.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	tests := []struct {
		name string
		id   string
		to   tenant.Status
		want core.Code
	}{
		{"unknown status", live.ID, "paused", core.Invalid},
		{"empty status", live.ID, "", core.Invalid},
		{"unknown tenant", "tn_doesnotexist", tenant.StatusActive, core.NotFound},
		{"malformed id", "nope", tenant.StatusActive, core.NotFound},
		{"deleted tenant", gone.ID, tenant.StatusActive, core.TenantDeleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Transition(ctx, tt.id, tt.to)
			wantCode(t, err, tt.want)
			if tt.want == core.Invalid {
				wantFields(t, err, "status")
			}
		})
	}
	if diff := cmp.Diff(live, f.get(t, live.ID)); diff != "" {
		t.Errorf("failed moves changed the tenant (-before +after):\n%s", diff)
	}
}

func TestStatusValid(t *testing.T) {
	tests := []struct {
		s    tenant.Status
		want bool
	}{
		{"trial", true}, {"active", true}, {"suspended", true}, {"cancelled", true},
		{"", false}, {"Trial", false}, {"canceled", false}, {"deleted", false},
	}
	for _, tt := range tests {
		if got := tt.s.Valid(); got != tt.want {
			t.Errorf("Status(%q).Valid(): got %v, want %v", tt.s, got, tt.want)
		}
	}
}
