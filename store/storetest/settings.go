package storetest

import (
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/settings"
	"github.com/atomixplatform/atomix/store"
	"github.com/google/go-cmp/cmp"
)

// RunSettings checks the settings.Store part of a store: documents
// round-trip exactly per scope; a write needs the next version; of
// concurrent writers of one version exactly one wins; a rolled-back write
// leaves nothing.
func RunSettings(t *testing.T, newStore func(t *testing.T) store.Store) {
	runTests(t, newStore, []subtest{
		{"RoundTripAndVersions", testSettingsVersions},
		{"Rollback", testSettingsRollback},
		{"ConcurrentPut", testSettingsConcurrentPut},
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
