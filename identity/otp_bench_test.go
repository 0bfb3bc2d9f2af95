package identity_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store/sqlstore"
)

// otpBench is a service over SQLite whose limits do not get in the way of
// a benchmark, with a user owning phoneA.
func otpBench(b *testing.B) (*identity.Service, *outbox) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "otp.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	box := newOutbox()
	s, err := identity.NewService(st, identity.Config{
		Issuer:   issuer,
		Secrets:  identity.Secrets{Current: secret("s1", 7)},
		Password: identity.PasswordConfig{Params: cheap},
		Logger:   slog.New(slog.DiscardHandler),
		OTP: identity.OTPConfig{
			Sender: box, Cooldown: time.Nanosecond,
			SendsPerPhone: 1 << 30, VerifiesPerPhone: 1 << 30, SMSPerTenant: 1 << 30,
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, identity.CreateUserInput{
		TenantID: tenantA, Name: "Bench", Email: "bench@example.com", Phone: phoneA, Role: identity.RoleTenantAdmin,
	}); err != nil {
		b.Fatal(err)
	}
	return s, box
}

// BenchmarkOTPSend measures SendOTP on SQLite: three counters, the user
// lookup and the challenge insert (the SMS goes to a channel).
func BenchmarkOTPSend(b *testing.B) {
	s, _ := otpBench(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		phone := fmt.Sprintf("+90532%07d", i%10_000_000)
		if _, err := s.SendOTP(ctx, identity.SendOTPInput{Phone: phone, TenantID: tenantA}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOTPVerify measures a successful VerifyOTP on SQLite: the
// challenge read, the budget counter, the attempt and use updates, and
// the session (refresh family and signed access token).
func BenchmarkOTPVerify(b *testing.B) {
	s, box := otpBench(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		r, err := s.SendOTP(ctx, identity.SendOTPInput{Phone: phoneA, TenantID: tenantA})
		if err != nil {
			b.Fatal(err)
		}
		code := box.next(b).Code
		b.StartTimer()
		if _, err := s.VerifyOTP(ctx, identity.VerifyOTPInput{RequestID: r.RequestID, Code: code}); err != nil {
			b.Fatal(err)
		}
	}
}
