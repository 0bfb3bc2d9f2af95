package storetest

import (
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store"
	"github.com/google/go-cmp/cmp"
)

// RunFederated checks the identity.FederatedStore part of a store: links
// round-trip exactly, a (provider, subject) is linked once, even by
// concurrent writers.
func RunFederated(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"LinkRoundTrip", testLinkRoundTrip},
		{"ConcurrentLink", testConcurrentLink},
	})
}

func linkFixture(p identity.FederatedProvider, sub string, n int) identity.FederatedLink {
	u := userFixture(tenantA, n)
	return identity.FederatedLink{Provider: p, Subject: sub, TenantID: u.TenantID, UserID: u.ID, CreatedAt: at(n)}
}

func testLinkRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	g, e := linkFixture(identity.ProviderGoogle, "sub-1", 1), linkFixture(identity.ProviderEntra, "sub-1", 2)
	for _, l := range []identity.FederatedLink{g, e} {
		if err := s.CreateFederatedLink(ctx, l); err != nil {
			t.Fatalf("CreateFederatedLink(%s): got error %v, want nil", l.Provider, err)
		}
	}
	for _, want := range []identity.FederatedLink{g, e} {
		got, err := s.GetFederatedLink(ctx, want.Provider, want.Subject)
		if err != nil {
			t.Fatalf("GetFederatedLink(%s): got error %v, want nil", want.Provider, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("GetFederatedLink(%s) mismatch (-want +got):\n%s", want.Provider, d)
		}
	}
	wantCode(t, "CreateFederatedLink twice", s.CreateFederatedLink(ctx, linkFixture(identity.ProviderGoogle, "sub-1", 3)), core.Conflict)
	_, err := s.GetFederatedLink(ctx, identity.ProviderGoogle, "sub-2")
	wantCode(t, "GetFederatedLink of an unknown subject", err, core.NotFound)
}

func testConcurrentLink(t *testing.T, s store.Store) {
	errs := make([]error, raceSpenders)
	together(raceSpenders, func(i int) {
		errs[i] = s.CreateFederatedLink(t.Context(), linkFixture(identity.ProviderEntra, "race", i+1))
	})
	wins := 0
	for i, err := range errs {
		switch core.ErrorCode(err) {
		case "":
			wins++
		case core.Conflict:
		default:
			t.Errorf("CreateFederatedLink %d: got %v, want nil or conflict", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("winners: got %d, want 1", wins)
	}
}
