package reseller_test

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func validInput() reseller.Input {
	return reseller.Input{
		Name:               "  Northwind Distribution ",
		Contact:            tenant.Contact{Name: " Mia Wong ", Email: " mia@northwind.example.com ", Phone: "+61291234567"},
		Address:            reseller.Address{Line1: " 100 George St ", Line2: "Level 3", Postcode: "2000", City: "Sydney", Region: "NSW", Country: " au "},
		RegistrationNumber: " 51 824 753 556 ",
		Website:            "https://northwind.example.com",
	}
}

// codeAndFields returns the code of err and the names of its fields,
// sorted.
func codeAndFields(t *testing.T, err error) (core.Code, []string) {
	t.Helper()
	if err == nil {
		return "", nil
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is %T, want *core.Error", err, err)
	}
	var names []string
	for _, f := range ce.Fields {
		names = append(names, f.Field)
	}
	slices.Sort(names)
	return ce.Code, names
}

func TestNew(t *testing.T) {
	r, err := reseller.New(reseller.KindDistributor, validInput(), now)
	if err != nil {
		t.Fatalf("New: got error %v, want nil", err)
	}
	want := reseller.Reseller{
		ID:                 r.ID,
		Kind:               reseller.KindDistributor,
		Name:               "Northwind Distribution",
		Contact:            tenant.Contact{Name: "Mia Wong", Email: "mia@northwind.example.com", Phone: "+61291234567"},
		Address:            reseller.Address{Line1: "100 George St", Line2: "Level 3", Postcode: "2000", City: "Sydney", Region: "NSW", Country: "AU"},
		RegistrationNumber: "51 824 753 556",
		Website:            "https://northwind.example.com",
		Status:             reseller.StatusActive,
		CreatedAt:          now,
		UpdatedAt:          now,
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("New (-want +got):\n%s", diff)
	}
	if !core.ValidID(core.PrefixDistributor, r.ID) || len(r.ID) != len("dist_")+core.IDRandomLen {
		t.Errorf("ID: got %q, want dist_ and %d random characters", r.ID, core.IDRandomLen)
	}
	p, err := reseller.New(reseller.KindPartner, reseller.Input{
		Name: "P", Contact: tenant.Contact{Name: "A", Email: "a@b.co"},
		Address:       reseller.Address{Line1: "1 A St", Postcode: "1", Country: "TR"},
		DistributorID: r.ID,
	}, now)
	if err != nil || !core.ValidID(core.PrefixPartner, p.ID) || p.DistributorID != r.ID || p.Kind != reseller.KindPartner {
		t.Errorf("New partner: got %+v, %v; want a prt_ under %s", p, err, r.ID)
	}
	if _, err := reseller.New(reseller.KindPlatform, validInput(), now); core.ErrorCode(err) != core.Invalid {
		t.Errorf("New of kind platform: got %v, want code invalid", err)
	}
}

func TestNewInvalid(t *testing.T) {
	tests := []struct {
		name       string
		kind       reseller.Kind
		change     func(in *reseller.Input)
		wantCode   core.Code
		wantFields []string
	}{
		{"empty", reseller.KindDistributor, func(in *reseller.Input) { *in = reseller.Input{} }, core.Invalid,
			[]string{"billingAddress.country", "billingAddress.line1", "billingAddress.postcode", "contact.email", "contact.name", "name"}},
		{"lower-case country is fine", reseller.KindDistributor, func(in *reseller.Input) { in.Address.Country = "nz" }, "", nil},
		{"country name", reseller.KindDistributor, func(in *reseller.Input) { in.Address.Country = "Australia" }, core.CountryInvalid, []string{"billingAddress.country"}},
		{"alpha-3", reseller.KindDistributor, func(in *reseller.Input) { in.Address.Country = "AUS" }, core.CountryInvalid, []string{"billingAddress.country"}},
		{"UK", reseller.KindPartner, func(in *reseller.Input) { in.Address.Country = "UK" }, core.CountryInvalid, []string{"billingAddress.country"}},
		{"country and others", reseller.KindPartner, func(in *reseller.Input) { in.Address.Country, in.Name = "ZZ", "" }, core.CountryInvalid,
			[]string{"billingAddress.country", "name"}},
		{"bad phone and email", reseller.KindDistributor, func(in *reseller.Input) { in.Contact.Phone, in.Contact.Email = "12345", "nope" }, core.Invalid,
			[]string{"contact.email", "contact.phone"}},
		{"website", reseller.KindDistributor, func(in *reseller.Input) { in.Website = "northwind.example.com" }, core.Invalid, []string{"website"}},
		{"control character", reseller.KindDistributor, func(in *reseller.Input) { in.Address.City = "Syd\x00ney" }, core.Invalid, []string{"billingAddress.city"}},
		{"long postcode", reseller.KindDistributor, func(in *reseller.Input) { in.Address.Postcode = strings.Repeat("9", 21) }, core.Invalid, []string{"billingAddress.postcode"}},
		{"long registration number", reseller.KindDistributor, func(in *reseller.Input) { in.RegistrationNumber = strings.Repeat("1", 51) }, core.Invalid, []string{"registrationNumber"}},
		{"long name", reseller.KindDistributor, func(in *reseller.Input) { in.Name = strings.Repeat("ş", 201) }, core.Invalid, []string{"name"}},
		{"a distributor under a distributor", reseller.KindDistributor, func(in *reseller.Input) { in.DistributorID = "dist_abc" }, core.Invalid, []string{"distributorId"}},
		{"a partner under a partner", reseller.KindPartner, func(in *reseller.Input) { in.DistributorID = "prt_abc" }, core.Invalid, []string{"distributorId"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.change(&in)
			_, err := reseller.New(tt.kind, in, now)
			code, fields := codeAndFields(t, err)
			if code != tt.wantCode || !cmp.Equal(fields, tt.wantFields) {
				t.Errorf("New: got code %q fields %v, want code %q fields %v", code, fields, tt.wantCode, tt.wantFields)
			}
		})
	}
}

func TestApply(t *testing.T) {
	r, err := reseller.New(reseller.KindPartner, validInput(), now)
	if err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	suspended := reseller.StatusSuspended
	got, err := reseller.Apply(r, reseller.Patch{
		Name:    new(" Renamed "),
		Contact: &tenant.ContactPatch{Phone: new("")},
		Address: &reseller.AddressPatch{Line2: new(""), Country: new("de")},
		Website: new(""),
		Status:  &suspended,
	}, later)
	if err != nil {
		t.Fatalf("Apply: got error %v, want nil", err)
	}
	want := r
	want.Name, want.Contact.Phone, want.Address.Line2, want.Address.Country = "Renamed", "", "", "DE"
	want.Website, want.Status, want.UpdatedAt = "", suspended, later
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Apply (-want +got):\n%s", diff)
	}

	tests := []struct {
		name       string
		r          reseller.Reseller
		p          reseller.Patch
		wantCode   core.Code
		wantFields []string
	}{
		{"empty name", r, reseller.Patch{Name: new(" ")}, core.Invalid, []string{"name"}},
		{"withdrawn country", r, reseller.Patch{Address: &reseller.AddressPatch{Country: new("YU")}}, core.CountryInvalid, []string{"billingAddress.country"}},
		{"no line 1", r, reseller.Patch{Address: &reseller.AddressPatch{Line1: new("")}}, core.Invalid, []string{"billingAddress.line1"}},
		{"unknown status", r, reseller.Patch{Status: new(reseller.Status("closed"))}, core.Invalid, []string{"status"}},
		{"deleted", func() reseller.Reseller { d := r; d.DeletedAt = &now; return d }(), reseller.Patch{Name: new("X")}, core.ResellerDeleted, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := reseller.Apply(tt.r, tt.p, later)
			code, fields := codeAndFields(t, err)
			if code != tt.wantCode || !cmp.Equal(fields, tt.wantFields) {
				t.Errorf("Apply: got code %q fields %v, want code %q fields %v", code, fields, tt.wantCode, tt.wantFields)
			}
		})
	}
}

func TestCanOwn(t *testing.T) {
	active := reseller.Reseller{ID: "prt_a", Kind: reseller.KindPartner, Status: reseller.StatusActive}
	suspended := active
	suspended.Status = reseller.StatusSuspended
	deleted := active
	deleted.DeletedAt = &now
	dist := reseller.Reseller{ID: "dist_a", Kind: reseller.KindDistributor, Status: reseller.StatusActive}
	distSuspended := dist
	distSuspended.Status = reseller.StatusSuspended
	distDeleted := dist
	distDeleted.DeletedAt = &now
	tests := []struct {
		name string
		r    reseller.Reseller
		dist *reseller.Reseller
		want core.Code
	}{
		{"active", active, nil, ""},
		{"active under an active distributor", active, &dist, ""},
		{"suspended", suspended, nil, core.OwnerSuspended},
		{"deleted", deleted, nil, core.OwnerUnknown},
		{"under a suspended distributor", active, &distSuspended, core.OwnerSuspended},
		{"under a deleted distributor", active, &distDeleted, core.OwnerSuspended},
	}
	for _, tt := range tests {
		if got := core.ErrorCode(reseller.CanOwn(tt.r, tt.dist)); got != tt.want {
			t.Errorf("CanOwn %s: got code %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	tests := map[string]reseller.Kind{
		"":           reseller.KindPlatform,
		"dist_abc":   reseller.KindDistributor,
		"prt_abc":    reseller.KindPartner,
		"tn_abc":     "",
		"dist_":      "",
		"prt_a b":    "",
		"platform":   "",
		"DIST_abc12": "",
	}
	for id, want := range tests {
		if got := reseller.KindOf(id); got != want {
			t.Errorf("KindOf(%q): got %q, want %q", id, got, want)
		}
	}
}

func TestValidateWebsite(t *testing.T) {
	tests := map[string]bool{
		"":                                 true,
		"https://example.com":              true,
		"http://example.com:8080/a?b=c#d":  true,
		"https://xn--ay-6ka.example.com/ü": true,
		"example.com":                      false,
		"ftp://example.com":                false,
		"https://":                         false,
		"https://user:pw@example.com":      false,
		"https://exa mple.com":             false,
		"javascript:alert(1)":              false,
		"https://" + strings.Repeat("a", reseller.MaxWebsiteLen): false,
	}
	for s, ok := range tests {
		if got := reseller.ValidateWebsite(s) == ""; got != ok {
			t.Errorf("ValidateWebsite(%q) accepts: got %t, want %t", s, got, ok)
		}
	}
}

func TestValidCountry(t *testing.T) {
	tests := map[string]bool{
		"AU": true, "TR": true, "GB": true, "US": true, "DE": true, "AQ": true, "BQ": true, "SS": true, "CW": true, "AX": true,
		"au": false, "Au": false, "AUS": false, "036": false, "": false, "A": false,
		"UK": false, "EU": false, "UN": false, "XK": false, "ZZ": false, "AA": false, "QM": false, "XA": false,
		"YU": false, "SU": false, "CS": false, "AN": false, "DD": false, "BU": false, "ZR": false, "TP": false, "NT": false,
		"AC": false, "CP": false, "DG": false, "EA": false, "IC": false, "TA": false, "FX": false, "EZ": false,
	}
	for code, want := range tests {
		if got := reseller.ValidCountry(code); got != want {
			t.Errorf("ValidCountry(%q): got %t, want %t", code, got, want)
		}
	}
	n := 0
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			if reseller.ValidCountry(string([]rune{a, b})) {
				n++
			}
		}
	}
	if n != 249 {
		t.Errorf("got %d valid codes, want the 249 of ISO 3166-1", n)
	}
}

// TestValidCountryMatchesISOCodes compares the codes with Debian's
// iso-codes list of ISO 3166-1, where it is installed.
func TestValidCountryMatchesISOCodes(t *testing.T) {
	const path = "/usr/share/iso-codes/json/iso_3166-1.json"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install iso-codes): %v", path, err)
	}
	var doc struct {
		Countries []struct {
			Alpha2 string `json:"alpha_2"`
		} `json:"3166-1"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	want := map[string]bool{}
	for _, c := range doc.Countries {
		want[c.Alpha2] = true
	}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			if got := reseller.ValidCountry(code); got != want[code] {
				t.Errorf("ValidCountry(%q): got %t, want %t as in iso-codes", code, got, want[code])
			}
		}
	}
}

func TestCheckFilter(t *testing.T) {
	f, err := reseller.CheckFilter(reseller.Filter{Query: "  abc "}, "q")
	if err != nil || f.Query != "abc" || f.Page != (core.PageRequest{Page: 1, Limit: 20}) {
		t.Errorf("CheckFilter: got %+v, %v; want the query trimmed and the page normalized", f, err)
	}
	_, err = reseller.CheckFilter(reseller.Filter{Kind: "x", Status: "y", DistributorID: "prt_a", Query: strings.Repeat("q", 201), Page: core.PageRequest{Page: -1}}, "q")
	if _, fields := codeAndFields(t, err); !cmp.Equal(fields, []string{"distributorId", "kind", "page", "q", "status"}) {
		t.Errorf("CheckFilter: got fields %v", fields)
	}
	_, err = reseller.CheckCustomerFilter(reseller.CustomerFilter{Under: "tn_a", Query: "\xff"})
	if _, fields := codeAndFields(t, err); !cmp.Equal(fields, []string{"name", "ownerId"}) {
		t.Errorf("CheckCustomerFilter: got fields %v, want name and ownerId", fields)
	}
	for _, under := range []string{"", "dist_a", "prt_a"} {
		if _, err := reseller.CheckCustomerFilter(reseller.CustomerFilter{Under: under}); err != nil {
			t.Errorf("CheckCustomerFilter(Under %q): got error %v, want nil", under, err)
		}
	}
}
