package billing_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/google/go-cmp/cmp"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func cycle(t *testing.T, iv billing.Interval, anchor string) billing.Cycle {
	t.Helper()
	c, err := billing.NewCycle(iv, date(anchor))
	if err != nil {
		t.Fatalf("NewCycle(%s, %s): %v", iv, anchor, err)
	}
	return c
}

// TestAnchorDateTable is the documented table of period starts: each row
// walks NextPeriod from the anchor's first period.
func TestAnchorDateTable(t *testing.T) {
	tests := []struct {
		name     string
		interval billing.Interval
		anchor   string
		starts   []string
	}{
		{"day 31 through a leap February", billing.Monthly, "2024-01-31",
			[]string{"2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31"}},
		{"day 31 through a common February", billing.Monthly, "2025-01-31",
			[]string{"2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31"}},
		{"day 31 across the year end", billing.Monthly, "2025-10-31",
			[]string{"2025-10-31", "2025-11-30", "2025-12-31", "2026-01-31", "2026-02-28", "2026-03-31"}},
		{"day 30 in February", billing.Monthly, "2023-12-30",
			[]string{"2023-12-30", "2024-01-30", "2024-02-29", "2024-03-30"}},
		{"day 29 in common and leap Februaries", billing.Monthly, "2023-01-29",
			[]string{"2023-01-29", "2023-02-28", "2023-03-29"}},
		{"day 1", billing.Monthly, "2024-12-01",
			[]string{"2024-12-01", "2025-01-01", "2025-02-01"}},
		{"yearly Feb 29 anchor", billing.Yearly, "2024-02-29",
			[]string{"2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29", "2029-02-28"}},
		{"yearly Jan 31", billing.Yearly, "2023-01-31",
			[]string{"2023-01-31", "2024-01-31", "2025-01-31"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cycle(t, tt.interval, tt.anchor)
			p, err := c.PeriodContaining(date(tt.anchor))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for range tt.starts {
				got = append(got, p.Start.Format(time.DateOnly))
				next, err := c.NextPeriod(p)
				if err != nil {
					t.Fatal(err)
				}
				if !next.Start.Equal(p.End) {
					t.Fatalf("NextPeriod(%v).Start: got %v, want the previous End %v", p, next.Start, p.End)
				}
				p = next
			}
			if diff := cmp.Diff(tt.starts, got); diff != "" {
				t.Errorf("period starts mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPeriodContaining(t *testing.T) {
	c := cycle(t, billing.Monthly, "2024-01-31")
	tests := []struct {
		at         time.Time
		start, end string
		days       int64
	}{
		{date("2024-02-29"), "2024-02-29", "2024-03-31", 31},
		{date("2024-02-28").Add(23*time.Hour + 59*time.Minute), "2024-01-31", "2024-02-29", 29},
		{date("2024-03-30"), "2024-02-29", "2024-03-31", 31},
		{date("2023-12-31"), "2023-12-31", "2024-01-31", 31}, // before the anchor
		{date("2023-11-30").Add(12 * time.Hour), "2023-11-30", "2023-12-31", 31},
		{time.Date(2024, 4, 30, 2, 0, 0, 0, time.FixedZone("TRT", 3*3600)), "2024-03-31", "2024-04-30", 30}, // 2024-04-29T23:00Z
	}
	for _, tt := range tests {
		p, err := c.PeriodContaining(tt.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Start.Format(time.DateOnly) + ".." + p.End.Format(time.DateOnly); got != tt.start+".."+tt.end {
			t.Errorf("PeriodContaining(%v): got %s, want %s..%s", tt.at, got, tt.start, tt.end)
		}
		if p.Days() != tt.days {
			t.Errorf("PeriodContaining(%v).Days(): got %d, want %d", tt.at, p.Days(), tt.days)
		}
		if !p.Contains(tt.at) {
			t.Errorf("PeriodContaining(%v).Contains: got false, want true", tt.at)
		}
	}
	y := cycle(t, billing.Yearly, "2024-02-29")
	p, err := y.PeriodContaining(date("2025-02-27"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Start != date("2024-02-29") || p.End != date("2025-02-28") || p.Days() != 365 {
		t.Errorf("yearly PeriodContaining(2025-02-27): got %v..%v (%d days), want 2024-02-29..2025-02-28 (365)", p.Start, p.End, p.Days())
	}
}

func TestCycleInvalid(t *testing.T) {
	if _, err := billing.NewCycle("week", date("2024-01-01")); core.ErrorCode(err) != core.CycleInvalid {
		t.Errorf("NewCycle(week): got %v, want %q", err, core.CycleInvalid)
	}
	if _, err := billing.NewCycle(billing.Monthly, time.Time{}); core.ErrorCode(err) != core.CycleInvalid {
		t.Errorf("NewCycle(zero anchor): got %v, want %q", err, core.CycleInvalid)
	}
	if _, err := (billing.Cycle{}).PeriodContaining(date("2024-01-01")); core.ErrorCode(err) != core.CycleInvalid {
		t.Errorf("zero Cycle PeriodContaining: got %v, want %q", err, core.CycleInvalid)
	}
}

func TestProrationGolden(t *testing.T) {
	usd := cur(t, "USD")
	full := money.New(4900, usd)
	feb := billing.Period{Start: date("2024-02-29"), End: date("2024-03-31")} // 31 days
	tests := []struct {
		name string
		cuts []time.Time
		want []int64
	}{
		{"no cut", nil, []int64{4900}},
		{"plan change on the 10th day", []time.Time{date("2024-03-09").Add(15 * time.Hour)}, []int64{1423, 3477}}, // 9 and 22 days
		{"change on the last day", []time.Time{date("2024-03-30").Add(23 * time.Hour)}, []int64{4742, 158}},       // 30 and 1 days
		{"same-day start and cancel", []time.Time{date("2024-03-05").Add(9 * time.Hour), date("2024-03-05").Add(17 * time.Hour)}, []int64{790, 0, 4110}},
		{"cut at the start", []time.Time{feb.Start}, []int64{0, 4900}},
		{"cut at the end", []time.Time{feb.End}, []int64{4900, 0}},
		{"thirds by day", []time.Time{date("2024-03-10"), date("2024-03-20")}, []int64{1581, 1580, 1739}}, // 10, 10, 11 days; ties to the lower index
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, err := billing.Split(full, feb, tt.cuts...)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, p := range parts {
				got = append(got, p.Amount)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Split mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// A day changed on belongs to the new piece only: the day-based counts of
	// old [start, D) and new [D, end) cover the period once.
	old, err := billing.Prorate(full, feb, feb.Start, date("2024-03-09").Add(15*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if old.Amount != 1423 {
		t.Errorf("Prorate old piece: got %d, want 1423 (9 of 31 days)", old.Amount)
	}
	if _, err := billing.Split(full, feb, date("2024-04-01")); core.ErrorCode(err) != core.Invalid {
		t.Errorf("cut outside the period: got %v, want %q", err, core.Invalid)
	}
	if _, err := billing.Split(full, feb, date("2024-03-10"), date("2024-03-09")); core.ErrorCode(err) != core.Invalid {
		t.Errorf("descending cuts: got %v, want %q", err, core.Invalid)
	}
}

// TestProrationPiecesSumProperty: for random periods, amounts and cuts, the
// pieces sum exactly to the full-period amount, and their day counts cover
// the period exactly once.
func TestProrationPiecesSumProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	currencies := []money.Currency{cur(t, "USD"), cur(t, "JPY"), cur(t, "KWD")}
	for range 2000 {
		iv := billing.Monthly
		if r.IntN(4) == 0 {
			iv = billing.Yearly
		}
		anchor := date("2020-01-01").AddDate(0, 0, r.IntN(3000))
		c, err := billing.NewCycle(iv, anchor)
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.PeriodContaining(anchor.AddDate(0, 0, r.IntN(2000)))
		if err != nil {
			t.Fatal(err)
		}
		span := p.End.Sub(p.Start)
		cuts := make([]time.Time, r.IntN(5))
		for i := range cuts {
			cuts[i] = p.Start.Add(time.Duration(r.Int64N(int64(span))))
		}
		sortTimes(cuts)
		full := money.New(r.Int64N(1_000_000_00)-1000, currencies[r.IntN(3)])
		parts, err := billing.Split(full, p, cuts...)
		if err != nil {
			t.Fatalf("Split(%v, %v, %v): %v", full, p, cuts, err)
		}
		var sum int64
		for _, x := range parts {
			sum += x.Amount
		}
		if sum != full.Amount || len(parts) != len(cuts)+1 {
			t.Fatalf("Split(%v, %v, %v): %d pieces sum to %d, want %d pieces summing to %d", full, p, cuts, len(parts), sum, len(cuts)+1, full.Amount)
		}
	}
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}
