package billing

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// ParseMonth reads a billing run's month, "2026-11", and returns its
// bounds [start, end) at 00:00 UTC: 2026-11-01 and 2026-12-01. Errors:
// core.Invalid naming "period" for anything but a four-digit year, "-" and
// a two-digit month.
func ParseMonth(s string) (start, end time.Time, err error) {
	t, perr := time.Parse("2006-01", s)
	if perr != nil || len(s) != 7 || t.Format("2006-01") != s {
		return time.Time{}, time.Time{}, core.InvalidField("period", "%q is not a month like \"2026-11\"", s)
	}
	return t, t.AddDate(0, 1, 0), nil
}

// paidEnd returns the day paid service ends (exclusive) and whether it
// does: EndedAt once ended, and the trial's end for a trial that has not
// converted (it has no paid day whether or not Advance expired it yet).
func (s Subscription) paidEnd() (time.Time, bool) {
	if s.EndedAt != nil {
		return day(*s.EndedAt), true
	}
	if s.TrialEnd != nil && s.ConvertedAt == nil && s.Status == Trialing {
		return day(*s.TrialEnd), true
	}
	return time.Time{}, false
}

// BillablePeriods returns the periods a billing run for the month
// [monthStart, monthEnd) bills, in arrears: the paid periods (those of the
// cycle from the Anchor on, so none of a trial) that start before the
// service ended and whose End lies in (monthStart, monthEnd]; a period is
// billed in the month of its last day. An unconverted trial has none.
// Errors: core.Invalid naming "period" when monthEnd is not after
// monthStart; core.CycleInvalid for a malformed cycle.
func (s Subscription) BillablePeriods(monthStart, monthEnd time.Time) ([]Period, error) {
	if !monthEnd.After(monthStart) {
		return nil, core.InvalidField("period", "the month's end must be after its start")
	}
	c := s.Cycle()
	if err := c.validate(); err != nil {
		return nil, err
	}
	from := monthStart
	if from.Before(c.Anchor) {
		from = c.Anchor
	}
	p, err := c.PeriodContaining(from)
	if err != nil {
		return nil, err
	}
	end, ended := s.paidEnd()
	var out []Period
	// p.End is after from, so after monthStart; each period ends later.
	for !p.End.After(monthEnd) {
		if ended && !p.Start.Before(end) {
			break
		}
		if p.End.After(monthStart) {
			out = append(out, p)
		}
		if p, err = c.NextPeriod(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CheckFits reports whether usage fits plan p's limits: used maps a metric
// (or a limit name) to the current count, and every limit that count
// exceeds is named. Unlimited limits and metrics without a limit fit.
// Errors: core.DowngradeBlocked, its message and Fields ("limits.maxUsers")
// naming each exceeded limit as "maxUsers: 12 used, plan allows 10".
func CheckFits(p Plan, used map[string]int64) error {
	over := map[string]int64{}
	for metric, n := range used {
		limit, ok := p.Limit(metric)
		if !ok || limit == Unlimited || n <= limit {
			continue
		}
		name := LimitName(metric)
		if n > over[name] {
			over[name] = n
		}
	}
	if len(over) == 0 {
		return nil
	}
	var f core.Fields
	msgs := make([]string, 0, len(over))
	for _, name := range sortedKeys(over) {
		msg := fmt.Sprintf("%d used, plan allows %d", over[name], p.Limits[name])
		f.Add("limits."+name, "%s", msg)
		msgs = append(msgs, name+": "+msg)
	}
	return &core.Error{
		Code:    core.DowngradeBlocked,
		Message: fmt.Sprintf("current usage does not fit plan %s: %s", p.ID, strings.Join(msgs, "; ")),
		Fields:  f,
	}
}

// InvoiceInput is what BuildInvoice needs to bill one period of a
// subscription.
type InvoiceInput struct {
	Subscription Subscription
	// Period is one of Subscription.BillablePeriods.
	Period Period
	// Plans holds every plan a segment overlapping the period names.
	Plans map[string]Plan
	// SKUs are all SKUs; those that AppliesTo the plan in force on the
	// period's last billed day are billed.
	SKUs []SKU
	// Usage maps a metric to its quantity aggregated over [Period.Start,
	// Period.End); a metric not in it is 0.
	Usage map[string]int64
	// OwnerID is the tenant's owner ("" for the platform).
	OwnerID string
	// Month is the billing run's month ("2026-11"); Period.End lies in it.
	Month string
	// Now is the invoice's creation time; DueDays after it is due.
	Now     time.Time
	DueDays int
}

// piece is a stretch [from, to) of a period spent on one plan.
type piece struct {
	from, to time.Time
	planID   string
}

// BuildInvoice bills one period of a subscription, in arrears, as a draft
// invoice. The period's billed days run from its Start to its End or the
// day service ended, whichever is first. A period spent on one plan
// throughout is one LineSubscription for the plan's price for the
// subscription's interval; otherwise the period is cut at each plan change
// and at the end of service, and each billed piece is a LineProration
// whose amount is that piece of Split(the plan's price, period, cuts...),
// so a plan's pieces of a period always sum to its price. Then one
// LineUsage per SKU that applies to the plan in force on the last billed
// day, by SKU code, priced by Price.Calculate (rounded once, half-even; a
// line with neither quantity nor amount is left out). Subtotal is the sum
// of the lines, Tax is Subtotal*TaxRateBP/10000 rounded once, half-even,
// and Total is their sum.
//
// Errors: core.Invalid naming "period" for a period of another cycle or
// one without a billed day (a trial's, or after the service ended),
// "month" for a month that is not "2026-11"-like or does not hold the
// period's end, "taxRateBp", "dueDays" or "skus" (a repeated code);
// core.PlanUnknown when Plans lacks a plan of the period, or it has no
// price for the interval; core.CurrencyMismatch when the period's plans
// do not share one currency; core.PriceInvalid for a SKU's malformed
// price; core.Invalid naming "quantity" for negative usage;
// core.AmountOverflow when a line or a total leaves int64 minor units.
func BuildInvoice(in InvoiceInput) (Invoice, error) {
	s, pd := in.Subscription, in.Period
	if err := checkInput(in); err != nil {
		return Invoice{}, err
	}
	billedEnd := pd.End
	if end, ok := s.paidEnd(); ok && end.Before(billedEnd) {
		billedEnd = end
	}
	if dayNumber(billedEnd) <= dayNumber(pd.Start) {
		return Invoice{}, core.InvalidField("period", "the subscription has no billed day in %s to %s",
			pd.Start.Format(time.DateOnly), pd.End.Format(time.DateOnly))
	}

	pieces := periodPieces(s, pd, billedEnd)
	var cuts []time.Time
	for _, pc := range pieces[1:] {
		cuts = append(cuts, pc.from)
	}
	if billedEnd.Before(pd.End) {
		cuts = append(cuts, billedEnd)
	}

	var currency money.Currency
	prices := map[string]money.Money{}
	plans := map[string]Plan{}
	for _, pc := range pieces {
		if _, seen := plans[pc.planID]; seen {
			continue
		}
		p, ok := in.Plans[pc.planID]
		if !ok {
			return Invoice{}, core.Errorf(core.PlanUnknown, "plan %s of the period %s is not among the plans given",
				pc.planID, pd.Start.Format(time.DateOnly))
		}
		price, ok := p.Price(s.Interval)
		if !ok {
			return Invoice{}, core.Errorf(core.PlanUnknown, "plan %s has no %s price", p.ID, s.Interval)
		}
		if currency.IsZero() {
			currency = p.Currency
		} else if p.Currency != currency {
			return Invoice{}, core.Errorf(core.CurrencyMismatch, "plans of one period bill in %s and %s", currency, p.Currency)
		}
		plans[pc.planID], prices[pc.planID] = p, price
	}

	periodDays := pd.Days()
	var lines []InvoiceLine
	if len(cuts) == 0 {
		p := plans[pieces[0].planID]
		lines = append(lines, InvoiceLine{
			Kind:           LineSubscription,
			Description:    fmt.Sprintf("%s (%s), %s", planName(p), s.Interval, dateRange(pd.Start, pd.End)),
			PlanID:         p.ID,
			PeriodStart:    pd.Start,
			PeriodEnd:      pd.End,
			Quantity:       1,
			Amount:         prices[p.ID].Amount,
			Commissionable: true,
		})
	} else {
		split := map[string][]money.Money{}
		for i, pc := range pieces {
			days := dayNumber(pc.to) - dayNumber(pc.from)
			if days <= 0 {
				continue
			}
			parts, ok := split[pc.planID]
			if !ok {
				var err error
				if parts, err = Split(prices[pc.planID], pd, cuts...); err != nil {
					return Invoice{}, err
				}
				split[pc.planID] = parts
			}
			p := plans[pc.planID]
			lines = append(lines, InvoiceLine{
				Kind: LineProration,
				Description: fmt.Sprintf("%s (%s), %s, %d of %d days",
					planName(p), s.Interval, dateRange(pc.from, pc.to), days, periodDays),
				PlanID:         p.ID,
				PeriodStart:    pc.from,
				PeriodEnd:      pc.to,
				Quantity:       1,
				Days:           days,
				PeriodDays:     periodDays,
				Amount:         parts[i].Amount,
				Commissionable: true,
			})
		}
	}

	last := plans[pieces[len(pieces)-1].planID]
	skus := make([]SKU, 0, len(in.SKUs))
	for _, k := range in.SKUs {
		if k.AppliesTo(last) {
			skus = append(skus, k)
		}
	}
	slices.SortFunc(skus, func(a, b SKU) int { return strings.Compare(a.Code, b.Code) })
	for _, k := range skus {
		qty := in.Usage[k.Metric()]
		calc, err := k.Price.Calculate(qty)
		if err != nil {
			return Invoice{}, err
		}
		if qty == 0 && calc.Amount.IsZero() {
			continue
		}
		name := k.Name
		if name == "" {
			name = k.Code
		}
		lines = append(lines, InvoiceLine{
			Kind:           LineUsage,
			Description:    fmt.Sprintf("%s, %d %s, %s", name, qty, k.Metric(), dateRange(pd.Start, pd.End)),
			SKU:            k.Code,
			Metric:         k.Metric(),
			PeriodStart:    pd.Start,
			PeriodEnd:      pd.End,
			Quantity:       qty,
			Amount:         calc.Amount.Amount,
			Calculation:    &calc,
			Commissionable: k.Commissionable,
		})
	}

	subtotal := money.New(0, currency)
	for _, l := range lines {
		var err error
		if subtotal, err = subtotal.Add(money.New(l.Amount, currency)); err != nil {
			return Invoice{}, err
		}
	}
	tax, err := Tax(subtotal, s.TaxRateBP)
	if err != nil {
		return Invoice{}, err
	}
	total, err := subtotal.Add(tax)
	if err != nil {
		return Invoice{}, err
	}
	return Invoice{
		ID:             core.NewID(core.PrefixInvoice),
		TenantID:       s.TenantID,
		SubscriptionID: s.ID,
		PlanID:         last.ID,
		OwnerID:        in.OwnerID,
		Status:         InvoiceDraft,
		Currency:       currency,
		Month:          in.Month,
		PeriodStart:    pd.Start,
		PeriodEnd:      pd.End,
		Lines:          lines,
		Subtotal:       subtotal.Amount,
		TaxRateBP:      s.TaxRateBP,
		Tax:            tax.Amount,
		Total:          total.Amount,
		CreatedAt:      in.Now,
		DueAt:          in.Now.AddDate(0, 0, in.DueDays),
		UpdatedAt:      in.Now,
	}, nil
}

// basisPoint is 1/10000, exact.
var basisPoint = func() money.Decimal {
	d, err := money.ParseDecimal("0.0001")
	if err != nil {
		panic(err)
	}
	return d
}()

// Tax returns subtotal*rateBP/10000, computed exactly and rounded once,
// half-even, to the currency's minor unit. Errors: core.Invalid naming
// "taxRateBp" for a rate outside 0..MaxTaxRateBP; core.AmountOverflow.
func Tax(subtotal money.Money, rateBP int) (money.Money, error) {
	if rateBP < 0 || rateBP > MaxTaxRateBP {
		return money.Money{}, core.InvalidField("taxRateBp", "must be between 0 and %d", MaxTaxRateBP)
	}
	rate, err := money.DecimalFromInt(int64(rateBP)).Mul(basisPoint)
	if err != nil {
		return money.Money{}, err
	}
	return subtotal.MulDecimal(rate)
}

// checkInput checks what BuildInvoice is asked before it bills.
func checkInput(in InvoiceInput) error {
	s, pd := in.Subscription, in.Period
	if err := s.Cycle().validate(); err != nil {
		return err
	}
	if got, err := s.Cycle().PeriodContaining(pd.Start); err != nil || !got.Start.Equal(pd.Start) || !got.End.Equal(pd.End) {
		return core.InvalidField("period", "%s to %s is not a period of the subscription's cycle",
			pd.Start.Format(time.DateOnly), pd.End.Format(time.DateOnly))
	}
	if pd.Start.Before(day(s.Anchor)) {
		return core.InvalidField("period", "the period starting %s is before the first paid period", pd.Start.Format(time.DateOnly))
	}
	ms, me, err := ParseMonth(in.Month)
	if err != nil {
		return core.InvalidField("month", "%q is not a month like \"2026-11\"", in.Month)
	}
	if !pd.End.After(ms) || pd.End.After(me) {
		return core.InvalidField("month", "the period ending %s is not billed in %s", pd.End.Format(time.DateOnly), in.Month)
	}
	if s.TaxRateBP < 0 || s.TaxRateBP > MaxTaxRateBP {
		return core.InvalidField("taxRateBp", "must be between 0 and %d", MaxTaxRateBP)
	}
	if in.DueDays < 0 {
		return core.InvalidField("dueDays", "must not be negative")
	}
	seen := make(map[string]bool, len(in.SKUs))
	for _, k := range in.SKUs {
		if seen[k.Code] {
			return core.InvalidField("skus", "code %q is repeated", k.Code)
		}
		seen[k.Code] = true
	}
	return nil
}

// periodPieces cuts [pd.Start, billedEnd) at each plan change inside it:
// the pieces in order, each with the plan in force on its first day,
// adjacent pieces on the same plan merged.
func periodPieces(s Subscription, pd Period, billedEnd time.Time) []piece {
	pieces := []piece{{from: pd.Start, to: billedEnd, planID: s.PlanAt(pd.Start)}}
	for _, sg := range s.Segments {
		from := day(sg.From)
		if !from.After(pd.Start) || !from.Before(billedEnd) {
			continue
		}
		cur := &pieces[len(pieces)-1]
		if sg.PlanID == cur.planID || !from.After(cur.from) {
			if !from.After(cur.from) {
				cur.planID = sg.PlanID
			}
			continue
		}
		cur.to = from
		pieces = append(pieces, piece{from: from, to: billedEnd, planID: sg.PlanID})
	}
	return pieces
}

func planName(p Plan) string {
	if strings.TrimSpace(p.Name) == "" {
		return p.ID
	}
	return p.Name
}

// dateRange writes [from, to) as its first and last days, "2026-11-15 to
// 2026-11-30".
func dateRange(from, to time.Time) string {
	return from.Format(time.DateOnly) + " to " + day(to).AddDate(0, 0, -1).Format(time.DateOnly)
}
