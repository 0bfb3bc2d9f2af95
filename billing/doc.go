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
//   - core.CurrencyMismatch: the plans of one billed period bill in two
//     currencies (BuildInvoice).
//   - core.PlanUnknown: BuildInvoice is not given a plan of the period, or
//     the plan has no price for the subscription's interval.
//   - core.DowngradeBlocked: usage does not fit a plan's limits
//     (CheckFits); the message and Fields name each limit.
//
// # Invoices
//
// Invoices are made in arrears, one per billing period, by a monthly
// billing run: the run for a month ("2026-11", ParseMonth) bills each paid
// period whose End lies in (monthStart, monthEnd], that is, each period
// whose last day falls in the month (Subscription.BillablePeriods). A
// day-31 anchor therefore bills one period in every month, February
// included; trial days are never billed, and an unconverted trial has no
// invoice at all.
//
// BuildInvoice bills a period's days from its Start up to its End or the
// day service ended. A period on one plan throughout is one subscription
// line at the plan's price; otherwise the period is cut at each plan
// change and at the end of service, and each piece is a proration line
// reckoned by the day-based proration rule (see Split): a change counts
// for the whole day it is made on, no day is billed twice, and a plan's
// pieces of a period come from one Split, so they sum exactly to its
// price. Each applying SKU adds a usage line priced by Price.Calculate:
// exact decimals throughout, rounded once per line, half-even. Tax is
// computed once, on the subtotal, exactly, and rounded once, half-even
// (Tax); Total is Subtotal + Tax, all in int64 minor units, overflow
// checked.
package billing
