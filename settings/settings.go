// Package settings holds the platform's settings (seed 001): branding,
// licensing and identity configuration (which login methods are on, the
// OTP code's length and lifetime, the federated providers). They are kept
// in the store as one versioned document and read per request, so that a
// change takes effect without a restart.
package settings

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/atomixplatform/atomix/core"
)

// Bounds of the settings.
const (
	MaxDisplayNameLen = 100
	MaxURLLen         = 2048
	MaxLicenseKeyLen  = 256
	MaxSeats          = 10_000_000
	MinOTPLength      = 4
	MaxOTPLength      = 8
	MinOTPLifetime    = 60  // seconds
	MaxOTPLifetime    = 600 // seconds
	MaxClientIDLen    = 256
	MaxAllowList      = 100
)

// Defaults of the identity settings.
const (
	DefaultOTPLength   = 6
	DefaultOTPLifetime = 120 // seconds
)

// ScopePlatform is the scope of the platform's settings.
const ScopePlatform = "platform"

// Settings are the platform's settings.
type Settings struct {
	Branding  Branding  `json:"branding"`
	Licensing Licensing `json:"licensing"`
	Identity  Identity  `json:"identity"`
	// Version counts the changes; 0 until the first.
	Version   int        `json:"version"`
	UpdatedAt *time.Time `json:"updatedAt"`
}

// Branding is how the platform presents itself.
type Branding struct {
	DisplayName string `json:"displayName"`
	// LogoURL is an absolute https URL, or empty.
	LogoURL string `json:"logoUrl"`
	// PrimaryColor is "#rrggbb", or empty.
	PrimaryColor string `json:"primaryColor"`
}

// Licensing is the platform's license.
type Licensing struct {
	LicenseKey string `json:"licenseKey"`
	Seats      int    `json:"seats"`
}

// Identity configures login.
type Identity struct {
	LoginMethods LoginMethods `json:"loginMethods"`
	OTP          OTP          `json:"otp"`
	// LinkByEmail lets a federated login take over the existing user with
	// the token's verified email, when no user has its (provider, subject)
	// yet.
	LinkByEmail bool      `json:"linkByEmail"`
	Providers   Providers `json:"providers"`
}

// LoginMethods says which login methods are on.
type LoginMethods struct {
	Password  bool `json:"password"`
	OTP       bool `json:"otp"`
	Federated bool `json:"federated"`
}

// OTP is the phone code's length and lifetime.
type OTP struct {
	Length          int `json:"length"`          // MinOTPLength..MaxOTPLength digits
	LifetimeSeconds int `json:"lifetimeSeconds"` // MinOTPLifetime..MaxOTPLifetime
}

// Lifetime returns LifetimeSeconds as a duration.
func (o OTP) Lifetime() time.Duration { return time.Duration(o.LifetimeSeconds) * time.Second }

// Providers are the federated identity providers.
type Providers struct {
	Google Provider `json:"google"`
	Entra  Provider `json:"entra"`
}

// Provider is one federated identity provider.
type Provider struct {
	Enabled bool `json:"enabled"`
	// ClientID is the audience its ID tokens must carry; required when
	// Enabled.
	ClientID string `json:"clientId"`
	// AllowedTenants (Entra only) lists the directory IDs (tid) whose
	// tokens are accepted; required for Entra when Enabled.
	AllowedTenants []string `json:"allowedTenants"`
	// AllowedDomains (Google only), when not empty, lists the hosted
	// domains (hd) whose tokens are accepted.
	AllowedDomains []string `json:"allowedDomains"`
}

// Default returns the settings before any change: password and OTP login
// on, federated login off, 6-digit codes living 120 seconds.
func Default() Settings {
	return Settings{
		Identity: Identity{
			LoginMethods: LoginMethods{Password: true, OTP: true},
			OTP:          OTP{Length: DefaultOTPLength, LifetimeSeconds: DefaultOTPLifetime},
			Providers:    Providers{Google: Provider{AllowedTenants: []string{}, AllowedDomains: []string{}}, Entra: Provider{AllowedTenants: []string{}, AllowedDomains: []string{}}},
		},
	}
}

// Patch changes some settings; nil fields are left as they are, and a
// given list replaces the stored one.
type Patch struct {
	Branding  *BrandingPatch  `json:"branding"`
	Licensing *LicensingPatch `json:"licensing"`
	Identity  *IdentityPatch  `json:"identity"`
}

// BrandingPatch changes Branding.
type BrandingPatch struct {
	DisplayName  *string `json:"displayName"`
	LogoURL      *string `json:"logoUrl"`
	PrimaryColor *string `json:"primaryColor"`
}

// LicensingPatch changes Licensing.
type LicensingPatch struct {
	LicenseKey *string `json:"licenseKey"`
	Seats      *int    `json:"seats"`
}

// IdentityPatch changes Identity.
type IdentityPatch struct {
	LoginMethods *LoginMethodsPatch `json:"loginMethods"`
	OTP          *OTPPatch          `json:"otp"`
	LinkByEmail  *bool              `json:"linkByEmail"`
	Providers    *ProvidersPatch    `json:"providers"`
}

// LoginMethodsPatch changes LoginMethods.
type LoginMethodsPatch struct {
	Password  *bool `json:"password"`
	OTP       *bool `json:"otp"`
	Federated *bool `json:"federated"`
}

// OTPPatch changes OTP.
type OTPPatch struct {
	Length          *int `json:"length"`
	LifetimeSeconds *int `json:"lifetimeSeconds"`
}

// ProvidersPatch changes Providers.
type ProvidersPatch struct {
	Google *ProviderPatch `json:"google"`
	Entra  *ProviderPatch `json:"entra"`
}

// ProviderPatch changes a Provider.
type ProviderPatch struct {
	Enabled        *bool     `json:"enabled"`
	ClientID       *string   `json:"clientId"`
	AllowedTenants *[]string `json:"allowedTenants"`
	AllowedDomains *[]string `json:"allowedDomains"`
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// Apply returns s with p applied, not yet validated.
func (s Settings) Apply(p Patch) Settings {
	if b := p.Branding; b != nil {
		set(&s.Branding.DisplayName, b.DisplayName)
		set(&s.Branding.LogoURL, b.LogoURL)
		set(&s.Branding.PrimaryColor, b.PrimaryColor)
	}
	if l := p.Licensing; l != nil {
		set(&s.Licensing.LicenseKey, l.LicenseKey)
		set(&s.Licensing.Seats, l.Seats)
	}
	if i := p.Identity; i != nil {
		if m := i.LoginMethods; m != nil {
			set(&s.Identity.LoginMethods.Password, m.Password)
			set(&s.Identity.LoginMethods.OTP, m.OTP)
			set(&s.Identity.LoginMethods.Federated, m.Federated)
		}
		if o := i.OTP; o != nil {
			set(&s.Identity.OTP.Length, o.Length)
			set(&s.Identity.OTP.LifetimeSeconds, o.LifetimeSeconds)
		}
		set(&s.Identity.LinkByEmail, i.LinkByEmail)
		if pr := i.Providers; pr != nil {
			applyProvider(&s.Identity.Providers.Google, pr.Google)
			applyProvider(&s.Identity.Providers.Entra, pr.Entra)
		}
	}
	return s
}

func applyProvider(dst *Provider, p *ProviderPatch) {
	if p == nil {
		return
	}
	set(&dst.Enabled, p.Enabled)
	if p.ClientID != nil {
		dst.ClientID = strings.TrimSpace(*p.ClientID)
	}
	if p.AllowedTenants != nil {
		dst.AllowedTenants = normalizeList(*p.AllowedTenants)
	}
	if p.AllowedDomains != nil {
		dst.AllowedDomains = normalizeList(*p.AllowedDomains)
	}
}

// normalizeList trims, lowercases, sorts and dedupes.
func normalizeList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		out = append(out, strings.ToLower(strings.TrimSpace(v)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

var (
	colorRE  = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	guidRE   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	domainRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// validateBranding checks the branding and names each bad field.
func (s Settings) validateBranding() core.Fields {
	var f core.Fields
	b := s.Branding
	switch {
	case !printable(b.DisplayName):
		f.Add("branding.displayName", "must be printable UTF-8")
	case utf8.RuneCountInString(b.DisplayName) > MaxDisplayNameLen:
		f.Add("branding.displayName", "must be at most %d characters", MaxDisplayNameLen)
	}
	if b.LogoURL != "" {
		u, err := url.Parse(b.LogoURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(b.LogoURL) > MaxURLLen || u.User != nil {
			f.Add("branding.logoUrl", "must be an absolute https URL of at most %d characters", MaxURLLen)
		}
	}
	if b.PrimaryColor != "" && !colorRE.MatchString(b.PrimaryColor) {
		f.Add("branding.primaryColor", "must be a colour such as #1a73e8")
	}
	return f
}

// Validate checks every setting and names each bad one (wire names, such
// as "branding.primaryColor"). Errors: core.Invalid with fields.
func (s Settings) Validate() error {
	f := s.validateBranding()
	l := s.Licensing
	if !printable(l.LicenseKey) || len(l.LicenseKey) > MaxLicenseKeyLen {
		f.Add("licensing.licenseKey", "must be printable and at most %d bytes", MaxLicenseKeyLen)
	}
	if l.Seats < 0 || l.Seats > MaxSeats {
		f.Add("licensing.seats", "must be between 0 and %d", MaxSeats)
	}
	id := s.Identity
	if !id.LoginMethods.Password && !id.LoginMethods.OTP && !id.LoginMethods.Federated {
		f.Add("identity.loginMethods", "at least one login method must be on")
	}
	if id.OTP.Length < MinOTPLength || id.OTP.Length > MaxOTPLength {
		f.Add("identity.otp.length", "must be between %d and %d", MinOTPLength, MaxOTPLength)
	}
	if id.OTP.LifetimeSeconds < MinOTPLifetime || id.OTP.LifetimeSeconds > MaxOTPLifetime {
		f.Add("identity.otp.lifetimeSeconds", "must be between %d and %d", MinOTPLifetime, MaxOTPLifetime)
	}
	validateProvider(&f, "identity.providers.google", id.Providers.Google, false)
	validateProvider(&f, "identity.providers.entra", id.Providers.Entra, true)
	if id.LoginMethods.Federated && !id.Providers.Google.Enabled && !id.Providers.Entra.Enabled {
		f.Add("identity.loginMethods.federated", "needs an enabled provider")
	}
	return f.Err()
}

func validateProvider(f *core.Fields, at string, p Provider, entra bool) {
	if p.ClientID == "" && p.Enabled {
		f.Add(at+".clientId", "is required when the provider is enabled")
	}
	if !printable(p.ClientID) || len(p.ClientID) > MaxClientIDLen {
		f.Add(at+".clientId", "must be printable and at most %d bytes", MaxClientIDLen)
	}
	if len(p.AllowedTenants) > MaxAllowList || len(p.AllowedDomains) > MaxAllowList {
		f.Add(at, "allow-lists hold at most %d entries", MaxAllowList)
	}
	if entra {
		if len(p.AllowedDomains) > 0 {
			f.Add(at+".allowedDomains", "applies to Google only")
		}
		if p.Enabled && len(p.AllowedTenants) == 0 {
			f.Add(at+".allowedTenants", "must list the directories (tenant IDs) whose users may sign in")
		}
		for i, v := range p.AllowedTenants {
			if !guidRE.MatchString(v) {
				f.Add(at+".allowedTenants["+itoa(i)+"]", "must be a directory (tenant) ID such as 72f988bf-86f1-41af-91ab-2d7cd011db47")
			}
		}
		return
	}
	if len(p.AllowedTenants) > 0 {
		f.Add(at+".allowedTenants", "applies to Entra only")
	}
	for i, v := range p.AllowedDomains {
		if len(v) > 253 || !domainRE.MatchString(v) {
			f.Add(at+".allowedDomains["+itoa(i)+"]", "must be a domain such as example.com")
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// Record is the stored form of a scope's settings.
type Record struct {
	Scope     string
	Doc       []byte // the Settings as JSON, Version and UpdatedAt aside
	Version   int
	UpdatedAt time.Time
}

// Store keeps settings documents. Implementations live in
// atomix/store/...; each must pass atomix/store/storetest.
type Store interface {
	// GetSettings returns the scope's record. Errors: core.NotFound.
	GetSettings(ctx context.Context, scope string) (Record, error)

	// PutSettings stores r as the scope's record if r.Version is one more
	// than the stored version (1 when there is none), with one
	// conditional write. Errors: core.Conflict otherwise; core.Invalid
	// when r.Version is below 1.
	PutSettings(ctx context.Context, r Record) error

	// GetTenantSettings returns the tenant's record. Errors:
	// core.NotFound.
	GetTenantSettings(ctx context.Context, tenantID string) (TenantRecord, error)

	// PutTenantSettings stores r as its tenant's record if r.Version is
	// one more than the stored version (1 when there is none), with one
	// conditional write. Errors: core.Conflict otherwise; core.Invalid
	// when r.Version is below 1. The caller makes sure the tenant exists
	// (SQL stores refuse a record of an unknown tenant).
	PutTenantSettings(ctx context.Context, r TenantRecord) error
}
