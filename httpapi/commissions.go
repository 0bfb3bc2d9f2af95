package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/reseller"
)

// Commissions over REST (seed 001's /commissions/summary, and what the
// reseller chain's payouts need around it): commission plans with their
// effective-dated rate versions, the assignment of a plan to each
// distributor and partner, runs, statements, the summary and the
// reconciliation. Every check (scope, permission, rule) is the library's:
// plans, assignments, runs, the reconciliation and closing are the
// platform's (403 for anybody else); statements and summaries are scoped
// (a distributor sees its own and its partners', a partner its own; 404
// outside). Money is minor units with its currency, rates integer basis
// points ("rateBp"); no amount goes through a float.

// commissionTierBody is one revenue tier of a version, on the wire both
// ways: upTo in minor units of the version's tierCurrency, null for the
// last (unbounded) tier.
type commissionTierBody struct {
	UpTo   *int64 `json:"upTo"`
	RateBP int    `json:"rateBp"`
}

// commissionVersionBody is the wire form of a plan's version. Members
// not set are empty ({} or []) or null (tierMode, tierCurrency).
type commissionVersionBody struct {
	Month                 string               `json:"month"`
	RateBP                int                  `json:"rateBp"`
	SKURates              map[string]int       `json:"skuRates"`
	PlanRates             map[string]int       `json:"planRates"`
	ExcludedSKUs          []string             `json:"excludedSkus"`
	Tiers                 []commissionTierBody `json:"tiers"`
	TierMode              *string              `json:"tierMode"`
	TierCurrency          *string              `json:"tierCurrency"`
	ClawbackUncollectible bool                 `json:"clawbackUncollectible"`
}

func toVersionBody(v commission.Version) commissionVersionBody {
	out := commissionVersionBody{Month: v.Month, RateBP: v.RateBP, SKURates: v.SKURates, PlanRates: v.PlanRates,
		ExcludedSKUs: v.ExcludedSKUs, Tiers: make([]commissionTierBody, len(v.Tiers)),
		TierMode: nilIfEmpty(string(v.TierMode)), TierCurrency: nilIfEmpty(v.TierCurrency.Code()),
		ClawbackUncollectible: v.ClawbackUncollectible}
	if out.SKURates == nil {
		out.SKURates = map[string]int{}
	}
	if out.PlanRates == nil {
		out.PlanRates = map[string]int{}
	}
	if out.ExcludedSKUs == nil {
		out.ExcludedSKUs = []string{}
	}
	for i, t := range v.Tiers {
		out.Tiers[i] = commissionTierBody(t)
	}
	return out
}

// commissionPlanBody is the wire form of a commission plan.
type commissionPlanBody struct {
	ID        string                  `json:"id"`
	Name      string                  `json:"name"`
	Level     string                  `json:"level"`
	Versions  []commissionVersionBody `json:"versions"`
	CreatedAt time.Time               `json:"createdAt"`
	UpdatedAt time.Time               `json:"updatedAt"`
}

func toCommissionPlanBody(pl commission.Plan) commissionPlanBody {
	out := commissionPlanBody{ID: pl.ID, Name: pl.Name, Level: string(pl.Level),
		Versions:  make([]commissionVersionBody, len(pl.Versions)),
		CreatedAt: pl.CreatedAt.UTC(), UpdatedAt: pl.UpdatedAt.UTC()}
	for i, v := range pl.Versions {
		out.Versions[i] = toVersionBody(v)
	}
	return out
}

// nilIfEmpty returns nil for "", else a pointer to s: optional strings
// are null on the wire.
func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// commissionVersionRequest is a version in a request: the body of POST
// /commissions/plans/{planId}/versions, and each of a new plan's.
type commissionVersionRequest struct {
	Month                 string               `json:"month"`
	RateBP                int                  `json:"rateBp"`
	SKURates              map[string]int       `json:"skuRates"`
	PlanRates             map[string]int       `json:"planRates"`
	ExcludedSKUs          []string             `json:"excludedSkus"`
	Tiers                 []commissionTierBody `json:"tiers"`
	TierMode              string               `json:"tierMode"`
	TierCurrency          string               `json:"tierCurrency"`
	ClawbackUncollectible bool                 `json:"clawbackUncollectible"`
}

// version turns the request into a version, adding to f (its fields named
// with prefix) what does not parse: the tier currency.
func (in *commissionVersionRequest) version(prefix string, f *core.Fields) commission.Version {
	v := commission.Version{Month: in.Month, RateBP: in.RateBP, SKURates: in.SKURates, PlanRates: in.PlanRates,
		ExcludedSKUs: in.ExcludedSKUs, TierMode: commission.TierMode(in.TierMode),
		ClawbackUncollectible: in.ClawbackUncollectible}
	for _, t := range in.Tiers {
		v.Tiers = append(v.Tiers, commission.Tier(t))
	}
	if in.TierCurrency != "" {
		c, err := money.ParseCurrency(in.TierCurrency)
		if err != nil {
			f.Add(prefix+"tierCurrency", "must be a supported ISO 4217 code such as \"USD\"")
		}
		v.TierCurrency = c
	}
	return v
}

// createCommissionPlanRequest is the body of POST /commissions/plans.
type createCommissionPlanRequest struct {
	ID       string                     `json:"id"`
	Name     string                     `json:"name"`
	Level    string                     `json:"level"`
	Versions []commissionVersionRequest `json:"versions"`
}

// assignmentRequest is the body of PUT .../commission-plan.
type assignmentRequest struct {
	PlanID string `json:"planId"`
}

// assignmentBody is the wire form of an assignment.
type assignmentBody struct {
	ResellerID string    `json:"resellerId"`
	PlanID     string    `json:"planId"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// commissionRunRequest is the body of POST /commissions/runs.
type commissionRunRequest struct {
	Period string `json:"period"`
}

// commissionRunBody is what a commission run did.
type commissionRunBody struct {
	Period   string `json:"period"`
	Invoices int    `json:"invoices"`
	Created  int    `json:"created"`
	Existing int    `json:"existing"`
}

// commissionShapes are the key shapes of the commission request bodies.
type commissionShapes struct {
	plan, version, assignment, run *shape
}

func newCommissionShapes() commissionShapes {
	return commissionShapes{
		plan:       shapeOf(reflect.TypeFor[createCommissionPlanRequest]()),
		version:    shapeOf(reflect.TypeFor[commissionVersionRequest]()),
		assignment: shapeOf(reflect.TypeFor[assignmentRequest]()),
		run:        shapeOf(reflect.TypeFor[commissionRunRequest]()),
	}
}

// sortedFields returns err with its field errors sorted by field, so that
// a problem lists them in one order whoever found them.
func sortedFields(err error) error {
	var ce *core.Error
	if !errors.As(err, &ce) || len(ce.Fields) < 2 {
		return err
	}
	out := *ce
	out.Fields = slices.Clone(ce.Fields)
	slices.SortStableFunc(out.Fields, func(a, b core.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return &out
}

// mergeFields returns the request's field errors with those the rules
// find in the rest (validate's), each field named once, sorted.
func mergeFields(f core.Fields, validate func() error) error {
	var ce *core.Error
	if err := validate(); errors.As(err, &ce) {
		for _, fe := range ce.Fields {
			if !slices.ContainsFunc(f, func(x core.FieldError) bool { return x.Field == fe.Field }) {
				f = append(f, fe)
			}
		}
	}
	return sortedErr(f)
}

// listCommissionPlans serves GET /commissions/plans?page&limit.
func (h *handler) listCommissionPlans(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "page", "limit")
	page := pageParams(q, &f)
	if len(f) > 0 {
		return sortedErr(f)
	}
	plans, err := h.p.ListCommissionPlans(r.Context())
	if err != nil {
		return err
	}
	bodies := make([]commissionPlanBody, len(plans))
	for i, pl := range plans {
		bodies[i] = toCommissionPlanBody(pl)
	}
	return h.writeBody(c, http.StatusOK, pageOf(bodies, page))
}

// createCommissionPlan serves POST /commissions/plans: 201 with the plan
// and its Location.
func (h *handler) createCommissionPlan(c *call, r *http.Request) error {
	var in createCommissionPlanRequest
	if err := decode(r, &in, h.cshapes.plan); err != nil {
		return err
	}
	var f core.Fields
	pl := commission.Plan{ID: in.ID, Name: in.Name, Level: commission.Level(in.Level)}
	for i, v := range in.Versions {
		pl.Versions = append(pl.Versions, v.version("versions["+strconv.Itoa(i)+"].", &f))
	}
	if len(f) > 0 {
		return mergeFields(f, func() error {
			tmp := pl
			if tmp.ID == "" {
				tmp.ID = core.NewID(core.PrefixCommissionPlan)
			}
			return tmp.Validate()
		})
	}
	pl, err := h.p.CreateCommissionPlan(r.Context(), pl)
	if err != nil {
		return sortedFields(err)
	}
	c.Header().Set("Location", h.prefix+"/commissions/plans/"+pl.ID)
	return h.writeBody(c, http.StatusCreated, toCommissionPlanBody(pl))
}

// getCommissionPlan serves GET /commissions/plans/{planId}.
func (h *handler) getCommissionPlan(c *call, r *http.Request) error {
	pl, err := h.p.GetCommissionPlan(r.Context(), r.PathValue("planId"))
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toCommissionPlanBody(pl))
}

// versionFields checks a version alone, naming its fields as the body of
// POST .../versions does (rateBp, tiers[0].upTo): the library names them
// within the plan (versions[2].rateBp).
func versionFields(v commission.Version) error {
	tmp := commission.Plan{ID: core.NewID(core.PrefixCommissionPlan), Name: "version", Level: commission.LevelPartner,
		Versions: []commission.Version{v}}
	err := tmp.Validate()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.Invalid {
		return nil
	}
	var f core.Fields
	for _, fe := range ce.Fields {
		name, ok := strings.CutPrefix(fe.Field, "versions[0].")
		if !ok {
			name = "version"
		}
		f = append(f, core.FieldError{Field: name, Message: fe.Message})
	}
	return sortedErr(f)
}

// addCommissionVersion serves POST /commissions/plans/{planId}/versions:
// the plan with the new version.
func (h *handler) addCommissionVersion(c *call, r *http.Request) error {
	var in commissionVersionRequest
	if err := decode(r, &in, h.cshapes.version); err != nil {
		return err
	}
	var f core.Fields
	v := in.version("", &f)
	if len(f) > 0 {
		return mergeFields(f, func() error { return versionFields(v) })
	}
	if err := versionFields(v); err != nil {
		return err
	}
	pl, err := h.p.AddCommissionVersion(r.Context(), r.PathValue("planId"), v)
	if err != nil {
		return sortedFields(err)
	}
	return h.writeBody(c, http.StatusOK, toCommissionPlanBody(pl))
}

// assign serves PUT /{kind}s/{id}/commission-plan for the path's reseller
// of the kind (another kind's ID is not found).
func (h *handler) assign(c *call, r *http.Request, kind reseller.Kind, param string) error {
	var in assignmentRequest
	if err := decode(r, &in, h.cshapes.assignment); err != nil {
		return err
	}
	id := r.PathValue(param)
	if reseller.KindOf(id) != kind {
		return core.Errorf(core.NotFound, "%s %q not found", kind, id)
	}
	if in.PlanID == "" {
		return core.InvalidField("planId", "is required: a commission plan ID (cpl_...)")
	}
	a, err := h.p.AssignCommissionPlan(r.Context(), id, in.PlanID)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, assignmentBody{ResellerID: a.ResellerID, PlanID: a.PlanID, UpdatedAt: a.UpdatedAt.UTC()})
}

// setDistributorCommissionPlan serves PUT
// /distributors/{distributorId}/commission-plan.
func (h *handler) setDistributorCommissionPlan(c *call, r *http.Request) error {
	return h.assign(c, r, reseller.KindDistributor, "distributorId")
}

// setPartnerCommissionPlan serves PUT /partners/{partnerId}/commission-plan.
func (h *handler) setPartnerCommissionPlan(c *call, r *http.Request) error {
	return h.assign(c, r, reseller.KindPartner, "partnerId")
}

// runCommissions serves POST /commissions/runs: the month's commissions,
// stored once whatever the number of runs (200 with what this run did).
func (h *handler) runCommissions(c *call, r *http.Request) error {
	var in commissionRunRequest
	if err := decode(r, &in, h.cshapes.run); err != nil {
		return err
	}
	switch {
	case in.Period == "":
		return core.InvalidField("period", "is required: a month such as \"2026-11\"")
	case !commission.ValidMonth(in.Period):
		return core.InvalidField("period", "must be a month such as \"2026-11\"")
	}
	run, err := h.p.CalculateCommissions(r.Context(), in.Period)
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, commissionRunBody{Period: run.Month, Invoices: run.Invoices, Created: run.Created, Existing: run.Existing})
}

// monthParam checks a month query parameter into f: required or not.
func monthParam(q url.Values, name string, required bool, f *core.Fields) string {
	m := q.Get(name)
	switch {
	case m == "" && required:
		f.Add(name, "is required: a month such as \"2026-11\"")
	case m != "" && !commission.ValidMonth(m):
		f.Add(name, "must be a month such as \"2026-11\"")
	}
	return m
}

// statementBody is the wire form of a statement.
type statementBody struct {
	ID         string     `json:"id"`
	ResellerID string     `json:"resellerId"`
	Period     string     `json:"period"`
	Currency   string     `json:"currency"`
	Status     string     `json:"status"`
	Total      moneyBody  `json:"total"`
	Entries    int        `json:"entries"`
	CreatedAt  time.Time  `json:"createdAt"`
	ClosedAt   *time.Time `json:"closedAt"`
}

func toStatementBody(st commission.Statement) statementBody {
	return statementBody{ID: st.ID, ResellerID: st.ResellerID, Period: st.Month, Currency: st.Currency.Code(),
		Status: string(st.Status), Total: minorOf(st.Total, st.Currency), Entries: st.Entries,
		CreatedAt: st.CreatedAt.UTC(), ClosedAt: utcPtr(st.ClosedAt)}
}

// commissionEntryBody is the wire form of an entry: one party's share of
// one invoice line, traceable to the line and the rate version. Optional
// members are null.
type commissionEntryBody struct {
	TenantID      string    `json:"tenantId"`
	InvoiceID     string    `json:"invoiceId"`
	Line          int       `json:"line"`
	ResellerID    *string   `json:"resellerId"`
	Party         string    `json:"party"`
	Kind          string    `json:"kind"`
	Period        string    `json:"period"`
	InvoicePeriod string    `json:"invoicePeriod"`
	LineKind      string    `json:"lineKind"`
	SKU           *string   `json:"sku"`
	BillingPlan   *string   `json:"billingPlan"`
	NetAmount     moneyBody `json:"netAmount"`
	RateBP        int       `json:"rateBp"`
	Detail        *string   `json:"detail"`
	Amount        moneyBody `json:"amount"`
	PlanID        *string   `json:"planId"`
	VersionMonth  *string   `json:"versionMonth"`
	Excluded      *string   `json:"excluded"`
	CreatedAt     time.Time `json:"createdAt"`
}

func toEntryBody(e commission.Entry) commissionEntryBody {
	return commissionEntryBody{TenantID: e.TenantID, InvoiceID: e.InvoiceID, Line: e.Line, ResellerID: nilIfEmpty(e.ResellerID),
		Party: string(e.Party), Kind: string(e.Kind), Period: e.Month, InvoicePeriod: e.InvoiceMonth, LineKind: string(e.LineKind),
		SKU: nilIfEmpty(e.SKU), BillingPlan: nilIfEmpty(e.BillingPlan), NetAmount: minorOf(e.NetAmount, e.Currency),
		RateBP: e.RateBP, Detail: nilIfEmpty(e.Detail), Amount: minorOf(e.Amount, e.Currency), PlanID: nilIfEmpty(e.PlanID),
		VersionMonth: nilIfEmpty(e.VersionMonth), Excluded: nilIfEmpty(e.Excluded), CreatedAt: e.CreatedAt.UTC()}
}

// statementDetailBody is a statement with its entries.
type statementDetailBody struct {
	statementBody
	Items []commissionEntryBody `json:"items"`
}

// statementStatuses are the statuses GET /commissions/statements filters
// by.
var statementStatuses = map[commission.StatementStatus]bool{commission.StatementDraft: true, commission.StatementClosed: true}

// listCommissionStatements serves GET
// /commissions/statements?period&resellerId&status&page&limit: the
// statements the caller sees.
func (h *handler) listCommissionStatements(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "period", "resellerId", "status", "page", "limit")
	page := pageParams(q, &f)
	month := monthParam(q, "period", false, &f)
	st := commission.StatementStatus(q.Get("status"))
	if st != "" && !statementStatuses[st] {
		f.Add("status", "must be draft or closed")
	}
	if len(f) > 0 {
		return sortedErr(f)
	}
	pg, err := h.p.ListStatements(r.Context(), atomix.StatementQuery{ResellerID: q.Get("resellerId"), Month: month, Status: st, Page: page})
	if err != nil {
		return err
	}
	out := listBody[statementBody]{Data: make([]statementBody, 0, len(pg.Items)),
		Pagination: paginationBody{Page: pg.Page, Limit: pg.Limit, Total: pg.Total, TotalPages: pg.TotalPages}}
	for _, s := range pg.Items {
		out.Data = append(out.Data, toStatementBody(s))
	}
	return h.writeBody(c, http.StatusOK, out)
}

// getCommissionStatement serves GET /commissions/statements/{statementId}:
// the statement with its entries.
func (h *handler) getCommissionStatement(c *call, r *http.Request) error {
	d, err := h.p.GetStatement(r.Context(), r.PathValue("statementId"))
	if err != nil {
		return err
	}
	out := statementDetailBody{statementBody: toStatementBody(d.Statement), Items: make([]commissionEntryBody, len(d.Entries))}
	for i, e := range d.Entries {
		out.Items[i] = toEntryBody(e)
	}
	return h.writeBody(c, http.StatusOK, out)
}

// closeCommissionStatement serves POST
// /commissions/statements/{statementId}/close: the closed statement.
func (h *handler) closeCommissionStatement(c *call, r *http.Request) error {
	st, err := h.p.CloseStatement(r.Context(), r.PathValue("statementId"))
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toStatementBody(st))
}

// commissionTotalBody sums entries in one currency.
type commissionTotalBody struct {
	Currency  string    `json:"currency"`
	Earned    moneyBody `json:"earned"`
	Clawbacks moneyBody `json:"clawbacks"`
	Net       moneyBody `json:"net"`
	Lines     int       `json:"lines"`
}

func toTotalBody(t atomix.CommissionTotal) commissionTotalBody {
	c := t.Currency
	return commissionTotalBody{Currency: c.Code(), Earned: minorOf(t.Earned, c), Clawbacks: minorOf(t.Clawbacks, c),
		Net: minorOf(t.Net, c), Lines: t.Lines}
}

type commissionTenantBody struct {
	TenantID string `json:"tenantId"`
	commissionTotalBody
}

type commissionSKUBody struct {
	SKU *string `json:"sku"`
	commissionTotalBody
}

// commissionSummaryBody is the wire form of seed 001's commission
// summary.
type commissionSummaryBody struct {
	Period     string                 `json:"period"`
	ResellerID string                 `json:"resellerId"`
	ByCurrency []commissionTotalBody  `json:"byCurrency"`
	ByTenant   []commissionTenantBody `json:"byTenant"`
	BySKU      []commissionSKUBody    `json:"bySku"`
	Excluded   map[string]int         `json:"excluded"`
	Notes      []string               `json:"notes"`
}

func toCommissionSummaryBody(s atomix.CommissionSummary) commissionSummaryBody {
	out := commissionSummaryBody{Period: s.Month, ResellerID: s.ResellerID,
		ByCurrency: make([]commissionTotalBody, len(s.ByCurrency)), ByTenant: make([]commissionTenantBody, len(s.ByTenant)),
		BySKU: make([]commissionSKUBody, len(s.BySKU)), Excluded: s.Excluded, Notes: s.Notes}
	for i, t := range s.ByCurrency {
		out.ByCurrency[i] = toTotalBody(t)
	}
	for i, t := range s.ByTenant {
		out.ByTenant[i] = commissionTenantBody{TenantID: t.Key, commissionTotalBody: toTotalBody(t)}
	}
	for i, t := range s.BySKU {
		out.BySKU[i] = commissionSKUBody{SKU: nilIfEmpty(t.Key), commissionTotalBody: toTotalBody(t)}
	}
	if out.Excluded == nil {
		out.Excluded = map[string]int{}
	}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	return out
}

// getCommissionSummary serves GET
// /commissions/summary?period&partnerId|distributorId: one reseller's
// commissions for the month; a reseller naming neither gets its own.
func (h *handler) getCommissionSummary(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "period", "partnerId", "distributorId")
	month := monthParam(q, "period", true, &f)
	partner, dist := q.Get("partnerId"), q.Get("distributorId")
	switch {
	case partner != "" && dist != "":
		f.Add("distributorId", "give at most one of partnerId and distributorId")
		f.Add("partnerId", "give at most one of partnerId and distributorId")
	case partner != "" && reseller.KindOf(partner) != reseller.KindPartner:
		f.Add("partnerId", "must be a partner ID (prt_...)")
	case dist != "" && reseller.KindOf(dist) != reseller.KindDistributor:
		f.Add("distributorId", "must be a distributor ID (dist_...)")
	}
	if len(f) > 0 {
		return sortedErr(f)
	}
	s, err := h.p.CommissionSummary(r.Context(), month, partner+dist)
	var ce *core.Error
	if errors.As(err, &ce) && ce.Code == core.Invalid && slices.ContainsFunc(ce.Fields, func(fe core.FieldError) bool { return fe.Field == "resellerId" }) {
		// The platform named nobody: the wire's two parameters.
		var f core.Fields
		f.Add("distributorId", "name a partnerId or a distributorId")
		f.Add("partnerId", "name a partnerId or a distributorId")
		return f.Err()
	}
	if err != nil {
		return err
	}
	return h.writeBody(c, http.StatusOK, toCommissionSummaryBody(s))
}

// currencyCheckBody is one currency's reconciliation.
type currencyCheckBody struct {
	Currency     string    `json:"currency"`
	Invoiced     moneyBody `json:"invoiced"`
	Resellers    moneyBody `json:"resellers"`
	Platform     moneyBody `json:"platform"`
	Difference   moneyBody `json:"difference"`
	Invoices     int       `json:"invoices"`
	Uncalculated int       `json:"uncalculated"`
}

// reconciliationBody is the wire form of a month's reconciliation:
// balanced when every currency's difference is 0 and no finalized invoice
// awaits its commissions.
type reconciliationBody struct {
	Period     string              `json:"period"`
	Currencies []currencyCheckBody `json:"currencies"`
	Balanced   bool                `json:"balanced"`
}

// getCommissionReconciliation serves GET /commissions/reconciliation?period.
func (h *handler) getCommissionReconciliation(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "period")
	month := monthParam(q, "period", true, &f)
	if len(f) > 0 {
		return sortedErr(f)
	}
	checks, err := h.p.Reconciliation(r.Context(), month)
	if err != nil {
		return err
	}
	out := reconciliationBody{Period: month, Currencies: make([]currencyCheckBody, len(checks)), Balanced: true}
	for i, ch := range checks {
		cur := ch.Currency
		out.Currencies[i] = currencyCheckBody{Currency: cur.Code(), Invoiced: minorOf(ch.Invoiced, cur),
			Resellers: minorOf(ch.Resellers, cur), Platform: minorOf(ch.Platform, cur), Difference: minorOf(ch.Difference, cur),
			Invoices: ch.Invoices, Uncalculated: ch.Uncalculated}
		if ch.Difference != 0 || ch.Uncalculated != 0 {
			out.Balanced = false
		}
	}
	return h.writeBody(c, http.StatusOK, out)
}
