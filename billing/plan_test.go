package billing_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/google/go-cmp/cmp"
)

func validPlan(t testing.TB) billing.Plan {
	p := plan(t, "plan_team", "USD", 4900)
	p.Name = "Team"
	p.Prices[billing.Yearly] = 49000
	p.TrialDays = 14
	p.Limits = map[string]int64{billing.LimitUsers: 10, billing.LimitAtoms: billing.Unlimited, "customers": 500}
	p.Features = map[string]json.RawMessage{"apiAccess": json.RawMessage(`true`), "storage": json.RawMessage(`"10GB"`)}
	return p
}

// fieldsOf returns the code and the field names of err.
func fieldsOf(err error) (core.Code, []string) {
	var e *core.Error
	if !errors.As(err, &e) {
		return core.ErrorCode(err), nil
	}
	var fs []string
	for _, f := range e.Fields {
		fs = append(fs, f.Field)
	}
	return e.Code, fs
}

func TestPlanValidate(t *testing.T) {
	if err := validPlan(t).Validate(); err != nil {
		t.Fatalf("Validate(valid plan): got %v, want nil", err)
	}
	tests := []struct {
		name   string
		edit   func(p *billing.Plan)
		fields []string
	}{
		{"empty id", func(p *billing.Plan) { p.ID = "" }, []string{"id"}},
		{"id without prefix", func(p *billing.Plan) { p.ID = "team" }, []string{"id"}},
		{"id with a space", func(p *billing.Plan) { p.ID = "plan_my team" }, []string{"id"}},
		{"id prefix only", func(p *billing.Plan) { p.ID = "plan_" }, []string{"id"}},
		{"blank name", func(p *billing.Plan) { p.Name = "   " }, []string{"name"}},
		{"long name", func(p *billing.Plan) { p.Name = strings.Repeat("x", billing.MaxPlanNameLen+1) }, []string{"name"}},
		{"invalid UTF-8 name", func(p *billing.Plan) { p.Name = "Team\xff" }, []string{"name"}},
		{"long description", func(p *billing.Plan) { p.Description = strings.Repeat("é", billing.MaxPlanDescLen+1) }, []string{"description"}},
		{"no currency", func(p *billing.Plan) { p.Currency = money.Currency{} }, []string{"currency"}},
		{"no prices", func(p *billing.Plan) { p.Prices = nil }, []string{"prices"}},
		{"unknown interval", func(p *billing.Plan) { p.Prices["week"] = 100 }, []string{"prices"}},
		{"negative price", func(p *billing.Plan) { p.Prices[billing.Monthly] = -1 }, []string{"prices.month"}},
		{"negative trial", func(p *billing.Plan) { p.TrialDays = -1 }, []string{"trialDays"}},
		{"long trial", func(p *billing.Plan) { p.TrialDays = billing.MaxTrialDays + 1 }, []string{"trialDays"}},
		{"bad limit name", func(p *billing.Plan) { p.Limits["Max-Users"] = 1 }, []string{"limits.Max-Users"}},
		{"limit below unlimited", func(p *billing.Plan) { p.Limits[billing.LimitUsers] = -2 }, []string{"limits.maxUsers"}},
		{"limit too large", func(p *billing.Plan) { p.Limits["customers"] = billing.MaxLimitValue + 1 }, []string{"limits.customers"}},
		{"bad feature key", func(p *billing.Plan) { p.Features["9lives"] = json.RawMessage(`1`) }, []string{"features.9lives"}},
		{"feature not JSON", func(p *billing.Plan) { p.Features["storage"] = json.RawMessage(`10GB`) }, []string{"features.storage"}},
		{"empty feature", func(p *billing.Plan) { p.Features["storage"] = nil }, []string{"features.storage"}},
		{"bad status", func(p *billing.Plan) { p.Status = "deleted" }, []string{"status"}},
		{"several at once, in order", func(p *billing.Plan) {
			p.ID, p.Name, p.TrialDays, p.Status = "x", "", 400, ""
		}, []string{"id", "name", "trialDays", "status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPlan(t)
			tt.edit(&p)
			code, fields := fieldsOf(p.Validate())
			if code != core.Invalid {
				t.Fatalf("Validate: got code %q, want %q", code, core.Invalid)
			}
			if diff := cmp.Diff(tt.fields, fields); diff != "" {
				t.Errorf("Validate fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func validSKU(t testing.TB) billing.SKU {
	return billing.SKU{Code: "api_calls", Name: "API calls", Aggregation: billing.AggSum, PlanIDs: []string{"plan_team"},
		Price:          billing.Price{SKU: "api_calls", Metric: "api_calls", Currency: cur(t, "USD"), Model: billing.PerUnit, UnitAmount: dec(t, "0.001")},
		Commissionable: true}
}

func TestSKUValidate(t *testing.T) {
	if err := validSKU(t).Validate(); err != nil {
		t.Fatalf("Validate(valid SKU): got %v, want nil", err)
	}
	tests := []struct {
		name   string
		edit   func(s *billing.SKU)
		code   core.Code
		fields []string
	}{
		{"empty code", func(s *billing.SKU) { s.Code, s.Price.SKU = "", "" }, core.Invalid, []string{"code"}},
		{"upper-case code", func(s *billing.SKU) { s.Code, s.Price.SKU = "API", "API" }, core.Invalid, []string{"code"}},
		{"price for another SKU", func(s *billing.SKU) { s.Price.SKU = "other" }, core.Invalid, []string{"sku"}},
		{"blank name", func(s *billing.SKU) { s.Name = " " }, core.Invalid, []string{"name"}},
		{"long name", func(s *billing.SKU) { s.Name = strings.Repeat("n", billing.MaxSKUNameLen+1) }, core.Invalid, []string{"name"}},
		{"unknown aggregation", func(s *billing.SKU) { s.Aggregation = "avg" }, core.Invalid, []string{"aggregation"}},
		{"bad metric", func(s *billing.SKU) { s.Price.Metric = "API calls" }, core.Invalid, []string{"metric"}},
		{"state metric users", func(s *billing.SKU) { s.Price.Metric = billing.MetricUsers }, core.Invalid, []string{"metric"}},
		{"state metric atoms", func(s *billing.SKU) { s.Price.Metric = billing.MetricAtoms }, core.Invalid, []string{"metric"}},
		{"bad plan ID", func(s *billing.SKU) { s.PlanIDs = []string{"team"} }, core.Invalid, []string{"planIds"}},
		{"repeated plan ID", func(s *billing.SKU) { s.PlanIDs = []string{"plan_team", "plan_team"} }, core.Invalid, []string{"planIds"}},
		{"too many plans", func(s *billing.SKU) {
			s.PlanIDs = nil
			for i := range billing.MaxSKUPlans + 1 {
				s.PlanIDs = append(s.PlanIDs, "plan_p"+strings.Repeat("x", i%60)+string(rune('a'+i%26))+string(rune('a'+i/26)))
			}
		}, core.Invalid, []string{"planIds"}},
		{"negative unit price", func(s *billing.SKU) { s.Price.UnitAmount = dec(t, "-0.001") }, core.PriceInvalid, []string{"unitAmount"}},
		{"unknown model", func(s *billing.SKU) { s.Price.Model = "magic" }, core.PriceInvalid, []string{"model"}},
		{"package without size", func(s *billing.SKU) { s.Price.Model = billing.Package }, core.PriceInvalid, []string{"packageSize", "packageRounding"}},
		{"tiers out of order", func(s *billing.SKU) {
			s.Price.Model = billing.Graduated
			s.Price.Tiers = tiers(t, 100, "0.01", "0", 50, "0.02", "0", 0, "0.03", "0")
		}, core.PriceInvalid, []string{"tiers[1].upTo"}},
		{"SKU fields first, then the price", func(s *billing.SKU) { s.Name = ""; s.Price.Model = "magic" }, core.Invalid, []string{"name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSKU(t)
			tt.edit(&s)
			code, fields := fieldsOf(s.Validate())
			if code != tt.code {
				t.Fatalf("Validate: got code %q, want %q", code, tt.code)
			}
			if diff := cmp.Diff(tt.fields, fields); diff != "" {
				t.Errorf("Validate fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSKUAppliesTo(t *testing.T) {
	team := validPlan(t)
	other := plan(t, "plan_other", "USD", 100)
	eur := plan(t, "plan_team", "EUR", 100)
	any := validSKU(t)
	any.PlanIDs = nil
	tests := []struct {
		name string
		sku  billing.SKU
		plan billing.Plan
		want bool
	}{
		{"listed plan", validSKU(t), team, true},
		{"unlisted plan", validSKU(t), other, false},
		{"listed plan, other currency", validSKU(t), eur, false},
		{"every plan of the currency", any, other, true},
		{"every plan, other currency", any, eur, false},
	}
	for _, tt := range tests {
		if got := tt.sku.AppliesTo(tt.plan); got != tt.want {
			t.Errorf("%s: AppliesTo: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPlanLimit(t *testing.T) {
	p := validPlan(t)
	tests := []struct {
		metric string
		want   int64
		ok     bool
	}{
		{billing.MetricUsers, 10, true},
		{billing.MetricAtoms, billing.Unlimited, true},
		{"customers", 500, true},
		{"invoices", billing.Unlimited, false},
	}
	for _, tt := range tests {
		if got, ok := p.Limit(tt.metric); got != tt.want || ok != tt.ok {
			t.Errorf("Limit(%q): got %d, %v, want %d, %v", tt.metric, got, ok, tt.want, tt.ok)
		}
	}
}
