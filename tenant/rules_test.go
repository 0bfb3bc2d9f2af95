package tenant_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/google/go-cmp/cmp"
)

func TestSubdomainRules(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string // the stored subdomain; "" when refused
		nomsg string // a part of the field message, when refused
	}{
		{"min length 3", "abc", "abc", ""},
		{"length 2", "ab", "", "3 to 63"},
		{"length 1", "a", "", "3 to 63"},
		{"max length 63", strings.Repeat("a", 63), strings.Repeat("a", 63), ""},
		{"length 64", strings.Repeat("a", 64), "", "3 to 63"},
		{"digits", "123", "123", ""},
		{"letters and digits", "acme2025", "acme2025", ""},
		{"inner hyphen", "my-shop", "my-shop", ""},
		{"double inner hyphen", "my--shop", "my--shop", ""},
		{"leading hyphen", "-shop", "", "hyphen"},
		{"trailing hyphen", "shop-", "", "hyphen"},
		{"uppercase normalized", "AcMe", "acme", ""},
		{"spaces trimmed", "  acme  ", "acme", ""},
		{"underscore", "my_shop", "", "lowercase letters"},
		{"dot", "my.shop", "", "lowercase letters"},
		{"inner space", "my shop", "", "lowercase letters"},
		{"unicode", "çaykur", "", "lowercase letters"},
		{"unicode uppercase", "ÇAYKUR", "", "lowercase letters"},
		{"emoji", "shop🙂", "", "lowercase letters"},
		{"reserved www", "www", "", "reserved"},
		{"reserved api", "api", "", "reserved"},
		{"reserved admin", "admin", "", "reserved"},
		{"reserved app", "app", "", "reserved"},
		{"reserved mail", "mail", "", "reserved"},
		{"reserved uppercase", "WWW", "", "reserved"},
		{"empty", "", "", "required"},
		{"blank", "   ", "", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			in := validInput()
			in.Subdomain = tt.in
			got, err := f.svc.Create(context.Background(), in)
			if tt.want != "" {
				if err != nil {
					t.Fatalf("Create(subdomain %q): got %v, want nil", tt.in, err)
				}
				if got.Subdomain != tt.want {
					t.Errorf("subdomain: got %q, want %q", got.Subdomain, tt.want)
				}
				if m := tenant.ValidateSubdomain(tenant.NormalizeSubdomain(tt.in), nil); m != "" {
					t.Errorf("ValidateSubdomain(%q): got %q, want \"\"", tt.in, m)
				}
				return
			}
			wantFields(t, err, "subdomain")
			var e *core.Error
			errors.As(err, &e)
			if !strings.Contains(e.Fields[0].Message, tt.nomsg) {
				t.Errorf("message: got %q, want it to contain %q", e.Fields[0].Message, tt.nomsg)
			}
			if n := len(f.all(t)); n != 0 {
				t.Errorf("tenants stored: got %d, want 0", n)
			}
		})
	}
}

func TestCustomReserved(t *testing.T) {
	f := newFixture(t, tenant.WithReserved([]string{" Acme ", "SHOP"}))
	ctx := context.Background()
	tests := []struct {
		subdomain string
		reserved  bool
	}{
		{"acme", true},
		{"ACME", true},
		{"shop", true},
		{"www", false}, // the defaults are replaced, not extended
		{"api", false},
		{"acme2", false},
	}
	for _, tt := range tests {
		in := validInput()
		in.Subdomain = tt.subdomain
		_, err := f.svc.Create(ctx, in)
		if tt.reserved {
			wantFields(t, err, "subdomain")
		} else if err != nil {
			t.Errorf("Create(%q): got %v, want nil", tt.subdomain, err)
		}
	}
}

func TestDefaultReservedAreRefused(t *testing.T) {
	reserved := make(map[string]bool)
	for _, r := range tenant.DefaultReserved {
		reserved[r] = true
	}
	for _, want := range []string{"www", "api", "admin", "app", "mail"} {
		if !reserved[want] {
			t.Errorf("DefaultReserved lacks %q", want)
		}
	}
	for _, r := range tenant.DefaultReserved {
		if len(r) < 3 {
			continue // already refused for its length
		}
		if m := tenant.ValidateSubdomain(r, reserved); !strings.Contains(m, "reserved") {
			t.Errorf("ValidateSubdomain(%q): got %q, want a reserved message", r, m)
		}
	}
}

func TestValidateEmail(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com" // 255
	tests := []struct {
		in string
		ok bool
	}{
		{"john@acme.com", true},
		{"john.doe+tag@mail.acme.com.tr", true},
		{"j@a.io", true},
		{"", false},
		{"john", false},
		{"john@", false},
		{"@acme.com", false},
		{"john@acme", false},
		{"john@@acme.com", false},
		{"john@.acme.com", false},
		{"john@acme.com.", false},
		{"john doe@acme.com", false},
		{"John Doe <john@acme.com>", false},
		{"<john@acme.com>", false},
		{" john@acme.com", false},
		{long, false},
	}
	for _, tt := range tests {
		m := tenant.ValidateEmail(tt.in)
		if (m == "") != tt.ok {
			t.Errorf("ValidateEmail(%q): got %q, want valid=%v", tt.in, m, tt.ok)
		}
	}
}

func TestValidatePhone(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"seed 000 number", "+905321234567", true},
		{"US number", "+12025550173", true},
		{"UK number", "+442071838750", true},
		{"spaces", "+1 202 555 0123", false},
		{"hyphens", "+1-202-555-0123", false},
		{"parentheses", "+1(202)5550123", false},
		{"no plus", "905321234567", false},
		{"national form", "05321234567", false},
		{"leading 0 after +", "+0905321234567", false},
		{"trunk 0 kept", "+4402071838750", false},
		{"letters", "+90532ABC4567", false},
		{"too short", "+90", false},
		{"only plus", "+", false},
		{"too long", "+12345678901234567", false},
		{"unknown country code", "+999123456789", false},
		{"one digit short", "+90532123456", false},
		{"one digit long", "+9053212345678", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tenant.ValidatePhone(tt.in)
			if (m == "") != tt.ok {
				t.Errorf("ValidatePhone(%q): got %q, want valid=%v", tt.in, m, tt.ok)
			}
		})
	}
}

func TestPlanHelpers(t *testing.T) {
	tests := []struct {
		in      string
		id, key string
		validID bool
	}{
		{"plan_professional", "plan_professional", "professional", true},
		{"professional", "plan_professional", "professional", false},
		{"", "", "", true},
		{"plan_", "plan_", "", false},
	}
	for _, tt := range tests {
		if got := tenant.PlanIDFromKey(tt.in); got != tt.id {
			t.Errorf("PlanIDFromKey(%q): got %q, want %q", tt.in, got, tt.id)
		}
		if got := tenant.PlanKey(tenant.PlanIDFromKey(tt.in)); got != tt.key {
			t.Errorf("PlanKey(%q): got %q, want %q", tt.id, got, tt.key)
		}
		if got := tenant.ValidatePlanID(tt.in) == ""; got != tt.validID {
			t.Errorf("ValidatePlanID(%q) valid: got %v, want %v", tt.in, got, tt.validID)
		}
	}
}

func TestSettingsJSONRoundTrip(t *testing.T) {
	in := `{"industry":"technology","companySize":"51-200","region":"emea","tags":[ "a", "b" ],"seats":{ "max": 10 },"beta":true,"note":null}`
	var s tenant.Settings
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if s.Industry != "technology" || s.CompanySize != "51-200" {
		t.Errorf("known keys: got %q, %q, want technology, 51-200", s.Industry, s.CompanySize)
	}
	wantExtra := map[string]string{
		"region": `"emea"`,
		"tags":   `["a","b"]`,
		"seats":  `{"max":10}`,
		"beta":   `true`,
		"note":   `null`,
	}
	gotExtra := make(map[string]string)
	for k, v := range s.Extra {
		gotExtra[k] = string(v)
	}
	if diff := cmp.Diff(wantExtra, gotExtra); diff != "" {
		t.Errorf("Extra, compacted (-want +got):\n%s", diff)
	}

	out, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var want, got map[string]any
	if err := json.Unmarshal([]byte(in), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("Marshal wrote invalid JSON %s: %v", out, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip is not one flat object equal to the input (-want +got):\n%s", diff)
	}

	var again tenant.Settings
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatalf("Unmarshal of Marshal output: %v", err)
	}
	if diff := cmp.Diff(s, again); diff != "" {
		t.Errorf("second round trip differs (-first +second):\n%s", diff)
	}
}

func TestSettingsJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    tenant.Settings
		wantErr string // a part of the error, or "" for success
	}{
		{"empty object", `{}`, tenant.Settings{}, ""},
		{"null", `null`, tenant.Settings{}, ""},
		{"known keys only", `{"industry":"retail"}`, tenant.Settings{Industry: "retail"}, ""},
		{"industry number", `{"industry":5}`, tenant.Settings{}, "industry"},
		{"industry object", `{"industry":{"a":1}}`, tenant.Settings{}, "industry"},
		{"companySize number", `{"companySize":51}`, tenant.Settings{}, "companySize"},
		{"not an object", `[1,2]`, tenant.Settings{}, "cannot unmarshal"},
		{"string", `"technology"`, tenant.Settings{}, "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s tenant.Settings
			err := json.Unmarshal([]byte(tt.in), &s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Unmarshal(%s): got %v, want an error containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, s); diff != "" {
				t.Errorf("Unmarshal(%s) (-want +got):\n%s", tt.in, diff)
			}
		})
	}

	b, err := json.Marshal(tenant.Settings{})
	if err != nil || string(b) != "{}" {
		t.Errorf("Marshal(Settings{}): got %s, %v, want {}", b, err)
	}
}
