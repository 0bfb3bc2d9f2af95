package billing

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// PlanStatus says whether a plan takes new subscriptions.
type PlanStatus string

// Plan statuses. An archived plan keeps its subscribers but takes no new
// ones and is not listed by GET /billing/plans.
const (
	PlanActive   PlanStatus = "active"
	PlanArchived PlanStatus = "archived"
)

// The well-known limits. Their metrics are state metrics, counted from the
// records themselves (the tenant's users, its installed atom slots), not
// from usage records.
const (
	LimitAtoms = "maxAtoms"
	LimitUsers = "maxUsers"

	MetricAtoms = "atoms"
	MetricUsers = "users"
)

// Unlimited is the value of a limit that does not limit.
const Unlimited int64 = -1

// Bounds on plans.
const (
	MaxPlanNameLen  = 100
	MaxPlanDescLen  = 1000
	MaxPlanLimits   = 50
	MaxPlanFeatures = 50
	MaxFeatureLen   = 1024
	MaxTrialDays    = 365
	MaxLimitValue   = 1_000_000_000_000_000
)

// Plan is a subscription plan: its prices per interval, its trial, its
// limits and its features.
type Plan struct {
	ID          string // "plan_..."
	Name        string
	Description string
	Currency    money.Currency
	// Prices maps an interval to the plan's price for one period of it,
	// in minor units of Currency. A plan offers at least one interval.
	Prices    map[Interval]int64
	TrialDays int
	// Limits maps a limit name to its value (Unlimited for none): the
	// well-known LimitAtoms and LimitUsers, and metered limits named by
	// their metric ("customers", "invoices", ...).
	Limits map[string]int64
	// Features are free-form values shown to buyers ("apiAccess": true,
	// "storage": "10GB"), kept as compact JSON.
	Features  map[string]json.RawMessage
	IsPopular bool
	Status    PlanStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Price returns the plan's price for one period of the interval, and
// whether the plan offers it.
func (p Plan) Price(iv Interval) (money.Money, bool) {
	a, ok := p.Prices[iv]
	return money.New(a, p.Currency), ok
}

// Limit returns the plan's limit on a metric (MetricAtoms and MetricUsers
// read LimitAtoms and LimitUsers) and whether the plan sets one;
// Unlimited when it does not.
func (p Plan) Limit(metric string) (int64, bool) {
	v, ok := p.Limits[LimitName(metric)]
	if !ok {
		return Unlimited, false
	}
	return v, true
}

// LimitName returns the name of the limit on a metric: LimitAtoms for
// MetricAtoms, LimitUsers for MetricUsers, the metric itself otherwise.
func LimitName(metric string) string {
	switch metric {
	case MetricAtoms:
		return LimitAtoms
	case MetricUsers:
		return LimitUsers
	}
	return metric
}

// LimitMetric is the inverse of LimitName.
func LimitMetric(limit string) string {
	switch limit {
	case LimitAtoms:
		return MetricAtoms
	case LimitUsers:
		return MetricUsers
	}
	return limit
}

var (
	planIDRe = regexp.MustCompile(`^plan_[a-z0-9][a-z0-9_]{0,62}$`)
	// metricRe is the grammar of metric and limit names.
	metricRe = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,62}$`)
	// featureRe is the grammar of feature keys.
	featureRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.-]{0,62}$`)
)

// ValidPlanID reports whether id is a plan ID: "plan_" then lower-case
// letters, digits and underscores ("plan_starter", or a generated one).
func ValidPlanID(id string) bool {
	return planIDRe.MatchString(id) || core.ValidID(core.PrefixPlan, id)
}

// ValidMetric reports whether name is a metric or limit name.
func ValidMetric(name string) bool { return metricRe.MatchString(name) }

// Validate checks the plan's fields, naming each bad one with its wire
// name. Errors: core.Invalid with Fields (id, name, description,
// currency, prices, prices.<interval>, trialDays, limits.<name>,
// features.<key>, status).
func (p Plan) Validate() error {
	var f core.Fields
	if !ValidPlanID(p.ID) {
		f.Add("id", "must be \"plan_\" then 1 to 63 lower-case letters, digits or underscores")
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(p.Name)); {
	case n == 0:
		f.Add("name", "is required")
	case n > MaxPlanNameLen || !utf8.ValidString(p.Name):
		f.Add("name", "must be valid text of at most %d characters", MaxPlanNameLen)
	}
	if utf8.RuneCountInString(p.Description) > MaxPlanDescLen || !utf8.ValidString(p.Description) {
		f.Add("description", "must be valid text of at most %d characters", MaxPlanDescLen)
	}
	if p.Currency.IsZero() {
		f.Add("currency", "is required: an ISO 4217 code such as \"USD\"")
	}
	if len(p.Prices) == 0 {
		f.Add("prices", "must price at least one interval (month or year)")
	}
	for _, iv := range sortedKeys(p.Prices) {
		switch {
		case iv != Monthly && iv != Yearly:
			f.Add("prices", "interval %q is not \"month\" or \"year\"", iv)
		case p.Prices[iv] < 0:
			f.Add("prices."+string(iv), "must not be negative")
		}
	}
	if p.TrialDays < 0 || p.TrialDays > MaxTrialDays {
		f.Add("trialDays", "must be between 0 and %d", MaxTrialDays)
	}
	if len(p.Limits) > MaxPlanLimits {
		f.Add("limits", "may hold at most %d limits", MaxPlanLimits)
	}
	for _, k := range sortedKeys(p.Limits) {
		switch {
		case !ValidMetric(k):
			f.Add("limits."+k, "is not a limit name: a letter, then letters, digits or underscores")
		case p.Limits[k] < Unlimited || p.Limits[k] > MaxLimitValue:
			f.Add("limits."+k, "must be -1 (unlimited) or between 0 and %d", MaxLimitValue)
		}
	}
	if len(p.Features) > MaxPlanFeatures {
		f.Add("features", "may hold at most %d features", MaxPlanFeatures)
	}
	for _, k := range sortedKeys(p.Features) {
		v := p.Features[k]
		switch {
		case !featureRe.MatchString(k):
			f.Add("features."+k, "is not a feature name")
		case len(v) == 0 || len(v) > MaxFeatureLen || !json.Valid(v):
			f.Add("features."+k, "must be a JSON value of at most %d bytes", MaxFeatureLen)
		}
	}
	if p.Status != PlanActive && p.Status != PlanArchived {
		f.Add("status", "must be %q or %q", PlanActive, PlanArchived)
	}
	return f.Err()
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
