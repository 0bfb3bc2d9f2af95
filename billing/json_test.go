package billing_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
)

func TestPriceJSON(t *testing.T) {
	in := `{"sku":"sku_api","metric":"api_calls","currency":"KWD","model":"graduated",
		"tiers":[{"upTo":100,"unitAmount":"0.010","flatAmount":"0"},{"upTo":null,"unitAmount":"0.0005","flatAmount":"1.5"}]}`
	var p billing.Price
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	line, err := p.Calculate(101)
	if err != nil {
		t.Fatal(err)
	}
	// 100*0.010 + 1*0.0005 + 1.5 = 2.5005 KWD, a tie at the fils: half-even 2.500.
	if got, want := line.Amount.Format()+" "+line.Exact.String(), "2.500 2.5005"; got != want {
		t.Errorf("Calculate(101): got %s, want %s", got, want)
	}
	for _, bad := range []string{
		`{"currency":"XXX","model":"flat"}`,
		`{"currency":"USD","model":"flat","flatAmount":"1e3"}`,
	} {
		var p billing.Price
		err := json.Unmarshal([]byte(bad), &p)
		if c := core.ErrorCode(err); c != core.CurrencyUnknown && c != core.AmountInvalid {
			t.Errorf("Unmarshal(%s): got %v, want currency_unknown or amount_invalid", bad, err)
		}
	}
}

// TestNoBinaryFractions fails if the non-test source of billing or money
// names an IEEE 754 type.
func TestNoBinaryFractions(t *testing.T) {
	for _, dir := range []string{".", "../money"} {
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
