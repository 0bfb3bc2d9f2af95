package storetest

import (
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/settings"
	"github.com/atomixplatform/atomix/store"
	"github.com/google/go-cmp/cmp"
)

// RunSettings checks the settings.Store part of a store: documents
// round-trip exactly per scope and per tenant, and one tenant's never
// shows or changes another's; a write needs the next version; of
// concurrent writers of one version exactly one wins; a rolled-back write
// leaves nothing.
func RunSettings(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"RoundTripAndVersions", testSettingsVersions},
		{"Rollback", testSettingsRollback},
		{"ConcurrentPut", testSettingsConcurrentPut},
		{"TenantRoundTripAndVersions", testTenantSettingsVersions},
		{"TenantIsolation", testTenantSettingsIsolation},
		{"TenantRollback", testTenantSettingsRollback},
		{"TenantConcurrentPut", testTenantSettingsConcurrentPut},
	})
}

func settingsRecord(scope string, v int) settings.Record {
	return settings.Record{Scope: scope, Doc: []byte(`{"branding":{"displayName":"v` + string(rune('0'+v)) + `"}}`), Version: v, UpdatedAt: at(v)}
}

func wantSettings(t *testing.T, s settings.Store, want settings.Record) {
	t.Helper()
	got, err := s.GetSettings(t.Context(), want.Scope)
	if err != nil {
		t.Fatalf("GetSettings(%s): got error %v, want nil", want.Scope, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("GetSettings(%s) mismatch (-want +got):\n%s", want.Scope, d)
	}
}

func testSettingsVersions(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetSettings(ctx, "platform")
	wantCode(t, "GetSettings before any", err, core.NotFound)
	wantCode(t, "PutSettings version 0", s.PutSettings(ctx, settingsRecord("platform", 0)), core.Invalid)
	wantCode(t, "PutSettings version 2 first", s.PutSettings(ctx, settingsRecord("platform", 2)), core.Conflict)
	if err := s.PutSettings(ctx, settingsRecord("platform", 1)); err != nil {
		t.Fatalf("PutSettings v1: got error %v, want nil", err)
	}
	wantSettings(t, s, settingsRecord("platform", 1))
	wantCode(t, "PutSettings version 1 again", s.PutSettings(ctx, settingsRecord("platform", 1)), core.Conflict)
	wantCode(t, "PutSettings version 3 over 1", s.PutSettings(ctx, settingsRecord("platform", 3)), core.Conflict)
	if err := s.PutSettings(ctx, settingsRecord("platform", 2)); err != nil {
		t.Fatalf("PutSettings v2: got error %v, want nil", err)
	}
	wantSettings(t, s, settingsRecord("platform", 2))
	if err := s.PutSettings(ctx, settingsRecord("other", 1)); err != nil {
		t.Fatalf("PutSettings of another scope: got error %v, want nil", err)
	}
	wantSettings(t, s, settingsRecord("platform", 2))
	got, _ := s.GetSettings(ctx, "platform")
	got.Doc[0] = 'X'
	wantSettings(t, s, settingsRecord("platform", 2))
}

func testSettingsRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	err := s.InTx(ctx, func(tx store.Store) error {
		if err := tx.PutSettings(ctx, settingsRecord("platform", 1)); err != nil {
			return err
		}
		return errSentinel
	})
	if err != errSentinel {
		t.Fatalf("InTx: got %v, want the sentinel", err)
	}
	_, err = s.GetSettings(ctx, "platform")
	wantCode(t, "GetSettings after a rollback", err, core.NotFound)
}

func testSettingsConcurrentPut(t *testing.T, s store.Store) {
	errs := make([]error, raceSpenders)
	together(raceSpenders, func(i int) { errs[i] = s.PutSettings(t.Context(), settingsRecord("platform", 1)) })
	wins := 0
	for i, err := range errs {
		switch core.ErrorCode(err) {
		case "":
			wins++
		case core.Conflict:
		default:
			t.Errorf("PutSettings %d: got %v, want nil or conflict", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("winners: got %d, want 1", wins)
	}
}

func tenantSettingsRecord(tenantID string, v int) settings.TenantRecord {
	return settings.TenantRecord{TenantID: tenantID, Doc: []byte(`{"branding":{"displayName":"` + tenantID + ` v` + string(rune('0'+v)) + `"}}`), Version: v, UpdatedAt: at(v)}
}

func wantTenantSettings(t *testing.T, s settings.Store, want settings.TenantRecord) {
	t.Helper()
	got, err := s.GetTenantSettings(t.Context(), want.TenantID)
	if err != nil {
		t.Fatalf("GetTenantSettings(%s): got error %v, want nil", want.TenantID, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("GetTenantSettings(%s) mismatch (-want +got):\n%s", want.TenantID, d)
	}
}

func testTenantSettingsVersions(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := fixture(1)
	create(t, s, a)
	_, err := s.GetTenantSettings(ctx, a.ID)
	wantCode(t, "GetTenantSettings before any", err, core.NotFound)
	wantCode(t, "PutTenantSettings version 0", s.PutTenantSettings(ctx, tenantSettingsRecord(a.ID, 0)), core.Invalid)
	wantCode(t, "PutTenantSettings version 2 first", s.PutTenantSettings(ctx, tenantSettingsRecord(a.ID, 2)), core.Conflict)
	if err := s.PutTenantSettings(ctx, tenantSettingsRecord(a.ID, 1)); err != nil {
		t.Fatalf("PutTenantSettings v1: got error %v, want nil", err)
	}
	wantTenantSettings(t, s, tenantSettingsRecord(a.ID, 1))
	wantCode(t, "PutTenantSettings version 1 again", s.PutTenantSettings(ctx, tenantSettingsRecord(a.ID, 1)), core.Conflict)
	wantCode(t, "PutTenantSettings version 3 over 1", s.PutTenantSettings(ctx, tenantSettingsRecord(a.ID, 3)), core.Conflict)
	if err := s.PutTenantSettings(ctx, tenantSettingsRecord(a.ID, 2)); err != nil {
		t.Fatalf("PutTenantSettings v2: got error %v, want nil", err)
	}
	wantTenantSettings(t, s, tenantSettingsRecord(a.ID, 2))
	got, _ := s.GetTenantSettings(ctx, a.ID)
	got.Doc[0] = 'X'
	wantTenantSettings(t, s, tenantSettingsRecord(a.ID, 2))
	// The platform's settings are apart from a tenant's.
	_, err = s.GetSettings(ctx, "platform")
	wantCode(t, "GetSettings after tenant settings", err, core.NotFound)
}

// testTenantSettingsIsolation checks that tenant A's settings never show
// as, or change, tenant B's, at any version.
func testTenantSettingsIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := fixture(1), fixture(2)
	create(t, s, a, b)
	tests := []struct {
		name  string
		write settings.TenantRecord
		wantA settings.TenantRecord // Version 0: none
		wantB settings.TenantRecord
	}{
		{"A writes v1", tenantSettingsRecord(a.ID, 1), tenantSettingsRecord(a.ID, 1), settings.TenantRecord{TenantID: b.ID}},
		{"B writes v1", tenantSettingsRecord(b.ID, 1), tenantSettingsRecord(a.ID, 1), tenantSettingsRecord(b.ID, 1)},
		{"A writes v2", tenantSettingsRecord(a.ID, 2), tenantSettingsRecord(a.ID, 2), tenantSettingsRecord(b.ID, 1)},
	}
	for _, tt := range tests {
		if err := s.PutTenantSettings(ctx, tt.write); err != nil {
			t.Fatalf("%s: got error %v, want nil", tt.name, err)
		}
		for _, want := range []settings.TenantRecord{tt.wantA, tt.wantB} {
			if want.Version == 0 {
				_, err := s.GetTenantSettings(ctx, want.TenantID)
				wantCode(t, tt.name+": the other tenant's settings", err, core.NotFound)
				continue
			}
			wantTenantSettings(t, s, want)
		}
	}
	// B's version 2 is B's own: A being at 2 does not let B skip to 3.
	wantCode(t, "B writes v3 over its v1", s.PutTenantSettings(ctx, tenantSettingsRecord(b.ID, 3)), core.Conflict)
	wantTenantSettings(t, s, tenantSettingsRecord(b.ID, 1))
}

func testTenantSettingsRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := fixture(1)
	create(t, s, a)
	err := s.InTx(ctx, func(tx store.Store) error {
		if err := tx.PutTenantSettings(ctx, tenantSettingsRecord(a.ID, 1)); err != nil {
			return err
		}
		return errSentinel
	})
	if err != errSentinel {
		t.Fatalf("InTx: got %v, want the sentinel", err)
	}
	_, err = s.GetTenantSettings(ctx, a.ID)
	wantCode(t, "GetTenantSettings after a rollback", err, core.NotFound)
}

func testTenantSettingsConcurrentPut(t *testing.T, s store.Store) {
	a := fixture(1)
	create(t, s, a)
	errs := make([]error, raceSpenders)
	together(raceSpenders, func(i int) { errs[i] = s.PutTenantSettings(t.Context(), tenantSettingsRecord(a.ID, 1)) })
	wins := 0
	for i, err := range errs {
		switch core.ErrorCode(err) {
		case "":
			wins++
		case core.Conflict:
		default:
			t.Errorf("PutTenantSettings %d: got %v, want nil or conflict", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("winners: got %d, want 1", wins)
	}
}
