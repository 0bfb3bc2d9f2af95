// Package money holds exact amounts of money: an int64 count of a
// currency's minor units (cents, fils, yen) with an ISO 4217 currency whose
// exponent comes from a fixed table, and exact decimals for prices finer than
// a minor unit (a tenth of a cent per API call).
//
// # Rounding rule
//
// There is ONE rounding rule in atomix billing: half-even (banker's
// rounding), applied ONCE per invoice line. Every intermediate value of a
// line (unit price times quantity, tier subtotals, flat fees) is an exact
// Decimal; only the line's final total is rounded to the currency's minor
// unit, by Decimal.Money. Amounts are split (proration, allocation) by
// Allocate, which never rounds: its parts always sum to the whole.
//
// No binary (IEEE 754) number type is used anywhere in money or billing; a
// test fails if the name of such a type appears in their non-test source.
//
// # Errors
//
// Functions return *core.Error with these codes:
//   - core.CurrencyUnknown: a currency code not in the table.
//   - core.CurrencyMismatch: arithmetic on amounts of two currencies.
//   - core.AmountOverflow: a result that does not fit in int64 minor units.
//   - core.AmountInvalid: a decimal string that does not parse under the
//     rules of Parse or ParseDecimal, or bad Allocate ratios.
//
// Exact decimals use github.com/cockroachdb/apd/v3: arbitrary precision,
// explicit contexts (no package-level mutable settings), condition flags that
// let Decimal trap any inexact operation, and half-even rounding built in.
package money
