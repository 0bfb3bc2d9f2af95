package money_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

func TestParseCurrency(t *testing.T) {
	tests := []struct {
		code string
		exp  int
		err  core.Code
	}{
		{"USD", 2, ""}, {"EUR", 2, ""}, {"GBP", 2, ""}, {"TRY", 2, ""}, {"AUD", 2, ""}, {"CAD", 2, ""}, {"CHF", 2, ""},
		{"JPY", 0, ""}, {"KRW", 0, ""},
		{"KWD", 3, ""}, {"BHD", 3, ""}, {"OMR", 3, ""}, {"JOD", 3, ""},
		{"usd", 0, core.CurrencyUnknown}, {"XXX", 0, core.CurrencyUnknown}, {"", 0, core.CurrencyUnknown}, {"BTC", 0, core.CurrencyUnknown},
	}
	for _, tt := range tests {
		c, err := money.ParseCurrency(tt.code)
		if got := core.ErrorCode(err); got != tt.err {
			t.Errorf("ParseCurrency(%q) error code: got %q, want %q", tt.code, got, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if c.Exponent() != tt.exp || c.Code() != tt.code {
			t.Errorf("ParseCurrency(%q): got %s exponent %d, want exponent %d", tt.code, c.Code(), c.Exponent(), tt.exp)
		}
	}
	if got := core.CurrencyUnknown.Class(); got != core.Invalid {
		t.Errorf("CurrencyUnknown.Class(): got %q, want %q", got, core.Invalid)
	}
}

func TestAddSub(t *testing.T) {
	usd, eur := cur(t, "USD"), cur(t, "EUR")
	tests := []struct {
		name   string
		a, b   money.Money
		add    int64
		sub    int64
		addErr core.Code
		subErr core.Code
	}{
		{"plain", money.New(4900, usd), money.New(199, usd), 5099, 4701, "", ""},
		{"negative", money.New(-5, usd), money.New(7, usd), 2, -12, "", ""},
		{"mixed currencies", money.New(1, usd), money.New(1, eur), 0, 0, core.CurrencyMismatch, core.CurrencyMismatch},
		{"add overflow", money.New(math.MaxInt64, usd), money.New(1, usd), 0, math.MaxInt64 - 1, core.AmountOverflow, ""},
		{"sub overflow", money.New(math.MinInt64, usd), money.New(1, usd), math.MinInt64 + 1, 0, "", core.AmountOverflow},
		{"add min overflow", money.New(math.MinInt64, usd), money.New(-1, usd), 0, math.MinInt64 + 1, core.AmountOverflow, ""},
		{"sub of min", money.New(0, usd), money.New(math.MinInt64, usd), math.MinInt64, 0, "", core.AmountOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.a.Add(tt.b)
			if c := core.ErrorCode(err); c != tt.addErr {
				t.Fatalf("Add error: got %q, want %q", c, tt.addErr)
			}
			if err == nil && (got.Amount != tt.add || got.Currency != tt.a.Currency) {
				t.Errorf("Add: got %v, want %d", got, tt.add)
			}
			got, err = tt.a.Sub(tt.b)
			if c := core.ErrorCode(err); c != tt.subErr {
				t.Fatalf("Sub error: got %q, want %q", c, tt.subErr)
			}
			if err == nil && got.Amount != tt.sub {
				t.Errorf("Sub: got %v, want %d", got, tt.sub)
			}
		})
	}
}

func TestMul(t *testing.T) {
	usd := cur(t, "USD")
	tests := []struct {
		a, n int64
		want int64
		err  core.Code
	}{
		{4900, 3, 14700, ""},
		{-4900, 3, -14700, ""},
		{-1, -1, 1, ""},
		{0, math.MinInt64, 0, ""},
		{math.MaxInt64, 1, math.MaxInt64, ""},
		{math.MaxInt64, 2, 0, core.AmountOverflow},
		{math.MinInt64, 1, math.MinInt64, ""},
		{math.MinInt64, -1, 0, core.AmountOverflow},
		{1 << 62, -2, math.MinInt64, ""},
		{1 << 62, 2, 0, core.AmountOverflow},
		{1 << 32, 1 << 32, 0, core.AmountOverflow},
	}
	for _, tt := range tests {
		got, err := money.New(tt.a, usd).Mul(tt.n)
		if c := core.ErrorCode(err); c != tt.err {
			t.Errorf("%d.Mul(%d) error: got %q, want %q", tt.a, tt.n, c, tt.err)
			continue
		}
		if err == nil && got.Amount != tt.want {
			t.Errorf("%d.Mul(%d): got %d, want %d", tt.a, tt.n, got.Amount, tt.want)
		}
	}
}

func TestMulDecimalHalfEven(t *testing.T) {
	tests := []struct {
		cur    string
		amount int64
		by     string
		want   int64
		err    core.Code
	}{
		{"USD", 100, "0.125", 12, ""},  // 12.5 cents -> 12 (even)
		{"USD", 100, "0.135", 14, ""},  // 13.5 -> 14 (even)
		{"USD", 100, "0.1251", 13, ""}, // above half
		{"USD", -100, "0.125", -12, ""},
		{"USD", -100, "0.135", -14, ""},
		{"JPY", 5, "0.5", 2, ""}, // 2.5 yen -> 2
		{"JPY", 7, "0.5", 4, ""}, // 3.5 yen -> 4
		{"KWD", 1, "0.5", 0, ""}, // 0.5 fils -> 0
		{"KWD", 3, "0.5", 2, ""}, // 1.5 fils -> 2
		{"USD", math.MaxInt64, "2", 0, core.AmountOverflow},
		{"USD", math.MaxInt64, "1.0000", math.MaxInt64, ""},
	}
	for _, tt := range tests {
		c := cur(t, tt.cur)
		d, err := money.ParseDecimal(tt.by)
		if err != nil {
			t.Fatalf("ParseDecimal(%q): %v", tt.by, err)
		}
		got, err := money.New(tt.amount, c).MulDecimal(d)
		if code := core.ErrorCode(err); code != tt.err {
			t.Errorf("%d %s * %s error: got %q, want %q", tt.amount, tt.cur, tt.by, code, tt.err)
			continue
		}
		if err == nil && got.Amount != tt.want {
			t.Errorf("%d %s * %s: got %d, want %d", tt.amount, tt.cur, tt.by, got.Amount, tt.want)
		}
	}
}

func TestDecimalMoneyRounding(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
	}{
		{"0.005", "USD", 0}, {"0.015", "USD", 2}, {"0.025", "USD", 2}, {"-0.025", "USD", -2},
		{"49", "USD", 4900}, {"0.0049999", "USD", 0}, {"0.0050001", "USD", 1},
		{"100.5", "JPY", 100}, {"101.5", "JPY", 102}, {"1.2505", "KWD", 1250}, {"1.2515", "KWD", 1252},
		{"92233720368547758.07", "USD", math.MaxInt64},
	}
	for _, tt := range tests {
		d, err := money.ParseDecimal(tt.in)
		if err != nil {
			t.Fatalf("ParseDecimal(%q): %v", tt.in, err)
		}
		got, err := d.Money(cur(t, tt.cur))
		if err != nil {
			t.Errorf("%s.Money(%s): %v", tt.in, tt.cur, err)
			continue
		}
		if got.Amount != tt.want {
			t.Errorf("%s.Money(%s): got %d, want %d", tt.in, tt.cur, got.Amount, tt.want)
		}
	}
	d, _ := money.ParseDecimal("92233720368547758.08")
	if _, err := d.Money(cur(t, "USD")); core.ErrorCode(err) != core.AmountOverflow {
		t.Errorf("past MaxInt64: got %v, want %q", err, core.AmountOverflow)
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in, want string
		err      core.Code
	}{
		{"0.001", "0.001", ""}, {"-12.50", "-12.50", ""}, {"7", "7", ""},
		{"1e-3", "", core.AmountInvalid}, {"+1", "", core.AmountInvalid}, {".5", "", core.AmountInvalid},
		{"5.", "", core.AmountInvalid}, {"NaN", "", core.AmountInvalid}, {"Infinity", "", core.AmountInvalid},
		{"", "", core.AmountInvalid}, {"1 ", "", core.AmountInvalid}, {"--1", "", core.AmountInvalid},
		{strings.Repeat("9", 41), "", core.AmountInvalid},
	}
	for _, tt := range tests {
		d, err := money.ParseDecimal(tt.in)
		if c := core.ErrorCode(err); c != tt.err {
			t.Errorf("ParseDecimal(%q) error: got %q, want %q", tt.in, c, tt.err)
			continue
		}
		if err == nil && d.String() != tt.want {
			t.Errorf("ParseDecimal(%q): got %s, want %s", tt.in, d, tt.want)
		}
	}
}

func TestAllocateGolden(t *testing.T) {
	usd := cur(t, "USD")
	tests := []struct {
		name   string
		amount int64
		ratios []int64
		want   []int64
		err    core.Code
	}{
		{"even thirds", 100, []int64{1, 1, 1}, []int64{34, 33, 33}, ""},
		{"tie to lower index", 5, []int64{1, 1, 1, 1}, []int64{2, 1, 1, 1}, ""},
		{"largest remainder", 10, []int64{3, 3, 4}, []int64{3, 3, 4}, ""},
		{"remainder not first", 100, []int64{1, 2}, []int64{33, 67}, ""},
		{"negative mirrors", -100, []int64{1, 1, 1}, []int64{-34, -33, -33}, ""},
		{"zero ratio gets nothing", 7, []int64{0, 1, 0, 1}, []int64{0, 4, 0, 3}, ""},
		{"zero amount", 0, []int64{1, 2}, []int64{0, 0}, ""},
		{"min int", math.MinInt64, []int64{1, 1}, []int64{math.MinInt64 / 2, math.MinInt64 / 2}, ""},
		{"max int", math.MaxInt64, []int64{1, 1}, []int64{math.MaxInt64/2 + 1, math.MaxInt64 / 2}, ""},
		{"days 10 of 31", 4900, []int64{10, 21}, []int64{1581, 3319}, ""},
		{"no ratios", 1, nil, nil, core.AmountInvalid},
		{"all zero", 1, []int64{0, 0}, nil, core.AmountInvalid},
		{"negative ratio", 1, []int64{2, -1}, nil, core.AmountInvalid},
		{"ratio sum overflow", 1, []int64{math.MaxInt64, 1}, nil, core.AmountInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, err := money.New(tt.amount, usd).Allocate(tt.ratios)
			if c := core.ErrorCode(err); c != tt.err {
				t.Fatalf("Allocate error: got %q, want %q", c, tt.err)
			}
			var got []int64
			for _, p := range parts {
				if p.Currency != usd {
					t.Errorf("part currency: got %s, want USD", p.Currency)
				}
				got = append(got, p.Amount)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Allocate(%d, %v) mismatch (-want +got):\n%s", tt.amount, tt.ratios, diff)
			}
		})
	}
}

func TestAllocatePropertySumsToWhole(t *testing.T) {
	usd := cur(t, "USD")
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		amount := r.Int64N(1<<40) - 1<<39
		if i%50 == 0 {
			amount = []int64{math.MaxInt64, math.MinInt64, 0, 1, -1}[i/50%5]
		}
		n := 1 + r.IntN(12)
		ratios := make([]int64, n)
		var sum int64
		for j := range ratios {
			ratios[j] = r.Int64N(1000)
			sum += ratios[j]
		}
		if sum == 0 {
			ratios[0] = 1
			sum = 1
		}
		parts, err := money.New(amount, usd).Allocate(ratios)
		if err != nil {
			t.Fatalf("Allocate(%d, %v): %v", amount, ratios, err)
		}
		var total int64
		for j, p := range parts {
			total += p.Amount // wraps identically to amount if it overflows mid-way
			if ratios[j] == 0 && p.Amount != 0 {
				t.Errorf("Allocate(%d, %v) part %d: got %d, want 0 for a zero ratio", amount, ratios, j, p.Amount)
			}
			if (amount >= 0 && p.Amount < 0) || (amount <= 0 && p.Amount > 0) {
				t.Errorf("Allocate(%d, %v) part %d: got %d, want the sign of the whole", amount, ratios, j, p.Amount)
			}
		}
		if total != amount {
			t.Fatalf("Allocate(%d, %v): parts sum to %d, want %d", amount, ratios, total, amount)
		}
	}
}

func TestFormatParse(t *testing.T) {
	tests := []struct {
		cur    string
		amount int64
		text   string
	}{
		{"USD", 4900, "49.00"}, {"USD", 199, "1.99"}, {"USD", 5, "0.05"}, {"USD", -5, "-0.05"}, {"USD", 0, "0.00"},
		{"JPY", 100, "100"}, {"JPY", -7, "-7"}, {"KRW", 0, "0"},
		{"KWD", 1250, "1.250"}, {"BHD", 1, "0.001"}, {"JOD", -1001, "-1.001"},
		{"USD", math.MaxInt64, "92233720368547758.07"}, {"USD", math.MinInt64, "-92233720368547758.08"},
		{"JPY", math.MinInt64, "-9223372036854775808"},
	}
	for _, tt := range tests {
		c := cur(t, tt.cur)
		if got := money.New(tt.amount, c).Format(); got != tt.text {
			t.Errorf("Format(%d %s): got %q, want %q", tt.amount, tt.cur, got, tt.text)
		}
		got, err := money.Parse(tt.text, c)
		if err != nil {
			t.Errorf("Parse(%q, %s): %v", tt.text, tt.cur, err)
			continue
		}
		if got != money.New(tt.amount, c) {
			t.Errorf("Parse(%q, %s): got %v, want %d", tt.text, tt.cur, got, tt.amount)
		}
	}
}

func TestParseRules(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		err     core.Code
	}{
		{"49", "USD", 4900, ""}, {"49.0", "USD", 4900, ""}, {"1.5", "KWD", 1500, ""}, {"007", "JPY", 7, ""},
		{"1.999", "USD", 0, core.AmountInvalid}, // more digits than the exponent
		{"1.0", "JPY", 0, core.AmountInvalid},
		{"1.2345", "KWD", 0, core.AmountInvalid},
		{"1e2", "USD", 0, core.AmountInvalid}, {"1E2", "USD", 0, core.AmountInvalid},
		{"+1", "USD", 0, core.AmountInvalid}, {"", "USD", 0, core.AmountInvalid}, {"-", "USD", 0, core.AmountInvalid},
		{".5", "USD", 0, core.AmountInvalid}, {"5.", "USD", 0, core.AmountInvalid}, {" 5", "USD", 0, core.AmountInvalid},
		{"1,00", "USD", 0, core.AmountInvalid}, {"NaN", "USD", 0, core.AmountInvalid}, {"0x10", "USD", 0, core.AmountInvalid},
		{"92233720368547758.08", "USD", 0, core.AmountOverflow},
		{"99999999999999999999999", "JPY", 0, core.AmountOverflow},
	}
	for _, tt := range tests {
		got, err := money.Parse(tt.in, cur(t, tt.cur))
		if c := core.ErrorCode(err); c != tt.err {
			t.Errorf("Parse(%q, %s) error: got %q, want %q", tt.in, tt.cur, c, tt.err)
			continue
		}
		if err == nil && got.Amount != tt.want {
			t.Errorf("Parse(%q, %s): got %d, want %d", tt.in, tt.cur, got.Amount, tt.want)
		}
	}
	if _, err := money.Parse("1", money.Currency{}); core.ErrorCode(err) != core.CurrencyUnknown {
		t.Errorf("Parse with zero currency: got %v, want %q", err, core.CurrencyUnknown)
	}
}

func TestFormatParseRoundTripProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, code := range []string{"USD", "JPY", "KWD"} {
		c := cur(t, code)
		for range 3000 {
			m := money.New(int64(r.Uint64()), c)
			got, err := money.Parse(m.Format(), c)
			if err != nil || got != m {
				t.Fatalf("Parse(Format(%d %s)=%q): got %v, %v, want %v", m.Amount, code, m.Format(), got, err, m)
			}
		}
	}
}

func TestJSON(t *testing.T) {
	m := money.New(4900, cur(t, "USD"))
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"amount":4900,"currency":"USD"}`; got != want {
		t.Errorf("Marshal: got %s, want %s", got, want)
	}
	var back money.Money
	if err := json.Unmarshal([]byte(`{"amount": 1250, "currency": "KWD"}`), &back); err != nil {
		t.Fatal(err)
	}
	if back != money.New(1250, cur(t, "KWD")) {
		t.Errorf("Unmarshal: got %v, want 1.250 KWD", back)
	}
	err = json.Unmarshal([]byte(`{"amount": 1, "currency": "XXX"}`), &back)
	if core.ErrorCode(err) != core.CurrencyUnknown {
		t.Errorf("Unmarshal unknown currency: got %v, want %q", err, core.CurrencyUnknown)
	}
	if _, err := json.Marshal(money.Money{Amount: 1}); err == nil {
		t.Errorf("Marshal zero currency: got nil error, want %q", core.CurrencyUnknown)
	}
}

// TestNoBinaryFractions fails if the non-test source of money or billing
// names an IEEE 754 type.
func TestNoBinaryFractions(t *testing.T) {
	for _, dir := range []string{".", "../billing"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Errorf("%s: got no Go files, want some", dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(strings.ToLower(string(b)), "float") {
				t.Errorf("%s: got the word float, want none in money or billing", f)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"49.00", "1.99", "-0.05", "1e3", "", ".", "-", "1.250", "92233720368547758.08", "00.1"} {
		f.Add(s, uint8(0))
	}
	codes := []string{"USD", "JPY", "KWD"}
	f.Fuzz(func(t *testing.T, s string, ci uint8) {
		c, _ := money.ParseCurrency(codes[int(ci)%len(codes)])
		m, err := money.Parse(s, c)
		if err != nil {
			if code := core.ErrorCode(err); code != core.AmountInvalid && code != core.AmountOverflow {
				t.Fatalf("Parse(%q) error code: got %q, want amount_invalid or amount_overflow", s, code)
			}
			return
		}
		back, err := money.Parse(m.Format(), c)
		if err != nil || back != m {
			t.Fatalf("Parse(Format(Parse(%q))): got %v, %v, want %v", s, back, err, m)
		}
		if len(s) > 40 {
			return // ParseDecimal bounds its digits; leading zeros may pass Parse
		}
		if d, err := money.ParseDecimal(s); err != nil {
			t.Fatalf("ParseDecimal(%q) after Parse accepted it: %v", s, err)
		} else if mm, err := d.Money(c); err != nil || mm != m {
			t.Fatalf("ParseDecimal(%q).Money: got %v, %v, want %v", s, mm, err, m)
		}
	})
}

func BenchmarkAllocate(b *testing.B) {
	m := money.New(4900, money.Currency{})
	ratios := []int64{10, 21, 7, 3, 1, 31, 2, 9}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Allocate(ratios); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPredefinedCurrencies(t *testing.T) {
	for _, c := range []money.Currency{money.USD, money.EUR, money.TRY, money.JPY, money.KWD} {
		got, err := money.ParseCurrency(c.Code())
		if err != nil || got != c {
			t.Errorf("ParseCurrency(%q) = %v, %v; want %v", c.Code(), got, err, c)
		}
	}
}
