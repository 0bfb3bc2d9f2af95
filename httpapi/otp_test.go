package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/httpapi"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store/memory"
)

// smsBox is an SMSSender keeping what it is given.
type smsBox struct{ ch chan identity.SMS }

func (b *smsBox) Send(_ context.Context, m identity.SMS) error {
	b.ch <- m
	return nil
}

func (b *smsBox) next(t testing.TB) identity.SMS {
	t.Helper()
	select {
	case m := <-b.ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no SMS was sent")
		return identity.SMS{}
	}
}

const (
	otpPhone  = "+905321234567"
	otpTenant = "tn_otptest"
)

// otpEnv is an env whose platform sends OTP codes to a box, with a tenant
// admin of otpTenant owning otpPhone.
type otpEnv struct {
	*env
	clock *fakeClock
	box   *smsBox
	user  identity.User
}

func newOTPEnv(t testing.TB, edit ...func(*identity.Config)) *otpEnv {
	t.Helper()
	clk := newFakeClock()
	box := &smsBox{ch: make(chan identity.SMS, 64)}
	cfg := testIdentity(clk.now)
	cfg.OTP.Sender = box
	for _, e := range edit {
		e(&cfg)
	}
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	p, err := atomix.New(st, atomix.WithClock(clk.now), atomix.WithIdentity(cfg))
	if err != nil {
		t.Fatalf("atomix.New: %v", err)
	}
	u, err := p.Identity().CreateUser(context.Background(), identity.CreateUserInput{
		TenantID: otpTenant, Name: "Ayşe Demir", Email: "ayse@example.com", Phone: otpPhone, Role: identity.RoleTenantAdmin,
	})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	e := &env{p: p, logs: &syncBuffer{}}
	e.h = httpapi.New(p, httpapi.WithAPIKey(testKey), httpapi.WithLogger(slog.New(slog.NewTextHandler(e.logs, nil))))
	e.loadDoc(t)
	return &otpEnv{env: e, clock: clk, box: box, user: u}
}

type otpSentBody struct {
	RequestID         string `json:"requestId"`
	ExpiresIn         int    `json:"expiresIn"`
	AttemptsRemaining int    `json:"attemptsRemaining"`
	MaskedPhone       string `json:"maskedPhone"`
}

func (e *otpEnv) send(t testing.TB, phone, tenantID string) otpSentBody {
	t.Helper()
	res := e.do(t, req{method: "POST", path: "/auth/otp/send", auth: "-", body: jsonBody(map[string]string{"phone": phone, "tenantId": tenantID})})
	res.wantStatus(t, http.StatusOK)
	var out otpSentBody
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatalf("decoding %s: %v", res.body, err)
	}
	if res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", res.header.Get("Cache-Control"))
	}
	return out
}

func (e *otpEnv) verify(t testing.TB, id, code string) *resp {
	t.Helper()
	return e.do(t, req{method: "POST", path: "/auth/otp/verify", auth: "-", body: jsonBody(map[string]string{"requestId": id, "code": code})})
}

func wantProblemCode(t testing.TB, what string, res *resp, status int, code core.Code) {
	t.Helper()
	if res.status != status {
		t.Errorf("%s: got status %d (%s), want %d", what, res.status, res.body, status)
		return
	}
	if p := res.problem(t); p.Code != string(code) {
		t.Errorf("%s: got code %q, want %q", what, p.Code, code)
	}
}

func TestOTPEndpoints(t *testing.T) {
	e := newOTPEnv(t)
	sent := e.send(t, otpPhone, otpTenant)
	want := otpSentBody{RequestID: sent.RequestID, ExpiresIn: 120, AttemptsRemaining: 3, MaskedPhone: "+90 532 *** ** 67"}
	if sent != want || !strings.HasPrefix(sent.RequestID, "otp_") {
		t.Errorf("send: got %+v, want %+v", sent, want)
	}
	code := e.box.next(t).Code
	res := e.verify(t, sent.RequestID, code)
	res.wantStatus(t, http.StatusOK)
	var tb tokenBody
	if err := json.Unmarshal(res.body, &tb); err != nil {
		t.Fatalf("decoding %s: %v", res.body, err)
	}
	if tb.User.ID != e.user.ID || tb.User.TenantID != otpTenant || tb.User.Role != "tenant_admin" || tb.AccessToken == "" || !strings.HasPrefix(tb.RefreshToken, "rt_") {
		t.Errorf("verify: got %+v, want the admin's token response", tb)
	}
	// The access token authenticates.
	me := e.do(t, req{method: "GET", path: "/tenants/" + otpTenant + "/atoms", auth: "Bearer " + tb.AccessToken})
	if me.status == http.StatusUnauthorized {
		t.Errorf("a request with the OTP access token: got 401 %s", me.body)
	}
	wantProblemCode(t, "verify again", e.verify(t, sent.RequestID, code), http.StatusUnauthorized, core.OTPUsed)
}

func TestOTPEndpointRefusals(t *testing.T) {
	e := newOTPEnv(t)
	sent := e.send(t, otpPhone, otpTenant)
	code := e.box.next(t).Code
	bad := "000000"
	if bad == code {
		bad = "111111"
	}
	wantProblemCode(t, "wrong code 1", e.verify(t, sent.RequestID, bad), http.StatusUnauthorized, core.OTPInvalid)
	wantProblemCode(t, "wrong code 2", e.verify(t, sent.RequestID, bad), http.StatusUnauthorized, core.OTPInvalid)
	wantProblemCode(t, "wrong code 3", e.verify(t, sent.RequestID, bad), http.StatusUnauthorized, core.OTPAttemptsExceeded)
	wantProblemCode(t, "the right code on a fourth try", e.verify(t, sent.RequestID, code), http.StatusUnauthorized, core.OTPAttemptsExceeded)
	wantProblemCode(t, "an unknown request", e.verify(t, "otp_unknown", code), http.StatusUnauthorized, core.OTPInvalid)

	// A resend during the cooldown.
	res := e.do(t, req{method: "POST", path: "/auth/otp/send", auth: "-", body: `{"phone":"+905321234567","tenantId":"tn_otptest"}`})
	wantProblemCode(t, "a resend during the cooldown", res, http.StatusTooManyRequests, core.RateLimited)
	if got := res.header.Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After: got %q, want 60", got)
	}
	// An expired code.
	e.clock.advance(time.Minute)
	sent = e.send(t, otpPhone, otpTenant)
	code = e.box.next(t).Code
	e.clock.advance(2 * time.Minute)
	wantProblemCode(t, "an expired code", e.verify(t, sent.RequestID, code), http.StatusUnauthorized, core.OTPExpired)

	for _, tc := range []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"MalformedPhone", "/auth/otp/send", `{"phone":"0532 123"}`, http.StatusUnprocessableEntity, "phone"},
		{"MissingPhone", "/auth/otp/send", `{}`, http.StatusUnprocessableEntity, "phone"},
		{"BadTenant", "/auth/otp/send", `{"phone":"+905321234567","tenantId":"acme"}`, http.StatusUnprocessableEntity, "tenantId"},
		{"UnknownField", "/auth/otp/send", `{"phone":"+905321234567","email":"x"}`, http.StatusBadRequest, ""},
		{"WrongType", "/auth/otp/verify", `{"requestId":1,"code":"1"}`, http.StatusBadRequest, ""},
		{"NotJSON", "/auth/otp/verify", `{`, http.StatusBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, req{method: "POST", path: tc.path, auth: "-", body: tc.body})
			res.wantStatus(t, tc.status)
			if tc.field != "" {
				p := res.problem(t)
				if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
					t.Errorf("errors: got %+v, want one naming %s", p.Errors, tc.field)
				}
			}
		})
	}
}

// TestOTPUnknownPhoneSameAnswer compares the answers for a known and an
// unknown phone on the wire.
func TestOTPEndpointUnknownPhone(t *testing.T) {
	e := newOTPEnv(t)
	known := e.send(t, otpPhone, otpTenant)
	e.box.next(t)
	unknown := e.send(t, "+905329876543", otpTenant)
	if known.ExpiresIn != unknown.ExpiresIn || known.AttemptsRemaining != unknown.AttemptsRemaining || len(known.RequestID) != len(unknown.RequestID) {
		t.Errorf("got %+v and %+v, want the same shape", known, unknown)
	}
	select {
	case m := <-e.box.ch:
		t.Errorf("an SMS went to %s, want none for an unknown phone", m.To)
	case <-time.After(50 * time.Millisecond):
	}
}

// fuzzOTP checks that no body makes an OTP endpoint fail with a 5xx or an
// undocumented status.
func fuzzOTP(f *testing.F, path string, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	e := newOTPEnv(f)
	allowed := map[int]bool{200: true, 400: true, 401: true, 413: true, 422: true, 429: true}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, r)
		if !allowed[rec.Code] {
			t.Errorf("body %q: got status %d %s", body, rec.Code, rec.Body)
		}
	})
}

func FuzzOTPSendBody(f *testing.F) {
	fuzzOTP(f, "/v1/auth/otp/send", `{"phone":"+905321234567","tenantId":"tn_otptest"}`, `{"phone":"+1 201 555 0123"}`,
		`{"phone":""}`, `{"phone":"+"}`, `{"phone":"+999"}`, `{"phone":null}`, `[]`, `{"phone":"+905321234567","tenantId":"tn_"}`)
}

func FuzzOTPVerifyBody(f *testing.F) {
	fuzzOTP(f, "/v1/auth/otp/verify", `{"requestId":"otp_abc","code":"123456"}`, `{"requestId":"","code":""}`,
		`{"requestId":"otp_`+strings.Repeat("a", 200)+`","code":"1"}`, `{"code":"١٢٣٤٥٦","requestId":"otp_x"}`, `{}`)
}

// TestOTPSendWithoutSender checks that a platform whose OTP login has no
// SMS sender answers 503 unavailable, not an internal error, and makes no
// challenge.
func TestOTPSendWithoutSender(t *testing.T) {
	e := newOTPEnv(t, func(c *identity.Config) { c.OTP.Sender = nil })
	res := e.do(t, req{method: "POST", path: "/auth/otp/send", auth: "-", body: jsonBody(map[string]string{"phone": otpPhone, "tenantId": otpTenant})})
	wantProblemCode(t, "a send without an SMS sender", res, http.StatusServiceUnavailable, core.Unavailable)
	if strings.Contains(string(res.body), "internal") {
		t.Errorf("body: got %s, want no mention of an internal error", res.body)
	}
}
