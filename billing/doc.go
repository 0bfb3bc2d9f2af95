// Package billing is the pure domain of atomix billing: prices and their
// models (flat, per unit, package, graduated and volume tiers), billing
// cycles with anchors, and day-based proration. It keeps no state and does
// no I/O; the store and the HTTP layer build on it.
//
// Amounts follow package money's one rounding rule: every intermediate value
// of an invoice line is an exact money.Decimal, and the line total is
// rounded once, half-even, to the currency's minor unit (Price.Calculate).
// Proration splits a rounded amount with money.Allocate, so the pieces of a
// period always sum to the full-period amount.
//
// # Errors
//
// Functions return *core.Error with these codes:
//   - core.PriceInvalid: a price or its tiers are malformed; Fields name each
//     bad field ("tiers[1].upTo").
//   - core.Invalid: a negative quantity, or a time outside a period.
//   - core.CycleInvalid: a billing cycle's interval or anchor is malformed.
//   - core.AmountOverflow: a line total outside int64 minor units.
package billing
