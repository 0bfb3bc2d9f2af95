package reseller_test

import (
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

func day(n int) time.Time { return time.Date(2026, 3, n, 0, 0, 0, 0, time.UTC) }

// history returns a tenant's rows: prt_a from day 1, dist_b from day 10,
// the platform from day 20.
func history() []reseller.Ownership {
	return []reseller.Ownership{
		{TenantID: "tn_a", OwnerID: "prt_a", ValidFrom: day(1), ValidTo: new(day(10))},
		{TenantID: "tn_a", OwnerID: "dist_b", ValidFrom: day(10), ValidTo: new(day(20))},
		{TenantID: "tn_a", OwnerID: "", ValidFrom: day(20)},
	}
}

func TestOwnerAt(t *testing.T) {
	tests := []struct {
		at     time.Time
		want   string
		wantOK bool
	}{
		{day(1).Add(-time.Nanosecond), "", false},
		{day(1), "prt_a", true},
		{day(10).Add(-time.Microsecond), "prt_a", true},
		{day(10), "dist_b", true},
		{day(19), "dist_b", true},
		{day(20), "", true},
		{day(20).AddDate(5, 0, 0), "", true},
	}
	for _, tt := range tests {
		got, ok := reseller.OwnerAt(history(), tt.at)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("OwnerAt(%v): got %q, %t; want %q, %t", tt.at, got, ok, tt.want, tt.wantOK)
		}
	}
	if _, ok := reseller.OwnerAt(nil, day(1)); ok {
		t.Error("OwnerAt of no history: got true, want false")
	}
}

func TestHistory(t *testing.T) {
	tn := tenant.Tenant{ID: "tn_a", OwnerID: "prt_z", CreatedAt: day(3)}
	if diff := cmp.Diff(history(), reseller.History(tn, history())); diff != "" {
		t.Errorf("History of a stored history (-want +got):\n%s", diff)
	}
	want := []reseller.Ownership{{TenantID: "tn_a", OwnerID: "prt_z", ValidFrom: day(3)}}
	if diff := cmp.Diff(want, reseller.History(tn, nil)); diff != "" {
		t.Errorf("History without rows (-want +got):\n%s", diff)
	}
}

func TestCheckMove(t *testing.T) {
	tn := tenant.Tenant{ID: "tn_a", CreatedAt: day(1)}
	deleted := tn
	deleted.DeletedAt = new(day(25))
	tests := []struct {
		name  string
		t     tenant.Tenant
		owner string
		from  time.Time
		want  core.Code
	}{
		{"after the latest", tn, "prt_c", day(21), ""},
		{"a microsecond after the latest", tn, "prt_c", day(20).Add(time.Microsecond), ""},
		{"back to an earlier owner", tn, "prt_a", day(21), ""},
		{"at the latest", tn, "prt_c", day(20), core.OwnershipOverlap},
		{"inside an earlier row", tn, "prt_c", day(15), core.OwnershipOverlap},
		{"before the tenant", tn, "prt_c", day(1).Add(-time.Second), core.OwnershipBeforeTenant},
		{"to the current owner", tn, "", day(21), core.OwnerUnchanged},
		{"a deleted tenant", deleted, "prt_c", day(26), core.TenantDeleted},
	}
	for _, tt := range tests {
		err := reseller.CheckMove(tt.t, history(), tt.owner, tt.from)
		if got := core.ErrorCode(err); got != tt.want {
			t.Errorf("CheckMove %s: got %v, want code %q", tt.name, err, tt.want)
		}
	}
	err := reseller.CheckMove(tn, history(), "prt_c", day(15))
	if msg := core.ErrorMessage(err); !strings.Contains(msg, "2026-03-20T00:00:00Z") {
		t.Errorf("overlap message %q: want it to name the latest move's start", msg)
	}
}

func TestValidateProfile(t *testing.T) {
	var f core.Fields
	got, bad := reseller.ValidateProfile(&f, reseller.ProfileInput{
		Nickname: " ABC ", RegistrationNumber: " 123455 ",
		Address: reseller.Address{Line1: " 123 Some Street ", Postcode: " 4000 ", Country: " au "},
		Website: " https://abc.example.com ",
	})
	want := reseller.ProfileInput{
		Nickname: "ABC", RegistrationNumber: "123455",
		Address: reseller.Address{Line1: "123 Some Street", Postcode: "4000", Country: "AU"},
		Website: "https://abc.example.com",
	}
	if len(f) != 0 || bad {
		t.Errorf("ValidateProfile of seed 003's body: got fields %v, bad country %t; want none", f, bad)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ValidateProfile (-want +got):\n%s", diff)
	}

	tests := []struct {
		name       string
		in         reseller.ProfileInput
		wantCode   core.Code
		wantFields []string
	}{
		{"empty", reseller.ProfileInput{}, core.Invalid, []string{"addressLine1", "country", "nickname", "postcode"}},
		{"country name", reseller.ProfileInput{Nickname: "n", Address: reseller.Address{Line1: "l", Postcode: "p", Country: "Australia"}}, core.CountryInvalid, []string{"country"}},
		{"optional fields bad", reseller.ProfileInput{
			Nickname: "n", RegistrationNumber: strings.Repeat("9", 51), Website: "abc",
			Address: reseller.Address{Line1: "l", Line2: "a\tb", Postcode: "p", City: strings.Repeat("c", 101), Region: "r", Country: "NZ"},
		}, core.Invalid, []string{"addressLine2", "city", "registrationNumber", "website"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f core.Fields
			_, bad := reseller.ValidateProfile(&f, tt.in)
			code, fields := codeAndFields(t, reseller.InvalidErr(f, bad))
			if code != tt.wantCode || !cmp.Equal(fields, tt.wantFields) {
				t.Errorf("got code %q fields %v, want code %q fields %v", code, fields, tt.wantCode, tt.wantFields)
			}
		})
	}
}

func TestNewProfile(t *testing.T) {
	in := reseller.ProfileInput{Nickname: "n", Address: reseller.Address{Line1: "l", Postcode: "p", Country: "AU"}, Website: "https://w.example"}
	want := reseller.Profile{TenantID: "tn_a", Nickname: "n", Address: in.Address, Website: "https://w.example", CreatedAt: day(1), UpdatedAt: day(1)}
	if diff := cmp.Diff(want, reseller.NewProfile("tn_a", in, day(1))); diff != "" {
		t.Errorf("NewProfile (-want +got):\n%s", diff)
	}
}

func TestSubdomainFrom(t *testing.T) {
	tests := map[string]string{
		"ABC":                        "abc",
		"waqi sc01":                  "waqi-sc01",
		"Çay Evi & Co.":              "cay-evi-co",
		"  --Ünïcödé--  ":            "unicode",
		"Işık Yazılım":               "isik-yazilim",
		"ﬁnance ①":                   "finance-1",
		"日本":                         "",
		"a":                          "a",
		strings.Repeat("abcde ", 20): "abcde-abcde-abcde-abcde-abcde-abcde-abcd",
	}
	for in, want := range tests {
		got := reseller.SubdomainFrom(in)
		if got != want {
			t.Errorf("SubdomainFrom(%q): got %q, want %q", in, got, want)
		}
		if len(got) > 40 || strings.HasPrefix(got, "-") || strings.HasSuffix(got, "-") || strings.Contains(got, "--") {
			t.Errorf("SubdomainFrom(%q) = %q: want at most 40 characters and single inner hyphens", in, got)
		}
		if got != "" && len(got) >= 3 && tenant.ValidateSubdomain(got, nil) != "" {
			t.Errorf("SubdomainFrom(%q) = %q: not a valid subdomain: %s", in, got, tenant.ValidateSubdomain(got, nil))
		}
	}
}
