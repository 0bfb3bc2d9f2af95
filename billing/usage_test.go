package billing_test

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/atomixplatform/atomix/billing"
)

func TestPerMille(t *testing.T) {
	tests := []struct {
		name        string
		used, limit int64
		want        int64
	}{
		{"none used", 0, 10, 0},
		{"negative used", -5, 10, 0},
		{"unlimited", 5, billing.Unlimited, 0},
		{"zero limit", 5, 0, 0},
		{"half", 5, 10, 500},
		{"full", 10, 10, 1000},
		{"over", 15, 10, 1500},
		{"4.8%", 48, 1000, 48},
		{"one third", 1, 3, 333},                // 333.33
		{"two thirds", 2, 3, 667},               // 666.67
		{"tie down to even", 1, 2000, 0},        // 0.5 -> 0
		{"tie up to even", 3, 2000, 2},          // 1.5 -> 2
		{"tie 2.5 to 2", 5, 2000, 2},            // 2.5 -> 2
		{"tie 999.5 to 1000", 1999, 2000, 1000}, // 999.5 -> 1000
		{"just under a tie", 1, 2001, 0},        // 0.49975
		{"just over a tie", 1001, 2000000, 1},   // 0.5005
		{"huge used, limit 1", math.MaxInt64, 1, math.MaxInt64},
		{"largest exact quotient", math.MaxInt64 / 1000, 1, math.MaxInt64 / 1000 * 1000},
		{"huge both", math.MaxInt64, math.MaxInt64, 1000},
		{"huge limit", 1, math.MaxInt64, 0},
		{"limit above 9.2e17", billing.MaxLimitValue - 1, billing.MaxLimitValue, 1000}, // 999.999999999999999
		{"half of a huge limit", billing.MaxLimitValue / 2, billing.MaxLimitValue, 500},
		{"huge tie down", 1e15, 2e18, 0}, // 0.5 -> 0
		{"huge tie up", 3e15, 2e18, 2},   // 1.5 -> 2
	}
	for _, tt := range tests {
		if got := billing.PerMille(tt.used, tt.limit); got != tt.want {
			t.Errorf("%s: PerMille(%d, %d): got %d, want %d", tt.name, tt.used, tt.limit, got, tt.want)
		}
	}
}

// TestPerMilleProperty checks PerMille against math/big for random values
// of every magnitude.
func TestPerMilleProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	random := func() int64 { return r.Int64N(math.MaxInt64>>r.IntN(63)) + 1 }
	for range 20000 {
		used, limit := random(), random()
		got := billing.PerMille(used, limit)
		// want = round-half-even(used*1000/limit), saturated at MaxInt64.
		num := new(big.Int).Mul(big.NewInt(used), big.NewInt(1000))
		q, rem := new(big.Int).QuoRem(num, big.NewInt(limit), new(big.Int))
		switch c := new(big.Int).Mul(rem, big.NewInt(2)).Cmp(big.NewInt(limit)); {
		case c > 0, c == 0 && q.Bit(0) == 1:
			q.Add(q, big.NewInt(1))
		}
		want := int64(math.MaxInt64)
		if q.IsInt64() {
			want = q.Int64()
		}
		if got != want {
			t.Fatalf("PerMille(%d, %d): got %d, want %d", used, limit, got, want)
		}
	}
}
