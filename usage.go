package atomix

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/identity"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
)

// Usage: ingestion, reports and the limits enforced where the write
// happens.

// stateUsed returns the tenant's state metrics: its users and its
// installed atoms, as the store derives them on every read of the tenant
// (Tenant.UserCount and AtomCount), so t must be freshly read.
func stateUsed(t tenant.Tenant) map[string]int64 {
	return map[string]int64{billing.MetricUsers: int64(t.UserCount), billing.MetricAtoms: int64(t.AtomCount)}
}

// checkFits refuses a plan whose user and atom limits the tenant's
// current users and atoms do not fit (core.DowngradeBlocked naming each);
// t must be freshly read (stateUsed).
func checkFits(t tenant.Tenant, pl billing.Plan) error {
	return billing.CheckFits(pl, stateUsed(t))
}

// planLimit returns the tenant's plan limit on a metric, read through s;
// billing.Unlimited when the tenant has no stored plan or the plan sets
// none.
func planLimit(ctx context.Context, s store.Store, planID, metric string) (int64, error) {
	pl, ok, err := planOfTenant(ctx, s, planID)
	if err != nil || !ok {
		return billing.Unlimited, err
	}
	v, _ := pl.Limit(metric)
	return v, nil
}

// limitExceeded is the error of a write past a plan limit.
func limitExceeded(metric, planID string, limit, used int64) error {
	return &core.Error{Code: core.PlanLimitExceeded,
		Message: fmt.Sprintf("plan %s allows %d %s and the tenant has %d; upgrade the plan", planID, limit, metric, used),
		Fields:  core.Fields{{Field: "limits." + billing.LimitName(metric), Message: fmt.Sprintf("%d used of %d", used, limit)}}}
}

// checkUserLimit refuses one more user past the plan's maxUsers. The
// tenant must be held by tx (UpdateTenant), so that no concurrent
// writer passes the limit with it.
func (p *Platform) checkUserLimit(ctx context.Context, tx store.Store, t tenant.Tenant) error {
	limit, err := planLimit(ctx, tx, t.PlanID, billing.MetricUsers)
	if err != nil || limit == billing.Unlimited {
		return err
	}
	n, err := tx.CountUsers(ctx, t.ID)
	if err != nil {
		return err
	}
	if int64(n)+1 > limit {
		return limitExceeded(billing.MetricUsers, t.PlanID, limit, int64(n))
	}
	return nil
}

// createUserIn creates a tenant user, holding the tenant in one
// transaction with the maxUsers check.
func (p *Platform) createUserIn(ctx context.Context, in identity.CreateUserInput) (identity.User, error) {
	if in.Password != "" {
		h, err := p.users.HashPassword(ctx, in.Password, in.Email)
		if err != nil {
			return identity.User{}, err
		}
		in.Password, in.PasswordHash = "", h
	}
	var u identity.User
	var t tenant.Tenant
	err := p.store.InTx(ctx, func(tx store.Store) error {
		var err error
		t, err = tx.UpdateTenant(ctx, in.TenantID, func(t tenant.Tenant) (tenant.Tenant, error) { return t, nil })
		if err != nil {
			return err
		}
		if err := p.checkUserLimit(ctx, tx, t); err != nil {
			return err
		}
		u, err = p.users.WithStore(tx).CreateUser(ctx, in)
		return err
	})
	if err != nil {
		return identity.User{}, err
	}
	p.stateThresholds(ctx, t, billing.MetricUsers)
	return u, nil
}

// stateThresholds emits the threshold events a state metric crossed. It
// runs after the write committed; failures are dropped (the next write
// tries again: marks are written once).
func (p *Platform) stateThresholds(ctx context.Context, t tenant.Tenant, metric string) {
	ctx = context.WithoutCancel(ctx)
	pl, ok, err := planOfTenant(ctx, p.store, t.PlanID)
	if err != nil || !ok {
		return
	}
	limit, set := pl.Limit(metric)
	if !set || limit <= 0 {
		return
	}
	// t was read before the write: read it again for its counts.
	t, err = p.store.GetTenant(ctx, t.ID)
	if err != nil {
		return
	}
	used := stateUsed(t)
	start := time.Time{}
	if sub, err := p.store.GetSubscription(ctx, t.ID); err == nil {
		if pd, err := sub.CurrentPeriod(p.now.Now()); err == nil {
			start = pd.Start
		}
	}
	p.crossed(ctx, t.ID, metric, used[metric], limit, start)
}

// crossed marks and notifies each threshold used reaches.
func (p *Platform) crossed(ctx context.Context, tenantID, metric string, used, limit int64, periodStart time.Time) {
	if limit <= 0 {
		return
	}
	for _, pct := range billing.Thresholds {
		// used/limit >= pct/100, in integers.
		if used*100 < int64(pct)*limit {
			continue
		}
		first, err := p.store.MarkThreshold(ctx, tenantID, metric, periodStart, pct)
		if err != nil || !first || p.billing.Notifier == nil {
			continue
		}
		_ = p.billing.Notifier.Notify(ctx, billing.ThresholdEvent{TenantID: tenantID, Metric: metric, Percent: pct,
			Used: used, Limit: limit, PeriodStart: periodStart, At: p.now.Now()})
	}
}

// maxAtoms returns the tenant's atom-slot limit: WithLimits' when set,
// else its plan's maxAtoms, read through tx.
func (p *Platform) maxAtoms(ctx context.Context, tx store.Store, t tenant.Tenant) (int, error) {
	if p.limits != nil {
		return p.limits.MaxAtoms(ctx, t)
	}
	v, err := planLimit(ctx, tx, t.PlanID, billing.MetricAtoms)
	if err != nil {
		return 0, err
	}
	if v > int64(1<<31-1) {
		v = 1<<31 - 1
	}
	return int(v), nil
}

// tenantBatch is what one batch knows of a tenant it names.
type tenantBatch struct {
	err  string // a rejection reason for all its records
	msg  string
	sub  billing.Subscription
	plan billing.Plan
	has  bool // has a plan
}

// IngestUsage stores a batch of usage records (POST /usage) and answers
// for each, in order, accepted, duplicate (its idempotency key was used
// before, forever, or earlier in the batch) or rejected with a reason
// (billing.Reason*). Rejected records change nothing; the others are
// stored in one write. Then it emits the threshold events of the metered
// limits the batch crossed.
// Errors (for the whole batch): core.Unauthenticated; core.Forbidden
// without usage:write; core.Invalid naming "records" for an empty batch
// or one over billing.MaxUsageBatch; core.Internal wrapping ctx's error
// when ctx ends while the batch waits for a slot in the CPU gate (on a
// store.InProcess store; see WithCPUGate); those of the store.
func (p *Platform) IngestUsage(ctx context.Context, recs []billing.UsageRecord) ([]billing.Result, error) {
	a, err := need(ctx, PermUsageWrite)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || len(recs) > billing.MaxUsageBatch {
		return nil, core.InvalidField("records", "must hold 1 to %d records", billing.MaxUsageBatch)
	}
	now := p.now.Now()
	skus, err := p.store.ListSKUs(ctx)
	if err != nil {
		return nil, err
	}
	aggOf := map[string]billing.Aggregation{}
	for _, s := range skus {
		aggOf[s.Metric()] = s.Aggregation
	}
	tenants := map[string]*tenantBatch{}
	out := make([]billing.Result, len(recs))
	keep := make([]billing.UsageRecord, 0, len(recs))
	idx := make([]int, 0, len(recs))
	for i := range recs {
		r := &recs[i]
		res := &out[i]
		res.Index, res.IdempotencyKey = i, r.IdempotencyKey
		reject := func(reason, format string, args ...any) {
			res.Outcome, res.Reason, res.Message = billing.Rejected, reason, fmt.Sprintf(format, args...)
		}
		switch {
		case !billing.ValidIdempotencyKey(r.IdempotencyKey):
			reject(billing.ReasonInvalid, "idempotencyKey must be 1 to 255 printable ASCII characters without spaces")
			continue
		case !core.ValidID(core.PrefixTenant, r.TenantID):
			reject(billing.ReasonInvalid, "tenantId is not a tenant ID")
			continue
		case !billing.ValidMetric(r.Metric):
			reject(billing.ReasonInvalid, "metric must be a letter, then letters, digits or underscores")
			continue
		case r.Quantity < 0 || r.Quantity > billing.MaxUsageQuantity:
			reject(billing.ReasonInvalid, "quantity must be between 0 and %d", int64(billing.MaxUsageQuantity))
			continue
		case len(r.Subject) > billing.MaxSubjectLen:
			reject(billing.ReasonInvalid, "subject must be at most %d bytes", billing.MaxSubjectLen)
			continue
		case r.Timestamp.IsZero():
			reject(billing.ReasonInvalid, "timestamp is required")
			continue
		case r.Metric == billing.MetricUsers || r.Metric == billing.MetricAtoms:
			reject(billing.ReasonStateMetric, "%s is counted from the tenant's records, not from usage", r.Metric)
			continue
		case r.Timestamp.After(now.Add(p.billing.FutureSkew)):
			reject(billing.ReasonInFuture, "timestamp is more than %s in the future", p.billing.FutureSkew)
			continue
		}
		tb, err := p.batchTenant(ctx, a, tenants, r.TenantID)
		if err != nil {
			return nil, err
		}
		if tb.err != "" {
			reject(tb.err, "%s", tb.msg)
			continue
		}
		if _, ok := aggOf[r.Metric]; !ok {
			if _, limited := tb.plan.Limits[r.Metric]; !tb.has || !limited {
				reject(billing.ReasonUnknownMetric, "no SKU prices %q and the tenant's plan does not limit it", r.Metric)
				continue
			}
		}
		ts := r.Timestamp.UTC().Truncate(time.Microsecond)
		if reason, msg := p.usageWindow(tb.sub, ts, now); reason != "" {
			reject(reason, "%s", msg)
			continue
		}
		rec := *r
		rec.Timestamp, rec.ReceivedAt = ts, now
		keep = append(keep, rec)
		idx = append(idx, i)
	}
	if len(keep) > 0 {
		inserted, err := p.insertUsage(ctx, keep)
		if err != nil {
			return nil, err
		}
		for j, ok := range inserted {
			if ok {
				out[idx[j]].Outcome = billing.Accepted
			} else {
				out[idx[j]].Outcome = billing.Duplicate
			}
		}
	}
	p.meteredThresholds(ctx, tenants, keep, aggOf, now)
	return out, nil
}

// insertUsage stores a batch's records. On a store whose work runs in
// this process (store.InProcess: SQLite, memory) the write is the batch's
// heaviest work, about 10 ms for a thousand records on SQLite, so it runs
// in a slot of the platform's CPU gate and short requests keep a core. A
// store working elsewhere (PostgreSQL) is written to without a slot:
// holding one while waiting for it would only hold up other batches.
// Errors: core.Internal wrapping ctx's error when ctx ends while the batch
// waits for a slot; those of the store.
func (p *Platform) insertUsage(ctx context.Context, recs []billing.UsageRecord) ([]bool, error) {
	if local, ok := p.store.(store.InProcess); ok && local.InProcess() {
		if err := p.gate.Acquire(ctx); err != nil {
			return nil, core.Wrap(err, "wait for a CPU slot to ingest usage")
		}
		defer p.gate.Release()
	}
	return p.store.InsertUsage(ctx, recs)
}

// batchTenant reads a tenant a batch names, once per batch.
func (p *Platform) batchTenant(ctx context.Context, a access.Actor, seen map[string]*tenantBatch, id string) (*tenantBatch, error) {
	if tb, ok := seen[id]; ok {
		return tb, nil
	}
	tb := &tenantBatch{}
	seen[id] = tb
	t, err := p.store.GetTenant(ctx, id)
	if core.ErrorCode(err) == core.NotFound {
		tb.err, tb.msg = billing.ReasonTenantNotFound, fmt.Sprintf("tenant %q not found", id)
		return tb, nil
	}
	if err != nil {
		return nil, err
	}
	in, err := p.tenantInScope(ctx, a, t)
	if err != nil {
		return nil, err
	}
	if !in {
		tb.err, tb.msg = billing.ReasonTenantNotFound, fmt.Sprintf("tenant %q not found", id)
		return tb, nil
	}
	sub, err := p.store.GetSubscription(ctx, id)
	if core.ErrorCode(err) == core.NotFound {
		tb.err, tb.msg = billing.ReasonNoSubscription, fmt.Sprintf("tenant %q has no subscription", id)
		return tb, nil
	}
	if err != nil {
		return nil, err
	}
	tb.sub = sub
	if tb.plan, tb.has, err = planOfTenant(ctx, p.store, sub.PlanID); err != nil {
		return nil, err
	}
	return tb, nil
}

// usageWindow says whether a record at ts is accepted for the
// subscription now: a reason and message when not.
func (p *Platform) usageWindow(sub billing.Subscription, ts, now time.Time) (string, string) {
	if ts.Before(sub.StartedAt.UTC().Truncate(24 * time.Hour)) {
		return billing.ReasonNoSubscription, "the timestamp is before the subscription started"
	}
	if sub.EndedAt != nil && !ts.Before(*sub.EndedAt) {
		return billing.ReasonNoSubscription, "the subscription ended before the timestamp"
	}
	pd, err := sub.CurrentPeriod(ts)
	if err != nil {
		return billing.ReasonInvalid, "no billing period holds the timestamp"
	}
	if closes := pd.End.Add(p.billing.UsageGrace); !now.Before(closes) {
		return billing.ReasonPeriodClosed, fmt.Sprintf("the period %s to %s closed at %s", pd.Start.Format(time.DateOnly), pd.End.Format(time.DateOnly), closes.Format(time.RFC3339))
	}
	return "", ""
}

// meteredThresholds emits the events of the metered limits the accepted
// records' tenants crossed in the current period.
func (p *Platform) meteredThresholds(ctx context.Context, tenants map[string]*tenantBatch, recs []billing.UsageRecord, aggOf map[string]billing.Aggregation, now time.Time) {
	type key struct{ tenant, metric string }
	done := map[key]bool{}
	ctx = context.WithoutCancel(ctx)
	for _, r := range recs {
		k := key{r.TenantID, r.Metric}
		tb := tenants[r.TenantID]
		if done[k] || tb == nil || !tb.has {
			continue
		}
		done[k] = true
		limit, set := tb.plan.Limit(r.Metric)
		if !set || limit <= 0 {
			continue
		}
		pd, err := tb.sub.CurrentPeriod(now)
		if err != nil || !pd.Contains(r.Timestamp) {
			continue
		}
		agg := aggOf[r.Metric]
		if agg == "" {
			agg = billing.AggSum
		}
		tot, err := p.store.UsageTotals(ctx, r.TenantID, pd.Start, pd.End, map[string]billing.Aggregation{r.Metric: agg})
		if err != nil {
			continue
		}
		p.crossed(ctx, r.TenantID, r.Metric, tot[r.Metric], limit, pd.Start)
	}
}

// UsageReport is seed 002's GET /tenants/{tenantId}/usage.
type UsageReport struct {
	TenantID string
	Period   billing.Period
	// Metrics are ordered: users, atoms, then the plan's metered limits
	// and the SKUs' metrics by name.
	Metrics []billing.MetricUsage
}

// TenantUsage reports the tenant's usage in the subscription period
// holding at (now when zero): for each metric its plan limits or a SKU
// prices, used, the limit (billing.Unlimited for none) and the share
// used. The state metrics (users, atoms) are always today's counts.
// Errors: core.Unauthenticated; core.NotFound (outside scope, or no
// subscription); core.Forbidden without usage:view; core.Invalid naming
// "at" for a time before the subscription or after now.
func (p *Platform) TenantUsage(ctx context.Context, tenantID string, at time.Time) (UsageReport, error) {
	_, t, err := p.reachTenant(ctx, PermUsageView, tenantID)
	if err != nil {
		return UsageReport{}, err
	}
	now := p.now.Now()
	if at.IsZero() {
		at = now
	}
	sub, err := p.store.GetSubscription(ctx, tenantID)
	if err != nil {
		return UsageReport{}, err
	}
	if at.After(now) || at.Before(sub.StartedAt.UTC().Truncate(24*time.Hour)) {
		return UsageReport{}, core.InvalidField("at", "must lie between the subscription's start and now")
	}
	pd, err := sub.CurrentPeriod(at)
	if err != nil {
		return UsageReport{}, err
	}
	pl, has, err := planOfTenant(ctx, p.store, sub.PlanAt(at))
	if err != nil {
		return UsageReport{}, err
	}
	skus, err := p.store.ListSKUs(ctx)
	if err != nil {
		return UsageReport{}, err
	}
	aggs := map[string]billing.Aggregation{}
	for _, s := range skus {
		if has && s.AppliesTo(pl) {
			aggs[s.Metric()] = s.Aggregation
		}
	}
	for name := range pl.Limits {
		m := billing.LimitMetric(name)
		if _, ok := aggs[m]; !ok && m != billing.MetricUsers && m != billing.MetricAtoms {
			aggs[m] = billing.AggSum
		}
	}
	totals, err := p.store.UsageTotals(ctx, tenantID, pd.Start, pd.End, aggs)
	if err != nil {
		return UsageReport{}, err
	}
	state := stateUsed(t)
	out := UsageReport{TenantID: tenantID, Period: pd}
	add := func(metric string, used int64) {
		limit, _ := pl.Limit(metric)
		out.Metrics = append(out.Metrics, billing.MetricUsage{Metric: metric, Used: used, Limit: limit, PerMille: billing.PerMille(used, limit)})
	}
	add(billing.MetricUsers, state[billing.MetricUsers])
	add(billing.MetricAtoms, state[billing.MetricAtoms])
	for _, m := range slices.Sorted(maps.Keys(aggs)) {
		add(m, totals[m])
	}
	return out, nil
}
