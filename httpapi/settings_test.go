package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

type settingsBody struct {
	Branding struct {
		DisplayName  string `json:"displayName"`
		PrimaryColor string `json:"primaryColor"`
	} `json:"branding"`
	Identity struct {
		LoginMethods struct {
			OTP bool `json:"otp"`
		} `json:"loginMethods"`
		OTP struct {
			Length          int `json:"length"`
			LifetimeSeconds int `json:"lifetimeSeconds"`
		} `json:"otp"`
	} `json:"identity"`
	Version int `json:"version"`
}

func decodeSettings(t *testing.T, res *resp) settingsBody {
	t.Helper()
	var s settingsBody
	if err := json.Unmarshal(res.body, &s); err != nil {
		t.Fatalf("decoding %s: %v", res.body, err)
	}
	return s
}

func TestSettingsEndpoints(t *testing.T) {
	e := newOTPEnv(t)
	res := e.do(t, req{method: "GET", path: "/settings"})
	res.wantStatus(t, http.StatusOK)
	if s := decodeSettings(t, res); s.Version != 0 || !s.Identity.LoginMethods.OTP || s.Identity.OTP.Length != 6 || s.Identity.OTP.LifetimeSeconds != 120 {
		t.Errorf("GET /settings before any change: got %+v, want the defaults", s)
	}
	res = e.do(t, req{method: "PATCH", path: "/settings", body: `{"branding":{"displayName":"Acme","primaryColor":"#ff6600"},"identity":{"otp":{"length":8,"lifetimeSeconds":300}}}`})
	res.wantStatus(t, http.StatusOK)
	if s := decodeSettings(t, res); s.Version != 1 || s.Branding.DisplayName != "Acme" || s.Identity.OTP.Length != 8 {
		t.Errorf("PATCH /settings: got %+v, want version 1 with the changes", s)
	}
	// The change takes effect at once: 8-digit codes living 300 s.
	sent := e.send(t, otpPhone, otpTenant)
	if code := e.box.next(t).Code; len(code) != 8 || sent.ExpiresIn != 300 {
		t.Errorf("after the change: got a %d-digit code living %d s, want 8 digits and 300 s", len(code), sent.ExpiresIn)
	}
	// Turning OTP login off refuses sends.
	e.do(t, req{method: "PATCH", path: "/settings", body: `{"identity":{"loginMethods":{"otp":false}}}`}).wantStatus(t, http.StatusOK)
	e.clock.advance(time.Minute)
	res = e.do(t, req{method: "POST", path: "/auth/otp/send", auth: "-", body: `{"phone":"+905321234567","tenantId":"tn_otptest"}`})
	wantProblemCode(t, "a send with OTP login off", res, http.StatusForbidden, core.Forbidden)

	res = e.do(t, req{method: "PATCH", path: "/settings", body: `{"branding":{"primaryColor":"red"},"identity":{"otp":{"length":3},"providers":{"entra":{"enabled":true}}}}`})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	var got []string
	for _, f := range res.problem(t).Errors {
		got = append(got, f.Field)
	}
	slices.Sort(got)
	want := []string{"branding.primaryColor", "identity.otp.length", "identity.providers.entra.allowedTenants", "identity.providers.entra.clientId"}
	if !slices.Equal(got, want) {
		t.Errorf("invalid PATCH: got fields %v, want %v", got, want)
	}
	e.do(t, req{method: "PATCH", path: "/settings", body: `{"branding":{"colour":"red"}}`}).wantStatus(t, http.StatusBadRequest)

	// Turning password login off refuses tenant users, not the platform's staff.
	if _, err := e.p.Identity().CreateUser(context.Background(), identity.CreateUserInput{TenantID: otpTenant, Name: "Pat", Email: "pat@example.com",
		Role: identity.RoleTenantMember, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.p.EnsureSuperAdmin(context.Background(), atomix.SuperAdminInput{Name: "Root", Email: rootEmail, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	login := func(email, tenantID string) *resp {
		return e.do(t, req{method: "POST", path: "/auth/login", auth: "-", body: jsonBody(map[string]string{"email": email, "password": testPassword, "tenantId": tenantID})})
	}
	login("pat@example.com", otpTenant).wantStatus(t, http.StatusOK)
	e.do(t, req{method: "PATCH", path: "/settings", body: `{"identity":{"loginMethods":{"password":false,"otp":true}}}`}).wantStatus(t, http.StatusOK)
	wantProblemCode(t, "a tenant user's password login turned off", login("pat@example.com", otpTenant), http.StatusForbidden, core.Forbidden)
	login(rootEmail, "").wantStatus(t, http.StatusOK)
	e.do(t, req{method: "GET", path: "/settings", auth: "-"}).wantStatus(t, http.StatusUnauthorized)
}

// TestTenantSettingsEndpoints checks GET and PATCH
// /tenants/{tenantId}/settings: a tenant admin brands its tenant and turns
// password login off for its users, which POST /auth/login then refuses
// to them alone; another tenant's settings do not exist for it.
func TestTenantSettingsEndpoints(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	a, _ := e.createTenant(t, "alpha", testPassword)
	b, _ := e.createTenant(t, "bravo", testPassword)
	adminA := "Bearer " + e.login(t, a.AdminUser.Email, testPassword, a.ID).tokens(t).AccessToken

	type tenantSettings struct {
		TenantID string `json:"tenantId"`
		Branding struct {
			PrimaryColor string `json:"primaryColor"`
		} `json:"branding"`
		Identity struct {
			Effective struct {
				Password bool `json:"password"`
				OTP      bool `json:"otp"`
			} `json:"effectiveLoginMethods"`
		} `json:"identity"`
		Version int `json:"version"`
	}
	decode := func(res *resp) tenantSettings {
		t.Helper()
		var s tenantSettings
		if err := json.Unmarshal(res.body, &s); err != nil {
			t.Fatalf("decoding %s: %v", res.body, err)
		}
		return s
	}
	res := e.do(t, req{method: "PATCH", path: "/tenants/" + a.ID + "/settings", auth: adminA,
		body: `{"branding":{"primaryColor":"#ff6600"},"identity":{"loginMethods":{"password":false}}}`})
	res.wantStatus(t, http.StatusOK)
	if s := decode(res); s.TenantID != a.ID || s.Branding.PrimaryColor != "#ff6600" || s.Identity.Effective.Password || !s.Identity.Effective.OTP || s.Version != 1 {
		t.Errorf("PATCH A's settings: got %+v, want A's, #ff6600, password off, OTP on, version 1", s)
	}
	wantProblemCode(t, "A's admin logging in with a password", e.login(t, a.AdminUser.Email, testPassword, a.ID), http.StatusForbidden, core.Forbidden)
	e.login(t, b.AdminUser.Email, testPassword, b.ID).wantStatus(t, http.StatusOK)

	tests := []struct {
		name   string
		rq     req
		status int
		fields []string
	}{
		{"A's admin reads B's", req{method: "GET", path: "/tenants/" + b.ID + "/settings", auth: adminA}, http.StatusNotFound, nil},
		{"A's admin changes B's", req{method: "PATCH", path: "/tenants/" + b.ID + "/settings", auth: adminA, body: `{"branding":{"displayName":"Mine"}}`}, http.StatusNotFound, nil},
		{"no method left", req{method: "PATCH", path: "/tenants/" + a.ID + "/settings", auth: adminA, body: `{"identity":{"loginMethods":{"otp":false}}}`}, http.StatusUnprocessableEntity, []string{"identity.loginMethods"}},
		{"a bad logo", req{method: "PATCH", path: "/tenants/" + a.ID + "/settings", auth: adminA, body: `{"branding":{"logoUrl":"http://x.example.com/l.png"}}`}, http.StatusUnprocessableEntity, []string{"branding.logoUrl"}},
		{"an unknown key", req{method: "PATCH", path: "/tenants/" + a.ID + "/settings", auth: adminA, body: `{"licensing":{"seats":5}}`}, http.StatusBadRequest, nil},
		{"the platform reads B's", req{method: "GET", path: "/tenants/" + b.ID + "/settings"}, http.StatusOK, nil},
	}
	for _, tt := range tests {
		res := e.do(t, tt.rq)
		res.wantStatus(t, tt.status)
		if tt.fields == nil {
			continue
		}
		var got []string
		for _, f := range res.problem(t).Errors {
			got = append(got, f.Field)
		}
		if !slices.Equal(got, tt.fields) {
			t.Errorf("%s: got fields %v, want %v", tt.name, got, tt.fields)
		}
	}
}
