package memory

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/atomixplatform/atomix/commission"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/money"
)

// commissionData holds the commission domain's records.
type commissionData struct {
	plans       map[string]commission.Plan
	assignments map[string]commission.Assignment
	// statements maps an ID to the statement (a draft's Total and Entries
	// are in sums); stmtKeys the (reseller, month, currency) key to the ID.
	statements map[string]commission.Statement
	stmtKeys   map[stmtKey]string
	sums       map[string]stmtSum
	entries    map[commission.EntryKey]commission.Entry
	// order is the entries' keys in key order, kept lazily: see keys.
	order entryOrder
}

type stmtKey struct {
	reseller, month, currency string
}

// stmtSum is the running total and count of a statement's entries.
type stmtSum struct {
	total int64
	n     int
}

// entryOrder is the key order of the entries, kept lazily so that a batch
// insert costs no re-sorting: inserts append to pending; the first read
// after them merges pending into sorted. A rollback only deletes from the
// entries map and marks the order stale; the merge drops keys that are
// gone. mu guards both slices,
// since reads that merge run under the store's read lock, side by side.
type entryOrder struct {
	mu      sync.Mutex
	sorted  []commission.EntryKey
	pending []commission.EntryKey
	stale   bool // a rollback deleted entries: sorted may name them
}

func newCommissionData() *commissionData {
	return &commissionData{
		plans:       make(map[string]commission.Plan),
		assignments: make(map[string]commission.Assignment),
		statements:  make(map[string]commission.Statement),
		stmtKeys:    make(map[stmtKey]string),
		sums:        make(map[string]stmtSum),
		entries:     make(map[commission.EntryKey]commission.Entry),
	}
}

// keys returns the keys of the stored entries, in key order. The slice is
// the index's own: callers must not change it.
func (c *commissionData) keys() []commission.EntryKey {
	o := &c.order
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.pending) == 0 && !o.stale {
		return o.sorted
	}
	slices.SortFunc(o.pending, commission.CompareKeys)
	if !o.stale {
		// Every key is stored and the new ones are not in sorted: merge
		// in place, from the back. No reader holds the old slice: pending
		// grows only under the store's write lock.
		n, m := len(o.sorted), len(o.pending)
		o.sorted = slices.Grow(o.sorted, m)[:n+m]
		for i, j, w := n-1, m-1, n+m-1; j >= 0; w-- {
			if i >= 0 && commission.CompareKeys(o.sorted[i], o.pending[j]) > 0 {
				o.sorted[w] = o.sorted[i]
				i--
			} else {
				o.sorted[w] = o.pending[j]
				j--
			}
		}
		o.pending = o.pending[:0]
		return o.sorted
	}
	// After a rollback: drop the keys that are gone, and a key stored
	// again after its rollback appears twice.
	merged := make([]commission.EntryKey, 0, len(o.sorted)+len(o.pending))
	add := func(k commission.EntryKey) {
		if _, ok := c.entries[k]; !ok {
			return
		}
		if n := len(merged); n > 0 && merged[n-1] == k {
			return
		}
		merged = append(merged, k)
	}
	i, j := 0, 0
	for i < len(o.sorted) || j < len(o.pending) {
		if j == len(o.pending) || (i < len(o.sorted) && commission.CompareKeys(o.sorted[i], o.pending[j]) <= 0) {
			add(o.sorted[i])
			i++
		} else {
			add(o.pending[j])
			j++
		}
	}
	o.sorted, o.pending, o.stale = merged, nil, false
	return o.sorted
}

// Copies, so that nothing a caller holds aliases the store's state.

func cloneCommissionPlan(p commission.Plan) commission.Plan {
	if p.Versions != nil {
		vs := make([]commission.Version, len(p.Versions))
		for i, v := range p.Versions {
			v.SKURates, v.PlanRates, v.ExcludedSKUs = maps.Clone(v.SKURates), maps.Clone(v.PlanRates), slices.Clone(v.ExcludedSKUs)
			if v.Tiers != nil {
				tiers := make([]commission.Tier, len(v.Tiers))
				for j, t := range v.Tiers {
					tiers[j] = commission.Tier{UpTo: cloneInt64Ptr(t.UpTo), RateBP: t.RateBP}
				}
				v.Tiers = tiers
			}
			vs[i] = v
		}
		p.Versions = vs
	}
	p.CreatedAt, p.UpdatedAt = utc(p.CreatedAt), utc(p.UpdatedAt)
	return p
}

func cloneStatement(st commission.Statement) commission.Statement {
	st.CreatedAt, st.ClosedAt = utc(st.CreatedAt), utcPtr(st.ClosedAt)
	return st
}

func commissionPlanNotFound(id string) error {
	return core.Errorf(core.NotFound, "commission plan %q not found", id)
}

func statementNotFound(id string) error {
	return core.Errorf(core.NotFound, "statement %q not found", id)
}

// statement returns a copy of the stored statement, a draft's Total and
// Entries from its running sums.
func (c *commissionData) statement(id string) (commission.Statement, error) {
	st, ok := c.statements[id]
	if !ok {
		return commission.Statement{}, statementNotFound(id)
	}
	st = cloneStatement(st)
	if st.Status != commission.StatementClosed {
		s := c.sums[id]
		st.Total, st.Entries = s.total, s.n
	}
	return st, nil
}

func (c *commissionData) getPlan(id string) (commission.Plan, error) {
	p, ok := c.plans[id]
	if !ok {
		return commission.Plan{}, commissionPlanNotFound(id)
	}
	return cloneCommissionPlan(p), nil
}

func (c *commissionData) listPlans() []commission.Plan {
	out := make([]commission.Plan, 0, len(c.plans))
	for _, p := range c.plans {
		out = append(out, cloneCommissionPlan(p))
	}
	slices.SortFunc(out, func(x, y commission.Plan) int {
		return cmp.Or(x.CreatedAt.Compare(y.CreatedAt), cmp.Compare(x.ID, y.ID))
	})
	return out
}

func (c *commissionData) getAssignment(resellerID string) (commission.Assignment, error) {
	a, ok := c.assignments[resellerID]
	if !ok {
		return commission.Assignment{}, core.Errorf(core.NotFound, "reseller %q has no commission plan assigned", resellerID)
	}
	return a, nil
}

func (c *commissionData) listAssignments() []commission.Assignment {
	out := slices.Collect(maps.Values(c.assignments))
	slices.SortFunc(out, func(x, y commission.Assignment) int { return cmp.Compare(x.ResellerID, y.ResellerID) })
	return out
}

type statementPage struct {
	items []commission.Statement
	total int
}

func (c *commissionData) listStatements(f commission.StatementFilter) (statementPage, error) {
	f, err := commission.CheckStatementFilter(f)
	if err != nil {
		return statementPage{}, err
	}
	var match []commission.Statement
	for _, st := range c.statements {
		if (len(f.ResellerIDs) == 0 || slices.Contains(f.ResellerIDs, st.ResellerID)) && (f.Month == "" || st.Month == f.Month) &&
			(f.Status == "" || st.Status == f.Status) {
			match = append(match, st)
		}
	}
	slices.SortFunc(match, func(x, y commission.Statement) int {
		return cmp.Or(cmp.Compare(x.Month, y.Month), cmp.Compare(x.ResellerID, y.ResellerID), cmp.Compare(x.Currency.Code(), y.Currency.Code()))
	})
	off := min(f.Page.Offset(), len(match))
	page := match[off:min(off+f.Page.Limit, len(match))]
	out := make([]commission.Statement, len(page))
	for i, st := range page {
		out[i], _ = c.statement(st.ID)
	}
	return statementPage{out, len(match)}, nil
}

func (c *commissionData) listEntries(f commission.EntryFilter) ([]commission.Entry, error) {
	f, err := commission.CheckEntryFilter(f)
	if err != nil {
		return nil, err
	}
	keys := c.keys()
	i := 0
	if f.After != nil {
		var found bool
		i, found = slices.BinarySearchFunc(keys, *f.After, commission.CompareKeys)
		if found {
			i++
		}
	}
	out := []commission.Entry{}
	for ; i < len(keys) && len(out) < f.Limit; i++ {
		k := keys[i]
		if f.TenantID != "" && k.TenantID != f.TenantID || f.InvoiceID != "" && k.InvoiceID != f.InvoiceID || f.Kind != "" && k.Kind != f.Kind {
			continue
		}
		e := c.entries[k]
		if f.StatementID != "" && e.StatementID != f.StatementID || f.Month != "" && e.Month != f.Month ||
			f.InvoiceMonth != "" && e.InvoiceMonth != f.InvoiceMonth {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// The Store's commission methods: each runs under the read lock, or as a
// transaction of its own.

// CreateCommissionPlan implements commission.Store. Errors: core.Conflict;
// core.Internal when closed.
func (s *Store) CreateCommissionPlan(ctx context.Context, p commission.Plan) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.CreateCommissionPlan(ctx, p) })
	return err
}

// GetCommissionPlan implements commission.Store. Errors: core.NotFound;
// core.Internal when closed.
func (s *Store) GetCommissionPlan(ctx context.Context, id string) (commission.Plan, error) {
	return readOTP(ctx, s, func(d *data) (commission.Plan, error) { return d.commission.getPlan(id) })
}

// ListCommissionPlans implements commission.Store. Errors: core.Internal
// when closed.
func (s *Store) ListCommissionPlans(ctx context.Context) ([]commission.Plan, error) {
	return readOTP(ctx, s, func(d *data) ([]commission.Plan, error) { return d.commission.listPlans(), nil })
}

// UpdateCommissionPlan implements commission.Store. Errors: core.NotFound;
// core.Invalid when update changes the ID, level or creation time; those
// of update; core.Internal when closed.
func (s *Store) UpdateCommissionPlan(ctx context.Context, id string, update func(commission.Plan) (commission.Plan, error)) (commission.Plan, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (commission.Plan, error) { return tx.UpdateCommissionPlan(ctx, id, update) })
}

// PutAssignment implements commission.Store. Errors: core.Invalid when the
// plan does not exist; core.Internal when closed.
func (s *Store) PutAssignment(ctx context.Context, a commission.Assignment) error {
	_, err := writeIdentity(ctx, s, func(tx *txStore) (struct{}, error) { return struct{}{}, tx.PutAssignment(ctx, a) })
	return err
}

// GetAssignment implements commission.Store. Errors: core.NotFound;
// core.Internal when closed.
func (s *Store) GetAssignment(ctx context.Context, resellerID string) (commission.Assignment, error) {
	return readOTP(ctx, s, func(d *data) (commission.Assignment, error) { return d.commission.getAssignment(resellerID) })
}

// ListAssignments implements commission.Store. Errors: core.Internal when
// closed.
func (s *Store) ListAssignments(ctx context.Context) ([]commission.Assignment, error) {
	return readOTP(ctx, s, func(d *data) ([]commission.Assignment, error) { return d.commission.listAssignments(), nil })
}

// OpenStatement implements commission.Store; the transaction's write lock
// holds the statement. Errors: core.StatementClosed; core.Invalid for an
// empty reseller, a bad month or no currency; core.Internal when closed.
func (s *Store) OpenStatement(ctx context.Context, resellerID, month string, currency money.Currency, now time.Time) (commission.Statement, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (commission.Statement, error) {
		return tx.OpenStatement(ctx, resellerID, month, currency, now)
	})
}

// GetStatement implements commission.Store. Errors: core.NotFound;
// core.Internal when closed.
func (s *Store) GetStatement(ctx context.Context, id string) (commission.Statement, error) {
	return readOTP(ctx, s, func(d *data) (commission.Statement, error) { return d.commission.statement(id) })
}

// CloseStatement implements commission.Store. Errors: core.NotFound;
// core.StatementClosed; core.Internal when closed.
func (s *Store) CloseStatement(ctx context.Context, id string, now time.Time) (commission.Statement, error) {
	return writeIdentity(ctx, s, func(tx *txStore) (commission.Statement, error) { return tx.CloseStatement(ctx, id, now) })
}

// ListStatements implements commission.Store. Errors: core.Invalid for a
// bad filter; core.Internal when closed.
func (s *Store) ListStatements(ctx context.Context, f commission.StatementFilter) ([]commission.Statement, int, error) {
	p, err := readOTP(ctx, s, func(d *data) (statementPage, error) { return d.commission.listStatements(f) })
	return p.items, p.total, err
}

// InsertEntries implements commission.Store. Errors: core.Invalid for an
// entry without its key or naming a statement that does not exist;
// core.StatementClosed for an entry naming a closed statement (nothing is
// stored); core.Internal when closed.
func (s *Store) InsertEntries(ctx context.Context, entries []commission.Entry) ([]bool, error) {
	return writeIdentity(ctx, s, func(tx *txStore) ([]bool, error) { return tx.InsertEntries(ctx, entries) })
}

// ListEntries implements commission.Store. Errors: core.Invalid for a bad
// filter; core.Internal when closed.
func (s *Store) ListEntries(ctx context.Context, f commission.EntryFilter) ([]commission.Entry, error) {
	return readOTP(ctx, s, func(d *data) ([]commission.Entry, error) { return d.commission.listEntries(f) })
}

// The transaction's commission methods. Each holds tx.mu while it touches
// the data; the updater runs without it, so that it may read through tx.

func (tx *txStore) CreateCommissionPlan(ctx context.Context, p commission.Plan) error {
	_, err := withinOTP(ctx, tx, func(d *data) (struct{}, error) {
		if _, ok := d.commission.plans[p.ID]; ok {
			return struct{}{}, core.Errorf(core.Conflict, "commission plan %s already exists", p.ID)
		}
		put(tx, d.commission.plans, p.ID, cloneCommissionPlan(p))
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) GetCommissionPlan(ctx context.Context, id string) (commission.Plan, error) {
	return withinOTP(ctx, tx, func(d *data) (commission.Plan, error) { return d.commission.getPlan(id) })
}

func (tx *txStore) ListCommissionPlans(ctx context.Context) ([]commission.Plan, error) {
	return withinOTP(ctx, tx, func(d *data) ([]commission.Plan, error) { return d.commission.listPlans(), nil })
}

func (tx *txStore) UpdateCommissionPlan(ctx context.Context, id string, update func(commission.Plan) (commission.Plan, error)) (commission.Plan, error) {
	cur, err := tx.GetCommissionPlan(ctx, id)
	if err != nil {
		return commission.Plan{}, err
	}
	// The store's write lock, held by this transaction, keeps every other
	// writer out while update runs.
	// update gets a copy, so that the check compares with cur untouched.
	next, err := core.Apply(cur, func(p commission.Plan) (commission.Plan, error) { return update(cloneCommissionPlan(p)) },
		commission.CheckPlanUpdate)
	if err != nil {
		return commission.Plan{}, err
	}
	return withinOTP(ctx, tx, func(d *data) (commission.Plan, error) {
		if _, ok := d.commission.plans[id]; !ok {
			return commission.Plan{}, commissionPlanNotFound(id)
		}
		next = cloneCommissionPlan(next)
		next.CreatedAt = cur.CreatedAt
		put(tx, d.commission.plans, id, next)
		return cloneCommissionPlan(next), nil
	})
}

func (tx *txStore) PutAssignment(ctx context.Context, a commission.Assignment) error {
	_, err := withinOTP(ctx, tx, func(d *data) (struct{}, error) {
		if _, ok := d.commission.plans[a.PlanID]; !ok {
			return struct{}{}, core.Errorf(core.Invalid, "commission plan %q does not exist", a.PlanID)
		}
		a.UpdatedAt = utc(a.UpdatedAt)
		put(tx, d.commission.assignments, a.ResellerID, a)
		return struct{}{}, nil
	})
	return err
}

func (tx *txStore) GetAssignment(ctx context.Context, resellerID string) (commission.Assignment, error) {
	return withinOTP(ctx, tx, func(d *data) (commission.Assignment, error) { return d.commission.getAssignment(resellerID) })
}

func (tx *txStore) ListAssignments(ctx context.Context) ([]commission.Assignment, error) {
	return withinOTP(ctx, tx, func(d *data) ([]commission.Assignment, error) { return d.commission.listAssignments(), nil })
}

func (tx *txStore) OpenStatement(ctx context.Context, resellerID, month string, currency money.Currency, now time.Time) (commission.Statement, error) {
	if err := commission.CheckStatementKey(resellerID, month, currency); err != nil {
		return commission.Statement{}, err
	}
	return withinOTP(ctx, tx, func(d *data) (commission.Statement, error) {
		c := d.commission
		k := stmtKey{resellerID, month, currency.Code()}
		if id, ok := c.stmtKeys[k]; ok {
			if c.statements[id].Status == commission.StatementClosed {
				return commission.Statement{}, core.Errorf(core.StatementClosed, "statement %s is closed", id)
			}
			return c.statements[id], nil // totals are not computed (OpenStatement)
		}
		st := commission.Statement{
			ID: core.NewID(core.PrefixStatement), ResellerID: resellerID, Month: month, Currency: currency,
			Status: commission.StatementDraft, CreatedAt: utc(now),
		}
		put(tx, c.statements, st.ID, st)
		put(tx, c.stmtKeys, k, st.ID)
		return st, nil
	})
}

func (tx *txStore) GetStatement(ctx context.Context, id string) (commission.Statement, error) {
	return withinOTP(ctx, tx, func(d *data) (commission.Statement, error) { return d.commission.statement(id) })
}

func (tx *txStore) CloseStatement(ctx context.Context, id string, now time.Time) (commission.Statement, error) {
	return withinOTP(ctx, tx, func(d *data) (commission.Statement, error) {
		c := d.commission
		st, err := c.statement(id)
		if err != nil {
			return commission.Statement{}, err
		}
		if st.Status == commission.StatementClosed {
			return commission.Statement{}, core.Errorf(core.StatementClosed, "statement %s is closed", id)
		}
		st.Status, st.ClosedAt = commission.StatementClosed, new(utc(now))
		put(tx, c.statements, id, st)
		return c.statement(id)
	})
}

func (tx *txStore) ListStatements(ctx context.Context, f commission.StatementFilter) ([]commission.Statement, int, error) {
	p, err := withinOTP(ctx, tx, func(d *data) (statementPage, error) { return d.commission.listStatements(f) })
	return p.items, p.total, err
}

func (tx *txStore) InsertEntries(ctx context.Context, entries []commission.Entry) ([]bool, error) {
	if err := commission.CheckEntries(entries); err != nil {
		return nil, err
	}
	return withinOTP(ctx, tx, func(d *data) ([]bool, error) {
		c := d.commission
		// Every statement is checked before anything is stored.
		for _, e := range entries {
			if e.StatementID == "" {
				continue
			}
			st, ok := c.statements[e.StatementID]
			switch {
			case !ok:
				return nil, core.Errorf(core.Invalid, "statement %q does not exist", e.StatementID)
			case st.Status == commission.StatementClosed:
				return nil, core.Errorf(core.StatementClosed, "statement %s is closed; it takes no more entries", e.StatementID)
			}
		}
		out := make([]bool, len(entries))
		added := make([]commission.EntryKey, 0, len(entries))
		var deltas map[string]stmtSum
		for i, e := range entries {
			k := e.Key()
			if _, dup := c.entries[k]; dup {
				continue
			}
			e.CreatedAt = utc(e.CreatedAt)
			c.entries[k] = e
			added = append(added, k)
			if e.StatementID != "" {
				if deltas == nil {
					deltas = map[string]stmtSum{}
				}
				d := deltas[e.StatementID]
				deltas[e.StatementID] = stmtSum{d.total + e.Amount, d.n + 1}
			}
			out[i] = true
		}
		if len(added) == 0 {
			return out, nil
		}
		// One undo for the batch: the keys were all new.
		tx.undo = append(tx.undo, func() {
			for _, k := range added {
				delete(c.entries, k)
			}
			c.order.mu.Lock()
			c.order.stale = true
			c.order.mu.Unlock()
		})
		for id, d := range deltas {
			s := c.sums[id]
			put(tx, c.sums, id, stmtSum{s.total + d.total, s.n + d.n})
		}
		c.order.mu.Lock()
		c.order.pending = append(c.order.pending, added...)
		c.order.mu.Unlock()
		return out, nil
	})
}

func (tx *txStore) ListEntries(ctx context.Context, f commission.EntryFilter) ([]commission.Entry, error) {
	return withinOTP(ctx, tx, func(d *data) ([]commission.Entry, error) { return d.commission.listEntries(f) })
}
