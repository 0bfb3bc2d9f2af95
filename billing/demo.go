package billing

import (
	"encoding/json"

	"github.com/atomixplatform/atomix/money"
)

// DemoPlans returns seed 000's plans, for demos and tests: Starter (49
// USD a month, 5 atoms, 10 users), Professional (149 USD, 15 atoms, 50
// users) and Enterprise (999 USD, unlimited), each with a 14-day trial
// and yearly prices of ten months. Load them with Platform.CreatePlan.
func DemoPlans() []Plan {
	usd := money.USD
	f := func(storage string, custom bool) map[string]json.RawMessage {
		c := "false"
		if custom {
			c = "true"
		}
		return map[string]json.RawMessage{
			"storage":      json.RawMessage(`"` + storage + `"`),
			"apiAccess":    json.RawMessage(`true`),
			"customDomain": json.RawMessage(c),
		}
	}
	return []Plan{
		{ID: "plan_starter", Name: "Starter", Currency: usd, Prices: map[Interval]int64{Monthly: 4900, Yearly: 49000},
			TrialDays: 14, Limits: map[string]int64{LimitAtoms: 5, LimitUsers: 10}, Features: f("10GB", false), Status: PlanActive},
		{ID: "plan_professional", Name: "Professional", Currency: usd, Prices: map[Interval]int64{Monthly: 14900, Yearly: 149000},
			TrialDays: 14, Limits: map[string]int64{LimitAtoms: 15, LimitUsers: 50}, Features: f("100GB", true), IsPopular: true, Status: PlanActive},
		{ID: "plan_enterprise", Name: "Enterprise", Currency: usd, Prices: map[Interval]int64{Monthly: 99900, Yearly: 999000},
			TrialDays: 14, Limits: map[string]int64{LimitAtoms: Unlimited, LimitUsers: Unlimited}, Features: f("1TB", true), Status: PlanActive},
	}
}
