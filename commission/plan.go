package commission

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// Level is the level of the reseller chain a commission plan pays.
type Level string

// Levels. A partner sells under a distributor (or directly under the
// platform); the platform keeps what the levels above do not take.
const (
	LevelDistributor Level = "distributor"
	LevelPartner     Level = "partner"
)

// TierMode says how revenue tiers set a reseller's rate.
type TierMode string

// Tier modes.
const (
	// Graduated: each slice of the reseller's monthly revenue earns the
	// rate of the tier it falls in (a line crossing a tier edge is split at
	// it).
	Graduated TierMode = "graduated"
	// Volume: the whole month's revenue earns the rate of the one tier the
	// total falls in.
	Volume TierMode = "volume"
)

// MaxRateBP is 100% in basis points.
const MaxRateBP = 10_000

// Tier is one step of revenue tiers: revenue above the previous tier's
// UpTo (or 0) up to and including UpTo, in minor units of the plan's
// TierCurrency, earns RateBP. Only the last tier is unbounded (nil UpTo).
type Tier struct {
	UpTo   *int64 `json:"upTo"`
	RateBP int    `json:"rateBp"`
}

// Version is a commission plan's rates from one month on. A version
// applies to the invoices of its month (Month, "2026-11") and of every
// later month until the next version's; it never applies to a month
// before its own.
type Version struct {
	// Month is the first month the version applies to, "YYYY-MM".
	Month string `json:"month"`
	// RateBP is the rate on a line's net amount, in basis points.
	RateBP int `json:"rateBp"`
	// SKURates override RateBP for usage lines of a SKU; PlanRates for the
	// subscription and proration lines of a billing plan.
	SKURates  map[string]int `json:"skuRates,omitempty"`
	PlanRates map[string]int `json:"planRates,omitempty"`
	// ExcludedSKUs earn nothing (listed as excluded), beside SKUs marked
	// non-commissionable in pricing.
	ExcludedSKUs []string `json:"excludedSkus,omitempty"`
	// Tiers, when set, replace RateBP (not the overrides) by a rate from
	// the reseller's monthly revenue in TierCurrency; lines in other
	// currencies earn RateBP.
	Tiers        []Tier         `json:"tiers,omitempty"`
	TierMode     TierMode       `json:"tierMode,omitempty"`
	TierCurrency money.Currency `json:"tierCurrency,omitzero"`
	// ClawbackUncollectible reverses commissions when an invoice is marked
	// uncollectible, as voiding always does.
	ClawbackUncollectible bool `json:"clawbackUncollectible"`
}

// Plan is a commission plan: the rates of one level, in effective-dated
// versions, oldest first.
type Plan struct {
	ID        string // "cpl_..."
	Name      string
	Level     Level
	Versions  []Version
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Assignment points a reseller to its commission plan. A reseller without
// one earns nothing (summaries say so).
type Assignment struct {
	ResellerID string
	PlanID     string
	UpdatedAt  time.Time
}

// Bounds on plans.
const (
	MaxPlanNameLen = 200
	MaxVersions    = 120
	MaxOverrides   = 200
	MaxTiers       = 20
)

var monthRe = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// ValidMonth reports whether s is a month "YYYY-MM".
func ValidMonth(s string) bool { return monthRe.MatchString(s) }

// MonthOf returns the month "YYYY-MM" of t in UTC.
func MonthOf(t time.Time) string { return t.UTC().Format("2006-01") }

// VersionAt returns the version in force for month m ("YYYY-MM"): the
// latest whose Month is not after m; false when none is.
func (p Plan) VersionAt(m string) (Version, bool) {
	var out Version
	ok := false
	for _, v := range p.Versions {
		if v.Month <= m && (!ok || v.Month >= out.Month) {
			out, ok = v, true
		}
	}
	return out, ok
}

// MaxRate returns the highest rate any line can earn under the version:
// the largest of RateBP, every override and every tier.
func (v Version) MaxRate() int {
	m := v.RateBP
	for _, r := range v.SKURates {
		m = max(m, r)
	}
	for _, r := range v.PlanRates {
		m = max(m, r)
	}
	for _, t := range v.Tiers {
		m = max(m, t.RateBP)
	}
	return m
}

// MaxRate returns the highest rate of any version of the plan.
func (p Plan) MaxRate() int {
	m := 0
	for _, v := range p.Versions {
		m = max(m, v.MaxRate())
	}
	return m
}

func checkRate(f *core.Fields, field string, bp int) {
	if bp < 0 || bp > MaxRateBP {
		f.Add(field, "must be between 0 and %d basis points", MaxRateBP)
	}
}

// validate checks a version; prefix names its fields ("versions[2]").
// It adds to f each bad field.
func (v Version) validate(f *core.Fields, prefix string) {
	if !ValidMonth(v.Month) {
		f.Add(prefix+".month", "must be a month such as \"2026-11\"")
	}
	checkRate(f, prefix+".rateBp", v.RateBP)
	if len(v.SKURates)+len(v.PlanRates)+len(v.ExcludedSKUs) > MaxOverrides {
		f.Add(prefix, "may hold at most %d overrides and exclusions", MaxOverrides)
	}
	for _, k := range sortedKeys(v.SKURates) {
		if k == "" {
			f.Add(prefix+".skuRates", "has an empty SKU")
		}
		checkRate(f, prefix+".skuRates."+k, v.SKURates[k])
	}
	for _, k := range sortedKeys(v.PlanRates) {
		if k == "" {
			f.Add(prefix+".planRates", "has an empty plan ID")
		}
		checkRate(f, prefix+".planRates."+k, v.PlanRates[k])
	}
	for i, s := range v.ExcludedSKUs {
		if s == "" || slices.Contains(v.ExcludedSKUs[:i], s) {
			f.Add(prefix+".excludedSkus", "entry %d is empty or repeated", i)
		}
	}
	if len(v.Tiers) == 0 {
		if v.TierMode != "" {
			f.Add(prefix+".tierMode", "is set without tiers")
		}
		return
	}
	if v.TierMode != Graduated && v.TierMode != Volume {
		f.Add(prefix+".tierMode", "must be %q or %q with tiers", Graduated, Volume)
	}
	if v.TierCurrency.IsZero() {
		f.Add(prefix+".tierCurrency", "is required with tiers: the currency of the revenue bounds")
	}
	if len(v.Tiers) > MaxTiers {
		f.Add(prefix+".tiers", "may hold at most %d tiers", MaxTiers)
	}
	prev := int64(0)
	for i, t := range v.Tiers {
		field := prefix + ".tiers[" + strconv.Itoa(i) + "]"
		checkRate(f, field+".rateBp", t.RateBP)
		last := i == len(v.Tiers)-1
		switch {
		case t.UpTo == nil && !last:
			f.Add(field+".upTo", "only the last tier is unbounded")
		case t.UpTo != nil && last:
			f.Add(field+".upTo", "the last tier must be unbounded (null)")
		case t.UpTo != nil && *t.UpTo <= prev:
			f.Add(field+".upTo", "must be above the previous tier's bound (%d)", prev)
		}
		if t.UpTo != nil {
			prev = *t.UpTo
		}
	}
}

// Validate checks the plan: an ID, a name, a level and at least one
// version, versions in strictly ascending months.
// Errors: core.Invalid naming each bad field (id, name, level, versions,
// versions[i].month, .rateBp, .skuRates.<sku>, .planRates.<plan>,
// .excludedSkus, .tiers[j].upTo, .tiers[j].rateBp, .tierMode,
// .tierCurrency); core.CommissionOverlap when two versions start in the
// same month.
func (p Plan) Validate() error {
	var f core.Fields
	if !core.ValidID(core.PrefixCommissionPlan, p.ID) {
		f.Add("id", "must be a commission plan ID (cpl_...)")
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(p.Name)); {
	case n == 0:
		f.Add("name", "is required")
	case n > MaxPlanNameLen || !utf8.ValidString(p.Name):
		f.Add("name", "must be valid text of at most %d characters", MaxPlanNameLen)
	}
	if p.Level != LevelDistributor && p.Level != LevelPartner {
		f.Add("level", "must be %q or %q", LevelDistributor, LevelPartner)
	}
	switch {
	case len(p.Versions) == 0:
		f.Add("versions", "must hold at least one version")
	case len(p.Versions) > MaxVersions:
		f.Add("versions", "may hold at most %d versions", MaxVersions)
	}
	for i, v := range p.Versions {
		v.validate(&f, "versions["+strconv.Itoa(i)+"]")
	}
	if err := f.Err(); err != nil {
		return err
	}
	for i := 1; i < len(p.Versions); i++ {
		switch a, b := p.Versions[i-1].Month, p.Versions[i].Month; {
		case a == b:
			return core.Errorf(core.CommissionOverlap, "two versions of plan %s start in %s; a month has one version", p.ID, b)
		case a > b:
			return core.InvalidField("versions", "must be in ascending months (%s comes after %s)", b, a)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
