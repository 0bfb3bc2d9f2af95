package money

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/atomixplatform/atomix/core"
)

// Money is an exact amount: Amount minor units of Currency. Its JSON form is
// {"amount": 4900, "currency": "USD"}.
type Money struct {
	Amount   int64    `json:"amount"`
	Currency Currency `json:"currency"`
}

// New returns amount minor units of c.
func New(amount int64, c Currency) Money { return Money{Amount: amount, Currency: c} }

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount == 0 }

func (m Money) same(o Money) error {
	if m.Currency != o.Currency {
		return core.Errorf(core.CurrencyMismatch, "cannot combine %s and %s", m.Currency, o.Currency)
	}
	return nil
}

func overflow(op string) error {
	return core.Errorf(core.AmountOverflow, "%s overflows the amount range", op)
}

// Add returns m+o. Different currencies are core.CurrencyMismatch; a sum
// outside int64 is core.AmountOverflow.
func (m Money) Add(o Money) (Money, error) {
	if err := m.same(o); err != nil {
		return Money{}, err
	}
	s := m.Amount + o.Amount
	if (s > m.Amount) != (o.Amount > 0) {
		return Money{}, overflow("addition")
	}
	return Money{s, m.Currency}, nil
}

// Sub returns m-o. Different currencies are core.CurrencyMismatch; a
// difference outside int64 is core.AmountOverflow.
func (m Money) Sub(o Money) (Money, error) {
	if err := m.same(o); err != nil {
		return Money{}, err
	}
	s := m.Amount - o.Amount
	if (s < m.Amount) != (o.Amount > 0) {
		return Money{}, overflow("subtraction")
	}
	return Money{s, m.Currency}, nil
}

// Neg returns -m; -MinInt64 is core.AmountOverflow.
func (m Money) Neg() (Money, error) {
	if m.Amount == math.MinInt64 {
		return Money{}, overflow("negation")
	}
	return Money{-m.Amount, m.Currency}, nil
}

// abs returns |v| as a uint64 (exact for MinInt64).
func abs(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}

// signed returns u with the sign neg, reporting false when it does not fit.
func signed(u uint64, neg bool) (int64, bool) {
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return int64(-u), true // two's complement: -(1<<63) is MinInt64
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// Mul returns m times n. A product outside int64 is core.AmountOverflow; the
// check is exact (a 128-bit product from math/bits).
func (m Money) Mul(n int64) (Money, error) {
	hi, lo := bits.Mul64(abs(m.Amount), abs(n))
	if hi != 0 {
		return Money{}, overflow("multiplication")
	}
	v, ok := signed(lo, (m.Amount < 0) != (n < 0))
	if !ok {
		return Money{}, overflow("multiplication")
	}
	return Money{v, m.Currency}, nil
}

// MulDecimal returns m times the exact decimal d, rounded half-even to a
// minor unit (this is a rounding point: use it once per invoice line). A
// result outside int64 is core.AmountOverflow.
func (m Money) MulDecimal(d Decimal) (Money, error) {
	p, err := m.Decimal().Mul(d)
	if err != nil {
		return Money{}, err
	}
	return p.Money(m.Currency)
}

// Allocate splits m into len(ratios) parts proportional to ratios by the
// largest-remainder method: each part gets the floor of its exact share of
// |m|, and the units left over go one each to the parts with the largest
// remainders, ties to the lower index. The parts always sum to m exactly; a
// negative m gives the negated split of |m|, and a zero ratio gets zero.
// Ratios must be non-negative, not all zero, and sum within int64, else
// core.AmountInvalid.
func (m Money) Allocate(ratios []int64) ([]Money, error) {
	if len(ratios) == 0 {
		return nil, core.Errorf(core.AmountInvalid, "allocate needs at least one ratio")
	}
	var total uint64
	for _, r := range ratios {
		if r < 0 {
			return nil, core.Errorf(core.AmountInvalid, "allocate ratio %d is negative", r)
		}
		total += uint64(r)
		if total > math.MaxInt64 {
			return nil, core.Errorf(core.AmountInvalid, "allocate ratios sum past the int64 range")
		}
	}
	if total == 0 {
		return nil, core.Errorf(core.AmountInvalid, "allocate ratios are all zero")
	}
	a := abs(m.Amount)
	parts := make([]uint64, len(ratios))
	rems := make([]uint64, len(ratios))
	var given uint64
	for i, r := range ratios {
		// a*r/total < 2^64 because r <= total, so hi < total and Div64 is safe.
		hi, lo := bits.Mul64(a, uint64(r))
		parts[i], rems[i] = bits.Div64(hi, lo, total)
		given += parts[i]
	}
	// The units left over are fewer than the parts with a non-zero
	// remainder; each of the largest remainders gets one, ties to the lower
	// index.
	if left := a - given; left > 0 {
		order := make([]int, len(ratios))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(rems[y], rems[x]) })
		for _, i := range order[:left] {
			parts[i]++
		}
	}
	out := make([]Money, len(ratios))
	for i, p := range parts {
		v, _ := signed(p, m.Amount < 0) // p <= |m|, so it fits with m's sign
		out[i] = Money{v, m.Currency}
	}
	return out, nil
}

// Decimal returns m as an exact decimal in major units (4900 USD cents is
// 49.00).
func (m Money) Decimal() Decimal {
	var d Decimal
	d.d.SetFinite(m.Amount, -int32(m.Currency.exp))
	return d
}

// Format returns the amount as a decimal string with exactly the currency's
// exponent of fraction digits: "49.00" and "1.99" (USD), "100" (JPY),
// "1.250" (KWD), "-0.05" (USD).
func (m Money) Format() string {
	var b strings.Builder
	a := abs(m.Amount)
	if m.Amount < 0 {
		b.WriteByte('-')
	}
	digits := uitoa(a)
	exp := int(m.Currency.exp)
	if len(digits) <= exp {
		digits = strings.Repeat("0", exp-len(digits)+1) + digits
	}
	b.WriteString(digits[:len(digits)-exp])
	if exp > 0 {
		b.WriteByte('.')
		b.WriteString(digits[len(digits)-exp:])
	}
	return b.String()
}

// String returns Format followed by the currency code, "49.00 USD".
func (m Money) String() string { return m.Format() + " " + m.Currency.code }

func uitoa(u uint64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			return string(buf[i:])
		}
	}
}

// Parse reads a decimal string in the currency's major units: an optional
// "-", one or more digits, and for a currency with exponent > 0 optionally
// "." and one to exponent digits ("49", "49.0", "49.00" for USD; "100" for
// JPY; "1.25", "1.250" for KWD). More fraction digits than the exponent, an
// exponent ("1e3"), "+", spaces or anything else are core.AmountInvalid; a
// value outside int64 minor units is core.AmountOverflow.
func Parse(s string, c Currency) (Money, error) {
	if c.IsZero() {
		return Money{}, core.Errorf(core.CurrencyUnknown, "no currency")
	}
	bad := func(why string) error {
		return core.Errorf(core.AmountInvalid, "amount %q: %s", s, why)
	}
	neg := strings.HasPrefix(s, "-")
	body := s
	if neg {
		body = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(body, ".")
	if intPart == "" || !allDigits(intPart) {
		return Money{}, bad("want digits before the decimal point")
	}
	if hasDot {
		if frac == "" || !allDigits(frac) {
			return Money{}, bad("want digits after the decimal point")
		}
		if len(frac) > int(c.exp) {
			return Money{}, bad("more fraction digits than " + c.code + " has")
		}
	}
	frac += strings.Repeat("0", int(c.exp)-len(frac))
	var u uint64
	for _, ch := range intPart + frac {
		hi, lo := bits.Mul64(u, 10)
		lo, carry := bits.Add64(lo, uint64(ch-'0'), 0)
		if hi != 0 || carry != 0 {
			return Money{}, overflow("amount " + s)
		}
		u = lo
	}
	v, ok := signed(u, neg)
	if !ok {
		return Money{}, overflow("amount " + s)
	}
	return Money{v, c}, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
