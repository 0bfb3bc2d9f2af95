package commission

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// Owner is who owned an invoice's tenant in the invoice's period: the
// partner, when a partner owned it, and the distributor above it (the
// owning distributor itself, or the partner's distributor, empty for a
// partner selling directly under the platform). Both are empty when the
// platform owned the tenant.
type Owner struct {
	PartnerID     string
	DistributorID string
}

// Input is one month's commission run.
type Input struct {
	// Invoices are the month's invoices, ordered by CreatedAt then ID; only
	// the open, paid and uncollectible ones are calculated.
	Invoices []billing.Invoice
	// Owners holds each invoice's owner by invoice ID; an invoice absent
	// was the platform's.
	Owners map[string]Owner
	// Plans holds the commission plan assigned to each reseller, by
	// reseller ID; a reseller absent has none.
	Plans map[string]Plan
	// Month is the invoices' billing month, "YYYY-MM": it picks each plan's
	// version in force and is the entries' Month and InvoiceMonth.
	Month string
	// Now is the entries' CreatedAt.
	Now time.Time
}

// Calculate returns the Earned entries of the month's invoices: for each
// non-zero line of each open, paid or uncollectible invoice, in order, one
// entry for the partner (when a partner owned the tenant), one for the
// distributor (when there is one) and one for the platform, whose amounts
// sum exactly to the line's net amount. Draft and void invoices give
// nothing. The entries' StatementID is empty and their Month is in.Month;
// the caller fills the one and may move the other. The platform's entry
// has no plan, and RateBP 100% less the resellers' RateBP.
//
// A reseller's rate for a line comes from its plan's version in force for
// in.Month: nothing (Excluded says why) without a plan or a version in
// force (ExcludedNoPlan), for a line not commissionable
// (ExcludedNotCommissionable), for a SKU the version excludes
// (ExcludedSKU), or for an uncollectible invoice when the version claws
// those back (ExcludedUncollectible), checked in that order; else the SKU
// override for a usage line, the billing plan's override for a
// subscription or proration line, the tiers for a line in the version's
// TierCurrency, or RateBP. See the package documentation for tiers and the
// split.
//
// Errors: core.Invalid when in.Month is not a month; those of
// Plan.Validate for an assigned plan that does not validate;
// core.CommissionRatesExceed when a partner's and its distributor's shares
// of a line add to more than the line (the message names the tenant, the
// invoice and the line); core.AmountOverflow when a line's amount times
// 10,000, or a reseller's monthly revenue, leaves int64.
func Calculate(in Input) ([]Entry, error) {
	if !ValidMonth(in.Month) {
		return nil, core.InvalidField("month", "must be a month such as \"2026-11\"")
	}
	c := calc{in: in, resellers: map[string]*reseller{}}
	n, err := c.revenue()
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, n)
	for i := range in.Invoices {
		inv := &in.Invoices[i]
		if !calculated(inv.Status) {
			continue
		}
		owner := in.Owners[inv.ID]
		for li := range inv.Lines {
			if inv.Lines[li].Amount == 0 {
				continue
			}
			if out, err = c.line(out, inv, owner, li); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// calculated reports whether Calculate makes entries for an invoice of
// the status.
func calculated(s billing.InvoiceStatus) bool {
	return s == billing.InvoiceOpen || s == billing.InvoicePaid || s == billing.InvoiceUncollectible
}

// maxLine bounds a line's amount: the split works in 1/10,000 minor units.
const maxLine = math.MaxInt64 / MaxRateBP

// calc is one run of Calculate.
type calc struct {
	in        Input
	resellers map[string]*reseller
}

// reseller is a reseller's plan version for the month and its tier
// revenue.
type reseller struct {
	id      string
	planID  string
	v       Version
	ok      bool // a version is in force
	revenue int64
	running int64 // graduated: revenue of the lines walked so far
	volume  int   // volume: the index of the tier holding revenue
	// details caches the Detail of override and volume rates.
	details map[detailKey]string
}

type detailKey struct {
	src  source
	rate int
}

// detail returns the Detail of a rate from an override or volume tiers.
func (r *reseller) detail(src source, rate int, cur money.Currency) string {
	k := detailKey{src, rate}
	if d, ok := r.details[k]; ok {
		return d
	}
	var d string
	switch src {
	case srcSKU:
		d = "sku override: " + percent(rate)
	case srcPlan:
		d = "plan override: " + percent(rate)
	case srcTier:
		d = "volume: " + money.New(r.revenue, cur).Format() + " monthly revenue at " + percent(rate)
	}
	if r.details == nil {
		r.details = map[detailKey]string{}
	}
	r.details[k] = d
	return d
}

func (c *calc) reseller(id string) (*reseller, error) {
	if r, ok := c.resellers[id]; ok {
		return r, nil
	}
	r := &reseller{id: id}
	if p, ok := c.in.Plans[id]; ok {
		if err := p.Validate(); err != nil {
			return nil, err
		}
		r.planID = p.ID
		r.v, r.ok = p.VersionAt(c.in.Month)
	}
	c.resellers[id] = r
	return r, nil
}

// Rate sources.
type source int

const (
	srcExcluded source = iota
	srcBase
	srcSKU
	srcPlan
	srcTier
)

// rule says where the reseller's rate for a line comes from: the rate for
// every source but srcTier, the reason for srcExcluded.
func (r *reseller) rule(inv *billing.Invoice, l *billing.InvoiceLine) (source, int, string) {
	switch {
	case !r.ok:
		return srcExcluded, 0, ExcludedNoPlan
	case !l.Commissionable:
		return srcExcluded, 0, ExcludedNotCommissionable
	case l.SKU != "" && slices.Contains(r.v.ExcludedSKUs, l.SKU):
		return srcExcluded, 0, ExcludedSKU
	case inv.Status == billing.InvoiceUncollectible && r.v.ClawbackUncollectible:
		return srcExcluded, 0, ExcludedUncollectible
	}
	if l.Kind == billing.LineUsage {
		if rate, ok := r.v.SKURates[l.SKU]; ok {
			return srcSKU, rate, ""
		}
	} else if rate, ok := r.v.PlanRates[billingPlan(inv, l)]; ok {
		return srcPlan, rate, ""
	}
	if len(r.v.Tiers) > 0 && inv.Currency == r.v.TierCurrency && l.Amount > 0 {
		return srcTier, 0, ""
	}
	return srcBase, r.v.RateBP, ""
}

// billingPlan is the billing plan a line bills: its own, or for a usage
// line (which names none) the invoice's.
func billingPlan(inv *billing.Invoice, l *billing.InvoiceLine) string {
	if l.PlanID != "" {
		return l.PlanID
	}
	return inv.PlanID
}

// revenue is Calculate's first pass: each reseller's monthly revenue of
// lines earning by tiers, and each volume reseller's tier. It returns the
// number of entries the run makes.
func (c *calc) revenue() (int, error) {
	n := 0
	for i := range c.in.Invoices {
		inv := &c.in.Invoices[i]
		if !calculated(inv.Status) {
			continue
		}
		owner := c.in.Owners[inv.ID]
		for li := range inv.Lines {
			l := &inv.Lines[li]
			if l.Amount == 0 {
				continue
			}
			n++
			for _, id := range [2]string{owner.PartnerID, owner.DistributorID} {
				if id == "" {
					continue
				}
				n++
				r, err := c.reseller(id)
				if err != nil {
					return 0, err
				}
				if src, _, _ := r.rule(inv, l); src != srcTier {
					continue
				}
				if r.revenue > math.MaxInt64-l.Amount {
					return 0, core.Errorf(core.AmountOverflow, "the monthly revenue of reseller %s overflows the amount range", id)
				}
				r.revenue += l.Amount
			}
		}
	}
	for _, r := range c.resellers {
		if r.ok && r.v.TierMode == Volume {
			r.volume = tierOf(r.v.Tiers, r.revenue)
		}
	}
	return n, nil
}

// tierOf returns the index of the tier holding revenue: the first whose
// UpTo is at or above it, or the last.
func tierOf(tiers []Tier, revenue int64) int {
	for i, t := range tiers {
		if t.UpTo == nil || revenue <= *t.UpTo {
			return i
		}
	}
	return len(tiers) - 1
}

// share is one reseller's part of a line before the split.
type share struct {
	r      *reseller
	party  Party
	s      int64 // sum of piece*rate, in 1/10,000 minor units
	rate   int
	detail string
	reason string
}

// line appends the entries of one line of inv to out.
func (c *calc) line(out []Entry, inv *billing.Invoice, owner Owner, li int) ([]Entry, error) {
	l := &inv.Lines[li]
	if l.Amount > maxLine || l.Amount < -maxLine {
		return out, core.Errorf(core.AmountOverflow, "line %d of invoice %s: amount %d times 10000 overflows the amount range", li, inv.ID, l.Amount)
	}
	a := l.Amount
	if a < 0 {
		a = -a
	}
	var shares [2]share
	n := 0
	for _, p := range [2]struct {
		id    string
		party Party
	}{{owner.PartnerID, PartyPartner}, {owner.DistributorID, PartyDistributor}} {
		if p.id == "" {
			continue
		}
		r, err := c.reseller(p.id)
		if err != nil {
			return out, err
		}
		sh, err := r.share(inv, l, a)
		if err != nil {
			return out, err
		}
		sh.r, sh.party = r, p.party
		shares[n] = sh
		n++
	}
	whole := a * MaxRateBP
	var resellers int64
	for _, sh := range shares[:n] {
		if sh.s > whole-resellers {
			return out, core.Errorf(core.CommissionRatesExceed,
				"tenant %s, invoice %s, line %d: the resellers' rates add to more than 100%%", inv.TenantID, inv.ID, li)
		}
		resellers += sh.s
	}
	// The split: the resellers' exact shares and the platform's rest, by
	// largest remainder, so the parts sum to the line.
	amounts := [3]int64{0, 0, l.Amount}
	if resellers > 0 {
		var buf [3]int64
		ratios := buf[:n+1]
		for i, sh := range shares[:n] {
			ratios[i] = sh.s
		}
		ratios[n] = whole - resellers
		parts, err := money.New(l.Amount, inv.Currency).Allocate(ratios)
		if err != nil {
			return out, err
		}
		for i := range shares[:n] {
			amounts[i] = parts[i].Amount
		}
		amounts[2] = parts[n].Amount
	}
	base := Entry{
		TenantID:     inv.TenantID,
		InvoiceID:    inv.ID,
		Line:         li,
		Kind:         Earned,
		Month:        c.in.Month,
		InvoiceMonth: c.in.Month,
		Currency:     inv.Currency,
		LineKind:     l.Kind,
		SKU:          l.SKU,
		BillingPlan:  billingPlan(inv, l),
		NetAmount:    l.Amount,
		CreatedAt:    c.in.Now,
	}
	platformRate := MaxRateBP
	for i, sh := range shares[:n] {
		e := base
		e.ResellerID = sh.r.id
		e.Party = sh.party
		e.RateBP = sh.rate
		e.Detail = sh.detail
		e.Amount = amounts[i]
		if sh.r.ok {
			e.PlanID, e.VersionMonth = sh.r.planID, sh.r.v.Month
		}
		e.Excluded = sh.reason
		out = append(out, e)
		platformRate -= sh.rate
	}
	e := base
	e.Party = PartyPlatform
	e.RateBP = max(platformRate, 0)
	e.Amount = amounts[2]
	return append(out, e), nil
}

// share reckons the reseller's exact share of a line whose absolute
// amount is a (graduated tiers advance the reseller's running revenue).
func (r *reseller) share(inv *billing.Invoice, l *billing.InvoiceLine, a int64) (share, error) {
	src, rate, reason := r.rule(inv, l)
	sh := share{rate: rate, reason: reason}
	switch src {
	case srcExcluded:
		return sh, nil
	case srcSKU, srcPlan:
		sh.detail = r.detail(src, rate, inv.Currency)
	case srcTier:
		if r.v.TierMode == Volume {
			sh.rate = r.v.Tiers[r.volume].RateBP
			sh.detail = r.detail(src, sh.rate, inv.Currency)
			break
		}
		return r.graduated(inv.Currency, a)
	}
	if sh.rate < 0 || sh.rate > MaxRateBP {
		return sh, core.Errorf(core.Invalid, "commission plan %s: rate %d outside 0 to %d basis points", r.planID, sh.rate, MaxRateBP)
	}
	sh.s = a * int64(sh.rate)
	return sh, nil
}

// graduated cuts the revenue [running, running+a) at the tier bounds and
// reckons each piece at its tier's rate.
func (r *reseller) graduated(cur money.Currency, a int64) (share, error) {
	var sh share
	var b strings.Builder
	b.WriteString("graduated: ")
	from, to := r.running, r.running+a
	lower := int64(0)
	pieces := 0
	for _, t := range r.v.Tiers {
		upper := int64(math.MaxInt64)
		if t.UpTo != nil {
			upper = *t.UpTo
		}
		if lo, hi := max(from, lower), min(to, upper); hi > lo {
			if t.RateBP < 0 || t.RateBP > MaxRateBP {
				return sh, core.Errorf(core.Invalid, "commission plan %s: rate %d outside 0 to %d basis points", r.planID, t.RateBP, MaxRateBP)
			}
			if pieces > 0 {
				b.WriteString(", ")
			}
			b.WriteString(money.New(hi-lo, cur).Format())
			b.WriteString(" at ")
			b.WriteString(percent(t.RateBP))
			sh.s += (hi - lo) * int64(t.RateBP)
			sh.rate = t.RateBP
			pieces++
		}
		if t.UpTo == nil || upper >= to {
			break
		}
		lower = upper
	}
	r.running = to
	sh.detail = b.String()
	return sh, nil
}

// percent formats basis points as a percentage with two decimals,
// "12.50%".
func percent(bp int) string {
	s := strconv.Itoa(bp / 100)
	f := bp % 100
	if f < 0 {
		f = -f
	}
	if f < 10 {
		return s + ".0" + strconv.Itoa(f) + "%"
	}
	return s + "." + strconv.Itoa(f) + "%"
}

// Reverse returns the Clawback entries reversing the Earned entries
// given, in order: each with the opposite Amount, Month month and
// CreatedAt now, its other fields kept and StatementID empty (the caller
// fills it). Entries that are not Earned are skipped.
func Reverse(earned []Entry, month string, now time.Time) []Entry {
	out := make([]Entry, 0, len(earned))
	for _, e := range earned {
		if e.Kind != Earned {
			continue
		}
		e.Kind = Clawback
		e.Amount = -e.Amount
		e.Month = month
		e.CreatedAt = now
		e.StatementID = ""
		out = append(out, e)
	}
	return out
}

// Reinstate returns the Reinstated entries reversing the Clawback entries
// given (of one invoice, marked uncollectible and then paid): the amounts
// negated back, Month = month, CreatedAt = now, StatementID cleared for
// the caller to fill. Entries of other kinds are skipped.
func Reinstate(clawbacks []Entry, month string, now time.Time) []Entry {
	out := make([]Entry, 0, len(clawbacks))
	for _, e := range clawbacks {
		if e.Kind != Clawback {
			continue
		}
		e.Kind, e.Amount, e.Month, e.CreatedAt, e.StatementID = Reinstated, -e.Amount, month, now, ""
		out = append(out, e)
	}
	return out
}

// CurrencyCheck is one currency's reconciliation of a month: what the
// invoices whose commissions stand billed, against what their entries
// pay. Difference is 0 when the books balance.
type CurrencyCheck struct {
	Currency money.Currency
	// Invoiced is the sum of the Subtotals of the invoices whose
	// commissions stand (they have Earned entries, and every Clawback entry
	// is Reinstated);
	// Invoices is their number.
	Invoiced int64
	// Resellers and Platform are the sums of the invoices' entries, of
	// every kind, of the resellers and of the platform.
	Resellers int64
	Platform  int64
	// Difference is Invoiced - Resellers - Platform.
	Difference int64
	Invoices   int
	// Uncalculated counts the finalized (open, paid or uncollectible)
	// invoices with a non-zero line and no entry.
	Uncalculated int
}

// Reconcile checks one month's invariant: per currency, the resellers'
// and the platform's shares add up to the invoices' net amounts, exactly.
// invoices are the month's invoices; entries are every entry of them,
// Earned and Clawback. An invoice whose entries were all reversed (a void
// one) adds its entries, summing to 0, and nothing to Invoiced; an invoice
// partly reversed adds its entries and nothing to Invoiced, so it shows as
// a Difference. The checks are ordered by currency code.
//
// Errors: core.Invalid when an entry names an invoice not given, or an
// invoice is given twice; core.CurrencyMismatch when an entry's currency
// is not its invoice's; core.AmountOverflow when a sum leaves int64.
func Reconcile(invoices []billing.Invoice, entries []Entry) ([]CurrencyCheck, error) {
	type tally struct {
		earned, clawback, reinstated int
		resellers, plat              int64
	}
	index := make(map[string]int, len(invoices))
	for i, inv := range invoices {
		if _, dup := index[inv.ID]; dup {
			return nil, core.Errorf(core.Invalid, "invoice %s is given twice", inv.ID)
		}
		index[inv.ID] = i
	}
	tallies := make([]tally, len(invoices))
	for _, e := range entries {
		i, ok := index[e.InvoiceID]
		if !ok {
			return nil, core.Errorf(core.Invalid, "an entry names invoice %s, which is not among the invoices", e.InvoiceID)
		}
		if e.Currency != invoices[i].Currency {
			return nil, core.Errorf(core.CurrencyMismatch, "an entry of invoice %s is in %s, the invoice in %s", e.InvoiceID, e.Currency, invoices[i].Currency)
		}
		t := &tallies[i]
		switch e.Kind {
		case Clawback:
			t.clawback++
		case Reinstated:
			t.reinstated++
		default:
			t.earned++
		}
		var err error
		if e.Party == PartyPlatform {
			t.plat, err = add(t.plat, e.Amount)
		} else {
			t.resellers, err = add(t.resellers, e.Amount)
		}
		if err != nil {
			return nil, err
		}
	}
	checks := map[money.Currency]*CurrencyCheck{}
	row := func(c money.Currency) *CurrencyCheck {
		if ch, ok := checks[c]; ok {
			return ch
		}
		ch := &CurrencyCheck{Currency: c}
		checks[c] = ch
		return ch
	}
	for i := range invoices {
		inv, t := &invoices[i], tallies[i]
		if t.earned+t.clawback == 0 {
			if inv.Status.Finalized() && hasAmount(inv) {
				row(inv.Currency).Uncalculated++
			}
			continue
		}
		ch := row(inv.Currency)
		var err error
		if ch.Resellers, err = add(ch.Resellers, t.resellers); err != nil {
			return nil, err
		}
		if ch.Platform, err = add(ch.Platform, t.plat); err != nil {
			return nil, err
		}
		if t.earned > 0 && t.clawback == t.reinstated {
			if ch.Invoiced, err = add(ch.Invoiced, inv.Subtotal); err != nil {
				return nil, err
			}
			ch.Invoices++
		}
	}
	out := make([]CurrencyCheck, 0, len(checks))
	for _, ch := range checks {
		d, err := sub(ch.Invoiced, ch.Resellers)
		if err == nil {
			d, err = sub(d, ch.Platform)
		}
		if err != nil {
			return nil, err
		}
		ch.Difference = d
		out = append(out, *ch)
	}
	slices.SortFunc(out, func(x, y CurrencyCheck) int { return cmp.Compare(x.Currency.Code(), y.Currency.Code()) })
	return out, nil
}

func hasAmount(inv *billing.Invoice) bool {
	for _, l := range inv.Lines {
		if l.Amount != 0 {
			return true
		}
	}
	return false
}

// add returns a+b, core.AmountOverflow outside int64.
func add(a, b int64) (int64, error) {
	s := a + b
	if (s > a) != (b > 0) {
		return 0, core.Errorf(core.AmountOverflow, "a sum overflows the amount range")
	}
	return s, nil
}

// sub returns a-b, core.AmountOverflow outside int64.
func sub(a, b int64) (int64, error) {
	s := a - b
	if (s < a) != (b > 0) {
		return 0, core.Errorf(core.AmountOverflow, "a difference overflows the amount range")
	}
	return s, nil
}

// CheckChain checks that a partner's plan and its distributor's cannot
// together pay more than 100% of a line: the highest rate of any version
// of each, added. A nil plan counts 0. Used when assigning plans.
//
// Errors: core.CommissionRatesExceed.
func CheckChain(partner, distributor *Plan) error {
	var p, d int
	if partner != nil {
		p = partner.MaxRate()
	}
	if distributor != nil {
		d = distributor.MaxRate()
	}
	if p+d > MaxRateBP {
		return core.Errorf(core.CommissionRatesExceed,
			"the partner's plan pays up to %s and the distributor's up to %s: together more than 100%%", percent(p), percent(d))
	}
	return nil
}
