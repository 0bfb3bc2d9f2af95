package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/atomixplatform/atomix/core"
)

// MaxQueryLen bounds the q filter of List.
const MaxQueryLen = 200

// Service applies the tenant rules over a Store. It is safe for concurrent
// use.
type Service struct {
	store    Store
	now      core.Clock
	reserved map[string]bool
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock; the default is the system clock.
func WithClock(c core.Clock) Option { return func(s *Service) { s.now = c } }

// WithReserved replaces the reserved subdomains (DefaultReserved by
// default). Entries are normalized.
func WithReserved(names []string) Option {
	return func(s *Service) {
		s.reserved = make(map[string]bool, len(names))
		for _, n := range names {
			s.reserved[NormalizeSubdomain(n)] = true
		}
	}
}

// NewService returns a Service over st.
func NewService(st Store, opts ...Option) *Service {
	s := &Service{store: st}
	WithReserved(DefaultReserved)(s)
	for _, o := range opts {
		o(s)
	}
	return s
}

// WithStore returns a copy of s that works on st, typically a transaction.
func (s *Service) WithStore(st Store) *Service {
	c := *s
	c.store = st
	return &c
}

// Now returns the service's current time.
func (s *Service) Now() core.Clock { return s.now }

// CreateInput is the input of Create.
type CreateInput struct {
	Name      string
	Subdomain string
	PlanID    string
	Contact   Contact
	Settings  Settings
	OwnerID   string
}

// Validate checks in and returns the normalized input, or a core.Invalid
// error naming every bad field.
func (s *Service) Validate(in CreateInput) (CreateInput, error) {
	var f core.Fields
	in.Name = strings.TrimSpace(in.Name)
	validateName(&f, "name", in.Name, true)
	in.Subdomain = NormalizeSubdomain(in.Subdomain)
	if in.Subdomain == "" {
		f.Add("subdomain", "is required")
	} else if m := ValidateSubdomain(in.Subdomain, s.reserved); m != "" {
		f.Add("subdomain", "%s", m)
	}
	if m := ValidatePlanID(in.PlanID); m != "" {
		f.Add("planId", "%s", m)
	}
	in.Contact.Name = strings.TrimSpace(in.Contact.Name)
	in.Contact.Email = strings.TrimSpace(in.Contact.Email)
	validateContact(&f, in.Contact)
	validateSettings(&f, in.Settings)
	if err := f.Err(); err != nil {
		return in, err
	}
	in.Settings.Extra = compactExtra(in.Settings.Extra)
	return in, nil
}

// compactExtra returns a copy of extra with every value as compact JSON, so
// that free-form settings read back byte for byte from every store.
func compactExtra(extra map[string]json.RawMessage) map[string]json.RawMessage {
	if extra == nil {
		return nil
	}
	out := make(map[string]json.RawMessage, len(extra))
	for k, v := range extra {
		out[k] = compact(v)
	}
	return out
}

// Create validates in and stores a new tenant in status trial.
// Errors: core.Invalid with fields; core.SubdomainTaken.
func (s *Service) Create(ctx context.Context, in CreateInput) (Tenant, error) {
	in, err := s.Validate(in)
	if err != nil {
		return Tenant{}, err
	}
	now := s.now.Now()
	t := Tenant{
		ID:        core.NewID(core.PrefixTenant),
		Name:      in.Name,
		Subdomain: in.Subdomain,
		Status:    StatusTrial,
		PlanID:    in.PlanID,
		Contact:   in.Contact,
		Settings:  in.Settings,
		OwnerID:   in.OwnerID,
		CreatedAt: now,
		UpdatedAt: now,
	}
	if err := s.store.CreateTenant(ctx, t); err != nil {
		return Tenant{}, err
	}
	return t, nil
}

// Get returns the tenant with the ID, including a soft-deleted one (its
// DeletedAt is set). Errors: core.NotFound.
func (s *Service) Get(ctx context.Context, id string) (Tenant, error) {
	if !core.ValidID(core.PrefixTenant, id) {
		return Tenant{}, core.Errorf(core.NotFound, "tenant %q not found", id)
	}
	return s.store.GetTenant(ctx, id)
}

// ListQuery is the input of List.
type ListQuery struct {
	Status Status
	// Plan is a plan ID ("plan_professional") or its short key
	// ("professional").
	Plan           string
	Query          string
	OwnerID        string
	IncludeDeleted bool
	Page           core.PageRequest
}

// ListFilter checks q and returns the store filter it asks for.
// Errors: core.Invalid naming every bad field among "status", "plan", "q",
// "page" and "limit".
func ListFilter(q ListQuery) (Filter, error) {
	var f core.Fields
	page, err := q.Page.Normalize()
	if err != nil {
		var ce *core.Error
		if errors.As(err, &ce) {
			f = append(f, ce.Fields...)
		}
	}
	if q.Status != "" && !q.Status.Valid() {
		f.Add("status", "must be one of trial, active, suspended, cancelled")
	}
	planID := PlanIDFromKey(q.Plan)
	if m := ValidatePlanID(planID); m != "" {
		f.Add("plan", "%s", m)
	}
	if len(q.Query) > MaxQueryLen || !utf8.ValidString(q.Query) {
		f.Add("q", "must be valid UTF-8 of at most %d bytes", MaxQueryLen)
	}
	if err := f.Err(); err != nil {
		return Filter{}, err
	}
	return Filter{
		Status:         q.Status,
		PlanID:         planID,
		Query:          strings.TrimSpace(q.Query),
		OwnerID:        q.OwnerID,
		IncludeDeleted: q.IncludeDeleted,
		Page:           page,
	}, nil
}

// List returns one page of tenants, ordered by creation time then ID.
// Errors: core.Invalid naming every bad field among "status", "plan", "q",
// "page" and "limit".
func (s *Service) List(ctx context.Context, q ListQuery) (core.Page[Tenant], error) {
	filter, err := ListFilter(q)
	if err != nil {
		return core.Page[Tenant]{}, err
	}
	items, total, err := s.store.ListTenants(ctx, filter)
	if err != nil {
		return core.Page[Tenant]{}, err
	}
	return core.NewPage(filter.Page, items, total), nil
}

// UpdateInput changes some of a tenant's fields; nil fields are left as
// they are.
type UpdateInput struct {
	Name    *string
	PlanID  *string
	Contact *ContactPatch
	// Settings is merged into the tenant's settings key by key, as a JSON
	// merge patch (RFC 7396): a key with a JSON null removes that key.
	Settings map[string]json.RawMessage
}

// ContactPatch changes some contact fields; nil fields are left as they
// are, and an empty Phone removes the phone.
type ContactPatch struct {
	Name  *string
	Email *string
	Phone *string
}

// Update changes a tenant's name, plan, contact or settings.
// Errors: core.NotFound; core.TenantDeleted; core.Invalid with fields.
func (s *Service) Update(ctx context.Context, id string, in UpdateInput) (Tenant, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return Tenant{}, err
	}
	return s.store.UpdateTenant(ctx, id, func(t Tenant) (Tenant, error) {
		if t.Deleted() {
			return t, deletedErr(t.ID)
		}
		var f core.Fields
		if in.Name != nil {
			t.Name = strings.TrimSpace(*in.Name)
			validateName(&f, "name", t.Name, true)
		}
		if in.PlanID != nil {
			t.PlanID = *in.PlanID
			if m := ValidatePlanID(t.PlanID); m != "" {
				f.Add("planId", "%s", m)
			}
		}
		if c := in.Contact; c != nil {
			if c.Name != nil {
				t.Contact.Name = strings.TrimSpace(*c.Name)
			}
			if c.Email != nil {
				t.Contact.Email = strings.TrimSpace(*c.Email)
			}
			if c.Phone != nil {
				t.Contact.Phone = *c.Phone
			}
			validateContact(&f, t.Contact)
		}
		if in.Settings != nil {
			merged, err := mergeSettings(t.Settings, in.Settings)
			if err != nil {
				f.Add("settings", "%s", err.Error())
			} else {
				t.Settings = merged
				validateSettings(&f, t.Settings)
			}
		}
		if err := f.Err(); err != nil {
			return t, err
		}
		t.UpdatedAt = s.now.Now()
		return t, nil
	})
}

// Delete soft-deletes a tenant: it sets DeletedAt, hides the tenant from
// lists unless asked, and frees its subdomain.
// Errors: core.NotFound; core.TenantDeleted when already deleted.
func (s *Service) Delete(ctx context.Context, id string) (Tenant, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return Tenant{}, err
	}
	return s.store.UpdateTenant(ctx, id, func(t Tenant) (Tenant, error) {
		if t.Deleted() {
			return t, deletedErr(t.ID)
		}
		now := s.now.Now()
		t.DeletedAt = &now
		t.UpdatedAt = now
		return t, nil
	})
}

// Transition moves a tenant to status to, as the lifecycle table allows.
// Errors: core.NotFound; core.TenantDeleted; core.InvalidTransition naming
// both states; core.Invalid for an unknown status.
func (s *Service) Transition(ctx context.Context, id string, to Status) (Tenant, error) {
	if !to.Valid() {
		return Tenant{}, core.InvalidField("status", "must be one of trial, active, suspended, cancelled")
	}
	if _, err := s.Get(ctx, id); err != nil {
		return Tenant{}, err
	}
	return s.store.UpdateTenant(ctx, id, func(t Tenant) (Tenant, error) {
		if t.Deleted() {
			return t, deletedErr(t.ID)
		}
		if err := CheckTransition(t.Status, to); err != nil {
			return t, err
		}
		t.Status = to
		t.UpdatedAt = s.now.Now()
		return t, nil
	})
}

// Activate moves a trial or suspended tenant to active. Errors: as Transition.
func (s *Service) Activate(ctx context.Context, id string) (Tenant, error) {
	return s.Transition(ctx, id, StatusActive)
}

// Suspend moves an active (or trial) tenant to suspended. Errors: as
// Transition.
func (s *Service) Suspend(ctx context.Context, id string) (Tenant, error) {
	return s.Transition(ctx, id, StatusSuspended)
}

// Cancel moves a tenant to cancelled, which is terminal. Errors: as
// Transition.
func (s *Service) Cancel(ctx context.Context, id string) (Tenant, error) {
	return s.Transition(ctx, id, StatusCancelled)
}

func deletedErr(id string) error {
	return core.Errorf(core.TenantDeleted, "tenant %s is deleted", id)
}

func mergeSettings(cur Settings, patch map[string]json.RawMessage) (Settings, error) {
	flat, err := json.Marshal(cur)
	if err != nil {
		return cur, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(flat, &m); err != nil {
		return cur, err
	}
	for k, v := range patch {
		if !json.Valid(v) {
			return cur, fmt.Errorf("the value of %q must be valid JSON", k)
		}
		if string(compact(v)) == "null" {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return cur, err
	}
	var out Settings
	if err := json.Unmarshal(b, &out); err != nil {
		return cur, errors.New("industry and companySize must be strings")
	}
	return out, nil
}
