package identity

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"github.com/atomixplatform/atomix/core"
)

// Access tokens end with their session: VerifyAccessToken reads the state
// of the token's refresh family (its "sid") and refuses the token once the
// family is revoked, gone or past its end. So that a busy session does not
// cost a store read per request, each Service remembers the states it read
// for Config.SessionCheck in a small cache, bounded, sharded to keep
// verifiers from queueing on one lock. The store stays the truth: the
// Service's own revocations take effect in its cache at once, other
// instances' within Config.SessionCheck.

// Bounds of the session cache.
const (
	// sessionCacheSize is the most sessions one Service remembers.
	sessionCacheSize = 10_000
	// sessionShards is the number of independently locked parts.
	sessionShards = 16
	// sessionEvictScan is how many entries an insert into a full shard
	// looks at for a stale one before it evicts an arbitrary one.
	sessionEvictScan = 8
)

// The reasons a token of an ended session is refused, for the logs.
var (
	errNoSession      = errors.New("the token names no session, so it cannot be ended")
	errSessionRevoked = errors.New("the session ended: it was revoked (logout, a reused refresh token, a disabled user or a new password)")
	errSessionGone    = errors.New("the session ended: it no longer exists")
	errSessionExpired = errors.New("the session ended: it is past its absolute end")
	errSessionUser    = errors.New("the session ended: it belongs to another user")
)

// sessionKey names a refresh family.
type sessionKey struct{ tenantID, familyID string }

// sessionState is what a Service remembers of a family.
type sessionState struct {
	userID    string
	expiresAt time.Time // the family's absolute end
	// ended is set for a revoked or deleted family: final.
	ended error
	// until is when the state is to be read again.
	until time.Time
}

type sessionShard struct {
	mu sync.Mutex
	// epoch counts the revocations that touched the shard: a state read
	// from the store is remembered only when no revocation came between
	// the miss and the read's end, so that a read that raced a revocation
	// cannot undo it in the cache.
	epoch uint64
	m     map[sessionKey]sessionState
	_     [64]byte // keeps neighbouring shards' locks off one cache line
}

// sessionCache remembers session states for ttl; safe for concurrent use.
type sessionCache struct {
	ttl    time.Duration
	max    int // per shard
	seed   maphash.Seed
	shards [sessionShards]sessionShard
}

func newSessionCache(ttl time.Duration, size int) *sessionCache {
	c := &sessionCache{ttl: ttl, max: max(1, size/sessionShards), seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[sessionKey]sessionState)
	}
	return c
}

func (c *sessionCache) shard(k sessionKey) *sessionShard {
	return &c.shards[maphash.String(c.seed, k.familyID)%sessionShards]
}

// get returns the remembered state of k if it is still to be trusted at
// now, and the shard's epoch for a put after a miss.
func (c *sessionCache) get(k sessionKey, now time.Time) (sessionState, bool, uint64) {
	sh := c.shard(k)
	sh.mu.Lock()
	st, ok := sh.m[k]
	epoch := sh.epoch
	sh.mu.Unlock()
	if ok && now.Before(st.until) {
		return st, true, epoch
	}
	return sessionState{}, false, epoch
}

// put remembers st for k from now on, unless a revocation touched the
// shard since epoch was read.
func (c *sessionCache) put(k sessionKey, st sessionState, epoch uint64, now time.Time) {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.epoch != epoch {
		return
	}
	c.store(sh, k, st, now)
}

// store puts st in the locked shard, evicting to stay within bounds.
func (c *sessionCache) store(sh *sessionShard, k sessionKey, st sessionState, now time.Time) {
	st.until = now.Add(c.ttl)
	if _, ok := sh.m[k]; !ok && len(sh.m) >= c.max {
		// Map iteration starts at a random place: a stale entry among the
		// first few seen, or else the first, goes.
		var victim sessionKey
		n := 0
		for vk, v := range sh.m {
			if n == 0 || !now.Before(v.until) {
				victim = vk
			}
			if n++; n == sessionEvictScan || !now.Before(v.until) {
				break
			}
		}
		delete(sh.m, victim)
	}
	sh.m[k] = st
}

// endFamily records that this Service revoked the family.
func (c *sessionCache) endFamily(tenantID, familyID, userID string, now time.Time) {
	k := sessionKey{tenantID, familyID}
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.epoch++
	c.store(sh, k, sessionState{userID: userID, ended: errSessionRevoked}, now)
}

// forgetUser drops every remembered session of the user, after this
// Service revoked or deleted them all: the next verification reads the
// store. (Marking them ended instead could end a session the user
// started just after the revocation.)
func (c *sessionCache) forgetUser(tenantID, userID string) {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		sh.epoch++
		for k, st := range sh.m {
			if k.tenantID == tenantID && st.userID == userID {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}

// len returns how many states are remembered.
func (c *sessionCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// checkSession refuses the verified claims c when their session ended at
// now; it is off when the Service has no session cache.
// Errors: core.Unauthenticated (errAccessToken); those of the store but
// core.NotFound.
func (s *Service) checkSession(ctx context.Context, c *Claims, now time.Time) error {
	if s.sessions == nil {
		return nil
	}
	if c.SessionID == "" {
		return errAccessToken(errNoSession)
	}
	k := sessionKey{c.TenantID, c.SessionID}
	st, ok, epoch := s.sessions.get(k, now)
	if !ok {
		f, err := s.store.GetRefreshFamily(ctx, c.TenantID, c.SessionID)
		switch {
		case core.ErrorCode(err) == core.NotFound:
			st = sessionState{userID: c.Subject, ended: errSessionGone}
		case err != nil:
			return err
		case f.RevokedAt != nil:
			st = sessionState{userID: f.UserID, ended: errSessionRevoked}
		default:
			st = sessionState{userID: f.UserID, expiresAt: f.ExpiresAt}
		}
		s.sessions.put(k, st, epoch, now)
	}
	switch {
	case st.ended != nil:
		return errAccessToken(st.ended)
	case st.userID != c.Subject:
		return errAccessToken(errSessionUser)
	case !now.Before(st.expiresAt):
		return errAccessToken(errSessionExpired)
	}
	return nil
}

// sessionEnded records in the cache that this Service revoked a family.
func (s *Service) sessionEnded(tenantID, familyID, userID string) {
	if s.sessions != nil {
		s.sessions.endFamily(tenantID, familyID, userID, s.now.Now())
	}
}

// userSessionsEnded records in the cache that this Service revoked or
// deleted every family of the user.
func (s *Service) userSessionsEnded(tenantID, userID string) {
	if s.sessions != nil {
		s.sessions.forgetUser(tenantID, userID)
	}
}
