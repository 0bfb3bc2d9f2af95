package money

import (
	"github.com/atomixplatform/atomix/core"
)

// Currency is an ISO 4217 currency known to atomix. The zero value is no
// currency; get one from ParseCurrency or the predefined values.
type Currency struct {
	code string
	exp  int8
}

// exponent is the ISO 4217 minor-unit table.
func exponent(code string) (int8, bool) {
	switch code {
	case "USD", "EUR", "GBP", "TRY", "AUD", "CAD", "CHF":
		return 2, true
	case "JPY", "KRW":
		return 0, true
	case "KWD", "BHD", "OMR", "JOD":
		return 3, true
	}
	return 0, false
}

// ParseCurrency returns the currency with the given upper-case ISO 4217
// code. A code not in atomix's table is core.CurrencyUnknown.
func ParseCurrency(code string) (Currency, error) {
	exp, ok := exponent(code)
	if !ok {
		return Currency{}, core.Errorf(core.CurrencyUnknown, "currency %q is not supported", code)
	}
	return Currency{code: code, exp: exp}, nil
}

// Code returns the ISO 4217 code, "" for the zero Currency.
func (c Currency) Code() string { return c.code }

// Exponent returns the number of minor-unit digits: 2 for USD, 0 for JPY,
// 3 for KWD.
func (c Currency) Exponent() int { return int(c.exp) }

// IsZero reports whether c is the zero Currency.
func (c Currency) IsZero() bool { return c.code == "" }

// String returns the code.
func (c Currency) String() string { return c.code }

// MarshalText encodes the currency as its code. The zero Currency is
// core.CurrencyUnknown.
func (c Currency) MarshalText() ([]byte, error) {
	if c.IsZero() {
		return nil, core.Errorf(core.CurrencyUnknown, "no currency")
	}
	return []byte(c.code), nil
}

// UnmarshalText decodes a code; an unknown one is core.CurrencyUnknown.
func (c *Currency) UnmarshalText(b []byte) error {
	v, err := ParseCurrency(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Predefined currencies, one per exponent the table holds and the ones
// atomix's seeds use.
var (
	USD = Currency{code: "USD", exp: 2}
	EUR = Currency{code: "EUR", exp: 2}
	TRY = Currency{code: "TRY", exp: 2}
	JPY = Currency{code: "JPY", exp: 0}
	KWD = Currency{code: "KWD", exp: 3}
)
