package billing

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atomixplatform/atomix/core"
)

// Aggregation is how a metric's usage records in a period make one
// quantity.
type Aggregation string

// Aggregations.
const (
	// AggSum adds the records' quantities.
	AggSum Aggregation = "sum"
	// AggCount counts the records.
	AggCount Aggregation = "count"
	// AggMax takes the largest quantity.
	AggMax Aggregation = "max"
	// AggLast takes the quantity of the latest record (by timestamp, then
	// by idempotency key).
	AggLast Aggregation = "last"
	// AggUnique counts the distinct Subject values, exactly.
	AggUnique Aggregation = "unique"
)

// Valid reports whether a is a known aggregation.
func (a Aggregation) Valid() bool {
	switch a {
	case AggSum, AggCount, AggMax, AggLast, AggUnique:
		return true
	}
	return false
}

// SKU is a priced, metered item (seed 001's /pricing): the metric it
// bills, how the metric aggregates over a period, and its price.
type SKU struct {
	// Code is the SKU's stable identifier ("api_calls"); Price.SKU holds
	// the same code.
	Code        string
	Name        string
	Aggregation Aggregation
	// Price carries the metric, the currency and the model; Price.SKU is
	// Code and Price.Metric the metric billed.
	Price Price
	// PlanIDs restricts the SKU to subscribers of these plans; empty means
	// every plan of the SKU's currency.
	PlanIDs []string
	// Commissionable says whether resellers earn commission on the SKU's
	// lines (issue 10); true unless set otherwise.
	Commissionable bool
	CreatedAt      time.Time
}

// Metric returns the metric the SKU bills.
func (s SKU) Metric() string { return s.Price.Metric }

// AppliesTo reports whether the SKU bills subscribers of the plan.
func (s SKU) AppliesTo(p Plan) bool {
	if s.Price.Currency != p.Currency {
		return false
	}
	if len(s.PlanIDs) == 0 {
		return true
	}
	for _, id := range s.PlanIDs {
		if id == p.ID {
			return true
		}
	}
	return false
}

var skuRe = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,62}$`)

// Bounds on SKUs.
const (
	MaxSKUNameLen = 100
	MaxSKUPlans   = 100
)

// Validate checks the SKU and its price. Errors: core.Invalid naming each
// bad field (code, name, aggregation, metric, planIds), or
// core.PriceInvalid for the price (its fields named as Price.Validate
// names them).
func (s SKU) Validate() error {
	var f core.Fields
	if !skuRe.MatchString(s.Code) {
		f.Add("code", "must be a lower-case letter, then up to 62 lower-case letters, digits, '_', '.' or '-'")
	}
	if s.Price.SKU != s.Code {
		f.Add("sku", "must equal code")
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(s.Name)); {
	case n == 0:
		f.Add("name", "is required")
	case n > MaxSKUNameLen || !utf8.ValidString(s.Name):
		f.Add("name", "must be valid text of at most %d characters", MaxSKUNameLen)
	}
	if !s.Aggregation.Valid() {
		f.Add("aggregation", "must be one of sum, count, max, last, unique")
	}
	switch m := s.Price.Metric; {
	case !ValidMetric(m):
		f.Add("metric", "must be a letter, then letters, digits or underscores")
	case m == MetricAtoms || m == MetricUsers:
		f.Add("metric", "the state metric %q is a plan limit, counted from the tenant's records; it is not billed per unit", m)
	}
	if len(s.PlanIDs) > MaxSKUPlans {
		f.Add("planIds", "may name at most %d plans", MaxSKUPlans)
	}
	seen := map[string]bool{}
	for i, id := range s.PlanIDs {
		if !ValidPlanID(id) || seen[id] {
			f.Add("planIds", "entry %d (%q) is not a plan ID or is repeated", i, id)
		}
		seen[id] = true
	}
	if err := f.Err(); err != nil {
		return err
	}
	return s.Price.Validate()
}
