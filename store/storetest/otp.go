package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store"
	"github.com/google/go-cmp/cmp"
)

// Goroutine counts of the OTP concurrency tests.
const (
	raceOTPGuesses = 50 // attempts spent at once on one challenge
	raceOTPHits    = 40 // hits at once on one counter
)

// RunOTP checks the identity.OTPStore part of a store: challenges
// round-trip exactly; attempts are counted only while a challenge is
// unused, unexpired and below its cap; a challenge is used once; counters
// keep their limit and window; users are found by phone within their
// tenant; and, under contention, no more attempts or hits are counted
// than allowed, and one use wins.
func RunOTP(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"ChallengeRoundTrip", testOTPRoundTrip},
		{"SpendAttempts", testOTPSpend},
		{"UseOnce", testOTPUse},
		{"DeleteExpired", testOTPDelete},
		{"DeleteCounters", testOTPDeleteCounters},
		{"Counter", testOTPCounter},
		{"UsersByPhone", testOTPUsersByPhone},
		{"Rollback", testOTPRollback},
		{"ConcurrentGuesses", testOTPConcurrentGuesses},
		{"ConcurrentCounter", testOTPConcurrentCounter},
		{"ConcurrentUse", testOTPConcurrentUse},
	})
}

// otpFixture returns a challenge numbered n, made at(n), expiring at(n+2),
// taking 3 codes.
func otpFixture(n int) identity.OTPChallenge {
	return identity.OTPChallenge{
		ID:          fmt.Sprintf("otp_fixture%04d", n),
		TenantID:    tenantA,
		Phone:       "+905321234567",
		UserID:      userFixture(tenantA, 1).ID,
		Purpose:     "login",
		CodeHash:    fmt.Sprintf("hash%04d", n),
		KeyID:       "k1",
		MaxAttempts: 3,
		CreatedAt:   at(n),
		ExpiresAt:   at(n + 2),
	}
}

func createOTP(t *testing.T, s identity.OTPStore, cs ...identity.OTPChallenge) {
	t.Helper()
	for _, c := range cs {
		if err := s.CreateOTPChallenge(t.Context(), c); err != nil {
			t.Fatalf("CreateOTPChallenge(%s): got error %v, want nil", c.ID, err)
		}
	}
}

func wantOTP(t *testing.T, s identity.OTPStore, want identity.OTPChallenge) {
	t.Helper()
	got, err := s.GetOTPChallenge(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("GetOTPChallenge(%s): got error %v, want nil", want.ID, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("GetOTPChallenge(%s) mismatch (-want +got):\n%s", want.ID, d)
	}
}

func testOTPRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := otpFixture(1)
	b := otpFixture(2)
	b.UserID, b.TenantID = "", ""
	used := at(3)
	b.UsedAt = &used
	b.Attempts = 2
	createOTP(t, s, a, b)
	wantOTP(t, s, a)
	wantOTP(t, s, b)
	wantCode(t, "CreateOTPChallenge with a taken ID", s.CreateOTPChallenge(ctx, a), core.Conflict)
	_, err := s.GetOTPChallenge(ctx, "otp_missing")
	wantCode(t, "GetOTPChallenge of an unknown ID", err, core.NotFound)
	got, _ := s.GetOTPChallenge(ctx, a.ID)
	got.Attempts = 99
	wantOTP(t, s, a) // what a caller changes is not stored
}

func testOTPSpend(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := otpFixture(1)
	createOTP(t, s, c)
	for i := 1; i <= 3; i++ {
		n, ok, err := s.SpendOTPAttempt(ctx, c.ID, at(1))
		if err != nil || !ok || n != i {
			t.Fatalf("SpendOTPAttempt %d: got %d, %t, %v, want %d, true, nil", i, n, ok, err, i)
		}
	}
	if n, ok, err := s.SpendOTPAttempt(ctx, c.ID, at(1)); err != nil || ok || n != 3 {
		t.Errorf("SpendOTPAttempt past the cap: got %d, %t, %v, want 3, false, nil", n, ok, err)
	}
	expired := otpFixture(2)
	createOTP(t, s, expired)
	if n, ok, err := s.SpendOTPAttempt(ctx, expired.ID, expired.ExpiresAt); err != nil || ok || n != 0 {
		t.Errorf("SpendOTPAttempt at expiry: got %d, %t, %v, want 0, false, nil", n, ok, err)
	}
	used := otpFixture(3)
	createOTP(t, s, used)
	if ok, err := s.UseOTPChallenge(ctx, used.ID, at(3)); !ok || err != nil {
		t.Fatalf("UseOTPChallenge: got %t, %v, want true, nil", ok, err)
	}
	if n, ok, err := s.SpendOTPAttempt(ctx, used.ID, at(3)); err != nil || ok || n != 0 {
		t.Errorf("SpendOTPAttempt on a used challenge: got %d, %t, %v, want 0, false, nil", n, ok, err)
	}
	_, _, err := s.SpendOTPAttempt(ctx, "otp_missing", at(1))
	wantCode(t, "SpendOTPAttempt of an unknown ID", err, core.NotFound)
}

func testOTPUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := otpFixture(1)
	createOTP(t, s, c)
	if ok, err := s.UseOTPChallenge(ctx, c.ID, at(2)); !ok || err != nil {
		t.Fatalf("UseOTPChallenge: got %t, %v, want true, nil", ok, err)
	}
	if ok, err := s.UseOTPChallenge(ctx, c.ID, at(2)); ok || err != nil {
		t.Errorf("UseOTPChallenge again: got %t, %v, want false, nil", ok, err)
	}
	want := c
	want.UsedAt = timePtr(at(2))
	wantOTP(t, s, want)
	late := otpFixture(5)
	createOTP(t, s, late)
	if ok, err := s.UseOTPChallenge(ctx, late.ID, late.ExpiresAt); ok || err != nil {
		t.Errorf("UseOTPChallenge at expiry: got %t, %v, want false, nil", ok, err)
	}
	_, err := s.UseOTPChallenge(ctx, "otp_missing", at(1))
	wantCode(t, "UseOTPChallenge of an unknown ID", err, core.NotFound)
}

func testOTPDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	createOTP(t, s, otpFixture(1), otpFixture(2), otpFixture(10))
	n, err := s.DeleteOTPChallenges(ctx, at(5)) // 1 and 2 expired at 3 and 4
	if err != nil || n != 2 {
		t.Fatalf("DeleteOTPChallenges: got %d, %v, want 2, nil", n, err)
	}
	_, err = s.GetOTPChallenge(ctx, otpFixture(1).ID)
	wantCode(t, "GetOTPChallenge of a deleted challenge", err, core.NotFound)
	wantOTP(t, s, otpFixture(10))
}

func testOTPDeleteCounters(t *testing.T, s store.Store) {
	ctx := t.Context()
	window := 10 * time.Minute
	for _, c := range []struct {
		key string
		at  time.Time
	}{{"old", at(1)}, {"edge", at(5)}, {"new", at(7)}} {
		if _, ok, err := s.HitOTPCounter(ctx, c.key, 3, window, c.at); !ok || err != nil {
			t.Fatalf("HitOTPCounter(%q): got %t, %v, want true, nil", c.key, ok, err)
		}
	}
	n, err := s.DeleteOTPCounters(ctx, at(5)) // only "old" started before 5
	if err != nil || n != 1 {
		t.Fatalf("DeleteOTPCounters: got %d, %v, want 1, nil", n, err)
	}
	// A deleted counter starts again from one; a kept one goes on.
	for _, c := range []struct {
		key  string
		want identity.OTPCounter
	}{
		{"old", identity.OTPCounter{Count: 1, WindowStart: at(8)}},
		{"edge", identity.OTPCounter{Count: 2, WindowStart: at(5)}},
		{"new", identity.OTPCounter{Count: 2, WindowStart: at(7)}},
	} {
		got, ok, err := s.HitOTPCounter(ctx, c.key, 3, window, at(8))
		if !ok || err != nil || !got.WindowStart.Equal(c.want.WindowStart) || got.Count != c.want.Count {
			t.Errorf("HitOTPCounter(%q) after the delete: got %+v, %t, %v, want %+v, true, nil", c.key, got, ok, err, c.want)
		}
	}
	if n, err := s.DeleteOTPCounters(ctx, at(5)); err != nil || n != 0 {
		t.Errorf("DeleteOTPCounters again: got %d, %v, want 0, nil", n, err)
	}
}

func testOTPCounter(t *testing.T, s store.Store) {
	ctx := t.Context()
	window := 10 * time.Minute
	for i, tc := range []struct {
		at     time.Time
		want   identity.OTPCounter
		wantOK bool
	}{
		{at(0), identity.OTPCounter{Count: 1, WindowStart: at(0)}, true},
		{at(1), identity.OTPCounter{Count: 2, WindowStart: at(0)}, true},
		{at(2), identity.OTPCounter{Count: 2, WindowStart: at(0)}, false},
		{at(9), identity.OTPCounter{Count: 2, WindowStart: at(0)}, false},
		{at(10), identity.OTPCounter{Count: 1, WindowStart: at(10)}, true}, // the window ended
		{at(11), identity.OTPCounter{Count: 2, WindowStart: at(10)}, true},
	} {
		got, ok, err := s.HitOTPCounter(ctx, "k", 2, window, tc.at)
		if err != nil || ok != tc.wantOK || !got.WindowStart.Equal(tc.want.WindowStart) || got.Count != tc.want.Count {
			t.Errorf("hit %d: got %+v, %t, %v, want %+v, %t, nil", i, got, ok, err, tc.want, tc.wantOK)
		}
	}
	if got, ok, err := s.HitOTPCounter(ctx, "other", 2, window, at(2)); err != nil || !ok || got.Count != 1 {
		t.Errorf("hit on another key: got %+v, %t, %v, want a count of 1, true, nil", got, ok, err)
	}
}

func testOTPUsersByPhone(t *testing.T, s store.Store) {
	ctx := t.Context()
	a1, a2, a3 := userFixture(tenantA, 1), userFixture(tenantA, 2), userFixture(tenantA, 3)
	a3.Phone = "+447911123456"
	b1 := userFixture(tenantB, 1)
	p1 := platformUser(4)
	createUsers(t, s, a2, a1, a3, b1, p1)
	for _, tc := range []struct {
		tenant, phone string
		want          []string
	}{
		{tenantA, "+905321234567", []string{a1.ID, a2.ID}},
		{tenantA, "+447911123456", []string{a3.ID}},
		{tenantB, "+905321234567", []string{b1.ID}},
		{"", "+905321234567", []string{p1.ID}},
		{tenantB, "+447911123456", []string{}},
		{tenantA, "", []string{}},
	} {
		us, err := s.FindUsersByPhone(ctx, tc.tenant, tc.phone)
		if err != nil {
			t.Fatalf("FindUsersByPhone(%q, %q): got error %v, want nil", tc.tenant, tc.phone, err)
		}
		if d := cmp.Diff(tc.want, userIDs(us)); d != "" {
			t.Errorf("FindUsersByPhone(%q, %q) mismatch (-want +got):\n%s", tc.tenant, tc.phone, d)
		}
	}
	us, _ := s.FindUsersByPhone(ctx, tenantA, a3.Phone)
	if len(us) == 1 {
		if d := cmp.Diff(a3, us[0]); d != "" {
			t.Errorf("FindUsersByPhone user mismatch (-want +got):\n%s", d)
		}
	}
}

func testOTPRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := otpFixture(1)
	createOTP(t, s, c)
	err := s.InTx(ctx, func(tx store.Store) error {
		if err := tx.CreateOTPChallenge(ctx, otpFixture(2)); err != nil {
			return err
		}
		if _, _, err := tx.SpendOTPAttempt(ctx, c.ID, at(1)); err != nil {
			return err
		}
		if _, err := tx.UseOTPChallenge(ctx, c.ID, at(1)); err != nil {
			return err
		}
		if _, _, err := tx.HitOTPCounter(ctx, "k", 5, time.Hour, at(1)); err != nil {
			return err
		}
		if got, err := tx.GetOTPChallenge(ctx, c.ID); err != nil || got.Attempts != 1 || got.UsedAt == nil {
			t.Errorf("GetOTPChallenge inside the transaction: got %+v, %v, want 1 attempt, used", got, err)
		}
		return errSentinel
	})
	if err != errSentinel {
		t.Fatalf("InTx: got %v, want the sentinel", err)
	}
	wantOTP(t, s, c)
	_, err = s.GetOTPChallenge(ctx, otpFixture(2).ID)
	wantCode(t, "GetOTPChallenge of a rolled-back challenge", err, core.NotFound)
	if got, ok, err := s.HitOTPCounter(ctx, "k", 5, time.Hour, at(1)); err != nil || !ok || got.Count != 1 {
		t.Errorf("HitOTPCounter after the rollback: got %+v, %t, %v, want a count of 1", got, ok, err)
	}
}

func testOTPConcurrentGuesses(t *testing.T, s store.Store) {
	c := otpFixture(1)
	createOTP(t, s, c)
	oks := make([]bool, raceOTPGuesses)
	errs := make([]error, raceOTPGuesses)
	together(raceOTPGuesses, func(i int) { _, oks[i], errs[i] = s.SpendOTPAttempt(t.Context(), c.ID, at(1)) })
	n := 0
	for i := range oks {
		if errs[i] != nil {
			t.Errorf("SpendOTPAttempt %d: got error %v, want nil", i, errs[i])
		}
		if oks[i] {
			n++
		}
	}
	if n != c.MaxAttempts {
		t.Errorf("counted attempts: got %d, want %d", n, c.MaxAttempts)
	}
	if got, err := s.GetOTPChallenge(t.Context(), c.ID); err != nil || got.Attempts != c.MaxAttempts {
		t.Errorf("stored attempts: got %d, %v, want %d", got.Attempts, err, c.MaxAttempts)
	}
}

func testOTPConcurrentCounter(t *testing.T, s store.Store) {
	const limit = 10
	oks := make([]bool, raceOTPHits)
	errs := make([]error, raceOTPHits)
	together(raceOTPHits, func(i int) {
		_, oks[i], errs[i] = s.HitOTPCounter(t.Context(), "race", limit, time.Hour, at(1))
	})
	n := 0
	for i := range oks {
		if errs[i] != nil {
			t.Errorf("HitOTPCounter %d: got error %v, want nil", i, errs[i])
		}
		if oks[i] {
			n++
		}
	}
	if n != limit {
		t.Errorf("counted hits: got %d, want %d", n, limit)
	}
}

func testOTPConcurrentUse(t *testing.T, s store.Store) {
	c := otpFixture(1)
	createOTP(t, s, c)
	wins := make([]bool, raceSpenders)
	errs := make([]error, raceSpenders)
	together(raceSpenders, func(i int) { wins[i], errs[i] = s.UseOTPChallenge(t.Context(), c.ID, at(1)) })
	n := 0
	for i := range wins {
		if errs[i] != nil {
			t.Errorf("UseOTPChallenge %d: got error %v, want nil", i, errs[i])
		}
		if wins[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("winners: got %d, want 1", n)
	}
}
