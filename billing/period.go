package billing

import (
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// Interval is the length of a billing cycle.
type Interval string

// Intervals.
const (
	Monthly Interval = "month"
	Yearly  Interval = "year"
)

// Cycle is a billing cycle: periods of one Interval starting on the
// anchor's calendar date. Periods are whole UTC days, from 00:00 UTC of the
// first day (inclusive) to 00:00 UTC of the next period's first day
// (exclusive).
//
// Anchor rule: the k-th period boundary is computed from the anchor itself,
// never from the previous boundary: it falls on the anchor's day of the
// month (Monthly; the anchor's month and day for Yearly), clamped to the
// last day of a shorter month. So a day-31 anchor gives Jan 31, Feb 29 (leap
// year) or Feb 28, Mar 31, Apr 30, May 31: it clamps and returns to 31. A
// Feb 29 yearly anchor falls on Feb 28 in common years and Feb 29 in leap
// years.
type Cycle struct {
	Interval Interval  `json:"interval"`
	Anchor   time.Time `json:"anchor"`
}

// Period is a billing period [Start, End), both at 00:00 UTC.
type Period struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Days returns the number of days in the period.
func (p Period) Days() int64 { return dayNumber(p.End) - dayNumber(p.Start) }

// Contains reports whether t falls in [Start, End).
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// NewCycle returns a cycle, checking the interval and the anchor (not the
// zero time); it returns core.CycleInvalid otherwise. The anchor is kept as
// its UTC date.
func NewCycle(interval Interval, anchor time.Time) (Cycle, error) {
	c := Cycle{Interval: interval, Anchor: day(anchor)}
	return c, c.validate()
}

func (c Cycle) validate() error {
	if c.Interval != Monthly && c.Interval != Yearly {
		return core.Errorf(core.CycleInvalid, "interval must be %q or %q", Monthly, Yearly)
	}
	if c.Anchor.IsZero() {
		return core.Errorf(core.CycleInvalid, "anchor is required")
	}
	return nil
}

// day returns 00:00 UTC of t's UTC date.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayNumber counts whole days since the Unix epoch of t's UTC date.
func dayNumber(t time.Time) int64 {
	return day(t).Unix() / 86400
}

// months is the cycle length in months.
func (c Cycle) months() int {
	if c.Interval == Yearly {
		return 12
	}
	return 1
}

// Boundary returns the start of the k-th period (k = 0 at the anchor,
// negative before it), clamped as the Cycle doc says.
func (c Cycle) Boundary(k int) time.Time {
	a := day(c.Anchor)
	y, m, d := a.Date()
	total := int(m) - 1 + k*c.months()
	y += floorDiv(total, 12)
	mm := time.Month(total - floorDiv(total, 12)*12 + 1)
	if last := daysIn(y, mm); d > last {
		d = last
	}
	return time.Date(y, mm, d, 0, 0, 0, 0, time.UTC)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// PeriodContaining returns the period of the cycle that contains t
// (core.CycleInvalid for a malformed cycle).
func (c Cycle) PeriodContaining(t time.Time) (Period, error) {
	if err := c.validate(); err != nil {
		return Period{}, err
	}
	a := day(c.Anchor)
	t = t.UTC()
	diff := (t.Year()-a.Year())*12 + int(t.Month()) - int(a.Month())
	k := floorDiv(diff, c.months())
	// The estimate is off by at most one period either way.
	for c.Boundary(k).After(t) {
		k--
	}
	for !c.Boundary(k + 1).After(t) {
		k++
	}
	return Period{Start: c.Boundary(k), End: c.Boundary(k + 1)}, nil
}

// NextPeriod returns the period after p (core.CycleInvalid for a malformed
// cycle).
func (c Cycle) NextPeriod(p Period) (Period, error) {
	return c.PeriodContaining(p.End)
}

// Proration rule (day-based). A period is split at instants into pieces
// [from, to); each piece is charged for the days from from's UTC date
// (inclusive) to to's UTC date (exclusive). A change takes effect for the
// whole day it happens on: the day belongs to the piece that starts on it.
// A subscription started and cancelled on the same day is charged zero days,
// and no day is ever charged to two pieces. The amounts are the full-period
// amount split by money.Allocate in proportion to the pieces' day counts
// (amount * usedDays / periodDays, largest remainder), so the pieces of a
// period always sum exactly to the full-period amount.

// Split divides full, the amount for the whole period p, into the pieces of
// p that cuts separate: len(cuts)+1 amounts, in order, summing to full. Cuts
// must be inside p and in ascending order, else core.Invalid.
func Split(full money.Money, p Period, cuts ...time.Time) ([]money.Money, error) {
	days, err := pieceDays(p, cuts)
	if err != nil {
		return nil, err
	}
	if p.Days() <= 0 {
		return nil, core.InvalidField("period", "must span at least one day")
	}
	// Allocate refuses all-zero ratios; a period has days, so some piece has.
	return full.Allocate(days)
}

// Prorate returns the charge for [from, to) within p, as the middle piece of
// Split(full, p, from, to). Use Split when billing several pieces of one
// period, so that they sum exactly to full.
func Prorate(full money.Money, p Period, from, to time.Time) (money.Money, error) {
	parts, err := Split(full, p, from, to)
	if err != nil {
		return money.Money{}, err
	}
	return parts[1], nil
}

func pieceDays(p Period, cuts []time.Time) ([]int64, error) {
	days := make([]int64, 0, len(cuts)+1)
	prev := dayNumber(p.Start)
	for i, c := range cuts {
		if c.Before(p.Start) || c.After(p.End) {
			return nil, core.InvalidField("cuts", "cut %d (%s) is outside the period", i, c.Format(time.RFC3339))
		}
		n := dayNumber(c)
		if i > 0 && c.Before(cuts[i-1]) {
			return nil, core.InvalidField("cuts", "cut %d (%s) is before the previous one", i, c.Format(time.RFC3339))
		}
		days = append(days, n-prev)
		prev = n
	}
	return append(days, dayNumber(p.End)-prev), nil
}
