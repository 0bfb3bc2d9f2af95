package sqlstore_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/store/sqlstore"
	"github.com/google/go-cmp/cmp"
)

// TestResellerSchema checks the reseller-chain tables of a migrated
// database against the models that read and write them.
func TestResellerSchema(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := open(t, b.dsn(t))
			models := sqlstore.ResellerModelColumns(s.DB())
			if got, want := slices.Sorted(maps.Keys(models)), []string{"customer_profiles", "resellers", "tenant_owners"}; !slices.Equal(got, want) {
				t.Fatalf("model tables: got %v, want %v", got, want)
			}
			for table, want := range models {
				got := dbColumns(t, s.DB(), table)
				byName := func(a, b sqlstore.ModelColumn) int { return strings.Compare(a.Name, b.Name) }
				slices.SortFunc(got, byName)
				slices.SortFunc(want, byName)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("table %s: columns differ from the model (-model +database):\n%s", table, diff)
				}
			}
		})
	}
}
