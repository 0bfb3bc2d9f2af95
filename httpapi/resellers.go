package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/tenant"
)

// The reseller chain's endpoints: distributors, partners, tenant ownership
// and seed 003's customer view. Their bodies are encoded with
// encoding/json: they are not on the hot path, and the wire structs below
// are the contract, validated against openapi.json by the tests.

// addressBody is the wire form of a billing address.
type addressBody struct {
	Line1    string `json:"line1"`
	Line2    string `json:"line2,omitempty"`
	Postcode string `json:"postcode"`
	City     string `json:"city,omitempty"`
	Region   string `json:"region,omitempty"`
	Country  string `json:"country"`
}

// resellerBody is the wire form of a distributor or partner.
type resellerBody struct {
	ID                 string         `json:"id"`
	DistributorID      string         `json:"distributorId,omitempty"`
	Name               string         `json:"name"`
	Contact            tenant.Contact `json:"contact"`
	BillingAddress     addressBody    `json:"billingAddress"`
	RegistrationNumber string         `json:"registrationNumber,omitempty"`
	Website            string         `json:"website,omitempty"`
	Status             string         `json:"status"`
	CreatedAt          time.Time      `json:"createdAt"`
	UpdatedAt          time.Time      `json:"updatedAt"`
	DeletedAt          *time.Time     `json:"deletedAt,omitempty"`
}

func toResellerBody(r reseller.Reseller) resellerBody {
	a := r.Address
	return resellerBody{
		ID: r.ID, DistributorID: r.DistributorID, Name: r.Name, Contact: r.Contact,
		BillingAddress:     addressBody{Line1: a.Line1, Line2: a.Line2, Postcode: a.Postcode, City: a.City, Region: a.Region, Country: a.Country},
		RegistrationNumber: r.RegistrationNumber, Website: r.Website, Status: string(r.Status),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), DeletedAt: utcPtr(r.DeletedAt),
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return new(t.UTC())
}

// createResellerRequest is the body of POST /distributors.
type createResellerRequest struct {
	Name               string      `json:"name"`
	Contact            contactBody `json:"contact"`
	BillingAddress     addressBody `json:"billingAddress"`
	RegistrationNumber string      `json:"registrationNumber"`
	Website            string      `json:"website"`
}

// createPartnerRequest is the body of POST /partners: a distributor's, and
// the distributor it sells under (none for the platform).
type createPartnerRequest struct {
	Name               string      `json:"name"`
	Contact            contactBody `json:"contact"`
	BillingAddress     addressBody `json:"billingAddress"`
	RegistrationNumber string      `json:"registrationNumber"`
	Website            string      `json:"website"`
	DistributorID      string      `json:"distributorId"`
}

func (in *createResellerRequest) input() reseller.Input {
	a := in.BillingAddress
	return reseller.Input{
		Name:               in.Name,
		Contact:            tenant.Contact{Name: in.Contact.Name, Email: in.Contact.Email, Phone: in.Contact.Phone},
		Address:            reseller.Address{Line1: a.Line1, Line2: a.Line2, Postcode: a.Postcode, City: a.City, Region: a.Region, Country: a.Country},
		RegistrationNumber: in.RegistrationNumber,
		Website:            in.Website,
	}
}

// updateResellerRequest is the body of PATCH /distributors/{distributorId}
// and PATCH /partners/{partnerId}: absent members are left as they are.
type updateResellerRequest struct {
	Name               *string           `json:"name"`
	Contact            *contactPatchBody `json:"contact"`
	BillingAddress     *addressPatchBody `json:"billingAddress"`
	RegistrationNumber *string           `json:"registrationNumber"`
	Website            *string           `json:"website"`
	Status             *string           `json:"status"`
}

type addressPatchBody struct {
	Line1    *string `json:"line1"`
	Line2    *string `json:"line2"`
	Postcode *string `json:"postcode"`
	City     *string `json:"city"`
	Region   *string `json:"region"`
	Country  *string `json:"country"`
}

func (in *updateResellerRequest) patch() reseller.Patch {
	p := reseller.Patch{Name: in.Name, RegistrationNumber: in.RegistrationNumber, Website: in.Website}
	if c := in.Contact; c != nil {
		p.Contact = &tenant.ContactPatch{Name: c.Name, Email: c.Email, Phone: c.Phone}
	}
	if a := in.BillingAddress; a != nil {
		p.Address = &reseller.AddressPatch{Line1: a.Line1, Line2: a.Line2, Postcode: a.Postcode, City: a.City, Region: a.Region, Country: a.Country}
	}
	if in.Status != nil {
		p.Status = new(reseller.Status(*in.Status))
	}
	return p
}

// moveRequest is the body of POST /tenants/{tenantId}/owner.
type moveRequest struct {
	// OwnerID is required: a distributor or partner ID, or null for the
	// platform.
	OwnerID       json.RawMessage `json:"ownerId"`
	EffectiveFrom *string         `json:"effectiveFrom"`
}

// ownershipBody is the wire form of one row of a tenant's ownership
// history.
type ownershipBody struct {
	OwnerID   string     `json:"ownerId,omitempty"`
	OwnerKind string     `json:"ownerKind"`
	ValidFrom time.Time  `json:"validFrom"`
	ValidTo   *time.Time `json:"validTo,omitempty"`
}

type ownersBody struct {
	TenantID string          `json:"tenantId"`
	Data     []ownershipBody `json:"data"`
}

func toOwnersBody(tenantID string, rows []reseller.Ownership) ownersBody {
	out := ownersBody{TenantID: tenantID, Data: make([]ownershipBody, len(rows))}
	for i, o := range rows {
		out.Data[i] = ownershipBody{
			OwnerID: o.OwnerID, OwnerKind: string(reseller.KindOf(o.OwnerID)),
			ValidFrom: o.ValidFrom.UTC(), ValidTo: utcPtr(o.ValidTo),
		}
	}
	return out
}

// customerBody is the wire form of a customer: seed 003's fields in
// camelCase (customer_name is name, addr_1 addressLine1, abn
// registrationNumber, delete_date deletedAt), with the tenant's ID,
// subdomain, status and owner.
type customerBody struct {
	ID                 string     `json:"id"`
	Name               string     `json:"name"`
	Nickname           string     `json:"nickname,omitempty"`
	RegistrationNumber string     `json:"registrationNumber,omitempty"`
	AddressLine1       string     `json:"addressLine1,omitempty"`
	AddressLine2       string     `json:"addressLine2,omitempty"`
	Postcode           string     `json:"postcode,omitempty"`
	City               string     `json:"city,omitempty"`
	Region             string     `json:"region,omitempty"`
	Country            string     `json:"country,omitempty"`
	Website            string     `json:"website,omitempty"`
	OwnerID            string     `json:"ownerId,omitempty"`
	Subdomain          string     `json:"subdomain"`
	Status             string     `json:"status"`
	CreatedAt          time.Time  `json:"createdAt"`
	UpdatedAt          time.Time  `json:"updatedAt"`
	DeletedAt          *time.Time `json:"deletedAt,omitempty"`
}

func toCustomerBody(c reseller.Customer) customerBody {
	t := c.Tenant
	b := customerBody{
		ID: t.ID, Name: t.Name, OwnerID: t.OwnerID, Subdomain: t.Subdomain, Status: string(t.Status),
		CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC(), DeletedAt: utcPtr(t.DeletedAt),
	}
	if p := c.Profile; p != nil {
		b.Nickname, b.RegistrationNumber, b.Website = p.Nickname, p.RegistrationNumber, p.Website
		b.AddressLine1, b.AddressLine2, b.Postcode = p.Address.Line1, p.Address.Line2, p.Address.Postcode
		b.City, b.Region, b.Country = p.Address.City, p.Address.Region, p.Address.Country
	}
	return b
}

// createdCustomerBody is the answer to POST /customers: the customer,
// and, when the request had a contact, the tenant admin made from it with
// its one-time set-password token, as POST /tenants answers them.
type createdCustomerBody struct {
	customerBody
	AdminUser            *adminUserBody `json:"adminUser,omitempty"`
	SetPasswordToken     string         `json:"setPasswordToken,omitempty"`
	SetPasswordExpiresAt *time.Time     `json:"setPasswordExpiresAt,omitempty"`
}

// adminUserBody is the wire form of atomix.AdminUser.
type adminUserBody struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// createCustomerRequest is the body of POST /customers: seed 003's
// customer in camelCase, and what atomix adds, all optional: the owner, a
// subdomain, a contact and a plan.
type createCustomerRequest struct {
	Name               string       `json:"name"`
	Nickname           string       `json:"nickname"`
	AddressLine1       string       `json:"addressLine1"`
	AddressLine2       string       `json:"addressLine2"`
	Postcode           string       `json:"postcode"`
	City               string       `json:"city"`
	Region             string       `json:"region"`
	Country            string       `json:"country"`
	RegistrationNumber string       `json:"registrationNumber"`
	Website            string       `json:"website"`
	OwnerID            string       `json:"ownerId"`
	Subdomain          string       `json:"subdomain"`
	Contact            *contactBody `json:"contact"`
	PlanID             string       `json:"planId"`
}

// rsListBody is a page of a list on the wire.
type rsListBody[T any] struct {
	Data       []T            `json:"data"`
	Pagination rsPaginationOf `json:"pagination"`
}

type rsPaginationOf struct {
	Page       int `json:"page"`
	Limit      int `json:"limit"`
	Total      int `json:"total"`
	TotalPages int `json:"totalPages"`
}

func rsPage[T, B any](pg core.Page[T], conv func(T) B) rsListBody[B] {
	out := rsListBody[B]{
		Data:       make([]B, len(pg.Items)),
		Pagination: rsPaginationOf{Page: pg.Page, Limit: pg.Limit, Total: pg.Total, TotalPages: pg.TotalPages},
	}
	for i, x := range pg.Items {
		out.Data[i] = conv(x)
	}
	return out
}

// resellerShapes are the key shapes of the request bodies of this file.
type resellerShapes struct {
	createDistributor, createPartner, updateReseller, move, createCustomer *shape
}

func newResellerShapes() resellerShapes {
	return resellerShapes{
		createDistributor: shapeOf(reflect.TypeFor[createResellerRequest]()),
		createPartner:     shapeOf(reflect.TypeFor[createPartnerRequest]()),
		updateReseller:    shapeOf(reflect.TypeFor[updateResellerRequest]()),
		move:              shapeOf(reflect.TypeFor[moveRequest]()),
		createCustomer:    shapeOf(reflect.TypeFor[createCustomerRequest]()),
	}
}

// rsListParams reads page, limit and includeDeleted into f's errors.
func rsListParams(q url.Values, f *core.Fields) (core.PageRequest, bool) {
	page, err := core.ParsePageRequest(q.Get("page"), q.Get("limit"))
	var ce *core.Error
	if errors.As(err, &ce) {
		*f = append(*f, ce.Fields...)
	}
	del := false
	switch q.Get("includeDeleted") {
	case "", "false":
	case "true":
		del = true
	default:
		f.Add("includeDeleted", "must be true or false")
	}
	return page, del
}

// rsFieldsErr returns the fields found in the query and those the domain
// finds in what is left, each named once, sorted.
func rsFieldsErr(f core.Fields, domain error) error {
	var ce *core.Error
	if errors.As(domain, &ce) && ce.Code == core.Invalid {
		for _, fe := range ce.Fields {
			if !slices.ContainsFunc(f, func(x core.FieldError) bool { return x.Field == fe.Field }) {
				f = append(f, fe)
			}
		}
	} else if domain != nil && len(f) == 0 {
		return domain
	}
	slices.SortStableFunc(f, func(a, b core.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return f.Err()
}

// listResellers serves GET /distributors and GET /partners.
func (h *handler) listResellers(c *call, r *http.Request, kind reseller.Kind) error {
	q := r.URL.Query()
	known := []string{"page", "limit", "q", "status", "includeDeleted"}
	if kind == reseller.KindPartner {
		known = append(known, "distributorId")
	}
	f := queryParams(q, known...)
	page, del := rsListParams(q, &f)
	filter := reseller.Filter{
		Kind: kind, DistributorID: q.Get("distributorId"), Status: reseller.Status(q.Get("status")),
		Query: q.Get("q"), IncludeDeleted: del, Page: page,
	}
	if len(f) > 0 {
		_, err := reseller.CheckFilter(filter, "q")
		return rsFieldsErr(f, err)
	}
	pg, err := h.p.Resellers().List(r.Context(), filter)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, rsPage(pg, toResellerBody))
}

func (h *handler) listDistributors(c *call, r *http.Request) error {
	return h.listResellers(c, r, reseller.KindDistributor)
}

func (h *handler) listPartners(c *call, r *http.Request) error {
	return h.listResellers(c, r, reseller.KindPartner)
}

// createDistributor serves POST /distributors.
func (h *handler) createDistributor(c *call, r *http.Request) error {
	var in createResellerRequest
	if err := decode(r, &in, h.rshapes.createDistributor); err != nil {
		return err
	}
	d, err := h.p.Resellers().CreateDistributor(r.Context(), in.input())
	if err != nil {
		return err
	}
	c.Header().Set("Location", h.prefix+"/distributors/"+d.ID)
	return h.writeBody(c, http.StatusCreated, toResellerBody(d))
}

// createPartner serves POST /partners.
func (h *handler) createPartner(c *call, r *http.Request) error {
	var in createPartnerRequest
	if err := decode(r, &in, h.rshapes.createPartner); err != nil {
		return err
	}
	common := createResellerRequest{Name: in.Name, Contact: in.Contact, BillingAddress: in.BillingAddress,
		RegistrationNumber: in.RegistrationNumber, Website: in.Website}
	rin := common.input()
	rin.DistributorID = in.DistributorID
	p, err := h.p.Resellers().CreatePartner(r.Context(), rin)
	if err != nil {
		return err
	}
	c.Header().Set("Location", h.prefix+"/partners/"+p.ID)
	return h.writeBody(c, http.StatusCreated, toResellerBody(p))
}

// reseller reads the reseller of the path, which must be of the kind.
func (h *handler) reseller(r *http.Request, param string, kind reseller.Kind) (reseller.Reseller, error) {
	id := r.PathValue(param)
	if reseller.KindOf(id) != kind {
		return reseller.Reseller{}, core.Errorf(core.NotFound, "%s %q not found", kind, id)
	}
	return h.p.Resellers().Get(r.Context(), id)
}

func (h *handler) getReseller(c *call, r *http.Request, param string, kind reseller.Kind) error {
	res, err := h.reseller(r, param, kind)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toResellerBody(res))
}

func (h *handler) updateReseller(c *call, r *http.Request, param string, kind reseller.Kind) error {
	var in updateResellerRequest
	if err := decode(r, &in, h.rshapes.updateReseller); err != nil {
		return err
	}
	res, err := h.reseller(r, param, kind)
	if err != nil {
		return err
	}
	res, err = h.p.Resellers().Update(r.Context(), res.ID, in.patch())
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toResellerBody(res))
}

func (h *handler) deleteReseller(c *call, r *http.Request, param string, kind reseller.Kind) error {
	res, err := h.reseller(r, param, kind)
	if err != nil {
		return err
	}
	if _, err := h.p.Resellers().Delete(r.Context(), res.ID); err != nil {
		return err
	}
	c.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) getDistributor(c *call, r *http.Request) error {
	return h.getReseller(c, r, "distributorId", reseller.KindDistributor)
}

func (h *handler) updateDistributor(c *call, r *http.Request) error {
	return h.updateReseller(c, r, "distributorId", reseller.KindDistributor)
}

func (h *handler) deleteDistributor(c *call, r *http.Request) error {
	return h.deleteReseller(c, r, "distributorId", reseller.KindDistributor)
}

func (h *handler) getPartner(c *call, r *http.Request) error {
	return h.getReseller(c, r, "partnerId", reseller.KindPartner)
}

func (h *handler) updatePartner(c *call, r *http.Request) error {
	return h.updateReseller(c, r, "partnerId", reseller.KindPartner)
}

func (h *handler) deletePartner(c *call, r *http.Request) error {
	return h.deleteReseller(c, r, "partnerId", reseller.KindPartner)
}

// moveTenant serves POST /tenants/{tenantId}/owner and answers the
// tenant's ownership history.
func (h *handler) moveTenant(c *call, r *http.Request) error {
	var in moveRequest
	if err := decode(r, &in, h.rshapes.move); err != nil {
		return err
	}
	var mv atomix.MoveInput
	switch raw := bytes.TrimSpace(in.OwnerID); {
	case len(raw) == 0:
		return core.InvalidField("ownerId", "is required: a distributor or partner ID, or null for the platform")
	case string(raw) == "null":
	default:
		if err := json.Unmarshal(raw, &mv.OwnerID); err != nil {
			return typeError("ownerId", reflect.TypeFor[string]())
		}
		if mv.OwnerID == "" {
			return core.InvalidField("ownerId", "must be a distributor or partner ID, or null for the platform")
		}
	}
	if in.EffectiveFrom != nil {
		t, err := time.Parse(time.RFC3339Nano, *in.EffectiveFrom)
		if err != nil {
			return core.InvalidField("effectiveFrom", "must be an RFC 3339 date-time such as 2026-03-01T00:00:00Z")
		}
		if t.IsZero() { // zero means "now" to Move
			return core.InvalidField("effectiveFrom", "must be a date-time after the tenant was created")
		}
		mv.EffectiveFrom = t
	}
	id := r.PathValue("tenantId")
	rows, err := h.p.Resellers().Move(r.Context(), id, mv)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toOwnersBody(id, rows))
}

// listTenantOwners serves GET /tenants/{tenantId}/owners: the whole
// ownership history, oldest first.
func (h *handler) listTenantOwners(c *call, r *http.Request) error {
	id := r.PathValue("tenantId")
	rows, err := h.p.Resellers().Owners(r.Context(), id)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toOwnersBody(id, rows))
}

// listCustomers serves GET /customers?name&ownerId&page&limit&includeDeleted.
func (h *handler) listCustomers(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "name", "ownerId", "page", "limit", "includeDeleted")
	page, del := rsListParams(q, &f)
	filter := reseller.CustomerFilter{Under: q.Get("ownerId"), Query: q.Get("name"), IncludeDeleted: del, Page: page}
	if len(f) > 0 {
		_, err := reseller.CheckCustomerFilter(filter)
		return rsFieldsErr(f, err)
	}
	pg, err := h.p.Resellers().ListCustomers(r.Context(), filter)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, rsPage(pg, toCustomerBody))
}

// createCustomer serves POST /customers.
func (h *handler) createCustomer(c *call, r *http.Request) error {
	var in createCustomerRequest
	if err := decode(r, &in, h.rshapes.createCustomer); err != nil {
		return err
	}
	cin := atomix.CreateCustomerInput{
		Name: in.Name,
		Profile: reseller.ProfileInput{
			Nickname: in.Nickname, RegistrationNumber: in.RegistrationNumber, Website: in.Website,
			Address: reseller.Address{
				Line1: in.AddressLine1, Line2: in.AddressLine2, Postcode: in.Postcode,
				City: in.City, Region: in.Region, Country: in.Country,
			},
		},
		OwnerID:   in.OwnerID,
		Subdomain: in.Subdomain,
		PlanID:    in.PlanID,
	}
	if in.Contact != nil {
		cin.Contact = &tenant.Contact{Name: in.Contact.Name, Email: in.Contact.Email, Phone: in.Contact.Phone}
	}
	cust, err := h.p.Resellers().CreateCustomer(r.Context(), cin)
	if err != nil {
		return err
	}
	c.Header().Set("Location", h.prefix+"/tenants/"+cust.Tenant.ID)
	out := createdCustomerBody{customerBody: toCustomerBody(cust.Customer)}
	if a := cust.AdminUser; a != nil {
		out.AdminUser = &adminUserBody{ID: a.ID, Email: a.Email}
	}
	if tok := cust.SetPasswordToken; tok != nil {
		noStore(c)
		exp := tok.ExpiresAt.UTC()
		out.SetPasswordToken, out.SetPasswordExpiresAt = tok.Token, &exp
	}
	return h.writeBody(c, http.StatusCreated, out)
}

// deleteCustomer serves DELETE /customers/{tenantId}: a soft delete of the
// tenant, answered with the deleted customer.
func (h *handler) deleteCustomer(c *call, r *http.Request) error {
	cust, err := h.p.Resellers().DeleteCustomer(r.Context(), r.PathValue("tenantId"))
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toCustomerBody(cust))
}
