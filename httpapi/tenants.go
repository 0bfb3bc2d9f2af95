package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
)

// createTenantRequest is the body of POST /tenants (seed 000).
type createTenantRequest struct {
	Name         string          `json:"name"`
	Subdomain    string          `json:"subdomain"`
	PlanID       string          `json:"planId"`
	Contact      contactBody     `json:"contact"`
	InitialAtoms []string        `json:"initialAtoms"`
	Settings     json.RawMessage `json:"settings"`
	OwnerID      string          `json:"ownerId"` // resellers.go
	Password     string          `json:"password"`
	BillingCycle string          `json:"billingCycle"` // subscriptions.go
}

type contactBody struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// updateTenantRequest is the body of PATCH /tenants/{tenantId}: absent
// members are left as they are; settings is a JSON merge patch (a null
// value removes the key).
type updateTenantRequest struct {
	Name     *string                    `json:"name"`
	PlanID   *string                    `json:"planId"`
	Contact  *contactPatchBody          `json:"contact"`
	Settings map[string]json.RawMessage `json:"settings"`
}

type contactPatchBody struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
	Phone *string `json:"phone"`
}

// shapes holds the key shapes of the request bodies, derived once.
type shapes struct {
	createTenant, updateTenant *shape
	installAtom, updateAtom    *shape // atoms.go
}

func newShapes() shapes {
	return shapes{
		createTenant: shapeOf(reflect.TypeFor[createTenantRequest]()),
		updateTenant: shapeOf(reflect.TypeFor[updateTenantRequest]()),
		installAtom:  shapeOf(reflect.TypeFor[installAtomRequest]()),
		updateAtom:   shapeOf(reflect.TypeFor[updateAtomRequest]()),
	}
}

// listTenants serves GET /tenants?page&limit&status&plan&q&includeDeleted.
func (h *handler) listTenants(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "page", "limit", "status", "plan", "q", "includeDeleted")
	page, err := core.ParsePageRequest(q.Get("page"), q.Get("limit"))
	if err != nil {
		var ce *core.Error
		if !errors.As(err, &ce) {
			return err
		}
		f = append(f, ce.Fields...)
	}
	includeDeleted := false
	switch q.Get("includeDeleted") {
	case "", "false":
	case "true":
		includeDeleted = true
	default:
		f.Add("includeDeleted", "must be true or false")
	}
	lq := tenant.ListQuery{
		Status:         tenant.Status(q.Get("status")),
		Plan:           q.Get("plan"),
		Query:          q.Get("q"),
		IncludeDeleted: includeDeleted,
		Page:           page,
	}
	if len(f) > 0 {
		// Name every bad parameter at once: add what the domain finds
		// wrong with the rest.
		var ce *core.Error
		if _, err := tenant.ListFilter(lq); errors.As(err, &ce) {
			for _, fe := range ce.Fields {
				if !slices.ContainsFunc(f, func(x core.FieldError) bool { return x.Field == fe.Field }) {
					f = append(f, fe)
				}
			}
		}
		slices.SortStableFunc(f, func(a, b core.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return f.Err()
	}
	pg, err := h.p.ListTenants(r.Context(), lq)
	if err != nil {
		return err
	}
	return h.writeTenantPage(c, &pg)
}

// createTenant serves POST /tenants through Platform.CreateTenant.
func (h *handler) createTenant(c *call, r *http.Request) error {
	var in createTenantRequest
	if err := decode(r, &in, h.shapes.createTenant); err != nil {
		return err
	}
	settings, err := decodeSettings(in.Settings)
	if err != nil {
		return err
	}
	out, err := h.p.CreateTenant(r.Context(), atomix.CreateTenantInput{
		Name:      in.Name,
		Subdomain: in.Subdomain,
		PlanID:    in.PlanID,
		Contact: tenant.Contact{
			Name:  in.Contact.Name,
			Email: in.Contact.Email,
			Phone: in.Contact.Phone,
		},
		Settings:     settings,
		InitialAtoms: in.InitialAtoms,
		OwnerID:      in.OwnerID,
		Password:     in.Password,
		Interval:     tenantInterval(in.BillingCycle),
	})
	if err != nil {
		return err
	}
	c.Header().Set("Location", h.prefix+"/tenants/"+out.Tenant.ID)
	return h.writeCreatedTenant(c, &out)
}

// tenantInterval maps the billingCycle of POST /tenants to the
// subscription's interval; a cycle that is not monthly or yearly maps to
// an interval the library refuses, naming billingCycle among the other
// bad fields.
func tenantInterval(cycle string) billing.Interval {
	if cycle == "" {
		return ""
	}
	if iv, ok := billingCycles[cycle]; ok {
		return iv
	}
	return billing.Interval("invalid")
}

// decodeSettings reads the settings member of a create body: an object
// whose industry and companySize are strings, or null.
func decodeSettings(raw json.RawMessage) (tenant.Settings, error) {
	var s tenant.Settings
	if len(raw) == 0 {
		return s, nil
	}
	// A non-object is refused here: tenant.Settings would take a JSON
	// string or number apart otherwise.
	if raw[0] != '{' && string(raw) != "null" {
		return s, typeError("settings", reflect.TypeFor[map[string]any]())
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field != "" {
			// tenant.Settings names its fields with or without the
			// "settings." of the enclosing member; name them with it.
			field := typ.Field
			if !strings.HasPrefix(field, "settings.") {
				field = "settings." + field
			}
			return s, typeError(field, typ.Type)
		}
		return s, typeError("settings", reflect.TypeFor[map[string]any]())
	}
	return s, nil
}

// getTenant serves GET /tenants/{tenantId}; a soft-deleted tenant is
// returned with its deletedAt.
func (h *handler) getTenant(c *call, r *http.Request) error {
	t, err := h.p.GetTenant(r.Context(), r.PathValue("tenantId"))
	if err != nil {
		return err
	}
	// Seed 002: the tenant with its usage in the current period, when it
	// has a subscription and the caller may see usage.
	rep, err := h.p.TenantUsage(r.Context(), t.ID, time.Time{})
	switch core.ErrorCode(err) {
	case "":
	case core.NotFound, core.Forbidden:
		return h.writeTenant(c, http.StatusOK, &t)
	default:
		return err
	}
	bp := h.getBuf()
	defer h.putBuf(bp)
	b, err := appendTenant((*bp)[:0], &t)
	if err != nil {
		*bp = b
		return err
	}
	b = append(b[:len(b)-1], `,"usage":`...)
	b = append(appendUsageMap(b, rep.Metrics), '}')
	*bp = b
	writeJSON(c, http.StatusOK, b)
	return nil
}

// updateTenant serves PATCH /tenants/{tenantId}.
func (h *handler) updateTenant(c *call, r *http.Request) error {
	var in updateTenantRequest
	if err := decode(r, &in, h.shapes.updateTenant); err != nil {
		return err
	}
	// The known settings are strings, as in POST; null removes them.
	for _, k := range [...]string{"industry", "companySize"} {
		if v, ok := in.Settings[k]; ok && v[0] != '"' && string(v) != "null" {
			return typeError("settings."+k, reflect.TypeFor[string]())
		}
	}
	up := tenant.UpdateInput{Name: in.Name, PlanID: in.PlanID, Settings: in.Settings}
	if in.Contact != nil {
		up.Contact = &tenant.ContactPatch{Name: in.Contact.Name, Email: in.Contact.Email, Phone: in.Contact.Phone}
	}
	t, err := h.p.UpdateTenant(r.Context(), r.PathValue("tenantId"), up)
	if err != nil {
		return err
	}
	return h.writeTenant(c, http.StatusOK, &t)
}

// deleteTenant serves DELETE /tenants/{tenantId}: a soft delete, answered
// 204.
func (h *handler) deleteTenant(c *call, r *http.Request) error {
	if _, err := h.p.DeleteTenant(r.Context(), r.PathValue("tenantId")); err != nil {
		return err
	}
	c.WriteHeader(http.StatusNoContent)
	return nil
}

// suspendTenant serves POST /tenants/{tenantId}/suspend.
func (h *handler) suspendTenant(c *call, r *http.Request) error {
	return h.transition(c, r, tenant.StatusSuspended)
}

// activateTenant serves POST /tenants/{tenantId}/activate.
func (h *handler) activateTenant(c *call, r *http.Request) error {
	return h.transition(c, r, tenant.StatusActive)
}

// cancelTenant serves POST /tenants/{tenantId}/cancel.
func (h *handler) cancelTenant(c *call, r *http.Request) error {
	return h.transition(c, r, tenant.StatusCancelled)
}

func (h *handler) transition(c *call, r *http.Request, to tenant.Status) error {
	t, err := h.p.TransitionTenant(r.Context(), r.PathValue("tenantId"), to)
	if err != nil {
		return err
	}
	return h.writeTenant(c, http.StatusOK, &t)
}
