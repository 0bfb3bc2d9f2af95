package atomix

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store"
)

// Commissions for the reseller chain (package commission holds the
// rules). A run for a month (CalculateCommissions) splits every line of
// the month's finalized invoices among the partner, the distributor and
// the platform, as their plans' versions in force for the month say, and
// files each reseller's share in its statement for the month; an invoice
// voided later (or marked uncollectible, when the plan says so) is
// reversed by clawback entries in the statement of the month it happens
// in. A closed statement never changes: entries that would reach one go
// to the current month's statement.

// The commission permissions.
const (
	PermCommissionView  = "commission:view"
	PermCommissionPlan  = "commission:plan" // plans and assignments
	PermCommissionRun   = "commission:run"
	PermCommissionClose = "commission:close"
)

// monthOver reports whether month ("YYYY-MM") is over at now, and the
// month's start; core.Invalid naming "period" for a malformed month.
func monthOver(month string, now time.Time) (bool, error) {
	_, end, err := billing.ParseMonth(month)
	if err != nil {
		return false, core.InvalidField("period", "must be a month such as \"2026-11\"")
	}
	return !now.Before(end), nil
}

// needPastMonth refuses a month that is not over.
// Errors: core.Invalid naming "period"; core.PeriodInFuture.
func needPastMonth(month string, now time.Time) error {
	over, err := monthOver(month, now)
	if err != nil {
		return err
	}
	if !over {
		return core.Errorf(core.PeriodInFuture, "the month %s is not over", month)
	}
	return nil
}

// CreateCommissionPlan stores a commission plan. An empty ID gets a
// generated "cpl_..." one. No version may start in a month already over
// (rates never rewrite a past period).
// Errors: core.Unauthenticated; core.Forbidden without commission:plan or
// outside the platform's scope; core.Invalid naming each bad field;
// core.CommissionOverlap; core.CommissionPastPeriod; core.Conflict when
// the ID is taken.
func (p *Platform) CreateCommissionPlan(ctx context.Context, pl commission.Plan) (commission.Plan, error) {
	ctx, done := p.audited(ctx, "commission.plan.create")
	out, err := p.doCreateCommissionPlan(ctx, pl)
	done(out.ID, "", err)
	return out, err
}

func (p *Platform) doCreateCommissionPlan(ctx context.Context, pl commission.Plan) (commission.Plan, error) {
	if err := needPlatform(ctx, PermCommissionPlan); err != nil {
		return commission.Plan{}, err
	}
	if pl.ID == "" {
		pl.ID = core.NewID(core.PrefixCommissionPlan)
	}
	pl.Name = strings.TrimSpace(pl.Name)
	now := p.now.Now()
	pl.CreatedAt, pl.UpdatedAt = now, now
	if err := pl.Validate(); err != nil {
		return commission.Plan{}, err
	}
	for _, v := range pl.Versions {
		if err := p.futureVersion(v); err != nil {
			return commission.Plan{}, err
		}
	}
	if err := p.store.CreateCommissionPlan(ctx, pl); err != nil {
		return commission.Plan{}, err
	}
	return pl, nil
}

// futureVersion refuses a version starting in a month already over.
func (p *Platform) futureVersion(v commission.Version) error {
	if v.Month < commission.MonthOf(p.now.Now()) {
		return core.Errorf(core.CommissionPastPeriod, "a version from %s would rewrite a month already over; versions start in the current month or later", v.Month)
	}
	return nil
}

// ListCommissionPlans returns the commission plans.
// Errors: core.Unauthenticated; core.Forbidden without commission:plan or
// outside the platform's scope.
func (p *Platform) ListCommissionPlans(ctx context.Context) ([]commission.Plan, error) {
	if err := needPlatform(ctx, PermCommissionPlan); err != nil {
		return nil, err
	}
	return p.store.ListCommissionPlans(ctx)
}

// GetCommissionPlan returns a commission plan.
// Errors: core.Unauthenticated; core.Forbidden; core.NotFound.
func (p *Platform) GetCommissionPlan(ctx context.Context, id string) (commission.Plan, error) {
	if err := needPlatform(ctx, PermCommissionPlan); err != nil {
		return commission.Plan{}, err
	}
	if !core.ValidID(core.PrefixCommissionPlan, id) {
		return commission.Plan{}, core.Errorf(core.NotFound, "commission plan %q not found", id)
	}
	return p.store.GetCommissionPlan(ctx, id)
}

// AddCommissionVersion adds a rate version to a plan, from its month on.
// The month must not be over, nor already have a version; every chain
// the plan is assigned in must stay within 100%.
// Errors: core.Unauthenticated; core.Forbidden; core.NotFound;
// core.Invalid naming the version's bad fields; core.CommissionPastPeriod;
// core.CommissionOverlap; core.CommissionRatesExceed.
func (p *Platform) AddCommissionVersion(ctx context.Context, planID string, v commission.Version) (commission.Plan, error) {
	ctx, done := p.audited(ctx, "commission.plan.version")
	out, err := p.doAddCommissionVersion(ctx, planID, v)
	done(planID, "", err)
	return out, err
}

func (p *Platform) doAddCommissionVersion(ctx context.Context, planID string, v commission.Version) (commission.Plan, error) {
	if _, err := p.GetCommissionPlan(ctx, planID); err != nil {
		return commission.Plan{}, err
	}
	var out commission.Plan
	err := p.store.InTx(ctx, func(tx store.Store) error {
		var err error
		out, err = tx.UpdateCommissionPlan(ctx, planID, func(pl commission.Plan) (commission.Plan, error) {
			if err := p.futureVersion(v); err != nil {
				return pl, err
			}
			pl.Versions = append(slices.Clone(pl.Versions), v)
			slices.SortStableFunc(pl.Versions, func(a, b commission.Version) int { return strings.Compare(a.Month, b.Month) })
			pl.UpdatedAt = p.now.Now()
			return pl, pl.Validate()
		})
		if err != nil {
			return err
		}
		as, err := tx.ListAssignments(ctx)
		if err != nil {
			return err
		}
		for _, a := range as {
			if a.PlanID == planID {
				if err := p.checkChainOf(ctx, tx, a.ResellerID, planID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// AssignCommissionPlan points a reseller to a commission plan of its
// level. The partner's and its distributor's plans must not add up to
// more than 100% on any line.
// Errors: core.Unauthenticated; core.Forbidden; core.NotFound for the
// reseller; core.Invalid naming "planId" (unknown, or of another level);
// core.CommissionRatesExceed.
func (p *Platform) AssignCommissionPlan(ctx context.Context, resellerID, planID string) (commission.Assignment, error) {
	ctx, done := p.audited(ctx, "commission.assign")
	out, err := p.doAssignCommissionPlan(ctx, resellerID, planID)
	done(resellerID, "", err)
	return out, err
}

func (p *Platform) doAssignCommissionPlan(ctx context.Context, resellerID, planID string) (commission.Assignment, error) {
	if err := needPlatform(ctx, PermCommissionPlan); err != nil {
		return commission.Assignment{}, err
	}
	r, err := p.getReseller(ctx, resellerID)
	if err != nil {
		return commission.Assignment{}, err
	}
	a := commission.Assignment{ResellerID: r.ID, PlanID: planID, UpdatedAt: p.now.Now()}
	err = p.store.InTx(ctx, func(tx store.Store) error {
		pl, err := tx.GetCommissionPlan(ctx, planID)
		if core.ErrorCode(err) == core.NotFound || !core.ValidID(core.PrefixCommissionPlan, planID) {
			return core.InvalidField("planId", "no commission plan has the ID %q", planID)
		}
		if err != nil {
			return err
		}
		if want := levelOf(r); pl.Level != want {
			return core.InvalidField("planId", "plan %s pays %ss; %s is a %s", planID, pl.Level, r.ID, want)
		}
		if err := tx.PutAssignment(ctx, a); err != nil {
			return err
		}
		return p.checkChainOf(ctx, tx, r.ID, planID)
	})
	if err != nil {
		return commission.Assignment{}, err
	}
	return a, nil
}

func (p *Platform) getReseller(ctx context.Context, id string) (reseller.Reseller, error) {
	if k := reseller.KindOf(id); k != reseller.KindDistributor && k != reseller.KindPartner {
		return reseller.Reseller{}, core.Errorf(core.NotFound, "reseller %q not found", id)
	}
	return p.store.GetReseller(ctx, id)
}

func levelOf(r reseller.Reseller) commission.Level {
	if r.Kind == reseller.KindPartner {
		return commission.LevelPartner
	}
	return commission.LevelDistributor
}

// planOf returns the commission plan assigned to a reseller, nil for
// none.
func planOf(ctx context.Context, s store.Store, resellerID string) (*commission.Plan, error) {
	if resellerID == "" {
		return nil, nil
	}
	a, err := s.GetAssignment(ctx, resellerID)
	if core.ErrorCode(err) == core.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	pl, err := s.GetCommissionPlan(ctx, a.PlanID)
	if err != nil {
		return nil, err
	}
	return &pl, nil
}

// checkChainOf checks every chain resellerID (now on planID) is in: a
// partner with its distributor, or a distributor with each partner.
func (p *Platform) checkChainOf(ctx context.Context, tx store.Store, resellerID, planID string) error {
	r, err := tx.GetReseller(ctx, resellerID)
	if err != nil {
		return err
	}
	mine, err := tx.GetCommissionPlan(ctx, planID)
	if err != nil {
		return err
	}
	if r.Kind == reseller.KindPartner {
		dist, err := planOf(ctx, tx, r.DistributorID)
		if err != nil {
			return err
		}
		return commission.CheckChain(&mine, dist)
	}
	f := reseller.Filter{Kind: reseller.KindPartner, DistributorID: r.ID, IncludeDeleted: true}
	for pg := 1; ; pg++ {
		f.Page = core.PageRequest{Page: pg, Limit: core.MaxLimit}
		partners, total, err := tx.ListResellers(ctx, f)
		if err != nil {
			return err
		}
		for _, pr := range partners {
			pp, err := planOf(ctx, tx, pr.ID)
			if err != nil {
				return err
			}
			if err := commission.CheckChain(pp, &mine); err != nil {
				return err
			}
		}
		if len(partners) == 0 || pg*core.MaxLimit >= total {
			return nil
		}
	}
}

// CommissionRun is the outcome of CalculateCommissions.
type CommissionRun struct {
	Month string
	// Invoices counts the month's invoices read; Created the entries this
	// run stored; Existing those an earlier run had stored.
	Invoices int
	Created  int
	Existing int
}

// CalculateCommissions calculates the commissions of a month's finalized
// invoices (open, paid, uncollectible) and files them in the resellers'
// statements. It is idempotent: an entry is stored once, so a second run
// stores only what the first could not see (invoices finalized since).
// Errors: core.Unauthenticated; core.Forbidden without commission:run or
// outside the platform's scope; core.Invalid naming "period";
// core.PeriodInFuture for a month not over; core.CommissionRatesExceed.
func (p *Platform) CalculateCommissions(ctx context.Context, month string) (CommissionRun, error) {
	ctx, done := p.audited(ctx, "commission.run")
	out, err := p.doCalculateCommissions(ctx, month)
	done(month, "", err)
	return out, err
}

func (p *Platform) doCalculateCommissions(ctx context.Context, month string) (CommissionRun, error) {
	if err := needPlatform(ctx, PermCommissionRun); err != nil {
		return CommissionRun{}, err
	}
	now := p.now.Now()
	if err := needPastMonth(month, now); err != nil {
		return CommissionRun{}, err
	}
	out := CommissionRun{Month: month}
	// Tiers rate a line by the reseller's revenue over the whole month
	// (graduated ones walking the month's lines in order), so a month
	// with a tiered version in force is calculated at once; otherwise
	// each line's shares depend on the line alone, and each page of
	// invoices is calculated and filed on its own.
	whole, err := tieredMonth(ctx, p.store, month)
	if err != nil {
		return CommissionRun{}, err
	}
	res := newResolver(p.store)
	var all []billing.Invoice
	err = scanMonth(ctx, p.store, month, func(invs []billing.Invoice) error {
		out.Invoices += len(invs)
		if whole {
			all = append(all, invs...)
			return nil
		}
		return p.calculateInvoices(ctx, res, invs, month, now, &out)
	})
	if err == nil && whole {
		err = p.calculateInvoices(ctx, res, all, month, now, &out)
	}
	if err != nil {
		return CommissionRun{}, err
	}
	return out, nil
}

// commissionPage is how many invoices the commission run and the
// reconciliation read at a time; commissionFileChunk how many entries
// the run files per transaction.
const (
	commissionPage      = billing.MaxScanLimit
	commissionFileChunk = 10 * commissionPage
)

// scanMonth calls page with each page of the month's invoices, in key
// order, until the last or an error; page may keep and reorder the
// slice.
func scanMonth(ctx context.Context, s store.Store, month string, page func([]billing.Invoice) error) error {
	var after billing.InvoiceKey
	for {
		invs, err := s.ScanInvoices(ctx, month, after, commissionPage)
		if err != nil {
			return err
		}
		if len(invs) == 0 {
			return nil
		}
		full := len(invs) == commissionPage
		after = invs[len(invs)-1].Key() // before page, which may reorder invs
		if err := page(invs); err != nil || !full {
			return err
		}
	}
}

// tieredMonth reports whether any commission plan has a version with
// tiers in force for the month.
func tieredMonth(ctx context.Context, s store.Store, month string) (bool, error) {
	pls, err := s.ListCommissionPlans(ctx)
	if err != nil {
		return false, err
	}
	for _, pl := range pls {
		if v, ok := pl.VersionAt(month); ok && len(v.Tiers) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// calculateInvoices calculates the commissions of invs and files them,
// in transactions of up to commissionFileChunk entries, adding the counts
// to out.
func (p *Platform) calculateInvoices(ctx context.Context, res *resolver, invs []billing.Invoice, month string, now time.Time, out *CommissionRun) error {
	in, err := res.input(ctx, invs, month, now)
	if err != nil {
		return err
	}
	entries, err := commission.Calculate(in)
	if err != nil {
		return err
	}
	for len(entries) > 0 {
		chunk := entries[:min(commissionFileChunk, len(entries))]
		entries = entries[len(chunk):]
		made, err := p.fileEntries(ctx, p.store, chunk, now)
		if err != nil {
			return err
		}
		out.Created += made
		out.Existing += len(chunk) - made
	}
	return nil
}

// fileEntries stores entries in one transaction of s (joining it when s
// is a transaction), each reseller's in its draft statement for the
// entry's month, or for the current month when that one is closed. It
// returns how many were new.
func (p *Platform) fileEntries(ctx context.Context, s store.Store, entries []commission.Entry, now time.Time) (int, error) {
	if len(entries) == 0 {
		return 0, nil
	}
	made := 0
	err := s.InTx(ctx, func(tx store.Store) error {
		made = 0
		type key struct {
			reseller, month, currency string
		}
		batch := slices.Clone(entries)
		cur := map[string]money.Currency{}
		var keys []key
		for _, e := range batch {
			if e.ResellerID != "" {
				keys = append(keys, key{e.ResellerID, e.Month, e.Currency.Code()})
				cur[e.Currency.Code()] = e.Currency
			}
		}
		// Statements are opened (and locked) in one order, so that two runs
		// never wait for each other's locks the other way round.
		slices.SortFunc(keys, func(a, b key) int {
			return strings.Compare(a.reseller+"\x00"+a.month+"\x00"+a.currency, b.reseller+"\x00"+b.month+"\x00"+b.currency)
		})
		keys = slices.Compact(keys)
		open := make(map[key]commission.Statement, len(keys))
		for _, k := range keys {
			st, err := tx.OpenStatement(ctx, k.reseller, k.month, cur[k.currency], now)
			if core.ErrorCode(err) == core.StatementClosed {
				st, err = tx.OpenStatement(ctx, k.reseller, commission.MonthOf(now), cur[k.currency], now)
			}
			if err != nil {
				return err
			}
			open[k] = st
		}
		for i := range batch {
			e := &batch[i]
			if e.ResellerID == "" {
				continue
			}
			st := open[key{e.ResellerID, e.Month, e.Currency.Code()}]
			e.StatementID, e.Month = st.ID, st.Month
		}
		ok, err := tx.InsertEntries(ctx, batch)
		if err != nil {
			return err
		}
		for _, b := range ok {
			if b {
				made++
			}
		}
		return nil
	})
	return made, err
}

// reinstate reverses the clawbacks of an uncollectible invoice that is
// paid after all, inside tx, in the current month's statements.
func (p *Platform) reinstate(ctx context.Context, tx store.Store, inv billing.Invoice, now time.Time) error {
	claws, err := tx.ListEntries(ctx, commission.EntryFilter{InvoiceID: inv.ID, TenantID: inv.TenantID, Kind: commission.Clawback})
	if err != nil || len(claws) == 0 {
		return err
	}
	_, err = p.fileEntries(ctx, tx, commission.Reinstate(claws, commission.MonthOf(now), now), now)
	return err
}

// clawback reverses the commissions of an invoice inside tx, in the
// current month's statements: always when it is voided, and when it is
// marked uncollectible if a reseller's plan version for the invoice's
// month says so.
func (p *Platform) clawback(ctx context.Context, tx store.Store, inv billing.Invoice, to billing.InvoiceStatus, now time.Time) error {
	earned, err := tx.ListEntries(ctx, commission.EntryFilter{InvoiceID: inv.ID, TenantID: inv.TenantID, Kind: commission.Earned})
	if err != nil || len(earned) == 0 {
		return err
	}
	if to == billing.InvoiceUncollectible {
		claw := false
		for _, e := range earned {
			if e.ResellerID == "" {
				continue
			}
			pl, err := planOf(ctx, tx, e.ResellerID)
			if err != nil {
				return err
			}
			if pl != nil {
				if v, ok := pl.VersionAt(e.InvoiceMonth); ok && v.ClawbackUncollectible {
					claw = true
				}
			}
		}
		if !claw {
			return nil
		}
	}
	rev := commission.Reverse(earned, commission.MonthOf(now), now)
	_, err = p.fileEntries(ctx, tx, rev, now)
	return err
}

// resolver reads owners and plans once per run.
type resolver struct {
	s         store.Store
	resellers map[string]reseller.Reseller
	plans     map[string]*commission.Plan
	history   map[string][]reseller.Ownership
}

func newResolver(s store.Store) *resolver {
	return &resolver{s: s, resellers: map[string]reseller.Reseller{}, plans: map[string]*commission.Plan{}, history: map[string][]reseller.Ownership{}}
}

func (r *resolver) reseller(ctx context.Context, id string) (reseller.Reseller, error) {
	if rs, ok := r.resellers[id]; ok {
		return rs, nil
	}
	rs, err := r.s.GetReseller(ctx, id)
	if err != nil {
		return reseller.Reseller{}, err
	}
	r.resellers[id] = rs
	return rs, nil
}

func (r *resolver) plan(ctx context.Context, id string) (*commission.Plan, error) {
	if id == "" {
		return nil, nil
	}
	if pl, ok := r.plans[id]; ok {
		return pl, nil
	}
	pl, err := planOf(ctx, r.s, id)
	if err != nil {
		return nil, err
	}
	r.plans[id] = pl
	return pl, nil
}

// input returns the commission.Input of invs, sorted first into the
// order Calculate walks (CreatedAt, then ID), with their owners and the
// owners' plans.
func (r *resolver) input(ctx context.Context, invs []billing.Invoice, month string, now time.Time) (commission.Input, error) {
	slices.SortFunc(invs, func(a, b billing.Invoice) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	in := commission.Input{Invoices: invs, Owners: make(map[string]commission.Owner, len(invs)), Plans: map[string]commission.Plan{}, Month: month, Now: now}
	for _, inv := range invs {
		o, err := r.owner(ctx, inv)
		if err != nil {
			return commission.Input{}, err
		}
		in.Owners[inv.ID] = o
		for _, id := range []string{o.PartnerID, o.DistributorID} {
			if pl, err := r.plan(ctx, id); err != nil {
				return commission.Input{}, err
			} else if pl != nil {
				in.Plans[id] = *pl
			}
		}
	}
	return in, nil
}

// owner returns who owned the invoice's tenant on the last day of its
// period, from the ownership history.
func (r *resolver) owner(ctx context.Context, inv billing.Invoice) (commission.Owner, error) {
	hist, ok := r.history[inv.TenantID]
	if !ok {
		t, err := r.s.GetTenant(ctx, inv.TenantID)
		if err != nil {
			return commission.Owner{}, err
		}
		rows, err := r.s.ListOwnerships(ctx, inv.TenantID)
		if err != nil {
			return commission.Owner{}, err
		}
		hist = reseller.History(t, rows)
		r.history[inv.TenantID] = hist
	}
	id, ok := reseller.OwnerAt(hist, inv.PeriodEnd.Add(-time.Microsecond))
	if !ok {
		id = inv.OwnerID
	}
	switch reseller.KindOf(id) {
	case reseller.KindPartner:
		rs, err := r.reseller(ctx, id)
		if err != nil {
			return commission.Owner{}, err
		}
		return commission.Owner{PartnerID: id, DistributorID: rs.DistributorID}, nil
	case reseller.KindDistributor:
		return commission.Owner{DistributorID: id}, nil
	}
	return commission.Owner{}, nil
}

// StatementQuery selects statements for ListStatements.
type StatementQuery struct {
	ResellerID string
	Month      string
	Status     commission.StatementStatus
	Page       core.PageRequest
}

// statementOwners returns the resellers whose statements the actor sees:
// nil for all (the platform), a partner itself, a distributor itself and
// its partners.
func (p *Platform) statementOwners(ctx context.Context, a access.Actor) ([]string, error) {
	switch a.Scope.Kind {
	case access.ScopePlatform:
		return nil, nil
	case access.ScopePartner:
		return []string{a.Scope.ID}, nil
	case access.ScopeDistributor:
		owners, _, err := p.distributorOwners(ctx, a.Scope.ID)
		return owners, err
	}
	return []string{}, nil
}

// ListStatements returns one page of the commission statements the actor
// sees: the platform all, a distributor its own and its partners', a
// partner its own.
// Errors: core.Unauthenticated; core.Forbidden without commission:view;
// core.Invalid naming "period", "status" or the page's fields.
func (p *Platform) ListStatements(ctx context.Context, q StatementQuery) (core.Page[commission.Statement], error) {
	a, err := need(ctx, PermCommissionView)
	if err != nil {
		return core.Page[commission.Statement]{}, err
	}
	var fields core.Fields
	if q.Month != "" && !commission.ValidMonth(q.Month) {
		fields.Add("period", "must be a month such as \"2026-11\"")
	}
	if q.Status != "" && q.Status != commission.StatementDraft && q.Status != commission.StatementClosed {
		fields.Add("status", "must be draft or closed")
	}
	req, err := q.Page.Normalize()
	if err != nil {
		return core.Page[commission.Statement]{}, err
	}
	if err := fields.Err(); err != nil {
		return core.Page[commission.Statement]{}, err
	}
	owners, err := p.statementOwners(ctx, a)
	if err != nil {
		return core.Page[commission.Statement]{}, err
	}
	f := commission.StatementFilter{Month: q.Month, Status: q.Status, Page: req, ResellerIDs: owners}
	if q.ResellerID != "" {
		if owners != nil && !slices.Contains(owners, q.ResellerID) {
			return core.NewPage(req, []commission.Statement{}, 0), nil
		}
		f.ResellerIDs = []string{q.ResellerID}
	}
	if owners != nil && len(owners) == 0 {
		return core.NewPage(req, []commission.Statement{}, 0), nil
	}
	items, total, err := p.store.ListStatements(ctx, f)
	if err != nil {
		return core.Page[commission.Statement]{}, err
	}
	return core.NewPage(req, items, total), nil
}

// reachStatement returns the statement when the actor sees it.
func (p *Platform) reachStatement(ctx context.Context, perm, id string) (commission.Statement, error) {
	a, err := need(ctx, perm)
	if err != nil {
		return commission.Statement{}, err
	}
	notFound := core.Errorf(core.NotFound, "statement %q not found", id)
	if !core.ValidID(core.PrefixStatement, id) {
		return commission.Statement{}, notFound
	}
	st, err := p.store.GetStatement(ctx, id)
	if err != nil {
		return commission.Statement{}, err
	}
	owners, err := p.statementOwners(ctx, a)
	if err != nil {
		return commission.Statement{}, err
	}
	if owners != nil && !slices.Contains(owners, st.ResellerID) {
		noteOutOfScope(ctx)
		return commission.Statement{}, notFound
	}
	return st, nil
}

// StatementDetail is a statement with its entries.
type StatementDetail struct {
	commission.Statement
	Entries []commission.Entry
}

// GetStatement returns a statement the actor sees, with its entries (at
// most commission.MaxEntryPage; each traceable to its invoice line and
// rate version).
// Errors: core.Unauthenticated; core.Forbidden without commission:view;
// core.NotFound, also outside the actor's scope.
func (p *Platform) GetStatement(ctx context.Context, id string) (StatementDetail, error) {
	st, err := p.reachStatement(ctx, PermCommissionView, id)
	if err != nil {
		return StatementDetail{}, err
	}
	entries, err := p.store.ListEntries(ctx, commission.EntryFilter{StatementID: st.ID})
	if err != nil {
		return StatementDetail{}, err
	}
	return StatementDetail{Statement: st, Entries: entries}, nil
}

// CloseStatement closes a draft statement of a month that is over; it
// never changes again.
// Errors: core.Unauthenticated; core.Forbidden without commission:close
// or outside the platform's scope; core.NotFound; core.PeriodInFuture;
// core.StatementClosed when it is closed already.
func (p *Platform) CloseStatement(ctx context.Context, id string) (commission.Statement, error) {
	ctx, done := p.audited(ctx, "commission.statement.close")
	out, err := p.doCloseStatement(ctx, id)
	done(id, "", err)
	return out, err
}

func (p *Platform) doCloseStatement(ctx context.Context, id string) (commission.Statement, error) {
	if err := needPlatform(ctx, PermCommissionClose); err != nil {
		return commission.Statement{}, err
	}
	st, err := p.reachStatement(ctx, PermCommissionClose, id)
	if err != nil {
		return commission.Statement{}, err
	}
	if err := needPastMonth(st.Month, p.now.Now()); err != nil {
		return commission.Statement{}, err
	}
	return p.store.CloseStatement(ctx, id, p.now.Now())
}

// CommissionSummary is seed 001's /commissions/summary: one reseller's
// commissions for a month (its statements' entries), by currency, tenant
// and SKU, with the lines it earned nothing on and why.
type CommissionSummary struct {
	Month      string
	ResellerID string
	ByCurrency []CommissionTotal
	ByTenant   []CommissionTotal
	BySKU      []CommissionTotal
	// Excluded counts the lines the reseller earned nothing on, by reason
	// (commission.Excluded*), e.g. "no_commission_plan".
	Excluded map[string]int
	// Notes say why a share may be zero: no plan, or no version in force.
	Notes []string
}

// CommissionTotal sums entries: Key is the tenant ID or the SKU ("" for
// subscription lines), or empty in ByCurrency.
type CommissionTotal struct {
	Key      string
	Currency money.Currency
	Earned   int64
	// Clawbacks sums the reversals, net of reinstatements (negative).
	Clawbacks int64
	Net       int64
	// Lines counts the Earned entries, excluded ones (amount 0) included.
	Lines int
}

// CommissionSummary summarises a reseller's commissions for a month: a
// partner or distributor sees its own (a distributor also its
// partners'), the platform any.
// Errors: core.Unauthenticated; core.Forbidden without commission:view;
// core.Invalid naming "period" or "resellerId"; core.NotFound for a
// reseller outside the actor's scope.
func (p *Platform) CommissionSummary(ctx context.Context, month, resellerID string) (CommissionSummary, error) {
	a, err := need(ctx, PermCommissionView)
	if err != nil {
		return CommissionSummary{}, err
	}
	if !commission.ValidMonth(month) {
		return CommissionSummary{}, core.InvalidField("period", "must be a month such as \"2026-11\"")
	}
	if resellerID == "" {
		switch a.Scope.Kind {
		case access.ScopeDistributor, access.ScopePartner:
			resellerID = a.Scope.ID
		default:
			return CommissionSummary{}, core.InvalidField("resellerId", "name a partnerId or a distributorId")
		}
	}
	owners, err := p.statementOwners(ctx, a)
	if err != nil {
		return CommissionSummary{}, err
	}
	if owners != nil && !slices.Contains(owners, resellerID) {
		noteOutOfScope(ctx)
		return CommissionSummary{}, core.Errorf(core.NotFound, "reseller %q not found", resellerID)
	}
	if _, err := p.getReseller(ctx, resellerID); err != nil {
		return CommissionSummary{}, err
	}
	out := CommissionSummary{Month: month, ResellerID: resellerID, Excluded: map[string]int{}}
	pl, err := planOf(ctx, p.store, resellerID)
	switch {
	case err != nil:
		return CommissionSummary{}, err
	case pl == nil:
		out.Notes = append(out.Notes, fmt.Sprintf("%s has no commission plan: its share is zero", resellerID))
	default:
		if _, ok := pl.VersionAt(month); !ok {
			out.Notes = append(out.Notes, fmt.Sprintf("plan %s has no version in force in %s: the share is zero", pl.ID, month))
		}
	}
	sts, _, err := p.store.ListStatements(ctx, commission.StatementFilter{ResellerIDs: []string{resellerID}, Month: month,
		Page: core.PageRequest{Page: 1, Limit: core.MaxLimit}})
	if err != nil {
		return CommissionSummary{}, err
	}
	byCur, byTenant, bySKU := map[string]*CommissionTotal{}, map[[2]string]*CommissionTotal{}, map[[2]string]*CommissionTotal{}
	add := func(m map[[2]string]*CommissionTotal, k string, e commission.Entry) {
		t := m[[2]string{k, e.Currency.Code()}]
		if t == nil {
			t = &CommissionTotal{Key: k, Currency: e.Currency}
			m[[2]string{k, e.Currency.Code()}] = t
		}
		t.add(e)
	}
	for _, st := range sts {
		var after *commission.EntryKey
		for {
			entries, err := p.store.ListEntries(ctx, commission.EntryFilter{StatementID: st.ID, After: after})
			if err != nil {
				return CommissionSummary{}, err
			}
			for _, e := range entries {
				if e.Excluded != "" {
					out.Excluded[e.Excluded]++
				}
				c := byCur[e.Currency.Code()]
				if c == nil {
					c = &CommissionTotal{Currency: e.Currency}
					byCur[e.Currency.Code()] = c
				}
				c.add(e)
				add(byTenant, e.TenantID, e)
				add(bySKU, e.SKU, e)
			}
			if len(entries) < commission.MaxEntryPage {
				break
			}
			k := entries[len(entries)-1].Key()
			after = &k
		}
	}
	for _, k := range slices.Sorted(maps.Keys(byCur)) {
		out.ByCurrency = append(out.ByCurrency, *byCur[k])
	}
	for _, k := range sortedPairs(byTenant) {
		out.ByTenant = append(out.ByTenant, *byTenant[k])
	}
	for _, k := range sortedPairs(bySKU) {
		out.BySKU = append(out.BySKU, *bySKU[k])
	}
	return out, nil
}

func (t *CommissionTotal) add(e commission.Entry) {
	if e.Kind != commission.Earned {
		t.Clawbacks += e.Amount // a reinstatement cancels its clawback
	} else {
		t.Earned += e.Amount
		t.Lines++
	}
	t.Net += e.Amount
}

// Reconciliation checks the invariant for a month (GET
// /commissions/reconciliation): per currency, the resellers' and the
// platform's shares of the month's invoices sum to their net amounts.
// Errors: core.Unauthenticated; core.Forbidden without commission:run or
// outside the platform's scope; core.Invalid naming "period".
func (p *Platform) Reconciliation(ctx context.Context, month string) ([]commission.CurrencyCheck, error) {
	if err := needPlatform(ctx, PermCommissionRun); err != nil {
		return nil, err
	}
	if !commission.ValidMonth(month) {
		return nil, core.InvalidField("period", "must be a month such as \"2026-11\"")
	}
	var invs []billing.Invoice
	err := scanMonth(ctx, p.store, month, func(page []billing.Invoice) error {
		invs = append(invs, page...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var entries []commission.Entry
	var after *commission.EntryKey
	for {
		page, err := p.store.ListEntries(ctx, commission.EntryFilter{InvoiceMonth: month, After: after})
		if err != nil {
			return nil, err
		}
		entries = append(entries, page...)
		if len(page) < commission.MaxEntryPage {
			break
		}
		k := page[len(page)-1].Key()
		after = &k
	}
	return commission.Reconcile(invs, entries)
}
