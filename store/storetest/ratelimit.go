package storetest

import (
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/ratelimit"
	"github.com/atomixplatform/atomix/store"
	"github.com/google/go-cmp/cmp"
)

// raceRateTakers take one token each at once from a bucket of
// rateBurst tokens.
const (
	raceRateTakers = 40
	rateBurst      = 25
)

// RunRateLimit checks the ratelimit.Store part of a store: a bucket
// starts full, hands out at most what it holds (part of a take included),
// refills with a moved clock, refuses without changing, keeps keys apart,
// is swept once full, rolls back with its transaction, and under
// contention hands out exactly its tokens.
func RunRateLimit(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"TakeAndReadBack", testRateTake},
		{"Refill", testRateRefill},
		{"Burst", testRateBurst},
		{"KeysIndependent", testRateKeys},
		{"InvalidPolicy", testRateInvalid},
		{"Sweep", testRateSweep},
		{"Rollback", testRateRollback},
		{"ConcurrentTakes", testRateConcurrent},
	})
}

// ratePolicy refills 10 tokens a second (one every 100ms) into a bucket
// of 5.
var ratePolicy = ratelimit.Policy{Name: "test", Limit: 10, Window: time.Second, Burst: 5}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// take takes n tokens at at(0)+after and checks the decision.
func take(t *testing.T, s ratelimit.Store, key string, p ratelimit.Policy, n int, after time.Duration, want ratelimit.Decision) {
	t.Helper()
	got, err := s.TakeRateTokens(t.Context(), key, p, n, at(0).Add(after))
	if err != nil {
		t.Fatalf("TakeRateTokens(%s, %d) at +%s: got error %v, want nil", key, n, after, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("TakeRateTokens(%s, %d) at +%s mismatch (-want +got):\n%s", key, n, after, d)
	}
}

func testRateTake(t *testing.T, s store.Store) {
	take(t, s, "k", ratePolicy, 1, 0, ratelimit.Decision{Taken: 1, Remaining: 4, Reset: ms(100)})
	take(t, s, "k", ratePolicy, 3, 0, ratelimit.Decision{Taken: 3, Remaining: 1, Reset: ms(400)})
	// Only one is left: a take of 5 gets it.
	take(t, s, "k", ratePolicy, 5, 0, ratelimit.Decision{Taken: 1, Remaining: 0, Reset: ms(500)})
	// Empty: refused, and the refusal changes nothing.
	take(t, s, "k", ratePolicy, 1, 0, ratelimit.Decision{Reset: ms(500), RetryAfter: ms(100)})
	take(t, s, "k", ratePolicy, 1, ms(40), ratelimit.Decision{Reset: ms(460), RetryAfter: ms(60)})
}

func testRateRefill(t *testing.T, s store.Store) {
	take(t, s, "k", ratePolicy, 5, 0, ratelimit.Decision{Taken: 5, Remaining: 0, Reset: ms(500)})
	// 250ms later two tokens refilled (and half of a third).
	take(t, s, "k", ratePolicy, 1, ms(250), ratelimit.Decision{Taken: 1, Remaining: 1, Reset: ms(350)})
	take(t, s, "k", ratePolicy, 2, ms(250), ratelimit.Decision{Taken: 1, Remaining: 0, Reset: ms(450)})
	take(t, s, "k", ratePolicy, 1, ms(250), ratelimit.Decision{Reset: ms(450), RetryAfter: ms(50)})
	// An hour later the bucket is full, never fuller.
	take(t, s, "k", ratePolicy, 1, time.Hour, ratelimit.Decision{Taken: 1, Remaining: 4, Reset: ms(100)})
}

func testRateBurst(t *testing.T, s store.Store) {
	for i := range ratePolicy.Burst {
		take(t, s, "k", ratePolicy, 1, 0, ratelimit.Decision{Taken: 1, Remaining: ratePolicy.Burst - 1 - i, Reset: ms(100 * (i + 1))})
	}
	take(t, s, "k", ratePolicy, 1, 0, ratelimit.Decision{Reset: ms(500), RetryAfter: ms(100)})
}

func testRateKeys(t *testing.T, s store.Store) {
	take(t, s, "a", ratePolicy, 5, 0, ratelimit.Decision{Taken: 5, Remaining: 0, Reset: ms(500)})
	take(t, s, "b", ratePolicy, 1, 0, ratelimit.Decision{Taken: 1, Remaining: 4, Reset: ms(100)})
	take(t, s, "a", ratePolicy, 1, 0, ratelimit.Decision{Reset: ms(500), RetryAfter: ms(100)})
}

func testRateInvalid(t *testing.T, s store.Store) {
	tests := []struct {
		name string
		p    ratelimit.Policy
		n    int
	}{
		{"no limit", ratelimit.Policy{Name: "x", Window: time.Second, Burst: 1}, 1},
		{"no window", ratelimit.Policy{Name: "x", Limit: 1, Burst: 1}, 1},
		{"no burst", ratelimit.Policy{Name: "x", Limit: 1, Window: time.Second}, 1},
		{"no name", ratelimit.Policy{Limit: 1, Window: time.Second, Burst: 1}, 1},
		{"n zero", ratePolicy, 0},
	}
	for _, tc := range tests {
		_, err := s.TakeRateTokens(t.Context(), "k", tc.p, tc.n, at(0))
		wantCode(t, "TakeRateTokens "+tc.name, err, core.Invalid)
	}
	// Nothing was taken.
	take(t, s, "k", ratePolicy, 1, 0, ratelimit.Decision{Taken: 1, Remaining: 4, Reset: ms(100)})
}

func testRateSweep(t *testing.T, s store.Store) {
	take(t, s, "short", ratePolicy, 1, 0, ratelimit.Decision{Taken: 1, Remaining: 4, Reset: ms(100)})
	take(t, s, "long", ratePolicy, 5, 0, ratelimit.Decision{Taken: 5, Remaining: 0, Reset: ms(500)})
	n, err := s.DeleteRateBuckets(t.Context(), at(0).Add(ms(200)))
	if err != nil || n != 1 {
		t.Fatalf("DeleteRateBuckets: got %d, %v, want 1, nil", n, err)
	}
	// The long bucket kept its state; the short one reads as new.
	take(t, s, "long", ratePolicy, 5, ms(200), ratelimit.Decision{Taken: 2, Remaining: 0, Reset: ms(500)})
	take(t, s, "short", ratePolicy, 1, ms(200), ratelimit.Decision{Taken: 1, Remaining: 4, Reset: ms(100)})
	if n, err := s.DeleteRateBuckets(t.Context(), at(0).Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("DeleteRateBuckets an hour later: got %d, %v, want 2, nil", n, err)
	}
}

func testRateRollback(t *testing.T, s store.Store) {
	err := s.InTx(t.Context(), func(tx store.Store) error {
		if _, err := tx.TakeRateTokens(t.Context(), "k", ratePolicy, 5, at(0)); err != nil {
			return err
		}
		return errSentinel
	})
	if err != errSentinel {
		t.Fatalf("InTx: got %v, want the sentinel", err)
	}
	take(t, s, "k", ratePolicy, 1, 0, ratelimit.Decision{Taken: 1, Remaining: 4, Reset: ms(100)})
}

func testRateConcurrent(t *testing.T, s store.Store) {
	p := ratelimit.Policy{Name: "race", Limit: 1, Window: time.Hour, Burst: rateBurst}
	decs := make([]ratelimit.Decision, raceRateTakers)
	errs := make([]error, raceRateTakers)
	together(raceRateTakers, func(i int) {
		decs[i], errs[i] = s.TakeRateTokens(t.Context(), "contested", p, 1, at(0))
	})
	allowed := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("take %d: got error %v, want nil", i, err)
		}
		allowed += decs[i].Taken
	}
	if allowed != rateBurst {
		t.Errorf("tokens handed out: got %d, want %d", allowed, rateBurst)
	}
	take(t, s, "contested", p, 1, 0, ratelimit.Decision{Reset: time.Duration(rateBurst) * time.Hour, RetryAfter: time.Hour})
}
