package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/atomixplatform/atomix/core"
)

// Phone OTP login (seed 000's K-001): SendOTP makes a challenge and texts
// its code; VerifyOTP spends the code and starts a session.
//
// What keeps it safe:
//   - the code (Length digits from crypto/rand) is stored only as an
//     HMAC-SHA256 over the challenge ID, phone, purpose and code, under a
//     key derived from the master secret, with the key's ID;
//   - every verify attempt is counted, in one conditional store update,
//     before the code is compared: of any number of concurrent guesses on
//     one challenge at most MaxAttempts are compared, and the last wrong
//     one kills the challenge;
//   - a correct code is spent with one conditional update, so that of two
//     concurrent correct verifies exactly one gets tokens;
//   - counters in the store, shared by every instance, bound the sends per
//     phone (a cooldown between two, and a daily budget), the verify
//     attempts per phone across all of its challenges, and the SMS of each
//     tenant per day; an optional allow-list of country calling codes
//     keeps out premium-rate destinations;
//   - an unknown phone gets a challenge, the same answer and the same
//     counting as a known one, but no SMS.

// Defaults of OTPConfig.
const (
	DefaultOTPLength           = 6
	DefaultOTPLifetime         = 2 * time.Minute
	DefaultOTPMaxAttempts      = 3
	DefaultOTPCooldown         = time.Minute
	DefaultOTPSendsPerPhone    = 10
	DefaultOTPVerifiesPerPhone = 10
	DefaultOTPSMSPerTenant     = 1000
	DefaultOTPBudgetWindow     = 24 * time.Hour
)

// Bounds of OTPConfig.Length and OTPConfig.Lifetime.
const (
	MinOTPLength   = 4
	MaxOTPLength   = 8
	MinOTPLifetime = time.Minute
	MaxOTPLifetime = 10 * time.Minute
)

// otpPurposeLogin is the purpose bound into the code's HMAC.
const otpPurposeLogin = "login"

// OTPConfig configures phone OTP login. Zero fields take the defaults.
type OTPConfig struct {
	// Sender delivers the codes. Without one, SendOTP answers
	// core.Internal: nobody could receive a code.
	Sender SMSSender
	// Length is the number of digits of a code (MinOTPLength to
	// MaxOTPLength).
	Length int
	// Lifetime is how long a code may be used (MinOTPLifetime to
	// MaxOTPLifetime).
	Lifetime time.Duration
	// MaxAttempts is how many codes one challenge takes; the last wrong
	// one kills it.
	MaxAttempts int
	// Cooldown is the least time between two sends to one phone.
	Cooldown time.Duration
	// SendsPerPhone and VerifiesPerPhone bound, per phone and per
	// BudgetWindow, the challenges made and the codes tried across all of
	// its challenges.
	SendsPerPhone    int
	VerifiesPerPhone int
	// SMSPerTenant bounds the SMS sent for one tenant (or, for phones of
	// users without a tenant, for the platform) per BudgetWindow.
	SMSPerTenant int
	BudgetWindow time.Duration
	// CountryCodes, when not empty, lists the country calling codes (such
	// as 90 or 44) whose numbers may get a code; others are refused.
	CountryCodes []int
	// Policy, when set, is read by every SendOTP and VerifyOTP, so that
	// settings changed at run time take effect at once: it can turn OTP
	// login off, and its Length and Lifetime (when within bounds) replace
	// the configured ones.
	Policy func(ctx context.Context) (OTPPolicy, error)
}

// OTPPolicy is what OTPConfig.Policy answers.
type OTPPolicy struct {
	Off      bool
	Length   int           // MinOTPLength..MaxOTPLength, else ignored
	Lifetime time.Duration // MinOTPLifetime..MaxOTPLifetime, else ignored
}

// otpConfig returns the configuration in force for one request.
// Errors: core.Forbidden when the policy turned OTP login off; those of
// the policy.
func (s *Service) otpConfig(ctx context.Context) (OTPConfig, error) {
	cfg := s.cfg.OTP
	if cfg.Policy == nil {
		return cfg, nil
	}
	p, err := cfg.Policy(ctx)
	if err != nil {
		return cfg, err
	}
	if p.Off {
		return cfg, core.Errorf(core.Forbidden, "sign-in with a phone code is turned off")
	}
	if p.Length >= MinOTPLength && p.Length <= MaxOTPLength {
		cfg.Length = p.Length
	}
	if p.Lifetime >= MinOTPLifetime && p.Lifetime <= MaxOTPLifetime {
		cfg.Lifetime = p.Lifetime
	}
	return cfg, nil
}

func (c OTPConfig) normalize() (OTPConfig, error) {
	if c.Length == 0 {
		c.Length = DefaultOTPLength
	}
	if c.Length < MinOTPLength || c.Length > MaxOTPLength {
		return c, fmt.Errorf("identity: OTPConfig.Length %d is outside %d..%d", c.Length, MinOTPLength, MaxOTPLength)
	}
	c.Lifetime = positive(c.Lifetime, DefaultOTPLifetime)
	if c.Lifetime < MinOTPLifetime || c.Lifetime > MaxOTPLifetime {
		return c, fmt.Errorf("identity: OTPConfig.Lifetime %s is outside %s..%s", c.Lifetime, MinOTPLifetime, MaxOTPLifetime)
	}
	c.MaxAttempts = positiveInt(c.MaxAttempts, DefaultOTPMaxAttempts)
	c.Cooldown = positive(c.Cooldown, DefaultOTPCooldown)
	c.SendsPerPhone = positiveInt(c.SendsPerPhone, DefaultOTPSendsPerPhone)
	c.VerifiesPerPhone = positiveInt(c.VerifiesPerPhone, DefaultOTPVerifiesPerPhone)
	c.SMSPerTenant = positiveInt(c.SMSPerTenant, DefaultOTPSMSPerTenant)
	c.BudgetWindow = positive(c.BudgetWindow, DefaultOTPBudgetWindow)
	for _, cc := range c.CountryCodes {
		if phonenumbers.GetRegionCodeForCountryCode(cc) == "ZZ" {
			return c, fmt.Errorf("identity: OTPConfig.CountryCodes: %d is not a country calling code", cc)
		}
	}
	return c, nil
}

func positiveInt(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// OTPChallenge is one code sent to a phone, as stored: its keyed hash,
// never the code. It belongs to no tenant's key space: its ID alone finds
// it.
type OTPChallenge struct {
	ID       string // "otp_..."
	TenantID string // the tenant asked for; "" for users without a tenant
	Phone    string // E.164
	// UserID is the user the phone belongs to; "" for an unknown phone,
	// whose challenge never succeeds.
	UserID  string
	Purpose string
	// CodeHash is the HMAC-SHA256 of the ID, phone, purpose and code
	// under the key KeyID, in unpadded base64url.
	CodeHash    string
	KeyID       string
	Attempts    int // codes tried so far
	MaxAttempts int
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      *time.Time
}

// OTPCounter is a fixed-window counter of the store.
type OTPCounter struct {
	Count int
	// WindowStart is when the window began: the first hit after the
	// previous window ended.
	WindowStart time.Time
}

// OTPStore is what phone OTP login needs from storage, beside Store.
// Implementations live in atomix/store/...; each must pass
// atomix/store/storetest.
type OTPStore interface {
	// CreateOTPChallenge stores a new challenge.
	// Errors: core.Conflict when the ID is taken.
	CreateOTPChallenge(ctx context.Context, c OTPChallenge) error

	// GetOTPChallenge returns the challenge with the ID.
	// Errors: core.NotFound.
	GetOTPChallenge(ctx context.Context, id string) (OTPChallenge, error)

	// SpendOTPAttempt counts one code tried on the challenge, with one
	// conditional update: only if it is unused, expires after at and has
	// taken fewer than MaxAttempts codes. It returns the attempts counted
	// and whether it counted this one, so that of concurrent calls at
	// most MaxAttempts minus Attempts return true.
	// Errors: core.NotFound.
	SpendOTPAttempt(ctx context.Context, id string, at time.Time) (int, bool, error)

	// UseOTPChallenge marks the challenge used at at, with one conditional
	// update, if it is unused and expires after at; it returns whether it
	// did, so that of concurrent calls exactly one returns true.
	// Errors: core.NotFound.
	UseOTPChallenge(ctx context.Context, id string, at time.Time) (bool, error)

	// DeleteOTPChallenges deletes the challenges that expired before
	// before, and returns how many it deleted.
	DeleteOTPChallenges(ctx context.Context, before time.Time) (int, error)

	// DeleteOTPCounters deletes the counters whose window started before
	// before, and returns how many it deleted.
	DeleteOTPCounters(ctx context.Context, before time.Time) (int, error)

	// HitOTPCounter adds one to the counter key, in one atomic step,
	// unless it holds limit hits in a window that has not ended at at. A
	// window lasts window from its first hit; the first hit after it
	// starts a new one at at. It returns the counter as it now is and
	// whether the hit was counted.
	HitOTPCounter(ctx context.Context, key string, limit int, window time.Duration, at time.Time) (OTPCounter, bool, error)

	// FindUsersByPhone returns the tenant's users whose Phone is phone
	// (E.164), ordered by CreatedAt then ID.
	FindUsersByPhone(ctx context.Context, tenantID, phone string) ([]User, error)
}

// SMS is one text message carrying a code.
type SMS struct {
	To       string // E.164
	Code     string
	TenantID string
	// RequestID is the challenge's ID.
	RequestID string
	ExpiresAt time.Time
}

// Text is the message body.
func (m SMS) Text() string {
	return "Your sign-in code is " + m.Code + ". It expires at " + m.ExpiresAt.UTC().Format("15:04") + " UTC. Do not share it."
}

// SMSSender delivers text messages. Send must be safe for concurrent use.
type SMSSender interface {
	Send(ctx context.Context, m SMS) error
}

// OTPSent answers SendOTP: seed 000's shape.
type OTPSent struct {
	RequestID         string `json:"requestId"`
	ExpiresIn         int    `json:"expiresIn"` // seconds
	AttemptsRemaining int    `json:"attemptsRemaining"`
	MaskedPhone       string `json:"maskedPhone"`
}

// SendOTPInput is the input of SendOTP.
type SendOTPInput struct {
	// Phone is the number to text, in international form ("+90...").
	Phone string
	// TenantID is the tenant whose user the phone belongs to; empty for
	// users without a tenant.
	TenantID string
}

// VerifyOTPInput is the input of VerifyOTP.
type VerifyOTPInput struct {
	RequestID string
	Code      string
}

// ParsePhone parses an international phone number ("+" and the country
// calling code first; spaces and the usual separators allowed) and
// returns it in E.164 form with its country calling code.
// Errors: core.Invalid naming "phone".
func ParsePhone(s string) (e164 string, countryCode int, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", 0, core.InvalidField("phone", "is required")
	}
	if len(s) > 32 || !strings.HasPrefix(s, "+") {
		return "", 0, core.InvalidField("phone", "must be an international number such as +905321234567")
	}
	n, perr := phonenumbers.Parse(s, "")
	if perr != nil || !phonenumbers.IsValidNumber(n) {
		return "", 0, core.InvalidField("phone", "is not a valid phone number")
	}
	return phonenumbers.Format(n, phonenumbers.E164), int(n.GetCountryCode()), nil
}

// MaskPhone returns the number in grouped international form with the
// digits of the groups between the first and the last hidden
// ("+90 532 *** ** 67"). A number of fewer than three groups keeps its
// first group and the last two digits. A number that does not parse is
// answered masked whole.
func MaskPhone(e164 string) string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return strings.Repeat("*", len(e164))
	}
	f := phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
	cc := "+" + strconv.Itoa(int(n.GetCountryCode()))
	national, ok := strings.CutPrefix(f, cc)
	if !ok {
		return strings.Repeat("*", len(e164))
	}
	// Digit runs of the national part.
	type run struct{ from, to int }
	var runs []run
	for i := 0; i < len(national); {
		if national[i] < '0' || national[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(national) && national[j] >= '0' && national[j] <= '9' {
			j++
		}
		runs = append(runs, run{i, j})
		i = j
	}
	b := []byte(national)
	if len(runs) >= 3 {
		for _, r := range runs[1 : len(runs)-1] {
			for k := r.from; k < r.to; k++ {
				b[k] = '*'
			}
		}
	} else {
		// Hide every digit but the first group (the first two digits of a
		// single group) and the last two, and at least one.
		var idx []int
		for _, r := range runs {
			for k := r.from; k < r.to; k++ {
				idx = append(idx, k)
			}
		}
		n, head, tail := len(idx), 2, 2
		if len(runs) > 1 {
			head = runs[0].to - runs[0].from
		}
		if head+tail >= n {
			head = max(0, n-tail-1)
			if head+tail >= n {
				tail = max(0, n-1-head)
			}
		}
		for _, k := range idx[head : n-tail] {
			b[k] = '*'
		}
	}
	return cc + string(b)
}

// otpStore returns the store as an OTPStore.
// Errors: core.Internal when the store keeps no OTP challenges.
func (s *Service) otpStore() (OTPStore, error) {
	st, ok := s.store.(OTPStore)
	if !ok {
		return nil, core.Errorf(core.Internal, "the store keeps no OTP challenges")
	}
	return st, nil
}

// errOTPLimit is the refusal of a request over one of the OTP limits.
func errOTPLimit(what string, wait time.Duration) error {
	return &core.Error{
		Code:    core.RateLimited,
		Message: fmt.Sprintf("%s; try again in %d seconds", what, int64((wait+time.Second-1)/time.Second)),
		Err:     &retryAfter{after: wait},
	}
}

// hit counts one hit on a counter and answers core.RateLimited, with the
// wait until the window ends, when it is full.
func (s *Service) hit(ctx context.Context, st OTPStore, key string, limit int, window time.Duration, what string) error {
	now := s.now.Now()
	c, ok, err := st.HitOTPCounter(ctx, key, limit, window, now)
	if err != nil {
		return err
	}
	if !ok {
		return errOTPLimit(what, max(time.Second, c.WindowStart.Add(window).Sub(now)))
	}
	return nil
}

// newOTPCode returns n random decimal digits.
func newOTPCode(n int) string {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, err := rand.Int(rand.Reader, limit)
	if err != nil {
		panic("identity: crypto/rand failed: " + err.Error()) // never on supported platforms (Go 1.24+)
	}
	return fmt.Sprintf("%0*s", n, v.String())
}

// otpHash is the keyed hash of a challenge's code.
func (s *Service) otpHash(keyID, id, phone, purpose, code string) string {
	return s.secrets.mac(keyID, purposeOTP, id, phone, purpose, code)
}

// SendOTP makes a challenge for the phone and texts its code to the
// tenant's user with that phone. An unknown phone (or a disabled user's)
// gets the same answer and the same counting, but no SMS. The SMS is sent
// in the background, so that the answer takes as long for both; a failed
// delivery is logged.
// Errors: core.Invalid naming "phone" (malformed, or its country not
// allowed) or "tenantId"; core.RateLimited during the cooldown or past a
// budget (RetryAfter says how long to wait); core.Forbidden when the
// policy turned OTP login off; core.Unavailable when no SMSSender is
// configured (the challenge is not made).
func (s *Service) SendOTP(ctx context.Context, in SendOTPInput) (OTPSent, error) {
	cfg, err := s.otpConfig(ctx)
	if err != nil {
		return OTPSent{}, err
	}
	phone, cc, err := ParsePhone(in.Phone)
	if err != nil {
		return OTPSent{}, err
	}
	if in.TenantID != "" && !core.ValidID(core.PrefixTenant, in.TenantID) {
		return OTPSent{}, core.InvalidField("tenantId", "is not a tenant ID")
	}
	// A tenant that turned phone codes off gets no SMS at all. An unknown
	// tenant is answered like a known one below, so existence stays hidden.
	if err := s.checkLoginMethod(ctx, in.TenantID, otpOff, msgOTPOff); err != nil && core.ErrorCode(err) != core.NotFound {
		return OTPSent{}, err
	}
	if len(cfg.CountryCodes) > 0 && !containsInt(cfg.CountryCodes, cc) {
		return OTPSent{}, core.InvalidField("phone", "numbers of country code +%d cannot receive codes here", cc)
	}
	if cfg.Sender == nil {
		return OTPSent{}, core.Errorf(core.Unavailable, "phone codes cannot be sent: no SMS sender is configured")
	}
	st, err := s.otpStore()
	if err != nil {
		return OTPSent{}, err
	}
	if err := s.hit(ctx, st, "cooldown:"+phone, 1, cfg.Cooldown, "a code was sent to this phone moments ago"); err != nil {
		return OTPSent{}, err
	}
	if err := s.hit(ctx, st, "send:"+phone, cfg.SendsPerPhone, cfg.BudgetWindow, "too many codes were sent to this phone"); err != nil {
		return OTPSent{}, err
	}
	if err := s.hit(ctx, st, "sms:"+in.TenantID, cfg.SMSPerTenant, cfg.BudgetWindow, "the SMS budget is spent"); err != nil {
		return OTPSent{}, err
	}
	users, err := st.FindUsersByPhone(ctx, in.TenantID, phone)
	if err != nil {
		return OTPSent{}, err
	}
	var user User
	for _, u := range users {
		if u.Status == StatusActive {
			user = u
			break
		}
	}
	now := s.now.Now()
	code := newOTPCode(cfg.Length)
	c := OTPChallenge{
		ID:          core.NewID(core.PrefixOTP),
		TenantID:    in.TenantID,
		Phone:       phone,
		UserID:      user.ID,
		Purpose:     otpPurposeLogin,
		KeyID:       s.secrets.current,
		MaxAttempts: cfg.MaxAttempts,
		CreatedAt:   now,
		ExpiresAt:   now.Add(cfg.Lifetime),
	}
	c.CodeHash = s.otpHash(c.KeyID, c.ID, c.Phone, c.Purpose, code)
	if err := st.CreateOTPChallenge(ctx, c); err != nil {
		return OTPSent{}, err
	}
	if user.ID != "" {
		m := SMS{To: phone, Code: code, TenantID: in.TenantID, RequestID: c.ID, ExpiresAt: c.ExpiresAt}
		go s.deliver(context.WithoutCancel(ctx), m)
	}
	return OTPSent{
		RequestID:         c.ID,
		ExpiresIn:         int(cfg.Lifetime / time.Second),
		AttemptsRemaining: c.MaxAttempts,
		MaskedPhone:       MaskPhone(phone),
	}, nil
}

// otpSendTimeout bounds one background delivery.
const otpSendTimeout = 30 * time.Second

func (s *Service) deliver(ctx context.Context, m SMS) {
	ctx, cancel := context.WithTimeout(ctx, otpSendTimeout)
	defer cancel()
	if err := s.cfg.OTP.Sender.Send(ctx, m); err != nil {
		s.log.ErrorContext(ctx, "identity: sending an OTP failed", "request", m.RequestID, "tenant", m.TenantID, "err", err)
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func errOTP(code core.Code, msg string) error { return core.Errorf(code, "%s", msg) }

// otpState answers why a challenge takes no more codes; nil when it does.
func otpState(c OTPChallenge, now time.Time) error {
	switch {
	case c.UsedAt != nil:
		return errOTP(core.OTPUsed, "this code was used already; ask for a new one")
	case !now.Before(c.ExpiresAt):
		return errOTP(core.OTPExpired, "this code expired; ask for a new one")
	case c.Attempts >= c.MaxAttempts:
		return errOTP(core.OTPAttemptsExceeded, "too many wrong codes; ask for a new one")
	}
	return nil
}

// validOTPCode reports whether code is n decimal digits.
func validOTPCode(code string, n int) bool {
	if len(code) != n {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// VerifyOTP spends a code and starts a session for the user the phone
// belongs to: the token response of Login. Each call is counted against
// the challenge (MaxAttempts) and the phone (VerifiesPerPhone) before the
// code is compared, in constant time.
// Errors: core.OTPInvalid when the request is unknown or the code is wrong;
// core.OTPAttemptsExceeded when the challenge took its last code (the
// last wrong one included); core.OTPExpired; core.OTPUsed;
// core.RateLimited past the phone's budget; core.Forbidden when the policy
// turned OTP login off; core.Internal.
func (s *Service) VerifyOTP(ctx context.Context, in VerifyOTPInput) (TokenResponse, error) {
	cfg, err := s.otpConfig(ctx)
	if err != nil {
		return TokenResponse{}, err
	}
	if !core.ValidID(core.PrefixOTP, in.RequestID) {
		return TokenResponse{}, errOTP(core.OTPInvalid, "the code is wrong or the request is unknown")
	}
	st, err := s.otpStore()
	if err != nil {
		return TokenResponse{}, err
	}
	c, err := st.GetOTPChallenge(ctx, in.RequestID)
	if core.ErrorCode(err) == core.NotFound {
		return TokenResponse{}, errOTP(core.OTPInvalid, "the code is wrong or the request is unknown")
	}
	if err != nil {
		return TokenResponse{}, err
	}
	if err := otpState(c, s.now.Now()); err != nil {
		return TokenResponse{}, err
	}
	if err := s.hit(ctx, st, "verify:"+c.Phone, cfg.VerifiesPerPhone, cfg.BudgetWindow, "too many codes were tried for this phone"); err != nil {
		return TokenResponse{}, err
	}
	n, counted, err := st.SpendOTPAttempt(ctx, c.ID, s.now.Now())
	if err != nil {
		return TokenResponse{}, err
	}
	if !counted {
		// A concurrent call took the last attempt or the code.
		if c, err = st.GetOTPChallenge(ctx, in.RequestID); err != nil {
			return TokenResponse{}, err
		}
		if err := otpState(c, s.now.Now()); err != nil {
			return TokenResponse{}, err
		}
		return TokenResponse{}, errOTP(core.OTPAttemptsExceeded, "too many wrong codes; ask for a new one")
	}
	ok := false
	if _, known := s.secrets.keys[c.KeyID]; known && validOTPCode(in.Code, len(in.Code)) && len(in.Code) <= MaxOTPLength {
		ok = hmac.Equal([]byte(s.otpHash(c.KeyID, c.ID, c.Phone, c.Purpose, in.Code)), []byte(c.CodeHash))
	}
	if !ok || c.UserID == "" {
		if n >= c.MaxAttempts {
			return TokenResponse{}, errOTP(core.OTPAttemptsExceeded, "too many wrong codes; ask for a new one")
		}
		left := c.MaxAttempts - n
		return TokenResponse{}, core.Errorf(core.OTPInvalid, "the code is wrong; %d attempts remaining", left)
	}
	used, err := st.UseOTPChallenge(ctx, c.ID, s.now.Now())
	if err != nil {
		return TokenResponse{}, err
	}
	if !used {
		return TokenResponse{}, errOTP(core.OTPUsed, "this code was used already; ask for a new one")
	}
	u, err := s.store.GetUser(ctx, c.TenantID, c.UserID)
	if core.ErrorCode(err) == core.NotFound || (err == nil && u.Status != StatusActive) {
		return TokenResponse{}, errOTP(core.OTPInvalid, "the code is wrong or the request is unknown")
	}
	if err != nil {
		return TokenResponse{}, err
	}
	if err := s.checkLoginMethod(ctx, u.TenantID, otpOff, msgOTPOff); err != nil {
		return TokenResponse{}, err
	}
	return s.signIn(ctx, u)
}

// DeleteExpiredOTP deletes the challenges that expired more than
// BudgetWindow ago (their requestId then answers otp_invalid instead of
// otp_expired) and the cooldown and budget counters whose window ended
// (a window lasts Cooldown or BudgetWindow, whichever the counter
// counts), and returns how many of each it deleted. Without it both
// tables only grow: run it now and then (the example server does every
// ten minutes).
// Errors: core.Internal.
func (s *Service) DeleteExpiredOTP(ctx context.Context) (challenges, counters int, err error) {
	st, err := s.otpStore()
	if err != nil {
		return 0, 0, err
	}
	now := s.now.Now()
	if challenges, err = st.DeleteOTPChallenges(ctx, now.Add(-s.cfg.OTP.BudgetWindow)); err != nil {
		return 0, 0, err
	}
	counters, err = st.DeleteOTPCounters(ctx, now.Add(-max(s.cfg.OTP.BudgetWindow, s.cfg.OTP.Cooldown)))
	return challenges, counters, err
}
