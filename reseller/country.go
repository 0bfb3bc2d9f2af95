package reseller

import "golang.org/x/text/language"

// ValidCountry reports whether code is an ISO 3166-1 alpha-2 code assigned
// to a country today, in upper case: "AU" is, "au", "UK", "EU", "XK" and
// "YU" are not.
//
// The codes come from the CLDR region data of golang.org/x/text/language:
// a region that is a country, not private-use (which rules out the
// user-assigned XK), its own canonical form (which rules out codes replaced
// by another, such as BU, DD, UK and ZR), with an ISO alpha-3 code and an
// M49 number (which rules out the exceptional reservations such as AC, CP,
// DG, EA, IC, TA and UN). CLDR still counts five codes withdrawn from
// ISO 3166-1 without a single successor as countries; they are refused by
// name. A test checks the result against the Debian iso-codes list where it
// is installed.
func ValidCountry(code string) bool {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return false
	}
	switch code {
	case "AN", "CS", "NT", "SU", "YU": // withdrawn: split, merged or dissolved
		return false
	}
	r, err := language.ParseRegion(code)
	if err != nil || r.String() != code {
		return false
	}
	return r.IsCountry() && !r.IsPrivateUse() && r.Canonicalize() == r && r.ISO3() != "ZZZ" && r.M49() != 0
}
