package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// Billing over REST: the public plan list (seed 000), plans and pricing
// (SKUs) for the platform (seeds 001 and 002). Every check (scope,
// permission, rule) is the library's. The bodies are encoded with
// encoding/json: they are not on the hot path. Money is an integer of
// minor units with its currency, {"amount": 4900, "currency": "USD"},
// beside a decimal written from money.Money.Format; sub-minor prices are
// decimal strings ("0.001"). No amount goes through a float.

// moneyBody is money on the wire.
type moneyBody struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

func moneyOf(m money.Money) moneyBody {
	return moneyBody{Amount: m.Amount, Currency: m.Currency.Code()}
}

func minorOf(amount int64, c money.Currency) moneyBody {
	return moneyBody{Amount: amount, Currency: c.Code()}
}

// planPriceBody is one price of a plan: the price of one period of the
// interval, in minor units and as a decimal string.
type planPriceBody struct {
	Interval string    `json:"interval"`
	Amount   moneyBody `json:"amount"`
	Price    string    `json:"price"`
}

// planIntervals are the intervals a plan may price, in wire order.
var planIntervals = [...]billing.Interval{billing.Monthly, billing.Yearly}

func planPrices(pl *billing.Plan) []planPriceBody {
	out := make([]planPriceBody, 0, len(pl.Prices))
	for _, iv := range planIntervals {
		if m, ok := pl.Price(iv); ok {
			out = append(out, planPriceBody{Interval: string(iv), Amount: moneyOf(m), Price: m.Format()})
		}
	}
	return out
}

// publicPlanBody is seed 000's plan of GET /billing/plans: the monthly
// price (the yearly one for a plan without a monthly price) as a JSON
// number written from its decimal text, the limits and features merged,
// and what atomix adds: the amount in minor units, every price, the
// trial and isPopular.
type publicPlanBody struct {
	ID        string                     `json:"id"`
	Name      string                     `json:"name"`
	Price     json.Number                `json:"price"`
	Currency  string                     `json:"currency"`
	Interval  string                     `json:"interval"`
	Amount    moneyBody                  `json:"amount"`
	Prices    []planPriceBody            `json:"prices"`
	TrialDays int                        `json:"trialDays"`
	IsPopular bool                       `json:"isPopular"`
	Features  map[string]json.RawMessage `json:"features"`
}

func toPublicPlan(pl *billing.Plan) publicPlanBody {
	out := publicPlanBody{ID: pl.ID, Name: pl.Name, Currency: pl.Currency.Code(), Prices: planPrices(pl),
		TrialDays: pl.TrialDays, IsPopular: pl.IsPopular, Features: publicFeatures(pl)}
	if len(out.Prices) > 0 {
		first := out.Prices[0] // monthly when the plan has it
		out.Price, out.Interval, out.Amount = json.Number(first.Price), first.Interval, first.Amount
	}
	return out
}

// publicFeatures merges a plan's limits and features into seed 000's
// "features": every limit (-1 for unlimited), then the free-form
// features, which win a collision, except maxAtoms and maxUsers, which
// are always the limits.
func publicFeatures(pl *billing.Plan) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(pl.Limits)+len(pl.Features))
	for k, v := range pl.Limits {
		out[k] = json.RawMessage(strconv.FormatInt(v, 10))
	}
	for k, v := range pl.Features {
		if k == billing.LimitAtoms || k == billing.LimitUsers {
			continue
		}
		out[k] = v
	}
	return out
}

// planBody is the wire form of a plan.
type planBody struct {
	ID          string                     `json:"id"`
	Name        string                     `json:"name"`
	Description string                     `json:"description"`
	Currency    string                     `json:"currency"`
	Prices      []planPriceBody            `json:"prices"`
	TrialDays   int                        `json:"trialDays"`
	Limits      map[string]int64           `json:"limits"`
	Features    map[string]json.RawMessage `json:"features"`
	IsPopular   bool                       `json:"isPopular"`
	Status      string                     `json:"status"`
	CreatedAt   time.Time                  `json:"createdAt"`
	UpdatedAt   time.Time                  `json:"updatedAt"`
}

func toPlanBody(pl billing.Plan) planBody {
	out := planBody{ID: pl.ID, Name: pl.Name, Description: pl.Description, Currency: pl.Currency.Code(),
		Prices: planPrices(&pl), TrialDays: pl.TrialDays, Limits: pl.Limits, Features: pl.Features,
		IsPopular: pl.IsPopular, Status: string(pl.Status), CreatedAt: pl.CreatedAt.UTC(), UpdatedAt: pl.UpdatedAt.UTC()}
	if out.Limits == nil {
		out.Limits = map[string]int64{}
	}
	if out.Features == nil {
		out.Features = map[string]json.RawMessage{}
	}
	return out
}

// planRequest is the body of POST /plans and PUT /plans/{planId}.
type planRequest struct {
	ID          string                     `json:"id"`
	Name        string                     `json:"name"`
	Description string                     `json:"description"`
	Currency    string                     `json:"currency"`
	Prices      []planPriceRequest         `json:"prices"`
	TrialDays   int                        `json:"trialDays"`
	Limits      map[string]int64           `json:"limits"`
	Features    map[string]json.RawMessage `json:"features"`
	IsPopular   bool                       `json:"isPopular"`
	Status      string                     `json:"status"`
}

// planPriceRequest is one price of a plan request: exactly one of amount
// (minor units) and price (a decimal string in major units).
type planPriceRequest struct {
	Interval string  `json:"interval"`
	Amount   *int64  `json:"amount"`
	Price    *string `json:"price"`
}

// plan turns the request into a plan, with the field errors of what
// does not parse. cur is the currency when the request names none (the
// stored plan's, for PUT).
func (in *planRequest) plan(cur money.Currency) (billing.Plan, core.Fields) {
	var f core.Fields
	pl := billing.Plan{ID: in.ID, Name: in.Name, Description: in.Description, Currency: cur,
		TrialDays: in.TrialDays, Limits: in.Limits, IsPopular: in.IsPopular, Status: billing.PlanStatus(in.Status)}
	if in.Currency != "" {
		c, err := money.ParseCurrency(in.Currency)
		if err != nil {
			f.Add("currency", "must be a supported ISO 4217 code such as \"USD\"")
		}
		pl.Currency = c
	}
	pl.Prices = make(map[billing.Interval]int64, len(in.Prices))
	for i, p := range in.Prices {
		name := fmt.Sprintf("prices[%d]", i)
		iv := billing.Interval(p.Interval)
		switch _, seen := pl.Prices[iv]; {
		case iv != billing.Monthly && iv != billing.Yearly:
			f.Add(name+".interval", "must be \"month\" or \"year\"")
		case seen:
			f.Add(name+".interval", "repeats the %s price", iv)
		}
		var amount int64
		switch {
		case (p.Amount == nil) == (p.Price == nil):
			f.Add(name, "needs exactly one of amount (minor units) and price (a decimal string such as \"49.00\")")
			continue
		case p.Amount != nil:
			amount = *p.Amount
			if amount < 0 {
				f.Add(name+".amount", "must not be negative")
				continue
			}
		case pl.Currency.IsZero():
			continue // the currency is named already
		default:
			m, err := money.Parse(*p.Price, pl.Currency)
			switch {
			case err != nil:
				f.Add(name+".price", "must be a decimal amount such as \"49.00\", with at most %d fraction digits for %s", pl.Currency.Exponent(), pl.Currency)
				continue
			case m.Amount < 0:
				f.Add(name+".price", "must not be negative")
				continue
			}
			amount = m.Amount
		}
		pl.Prices[iv] = amount
	}
	if len(in.Features) > 0 {
		pl.Features = make(map[string]json.RawMessage, len(in.Features))
		for k, v := range in.Features {
			var buf bytes.Buffer
			if json.Compact(&buf, v) == nil {
				v = buf.Bytes()
			}
			pl.Features[k] = v
		}
	}
	return pl, f
}

// planFieldsErr returns the request's field errors with those the plan's
// own rules find in the rest, each named once, sorted.
func planFieldsErr(pl billing.Plan, f core.Fields) error {
	tmp := pl
	if tmp.ID == "" {
		tmp.ID = "plan_placeholder"
	}
	if tmp.Status == "" {
		tmp.Status = billing.PlanActive
	}
	prices := slices.ContainsFunc(f, func(x core.FieldError) bool { return strings.HasPrefix(x.Field, "prices") })
	var ce *core.Error
	if err := tmp.Validate(); errors.As(err, &ce) {
		for _, fe := range ce.Fields {
			named := slices.ContainsFunc(f, func(x core.FieldError) bool { return x.Field == fe.Field })
			if !named && (!prices || !strings.HasPrefix(fe.Field, "prices")) {
				f = append(f, fe)
			}
		}
	}
	return sortedErr(f)
}

// billingShapes are the key shapes of the billing request bodies.
type billingShapes struct {
	plan, sku, createSubscription, changeSubscription, usage, run *shape
}

func newBillingShapes() billingShapes {
	return billingShapes{
		plan:               shapeOf(reflect.TypeFor[planRequest]()),
		sku:                shapeOf(reflect.TypeFor[skuRequest]()),
		createSubscription: shapeOf(reflect.TypeFor[createSubscriptionRequest]()),
		changeSubscription: shapeOf(reflect.TypeFor[subscriptionChangeRequest]()),
		usage:              shapeOf(reflect.TypeFor[usageRequest]()),
		run:                shapeOf(reflect.TypeFor[billingRunRequest]()),
	}
}

// listPublicPlans serves GET /billing/plans: the active plans, for
// anyone.
func (h *handler) listPublicPlans(c *call, r *http.Request) error {
	if f := queryParams(r.URL.Query()); len(f) > 0 {
		return sortedErr(f)
	}
	plans, err := h.p.PublicPlans(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		Data []publicPlanBody `json:"data"`
	}{Data: make([]publicPlanBody, 0, len(plans))}
	for i := range plans {
		out.Data = append(out.Data, toPublicPlan(&plans[i]))
	}
	return h.writeBody(c, http.StatusOK, out)
}

// listPlans serves GET /plans?includeArchived&page&limit.
func (h *handler) listPlans(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "includeArchived", "page", "limit")
	page := pageParams(q, &f)
	archived := boolParam(q, "includeArchived", &f)
	if len(f) > 0 {
		return sortedErr(f)
	}
	plans, err := h.p.ListPlans(r.Context(), archived)
	if err != nil {
		return err
	}
	bodies := make([]planBody, len(plans))
	for i, pl := range plans {
		bodies[i] = toPlanBody(pl)
	}
	return h.writeBody(c, http.StatusOK, pageOf(bodies, page))
}

// createPlan serves POST /plans: 201 with the plan and its Location.
func (h *handler) createPlan(c *call, r *http.Request) error {
	var in planRequest
	if err := decode(r, &in, h.bshapes.plan); err != nil {
		return err
	}
	pl, f := in.plan(money.Currency{})
	if len(f) > 0 {
		return planFieldsErr(pl, f)
	}
	pl, err := h.p.CreatePlan(r.Context(), pl)
	if err != nil {
		return err
	}
	c.Header().Set("Location", h.prefix+"/plans/"+pl.ID)
	return h.writeBody(c, http.StatusCreated, toPlanBody(pl))
}

// getPlan serves GET /plans/{planId}.
func (h *handler) getPlan(c *call, r *http.Request) error {
	pl, err := h.p.GetPlan(r.Context(), r.PathValue("planId"))
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toPlanBody(pl))
}

// updatePlan serves PUT /plans/{planId}: the body replaces the plan but
// for its ID, currency and creation time; an id or currency that differs
// is 422.
func (h *handler) updatePlan(c *call, r *http.Request) error {
	var in planRequest
	if err := decode(r, &in, h.bshapes.plan); err != nil {
		return err
	}
	id := r.PathValue("planId")
	cur, err := h.p.GetPlan(r.Context(), id)
	if err != nil {
		return err
	}
	pl, f := in.plan(cur.Currency)
	if in.ID != "" && in.ID != cur.ID {
		f.Add("id", "must be the plan's ID %q, or absent", cur.ID)
	}
	if len(f) > 0 {
		pl.ID = cur.ID
		return planFieldsErr(pl, f)
	}
	pl, err = h.p.UpdatePlan(r.Context(), id, pl)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toPlanBody(pl))
}

// deletePlan serves DELETE /plans/{planId}: 204; a plan in use is 409
// plan_in_use (archive it with PUT instead).
func (h *handler) deletePlan(c *call, r *http.Request) error {
	if err := h.p.DeletePlan(r.Context(), r.PathValue("planId")); err != nil {
		return err
	}
	c.WriteHeader(http.StatusNoContent)
	return nil
}

// skuBody is the wire form of a priced SKU: its price's fields flattened,
// decimal amounts as strings.
type skuBody struct {
	Code            string         `json:"code"`
	Name            string         `json:"name"`
	Metric          string         `json:"metric"`
	Aggregation     string         `json:"aggregation"`
	Currency        string         `json:"currency"`
	Model           string         `json:"model"`
	FlatAmount      money.Decimal  `json:"flatAmount"`
	UnitAmount      money.Decimal  `json:"unitAmount"`
	PackageSize     int64          `json:"packageSize,omitempty"`
	PackageRounding string         `json:"packageRounding,omitempty"`
	Tiers           []billing.Tier `json:"tiers"`
	PlanIDs         []string       `json:"planIds"`
	Commissionable  bool           `json:"commissionable"`
	CreatedAt       time.Time      `json:"createdAt"`
}

func toSKUBody(s billing.SKU) skuBody {
	p := s.Price
	out := skuBody{Code: s.Code, Name: s.Name, Metric: p.Metric, Aggregation: string(s.Aggregation),
		Currency: p.Currency.Code(), Model: string(p.Model), FlatAmount: p.FlatAmount, UnitAmount: p.UnitAmount,
		PackageSize: p.PackageSize, PackageRounding: string(p.PackageRounding), Tiers: p.Tiers,
		PlanIDs: s.PlanIDs, Commissionable: s.Commissionable, CreatedAt: s.CreatedAt.UTC()}
	if out.Tiers == nil {
		out.Tiers = []billing.Tier{}
	}
	if out.PlanIDs == nil {
		out.PlanIDs = []string{}
	}
	return out
}

// skuRequest is the body of POST /pricing.
type skuRequest struct {
	Code            string        `json:"code"`
	Name            string        `json:"name"`
	Metric          string        `json:"metric"`
	Aggregation     string        `json:"aggregation"`
	Currency        string        `json:"currency"`
	Model           string        `json:"model"`
	FlatAmount      *string       `json:"flatAmount"`
	UnitAmount      *string       `json:"unitAmount"`
	PackageSize     int64         `json:"packageSize"`
	PackageRounding string        `json:"packageRounding"`
	Tiers           []tierRequest `json:"tiers"`
	PlanIDs         []string      `json:"planIds"`
	Commissionable  *bool         `json:"commissionable"`
}

type tierRequest struct {
	UpTo       *int64  `json:"upTo"`
	UnitAmount *string `json:"unitAmount"`
	FlatAmount *string `json:"flatAmount"`
}

// decimalField parses an optional decimal string into f's errors.
func decimalField(s *string, field string, f *core.Fields) money.Decimal {
	if s == nil {
		return money.Decimal{}
	}
	d, err := money.ParseDecimal(*s)
	if err != nil {
		f.Add(field, "must be a decimal string such as \"0.001\"")
	}
	return d
}

// sku turns the request into a SKU, with the field errors of what does
// not parse.
func (in *skuRequest) sku() (billing.SKU, core.Fields) {
	var f core.Fields
	s := billing.SKU{Code: in.Code, Name: in.Name, Aggregation: billing.Aggregation(in.Aggregation),
		PlanIDs: in.PlanIDs, Commissionable: in.Commissionable == nil || *in.Commissionable}
	p := billing.Price{SKU: in.Code, Metric: in.Metric, Model: billing.Model(in.Model),
		PackageSize: in.PackageSize, PackageRounding: billing.Rounding(in.PackageRounding)}
	if in.Currency == "" {
		f.Add("currency", "is required: an ISO 4217 code such as \"USD\"")
	} else if c, err := money.ParseCurrency(in.Currency); err != nil {
		f.Add("currency", "must be a supported ISO 4217 code such as \"USD\"")
	} else {
		p.Currency = c
	}
	p.FlatAmount = decimalField(in.FlatAmount, "flatAmount", &f)
	p.UnitAmount = decimalField(in.UnitAmount, "unitAmount", &f)
	for i, t := range in.Tiers {
		p.Tiers = append(p.Tiers, billing.Tier{UpTo: t.UpTo,
			UnitAmount: decimalField(t.UnitAmount, fmt.Sprintf("tiers[%d].unitAmount", i), &f),
			FlatAmount: decimalField(t.FlatAmount, fmt.Sprintf("tiers[%d].flatAmount", i), &f)})
	}
	s.Price = p
	return s, f
}

// listPricing serves GET /pricing?page&limit: the SKUs, ordered by
// creation.
func (h *handler) listPricing(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "page", "limit")
	page := pageParams(q, &f)
	if len(f) > 0 {
		return sortedErr(f)
	}
	skus, err := h.p.ListSKUs(r.Context())
	if err != nil {
		return err
	}
	bodies := make([]skuBody, len(skus))
	for i, s := range skus {
		bodies[i] = toSKUBody(s)
	}
	return h.writeBody(c, http.StatusOK, pageOf(bodies, page))
}

// createPricing serves POST /pricing: 201 with the SKU.
func (h *handler) createPricing(c *call, r *http.Request) error {
	var in skuRequest
	if err := decode(r, &in, h.bshapes.sku); err != nil {
		return err
	}
	s, f := in.sku()
	if len(f) > 0 {
		return sortedErr(f)
	}
	s, err := h.p.CreateSKU(r.Context(), s)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusCreated, toSKUBody(s))
}
