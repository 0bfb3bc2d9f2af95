package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/cpugate"
	"golang.org/x/sync/semaphore"
	"golang.org/x/text/unicode/norm"
)

// Argon2Params are the cost parameters of an argon2id hash.
type Argon2Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32 // bytes
	KeyLength   uint32 // bytes
}

// The default argon2id parameters: OWASP's first recommendation (19 MiB,
// 2 iterations, 1 lane), with a 16-byte salt and a 32-byte key.
const (
	DefaultArgon2Memory      = 19 * 1024
	DefaultArgon2Iterations  = 2
	DefaultArgon2Parallelism = 1
	DefaultArgon2SaltLength  = 16
	DefaultArgon2KeyLength   = 32
)

// The default upper bounds of a stored hash's parameters. A hash read back
// from the store that asks for more is refused before any work is done, so
// that a forged or corrupt row cannot ask for gigabytes.
const (
	MaxArgon2Memory      = 256 * 1024
	MaxArgon2Iterations  = 10
	MaxArgon2Parallelism = 16
	MaxArgon2SaltLength  = 64
	MaxArgon2KeyLength   = 64
)

// Limits of the hashing pool and of passwords.
const (
	// DefaultHashMemoryBudget bounds the memory that hashes running at
	// once may use, in bytes.
	DefaultHashMemoryBudget = 128 << 20
	// DefaultHashMaxWait bounds how long a caller waits for its turn
	// when its context has no earlier deadline.
	DefaultHashMaxWait = 10 * time.Second
	// MinPasswordLen is the least number of characters (runes) of a
	// password, after NFKC normalization, as NIST SP 800-63B asks.
	MinPasswordLen = 8
	// MaxPasswordBytes bounds a password's UTF-8 bytes, which bounds the
	// work of hashing it; well past the 64 characters NIST asks to allow.
	MaxPasswordBytes = 1024
)

// PasswordConfig configures password hashing.
type PasswordConfig struct {
	// Params hashes new passwords; zero fields take the defaults above.
	// A login whose stored hash was made with other parameters re-hashes
	// the password with these.
	Params Argon2Params
	// Max bounds the parameters of a stored hash; zero fields take the
	// Max constants above.
	Max Argon2Params
	// MemoryBudget bounds, in bytes, the memory of the hashes that run at
	// once (DefaultHashMemoryBudget when 0). Callers beyond it wait.
	MemoryBudget int64
	// MaxConcurrent bounds the number of hashes that run at once; 0 means
	// GOMAXPROCS, as more than one hash per core adds latency, not
	// throughput. The pool is the smaller of this and MemoryBudget.
	MaxConcurrent int
	// MaxWait bounds the wait for a turn (DefaultHashMaxWait when 0); the
	// caller's context may end it sooner. A caller that does not get a
	// turn gets core.RateLimited.
	MaxWait time.Duration
	// Gate, when set, is the CPU gate the hashes share with the process's
	// other CPU-heavy work: a hash runs only when it has a turn in the
	// pool and a slot in the gate, both within MaxWait. atomix.New gives
	// its platform's gate; nil leaves the pool alone to bound hashing.
	Gate *cpugate.Gate
}

func (c PasswordConfig) normalize() (PasswordConfig, error) {
	p := &c.Params
	p.Memory = or(p.Memory, DefaultArgon2Memory)
	p.Iterations = or(p.Iterations, DefaultArgon2Iterations)
	p.Parallelism = or(p.Parallelism, DefaultArgon2Parallelism)
	p.SaltLength = or(p.SaltLength, DefaultArgon2SaltLength)
	p.KeyLength = or(p.KeyLength, DefaultArgon2KeyLength)
	m := &c.Max
	m.Memory = or(m.Memory, MaxArgon2Memory)
	m.Iterations = or(m.Iterations, MaxArgon2Iterations)
	m.Parallelism = or(m.Parallelism, MaxArgon2Parallelism)
	m.SaltLength = or(m.SaltLength, MaxArgon2SaltLength)
	m.KeyLength = or(m.KeyLength, MaxArgon2KeyLength)
	if c.MemoryBudget <= 0 {
		c.MemoryBudget = DefaultHashMemoryBudget
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = runtime.GOMAXPROCS(0)
	}
	if c.MaxWait <= 0 {
		c.MaxWait = DefaultHashMaxWait
	}
	if msg := checkParams(c.Params, c.Max); msg != "" {
		return c, fmt.Errorf("identity: the password parameters %s", msg)
	}
	return c, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// checkParams returns why p is not acceptable under bound, or "".
func checkParams(p, bound Argon2Params) string {
	switch {
	case p.Iterations < 1 || p.Parallelism < 1:
		return "need at least one iteration and one lane"
	case p.Memory < 8*uint32(p.Parallelism):
		return "need at least 8 KiB of memory per lane"
	case p.SaltLength < 8 || p.KeyLength < 16:
		return "need a salt of at least 8 bytes and a key of at least 16"
	case p.Memory > bound.Memory, p.Iterations > bound.Iterations, p.Parallelism > bound.Parallelism,
		p.SaltLength > bound.SaltLength, p.KeyLength > bound.KeyLength:
		return fmt.Sprintf("pass the bounds (m=%d KiB, t=%d, p=%d, salt %d, key %d)", bound.Memory, bound.Iterations, bound.Parallelism, bound.SaltLength, bound.KeyLength)
	}
	return ""
}

// PasswordHash is a password hashed by Service.HashPassword, to be given to
// CreateUserInput so that the slow hashing happens before a transaction
// rather than inside it. Only HashPassword makes one.
type PasswordHash struct{ encoded string }

// IsZero reports whether h holds no hash.
func (h PasswordHash) IsZero() bool { return h.encoded == "" }

// HashStats describes the password hashing pool.
type HashStats struct {
	// Hashes counts the argon2id computations so far: new hashes,
	// verifications, and the dummy verifications that make a login for an
	// unknown user cost the same as one for a known user.
	Hashes uint64
	// Running and Waiting are the hashes running now and the callers
	// waiting for a turn.
	Running int64
	Waiting int64
	// Capacity is the pool's size in KiB of argon2id memory.
	Capacity int64
}

// hasher computes argon2id hashes within a bounded pool.
type hasher struct {
	params   Argon2Params
	max      Argon2Params
	sem      *semaphore.Weighted
	capacity int64 // KiB
	maxWait  time.Duration
	gate     *cpugate.Gate

	dummyOnce sync.Once
	dummy     string
	dummyErr  error

	hashes  atomic.Uint64
	running atomic.Int64
	waiting atomic.Int64
}

func newHasher(c PasswordConfig) *hasher {
	capacity := min(c.MemoryBudget/1024, int64(c.MaxConcurrent)*int64(c.Params.Memory))
	capacity = max(capacity, int64(c.Params.Memory)) // at least one hash at a time
	return &hasher{
		params:   c.Params,
		max:      c.Max,
		sem:      semaphore.NewWeighted(capacity),
		capacity: capacity,
		maxWait:  c.MaxWait,
		gate:     c.Gate,
	}
}

func (h *hasher) stats() HashStats {
	return HashStats{Hashes: h.hashes.Load(), Running: h.running.Load(), Waiting: h.waiting.Load(), Capacity: h.capacity}
}

// errBusy is returned when no turn came in time.
func errBusy(cause error) error {
	return &core.Error{
		Code:    core.RateLimited,
		Message: "too many password checks are running; try again shortly",
		Err:     &retryAfter{after: time.Second, cause: cause},
	}
}

// run runs fn, which uses memKiB of memory, when the pool has room for it
// and the CPU gate a slot. It waits at most maxWait and within ctx.
// Errors: core.RateLimited.
func (h *hasher) run(ctx context.Context, memKiB uint32, fn func()) error {
	w := min(int64(memKiB), h.capacity)
	wctx, cancel := context.WithTimeout(ctx, h.maxWait)
	defer cancel()
	h.waiting.Add(1)
	err := h.sem.Acquire(wctx, w)
	if err == nil {
		if err = h.gate.Acquire(wctx); err != nil {
			h.sem.Release(w)
		}
	}
	h.waiting.Add(-1)
	if err != nil {
		return errBusy(err)
	}
	defer h.sem.Release(w)
	defer h.gate.Release()
	h.running.Add(1)
	defer h.running.Add(-1)
	h.hashes.Add(1)
	fn()
	return nil
}

func (h *hasher) lib(p Argon2Params) *argon2id.Params {
	return &argon2id.Params{Memory: p.Memory, Iterations: p.Iterations, Parallelism: p.Parallelism, SaltLength: p.SaltLength, KeyLength: p.KeyLength}
}

// hash returns the PHC-form hash of pw. Errors: core.RateLimited;
// core.Internal.
func (h *hasher) hash(ctx context.Context, pw string) (string, error) {
	var out string
	var herr error
	if err := h.run(ctx, h.params.Memory, func() {
		out, herr = argon2id.CreateHash(normalizePassword(pw), h.lib(h.params))
	}); err != nil {
		return "", err
	}
	if herr != nil {
		return "", core.Wrap(herr, "hash a password")
	}
	return out, nil
}

// verify checks pw against the stored hash encoded. stale says the hash was
// made with other parameters than the configured ones. A hash that does not
// parse, or whose parameters pass the bounds, is refused before any work.
// Errors: core.RateLimited; core.Internal for a bad stored hash.
func (h *hasher) verify(ctx context.Context, pw, encoded string) (match, stale bool, err error) {
	p, _, key, err := argon2id.DecodeHash(encoded)
	if err != nil {
		return false, false, core.Wrap(err, "read a stored password hash")
	}
	params := Argon2Params{Memory: p.Memory, Iterations: p.Iterations, Parallelism: p.Parallelism, SaltLength: p.SaltLength, KeyLength: uint32(len(key))}
	if msg := checkParams(params, h.max); msg != "" {
		return false, false, core.Wrap(fmt.Errorf("identity: a stored password hash has parameters that %s", msg), "read a stored password hash")
	}
	var herr error
	if err := h.run(ctx, params.Memory, func() {
		match, _, herr = argon2id.CheckHash(normalizePassword(pw), encoded)
	}); err != nil {
		return false, false, err
	}
	if herr != nil {
		return false, false, core.Wrap(herr, "check a password")
	}
	return match, params != h.params, nil
}

// burn verifies pw against a dummy hash made with the configured parameters,
// so that a login for an unknown user, a user without a password or a
// disabled user costs what a real check costs. Errors: core.RateLimited;
// core.Internal.
func (h *hasher) burn(ctx context.Context, pw string) error {
	h.dummyOnce.Do(func() {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		h.dummy, h.dummyErr = argon2id.CreateHash(base64.RawURLEncoding.EncodeToString(b), h.lib(h.params))
	})
	if h.dummyErr != nil {
		return core.Wrap(h.dummyErr, "make the dummy password hash")
	}
	_, _, err := h.verify(ctx, pw, h.dummy)
	return err
}

// normalizePassword returns pw in Unicode NFKC, so that the same password
// typed on different keyboards hashes the same (NIST SP 800-63B 5.1.1.2).
func normalizePassword(pw string) string { return norm.NFKC.String(pw) }

// commonPasswords are refused as too easy to guess; NIST SP 800-63B asks to
// compare against such a list. It is short on purpose: a deployment that
// wants a breach corpus checks it before calling the Service.
var commonPasswords = map[string]bool{
	"password": true, "password1": true, "password123": true, "passw0rd": true, "12345678": true,
	"123456789": true, "1234567890": true, "11111111": true, "00000000": true, "87654321": true,
	"qwertyui": true, "qwerty123": true, "qwertyuiop": true, "1q2w3e4r": true, "1qaz2wsx": true,
	"iloveyou": true, "sunshine": true, "football": true, "baseball": true, "welcome1": true,
	"admin123": true, "letmein1": true, "abcdefgh": true, "abcd1234": true, "princess": true,
	"superman": true, "trustno1": true, "changeme": true, "whatever": true, "zaq12wsx": true,
}

// ValidatePassword returns a message for a password that may not be set, or
// "": it must be valid UTF-8 of at most MaxPasswordBytes bytes and at least
// MinPasswordLen characters after NFKC normalization, not a very common
// password and not the user's email. There are no composition rules.
func ValidatePassword(pw, email string) string {
	switch {
	case !utf8.ValidString(pw):
		return "must be valid UTF-8"
	case len(pw) > MaxPasswordBytes:
		return fmt.Sprintf("must be at most %d bytes", MaxPasswordBytes)
	}
	n := normalizePassword(pw)
	switch lower := strings.ToLower(n); {
	case utf8.RuneCountInString(n) < MinPasswordLen:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLen)
	case commonPasswords[lower]:
		return "is too common; choose another"
	case email != "" && (lower == EmailKey(email) || lower == strings.ToLower(strings.TrimSpace(email[:max(0, strings.LastIndexByte(email, '@'))]))):
		return "must not be your email address"
	}
	return ""
}
