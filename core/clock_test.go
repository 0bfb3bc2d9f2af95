package core_test

import (
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
)

func TestClockNow(t *testing.T) {
	istanbul := time.FixedZone("TRT", 3*60*60)
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{
			"nanoseconds truncated",
			time.Date(2025, 3, 1, 10, 0, 0, 123_456_789, time.UTC),
			time.Date(2025, 3, 1, 10, 0, 0, 123_456_000, time.UTC),
		},
		{
			"zone converted to UTC",
			time.Date(2025, 3, 1, 13, 0, 0, 999, istanbul),
			time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		},
		{
			"already exact",
			time.Date(2024, 12, 31, 23, 59, 59, 1000, time.UTC),
			time.Date(2024, 12, 31, 23, 59, 59, 1000, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := core.Clock(func() time.Time { return tt.in })
			got := c.Now()
			if !got.Equal(tt.want) {
				t.Errorf("Now(): got %v, want %v", got, tt.want)
			}
			if got.Location() != time.UTC {
				t.Errorf("Now().Location(): got %v, want UTC", got.Location())
			}
			if got != tt.want {
				t.Errorf("Now() == want: got %#v, want %#v (same instant, zone and no monotonic reading)", got, tt.want)
			}
		})
	}
}

func TestNilClockReadsWallClock(t *testing.T) {
	for _, c := range []core.Clock{nil, core.SystemClock} {
		before := time.Now().Truncate(time.Microsecond)
		got := c.Now()
		after := time.Now()
		if got.Before(before) || got.After(after) {
			t.Errorf("Now(): got %v, want between %v and %v", got, before, after)
		}
		if got.Location() != time.UTC {
			t.Errorf("Now().Location(): got %v, want UTC", got.Location())
		}
		if got.Nanosecond()%1000 != 0 {
			t.Errorf("Now().Nanosecond(): got %d, want a whole number of microseconds", got.Nanosecond())
		}
	}
}
