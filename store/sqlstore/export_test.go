package sqlstore

import (
	"reflect"
	"time"

	"github.com/atomixplatform/atomix/tenant"
	"github.com/uptrace/bun"
)

// ModelColumn is one column a model of the package expects: its name,
// whether it may be NULL, and its kind ("text", "time", "int" or "bool").
type ModelColumn struct {
	Name     string
	Nullable bool
	Kind     string
}

// ModelColumns returns, per table, the columns the package's models read
// and write, for the tests that check the migrated schema against them.
func ModelColumns(db *bun.DB) map[string][]ModelColumn {
	out := map[string][]ModelColumn{}
	for _, m := range []any{(*tenantRow)(nil), (*countRow)(nil)} {
		tbl := db.Table(reflect.TypeOf(m).Elem())
		for _, f := range tbl.Fields {
			kind := "?"
			switch f.IndirectType {
			case reflect.TypeFor[time.Time]():
				kind = "time"
			case reflect.TypeFor[string]():
				kind = "text"
			case reflect.TypeFor[int64]():
				kind = "int"
			case reflect.TypeFor[bool]():
				kind = "bool"
			}
			out[tbl.Name] = append(out[tbl.Name], ModelColumn{Name: f.Name, Nullable: f.IsPtr || f.NullZero, Kind: kind})
		}
	}
	return out
}

// ListSQL returns the statement ListTenants runs for f, with ? or $n
// placeholders as the store's dialect takes them, and its arguments.
func (s *Store) ListSQL(f tenant.Filter) (string, []any) {
	q := &readQuery{dollars: s.pg}
	listQuery(q, f)
	return q.b.String(), q.args
}
