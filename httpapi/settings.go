package httpapi

import (
	"net/http"
	"reflect"

	"github.com/atomixplatform/atomix/settings"
)

// The platform's settings (seed 001): GET and PATCH /settings, for the
// super admin (the route table's default rule). They are read from the
// store on every request, so a change takes effect at once.

// settingsPatchShape is the key shape of PATCH /settings; built once, read
// only.
var settingsPatchShape = shapeOf(reflect.TypeFor[settings.Patch]())

// getSettings serves GET /settings.
func (h *handler) getSettings(c *call, r *http.Request) error {
	s, err := h.p.Settings(r.Context())
	if err != nil {
		return err
	}
	noStore(c) // holds the license key
	return h.writeBody(c, http.StatusOK, &s)
}

// updateSettings serves PATCH /settings: the fields given change, the
// result is validated as a whole (422 naming every bad field), and the
// new settings are answered.
func (h *handler) updateSettings(c *call, r *http.Request) error {
	var p settings.Patch
	if err := decode(r, &p, settingsPatchShape); err != nil {
		return err
	}
	s, err := h.p.UpdateSettings(r.Context(), p)
	if err != nil {
		return err
	}
	noStore(c)
	return h.writeBody(c, http.StatusOK, &s)
}

// tenantSettingsPatchShape is the key shape of PATCH
// /tenants/{tenantId}/settings; built once, read only.
var tenantSettingsPatchShape = shapeOf(reflect.TypeFor[settings.TenantPatch]())

// getTenantSettings serves GET /tenants/{tenantId}/settings: the tenant's
// branding and login methods, reached like the tenant record.
func (h *handler) getTenantSettings(c *call, r *http.Request) error {
	s, err := h.p.TenantSettings(r.Context(), r.PathValue("tenantId"))
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, &s)
}

// updateTenantSettings serves PATCH /tenants/{tenantId}/settings: the
// fields given change, the result is validated within what the platform
// allows, and the new settings are answered.
func (h *handler) updateTenantSettings(c *call, r *http.Request) error {
	var p settings.TenantPatch
	if err := decode(r, &p, tenantSettingsPatchShape); err != nil {
		return err
	}
	s, err := h.p.UpdateTenantSettings(r.Context(), r.PathValue("tenantId"), p)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, &s)
}
