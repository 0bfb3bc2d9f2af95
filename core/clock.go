package core

import "time"

// Clock returns the current time. Every service takes one, so that OTP
// expiry, trials and billing periods can be tested; nil means SystemClock.
type Clock func() time.Time

// SystemClock is the wall clock.
func SystemClock() time.Time { return time.Now() }

// Now returns the clock's current time in UTC, truncated to microseconds so
// that it survives a round trip through every store unchanged (PostgreSQL
// keeps microseconds). A nil clock reads the wall clock.
func (c Clock) Now() time.Time {
	var t time.Time
	if c == nil {
		t = time.Now()
	} else {
		t = c()
	}
	return t.UTC().Truncate(time.Microsecond)
}
