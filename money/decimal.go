package money

import (
	"strings"

	"github.com/atomixplatform/atomix/core"
	"github.com/cockroachdb/apd/v3"
)

// Decimal is an exact decimal number, used for prices finer than a minor
// unit and for the unrounded intermediate values of an invoice line. Its
// arithmetic never rounds: an operation that would lose a digit fails with
// core.AmountOverflow. The zero value is 0. A Decimal is immutable: methods
// return new values.
type Decimal struct {
	d apd.Decimal
}

// exactContext does arithmetic without rounding: precision 0 disables
// rounding in apd for Add and Mul, and Inexact is trapped as a safeguard.
func exactContext() apd.Context {
	return apd.Context{
		MaxExponent: apd.MaxExponent,
		MinExponent: apd.MinExponent,
		Traps:       apd.DefaultTraps | apd.Inexact,
	}
}

// roundContext rounds half-even; its precision is larger than any Decimal
// atomix keeps.
func roundContext() apd.Context {
	return apd.Context{
		Precision:   1000,
		MaxExponent: apd.MaxExponent,
		MinExponent: apd.MinExponent,
		Rounding:    apd.RoundHalfEven,
		Traps:       apd.DefaultTraps,
	}
}

// maxDecimalDigits bounds the digits ParseDecimal accepts.
const maxDecimalDigits = 40

// ParseDecimal reads an exact decimal: an optional "-", one or more digits,
// and optionally "." with one or more digits ("0.001", "-12.5"); at most 40
// digits. Exponents ("1e-3"), "+", "NaN", "Infinity" and anything else are
// core.AmountInvalid.
func ParseDecimal(s string) (Decimal, error) {
	bad := func(why string) (Decimal, error) {
		return Decimal{}, core.Errorf(core.AmountInvalid, "decimal %q: %s", s, why)
	}
	body := strings.TrimPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(body, ".")
	if intPart == "" || !allDigits(intPart) {
		return bad("want digits before the decimal point")
	}
	if hasDot && (frac == "" || !allDigits(frac)) {
		return bad("want digits after the decimal point")
	}
	if len(intPart)+len(frac) > maxDecimalDigits {
		return bad("too many digits")
	}
	var d Decimal
	if _, _, err := d.d.SetString(s); err != nil {
		return bad("does not parse")
	}
	return d, nil
}

// DecimalFromInt returns the integer v as a Decimal.
func DecimalFromInt(v int64) Decimal {
	var d Decimal
	d.d.SetInt64(v)
	return d
}

// String returns the decimal in plain notation, keeping its trailing zeros
// ("0.0010"), never in exponent notation.
func (d Decimal) String() string { return d.d.Text('f') }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.d.Sign() }

// Cmp compares d and o: -1, 0 or +1.
func (d Decimal) Cmp(o Decimal) int { return d.d.Cmp(&o.d) }

// Scale returns the number of fraction digits d is written with.
func (d Decimal) Scale() int {
	if d.d.Exponent >= 0 {
		return 0
	}
	return int(-d.d.Exponent)
}

// Add returns d+o exactly; core.AmountOverflow if it cannot be exact.
func (d Decimal) Add(o Decimal) (Decimal, error) {
	var r Decimal
	ctx := exactContext()
	if _, err := ctx.Add(&r.d, &d.d, &o.d); err != nil {
		return Decimal{}, core.Errorf(core.AmountOverflow, "decimal addition: %v", err)
	}
	return r, nil
}

// Mul returns d*o exactly; core.AmountOverflow if it cannot be exact.
func (d Decimal) Mul(o Decimal) (Decimal, error) {
	var r Decimal
	ctx := exactContext()
	if _, err := ctx.Mul(&r.d, &d.d, &o.d); err != nil {
		return Decimal{}, core.Errorf(core.AmountOverflow, "decimal multiplication: %v", err)
	}
	return r, nil
}

// MulInt returns d*n exactly; core.AmountOverflow if it cannot be exact.
func (d Decimal) MulInt(n int64) (Decimal, error) { return d.Mul(DecimalFromInt(n)) }

// Money rounds d, read in major units of c, to c's minor unit half-even:
// the one rounding point of an invoice line. 0.125 USD is 12 cents, 0.135 is
// 14. A result outside int64 minor units is core.AmountOverflow.
func (d Decimal) Money(c Currency) (Money, error) {
	if c.IsZero() {
		return Money{}, core.Errorf(core.CurrencyUnknown, "no currency")
	}
	// Shift to minor units exactly, then quantize to an integer.
	var minor, q apd.Decimal
	minor.Set(&d.d)
	minor.Exponent += int32(c.exp)
	ctx := roundContext()
	if _, err := ctx.Quantize(&q, &minor, 0); err != nil {
		return Money{}, core.Errorf(core.AmountOverflow, "rounding %s: %v", d, err)
	}
	v, err := q.Int64()
	if err != nil {
		return Money{}, core.Errorf(core.AmountOverflow, "amount %s %s does not fit in int64 minor units", d, c)
	}
	return Money{v, c}, nil
}

// MarshalText encodes the decimal as String does.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes a decimal as ParseDecimal does.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
