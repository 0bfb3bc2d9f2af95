package reseller

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
)

// Kind says what a reseller is, or who owns a tenant.
type Kind string

// The kinds. KindPlatform is only an owner kind: no reseller has it.
const (
	KindDistributor Kind = "distributor"
	KindPartner     Kind = "partner"
	KindPlatform    Kind = "platform"
)

// KindOf returns the kind an ID names by its prefix: KindDistributor for
// "dist_...", KindPartner for "prt_...", KindPlatform for "" (the platform
// owns a tenant without a reseller), and "" for anything else. It does not
// say whether the reseller exists.
func KindOf(id string) Kind {
	switch {
	case id == "":
		return KindPlatform
	case core.ValidID(core.PrefixDistributor, id):
		return KindDistributor
	case core.ValidID(core.PrefixPartner, id):
		return KindPartner
	}
	return ""
}

// Status is a reseller's state.
type Status string

// The states. A suspended reseller keeps its tenants but takes no new ones.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == StatusActive || s == StatusSuspended }

// Address is a postal address. Country is an ISO 3166-1 alpha-2 code in
// upper case, such as "AU".
type Address struct {
	Line1    string
	Line2    string
	Postcode string
	City     string
	Region   string
	Country  string
}

// Reseller is a distributor or a partner.
type Reseller struct {
	ID   string // "dist_..." or "prt_..."
	Kind Kind   // KindDistributor or KindPartner, as the ID's prefix says
	// DistributorID is the distributor a partner sells under; empty for a
	// partner directly under the platform, and for a distributor.
	DistributorID string
	Name          string
	Contact       tenant.Contact
	Address       Address // the billing address
	// RegistrationNumber is the tax or business registration number
	// (seed 003's abn); may be empty.
	RegistrationNumber string
	Website            string // an http or https URL; may be empty
	Status             Status
	CreatedAt          time.Time
	UpdatedAt          time.Time
	DeletedAt          *time.Time // set by a soft delete
}

// Deleted reports whether the reseller was soft-deleted.
func (r *Reseller) Deleted() bool { return r.DeletedAt != nil }

// Field limits.
const (
	MaxNameLen         = 200
	MaxAddressLineLen  = 200
	MaxPostcodeLen     = 20
	MaxPlaceLen        = 100 // city and region
	MaxRegistrationLen = 50
	MaxWebsiteLen      = 2048
)

// Input is what a caller gives to create a distributor or a partner.
type Input struct {
	Name               string
	Contact            tenant.Contact
	Address            Address
	RegistrationNumber string
	Website            string
	// DistributorID, for a partner, is the distributor it sells under;
	// empty for a partner directly under the platform. A distributor has
	// none.
	DistributorID string
}

// New validates in and returns a new, active reseller of the kind with a
// fresh ID, created at now. Strings are trimmed and the country is upper
// cased. Whether the distributor of a partner exists is for the caller to
// check, in the transaction that stores the partner.
// Errors: core.Invalid naming every bad field (with wire names such as
// "billingAddress.postcode"); core.CountryInvalid instead when the country
// is among them.
func New(kind Kind, in Input, now time.Time) (Reseller, error) {
	r := Reseller{
		Kind:               kind,
		DistributorID:      strings.TrimSpace(in.DistributorID),
		Name:               strings.TrimSpace(in.Name),
		Contact:            trimContact(in.Contact),
		Address:            trimAddress(in.Address),
		RegistrationNumber: strings.TrimSpace(in.RegistrationNumber),
		Website:            strings.TrimSpace(in.Website),
		Status:             StatusActive,
		CreatedAt:          now,
		UpdatedAt:          now,
	}
	var f core.Fields
	switch kind {
	case KindDistributor:
		r.ID = core.NewID(core.PrefixDistributor)
		if r.DistributorID != "" {
			f.Add("distributorId", "must be empty: a distributor sells under the platform")
		}
	case KindPartner:
		r.ID = core.NewID(core.PrefixPartner)
		if r.DistributorID != "" && !core.ValidID(core.PrefixDistributor, r.DistributorID) {
			f.Add("distributorId", "must be a distributor ID such as \"dist_abc123\"")
		}
	default:
		return Reseller{}, core.Errorf(core.Invalid, "a reseller is a distributor or a partner, not %q", kind)
	}
	r.Address.Country = strings.ToUpper(r.Address.Country)
	country := validate(&f, r)
	return r, fieldsErr(f, country)
}

// validate records what is wrong with r's fields a caller sets, and reports
// whether the country is among them.
func validate(f *core.Fields, r Reseller) (badCountry bool) {
	validateText(f, "name", r.Name, MaxNameLen, true)
	validateContact(f, r.Contact)
	badCountry = validateAddress(f, r.Address, resellerAddressFields)
	validateText(f, "registrationNumber", r.RegistrationNumber, MaxRegistrationLen, false)
	if m := ValidateWebsite(r.Website); m != "" {
		f.Add("website", "%s", m)
	}
	if !r.Status.Valid() {
		f.Add("status", "must be active or suspended")
	}
	return badCountry
}

// fieldsErr returns f's error, with the code core.CountryInvalid when a
// country is among the bad fields.
func fieldsErr(f core.Fields, badCountry bool) error {
	err := f.Err()
	if err != nil && badCountry {
		e := err.(*core.Error)
		e.Code = core.CountryInvalid
	}
	return err
}

// Patch changes some of a reseller's fields; nil fields are left as they
// are. A reseller's kind and distributor never change.
type Patch struct {
	Name               *string
	Contact            *tenant.ContactPatch // an empty Phone removes the phone
	Address            *AddressPatch
	RegistrationNumber *string
	Website            *string
	Status             *Status
}

// AddressPatch changes some address fields; nil fields are left as they
// are, and an empty optional field (Line2, City, Region) removes it.
type AddressPatch struct {
	Line1, Line2, Postcode, City, Region, Country *string
}

// Apply returns r changed by p, updated at now.
// Errors: core.ResellerDeleted when r is deleted; core.Invalid naming every
// bad field; core.CountryInvalid instead when the country is among them.
func Apply(r Reseller, p Patch, now time.Time) (Reseller, error) {
	if r.Deleted() {
		return r, deletedErr(r)
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&r.Name, p.Name)
	if c := p.Contact; c != nil {
		set(&r.Contact.Name, c.Name)
		set(&r.Contact.Email, c.Email)
		set(&r.Contact.Phone, c.Phone)
	}
	if a := p.Address; a != nil {
		set(&r.Address.Line1, a.Line1)
		set(&r.Address.Line2, a.Line2)
		set(&r.Address.Postcode, a.Postcode)
		set(&r.Address.City, a.City)
		set(&r.Address.Region, a.Region)
		set(&r.Address.Country, a.Country)
		r.Address.Country = strings.ToUpper(r.Address.Country)
	}
	set(&r.RegistrationNumber, p.RegistrationNumber)
	set(&r.Website, p.Website)
	if p.Status != nil {
		r.Status = *p.Status
	}
	var f core.Fields
	country := validate(&f, r)
	if err := fieldsErr(f, country); err != nil {
		return r, err
	}
	r.UpdatedAt = now
	return r, nil
}

// CanOwn returns nil when r (and, for a partner, its distributor dist,
// which the caller read) may take a tenant or a partner now.
// Errors: core.OwnerUnknown when r is deleted; core.OwnerSuspended when r or
// its distributor is suspended or the distributor is deleted.
func CanOwn(r Reseller, dist *Reseller) error {
	switch {
	case r.Deleted():
		return core.Errorf(core.OwnerUnknown, "%s %s is deleted", r.Kind, r.ID)
	case r.Status != StatusActive:
		return core.Errorf(core.OwnerSuspended, "%s %s is suspended", r.Kind, r.ID)
	case dist != nil && (dist.Status != StatusActive || dist.Deleted()):
		return core.Errorf(core.OwnerSuspended, "partner %s sells under distributor %s, which is %s", r.ID, dist.ID, inactive(*dist))
	}
	return nil
}

func inactive(r Reseller) string {
	if r.Deleted() {
		return "deleted"
	}
	return string(r.Status)
}

func deletedErr(r Reseller) error {
	return core.Errorf(core.ResellerDeleted, "%s %s is deleted", r.Kind, r.ID)
}

func trimContact(c tenant.Contact) tenant.Contact {
	return tenant.Contact{Name: strings.TrimSpace(c.Name), Email: strings.TrimSpace(c.Email), Phone: strings.TrimSpace(c.Phone)}
}

func trimAddress(a Address) Address {
	return Address{
		Line1: strings.TrimSpace(a.Line1), Line2: strings.TrimSpace(a.Line2),
		Postcode: strings.TrimSpace(a.Postcode), City: strings.TrimSpace(a.City),
		Region: strings.TrimSpace(a.Region), Country: strings.TrimSpace(a.Country),
	}
}

// validateContact applies the tenant contact rules: a name, an email
// address and an optional E.164 phone.
func validateContact(f *core.Fields, c tenant.Contact) {
	validateText(f, "contact.name", c.Name, MaxNameLen, true)
	if m := tenant.ValidateEmail(c.Email); m != "" {
		f.Add("contact.email", "%s", m)
	}
	if c.Phone != "" {
		if m := tenant.ValidatePhone(c.Phone); m != "" {
			f.Add("contact.phone", "%s", m)
		}
	}
}

// addressFields names the fields of an address on the wire.
type addressFields struct {
	line1, line2, postcode, city, region, country string
}

var (
	resellerAddressFields = addressFields{
		"billingAddress.line1", "billingAddress.line2", "billingAddress.postcode",
		"billingAddress.city", "billingAddress.region", "billingAddress.country",
	}
	customerAddressFields = addressFields{"addressLine1", "addressLine2", "postcode", "city", "region", "country"}
)

// validateAddress checks a trimmed address: line 1, postcode and country
// are required. It reports whether the country is bad.
func validateAddress(f *core.Fields, a Address, names addressFields) (badCountry bool) {
	validateText(f, names.line1, a.Line1, MaxAddressLineLen, true)
	validateText(f, names.line2, a.Line2, MaxAddressLineLen, false)
	validateText(f, names.postcode, a.Postcode, MaxPostcodeLen, true)
	validateText(f, names.city, a.City, MaxPlaceLen, false)
	validateText(f, names.region, a.Region, MaxPlaceLen, false)
	switch {
	case a.Country == "":
		f.Add(names.country, "is required")
		return false
	case !ValidCountry(a.Country):
		f.Add(names.country, "must be an ISO 3166-1 alpha-2 country code such as \"AU\", not %q", a.Country)
		return true
	}
	return false
}

// validateText checks a trimmed single-line text field.
func validateText(f *core.Fields, field, s string, maxLen int, required bool) {
	switch {
	case s == "":
		if required {
			f.Add(field, "is required")
		}
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > maxLen:
		f.Add(field, "must be at most %d characters", maxLen)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		f.Add(field, "must not contain control characters")
	}
}

// ValidateWebsite returns a message for a website that is not an absolute
// http or https URL with a host, or "". An empty website is allowed.
func ValidateWebsite(s string) string {
	if s == "" {
		return ""
	}
	const want = "must be an http or https URL such as https://example.com"
	if len(s) > MaxWebsiteLen {
		return fmt.Sprintf("must be at most %d characters", MaxWebsiteLen)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return want
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return want
	}
	return ""
}
