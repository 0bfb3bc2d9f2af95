package identity

import (
	"context"

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
