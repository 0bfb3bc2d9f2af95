package reseller

import (
	"strings"
	"time"
	"unicode"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
	"golang.org/x/text/unicode/norm"
)

// Profile is the customer profile of a tenant: seed 003's customer fields
// beyond the name. It is owned by the tenant, one at most per tenant.
type Profile struct {
	TenantID           string
	Nickname           string
	RegistrationNumber string // seed 003's abn; may be empty
	Address            Address
	Website            string // may be empty
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Customer is a tenant seen from its reseller: the tenant and its profile,
// nil when it has none (a tenant created through /tenants). The tenant's
// derived counts (AtomCount, UserCount) are not set.
type Customer struct {
	Tenant  tenant.Tenant
	Profile *Profile
}

// ProfileInput is what a caller gives for a customer's profile.
type ProfileInput struct {
	Nickname           string
	RegistrationNumber string
	Address            Address
	Website            string
}

// ValidateProfile checks in and returns it trimmed, its country upper
// cased, recording what is wrong in f with seed 003's field names in
// camelCase (nickname, addressLine1, addressLine2, postcode, city, region,
// country, registrationNumber, website). Nickname, address line 1,
// postcode and country are required. It reports whether the country is
// bad, for core.CountryInvalid.
func ValidateProfile(f *core.Fields, in ProfileInput) (ProfileInput, bool) {
	in.Nickname = strings.TrimSpace(in.Nickname)
	in.RegistrationNumber = strings.TrimSpace(in.RegistrationNumber)
	in.Address = trimAddress(in.Address)
	in.Address.Country = strings.ToUpper(in.Address.Country)
	in.Website = strings.TrimSpace(in.Website)
	validateText(f, "nickname", in.Nickname, MaxNameLen, true)
	badCountry := validateAddress(f, in.Address, customerAddressFields)
	validateText(f, "registrationNumber", in.RegistrationNumber, MaxRegistrationLen, false)
	if m := ValidateWebsite(in.Website); m != "" {
		f.Add("website", "%s", m)
	}
	return in, badCountry
}

// InvalidErr returns the error of the fields f collected: nil for none,
// core.CountryInvalid when badCountry, and core.Invalid otherwise.
func InvalidErr(f core.Fields, badCountry bool) error { return fieldsErr(f, badCountry) }

// NewProfile returns the profile of tenant tenantID made of in, which
// ValidateProfile accepted, created at now.
func NewProfile(tenantID string, in ProfileInput, now time.Time) Profile {
	return Profile{
		TenantID:           tenantID,
		Nickname:           in.Nickname,
		RegistrationNumber: in.RegistrationNumber,
		Address:            in.Address,
		Website:            in.Website,
		CreatedAt:          now,
		UpdatedAt:          now,
	}
}

// SubdomainFrom returns a subdomain made from a name or nickname: letters
// without their accents, in lower case, digits, and single hyphens for
// everything else, at most 40 characters ("Çay Evi & Co." gives
// "cay-evi-co"). It may be empty or too short to be valid.
func SubdomainFrom(name string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFKD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // an accent, split off by NFKD
		case r == 'ı':
			r = 'i'
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
			if b.Len() >= 40 {
				break
			}
			continue
		}
		hyphen = true
	}
	return strings.TrimRight(b.String(), "-")
}
