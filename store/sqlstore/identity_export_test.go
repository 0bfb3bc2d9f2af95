package sqlstore

import (
	"reflect"
	"time"

	"github.com/uptrace/bun"
)

// IdentityModelColumns returns, per identity table, the columns its model
// reads and writes, with the kinds of ModelColumns plus "bytes".
func IdentityModelColumns(db *bun.DB) map[string][]ModelColumn {
	out := map[string][]ModelColumn{}
	for _, m := range identityModels {
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
			case reflect.TypeFor[[]byte]():
				kind = "bytes"
			}
			out[tbl.Name] = append(out[tbl.Name], ModelColumn{Name: f.Name, Nullable: f.IsPtr || f.NullZero, Kind: kind})
		}
	}
	return out
}
