package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/google/go-cmp/cmp"
)

// resellerWire is the wire form of a distributor or partner.
type resellerWire struct {
	ID             string            `json:"id"`
	DistributorID  string            `json:"distributorId"`
	Name           string            `json:"name"`
	Contact        map[string]string `json:"contact"`
	BillingAddress map[string]string `json:"billingAddress"`
	Registration   string            `json:"registrationNumber"`
	Website        string            `json:"website"`
	Status         string            `json:"status"`
	CreatedAt      string            `json:"createdAt"`
	UpdatedAt      string            `json:"updatedAt"`
	DeletedAt      *string           `json:"deletedAt"`
}

type customerWire struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Nickname     string  `json:"nickname"`
	AddressLine1 string  `json:"addressLine1"`
	Postcode     string  `json:"postcode"`
	Country      string  `json:"country"`
	OwnerID      string  `json:"ownerId"`
	Subdomain    string  `json:"subdomain"`
	Status       string  `json:"status"`
	CreatedAt    string  `json:"createdAt"`
	DeletedAt    *string `json:"deletedAt"`
}

type ownersWire struct {
	TenantID string `json:"tenantId"`
	Data     []struct {
		OwnerID   string  `json:"ownerId"`
		OwnerKind string  `json:"ownerKind"`
		ValidFrom string  `json:"validFrom"`
		ValidTo   *string `json:"validTo"`
	} `json:"data"`
}

type pageWire[T any] struct {
	Data       []T `json:"data"`
	Pagination struct {
		Total int `json:"total"`
	} `json:"pagination"`
}

func decodeAs[T any](t *testing.T, res *resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(res.body, &v); err != nil {
		t.Fatalf("decoding %s: %v", res.body, err)
	}
	return v
}

// resellerBody returns a valid POST /distributors body, or POST /partners
// with "distributorId" when dist is set.
func resellerBody(name, dist string) string {
	m := map[string]any{
		"name":               name,
		"contact":            map[string]string{"name": "Mia Wong", "email": "mia@" + strings.ToLower(strings.Fields(name)[0]) + ".example.com"},
		"billingAddress":     map[string]string{"line1": "100 George St", "postcode": "2000", "city": "Sydney", "country": "au"},
		"registrationNumber": "51 824 753 556",
		"website":            "https://example.com",
	}
	if dist != "" {
		m["distributorId"] = dist
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func (e *env) createReseller(t *testing.T, path, name, dist string) resellerWire {
	t.Helper()
	res := e.do(t, req{method: http.MethodPost, path: path, body: resellerBody(name, dist)})
	res.wantStatus(t, http.StatusCreated)
	return decodeAs[resellerWire](t, res)
}

func customerBody(name, owner string) string {
	b, _ := json.Marshal(map[string]string{
		"name": name, "nickname": name, "addressLine1": "123 Some Street", "postcode": "4000", "country": "AU", "ownerId": owner,
	})
	return string(b)
}

// chainState is everything the reseller endpoints may change.
type chainState struct {
	Resellers []reseller.Reseller
	Customers []reseller.Customer
	Owners    map[string][]reseller.Ownership
}

func (e *env) chain(t *testing.T) chainState {
	t.Helper()
	ctx := context.Background()
	st := e.p.Store()
	var s chainState
	var err error
	s.Resellers, _, err = st.ListResellers(ctx, reseller.Filter{IncludeDeleted: true, Page: core.PageRequest{Page: 1, Limit: core.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	s.Customers, _, err = st.ListCustomers(ctx, reseller.CustomerFilter{IncludeDeleted: true, Page: core.PageRequest{Page: 1, Limit: core.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	s.Owners = map[string][]reseller.Ownership{}
	for _, c := range s.Customers {
		if s.Owners[c.Tenant.ID], err = st.ListOwnerships(ctx, c.Tenant.ID); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestResellersMustShow is the must-show over HTTP: the platform
// creates a distributor and a partner under it; the partner's customers,
// two of them; a search by part of one name finds exactly that one; a move
// of one customer to another partner shows in its ownership history with
// its date.
func TestResellersMustShow(t *testing.T) {
	e := newEnv(t)
	dist := e.createReseller(t, "/distributors", "Northwind Distribution", "")
	partner := e.createReseller(t, "/partners", "Contoso Partner", dist.ID)
	other := e.createReseller(t, "/partners", "Fabrikam Partner", "")
	if partner.DistributorID != dist.ID || other.DistributorID != "" || dist.BillingAddress["country"] != "AU" {
		t.Errorf("got partners under %q and %q, country %q; want %s, none, AU", partner.DistributorID, other.DistributorID, dist.BillingAddress["country"], dist.ID)
	}

	var customers []customerWire
	for _, name := range []string{"Waqi SC01", "Blue Harbour Cafe"} {
		res := e.do(t, req{method: http.MethodPost, path: "/customers", body: customerBody(name, partner.ID)})
		res.wantStatus(t, http.StatusCreated)
		c := decodeAs[customerWire](t, res)
		if loc := res.header.Get("Location"); loc != "/v1/tenants/"+c.ID {
			t.Errorf("Location: got %q, want /v1/tenants/%s", loc, c.ID)
		}
		if c.OwnerID != partner.ID || c.Nickname != name || c.Status != "trial" {
			t.Errorf("customer: got %+v, want %s's, in trial", c, partner.ID)
		}
		customers = append(customers, c)
	}

	res := e.do(t, req{method: http.MethodGet, path: "/customers?ownerId=" + partner.ID + "&name=HARB"})
	res.wantStatus(t, http.StatusOK)
	found := decodeAs[pageWire[customerWire]](t, res)
	if len(found.Data) != 1 || found.Pagination.Total != 1 || found.Data[0].ID != customers[1].ID {
		t.Errorf("GET /customers?name=HARB: got %+v, want exactly %s", found, customers[1].ID)
	}
	// A distributor's customers include its partner's; the same tenants
	// are reachable through /tenants.
	res = e.do(t, req{method: http.MethodGet, path: "/customers?ownerId=" + dist.ID})
	res.wantStatus(t, http.StatusOK)
	if got := decodeAs[pageWire[customerWire]](t, res); got.Pagination.Total != 2 {
		t.Errorf("the distributor's customers: got %d, want its partner's 2", got.Pagination.Total)
	}
	e.do(t, req{method: http.MethodGet, path: "/tenants/" + customers[0].ID}).wantStatus(t, http.StatusOK)

	created, err := time.Parse(time.RFC3339, customers[0].CreatedAt)
	if err != nil {
		t.Fatal(err)
	}
	moved := created.Add(time.Second).Format(time.RFC3339)
	res = e.do(t, req{method: http.MethodPost, path: "/tenants/" + customers[0].ID + "/owner",
		body: fmt.Sprintf(`{"ownerId":%q,"effectiveFrom":%q}`, other.ID, moved)})
	res.wantStatus(t, http.StatusOK)
	res = e.do(t, req{method: http.MethodGet, path: "/tenants/" + customers[0].ID + "/owners"})
	res.wantStatus(t, http.StatusOK)
	hist := decodeAs[ownersWire](t, res)
	if len(hist.Data) != 2 {
		t.Fatalf("history: got %s, want two rows", res.body)
	}
	first, second := hist.Data[0], hist.Data[1]
	if first.OwnerID != partner.ID || first.OwnerKind != "partner" || first.ValidFrom != customers[0].CreatedAt ||
		first.ValidTo == nil || *first.ValidTo != moved {
		t.Errorf("first row: got %+v, want %s from %s to %s", first, partner.ID, customers[0].CreatedAt, moved)
	}
	if second.OwnerID != other.ID || second.ValidFrom != moved || second.ValidTo != nil {
		t.Errorf("second row: got %+v, want %s from %s, open", second, other.ID, moved)
	}
	res = e.do(t, req{method: http.MethodGet, path: "/customers?ownerId=" + other.ID})
	if got := decodeAs[pageWire[customerWire]](t, res); len(got.Data) != 1 || got.Data[0].ID != customers[0].ID || got.Data[0].OwnerID != other.ID {
		t.Errorf("the new owner's customers: got %+v, want the moved one", got)
	}
}

func TestResellerEndpoints(t *testing.T) {
	e := newEnv(t)
	dist := e.createReseller(t, "/distributors", "Northwind Distribution", "")
	partner := e.createReseller(t, "/partners", "Contoso Partner", dist.ID)
	if loc := e.do(t, req{method: http.MethodGet, path: "/distributors/" + dist.ID}); loc.status != http.StatusOK {
		t.Fatalf("GET the distributor: got %d", loc.status)
	}
	got := decodeAs[resellerWire](t, e.do(t, req{method: http.MethodGet, path: "/partners/" + partner.ID}))
	if diff := cmp.Diff(partner, got); diff != "" {
		t.Errorf("GET after POST differs (-post +get):\n%s", diff)
	}

	res := e.do(t, req{method: http.MethodPatch, path: "/partners/" + partner.ID,
		body: `{"status":"suspended","billingAddress":{"city":"","country":"nz"},"contact":{"phone":"+64212345678"}}`})
	res.wantStatus(t, http.StatusOK)
	up := decodeAs[resellerWire](t, res)
	if up.Status != "suspended" || up.BillingAddress["country"] != "NZ" || up.BillingAddress["city"] != "" || up.Contact["phone"] != "+64212345678" || up.DistributorID != dist.ID {
		t.Errorf("PATCH: got %+v", up)
	}

	list := func(path string) []string {
		t.Helper()
		res := e.do(t, req{method: http.MethodGet, path: path})
		res.wantStatus(t, http.StatusOK)
		var ids []string
		for _, r := range decodeAs[pageWire[resellerWire]](t, res).Data {
			ids = append(ids, r.ID)
		}
		return ids
	}
	for path, want := range map[string][]string{
		"/distributors":                              {dist.ID},
		"/partners":                                  {partner.ID},
		"/partners?distributorId=" + dist.ID:         {partner.ID},
		"/partners?status=active":                    nil,
		"/partners?q=CONTOSO&status=suspended":       {partner.ID},
		"/distributors?q=contoso":                    nil,
		"/distributors?includeDeleted=true&limit=1":  {dist.ID},
		"/partners?page=2":                           nil,
		"/partners?distributorId=dist_other&limit=5": nil,
	} {
		if got := list(path); !cmp.Equal(got, want) {
			t.Errorf("GET %s: got %v, want %v", path, got, want)
		}
	}

	// A customer created through /customers is a tenant; DELETE answers
	// it with its deletedAt.
	res = e.do(t, req{method: http.MethodPost, path: "/customers", body: customerBody("Gone Soon", dist.ID)})
	res.wantStatus(t, http.StatusCreated)
	c := decodeAs[customerWire](t, res)
	res = e.do(t, req{method: http.MethodDelete, path: "/customers/" + c.ID})
	res.wantStatus(t, http.StatusOK)
	if del := decodeAs[customerWire](t, res); del.DeletedAt == nil || del.Nickname != "Gone Soon" || del.ID != c.ID {
		t.Errorf("DELETE /customers: got %s, want the customer with its deletedAt", res.body)
	}
	if tn := e.do(t, req{method: http.MethodGet, path: "/tenants/" + c.ID}).tenant(t); tn.DeletedAt == nil {
		t.Errorf("GET /tenants after DELETE /customers: got no deletedAt")
	}
	res = e.do(t, req{method: http.MethodGet, path: "/customers?ownerId=" + dist.ID + "&includeDeleted=true"})
	if got := decodeAs[pageWire[customerWire]](t, res); len(got.Data) != 1 || got.Data[0].DeletedAt == nil {
		t.Errorf("deleted customers: got %s, want the deleted one", res.body)
	}

	// With the customer deleted, the distributor may go once its partner
	// has gone.
	e.do(t, req{method: http.MethodDelete, path: "/partners/" + partner.ID}).wantStatus(t, http.StatusNoContent)
	e.do(t, req{method: http.MethodDelete, path: "/distributors/" + dist.ID}).wantStatus(t, http.StatusNoContent)
	if got := list("/distributors"); got != nil {
		t.Errorf("distributors after the delete: got %v, want none", got)
	}
	gone := decodeAs[resellerWire](t, e.do(t, req{method: http.MethodGet, path: "/distributors/" + dist.ID}))
	if gone.DeletedAt == nil {
		t.Error("GET a deleted distributor: got no deletedAt")
	}
}

// TestResellerBadInput sends each kind of bad input: each has its own
// status and code, and changes nothing.
func TestResellerBadInput(t *testing.T) {
	e := newEnv(t)
	dist := e.createReseller(t, "/distributors", "Northwind Distribution", "")
	suspended := e.createReseller(t, "/distributors", "Sleepy Distribution", "")
	e.do(t, req{method: http.MethodPatch, path: "/distributors/" + suspended.ID, body: `{"status":"suspended"}`}).wantStatus(t, http.StatusOK)
	partner := e.createReseller(t, "/partners", "Contoso Partner", dist.ID)
	var customers []customerWire
	for _, name := range []string{"One", "Two"} {
		res := e.do(t, req{method: http.MethodPost, path: "/customers", body: customerBody(name, partner.ID)})
		res.wantStatus(t, http.StatusCreated)
		customers = append(customers, decodeAs[customerWire](t, res))
	}
	first := customers[0]
	createdAt, _ := time.Parse(time.RFC3339, first.CreatedAt)
	// One move, to have a latest move to overlap.
	latest := createdAt.Add(time.Second).Format(time.RFC3339)
	e.do(t, req{method: http.MethodPost, path: "/tenants/" + first.ID + "/owner",
		body: fmt.Sprintf(`{"ownerId":%q,"effectiveFrom":%q}`, dist.ID, latest)}).wantStatus(t, http.StatusOK)

	badCountry := strings.Replace(resellerBody("Bad Country", ""), `"au"`, `"UK"`, 1)
	tests := []struct {
		name       string
		rq         req
		wantStatus int
		wantCode   string
		wantFields []string
		wantDetail string
	}{
		{"partner under a missing distributor", req{method: http.MethodPost, path: "/partners", body: resellerBody("Lost Partner", "dist_missing")},
			422, "distributor_unknown", []string{"distributorId"}, ""},
		{"partner under a suspended distributor", req{method: http.MethodPost, path: "/partners", body: resellerBody("Lost Partner", suspended.ID)},
			409, "distributor_suspended", nil, ""},
		{"distributor in the UK", req{method: http.MethodPost, path: "/distributors", body: badCountry},
			422, "country_invalid", []string{"billingAddress.country"}, ""},
		{"customer in Australia", req{method: http.MethodPost, path: "/customers", body: strings.Replace(customerBody("X", partner.ID), `"AU"`, `"Australia"`, 1)},
			422, "country_invalid", []string{"country"}, ""},
		{"customer of a missing partner", req{method: http.MethodPost, path: "/customers", body: customerBody("X", "prt_missing")},
			422, "owner_unknown", []string{"ownerId"}, ""},
		{"customer without the required fields", req{method: http.MethodPost, path: "/customers", body: `{"name":"X","ownerId":"` + partner.ID + `"}`},
			422, "invalid", []string{"addressLine1", "country", "nickname", "postcode"}, ""},
		{"move before the tenant existed", req{method: http.MethodPost, path: "/tenants/" + first.ID + "/owner",
			body: fmt.Sprintf(`{"ownerId":%q,"effectiveFrom":"2020-01-01T00:00:00Z"}`, partner.ID)}, 409, "ownership_before_tenant", nil, ""},
		{"move at the latest move", req{method: http.MethodPost, path: "/tenants/" + first.ID + "/owner",
			body: fmt.Sprintf(`{"ownerId":%q,"effectiveFrom":%q}`, partner.ID, latest)}, 409, "ownership_overlap", nil, latest},
		{"move to the current owner", req{method: http.MethodPost, path: "/tenants/" + first.ID + "/owner",
			body: fmt.Sprintf(`{"ownerId":%q}`, dist.ID)}, 409, "owner_unchanged", nil, ""},
		{"move to a suspended owner", req{method: http.MethodPost, path: "/tenants/" + first.ID + "/owner",
			body: fmt.Sprintf(`{"ownerId":%q}`, suspended.ID)}, 409, "owner_suspended", nil, ""},
		{"move into the future", req{method: http.MethodPost, path: "/tenants/" + first.ID + "/owner",
			body: `{"ownerId":null,"effectiveFrom":"2099-01-01T00:00:00Z"}`}, 422, "invalid", []string{"effectiveFrom"}, ""},
		{"move without an owner", req{method: http.MethodPost, path: "/tenants/" + first.ID + "/owner", body: `{}`},
			422, "invalid", []string{"ownerId"}, ""},
		{"move to a number", req{method: http.MethodPost, path: "/tenants/" + first.ID + "/owner", body: `{"ownerId":7}`},
			400, "invalid_type", []string{"ownerId"}, ""},
		{"move with a bad date", req{method: http.MethodPost, path: "/tenants/" + first.ID + "/owner", body: `{"ownerId":null,"effectiveFrom":"yesterday"}`},
			422, "invalid", []string{"effectiveFrom"}, ""},
		{"move of an unknown tenant", req{method: http.MethodPost, path: "/tenants/tn_missing/owner", body: `{"ownerId":null}`},
			404, "not_found", nil, ""},
		{"delete a partner owning tenants", req{method: http.MethodDelete, path: "/partners/" + partner.ID},
			409, "reseller_has_tenants", nil, "1 tenant;"},
		{"delete a distributor owning a tenant", req{method: http.MethodDelete, path: "/distributors/" + dist.ID},
			409, "reseller_has_tenants", nil, "1 tenant;"},
		{"a partner's ID as a distributor", req{method: http.MethodGet, path: "/distributors/" + partner.ID}, 404, "not_found", nil, ""},
		{"patch a partner's ID as a distributor", req{method: http.MethodPatch, path: "/distributors/" + partner.ID, body: `{"name":"X"}`}, 404, "not_found", nil, ""},
		{"a distributor may not name one", req{method: http.MethodPost, path: "/distributors", body: resellerBody("Nested Distribution", dist.ID)},
			400, "unknown_field", []string{"distributorId"}, ""},
		{"a partner may not change distributor", req{method: http.MethodPatch, path: "/partners/" + partner.ID, body: `{"distributorId":"` + suspended.ID + `"}`},
			400, "unknown_field", []string{"distributorId"}, ""},
		{"an unknown status", req{method: http.MethodPatch, path: "/partners/" + partner.ID, body: `{"status":"closed"}`},
			422, "invalid", []string{"status"}, ""},
		{"bad customer list parameters", req{method: http.MethodGet, path: "/customers?foo=1&limit=0&ownerId=tn_x"},
			422, "invalid", []string{"foo", "limit", "ownerId"}, ""},
		{"customers of an unknown partner", req{method: http.MethodGet, path: "/customers?ownerId=prt_missing"},
			422, "owner_unknown", []string{"ownerId"}, ""},
		{"bad partner list parameters", req{method: http.MethodGet, path: "/partners?status=gone&distributorId=prt_x&q=a&q=b"},
			422, "invalid", []string{"distributorId", "q", "status"}, ""},
		{"delete an unknown customer", req{method: http.MethodDelete, path: "/customers/tn_missing"}, 404, "not_found", nil, ""},
	}
	before := e.chain(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(t, tt.rq)
			res.wantStatus(t, tt.wantStatus)
			p := res.problem(t)
			var fields []string
			for _, f := range p.Errors {
				fields = append(fields, f.Field)
			}
			slices.Sort(fields)
			if p.Code != tt.wantCode || !cmp.Equal(fields, tt.wantFields) {
				t.Errorf("got code %q fields %v (%s), want code %q fields %v", p.Code, fields, p.Detail, tt.wantCode, tt.wantFields)
			}
			if !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("detail %q: want it to hold %q", p.Detail, tt.wantDetail)
			}
			if diff := cmp.Diff(before, e.chain(t)); diff != "" {
				t.Errorf("the request changed the store (-before +after):\n%s", diff)
			}
		})
	}
}

// TestCreateCustomerAdmin pins who becomes a customer's tenant admin:
// without a contact (seed 003's body) nobody, and certainly not the
// reseller's person; with one, that contact, answered with its one-time
// set-password token as POST /tenants does.
func TestCreateCustomerAdmin(t *testing.T) {
	e := newEnv(t)
	partner := e.createReseller(t, "/partners", "Contoso Partner", "")
	type created struct {
		ID        string `json:"id"`
		AdminUser *struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"adminUser"`
		SetPasswordToken string `json:"setPasswordToken"`
	}
	users := func(tenantID string) []map[string]any {
		t.Helper()
		res := e.do(t, req{method: http.MethodGet, path: "/tenants/" + tenantID + "/users"})
		res.wantStatus(t, http.StatusOK)
		var l struct {
			Data []map[string]any `json:"data"`
		}
		if err := json.Unmarshal(res.body, &l); err != nil {
			t.Fatalf("users of %s: %v", tenantID, err)
		}
		return l.Data
	}
	tests := []struct {
		name      string
		contact   map[string]string
		wantEmail string // "" for no admin
	}{
		{"no contact", nil, ""},
		{"a contact", map[string]string{"name": "Ayşe Yılmaz", "email": "ayse@cafe.example", "phone": "+905321234567"}, "ayse@cafe.example"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{"name": "Cafe " + strconv.Itoa(i), "nickname": "cafe", "addressLine1": "1 Street", "postcode": "4000", "country": "AU", "ownerId": partner.ID}
			if tt.contact != nil {
				body["contact"] = tt.contact
			}
			b, _ := json.Marshal(body)
			res := e.do(t, req{method: http.MethodPost, path: "/customers", body: string(b)})
			res.wantStatus(t, http.StatusCreated)
			c := decodeAs[created](t, res)
			us := users(c.ID)
			if tt.wantEmail == "" {
				if c.AdminUser != nil || c.SetPasswordToken != "" || len(us) != 0 {
					t.Errorf("got admin %+v, token %q, users %v; want no admin, no token, no user", c.AdminUser, c.SetPasswordToken, us)
				}
				return
			}
			if c.AdminUser == nil || c.AdminUser.Email != tt.wantEmail || !strings.HasPrefix(c.SetPasswordToken, "pst_") {
				t.Fatalf("got admin %+v, token %q; want %s with a pst_ token", c.AdminUser, c.SetPasswordToken, tt.wantEmail)
			}
			if res.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", res.header.Get("Cache-Control"))
			}
			if len(us) != 1 || us[0]["id"] != c.AdminUser.ID || us[0]["role"] != "tenant_admin" {
				t.Errorf("users: got %v, want only %s as tenant_admin", us, c.AdminUser.ID)
			}
			set := e.do(t, req{method: http.MethodPost, path: "/auth/password/set", auth: "-",
				body: jsonBody(map[string]string{"token": c.SetPasswordToken, "password": "a long new secret"})})
			set.wantStatus(t, http.StatusNoContent)
		})
	}
}
