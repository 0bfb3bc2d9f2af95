// Package commission is the pure domain of reseller commissions in
// atomix: commission plans with effective-dated versions, the calculation
// that splits each finalized invoice line among the partner, the
// distributor and the platform (Calculate), the clawbacks that reverse
// them (Reverse), the month's reconciliation (Reconcile), and the narrow
// Store that keeps plans, assignments, statements and entries. It keeps no
// state and does no I/O; the root package runs it against the store.
//
// # The split
//
// A tenant is owned, for each invoice's period, by the platform, a
// distributor, or a partner (under a distributor or directly under the
// platform) (Owner). Each non-zero line of an open, paid or uncollectible
// invoice gives one Earned entry per party present: the partner, the
// distributor, and always the platform. A reseller's share of a line is
// reckoned exactly, in 1/10,000 of a minor unit, as the sum over the
// line's pieces of piece times rate in basis points; the line's net amount
// is then split in proportion to the partner's share, the distributor's
// share, and the rest (the platform's), by the largest-remainder method
// (money.Allocate): each party gets the floor of its exact share and the
// units left go one each to the largest remainders, ties to the partner,
// then the distributor, then the platform. The entries of a line therefore
// sum exactly to it, no share is negative, and the platform keeps what the
// resellers do not take. A 149.00 USD line with its partner at 15% and the
// distributor at 10% pays 22.35, 14.90 and 111.75.
//
// # Rates and versions
//
// A reseller earns by the plan assigned to it (Plan, Assignment); a plan
// holds versions, each applying from its Month to the month before the
// next version's (Plan.VersionAt): a version never applies to a month
// before its own. A version pays RateBP on a line's net amount, unless a
// SKU override (SKURates, usage lines), a billing plan override (PlanRates,
// subscription and proration lines) or tiers apply, in that order. A
// partner's and its distributor's plans are checked together when assigned
// (CheckChain): their highest rates may not add to more than 100%.
//
// # Tiers
//
// A version with Tiers pays, instead of RateBP, a rate from the reseller's
// monthly revenue in TierCurrency: the sum of the net amounts of the
// month's lines that earn it by tiers (commissionable, not excluded, not
// overridden, positive, in TierCurrency). A distributor's revenue holds its
// partners' tenants; a partner's only its own. Volume: every such line
// earns the rate of the tier holding the month's total (a tier holds
// revenue above the previous bound up to and including its own).
// Graduated: the lines are walked in order (invoices by CreatedAt and ID,
// then lines) with a running revenue, and a line is cut at the tier bounds
// it crosses, each piece earning its tier's rate; Detail says how
// ("graduated: 1200.00 at 10.00%, 300.00 at 12.50%") and RateBP is the rate
// of the last piece. Lines in other currencies earn RateBP.
//
// # Exclusions
//
// A reseller that earns nothing on a line still gets an entry, of 0, whose
// Excluded says why, checked in this order: ExcludedNoPlan (no plan, or no
// version in force that month), ExcludedNotCommissionable (the SKU is not
// commissionable in pricing; every reseller of the line),
// ExcludedSKU (the version excludes the SKU; that reseller only),
// ExcludedUncollectible (the invoice was uncollectible when calculated and
// the version claws those back). The platform takes the share.
//
// # Clawbacks
//
// Entries are immutable. Voiding an invoice (or marking it uncollectible
// under a plan that claws those back) reverses its Earned entries with
// Clawback entries of the opposite amounts, reported in the month of the
// reversal (Reverse), so a closed statement is never rewritten.
//
// # Reconciliation
//
// For any month, in each currency, the resellers' shares plus the
// platform's equal the net amounts (Subtotals) of the invoices whose
// commissions stand, exactly; an invoice whose entries were all reversed
// counts on neither side. Reconcile reports each currency's sums, the
// Difference (0 when the books balance), and the finalized invoices
// without entries (Uncalculated).
//
// # Errors
//
// Functions return *core.Error with these codes:
//   - core.Invalid: a malformed plan (Plan.Validate; Fields name each bad
//     field, "versions[1].tiers[0].upTo"), a month that is not "YYYY-MM",
//     or a Reconcile entry naming an invoice not given.
//   - core.CommissionOverlap: two versions of a plan start in the same
//     month.
//   - core.CommissionRatesExceed: a partner's and its distributor's rates
//     add to more than 100% (CheckChain), or their shares of a line to more
//     than the line (Calculate; the message names the tenant, invoice and
//     line).
//   - core.AmountOverflow: a line's amount times 10,000, a reseller's
//     monthly revenue or a reconciliation sum leaves int64.
//   - core.CurrencyMismatch: a Reconcile entry in another currency than its
//     invoice.
//   - core.CommissionPastPeriod, core.PeriodInFuture,
//     core.StatementClosed: returned by the workflows and stores built on
//     this package (a version starting in a month already over, a period
//     not yet ended, a closed statement).
package commission
