package billing

import (
	"math"
	"math/bits"
	"regexp"
	"time"
)

// UsageRecord is one usage event of a tenant's metric (POST /usage).
type UsageRecord struct {
	TenantID string
	// IdempotencyKey identifies the record within its tenant forever: a
	// record whose key the tenant has used before is a duplicate and is
	// not counted again.
	IdempotencyKey string
	Metric         string
	// Quantity is a whole number of units; usage is never fractional.
	Quantity int64
	// Subject is what AggUnique counts distinct values of (a user ID, a
	// document ID); optional for other aggregations.
	Subject    string
	Timestamp  time.Time
	ReceivedAt time.Time
}

// Bounds on usage records.
const (
	MaxUsageBatch      = 1000
	MaxIdempotencyKey  = 255
	MaxSubjectLen      = 255
	MaxUsageQuantity   = 1_000_000_000_000 // per record
	DefaultUsageGrace  = time.Hour
	DefaultFutureSkew  = 5 * time.Minute
	DefaultInvoiceDays = 14
)

var keyRe = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)

// ValidIdempotencyKey reports whether k is 1 to 255 printable ASCII
// characters without spaces.
func ValidIdempotencyKey(k string) bool { return keyRe.MatchString(k) }

// Outcome is what became of one usage record of a batch.
type Outcome string

// Outcomes.
const (
	Accepted  Outcome = "accepted"
	Duplicate Outcome = "duplicate"
	Rejected  Outcome = "rejected"
)

// Reasons for a rejected record. Each is a stable code.
const (
	ReasonInvalid        = "invalid"          // a field is malformed; the message says which
	ReasonTenantNotFound = "tenant_not_found" // no such tenant in the caller's scope
	ReasonUnknownMetric  = "unknown_metric"   // no SKU or plan limit names the metric
	ReasonStateMetric    = "state_metric"     // users and atoms are counted from the records themselves
	ReasonPeriodClosed   = "period_closed"    // the period's grace window ended
	ReasonInFuture       = "timestamp_in_future"
	ReasonNoSubscription = "no_subscription" // the tenant has no subscription, or it ended before the timestamp
)

// Result is the outcome of one record of a batch, in the batch's order.
type Result struct {
	Index          int
	IdempotencyKey string
	Outcome        Outcome
	// Reason and Message explain a rejection.
	Reason  string
	Message string
}

// ThresholdEvent is sent through a Notifier when a tenant's usage of a
// limited metric first reaches 80% or 100% of its limit in a period.
type ThresholdEvent struct {
	TenantID    string
	Metric      string
	Percent     int // 80 or 100
	Used        int64
	Limit       int64
	PeriodStart time.Time
	At          time.Time
}

// Thresholds are the percentages of a limit that emit a ThresholdEvent.
var Thresholds = []int{80, 100}

// MetricUsage is one metric of a usage report (seed 002): used, the
// limit (Unlimited for none) and the percentage used, in tenths of a
// percent rounded half-even (48 is 4.8%), an integer. PerMille is
// meaningless when Limit is Unlimited or 0.
type MetricUsage struct {
	Metric   string
	Used     int64
	Limit    int64
	PerMille int64
}

// PerMille returns used/limit in tenths of a percent, rounded half-even,
// exact for any int64s (math.MaxInt64 when the result does not fit); 0 for
// an unlimited or zero limit, and for no use.
func PerMille(used, limit int64) int64 {
	if limit <= 0 || used <= 0 {
		return 0
	}
	// used*1000 in 128 bits, divided by limit; the quotient fits in 64
	// bits exactly when the high word is below the divisor.
	hi, lo := bits.Mul64(uint64(used), 1000)
	if hi >= uint64(limit) {
		return math.MaxInt64
	}
	q, r := bits.Div64(hi, lo, uint64(limit))
	// r < limit <= MaxInt64, so 2*r does not overflow a uint64.
	switch twice := 2 * r; {
	case twice > uint64(limit), twice == uint64(limit) && q%2 == 1:
		q++
	}
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}
