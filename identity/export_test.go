package identity

import (
	"context"
	"strconv"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// SignClaims signs claims with the service's current key, exactly as given,
// for tests of tokens the service itself would never issue (a missing
// claim, a bad subject).
func SignClaims(ctx context.Context, s *Service, claims map[string]any) (string, error) {
	k, err := s.keys.signer(ctx)
	if err != nil {
		return "", err
	}
	return jwt.Signed(k.signer).Claims(claims).Serialize()
}

// IssueAccessToken signs an access token for u in the session familyID, as
// Login and Refresh do, for the benchmarks.
func IssueAccessToken(ctx context.Context, s *Service, u User, familyID string) (string, error) {
	return s.issueAccess(ctx, u, familyID)
}

// SessionCacheSize is the most sessions a Service remembers.
const SessionCacheSize = sessionCacheSize

// SessionCacheLen returns how many session states s remembers; -1 when
// the session check is off.
func SessionCacheLen(s *Service) int {
	if s.sessions == nil {
		return -1
	}
	return s.sessions.len()
}

// FillSessionCache makes s remember n made-up live sessions of the user,
// as verifying tokens of n sessions would.
func FillSessionCache(s *Service, tenantID, userID string, n int) {
	now := s.now.Now()
	for i := range n {
		k := sessionKey{tenantID, "fill_" + strconv.Itoa(i)}
		_, _, epoch := s.sessions.get(k, now)
		s.sessions.put(k, sessionState{userID: userID, expiresAt: now.Add(time.Hour)}, epoch, now)
	}
}

// ShrinkSessionCache gives s an empty session cache of at most size
// entries, for tests of the bound through verifications.
func ShrinkSessionCache(s *Service, size int) {
	s.sessions = newSessionCache(s.cfg.SessionCheck, size)
}

// CheckSession runs the session check of VerifyAccessToken on verified
// claims at now, for the benchmarks.
func CheckSession(ctx context.Context, s *Service, c *Claims, now time.Time) error {
	return s.checkSession(ctx, c, now)
}
