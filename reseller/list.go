package reseller

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/atomixplatform/atomix/core"
)

// MaxQueryLen bounds a name query.
const MaxQueryLen = 200

// CheckFilter checks f and returns it with its page normalized and its
// query trimmed. queryField names the query on the wire ("q" for resellers,
// "name" for customers).
// Errors: core.Invalid naming every bad field among "kind", "status",
// "distributorId", the query, "page" and "limit".
func CheckFilter(f Filter, queryField string) (Filter, error) {
	var fs core.Fields
	f.Page = checkPage(&fs, f.Page)
	if f.Kind != "" && f.Kind != KindDistributor && f.Kind != KindPartner {
		fs.Add("kind", "must be distributor or partner")
	}
	if f.Status != "" && !f.Status.Valid() {
		fs.Add("status", "must be active or suspended")
	}
	if f.DistributorID != "" && !core.ValidID(core.PrefixDistributor, f.DistributorID) {
		fs.Add("distributorId", "must be a distributor ID such as \"dist_abc123\"")
	}
	f.Query = checkQuery(&fs, queryField, f.Query)
	return f, fs.Err()
}

// CheckCustomerFilter checks f as CheckFilter does.
// Errors: core.Invalid naming every bad field among "ownerId", the query
// ("name" on the wire), "page" and "limit".
func CheckCustomerFilter(f CustomerFilter) (CustomerFilter, error) {
	var fs core.Fields
	f.Page = checkPage(&fs, f.Page)
	if k := KindOf(f.Under); k != KindDistributor && k != KindPartner && f.Under != "" {
		fs.Add("ownerId", "must be a distributor or partner ID such as \"prt_abc123\"")
	}
	f.Query = checkQuery(&fs, "name", f.Query)
	return f, fs.Err()
}

func checkPage(fs *core.Fields, p core.PageRequest) core.PageRequest {
	p, err := p.Normalize()
	var ce *core.Error
	if errors.As(err, &ce) {
		*fs = append(*fs, ce.Fields...)
	}
	return p
}

func checkQuery(fs *core.Fields, field, q string) string {
	if len(q) > MaxQueryLen || !utf8.ValidString(q) {
		fs.Add(field, "must be valid UTF-8 of at most %d bytes", MaxQueryLen)
	}
	return strings.TrimSpace(q)
}
