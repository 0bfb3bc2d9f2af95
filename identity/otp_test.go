package identity_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
)

// outbox is an SMSSender that keeps what it is given.
type outbox struct {
	ch chan identity.SMS
}

func newOutbox() *outbox { return &outbox{ch: make(chan identity.SMS, 1024)} }

func (o *outbox) Send(_ context.Context, m identity.SMS) error {
	o.ch <- m
	return nil
}

// next waits for the next message.
func (o *outbox) next(t testing.TB) identity.SMS {
	t.Helper()
	select {
	case m := <-o.ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no SMS was sent")
		return identity.SMS{}
	}
}

// none checks that no message comes within a short while.
func (o *outbox) none(t testing.TB, what string) {
	t.Helper()
	select {
	case m := <-o.ch:
		t.Errorf("%s: got an SMS to %s, want none", what, m.To)
	case <-time.After(50 * time.Millisecond):
	}
}

const phoneA = "+905321234567"

// otpEnv returns a service with an outbox sender and a tenant admin with
// phoneA.
func otpEnv(t testing.TB, edit func(*identity.OTPConfig)) (*env, *outbox, identity.User) {
	t.Helper()
	box := newOutbox()
	e := newEnv(t, func(c *identity.Config) {
		c.OTP.Sender = box
		if edit != nil {
			edit(&c.OTP)
		}
	})
	u, err := e.s.CreateUser(context.Background(), identity.CreateUserInput{
		TenantID: tenantA, Name: "Ayşe Demir", Email: "ayse@example.com", Phone: phoneA, Role: identity.RoleTenantAdmin,
	})
	if err != nil {
		t.Fatalf("CreateUser: got error %v, want nil", err)
	}
	return e, box, u
}

func (e *env) send(t testing.TB, phone, tenantID string) identity.OTPSent {
	t.Helper()
	r, err := e.s.SendOTP(context.Background(), identity.SendOTPInput{Phone: phone, TenantID: tenantID})
	if err != nil {
		t.Fatalf("SendOTP(%s): got error %v, want nil", phone, err)
	}
	return r
}

func (e *env) verify(id, code string) (identity.TokenResponse, error) {
	return e.s.VerifyOTP(context.Background(), identity.VerifyOTPInput{RequestID: id, Code: code})
}

// wrong returns a code of the same length that is not code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestMaskPhone(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+905321234567", "+90 532 *** ** 67"},
		{"+442079460958", "+44 20 **** 0958"},
		{"+12015550123", "+1 201-***-0123"},
		{"+4915123456789", "+49 1512 *****89"},
		{"nonsense", "********"},
		{"+49210000", "+49 210* 00"},
	} {
		if got := identity.MaskPhone(tc.in); got != tc.want {
			t.Errorf("MaskPhone(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParsePhone(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   string
		wantCC int
		ok     bool
	}{
		{"+905321234567", "+905321234567", 90, true},
		{" +90 532 123 45 67 ", "+905321234567", 90, true},
		{"+1 (201) 555-0123", "+12015550123", 1, true},
		{"05321234567", "", 0, false},   // national form: no country
		{"+90532", "", 0, false},        // too short
		{"+999123456789", "", 0, false}, // no such country
		{"", "", 0, false},
		{"+90 532 123 45 67 ext", "", 0, false},
	} {
		got, cc, err := identity.ParsePhone(tc.in)
		if tc.ok && (err != nil || got != tc.want || cc != tc.wantCC) {
			t.Errorf("ParsePhone(%q): got %q, %d, %v, want %q, %d, nil", tc.in, got, cc, err, tc.want, tc.wantCC)
		}
		if !tc.ok && !hasField(err, "phone") {
			t.Errorf("ParsePhone(%q): got %q, %v, want an Invalid error naming phone", tc.in, got, err)
		}
	}
}

func TestOTPConfigBounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*identity.OTPConfig)
	}{
		{"Length3", func(c *identity.OTPConfig) { c.Length = 3 }},
		{"Length9", func(c *identity.OTPConfig) { c.Length = 9 }},
		{"Lifetime30s", func(c *identity.OTPConfig) { c.Lifetime = 30 * time.Second }},
		{"Lifetime11m", func(c *identity.OTPConfig) { c.Lifetime = 11 * time.Minute }},
		{"UnknownCountryCode", func(c *identity.OTPConfig) { c.CountryCodes = []int{999} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := identity.Config{Issuer: issuer, Secrets: identity.Secrets{Current: secret("s1", 7)}}
			tc.edit(&cfg.OTP)
			if _, err := identity.NewService(nil, cfg); err == nil {
				t.Error("NewService: got nil error, want one")
			}
		})
	}
}

func TestOTPSendAndVerify(t *testing.T) {
	e, box, u := otpEnv(t, nil)
	sent := e.send(t, phoneA, tenantA)
	want := identity.OTPSent{RequestID: sent.RequestID, ExpiresIn: 120, AttemptsRemaining: 3, MaskedPhone: "+90 532 *** ** 67"}
	if sent != want || !core.ValidID(core.PrefixOTP, sent.RequestID) {
		t.Errorf("SendOTP: got %+v, want %+v with an otp_ ID", sent, want)
	}
	m := box.next(t)
	if m.To != phoneA || m.RequestID != sent.RequestID || len(m.Code) != 6 || strings.Trim(m.Code, "0123456789") != "" {
		t.Errorf("SMS: got %+v, want 6 digits to %s for %s", m, phoneA, sent.RequestID)
	}
	if !strings.Contains(m.Text(), m.Code) {
		t.Errorf("SMS text %q does not hold the code", m.Text())
	}
	c, err := e.store.GetOTPChallenge(context.Background(), sent.RequestID)
	if err != nil {
		t.Fatalf("GetOTPChallenge: got error %v, want nil", err)
	}
	if strings.Contains(c.CodeHash, m.Code) || c.KeyID != "s1" || c.UserID != u.ID {
		t.Errorf("stored challenge: got %+v, want a keyed hash under s1 for %s", c, u.ID)
	}
	tr, err := e.verify(sent.RequestID, m.Code)
	if err != nil {
		t.Fatalf("VerifyOTP: got error %v, want nil", err)
	}
	if tr.User.ID != u.ID || tr.User.TenantID != tenantA || tr.AccessToken == "" || tr.RefreshToken == "" || tr.ExpiresIn != 3600 {
		t.Errorf("VerifyOTP: got %+v, want a token pair for %s", tr, u.ID)
	}
	if _, err := e.s.VerifyAccessToken(context.Background(), tr.AccessToken); err != nil {
		t.Errorf("Authenticate the OTP access token: got error %v, want nil", err)
	}
	_, err = e.verify(sent.RequestID, m.Code)
	wantCode(t, "VerifyOTP again", err, core.OTPUsed)
}

func TestOTPWrongCodes(t *testing.T) {
	e, box, _ := otpEnv(t, nil)
	sent := e.send(t, phoneA, tenantA)
	code := box.next(t).Code
	for i, want := range []core.Code{core.OTPInvalid, core.OTPInvalid, core.OTPAttemptsExceeded} {
		_, err := e.verify(sent.RequestID, wrong(code))
		wantCode(t, "wrong code "+strconv.Itoa(i+1), err, want)
	}
	// A fourth try is refused whatever the code.
	_, err := e.verify(sent.RequestID, code)
	wantCode(t, "the right code after three wrong ones", err, core.OTPAttemptsExceeded)
	_, err = e.verify(sent.RequestID, "12")
	wantCode(t, "a malformed code after three wrong ones", err, core.OTPAttemptsExceeded)
}

func TestOTPConcurrentWrongGuesses(t *testing.T) {
	e, box, _ := otpEnv(t, func(c *identity.OTPConfig) { c.VerifiesPerPhone = 1000 })
	sent := e.send(t, phoneA, tenantA)
	code := box.next(t).Code
	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = e.verify(sent.RequestID, wrong(code)) })
	}
	wg.Wait()
	counted := 0
	for i, err := range errs {
		switch core.ErrorCode(err) {
		case core.OTPInvalid:
			counted++
		case core.OTPAttemptsExceeded:
		default:
			t.Errorf("guess %d: got %v, want otp_invalid or otp_attempts_exceeded", i, err)
		}
	}
	c, err := e.store.GetOTPChallenge(context.Background(), sent.RequestID)
	if err != nil || c.Attempts != 3 || counted > 2 {
		t.Errorf("after %d concurrent guesses: got %d attempts stored (%v) and %d answered otp_invalid, want 3 and at most 2", n, c.Attempts, err, counted)
	}
	_, err = e.verify(sent.RequestID, code)
	wantCode(t, "the right code after the guesses", err, core.OTPAttemptsExceeded)
}

// TestOTPGuessesSpreadOverChallenges spreads 1,000 wrong guesses over as
// many challenges as the limits let it make: the phone's verify budget
// stops them after VerifiesPerPhone.
func TestOTPGuessesSpreadOverChallenges(t *testing.T) {
	e, box, _ := otpEnv(t, func(c *identity.OTPConfig) { c.SendsPerPhone = 1000 })
	compared, limited, sends := 0, 0, 0
	var req, code string
	left := 0
	for range 1000 {
		if left == 0 {
			e.clock.Advance(identity.DefaultOTPCooldown)
			r, err := e.s.SendOTP(context.Background(), identity.SendOTPInput{Phone: phoneA, TenantID: tenantA})
			if err != nil {
				t.Fatalf("SendOTP %d: got error %v, want nil", sends+1, err)
			}
			sends++
			req, code, left = r.RequestID, box.next(t).Code, r.AttemptsRemaining
		}
		_, err := e.verify(req, wrong(code))
		switch core.ErrorCode(err) {
		case core.OTPInvalid, core.OTPAttemptsExceeded:
			compared++
			left--
		case core.RateLimited:
			limited++
			if _, ok := identity.RetryAfter(err); !ok {
				t.Fatalf("a budget refusal without a wait: %v", err)
			}
		default:
			t.Fatalf("guess: got %v, want a refusal", err)
		}
	}
	if compared != identity.DefaultOTPVerifiesPerPhone || limited != 1000-compared {
		t.Errorf("1,000 spread guesses: got %d compared and %d refused by the budget over %d challenges, want %d compared",
			compared, limited, sends, identity.DefaultOTPVerifiesPerPhone)
	}
	// The budget holds for a fresh challenge too, the right code included.
	e.clock.Advance(identity.DefaultOTPCooldown)
	r := e.send(t, phoneA, tenantA)
	_, err := e.verify(r.RequestID, box.next(t).Code)
	wantCode(t, "the right code past the budget", err, core.RateLimited)
	// A day later the budget is back.
	e.clock.Advance(identity.DefaultOTPBudgetWindow)
	r = e.send(t, phoneA, tenantA)
	if _, err := e.verify(r.RequestID, box.next(t).Code); err != nil {
		t.Errorf("the right code a day later: got error %v, want nil", err)
	}
}

func TestOTPRefusals(t *testing.T) {
	e, box, _ := otpEnv(t, nil)
	sent := e.send(t, phoneA, tenantA)
	code := box.next(t).Code
	for _, tc := range []struct {
		name, id, code string
		want           core.Code
	}{
		{"UnknownRequest", "otp_doesnotexist", code, core.OTPInvalid},
		{"MalformedRequest", "rt_" + sent.RequestID[4:], code, core.OTPInvalid},
		{"EmptyRequest", "", code, core.OTPInvalid},
	} {
		_, err := e.verify(tc.id, tc.code)
		wantCode(t, tc.name, err, tc.want)
	}
	e.clock.Advance(identity.DefaultOTPLifetime)
	_, err := e.verify(sent.RequestID, code)
	wantCode(t, "an expired code", err, core.OTPExpired)
}

func TestOTPForeignTenant(t *testing.T) {
	e, box, _ := otpEnv(t, nil)
	// The phone has no user in tenant B: no SMS, and no code opens it.
	sent := e.send(t, phoneA, tenantB)
	box.none(t, "a phone unknown in the tenant")
	_, err := e.verify(sent.RequestID, "123456")
	wantCode(t, "a challenge of a phone unknown in the tenant", err, core.OTPInvalid)
}

func TestOTPCooldown(t *testing.T) {
	e, box, _ := otpEnv(t, nil)
	e.send(t, phoneA, tenantA)
	box.next(t)
	e.clock.Advance(20 * time.Second)
	_, err := e.s.SendOTP(context.Background(), identity.SendOTPInput{Phone: phoneA, TenantID: tenantA})
	wantCode(t, "a resend during the cooldown", err, core.RateLimited)
	if d, ok := identity.RetryAfter(err); !ok || d != 40*time.Second {
		t.Errorf("RetryAfter: got %s, %t, want 40s, true", d, ok)
	}
	box.none(t, "a refused resend")
	// The cooldown is per phone, whatever the tenant asked for.
	_, err = e.s.SendOTP(context.Background(), identity.SendOTPInput{Phone: phoneA, TenantID: tenantB})
	wantCode(t, "a resend to another tenant during the cooldown", err, core.RateLimited)
	e.clock.Advance(40 * time.Second)
	e.send(t, phoneA, tenantA)
	box.next(t)
}

func TestOTPConcurrentCorrectVerifies(t *testing.T) {
	e, box, u := otpEnv(t, nil)
	sent := e.send(t, phoneA, tenantA)
	code := box.next(t).Code
	const n = 2
	trs := make([]identity.TokenResponse, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			trs[i], errs[i] = e.verify(sent.RequestID, code)
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i := range n {
		switch {
		case errs[i] == nil && trs[i].User.ID == u.ID:
			wins++
		case core.ErrorCode(errs[i]) != core.OTPUsed:
			t.Errorf("verify %d: got %v, want success or otp_used", i, errs[i])
		}
	}
	if wins != 1 {
		t.Errorf("token pairs from two concurrent correct verifies: got %d, want 1", wins)
	}
}

func TestOTPUnknownPhoneSameAnswer(t *testing.T) {
	e, box, _ := otpEnv(t, nil)
	known := e.send(t, phoneA, tenantA)
	box.next(t)
	unknown := e.send(t, "+905329876543", tenantA)
	box.none(t, "an unknown phone")
	if known.ExpiresIn != unknown.ExpiresIn || known.AttemptsRemaining != unknown.AttemptsRemaining ||
		len(known.RequestID) != len(unknown.RequestID) || len(known.MaskedPhone) != len(unknown.MaskedPhone) {
		t.Errorf("answers: got %+v for a known phone and %+v for an unknown one, want the same shape", known, unknown)
	}
	if unknown.MaskedPhone != "+90 532 *** ** 43" {
		t.Errorf("masked unknown phone: got %q, want %q", unknown.MaskedPhone, "+90 532 *** ** 43")
	}
	for i, want := range []core.Code{core.OTPInvalid, core.OTPInvalid, core.OTPAttemptsExceeded} {
		_, err := e.verify(unknown.RequestID, "000000")
		wantCode(t, "a code for an unknown phone "+strconv.Itoa(i+1), err, want)
	}
	// The unknown phone's cooldown is counted as a known one's is.
	_, err := e.s.SendOTP(context.Background(), identity.SendOTPInput{Phone: "+905329876543", TenantID: tenantA})
	wantCode(t, "a resend to an unknown phone during the cooldown", err, core.RateLimited)
}

func TestOTPDisabledUserGetsNoSMS(t *testing.T) {
	e, box, u := otpEnv(t, nil)
	if _, err := e.s.DisableUser(context.Background(), tenantA, u.ID); err != nil {
		t.Fatalf("DisableUser: got error %v, want nil", err)
	}
	e.send(t, phoneA, tenantA)
	box.none(t, "a disabled user")
}

func TestOTPTenantBudgetAndCountries(t *testing.T) {
	e, box, _ := otpEnv(t, func(c *identity.OTPConfig) {
		c.SMSPerTenant = 2
		c.CountryCodes = []int{90}
	})
	e.send(t, phoneA, tenantA)
	box.next(t)
	e.send(t, "+905320000001", tenantA)
	_, err := e.s.SendOTP(context.Background(), identity.SendOTPInput{Phone: "+905320000002", TenantID: tenantA})
	wantCode(t, "a send past the tenant's budget", err, core.RateLimited)
	e.send(t, "+905320000003", tenantB) // another tenant's budget
	_, err = e.s.SendOTP(context.Background(), identity.SendOTPInput{Phone: "+442079460958", TenantID: tenantB})
	if !hasField(err, "phone") {
		t.Errorf("a number outside the allowed countries: got %v, want Invalid naming phone", err)
	}
	_, err = e.s.SendOTP(context.Background(), identity.SendOTPInput{Phone: phoneA, TenantID: "nope"})
	if !hasField(err, "tenantId") {
		t.Errorf("a malformed tenant ID: got %v, want Invalid naming tenantId", err)
	}
}

func TestOTPNoSender(t *testing.T) {
	e := newEnv(t)
	_, err := e.s.SendOTP(context.Background(), identity.SendOTPInput{Phone: phoneA, TenantID: tenantA})
	wantCode(t, "SendOTP without a sender", err, core.Unavailable)
}

func TestOTPLengthAndKeyRotation(t *testing.T) {
	box := newOutbox()
	st := newEnv(t).store
	c := newClock()
	old := newEnvOn(t, st, c, func(cfg *identity.Config) {
		cfg.OTP.Sender = box
		cfg.OTP.Length = 8
	})
	if _, err := old.s.CreateUser(context.Background(), identity.CreateUserInput{
		TenantID: tenantA, Name: "A", Email: "a@example.com", Phone: phoneA, Role: identity.RoleTenantAdmin,
	}); err != nil {
		t.Fatalf("CreateUser: got error %v, want nil", err)
	}
	sent := old.send(t, phoneA, tenantA)
	code := box.next(t).Code
	if len(code) != 8 {
		t.Errorf("code length: got %d, want 8", len(code))
	}
	// A new master secret still verifies the code the old one keyed.
	rotated := newEnvOn(t, st, c, func(cfg *identity.Config) {
		cfg.Secrets = identity.Secrets{Current: secret("s2", 9), Previous: []identity.Secret{secret("s1", 7)}}
		cfg.OTP.Sender = box
	})
	if _, err := rotated.verify(sent.RequestID, code); err != nil {
		t.Errorf("VerifyOTP after a rotation: got error %v, want nil", err)
	}
}

func TestLogSender(t *testing.T) {
	l := &logs{}
	s := identity.LogSender{Logger: slog.New(slog.NewTextHandler(l, nil))}
	if err := s.Send(context.Background(), identity.SMS{To: phoneA, Code: "482951", RequestID: "otp_x"}); err != nil {
		t.Fatalf("Send: got error %v, want nil", err)
	}
	out := l.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "phone=+905321234567") || !strings.Contains(out, "code=482951") {
		t.Errorf("log: got %q, want one line with the phone and the code", out)
	}
}

func TestWebhookSender(t *testing.T) {
	secretKey := []byte("webhook-secret")
	for _, tc := range []struct {
		name      string
		statuses  []int // answered in turn; the last repeats
		wantCalls int32
		wantErr   bool
	}{
		{"FirstTry", []int{200}, 1, false},
		{"RetriesServerErrors", []int{500, 503, 204}, 3, false},
		{"RetriesTooManyRequests", []int{429, 200}, 2, false},
		{"GivesUpAfterAttempts", []int{502}, 3, true},
		{"NoRetryOnClientError", []int{400}, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				body, _ := io.ReadAll(r.Body)
				ts, _ := strconv.ParseInt(r.Header.Get(identity.WebhookTimestampHeader), 10, 64)
				if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
					r.Header.Get(identity.WebhookSignatureHeader) != identity.SignWebhook(secretKey, ts, body) {
					t.Errorf("request %d: got %s with signature %q, want a signed JSON POST", n, r.Method, r.Header.Get(identity.WebhookSignatureHeader))
				}
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil || m["to"] != phoneA || m["code"] != "123456" || m["requestId"] != "otp_x" {
					t.Errorf("request %d body: got %s, want the message", n, body)
				}
				w.WriteHeader(tc.statuses[min(n, len(tc.statuses))-1])
			}))
			defer srv.Close()
			s := identity.WebhookSender{URL: srv.URL, Secret: secretKey, Backoff: time.Millisecond}
			err := s.Send(context.Background(), identity.SMS{To: phoneA, Code: "123456", RequestID: "otp_x", ExpiresAt: time.Now()})
			if (err != nil) != tc.wantErr || calls.Load() != tc.wantCalls {
				t.Errorf("Send: got %v after %d calls, want error %t after %d", err, calls.Load(), tc.wantErr, tc.wantCalls)
			}
		})
	}
	t.Run("Timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		s := identity.WebhookSender{URL: srv.URL, Secret: secretKey, Timeout: 20 * time.Millisecond, Attempts: 2, Backoff: time.Millisecond}
		start := time.Now()
		if err := s.Send(context.Background(), identity.SMS{To: phoneA, Code: "1"}); err == nil {
			t.Error("Send to a server that never answers: got nil error, want one")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Send took %s, want the timeouts to end it", d)
		}
	})
	if err := (identity.WebhookSender{}).Send(context.Background(), identity.SMS{}); err == nil {
		t.Error("Send without a URL: got nil error, want one")
	}
}

func TestDeleteExpiredOTP(t *testing.T) {
	e, box, _ := otpEnv(t, nil)
	sent := e.send(t, phoneA, tenantA)
	code := box.next(t).Code
	if ch, cn, err := e.s.DeleteExpiredOTP(context.Background()); err != nil || ch != 0 || cn != 0 {
		t.Errorf("DeleteExpiredOTP of a live challenge: got %d challenges, %d counters, %v, want 0, 0, nil", ch, cn, err)
	}
	e.clock.Advance(identity.DefaultOTPLifetime + identity.DefaultOTPBudgetWindow + time.Second)
	// The send counted a cooldown and the phone's and tenant's budgets.
	if ch, cn, err := e.s.DeleteExpiredOTP(context.Background()); err != nil || ch != 1 || cn < 2 {
		t.Errorf("DeleteExpiredOTP a day after expiry: got %d challenges, %d counters, %v, want 1, at least 2, nil", ch, cn, err)
	}
	if ch, cn, err := e.s.DeleteExpiredOTP(context.Background()); err != nil || ch != 0 || cn != 0 {
		t.Errorf("DeleteExpiredOTP again: got %d challenges, %d counters, %v, want 0, 0, nil", ch, cn, err)
	}
	_, err := e.verify(sent.RequestID, code)
	wantCode(t, "a deleted challenge", err, core.OTPInvalid)
}

func TestLoginPolicy(t *testing.T) {
	off := false
	e := newEnv(t, func(c *identity.Config) {
		c.LoginPolicy = func(_ context.Context, tenantID string) (identity.LoginPolicy, error) {
			return identity.LoginPolicy{PasswordOff: off && tenantID == tenantA}, nil
		}
	})
	member := e.user(t, tenantA, "member@example.com")
	root := e.user(t, "", "root@example.com")
	e.login(t, member)
	off = true
	_, err := e.s.Login(context.Background(), identity.LoginInput{Email: member.Email, Password: pass, TenantID: tenantA})
	wantCode(t, "a tenant user's password login turned off", err, core.Forbidden)
	e.login(t, root) // staff keep password login
}

// TestTenantLoginPolicyOTP: a tenant whose policy turned phone codes off
// gets no SMS, and a code sent before it turned them off no longer signs
// in; once on again, codes work.
func TestTenantLoginPolicyOTP(t *testing.T) {
	off := false
	e, box, _ := otpEnv(t, nil)
	e = newEnvOn(t, e.store, e.clock, func(c *identity.Config) {
		c.OTP.Sender = box
		c.LoginPolicy = func(_ context.Context, tenantID string) (identity.LoginPolicy, error) {
			return identity.LoginPolicy{OTPOff: off && tenantID == tenantA}, nil
		}
	})

	// Sent while on, verified after the tenant turned codes off.
	sent := e.send(t, phoneA, tenantA)
	m := box.next(t)
	off = true
	_, err := e.verify(sent.RequestID, m.Code)
	wantCode(t, "VerifyOTP after the tenant turned codes off", err, core.Forbidden)

	e.clock.Advance(identity.DefaultOTPCooldown)
	_, err = e.s.SendOTP(context.Background(), identity.SendOTPInput{Phone: phoneA, TenantID: tenantA})
	wantCode(t, "SendOTP naming a tenant that turned codes off", err, core.Forbidden)
	box.none(t, "SendOTP for a tenant with codes off")

	off = false
	e.clock.Advance(identity.DefaultOTPCooldown)
	sent = e.send(t, phoneA, tenantA)
	if _, err := e.verify(sent.RequestID, box.next(t).Code); err != nil {
		t.Errorf("VerifyOTP with codes on again: got error %v, want nil", err)
	}
}
