package core_test

import (
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/core"
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

var prefixes = []string{
	core.PrefixTenant, core.PrefixUser, core.PrefixAtom, core.PrefixInstallation,
	core.PrefixPlan, core.PrefixSubscription, core.PrefixOTP, core.PrefixRefreshToken,
	core.PrefixInvoice, core.PrefixDistributor, core.PrefixPartner, core.PrefixRequest,
}

func TestPrefixes(t *testing.T) {
	// The prefixes are those of the REST contract (api-map.md); they never
	// change.
	want := []string{"tn", "usr", "atom", "inst", "plan", "sub", "otp", "rt", "inv", "dist", "prt", "req"}
	for i, p := range prefixes {
		if p != want[i] {
			t.Errorf("prefix %d: got %q, want %q", i, p, want[i])
		}
	}
	if core.IDRandomLen < 16 {
		t.Errorf("IDRandomLen: got %d, want at least 16", core.IDRandomLen)
	}
}

func TestNewIDShape(t *testing.T) {
	for _, p := range prefixes {
		t.Run(p, func(t *testing.T) {
			id := core.NewID(p)
			rest, ok := strings.CutPrefix(id, p+"_")
			if !ok {
				t.Fatalf("NewID(%q) = %q, want prefix %q", p, id, p+"_")
			}
			if got, want := len(id), len(p)+1+core.IDRandomLen; got != want {
				t.Errorf("len(%q): got %d, want %d", id, got, want)
			}
			for i := 0; i < len(rest); i++ {
				if !strings.ContainsRune(alphabet, rune(rest[i])) {
					t.Errorf("NewID(%q) = %q: character %q is not base-62", p, id, rest[i])
				}
			}
			if !core.ValidID(p, id) {
				t.Errorf("ValidID(%q, %q) = false, want true", p, id)
			}
		})
	}
}

func TestNewIDUniqueAndUniform(t *testing.T) {
	const n = 10_000
	seen := make(map[string]bool, n)
	var counts [256]int
	for range n {
		id := core.NewID(core.PrefixTenant)
		if seen[id] {
			t.Fatalf("NewID repeated %q within %d IDs", id, n)
		}
		seen[id] = true
		for i := len(core.PrefixTenant) + 1; i < len(id); i++ {
			counts[id[i]]++
		}
	}

	// Chi-square over the 62 characters: 61 degrees of freedom, mean 61,
	// standard deviation about 11. A bound of 200 is some 12 standard
	// deviations out (it never flakes), yet a plain c%62 over all 256 byte
	// values scores about 1,450 on this sample and fails.
	total := float64(n * core.IDRandomLen)
	expected := total / 62
	chi := 0.0
	perChar := make(map[string]int, len(alphabet))
	for i := 0; i < len(alphabet); i++ {
		c := counts[alphabet[i]]
		perChar[alphabet[i:i+1]] = c
		d := float64(c) - expected
		chi += d * d / expected
	}
	if chi > 200 {
		t.Errorf("chi-square of character counts: got %.1f, want at most 200 (counts %v)", chi, perChar)
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		prefix string
		id     string
		want   bool
	}{
		{"tn", "tn_4FzQ9aB2cD3eF4gH5iJ6kL", true},
		{"tn", "tn_a", true},
		{"plan", "plan_professional", true},
		{"atom", "atom_crm-2_x", true},
		{"tn", "tn_" + strings.Repeat("a", 64), true},
		{"tn", "tn_" + strings.Repeat("a", 65), false},
		{"tn", "tn_", false},
		{"tn", "tn", false},
		{"tn", "", false},
		{"tn", "usr_abc", false},
		{"tn", "TN_abc", false},
		{"tn", "tnabc", false},
		{"tn", "tn_ab c", false},
		{"tn", "tn_ab/c", false},
		{"tn", "tn_ab.c", false},
		{"tn", "tn_çay", false},
		{"tn", " tn_abc", false},
		{"usr", "tn_abc", false},
	}
	for _, tt := range tests {
		if got := core.ValidID(tt.prefix, tt.id); got != tt.want {
			t.Errorf("ValidID(%q, %q): got %v, want %v", tt.prefix, tt.id, got, tt.want)
		}
	}
}
