package billing_test

import (
	"testing"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/google/go-cmp/cmp"
)

func fmtTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.UTC().Format(time.RFC3339)
}

func TestNewSubscription(t *testing.T) {
	pro := plan(t, "plan_pro", "USD", 4900)
	trial := pro
	trial.TrialDays = 14
	yearlyOnly := pro
	yearlyOnly.Prices = map[billing.Interval]int64{billing.Yearly: 49000}
	archived := pro
	archived.Status = billing.PlanArchived
	now := at("2026-11-03T10:00:00Z")

	s, err := billing.NewSubscription("tn_1", pro, "", now)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != billing.Active || s.Interval != billing.Monthly || !s.Anchor.Equal(date("2026-11-03")) || s.TrialEnd != nil ||
		!core.ValidID(core.PrefixSubscription, s.ID) || s.PlanID != "plan_pro" || len(s.Segments) != 1 {
		t.Errorf("NewSubscription(no trial): got %+v, want active, monthly, anchored 2026-11-03", s)
	}
	s, err = billing.NewSubscription("tn_1", trial, billing.Monthly, now)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != billing.Trialing || fmtTime(s.TrialEnd) != "2026-11-17T00:00:00Z" || !s.Anchor.Equal(date("2026-11-17")) {
		t.Errorf("NewSubscription(trial): got status %s, trial end %s, anchor %v, want trialing to 2026-11-17", s.Status, fmtTime(s.TrialEnd), s.Anchor)
	}
	if s, err = billing.NewSubscription("tn_1", yearlyOnly, "", now); err != nil || s.Interval != billing.Yearly {
		t.Errorf("NewSubscription(yearly-only plan, no interval): got %q, %v, want year", s.Interval, err)
	}
	if _, err := billing.NewSubscription("tn_1", yearlyOnly, billing.Monthly, now); core.ErrorCode(err) != core.Invalid {
		t.Errorf("NewSubscription(no monthly price): got %v, want %q", err, core.Invalid)
	}
	if _, err := billing.NewSubscription("tn_1", archived, billing.Monthly, now); core.ErrorCode(err) != core.PlanArchived {
		t.Errorf("NewSubscription(archived): got %v, want %q", err, core.PlanArchived)
	}
}

func TestAdvance(t *testing.T) {
	pro := plan(t, "plan_pro", "USD", 4900)
	basic := plan(t, "plan_basic", "USD", 1900)
	trialPlan := pro
	trialPlan.TrialDays = 14
	trial := must(billing.NewSubscription("tn_1", trialPlan, billing.Monthly, at("2026-11-03T10:00:00Z"))) // trial to 11-17
	active := must(billing.NewSubscription("tn_1", pro, billing.Monthly, at("2026-11-01T10:00:00Z")))

	type result struct {
		Status   billing.SubscriptionStatus
		PlanID   string
		EndedAt  string
		ChangeAt string
		Pending  string
		Segments int
		Events   []billing.Event
	}
	tests := []struct {
		name string
		sub  billing.Subscription
		now  string
		due  bool
		want result
	}{
		{"trial still running", trial, "2026-11-16T23:59:59Z", false,
			result{billing.Trialing, "plan_pro", "nil", "nil", "", 1, nil}},
		{"trial expires unconverted", trial, "2026-11-17T00:00:00Z", false,
			result{billing.Expired, "plan_pro", "2026-11-17T00:00:00Z", "nil", "", 1, []billing.Event{billing.EventTrialExpired}}},
		{"trial converted", must(trial.Convert(at("2026-11-10T00:00:00Z"))), "2026-11-17T00:00:00Z", false,
			result{billing.Active, "plan_pro", "nil", "nil", "", 1, []billing.Event{billing.EventTrialConverted}}},
		{"converted trial, cancel at period end (the trial's end)",
			must(must(trial.Convert(at("2026-11-10T00:00:00Z"))).Cancel(true, at("2026-11-12T00:00:00Z"))), "2026-11-18T00:00:00Z", false,
			result{billing.Cancelled, "plan_pro", "2026-11-17T00:00:00Z", "nil", "", 1, []billing.Event{billing.EventTrialConverted, billing.EventCancelled}}},
		{"unconverted trial, cancel at period end", must(trial.Cancel(true, at("2026-11-12T00:00:00Z"))), "2026-11-17T00:00:00Z", false,
			result{billing.Expired, "plan_pro", "2026-11-17T00:00:00Z", "nil", "", 1, []billing.Event{billing.EventTrialExpired}}},
		{"converted trial, change at period end", must(must(trial.Convert(at("2026-11-10T00:00:00Z"))).ChangePlan(basic, true, at("2026-11-12T00:00:00Z"))), "2026-11-17T00:00:00Z", false,
			result{billing.Active, "plan_basic", "nil", "nil", "", 2, []billing.Event{billing.EventTrialConverted, billing.EventPlanChanged}}},
		{"pending change before the period end", must(active.ChangePlan(basic, true, at("2026-11-20T00:00:00Z"))), "2026-11-30T23:59:59Z", false,
			result{billing.Active, "plan_pro", "nil", "2026-12-01T00:00:00Z", "plan_basic", 1, nil}},
		{"pending change at the period end", must(active.ChangePlan(basic, true, at("2026-11-20T00:00:00Z"))), "2026-12-01T00:00:00Z", false,
			result{billing.Active, "plan_basic", "nil", "nil", "", 2, []billing.Event{billing.EventPlanChanged}}},
		{"pending change cleared by a change back", must(must(active.ChangePlan(basic, true, at("2026-11-20T00:00:00Z"))).ChangePlan(pro, true, at("2026-11-21T00:00:00Z"))), "2026-12-02T00:00:00Z", false,
			result{billing.Active, "plan_pro", "nil", "nil", "", 1, nil}},
		{"cancel at period end wins over a pending change", must(must(active.ChangePlan(basic, true, at("2026-11-20T00:00:00Z"))).Cancel(true, at("2026-11-21T00:00:00Z"))), "2026-12-01T00:00:00Z", false,
			result{billing.Cancelled, "plan_pro", "2026-12-01T00:00:00Z", "nil", "", 1, []billing.Event{billing.EventCancelled}}},
		{"past due", active, "2026-12-20T00:00:00Z", true,
			result{billing.PastDue, "plan_pro", "nil", "nil", "", 1, []billing.Event{billing.EventPastDue}}},
		{"still past due", func() billing.Subscription { s, _ := active.Advance(at("2026-12-20T00:00:00Z"), true); return s }(), "2026-12-21T00:00:00Z", true,
			result{billing.PastDue, "plan_pro", "nil", "nil", "", 1, nil}},
		{"recovered", func() billing.Subscription { s, _ := active.Advance(at("2026-12-20T00:00:00Z"), true); return s }(), "2026-12-22T00:00:00Z", false,
			result{billing.Active, "plan_pro", "nil", "nil", "", 1, []billing.Event{billing.EventRecovered}}},
		{"trial is never past due", trial, "2026-11-10T00:00:00Z", true,
			result{billing.Trialing, "plan_pro", "nil", "nil", "", 1, nil}},
		{"ended does nothing", must(active.Cancel(false, at("2026-11-10T00:00:00Z"))), "2027-01-01T00:00:00Z", true,
			result{billing.Cancelled, "plan_pro", "2026-11-10T00:00:00Z", "nil", "", 1, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ev := tt.sub.Advance(at(tt.now), tt.due)
			got := result{s.Status, s.PlanID, fmtTime(s.EndedAt), fmtTime(s.ChangeAt), s.PendingPlanID, len(s.Segments), ev}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Advance(%s, %v) mismatch (-want +got):\n%s", tt.now, tt.due, diff)
			}
			if len(ev) == 0 && !s.UpdatedAt.Equal(tt.sub.UpdatedAt) {
				t.Errorf("Advance without events: got UpdatedAt %v, want it unchanged (%v)", s.UpdatedAt, tt.sub.UpdatedAt)
			}
		})
	}
}

func TestTransitionsOnEnded(t *testing.T) {
	pro := plan(t, "plan_pro", "USD", 4900)
	s := must(billing.NewSubscription("tn_1", pro, billing.Monthly, at("2026-11-01T10:00:00Z")))
	s = must(s.Cancel(false, at("2026-11-05T10:00:00Z")))
	now := at("2026-11-06T00:00:00Z")
	_, err1 := s.Cancel(false, now)
	_, err2 := s.ChangePlan(pro, false, now)
	_, err3 := s.Convert(now)
	for i, err := range []error{err1, err2, err3} {
		if core.ErrorCode(err) != core.SubscriptionEnded {
			t.Errorf("transition %d on a cancelled subscription: got %v, want %q", i, err, core.SubscriptionEnded)
		}
	}
}

func TestChangePlanNow(t *testing.T) {
	pro := plan(t, "plan_pro", "USD", 4900)
	basic := plan(t, "plan_basic", "USD", 1900)
	archived := plan(t, "plan_old", "USD", 900)
	archived.Status = billing.PlanArchived
	s := must(billing.NewSubscription("tn_1", pro, billing.Monthly, at("2026-11-01T10:00:00Z")))
	s = must(s.ChangePlan(basic, false, at("2026-11-10T08:00:00Z")))
	s = must(s.ChangePlan(pro, false, at("2026-11-10T09:00:00Z"))) // back the same day: the day's segment is dropped
	s = must(s.ChangePlan(basic, false, at("2026-11-20T09:00:00Z")))
	var got []string
	for _, sg := range s.Segments {
		got = append(got, sg.PlanID+"@"+ymd(sg.From))
	}
	if diff := cmp.Diff([]string{"plan_pro@2026-11-01", "plan_basic@2026-11-20"}, got); diff != "" {
		t.Errorf("segments mismatch (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		day, want string
	}{{"2026-10-31", ""}, {"2026-11-01", "plan_pro"}, {"2026-11-19", "plan_pro"}, {"2026-11-20", "plan_basic"}, {"2027-01-01", "plan_basic"}} {
		if got := s.PlanAt(date(tt.day).Add(13 * time.Hour)); got != tt.want {
			t.Errorf("PlanAt(%s): got %q, want %q", tt.day, got, tt.want)
		}
	}
	if _, err := s.ChangePlan(archived, false, at("2026-11-21T00:00:00Z")); core.ErrorCode(err) != core.PlanArchived {
		t.Errorf("ChangePlan(archived): got %v, want %q", err, core.PlanArchived)
	}
	yearly := basic
	yearly.ID, yearly.Prices = "plan_yearly", map[billing.Interval]int64{billing.Yearly: 1}
	if _, err := s.ChangePlan(yearly, false, at("2026-11-21T00:00:00Z")); core.ErrorCode(err) != core.Invalid {
		t.Errorf("ChangePlan(no monthly price): got %v, want %q", err, core.Invalid)
	}
}

func TestExpiresAtNextInvoiceAt(t *testing.T) {
	pro := plan(t, "plan_pro", "USD", 4900)
	trialPlan := pro
	trialPlan.TrialDays = 14
	trial := must(billing.NewSubscription("tn_1", trialPlan, billing.Monthly, at("2026-11-03T10:00:00Z")))
	active := must(billing.NewSubscription("tn_1", pro, billing.Monthly, at("2026-11-15T10:00:00Z")))
	expired, _ := trial.Advance(at("2026-11-17T00:00:00Z"), false)
	tests := []struct {
		name             string
		sub              billing.Subscription
		now              string
		expires, invoice string
	}{
		{"trialing", trial, "2026-11-05T00:00:00Z", "2026-11-17T00:00:00Z", "nil"},
		{"converted trial", must(trial.Convert(at("2026-11-05T00:00:00Z"))), "2026-11-06T00:00:00Z", "nil", "2026-12-17T00:00:00Z"},
		{"expired", expired, "2026-11-20T00:00:00Z", "2026-11-17T00:00:00Z", "nil"},
		{"active", active, "2026-12-20T00:00:00Z", "nil", "2027-01-15T00:00:00Z"},
		{"active on a period's first day", active, "2026-12-15T00:00:00Z", "nil", "2027-01-15T00:00:00Z"},
		{"cancel at period end", must(active.Cancel(true, at("2026-11-20T00:00:00Z"))), "2026-11-21T00:00:00Z", "2026-12-15T00:00:00Z", "2026-12-15T00:00:00Z"},
		{"cancel at period end, not yet advanced past it", must(active.Cancel(true, at("2026-11-20T00:00:00Z"))), "2026-12-16T00:00:00Z", "2026-12-15T00:00:00Z", "2027-01-15T00:00:00Z"},
		{"cancelled now", must(active.Cancel(false, at("2026-11-20T15:00:00Z"))), "2026-11-21T00:00:00Z", "2026-11-20T00:00:00Z", "nil"},
		{"past due", func() billing.Subscription { s, _ := active.Advance(at("2026-12-20T00:00:00Z"), true); return s }(), "2026-12-20T00:00:00Z", "nil", "2027-01-15T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := at(tt.now)
			if got := fmtTime(tt.sub.ExpiresAt(now)); got != tt.expires {
				t.Errorf("ExpiresAt(%s): got %s, want %s", tt.now, got, tt.expires)
			}
			if got := fmtTime(tt.sub.NextInvoiceAt(now)); got != tt.invoice {
				t.Errorf("NextInvoiceAt(%s): got %s, want %s", tt.now, got, tt.invoice)
			}
		})
	}
}
