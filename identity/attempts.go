package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atomixplatform/atomix/core"
)

// Defaults of AttemptPolicy.
const (
	DefaultFreeAttempts    = 5
	DefaultMaxAttemptDelay = 15 * time.Minute
)

// AttemptPolicy is the progressive delay after failed attempts: after Free
// failures in a row, the next attempt must wait until the last failure plus
// min(2^(failures-Free) seconds, MaxDelay); one that comes sooner is refused
// with core.RateLimited and not counted. A success resets the count.
type AttemptPolicy struct {
	Free     int           // DefaultFreeAttempts when 0
	MaxDelay time.Duration // DefaultMaxAttemptDelay when 0
}

func (p AttemptPolicy) normalize() AttemptPolicy {
	if p.Free <= 0 {
		p.Free = DefaultFreeAttempts
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxAttemptDelay
	}
	return p
}

// Delay returns how long after the last of n failures the next attempt
// must wait.
func (p AttemptPolicy) Delay(n int) time.Duration {
	p = p.normalize()
	if n < p.Free {
		return 0
	}
	shift := n - p.Free
	if shift >= 40 { // far past any MaxDelay; keeps the shift from overflowing
		return p.MaxDelay
	}
	return min(time.Second<<shift, p.MaxDelay)
}

// retryAfter is the cause of a core.RateLimited error: how long the caller
// should wait. RetryAfter reads it.
type retryAfter struct {
	after time.Duration
	cause error
}

func (r *retryAfter) Error() string {
	if r.cause != nil {
		return fmt.Sprintf("retry after %s: %v", r.after, r.cause)
	}
	return "retry after " + r.after.String()
}

func (r *retryAfter) Unwrap() error { return r.cause }

// RetryAfter returns how long the caller should wait before trying again,
// for a core.RateLimited error of this package (for the HTTP Retry-After
// header), rounded up to whole seconds and at least one; ok is false for any
// other error.
func RetryAfter(err error) (d time.Duration, ok bool) {
	var r *retryAfter
	if core.ErrorCode(err) != core.RateLimited || !errors.As(err, &r) {
		return 0, false
	}
	return max(time.Second, (r.after+time.Second-1)/time.Second*time.Second), true
}

// errTooSoon is the refusal of an attempt that comes before its delay ended.
func errTooSoon(wait time.Duration) error {
	return &core.Error{
		Code:    core.RateLimited,
		Message: fmt.Sprintf("too many failed attempts; try again in %d seconds", int64((wait+time.Second-1)/time.Second)),
		Err:     &retryAfter{after: wait},
	}
}

// checkAttempts refuses an attempt of the subject and kind that comes before
// the delay of its failures ended. Errors: core.RateLimited; the store's.
func (s *Service) checkAttempts(ctx context.Context, tenantID, subject string, kind AttemptKind) error {
	a, err := s.store.GetAttempts(ctx, tenantID, subject, kind)
	if err != nil {
		return err
	}
	if d := s.cfg.Attempts.Delay(a.Count); d > 0 {
		if wait := a.LastFailure.Add(d).Sub(s.now.Now()); wait > 0 {
			return errTooSoon(wait)
		}
	}
	return nil
}

// fail records a failure; when it starts or lengthens a delay the event is
// logged.
func (s *Service) fail(ctx context.Context, tenantID, subject string, kind AttemptKind) error {
	a, err := s.store.RecordFailedAttempt(ctx, tenantID, subject, kind, s.now.Now())
	if err != nil {
		return err
	}
	if d := s.cfg.Attempts.Delay(a.Count); d > 0 {
		s.log.WarnContext(ctx, "identity: failed attempts delay the next one",
			"tenant", tenantID, "subject", subject, "kind", string(kind), "failures", a.Count, "delay", d)
	}
	return nil
}
