package tenant

import (
	"encoding/json"
	"time"
)

// Status is a tenant's lifecycle state.
type Status string

// The lifecycle states. A tenant starts in StatusTrial; StatusCancelled is
// terminal.
const (
	StatusTrial     Status = "trial"
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusCancelled Status = "cancelled"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusTrial, StatusActive, StatusSuspended, StatusCancelled}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusTrial, StatusActive, StatusSuspended, StatusCancelled:
		return true
	}
	return false
}

// Tenant is one customer organisation of the platform.
type Tenant struct {
	ID        string
	Name      string
	Subdomain string // a lowercase DNS label, unique among tenants not deleted
	Status    Status
	PlanID    string // e.g. "plan_professional"; may be empty
	Contact   Contact
	Settings  Settings
	// OwnerID is the reseller (distributor or partner) owning the tenant;
	// empty when the platform owns it directly.
	OwnerID   string
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time // set by a soft delete

	// AtomCount (installed atoms that are not built-in) and UserCount are
	// derived by the store from other domains on every read (GetTenant,
	// ListTenants and the result of UpdateTenant); they are never written.
	AtomCount int
	UserCount int
}

// Deleted reports whether the tenant was soft-deleted.
func (t *Tenant) Deleted() bool { return t.DeletedAt != nil }

// Contact is the tenant's primary contact person.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone,omitempty"` // E.164, e.g. "+905321234567"
}

// Settings holds the tenant's descriptive settings: the two known keys of
// seed 000 and free-form ones. Free-form values are any JSON value, kept as
// compact JSON text so they round-trip exactly through every store.
type Settings struct {
	Industry    string
	CompanySize string
	Extra       map[string]json.RawMessage
}

// Limits on free-form settings.
const (
	MaxSettingsKeys     = 50
	MaxSettingsKeyLen   = 64
	MaxSettingsValueLen = 4096
)

// MarshalJSON writes the settings as one flat JSON object.
func (s Settings) MarshalJSON() ([]byte, error) {
	m := make(map[string]json.RawMessage, len(s.Extra)+2)
	for k, v := range s.Extra {
		m[k] = v
	}
	if s.Industry != "" {
		b, _ := json.Marshal(s.Industry)
		m["industry"] = b
	}
	if s.CompanySize != "" {
		b, _ := json.Marshal(s.CompanySize)
		m["companySize"] = b
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads a flat JSON object; "industry" and "companySize" must
// be strings, every other key is kept as compact JSON.
func (s *Settings) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*s = Settings{}
	for k, v := range m {
		switch k {
		case "industry":
			if err := json.Unmarshal(v, &s.Industry); err != nil {
				return &json.UnmarshalTypeError{Value: "non-string", Type: stringType, Field: "industry"}
			}
		case "companySize":
			if err := json.Unmarshal(v, &s.CompanySize); err != nil {
				return &json.UnmarshalTypeError{Value: "non-string", Type: stringType, Field: "companySize"}
			}
		default:
			if s.Extra == nil {
				s.Extra = make(map[string]json.RawMessage)
			}
			s.Extra[k] = compact(v)
		}
	}
	return nil
}
