package commission_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

func TestPlanValidate(t *testing.T) {
	good := func() commission.Plan {
		v := version("2026-01", 1000)
		v.SKURates = map[string]int{"api_calls": 500}
		v.PlanRates = map[string]int{"plan_pro": 2000}
		v.ExcludedSKUs = []string{"sms"}
		v.Tiers = []commission.Tier{{UpTo: upTo(100000), RateBP: 1000}, {RateBP: 1500}}
		v.TierMode, v.TierCurrency = commission.Graduated, money.USD
		return plan("cpl_good", commission.LevelPartner, v, version("2026-06", 1200))
	}
	tests := []struct {
		name   string
		edit   func(p *commission.Plan)
		code   core.Code
		fields []string
	}{
		{"valid", func(*commission.Plan) {}, "", nil},
		{"bad id", func(p *commission.Plan) { p.ID = "plan_x" }, core.Invalid, []string{"id"}},
		{"no name", func(p *commission.Plan) { p.Name = "  " }, core.Invalid, []string{"name"}},
		{"long name", func(p *commission.Plan) { p.Name = strings.Repeat("n", commission.MaxPlanNameLen+1) }, core.Invalid, []string{"name"}},
		{"bad level", func(p *commission.Plan) { p.Level = "platform" }, core.Invalid, []string{"level"}},
		{"no versions", func(p *commission.Plan) { p.Versions = nil }, core.Invalid, []string{"versions"}},
		{"bad month", func(p *commission.Plan) { p.Versions[1].Month = "2026-6" }, core.Invalid, []string{"versions[1].month"}},
		{"negative rate", func(p *commission.Plan) { p.Versions[1].RateBP = -1 }, core.Invalid, []string{"versions[1].rateBp"}},
		{"rate over 100%", func(p *commission.Plan) { p.Versions[1].RateBP = 10001 }, core.Invalid, []string{"versions[1].rateBp"}},
		{"bad SKU rate", func(p *commission.Plan) { p.Versions[0].SKURates["api_calls"] = 20000 }, core.Invalid, []string{"versions[0].skuRates.api_calls"}},
		{"empty SKU", func(p *commission.Plan) { p.Versions[0].SKURates[""] = 100 }, core.Invalid, []string{"versions[0].skuRates"}},
		{"bad plan rate", func(p *commission.Plan) { p.Versions[0].PlanRates["plan_pro"] = -5 }, core.Invalid, []string{"versions[0].planRates.plan_pro"}},
		{"repeated excluded SKU", func(p *commission.Plan) { p.Versions[0].ExcludedSKUs = []string{"sms", "sms"} }, core.Invalid, []string{"versions[0].excludedSkus"}},
		{"empty excluded SKU", func(p *commission.Plan) { p.Versions[0].ExcludedSKUs = []string{""} }, core.Invalid, []string{"versions[0].excludedSkus"}},
		{"tier mode without tiers", func(p *commission.Plan) { p.Versions[1].TierMode = commission.Volume }, core.Invalid, []string{"versions[1].tierMode"}},
		{"bad tier mode", func(p *commission.Plan) { p.Versions[0].TierMode = "stepped" }, core.Invalid, []string{"versions[0].tierMode"}},
		{"tiers without currency", func(p *commission.Plan) { p.Versions[0].TierCurrency = money.Currency{} }, core.Invalid, []string{"versions[0].tierCurrency"}},
		{"unbounded tier first", func(p *commission.Plan) { p.Versions[0].Tiers[0].UpTo = nil }, core.Invalid, []string{"versions[0].tiers[0].upTo"}},
		{"bounded last tier", func(p *commission.Plan) { p.Versions[0].Tiers[1].UpTo = upTo(200000) }, core.Invalid, []string{"versions[0].tiers[1].upTo"}},
		{"zero bound", func(p *commission.Plan) { p.Versions[0].Tiers[0].UpTo = upTo(0) }, core.Invalid, []string{"versions[0].tiers[0].upTo"}},
		{"bounds not ascending", func(p *commission.Plan) {
			p.Versions[0].Tiers = []commission.Tier{{UpTo: upTo(500), RateBP: 1}, {UpTo: upTo(500), RateBP: 2}, {RateBP: 3}}
		}, core.Invalid, []string{"versions[0].tiers[1].upTo"}},
		{"bad tier rate", func(p *commission.Plan) { p.Versions[0].Tiers[1].RateBP = 10001 }, core.Invalid, []string{"versions[0].tiers[1].rateBp"}},
		{"several fields", func(p *commission.Plan) { p.ID, p.Name = "", "" }, core.Invalid, []string{"id", "name"}},
		{"same month twice", func(p *commission.Plan) { p.Versions[1].Month = "2026-01" }, core.CommissionOverlap, nil},
		{"months descending", func(p *commission.Plan) { p.Versions[1].Month = "2025-12" }, core.Invalid, []string{"versions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good()
			tt.edit(&p)
			err := p.Validate()
			if got := core.ErrorCode(err); got != tt.code {
				t.Fatalf("code: got %q (%v), want %q", got, err, tt.code)
			}
			if tt.fields == nil {
				return
			}
			var e *core.Error
			if !errors.As(err, &e) {
				t.Fatalf("error: got %T, want *core.Error", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("fields: got %v, want %v", got, tt.fields)
			}
		})
	}
}

func TestVersionAt(t *testing.T) {
	p := plan("cpl_x", commission.LevelPartner, version("2026-03", 100), version("2026-07", 200), version("2027-01", 300))
	tests := []struct {
		month string
		want  int // RateBP; -1 for none
	}{
		{"2026-02", -1},
		{"2026-03", 100},
		{"2026-06", 100},
		{"2026-07", 200},
		{"2026-12", 200},
		{"2027-01", 300},
		{"2030-05", 300},
	}
	for _, tt := range tests {
		v, ok := p.VersionAt(tt.month)
		got := -1
		if ok {
			got = v.RateBP
		}
		if got != tt.want {
			t.Errorf("VersionAt(%s): got rate %d, want %d", tt.month, got, tt.want)
		}
	}
	// Versions out of order still give the latest not after the month.
	p.Versions = []commission.Version{version("2026-07", 200), version("2026-03", 100)}
	if v, ok := p.VersionAt("2026-08"); !ok || v.RateBP != 200 {
		t.Errorf("VersionAt over unordered versions: got %d %v, want 200 true", v.RateBP, ok)
	}
}

func TestMaxRate(t *testing.T) {
	v := version("2026-01", 1000)
	v.SKURates = map[string]int{"a": 1200}
	v.PlanRates = map[string]int{"p": 900}
	v.Tiers = []commission.Tier{{UpTo: upTo(5), RateBP: 800}, {RateBP: 1700}}
	tests := []struct {
		name string
		p    commission.Plan
		want int
	}{
		{"base only", plan("cpl_x", commission.LevelPartner, version("2026-01", 1000)), 1000},
		{"tiers and overrides", plan("cpl_x", commission.LevelPartner, v), 1700},
		{"highest version", plan("cpl_x", commission.LevelPartner, version("2026-01", 1000), version("2026-05", 300)), 1000},
		{"no versions", plan("cpl_x", commission.LevelPartner), 0},
	}
	for _, tt := range tests {
		if got := tt.p.MaxRate(); got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestVersionJSON: a version without tiers has no currency, and still
// encodes (its tierCurrency is left out) and decodes back.
func TestVersionJSON(t *testing.T) {
	tiered := version("2026-01", 1000)
	tiered.Tiers = []commission.Tier{{UpTo: upTo(100), RateBP: 500}, {RateBP: 700}}
	tiered.TierMode, tiered.TierCurrency = commission.Volume, money.USD
	for _, v := range []commission.Version{version("2026-01", 1000), tiered} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal %+v: got error %v, want none", v, err)
		}
		var back commission.Version
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal %s: got error %v, want none", b, err)
		}
		if back.Month != v.Month || back.RateBP != v.RateBP || back.TierCurrency != v.TierCurrency || back.TierMode != v.TierMode || len(back.Tiers) != len(v.Tiers) {
			t.Errorf("round trip: got %+v, want %+v", back, v)
		}
	}
}
