package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/atomixplatform/atomix/identity"
)

// TestLogoutEndsTheAccessToken: after POST /auth/logout the access token of
// that session is refused at once (401) by the instance that logged out,
// while another session of the same user keeps working.
func TestLogoutEndsTheAccessToken(t *testing.T) {
	e := newAuthEnv(t, identity.EdDSA, nil)
	s1 := e.login(t, rootEmail, testPassword, "").tokens(t)
	s2 := e.login(t, rootEmail, testPassword, "").tokens(t)
	for _, s := range []tokenBody{s1, s2} {
		e.do(t, req{method: http.MethodGet, path: "/tenants", auth: bearer(s.AccessToken)}).wantStatus(t, http.StatusOK)
	}

	e.do(t, req{method: http.MethodPost, path: "/auth/logout", auth: bearer(s1.AccessToken)}).wantStatus(t, http.StatusNoContent)
	e.do(t, req{method: http.MethodGet, path: "/tenants", auth: bearer(s1.AccessToken)}).
		wantRefused(t, "the access token of a logged-out session", "the credentials are not valid")
	e.do(t, req{method: http.MethodPost, path: "/auth/logout", auth: bearer(s1.AccessToken)}).
		wantRefused(t, "a second logout with the ended token", "the credentials are not valid")
	e.do(t, req{method: http.MethodGet, path: "/tenants", auth: bearer(s2.AccessToken)}).wantStatus(t, http.StatusOK)
}
