package billing_test

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/money"
)

// randTiers returns 1 to 5 tiers with ascending bounds, random sub-cent
// unit amounts and occasional flat amounts.
func randTiers(t testing.TB, r *rand.Rand) []billing.Tier {
	n := 1 + r.IntN(5)
	out := make([]billing.Tier, n)
	var bound int64
	for i := range out {
		out[i].UnitAmount = dec(t, fmt.Sprintf("%d.%04d", r.IntN(3), r.IntN(10000)))
		out[i].FlatAmount = dec(t, "0")
		if r.IntN(3) == 0 {
			out[i].FlatAmount = dec(t, fmt.Sprintf("%d.%02d", r.IntN(50), r.IntN(100)))
		}
		if i < n-1 {
			bound += 1 + r.Int64N(5000)
			b := bound
			out[i].UpTo = &b
		}
	}
	return out
}

// TestTieredTotalsProperty: a graduated line's exact total is the sum of
// its tier lines, each tier line is Quantity*UnitAmount+FlatAmount, the
// tier quantities sum to the quantity, and the amount is the exact total
// rounded once; a volume line has one tier line for the whole quantity.
func TestTieredTotalsProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	codes := []string{"USD", "JPY", "KWD"}
	for i := range 3000 {
		model := billing.Graduated
		if i%2 == 1 {
			model = billing.Volume
		}
		p := billing.Price{SKU: "s", Metric: "m", Currency: cur(t, codes[r.IntN(3)]), Model: model, Tiers: randTiers(t, r)}
		qty := r.Int64N(30000)
		line, err := p.Calculate(qty)
		if err != nil {
			t.Fatalf("Calculate(%d): %v", qty, err)
		}
		sum := money.DecimalFromInt(0)
		var units int64
		for _, b := range line.Breakdown {
			want, err := b.UnitAmount.MulInt(b.Quantity)
			if err == nil {
				want, err = want.Add(b.FlatAmount)
			}
			if err != nil || want.Cmp(b.Amount) != 0 {
				t.Fatalf("tier line %+v: got amount %s, want %s", b, b.Amount, want)
			}
			if sum, err = sum.Add(b.Amount); err != nil {
				t.Fatal(err)
			}
			units += b.Quantity
		}
		if sum.Cmp(line.Exact) != 0 {
			t.Fatalf("%s %d: got exact %s, want the sum of tier lines %s", model, qty, line.Exact, sum)
		}
		if qty > 0 && units != qty {
			t.Fatalf("%s %d: tier quantities sum to %d, want %d", model, qty, units, qty)
		}
		if model == billing.Volume && qty > 0 && len(line.Breakdown) != 1 {
			t.Fatalf("volume %d: got %d tier lines, want 1", qty, len(line.Breakdown))
		}
		rounded, err := line.Exact.Money(p.Currency)
		if err != nil || rounded != line.Amount {
			t.Fatalf("%s %d: got amount %v, want %v rounded once from %s", model, qty, line.Amount, rounded, line.Exact)
		}
	}
}

// TestAllocateProperty: Allocate's parts sum to the whole for random
// amounts and ratios, and each part is its exact share rounded down or
// up by less than one unit.
func TestAllocateProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	usd := cur(t, "USD")
	for range 20000 {
		amount := r.Int64N(1<<(1+r.IntN(62))) * int64(1-2*r.IntN(2))
		ratios := make([]int64, 1+r.IntN(8))
		var total int64
		for i := range ratios {
			if r.IntN(4) > 0 {
				ratios[i] = r.Int64N(1 << (1 + r.IntN(40)))
			}
			total += ratios[i]
		}
		if total == 0 {
			ratios[0], total = 1, 1
		}
		m := money.New(amount, usd)
		parts, err := m.Allocate(ratios)
		if err != nil {
			t.Fatalf("Allocate(%d, %v): %v", amount, ratios, err)
		}
		sum := new(big.Int)
		for i, p := range parts {
			sum.Add(sum, big.NewInt(p.Amount))
			// |part*total - amount*ratio| < total
			diff := new(big.Int).Sub(new(big.Int).Mul(big.NewInt(p.Amount), big.NewInt(total)),
				new(big.Int).Mul(big.NewInt(amount), big.NewInt(ratios[i])))
			if diff.Abs(diff).Cmp(big.NewInt(total)) >= 0 || (ratios[i] == 0 && p.Amount != 0) {
				t.Fatalf("Allocate(%d, %v): part %d is %d, more than a unit from its share", amount, ratios, i, p.Amount)
			}
		}
		if sum.Cmp(big.NewInt(amount)) != 0 {
			t.Fatalf("Allocate(%d, %v): parts sum to %s, want %d", amount, ratios, sum, amount)
		}
	}
}

// history is a random subscription history: the plans, the subscription
// after its steps, and the instant billing runs up to.
type history struct {
	plans   map[string]billing.Plan
	sub     billing.Subscription
	horizon time.Time
}

// randHistory starts a subscription on a random day and plays random
// changes, cancellations, conversions and sweeps for up to 400 days.
// When samePrice, every plan costs the same.
func randHistory(t testing.TB, r *rand.Rand, samePrice bool) history {
	usd := cur(t, "USD")
	plans := map[string]billing.Plan{}
	ids := []string{"plan_a", "plan_b", "plan_c"}
	price := 100 + r.Int64N(100000)
	for i, id := range ids {
		p := billing.Plan{ID: id, Name: id, Currency: usd, Status: billing.PlanActive,
			Prices: map[billing.Interval]int64{billing.Monthly: price, billing.Yearly: price * 10}}
		if !samePrice {
			p.Prices = map[billing.Interval]int64{billing.Monthly: r.Int64N(100000), billing.Yearly: r.Int64N(1000000)}
		}
		if i == 0 && r.IntN(2) == 0 {
			p.TrialDays = 1 + r.IntN(30)
		}
		plans[id] = p
	}
	iv := billing.Monthly
	if r.IntN(6) == 0 {
		iv = billing.Yearly
	}
	now := date("2024-01-01").Add(time.Duration(r.Int64N(3*365*24)) * time.Hour)
	s, err := billing.NewSubscription("tn_r", plans[ids[r.IntN(len(ids))]], iv, now)
	if err != nil {
		t.Fatal(err)
	}
	s.TaxRateBP = r.IntN(billing.MaxTaxRateBP + 1)
	if s.Status == billing.Trialing && r.IntN(2) == 0 {
		s, _ = s.Convert(now.Add(time.Hour))
	}
	end := now.AddDate(0, 0, 30+r.IntN(400))
	for {
		now = now.Add(time.Duration(1+r.Int64N(40*24)) * time.Hour)
		if now.After(end) {
			break
		}
		s, _ = s.Advance(now, false)
		p := plans[ids[r.IntN(len(ids))]]
		switch r.IntN(10) {
		case 0, 1, 2:
			s, _ = s.ChangePlan(p, false, now)
		case 3, 4:
			s, _ = s.ChangePlan(p, true, now)
		case 5:
			s, _ = s.Cancel(r.IntN(2) == 0, now)
		case 6, 7:
			s, _ = s.Convert(now)
		}
	}
	s, _ = s.Advance(end, false)
	return history{plans: plans, sub: s, horizon: end}
}

// invoices bills every month from the subscription's start to the
// horizon's, skipping periods that end after the horizon.
func (h history) invoices(t testing.TB, skus []billing.SKU, usage func() map[string]int64) []billing.Invoice {
	t.Helper()
	var out []billing.Invoice
	y, m, _ := h.sub.StartedAt.Date()
	for month := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC); !month.After(h.horizon); month = month.AddDate(0, 1, 0) {
		label := month.Format("2006-01")
		ms, me, err := billing.ParseMonth(label)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := h.sub.BillablePeriods(ms, me)
		if err != nil {
			t.Fatalf("BillablePeriods(%s): %v", label, err)
		}
		for _, pd := range ps {
			if pd.End.After(h.horizon) {
				continue
			}
			inv, err := billing.BuildInvoice(billing.InvoiceInput{Subscription: h.sub, Period: pd, Plans: h.plans,
				SKUs: skus, Usage: usage(), Month: label, Now: me, DueDays: 14})
			if err != nil {
				t.Fatalf("BuildInvoice(%s, %v) of %+v: %v", label, pd, h.sub, err)
			}
			out = append(out, inv)
		}
	}
	return out
}

func dayNum(t time.Time) int64 { return t.Unix() / 86400 }

// TestBilledDaysProperty: over random histories, the days billed by all
// invoices never overlap, lie after the trial and before the end of
// service, and cover every day of service in the billed periods exactly
// once, none skipped.
func TestBilledDaysProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	none := func() map[string]int64 { return nil }
	for i := range 1500 {
		h := randHistory(t, r, false)
		s := h.sub
		billed := map[int64]bool{}
		lastEnd := s.Anchor
		for _, inv := range h.invoices(t, nil, none) {
			if inv.PeriodEnd.After(lastEnd) {
				lastEnd = inv.PeriodEnd
			}
			for _, l := range inv.Lines {
				from, to := dayNum(l.PeriodStart), dayNum(l.PeriodEnd)
				if l.Kind == billing.LineProration && (l.Days != to-from || l.PeriodDays != dayNum(inv.PeriodEnd)-dayNum(inv.PeriodStart)) {
					t.Fatalf("history %d: line %+v: got %d of %d days, want %d of the period's", i, l, l.Days, l.PeriodDays, to-from)
				}
				for d := from; d < to; d++ {
					if billed[d] {
						t.Fatalf("history %d: day %s billed twice (%+v)", i, time.Unix(d*86400, 0).UTC().Format(time.DateOnly), s)
					}
					billed[d] = true
				}
			}
		}
		// The days of service after the trial, in the billed periods.
		serviceEnd := lastEnd
		if s.EndedAt != nil && s.EndedAt.Before(serviceEnd) {
			serviceEnd = *s.EndedAt
		}
		if s.TrialEnd != nil && s.ConvertedAt == nil {
			serviceEnd = s.Anchor // an unconverted trial has no paid day
		}
		var want int64
		for d := dayNum(s.Anchor); d < dayNum(serviceEnd); d++ {
			if !billed[d] {
				t.Fatalf("history %d: day %s of service not billed (%+v)", i, time.Unix(d*86400, 0).UTC().Format(time.DateOnly), s)
			}
			want++
		}
		if int64(len(billed)) != want {
			t.Fatalf("history %d: got %d billed days, want the %d days in service after the trial", i, len(billed), want)
		}
	}
}

// TestProrationSumProperty: when every plan costs the same, the
// subscription and proration lines of a period a subscription served
// throughout sum exactly to that price, however often the plan changed:
// each plan's pieces come from one Split.
func TestProrationSumProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	none := func() map[string]int64 { return nil }
	checked := 0
	for range 1500 {
		h := randHistory(t, r, true)
		for _, inv := range h.invoices(t, nil, none) {
			if e := h.sub.EndedAt; e != nil && e.Before(inv.PeriodEnd) {
				continue
			}
			var sum int64
			for _, l := range inv.Lines {
				sum += l.Amount
			}
			want := h.plans[inv.PlanID].Prices[h.sub.Interval]
			if sum != want {
				t.Fatalf("invoice %s..%s: lines sum to %d, want the price %d (%+v)", inv.PeriodStart, inv.PeriodEnd, sum, want, inv.Lines)
			}
			if len(inv.Lines) > 1 {
				checked++
			}
		}
	}
	if checked < 100 {
		t.Errorf("prorated periods checked: got %d, want at least 100", checked)
	}
}

// TestInvoiceTotalsProperty: for random histories and usage, each
// invoice's subtotal is the sum of its lines and its total the subtotal
// plus the tax, the tax being the subtotal times the rate rounded once,
// half-even (checked with math/big).
func TestInvoiceTotalsProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	usd := cur(t, "USD")
	var skus []billing.SKU
	for i, model := range []billing.Model{billing.Graduated, billing.Volume, billing.PerUnit} {
		code := fmt.Sprintf("sku_%d", i)
		p := billing.Price{SKU: code, Metric: fmt.Sprintf("m%d", i), Currency: usd, Model: model}
		if model == billing.PerUnit {
			p.UnitAmount = dec(t, "0.0015")
		} else {
			p.Tiers = randTiers(t, r)
		}
		skus = append(skus, billing.SKU{Code: code, Name: code, Aggregation: billing.AggSum, Price: p})
	}
	usage := func() map[string]int64 {
		return map[string]int64{"m0": r.Int64N(50000), "m1": r.Int64N(50000), "m2": r.Int64N(1_000_000)}
	}
	n := 0
	for range 500 {
		h := randHistory(t, r, false)
		for _, inv := range h.invoices(t, skus, usage) {
			n++
			var sum int64
			for _, l := range inv.Lines {
				sum += l.Amount
			}
			num := new(big.Int).Mul(big.NewInt(inv.Subtotal), big.NewInt(int64(inv.TaxRateBP)))
			q, rem := new(big.Int).QuoRem(num, big.NewInt(10000), new(big.Int))
			switch c := new(big.Int).Mul(rem, big.NewInt(2)).Cmp(big.NewInt(10000)); {
			case c > 0, c == 0 && q.Bit(0) == 1:
				q.Add(q, big.NewInt(1))
			}
			if inv.Subtotal != sum || inv.Tax != q.Int64() || inv.Total != inv.Subtotal+inv.Tax || inv.TaxRateBP != h.sub.TaxRateBP {
				t.Fatalf("invoice: got subtotal %d tax %d total %d at %d bp, want subtotal %d (sum of lines), tax %s, total subtotal+tax",
					inv.Subtotal, inv.Tax, inv.Total, inv.TaxRateBP, sum, q)
			}
		}
	}
	if n < 500 {
		t.Errorf("invoices checked: got %d, want at least 500", n)
	}
}

// TestSplitPiecesProperty: Split's pieces of a period at random cuts sum
// exactly to the full amount, for amounts up to the int64 range.
func TestSplitPiecesProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	codes := []string{"USD", "JPY", "KWD"}
	for range 5000 {
		c, err := billing.NewCycle(billing.Monthly, date("2024-01-31").AddDate(0, 0, r.IntN(1000)))
		if err != nil {
			t.Fatal(err)
		}
		pd, err := c.PeriodContaining(date("2026-01-01").AddDate(0, 0, r.IntN(700)))
		if err != nil {
			t.Fatal(err)
		}
		cuts := make([]time.Time, r.IntN(6))
		for i := range cuts {
			cuts[i] = pd.Start.AddDate(0, 0, r.IntN(int(pd.Days())+1))
		}
		sortTimes(cuts)
		full := money.New(r.Int64N(math.MaxInt64), cur(t, codes[r.IntN(3)]))
		parts, err := billing.Split(full, pd, cuts...)
		if err != nil {
			t.Fatal(err)
		}
		sum := new(big.Int)
		for _, p := range parts {
			sum.Add(sum, big.NewInt(p.Amount))
		}
		if sum.Cmp(big.NewInt(full.Amount)) != 0 {
			t.Fatalf("Split(%v, %v, %v): pieces sum to %s, want %d", full, pd, cuts, sum, full.Amount)
		}
	}
}
