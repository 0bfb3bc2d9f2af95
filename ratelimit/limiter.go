package ratelimit

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/atomixplatform/atomix/core"
)

// DefaultMaxEntries is how many keys a Limiter keeps in memory by default.
const DefaultMaxEntries = 10_000

// Limiter answers whether a request may go ahead, spending tokens it
// leases from a shared Store (see the package doc). It is safe for
// concurrent use.
type Limiter struct {
	store      Store
	clock      core.Clock
	maxEntries int
	sweepEvery time.Duration
	onSweep    func(n int, err error)

	mu        sync.Mutex
	entries   map[string]*list.Element // of *entry
	lru       *list.List               // most recently used first
	lastSweep time.Time
	sweeping  bool
}

// entry is a key's local state: its unspent lease and cached refusal.
type entry struct {
	key string

	mu sync.Mutex
	// fetching is closed when the lease on its way arrives; nil when
	// none is: one store call at a time per key.
	fetching chan struct{}
	// tokens leased and not spent, usable until leaseEnd.
	tokens   int
	leaseEnd time.Time
	// the store's answer when the lease was taken, at leasedAt.
	remaining int
	reset     time.Duration
	leasedAt  time.Time
	// refusedUntil: the bucket holds no token before then.
	refusedUntil time.Time
}

// LimiterOption configures NewLimiter.
type LimiterOption func(*Limiter)

// WithClock sets the limiter's clock (default the system clock).
func WithClock(c core.Clock) LimiterOption { return func(l *Limiter) { l.clock = c } }

// WithMaxEntries bounds the keys kept in memory (default
// DefaultMaxEntries); the least recently used goes first.
func WithMaxEntries(n int) LimiterOption {
	return func(l *Limiter) {
		if n > 0 {
			l.maxEntries = n
		}
	}
}

// WithSweep makes the limiter delete the store's full buckets
// (Store.DeleteRateBuckets) at most once every every, in a goroutine of
// its own started by the first Allow after that time; report, when not
// nil, receives each sweep's count and error. every <= 0 turns sweeping
// off. The default sweeps every 10 minutes and reports nothing.
func WithSweep(every time.Duration, report func(n int, err error)) LimiterOption {
	return func(l *Limiter) { l.sweepEvery, l.onSweep = every, report }
}

// NewLimiter returns a limiter over s.
func NewLimiter(s Store, opts ...LimiterOption) *Limiter {
	l := &Limiter{
		store:      s,
		maxEntries: DefaultMaxEntries,
		sweepEvery: 10 * time.Minute,
		entries:    make(map[string]*list.Element),
		lru:        list.New(),
	}
	for _, o := range opts {
		o(l)
	}
	l.lastSweep = l.clock.Now()
	return l
}

// Allow takes one token for key under p: from the key's local lease when
// it has one, else by leasing up to p.LeaseSize() tokens from the store.
// When a lease of 4 tokens or more is half spent, the next one is taken
// in the background, so that requests seldom wait for the store. The
// decision's Remaining and Reset are the shared bucket's as of the last
// store call, plus the unspent local tokens; a refused decision has Taken
// 0 and RetryAfter set. Keys of different policies never meet: the
// bucket's key in the store is p.Name + ":" + key.
// Errors: core.Invalid when p is not valid; those of the store
// (core.Internal; ctx.Err()). The caller decides whether a store error
// admits the request.
func (l *Limiter) Allow(ctx context.Context, p Policy, key string) (Decision, error) {
	now := l.clock.Now()
	e := l.entry(p.Name+":"+key, now)
	e.mu.Lock()
	for {
		if e.tokens > 0 && now.Before(e.leaseEnd) {
			e.tokens--
			d := e.local(now)
			if lease := p.LeaseSize(); lease >= 4 && e.tokens <= lease/2 && e.fetching == nil && !now.Before(e.refusedUntil) {
				e.fetching = make(chan struct{})
				go l.prefetch(e, p, now)
			}
			e.mu.Unlock()
			return d, nil
		}
		if now.Before(e.refusedUntil) {
			d := Decision{Reset: max(0, e.reset-now.Sub(e.leasedAt)), RetryAfter: e.refusedUntil.Sub(now)}
			e.mu.Unlock()
			return d, nil
		}
		if e.fetching == nil {
			break
		}
		// A lease is on its way: wait for it, then look again.
		ch := e.fetching
		e.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Decision{}, ctx.Err()
		}
		e.mu.Lock()
	}
	e.tokens = 0
	e.fetching = make(chan struct{})
	e.mu.Unlock()
	d, err := l.store.TakeRateTokens(ctx, e.key, p, p.LeaseSize(), now)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lease(d, err, p, now)
	if err != nil {
		return Decision{}, err
	}
	if !d.Allowed() {
		return d, nil
	}
	e.tokens--
	return e.local(now), nil
}

// prefetch takes the key's next lease in the background.
func (l *Limiter) prefetch(e *entry, p Policy, now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), prefetchTimeout)
	defer cancel()
	d, err := l.store.TakeRateTokens(ctx, e.key, p, p.LeaseSize(), now)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lease(d, err, p, now)
}

// prefetchTimeout bounds a background lease.
const prefetchTimeout = 10 * time.Second

// lease records a store answer taken at now and wakes the requests
// waiting for it; e.mu is held. Granted tokens join the unspent ones, all
// usable until the new lease ends.
func (e *entry) lease(d Decision, err error, p Policy, now time.Time) {
	close(e.fetching)
	e.fetching = nil
	if err != nil {
		return
	}
	e.remaining, e.reset, e.leasedAt = d.Remaining, d.Reset, now
	if !d.Allowed() {
		e.refusedUntil = now.Add(d.RetryAfter)
		return
	}
	if !now.Before(e.leaseEnd) {
		e.tokens = 0 // the old lease ended while this one was on its way
	}
	e.tokens += d.Taken
	e.leaseEnd = now.Add(max(LeaseTTLMin, time.Duration(d.Taken)*p.Interval()))
}

// local is the decision of a token spent from the lease.
func (e *entry) local(now time.Time) Decision {
	return Decision{Taken: 1, Remaining: e.remaining + e.tokens, Reset: max(0, e.reset-now.Sub(e.leasedAt))}
}

// entry returns the key's entry, made or moved to the front, and starts a
// sweep when one is due.
func (l *Limiter) entry(key string, now time.Time) *entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sweepEvery > 0 && !l.sweeping && now.Sub(l.lastSweep) >= l.sweepEvery {
		l.sweeping, l.lastSweep = true, now
		go l.sweep(now)
	}
	if el, ok := l.entries[key]; ok {
		l.lru.MoveToFront(el)
		return el.Value.(*entry)
	}
	e := &entry{key: key}
	l.entries[key] = l.lru.PushFront(e)
	for l.lru.Len() > l.maxEntries {
		old := l.lru.Back()
		l.lru.Remove(old)
		delete(l.entries, old.Value.(*entry).key)
	}
	return e
}

// sweep deletes the store's full buckets.
func (l *Limiter) sweep(now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := l.store.DeleteRateBuckets(ctx, now)
	if l.onSweep != nil {
		l.onSweep(n, err)
	}
	l.mu.Lock()
	l.sweeping = false
	l.mu.Unlock()
}

// Len returns how many keys the limiter keeps in memory.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}
