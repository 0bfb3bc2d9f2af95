package identity_test

import (
	"bytes"
	"image/png"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/pquerna/otp/totp"
)

// enrolled returns a user with confirmed TOTP, its secret and recovery codes.
func enrolled(t *testing.T, e *env) (identity.User, string, []string) {
	t.Helper()
	u := e.user(t, tenantA, "a@example.com")
	en, err := e.s.EnrollTOTP(t.Context(), tenantA, u.ID)
	if err != nil {
		t.Fatalf("EnrollTOTP: got error %v, want nil", err)
	}
	codes, err := e.s.ConfirmTOTP(t.Context(), tenantA, u.ID, code(t, en.Secret, e.clock.Now()))
	if err != nil {
		t.Fatalf("ConfirmTOTP: got error %v, want nil", err)
	}
	return u, en.Secret, codes
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatalf("GenerateCode: %v", err)
	}
	return c
}

func TestEnrollTOTP(t *testing.T) {
	e := newEnv(t, func(c *identity.Config) { c.TOTPIssuer = "Atomix Test" })
	u := e.user(t, tenantA, "a@example.com")
	en, err := e.s.EnrollTOTP(t.Context(), tenantA, u.ID)
	if err != nil {
		t.Fatalf("EnrollTOTP: got error %v, want nil", err)
	}
	loc, err := url.Parse(en.URL)
	if err != nil || loc.Scheme != "otpauth" || loc.Host != "totp" {
		t.Fatalf("URL: got %q, want an otpauth://totp/ URL", en.URL)
	}
	q := loc.Query()
	if q.Get("secret") != en.Secret || q.Get("issuer") != "Atomix Test" || q.Get("digits") != "6" || q.Get("period") != "30" ||
		!strings.Contains(loc.Path, "a@example.com") {
		t.Errorf("URL %q: want the secret, issuer, 6 digits, 30 s and the email", en.URL)
	}
	if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(en.Secret) {
		t.Errorf("secret: got %q, want 32 base32 characters (160 bits)", en.Secret)
	}
	img, err := png.Decode(bytes.NewReader(en.QRCode))
	if err != nil {
		t.Fatalf("QR code: not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("QR code size: got %v, want 256x256", b)
	}
	// The secret is sealed at rest.
	st, err := e.store.GetTOTP(t.Context(), tenantA, u.ID)
	if err != nil {
		t.Fatalf("store GetTOTP: %v", err)
	}
	if st.Confirmed || bytes.Contains(st.Secret, []byte(en.Secret)) {
		t.Errorf("stored enrolment: confirmed %t, secret in the clear %t; want false, false", st.Confirmed, bytes.Contains(st.Secret, []byte(en.Secret)))
	}
	// Until confirmed, the password alone logs in.
	e.login(t, u)
	// Enrolling again replaces the pending secret.
	en2, err := e.s.EnrollTOTP(t.Context(), tenantA, u.ID)
	if err != nil || en2.Secret == en.Secret {
		t.Fatalf("EnrollTOTP again: got %v, same secret %t", err, en2.Secret == en.Secret)
	}
	_, err = e.s.ConfirmTOTP(t.Context(), tenantA, u.ID, code(t, en.Secret, e.clock.Now()))
	wantCode(t, "ConfirmTOTP with the replaced secret", err, core.TOTPInvalid)
	_, err = e.s.EnrollTOTP(t.Context(), tenantB, u.ID)
	wantCode(t, "EnrollTOTP in another tenant", err, core.NotFound)
	other := e.user(t, tenantA, "b@example.com")
	_, err = e.s.ConfirmTOTP(t.Context(), tenantA, other.ID, "123456")
	wantCode(t, "ConfirmTOTP without an enrolment", err, core.NotFound)
}

func TestConfirmTOTP(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, tenantA, "a@example.com")
	en, err := e.s.EnrollTOTP(t.Context(), tenantA, u.ID)
	if err != nil {
		t.Fatalf("EnrollTOTP: %v", err)
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", code(t, en.Secret, e.clock.Now().Add(-2*time.Minute))} {
		_, err := e.s.ConfirmTOTP(t.Context(), tenantA, u.ID, bad)
		wantCode(t, "ConfirmTOTP("+bad+")", err, core.TOTPInvalid)
	}
	// Five failures delay the next try by a second.
	e.clock.Advance(time.Second)
	// The step after the current one is within the skew.
	codes, err := e.s.ConfirmTOTP(t.Context(), tenantA, u.ID, code(t, en.Secret, e.clock.Now().Add(30*time.Second)))
	if err != nil {
		t.Fatalf("ConfirmTOTP: got error %v, want nil", err)
	}
	if len(codes) != identity.RecoveryCodeCount {
		t.Fatalf("recovery codes: got %d, want %d", len(codes), identity.RecoveryCodeCount)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !regexp.MustCompile(`^[a-z2-7]{5}-[a-z2-7]{5}-[a-z2-7]{5}-[a-z2-7]{5}$`).MatchString(c) || seen[c] {
			t.Errorf("recovery code %q: want a new xxxxx-xxxxx-xxxxx-xxxxx code", c)
		}
		seen[c] = true
	}
	st, _ := e.store.GetTOTP(t.Context(), tenantA, u.ID)
	for _, h := range st.RecoveryCodes {
		for _, c := range codes {
			if strings.Contains(h, strings.ReplaceAll(c, "-", "")) {
				t.Errorf("a stored recovery code hash %q holds the code %q", h, c)
			}
		}
	}
	if !st.Confirmed || len(st.RecoveryCodes) != identity.RecoveryCodeCount {
		t.Errorf("stored: confirmed %t with %d codes, want true with %d", st.Confirmed, len(st.RecoveryCodes), identity.RecoveryCodeCount)
	}
	_, err = e.s.ConfirmTOTP(t.Context(), tenantA, u.ID, code(t, en.Secret, e.clock.Now()))
	wantCode(t, "ConfirmTOTP twice", err, core.TOTPAlreadyEnabled)
	_, err = e.s.EnrollTOTP(t.Context(), tenantA, u.ID)
	wantCode(t, "EnrollTOTP when enabled", err, core.TOTPAlreadyEnabled)
}

// TestLoginWithTOTP: after confirmation a login needs a code; a code works
// once, and a code of an earlier or the same step never again.
func TestLoginWithTOTP(t *testing.T) {
	e := newEnv(t)
	u, secret, _ := enrolled(t, e)
	in := identity.LoginInput{Email: u.Email, Password: pass, TenantID: tenantA}

	_, err := e.s.Login(t.Context(), in)
	wantCode(t, "Login without a code", err, core.TOTPRequired)
	if core.ErrorCode(err).Class() != core.Unauthenticated {
		t.Errorf("class of %q: got %q, want unauthenticated", core.ErrorCode(err), core.ErrorCode(err).Class())
	}
	wrong := in
	wrong.Password = "wrong password"
	_, err = e.s.Login(t.Context(), wrong)
	wantCode(t, "Login with a wrong password and no code", err, core.Unauthenticated)

	// The code of the step used at confirmation is spent.
	in.TOTPCode = code(t, secret, e.clock.Now())
	_, err = e.s.Login(t.Context(), in)
	wantCode(t, "Login with the confirmation's code", err, core.TOTPInvalid)

	e.clock.Advance(30 * time.Second)
	in.TOTPCode = code(t, secret, e.clock.Now())
	if _, err := e.s.Login(t.Context(), in); err != nil {
		t.Fatalf("Login with a fresh code: got error %v, want nil", err)
	}
	_, err = e.s.Login(t.Context(), in)
	wantCode(t, "Login replaying the code", err, core.TOTPInvalid)
	// The next step's code is accepted early (skew), then the current
	// step's can no longer be used.
	in.TOTPCode = code(t, secret, e.clock.Now().Add(30*time.Second))
	if _, err := e.s.Login(t.Context(), in); err != nil {
		t.Fatalf("Login with the next step's code: got error %v, want nil", err)
	}
	e.clock.Advance(30 * time.Second)
	in.TOTPCode = code(t, secret, e.clock.Now().Add(-30*time.Second))
	_, err = e.s.Login(t.Context(), in)
	wantCode(t, "Login with an earlier step's code", err, core.TOTPInvalid)

	if err := e.s.DisableTOTP(t.Context(), tenantA, u.ID); err != nil {
		t.Fatalf("DisableTOTP: got error %v, want nil", err)
	}
	in.TOTPCode = ""
	e.clock.Advance(10 * time.Minute) // past the TOTP failures' delay
	if _, err := e.s.Login(t.Context(), in); err != nil {
		t.Errorf("Login after DisableTOTP: got error %v, want nil", err)
	}
	wantCode(t, "DisableTOTP twice", e.s.DisableTOTP(t.Context(), tenantA, u.ID), core.NotFound)
}

func TestRecoveryCodes(t *testing.T) {
	e := newEnv(t)
	u, _, codes := enrolled(t, e)
	in := identity.LoginInput{Email: u.Email, Password: pass, TenantID: tenantA}
	for i, typed := range []string{codes[0], strings.ToUpper(codes[1]), strings.ReplaceAll(codes[2], "-", " ")} {
		in.TOTPCode = typed
		if _, err := e.s.Login(t.Context(), in); err != nil {
			t.Errorf("Login with recovery code %d (%q): got error %v, want nil", i, typed, err)
		}
	}
	in.TOTPCode = codes[0]
	_, err := e.s.Login(t.Context(), in)
	wantCode(t, "Login with a used recovery code", err, core.TOTPInvalid)
	for _, bad := range []string{"aaaaa-aaaaa-aaaaa-aaaaa", codes[3][:10], codes[3] + "a", "11111-11111-11111-11111"} {
		in.TOTPCode = bad
		_, err := e.s.Login(t.Context(), in)
		wantCode(t, "Login with recovery code "+bad, err, core.TOTPInvalid)
	}
	st, _ := e.store.GetTOTP(t.Context(), tenantA, u.ID)
	if len(st.RecoveryCodes) != identity.RecoveryCodeCount-3 {
		t.Errorf("unused recovery codes: got %d, want %d", len(st.RecoveryCodes), identity.RecoveryCodeCount-3)
	}
}

// TestTOTPDelay: wrong codes delay further codes, on a counter of their own:
// password failures and TOTP failures do not add up.
func TestTOTPDelay(t *testing.T) {
	e := newEnv(t)
	u, secret, _ := enrolled(t, e)
	e.clock.Advance(30 * time.Second)
	in := identity.LoginInput{Email: u.Email, Password: pass, TenantID: tenantA, TOTPCode: "000000"}
	if in.TOTPCode == code(t, secret, e.clock.Now()) {
		in.TOTPCode = "111111"
	}
	for range 5 {
		_, err := e.s.Login(t.Context(), in)
		wantCode(t, "wrong code", err, core.TOTPInvalid)
	}
	in.TOTPCode = code(t, secret, e.clock.Now())
	_, err := e.s.Login(t.Context(), in)
	wantCode(t, "right code during the delay", err, core.RateLimited)
	// The password counter is untouched: a wrong password is just wrong.
	_, err = e.s.Login(t.Context(), identity.LoginInput{Email: u.Email, Password: "wrong password", TenantID: tenantA})
	wantCode(t, "wrong password during the TOTP delay", err, core.Unauthenticated)
	e.clock.Advance(time.Second)
	if _, err := e.s.Login(t.Context(), in); err != nil {
		t.Fatalf("right code after the delay: got error %v, want nil", err)
	}
	// The success reset the TOTP counter.
	e.clock.Advance(30 * time.Second)
	in.TOTPCode = "999999"
	if in.TOTPCode == code(t, secret, e.clock.Now()) {
		in.TOTPCode = "888888"
	}
	_, err = e.s.Login(t.Context(), in)
	wantCode(t, "a wrong code after the reset", err, core.TOTPInvalid)
}
