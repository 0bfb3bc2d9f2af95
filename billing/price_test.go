package billing_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/google/go-cmp/cmp"
)

func cur(t testing.TB, code string) money.Currency {
	t.Helper()
	c, err := money.ParseCurrency(code)
	if err != nil {
		t.Fatalf("ParseCurrency(%q): %v", code, err)
	}
	return c
}

func dec(t testing.TB, s string) money.Decimal {
	t.Helper()
	d, err := money.ParseDecimal(s)
	if err != nil {
		t.Fatalf("ParseDecimal(%q): %v", s, err)
	}
	return d
}

func up(v int64) *int64 { return &v }

// tiers builds tiers from (upTo, unit, flat) triples; upTo 0 is unbounded.
func tiers(t testing.TB, spec ...any) []billing.Tier {
	t.Helper()
	var out []billing.Tier
	for i := 0; i < len(spec); i += 3 {
		tr := billing.Tier{UnitAmount: dec(t, spec[i+1].(string)), FlatAmount: dec(t, spec[i+2].(string))}
		if b := int64(spec[i].(int)); b != 0 {
			tr.UpTo = up(b)
		}
		out = append(out, tr)
	}
	return out
}

// fiveTiers: 1-100 at 0.10, 101-1000 at 0.08 (+1.00 flat), 1001-10000 at
// 0.05, 10001-100000 at 0.0125, beyond at 0.001.
func fiveTiers(t testing.TB, model billing.Model, code string) billing.Price {
	return billing.Price{SKU: "sku_api", Metric: "api_calls", Currency: cur(t, code), Model: model,
		Tiers: tiers(t, 100, "0.10", "0", 1000, "0.08", "1.00", 10000, "0.05", "0", 100000, "0.0125", "0", 0, "0.001", "0")}
}

func TestCalculateGolden(t *testing.T) {
	tests := []struct {
		name   string
		price  billing.Price
		qty    int64
		amount int64    // minor units
		exact  string   // unrounded total
		parts  []string // exact breakdown amounts
	}{
		{"flat", billing.Price{Currency: cur(t, "USD"), Model: billing.Flat, FlatAmount: dec(t, "49")}, 7, 4900, "49", []string{"49"}},
		{"flat at zero", billing.Price{Currency: cur(t, "USD"), Model: billing.Flat, FlatAmount: dec(t, "49")}, 0, 4900, "49", []string{"49"}},
		{"per unit tenth of a cent", billing.Price{Currency: cur(t, "USD"), Model: billing.PerUnit, UnitAmount: dec(t, "0.001")}, 12345, 1234, "12.345", []string{"12.345"}},
		{"per unit half-even down", billing.Price{Currency: cur(t, "USD"), Model: billing.PerUnit, UnitAmount: dec(t, "0.001")}, 125, 12, "0.125", []string{"0.125"}},
		{"per unit half-even up", billing.Price{Currency: cur(t, "USD"), Model: billing.PerUnit, UnitAmount: dec(t, "0.001")}, 135, 14, "0.135", []string{"0.135"}},
		{"per unit JPY", billing.Price{Currency: cur(t, "JPY"), Model: billing.PerUnit, UnitAmount: dec(t, "0.5")}, 5, 2, "2.5", []string{"2.5"}},
		{"per unit KWD", billing.Price{Currency: cur(t, "KWD"), Model: billing.PerUnit, UnitAmount: dec(t, "0.0125")}, 100, 1250, "1.2500", []string{"1.2500"}},
		{"package up partial", billing.Price{Currency: cur(t, "USD"), Model: billing.Package, UnitAmount: dec(t, "5"), PackageSize: 100, PackageRounding: billing.RoundUp}, 101, 1000, "10", []string{"10"}},
		{"package up exact", billing.Price{Currency: cur(t, "USD"), Model: billing.Package, UnitAmount: dec(t, "5"), PackageSize: 100, PackageRounding: billing.RoundUp}, 200, 1000, "10", []string{"10"}},
		{"package down partial", billing.Price{Currency: cur(t, "USD"), Model: billing.Package, UnitAmount: dec(t, "5"), PackageSize: 100, PackageRounding: billing.RoundDown}, 199, 500, "5", []string{"5"}},
		{"package down below one", billing.Price{Currency: cur(t, "USD"), Model: billing.Package, UnitAmount: dec(t, "5"), PackageSize: 100, PackageRounding: billing.RoundDown}, 99, 0, "0", []string{"0"}},
		{"package up zero", billing.Price{Currency: cur(t, "USD"), Model: billing.Package, UnitAmount: dec(t, "5"), PackageSize: 100, PackageRounding: billing.RoundUp}, 0, 0, "0", []string{"0"}},
		// Graduated vs volume at each edge of fiveTiers.
		{"graduated 0", fiveTiers(t, billing.Graduated, "USD"), 0, 0, "0", nil},
		{"graduated 1", fiveTiers(t, billing.Graduated, "USD"), 1, 10, "0.10", []string{"0.10"}},
		{"graduated 100 edge", fiveTiers(t, billing.Graduated, "USD"), 100, 1000, "10.00", []string{"10.00"}},
		{"graduated 101 past edge", fiveTiers(t, billing.Graduated, "USD"), 101, 1108, "11.08", []string{"10.00", "1.08"}},
		{"graduated 1000 edge", fiveTiers(t, billing.Graduated, "USD"), 1000, 8300, "83.00", []string{"10.00", "73.00"}},
		{"graduated 1001", fiveTiers(t, billing.Graduated, "USD"), 1001, 8305, "83.05", []string{"10.00", "73.00", "0.05"}},
		{"graduated 10000 edge", fiveTiers(t, billing.Graduated, "USD"), 10000, 53300, "533.00", []string{"10.00", "73.00", "450.00"}},
		{"graduated 100000 edge", fiveTiers(t, billing.Graduated, "USD"), 100000, 165800, "1658.0000", []string{"10.00", "73.00", "450.00", "1125.0000"}},
		{"graduated 100001", fiveTiers(t, billing.Graduated, "USD"), 100001, 165800, "1658.0010", []string{"10.00", "73.00", "450.00", "1125.0000", "0.001"}},
		{"volume 0", fiveTiers(t, billing.Volume, "USD"), 0, 0, "0", nil},
		{"volume 100 edge", fiveTiers(t, billing.Volume, "USD"), 100, 1000, "10.00", []string{"10.00"}},
		{"volume 101 past edge", fiveTiers(t, billing.Volume, "USD"), 101, 908, "9.08", []string{"9.08"}},
		{"volume 1000 edge", fiveTiers(t, billing.Volume, "USD"), 1000, 8100, "81.00", []string{"81.00"}},
		{"volume 1001", fiveTiers(t, billing.Volume, "USD"), 1001, 5005, "50.05", []string{"50.05"}},
		{"volume 10000 edge", fiveTiers(t, billing.Volume, "USD"), 10000, 50000, "500.00", []string{"500.00"}},
		{"volume 10001", fiveTiers(t, billing.Volume, "USD"), 10001, 12501, "125.0125", []string{"125.0125"}},
		{"volume 100000 edge", fiveTiers(t, billing.Volume, "USD"), 100000, 125000, "1250.0000", []string{"1250.0000"}},
		{"volume 100001", fiveTiers(t, billing.Volume, "USD"), 100001, 10000, "100.001", []string{"100.001"}},
		// 533.0125 KWD is a tie at the fils: half-even keeps 533.012.
		{"graduated KWD", fiveTiers(t, billing.Graduated, "KWD"), 10001, 533012, "533.0125", []string{"10.00", "73.00", "450.00", "0.0125"}},
		{"volume JPY rounds once", billing.Price{Currency: cur(t, "JPY"), Model: billing.Volume, Tiers: tiers(t, 10, "1.5", "0", 0, "0.5", "0.5")}, 11, 6, "6.0", []string{"6.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, err := tt.price.Calculate(tt.qty)
			if err != nil {
				t.Fatalf("Calculate(%d): %v", tt.qty, err)
			}
			if line.Amount != money.New(tt.amount, tt.price.Currency) {
				t.Errorf("Calculate(%d).Amount: got %v, want %d minor units", tt.qty, line.Amount, tt.amount)
			}
			if got := line.Exact.String(); got != tt.exact {
				t.Errorf("Calculate(%d).Exact: got %s, want %s", tt.qty, got, tt.exact)
			}
			var parts []string
			for _, b := range line.Breakdown {
				parts = append(parts, b.Amount.String())
			}
			if diff := cmp.Diff(tt.parts, parts); diff != "" {
				t.Errorf("Calculate(%d) breakdown mismatch (-want +got):\n%s", tt.qty, diff)
			}
		})
	}
}

func TestCalculateBreakdownFields(t *testing.T) {
	line, err := fiveTiers(t, billing.Graduated, "USD").Calculate(1001)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Tier       int
		From       int64
		To         *int64
		Quantity   int64
		Unit, Flat string
	}
	var got []row
	for _, b := range line.Breakdown {
		got = append(got, row{b.Tier, b.From, b.To, b.Quantity, b.UnitAmount.String(), b.FlatAmount.String()})
	}
	want := []row{
		{0, 0, up(100), 100, "0.10", "0"},
		{1, 100, up(1000), 900, "0.08", "1.00"},
		{2, 1000, up(10000), 1, "0.05", "0"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("breakdown mismatch (-want +got):\n%s", diff)
	}
	b, err := json.Marshal(line.Breakdown[2])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"tier":2,"from":1000,"to":10000,"quantity":1,"unitAmount":"0.05","flatAmount":"0","amount":"0.05"}`; got != want {
		t.Errorf("TierLine JSON: got %s, want %s", got, want)
	}
}

func TestValidate(t *testing.T) {
	usd := cur(t, "USD")
	tests := []struct {
		name   string
		price  billing.Price
		fields []string
	}{
		{"ok graduated", billing.Price{Currency: usd, Model: billing.Graduated, Tiers: tiers(t, 10, "1", "0", 0, "0.5", "0")}, nil},
		{"no currency", billing.Price{Model: billing.Flat}, []string{"currency"}},
		{"unknown model", billing.Price{Currency: usd, Model: "stairstep"}, []string{"model"}},
		{"negative unit", billing.Price{Currency: usd, Model: billing.PerUnit, UnitAmount: dec(t, "-1")}, []string{"unitAmount"}},
		{"package without size", billing.Price{Currency: usd, Model: billing.Package}, []string{"packageSize", "packageRounding"}},
		{"no tiers", billing.Price{Currency: usd, Model: billing.Volume}, []string{"tiers"}},
		{"descending bounds", billing.Price{Currency: usd, Model: billing.Graduated, Tiers: tiers(t, 10, "1", "0", 5, "1", "0", 0, "1", "0")}, []string{"tiers[1].upTo"}},
		{"equal bounds", billing.Price{Currency: usd, Model: billing.Graduated, Tiers: tiers(t, 10, "1", "0", 10, "1", "0", 0, "1", "0")}, []string{"tiers[1].upTo"}},
		{"negative bound", billing.Price{Currency: usd, Model: billing.Volume, Tiers: []billing.Tier{{UpTo: up(-1)}, {}}}, []string{"tiers[0].upTo"}},
		{"last bounded", billing.Price{Currency: usd, Model: billing.Volume, Tiers: tiers(t, 10, "1", "0", 20, "1", "0")}, []string{"tiers[1].upTo"}},
		{"middle unbounded", billing.Price{Currency: usd, Model: billing.Volume, Tiers: tiers(t, 10, "1", "0", 0, "1", "0", 0, "1", "0")}, []string{"tiers[1].upTo"}},
		{"negative tier amounts", billing.Price{Currency: usd, Model: billing.Volume, Tiers: tiers(t, 0, "-1", "-2")}, []string{"tiers[0].unitAmount", "tiers[0].flatAmount"}},
		{"tiers on flat", billing.Price{Currency: usd, Model: billing.Flat, Tiers: tiers(t, 0, "1", "0")}, []string{"tiers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.price.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Validate: got %v, want nil", err)
				}
				return
			}
			if c := core.ErrorCode(err); c != core.PriceInvalid {
				t.Fatalf("Validate code: got %q, want %q", c, core.PriceInvalid)
			}
			var fields []string
			for _, f := range err.(*core.Error).Fields {
				fields = append(fields, f.Field)
			}
			if diff := cmp.Diff(tt.fields, fields); diff != "" {
				t.Errorf("Validate fields mismatch (-want +got):\n%s", diff)
			}
			if _, err := tt.price.Calculate(1); core.ErrorCode(err) != core.PriceInvalid {
				t.Errorf("Calculate on invalid price: got %v, want %q", err, core.PriceInvalid)
			}
		})
	}
	if got := core.PriceInvalid.Class(); got != core.Invalid {
		t.Errorf("PriceInvalid.Class(): got %q, want %q", got, core.Invalid)
	}
}

func TestCalculateErrors(t *testing.T) {
	usd := cur(t, "USD")
	if _, err := (billing.Price{Currency: usd, Model: billing.PerUnit, UnitAmount: dec(t, "1")}).Calculate(-1); core.ErrorCode(err) != core.Invalid {
		t.Errorf("negative quantity: got %v, want %q", err, core.Invalid)
	}
	huge := billing.Price{Currency: usd, Model: billing.PerUnit, UnitAmount: dec(t, "1000000000")}
	if _, err := huge.Calculate(math.MaxInt64); core.ErrorCode(err) != core.AmountOverflow {
		t.Errorf("overflowing total: got %v, want %q", err, core.AmountOverflow)
	}
}

// TestGraduatedSumOfTiersProperty: for random tiers and quantities, the
// breakdown's exact amounts sum to the exact total, the quantities sum to
// the quantity, the amount is the total rounded once, and a volume price
// charges a single tier.
func TestGraduatedSumOfTiersProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	usd := cur(t, "USD")
	for range 2000 {
		n := 1 + r.IntN(6)
		var ts []billing.Tier
		var bound int64
		for i := range n {
			tr := billing.Tier{
				UnitAmount: money.DecimalFromInt(r.Int64N(100000)),
				FlatAmount: money.DecimalFromInt(r.Int64N(1000)),
			}
			// Scale the unit amount to 4 fraction digits of a dollar.
			tr.UnitAmount, _ = tr.UnitAmount.Mul(dec(t, "0.0001"))
			if i < n-1 {
				bound += 1 + r.Int64N(500)
				tr.UpTo = up(bound)
			}
			ts = append(ts, tr)
		}
		qty := r.Int64N(bound + 1000)
		for _, model := range []billing.Model{billing.Graduated, billing.Volume} {
			p := billing.Price{Currency: usd, Model: model, Tiers: ts}
			line, err := p.Calculate(qty)
			if err != nil {
				t.Fatalf("Calculate(%d): %v", qty, err)
			}
			var sum money.Decimal
			var units int64
			for _, b := range line.Breakdown {
				sum, _ = sum.Add(b.Amount)
				units += b.Quantity
			}
			if sum.Cmp(line.Exact) != 0 {
				t.Fatalf("%s qty %d: tiers sum to %s, want the total %s", model, qty, sum, line.Exact)
			}
			if units != qty {
				t.Fatalf("%s qty %d: tier quantities sum to %d, want %d", model, qty, units, qty)
			}
			rounded, err := sum.Money(usd)
			if err != nil || rounded != line.Amount {
				t.Fatalf("%s qty %d: amount %v, want round(%s) = %v", model, qty, line.Amount, sum, rounded)
			}
			if model == billing.Volume && qty > 0 && len(line.Breakdown) != 1 {
				t.Fatalf("volume qty %d: got %d tiers, want 1", qty, len(line.Breakdown))
			}
		}
	}
}

func FuzzCalculate(f *testing.F) {
	f.Add(int64(101), int64(100), int64(1000), uint8(0))
	f.Add(int64(0), int64(1), int64(2), uint8(1))
	f.Add(int64(math.MaxInt64), int64(5), int64(math.MaxInt64-1), uint8(2))
	f.Fuzz(func(t *testing.T, qty, b1, b2 int64, mode uint8) {
		usd, _ := money.ParseCurrency("USD")
		unit, _ := money.ParseDecimal("0.0125")
		models := []billing.Model{billing.Graduated, billing.Volume, billing.Package}
		p := billing.Price{Currency: usd, Model: models[int(mode)%3], UnitAmount: unit,
			PackageSize: b1, PackageRounding: billing.RoundUp,
			Tiers: []billing.Tier{{UpTo: &b1, UnitAmount: unit}, {UpTo: &b2, UnitAmount: unit}, {UnitAmount: unit}}}
		if p.Model == billing.Package {
			p.Tiers = nil
		}
		line, err := p.Calculate(qty)
		if err != nil {
			switch core.ErrorCode(err) {
			case core.PriceInvalid, core.Invalid, core.AmountOverflow:
				return
			}
			t.Fatalf("Calculate(%d): unexpected error %v", qty, err)
		}
		var sum money.Decimal
		for _, b := range line.Breakdown {
			sum, _ = sum.Add(b.Amount)
		}
		if sum.Cmp(line.Exact) != 0 {
			t.Fatalf("Calculate(%d): breakdown sums to %s, want %s", qty, sum, line.Exact)
		}
		if line.Amount.Amount < 0 {
			t.Fatalf("Calculate(%d): got negative amount %v", qty, line.Amount)
		}
	})
}

func BenchmarkCalculateGraduated5Tiers(b *testing.B) {
	p := fiveTiers(b, billing.Graduated, "USD")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Calculate(123456); err != nil {
			b.Fatal(err)
		}
	}
}
