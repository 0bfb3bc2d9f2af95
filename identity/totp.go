package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"image/png"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: RFC 6238's defaults, which every authenticator app
// reads: 30-second steps, 6 digits, HMAC-SHA1, a 160-bit secret; a code of
// the step before or after the current one is accepted too.
const (
	totpPeriod     = 30
	totpDigits     = otp.DigitsSix
	totpSkew       = 1
	totpSecretSize = 20
	// RecoveryCodeCount is how many recovery codes a confirmation makes.
	RecoveryCodeCount = 10
	// qrSize is the width and height of the QR code, in pixels.
	qrSize = 256
)

// TOTPEnrollment is what EnrollTOTP answers, for the user's authenticator.
type TOTPEnrollment struct {
	// URL is the otpauth:// key URI.
	URL string `json:"otpauthUrl"`
	// Secret is the base32 secret, for typing in by hand.
	Secret string `json:"secret"`
	// QRCode is a PNG image of URL.
	QRCode []byte `json:"qrCode"`
}

func errTOTPInvalid(reason string) error {
	return &core.Error{Code: core.TOTPInvalid, Message: "the code is not valid", Err: errorString(reason)}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// EnrollTOTP starts (or restarts) the user's TOTP enrolment: it makes a new
// secret, keeps it sealed, and answers it with its otpauth URL and a QR
// code. The enrolment takes effect when ConfirmTOTP verifies a first code.
// Errors: core.NotFound; core.TOTPAlreadyEnabled when the user confirmed
// one already (DisableTOTP first); core.Internal.
func (s *Service) EnrollTOTP(ctx context.Context, tenantID, userID string) (TOTPEnrollment, error) {
	u, err := s.getUser(ctx, tenantID, userID)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      s.cfg.TOTPIssuer,
		AccountName: u.Email,
		Period:      totpPeriod,
		SecretSize:  totpSecretSize,
		Digits:      totpDigits,
		Algorithm:   otp.AlgorithmSHA1,
		Rand:        rand.Reader,
	})
	if err != nil {
		return TOTPEnrollment{}, core.Wrap(err, "make a TOTP secret")
	}
	sealed, err := s.secrets.seal(purposeTOTPSecret, totpAAD(tenantID, userID), []byte(key.Secret()))
	if err != nil {
		return TOTPEnrollment{}, core.Wrap(err, "seal a TOTP secret")
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return TOTPEnrollment{}, core.Wrap(err, "draw the TOTP QR code")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPEnrollment{}, core.Wrap(err, "encode the TOTP QR code")
	}
	if err := s.store.PutTOTP(ctx, TOTP{
		TenantID:  tenantID,
		UserID:    userID,
		Secret:    sealed,
		CreatedAt: s.now.Now(),
	}); err != nil {
		return TOTPEnrollment{}, err
	}
	return TOTPEnrollment{URL: key.URL(), Secret: key.Secret(), QRCode: buf.Bytes()}, nil
}

func totpAAD(tenantID, userID string) string { return tenantID + "\x00" + userID }

// ConfirmTOTP verifies the first code of a pending enrolment and turns TOTP
// on: from now on a password login needs a code. It answers the user's
// RecoveryCodeCount one-time recovery codes, shown this once (only their
// keyed hashes are kept).
// Errors: core.NotFound when the user or the enrolment does not exist;
// core.TOTPAlreadyEnabled; core.TOTPInvalid for a wrong or replayed code;
// core.RateLimited after repeated failures (see AttemptPolicy);
// core.Internal.
func (s *Service) ConfirmTOTP(ctx context.Context, tenantID, userID, code string) ([]string, error) {
	if _, err := s.getUser(ctx, tenantID, userID); err != nil {
		return nil, err
	}
	st, err := s.store.GetTOTP(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	if st.Confirmed {
		return nil, errTOTPEnabled()
	}
	if err := s.checkAttempts(ctx, tenantID, userID, AttemptTOTP); err != nil {
		return nil, err
	}
	step, ok, err := s.matchTOTP(st, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		if err := s.fail(ctx, tenantID, userID, AttemptTOTP); err != nil {
			return nil, err
		}
		return nil, errTOTPInvalid("wrong code at confirmation")
	}
	codes, hashes := s.newRecoveryCodes(tenantID, userID)
	done, err := s.store.ConfirmTOTP(ctx, tenantID, userID, step, s.now.Now(), hashes)
	if err != nil {
		return nil, err
	}
	if !done {
		return nil, errTOTPInvalid("confirmation lost to a concurrent one, or the code was replayed")
	}
	if err := s.store.ResetAttempts(ctx, tenantID, userID, AttemptTOTP); err != nil {
		return nil, err
	}
	return codes, nil
}

func errTOTPEnabled() error {
	return core.Errorf(core.TOTPAlreadyEnabled, "TOTP is enabled already; disable it before enrolling again")
}

// DisableTOTP turns the user's TOTP off and deletes its recovery codes, for
// an administrator helping a user who lost the device (or the user, after
// an authenticated check the caller makes).
// Errors: core.NotFound when the user has no TOTP enrolment.
func (s *Service) DisableTOTP(ctx context.Context, tenantID, userID string) error {
	return s.store.DeleteTOTP(ctx, tenantID, userID)
}

// matchTOTP returns the time step whose code equals code, among the steps
// within the skew of now, and whether there is one.
func (s *Service) matchTOTP(st TOTP, code string) (int64, bool, error) {
	code = strings.TrimSpace(code)
	if len(code) != totpDigits.Length() || strings.ContainsFunc(code, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false, nil
	}
	secret, err := s.secrets.open(purposeTOTPSecret, totpAAD(st.TenantID, st.UserID), st.Secret)
	if err != nil {
		return 0, false, core.Wrap(err, "open a TOTP secret")
	}
	now := s.now.Now()
	step := now.Unix() / totpPeriod
	found, match := int64(0), 0
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix((step+d)*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			return 0, false, core.Wrap(err, "compute a TOTP code")
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found, match = step+d, 1
		}
	}
	return found, match == 1, nil
}

// recoveryEncoding writes recovery codes: lowercase base32 without padding.
var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRecoveryCodes returns RecoveryCodeCount new codes ("xxxxx-xxxxx-xxxxx-xxxxx",
// 100 bits each) and their keyed hashes.
func (s *Service) newRecoveryCodes(tenantID, userID string) (codes, hashes []string) {
	for range RecoveryCodeCount {
		b := make([]byte, 13) // 104 random bits; the 20 characters keep 100
		_, _ = rand.Read(b)
		raw := recoveryEncoding.EncodeToString(b)[:20]
		code := raw[0:5] + "-" + raw[5:10] + "-" + raw[10:15] + "-" + raw[15:20]
		codes = append(codes, code)
		hashes = append(hashes, s.secrets.mac(s.secrets.current, purposeRecovery, tenantID, userID, raw))
	}
	return codes, hashes
}

// normalizeRecovery returns a typed recovery code without dashes, spaces
// and case, or "" when it cannot be one.
func normalizeRecovery(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '-' || r == ' ':
		case r >= 'a' && r <= 'z' || r >= '2' && r <= '7':
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != 20 {
		return ""
	}
	return b.String()
}

// secondFactor checks the TOTP or recovery code of a login by u, whose TOTP
// is confirmed. Errors: core.TOTPRequired when code is empty;
// core.TOTPInvalid; core.RateLimited; core.Internal.
func (s *Service) secondFactor(ctx context.Context, u User, st TOTP, code string) error {
	if strings.TrimSpace(code) == "" {
		return core.Errorf(core.TOTPRequired, "a TOTP code (or a recovery code) is required")
	}
	if err := s.checkAttempts(ctx, u.TenantID, u.ID, AttemptTOTP); err != nil {
		return err
	}
	ok, err := s.useSecondFactor(ctx, u, st, code)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.fail(ctx, u.TenantID, u.ID, AttemptTOTP); err != nil {
			return err
		}
		return errTOTPInvalid("wrong, used or replayed code at login")
	}
	return s.store.ResetAttempts(ctx, u.TenantID, u.ID, AttemptTOTP)
}

func (s *Service) useSecondFactor(ctx context.Context, u User, st TOTP, code string) (bool, error) {
	step, ok, err := s.matchTOTP(st, code)
	if err != nil {
		return false, err
	}
	if ok {
		return s.store.UseTOTPStep(ctx, u.TenantID, u.ID, step)
	}
	raw := normalizeRecovery(code)
	if raw == "" {
		return false, nil
	}
	for _, id := range s.secrets.order {
		used, err := s.store.UseRecoveryCode(ctx, u.TenantID, u.ID, s.secrets.mac(id, purposeRecovery, u.TenantID, u.ID, raw))
		if err != nil || used {
			if used {
				s.log.InfoContext(ctx, "identity: a recovery code was used", "tenant", u.TenantID, "user", u.ID)
			}
			return used, err
		}
	}
	return false, nil
}
