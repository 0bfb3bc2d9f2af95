package tenant

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/atomixplatform/atomix/core"
	"github.com/nyaruka/phonenumbers"
)

var stringType = reflect.TypeOf("")

// transitions is the lifecycle: transitions[from][to] is true when the move
// is allowed. Anything not listed is refused with core.InvalidTransition.
// A trial is suspended when it ends unconverted (billing moves it so).
var transitions = map[Status]map[Status]bool{
	StatusTrial:     {StatusActive: true, StatusSuspended: true, StatusCancelled: true},
	StatusActive:    {StatusSuspended: true, StatusCancelled: true},
	StatusSuspended: {StatusActive: true, StatusCancelled: true},
	StatusCancelled: {},
}

// CanTransition reports whether a tenant in status from may move to status to.
func CanTransition(from, to Status) bool { return transitions[from][to] }

// CheckTransition returns nil when from -> to is allowed, and otherwise a
// core.InvalidTransition error naming both states.
func CheckTransition(from, to Status) error {
	if CanTransition(from, to) {
		return nil
	}
	return core.Errorf(core.InvalidTransition, "a %s tenant cannot become %s", from, to)
}

// DefaultReserved is the default list of subdomains no tenant may take.
var DefaultReserved = []string{
	"www", "api", "admin", "app", "mail", "email", "smtp", "imap", "pop", "pop3", "ftp", "sftp",
	"ns", "ns1", "ns2", "dns", "mx", "static", "assets", "cdn", "media", "status", "help",
	"support", "docs", "blog", "dev", "staging", "test", "root", "system", "platform",
	"billing", "auth", "login", "sso", "oauth", "account", "accounts", "dashboard", "console",
	"portal", "webmail", "localhost", "atomix", "internal", "security", "abuse", "postmaster",
	"hostmaster", "webmaster", "swagger", "metrics", "health",
}

// Field-length limits.
const (
	MaxNameLen  = 200
	MaxEmailLen = 254
)

// NormalizeSubdomain trims and lowercases s; subdomains compare
// case-insensitively, so they are kept in lowercase.
func NormalizeSubdomain(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateSubdomain checks a normalized subdomain against the DNS-label
// rules (3 to 63 characters, lowercase letters, digits and inner hyphens) and
// the reserved list, and returns a message for the "subdomain" field, or "".
func ValidateSubdomain(s string, reserved map[string]bool) string {
	if len(s) < 3 || len(s) > 63 {
		return "must be 3 to 63 characters long"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if i == 0 || i == len(s)-1 {
				return "must not start or end with a hyphen"
			}
		default:
			return "may hold only lowercase letters, digits and inner hyphens"
		}
	}
	if reserved[s] {
		return fmt.Sprintf("%q is reserved", s)
	}
	return ""
}

// ValidateEmail returns a message for an invalid email address, or "".
// The address must be a bare addr-spec (no display name) with a domain
// holding a dot.
func ValidateEmail(s string) string {
	if s == "" {
		return "is required"
	}
	if len(s) > MaxEmailLen {
		return fmt.Sprintf("must be at most %d characters", MaxEmailLen)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "must be a valid email address"
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "must be a valid email address"
	}
	return ""
}

// ValidatePhone returns a message for a phone number that is not a valid
// number in E.164 form ("+" then the country code and number, digits only),
// or "". Validity is decided by libphonenumber's metadata.
func ValidatePhone(s string) string {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return "must be an E.164 number such as +905321234567"
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "must be an E.164 number such as +905321234567"
		}
	}
	n, err := phonenumbers.Parse(s, "")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "is not a valid phone number"
	}
	if phonenumbers.Format(n, phonenumbers.E164) != s {
		return "must be an E.164 number such as +905321234567"
	}
	return ""
}

func validateName(f *core.Fields, field, s string, required bool) {
	switch {
	case strings.TrimSpace(s) == "":
		if required {
			f.Add(field, "is required")
		}
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > MaxNameLen:
		f.Add(field, "must be at most %d characters", MaxNameLen)
	case strings.ContainsFunc(s, isControl):
		f.Add(field, "must not contain control characters")
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func validateContact(f *core.Fields, c Contact) {
	validateName(f, "contact.name", c.Name, true)
	if m := ValidateEmail(c.Email); m != "" {
		f.Add("contact.email", "%s", m)
	}
	if c.Phone != "" {
		if m := ValidatePhone(c.Phone); m != "" {
			f.Add("contact.phone", "%s", m)
		}
	}
}

func validateSettings(f *core.Fields, s Settings) {
	if utf8.RuneCountInString(s.Industry) > MaxNameLen {
		f.Add("settings.industry", "must be at most %d characters", MaxNameLen)
	}
	if utf8.RuneCountInString(s.CompanySize) > MaxNameLen {
		f.Add("settings.companySize", "must be at most %d characters", MaxNameLen)
	}
	if len(s.Extra) > MaxSettingsKeys {
		f.Add("settings", "may hold at most %d keys", MaxSettingsKeys+2)
	}
	for k, v := range s.Extra {
		switch {
		case k == "" || len(k) > MaxSettingsKeyLen || !utf8.ValidString(k):
			f.Add("settings", "keys must be 1 to %d characters", MaxSettingsKeyLen)
		case k == "industry" || k == "companySize":
			// Kept in Extra it would shadow the typed field and could not
			// round-trip through Settings' JSON form.
			f.Add("settings."+k, "must be set as the %s string, not a free-form key", k)
		case len(v) > MaxSettingsValueLen:
			f.Add("settings."+k, "must be at most %d bytes of JSON", MaxSettingsValueLen)
		case !json.Valid(v):
			f.Add("settings."+k, "must be valid JSON")
		}
	}
}

// ValidatePlanID returns a message for a malformed plan ID, or "". An empty
// plan ID is allowed (no plan). Whether the plan exists is checked by the
// billing domain.
func ValidatePlanID(s string) string {
	if s == "" || core.ValidID(core.PrefixPlan, s) {
		return ""
	}
	return `must be a plan ID such as "plan_professional"`
}

// PlanKey returns the short plan name used by the "plan" field and filter of
// seed 000: the plan ID without its "plan_" prefix.
func PlanKey(planID string) string {
	return strings.TrimPrefix(planID, core.PrefixPlan+"_")
}

// PlanIDFromKey accepts either a plan ID ("plan_professional") or its short
// key ("professional") and returns the plan ID.
func PlanIDFromKey(s string) string {
	if s == "" || strings.HasPrefix(s, core.PrefixPlan+"_") {
		return s
	}
	return core.PrefixPlan + "_" + s
}

func compact(v json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return v
	}
	return b.Bytes()
}
