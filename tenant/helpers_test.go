package tenant_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store/memory"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

// t0 is the first time the test clock returns.
var t0 = time.Date(2025, 1, 15, 9, 30, 0, 0, time.UTC)

// testClock returns start, then start+step, start+2*step, ... It is safe for
// concurrent use; a zero step returns the same time forever.
type testClock struct {
	mu   sync.Mutex
	next time.Time
	step time.Duration
}

func newClock(step time.Duration) *testClock { return &testClock{next: t0, step: step} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.next
	c.next = c.next.Add(c.step)
	return t
}

// peek returns the time the next call will return.
func (c *testClock) peek() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next
}

type fixture struct {
	svc   *tenant.Service
	store *memory.Store
	clock *testClock
}

func newFixture(t *testing.T, opts ...tenant.Option) fixture {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	clk := newClock(time.Second)
	opts = append([]tenant.Option{tenant.WithClock(clk.now)}, opts...)
	return fixture{svc: tenant.NewService(st, opts...), store: st, clock: clk}
}

// validInput is seed 000's example body.
func validInput() tenant.CreateInput {
	return tenant.CreateInput{
		Name:      "Acme Corporation",
		Subdomain: "acme",
		PlanID:    "plan_professional",
		Contact:   tenant.Contact{Name: "John Doe", Email: "john@acme.com", Phone: "+905321234567"},
		Settings:  tenant.Settings{Industry: "technology", CompanySize: "51-200"},
	}
}

func (f fixture) create(t *testing.T, mod func(*tenant.CreateInput)) tenant.Tenant {
	t.Helper()
	in := validInput()
	if mod != nil {
		mod(&in)
	}
	tn, err := f.svc.Create(context.Background(), in)
	if err != nil {
		t.Fatalf("Create(%q): %v", in.Subdomain, err)
	}
	return tn
}

func (f fixture) get(t *testing.T, id string) tenant.Tenant {
	t.Helper()
	tn, err := f.svc.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return tn
}

// all lists every tenant, deleted ones included.
func (f fixture) all(t *testing.T) []tenant.Tenant {
	t.Helper()
	p, err := f.svc.List(context.Background(), tenant.ListQuery{IncludeDeleted: true, Page: core.PageRequest{Limit: core.MaxLimit}})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return p.Items
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("error code: got %q (%v), want %q", got, err, code)
	}
}

// invalidFields returns the sorted field names of an Invalid error, and
// fails when err is not one.
func invalidFields(t *testing.T, err error) []string {
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

// wantFields fails unless err is Invalid naming exactly fields.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	want := append([]string(nil), fields...)
	sort.Strings(want)
	if diff := cmp.Diff(want, invalidFields(t, err)); diff != "" {
		t.Errorf("invalid fields (-want +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }
