package memory

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/role"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
)

// Store is the in-memory store. Create one with New.
type Store struct {
	mu     sync.RWMutex
	closed bool
	data   *data
}

// data is the state guarded by Store.mu.
type data struct {
	tenants map[string]*record
	// order holds every tenant, sorted by CreatedAt then ID.
	order []*record
	// byOwner indexes the records of order by owner ("" for the
	// platform), each slice in the same order, for Filter.OwnerID and
	// Filter.OwnerIDs.
	byOwner map[string][]*record
	// subdomains maps the lowercased subdomain of each tenant that is not
	// deleted to its ID, so that subdomains are unique case-insensitively.
	subdomains map[string]string
	// counts holds the number of tenants of each combination of the
	// fields a list filters on, so that a list without a name query
	// counts its total without a scan.
	counts map[countKey]int
	// identity holds the identity domain's records (identity.go).
	identity *identityData
	// atoms holds the atom catalog and installations (atoms.go).
	atoms *atomData
	// resellers holds the reseller chain, ownership histories and
	// customer profiles (resellers.go).
	resellers *resellerData
	// otp holds phone OTP challenges and counters (otp.go).
	otp *otpData
	// audit holds the audit log, oldest first (audit.go).
	audit *auditData
	// roles holds the tenants' custom roles (roles.go).
	roles map[roleKey]role.Custom
	// billing holds plans, SKUs, subscriptions, usage, threshold marks
	// and invoices (billing.go).
	billing *billingData
	// commission holds commission plans, assignments, statements and
	// entries (commission.go).
	commission *commissionData
	// rate holds the rate-limit buckets' TATs by key (ratelimit.go).
	rate map[string]int64
}

// record is one stored tenant with what lists need precomputed.
type record struct {
	t         tenant.Tenant
	lowerName string // strings.ToLower(t.Name), for Filter.Query
}

// countKey is what data.counts counts by.
type countKey struct {
	status  tenant.Status
	plan    string
	owner   string
	deleted bool
}

// count adds delta to the count of r's combination.
func (d *data) count(r *record, delta int) {
	k := countKey{status: r.t.Status, plan: r.t.PlanID, owner: r.t.OwnerID, deleted: r.t.Deleted()}
	if n := d.counts[k] + delta; n != 0 {
		d.counts[k] = n
	} else {
		delete(d.counts, k)
	}
}

// newRecord returns a record holding a deep copy of t; the derived counts
// are never stored.
func newRecord(t tenant.Tenant) *record {
	r := &record{t: *cloneTenant(t), lowerName: strings.ToLower(t.Name)}
	r.t.AtomCount, r.t.UserCount = 0, 0
	return r
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{data: &data{
		tenants:    make(map[string]*record),
		subdomains: make(map[string]string),
		counts:     make(map[countKey]int),
		byOwner:    make(map[string][]*record),
		identity:   newIdentityData(),
		atoms:      newAtomData(),
		resellers:  newResellerData(),
		otp:        newOTPData(),
		audit:      &auditData{},
		roles:      make(map[roleKey]role.Custom),
		billing:    newBillingData(),
		commission: newCommissionData(),
		rate:       make(map[string]int64),
	}}
}

// InProcess implements store.InProcess: the store's work is this
// process's.
func (s *Store) InProcess() bool { return true }

// Close marks the store closed; every later call fails with core.Internal.
// Close waits for a running transaction to end. Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func errClosed() error {
	return &core.Error{Code: core.Internal, Message: "the store is closed", Err: errors.New("memory: store closed")}
}

func errTxDone() error {
	return &core.Error{Code: core.Internal, Message: "the transaction has ended", Err: errors.New("memory: use of a finished transaction")}
}

// InTx runs fn in a transaction. See store.Store.
// Errors: those of fn, unchanged; ctx.Err() when ctx is done before the
// commit; core.Internal when the store is closed.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed()
	}
	// The context may have ended while waiting for the lock.
	if err := ctx.Err(); err != nil {
		return err
	}
	tx := &txStore{s: s}
	// end runs on every way out, a panic included: it commits only when
	// fn returned nil and ctx is still live, and otherwise undoes
	// everything fn wrote. A panic goes on up after the rollback.
	committed := false
	defer func() { tx.end(committed) }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	committed = true
	return nil
}

// read runs fn under the read lock.
func (s *Store) read(ctx context.Context, fn func(d *data) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed()
	}
	return fn(s.data)
}

// write runs fn as a transaction of its own.
func (s *Store) write(ctx context.Context, fn func(tx *txStore) error) error {
	return s.InTx(ctx, func(tx store.Store) error { return fn(tx.(*txStore)) })
}

// CreateTenant stores a new tenant. See tenant.Store.
// Errors: core.Conflict; core.SubdomainTaken; core.Internal when closed.
func (s *Store) CreateTenant(ctx context.Context, t tenant.Tenant) error {
	return s.write(ctx, func(tx *txStore) error { return tx.CreateTenant(ctx, t) })
}

// GetTenant returns a tenant. See tenant.Store.
// Errors: core.NotFound; core.Internal when closed.
func (s *Store) GetTenant(ctx context.Context, id string) (tenant.Tenant, error) {
	var out tenant.Tenant
	err := s.read(ctx, func(d *data) (err error) {
		out, err = d.getTenant(id)
		return err
	})
	return out, err
}

// UpdateTenant changes a tenant through update. See tenant.Store.
// Errors: core.NotFound; core.SubdomainTaken; core.Invalid when update
// changes the ID or CreatedAt; those of update; core.Internal when closed.
func (s *Store) UpdateTenant(ctx context.Context, id string, update func(tenant.Tenant) (tenant.Tenant, error)) (tenant.Tenant, error) {
	var out tenant.Tenant
	err := s.write(ctx, func(tx *txStore) (err error) {
		out, err = tx.UpdateTenant(ctx, id, update)
		return err
	})
	return out, err
}

// ListTenants returns one page of tenants. See tenant.Store.
// Errors: core.Invalid naming "page" for a page past the first with After;
// core.Internal when closed.
func (s *Store) ListTenants(ctx context.Context, f tenant.Filter) ([]tenant.Tenant, int, error) {
	if err := core.CheckAfter(f.After, f.Page); err != nil {
		return nil, 0, err
	}
	var out []tenant.Tenant
	var total int
	err := s.read(ctx, func(d *data) error {
		out, total = d.listTenants(f)
		return nil
	})
	return out, total, err
}

// txStore is a Store bound to a running transaction; the store's write lock
// is held by the InTx that made it. Its own mutex makes it safe for
// concurrent use by goroutines that fn starts, and makes use after the end
// fail cleanly instead of racing.
type txStore struct {
	s    *Store
	mu   sync.Mutex
	undo []func()
	done bool
}

// begin locks the transaction for one operation and checks that it is
// still running and ctx is live. On success the caller must call tx.mu.Unlock.
func (tx *txStore) begin(ctx context.Context) error {
	tx.mu.Lock()
	if tx.done {
		tx.mu.Unlock()
		return errTxDone()
	}
	if err := ctx.Err(); err != nil {
		tx.mu.Unlock()
		return err
	}
	return nil
}

// end finishes the transaction, undoing its writes newest first unless it
// is committed. Later use of tx fails.
func (tx *txStore) end(commit bool) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if !commit {
		for i := len(tx.undo) - 1; i >= 0; i-- {
			tx.undo[i]()
		}
	}
	tx.undo = nil
	tx.done = true
}

// InTx joins the running transaction: fn runs on the same tx, and its error
// is returned to the caller, whose own return decides the outcome.
func (tx *txStore) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if err := tx.begin(ctx); err != nil {
		return err
	}
	tx.mu.Unlock()
	return fn(tx)
}

// Close is not allowed on a transaction; it returns core.Internal.
func (tx *txStore) Close() error {
	return &core.Error{Code: core.Internal, Message: "a transaction cannot be closed", Err: errors.New("memory: Close called on a transaction")}
}

func (tx *txStore) CreateTenant(ctx context.Context, t tenant.Tenant) error {
	if err := tx.begin(ctx); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	d := tx.s.data
	if _, ok := d.tenants[t.ID]; ok {
		return core.Errorf(core.Conflict, "tenant %s already exists", t.ID)
	}
	if !t.Deleted() {
		if _, ok := d.subdomains[subdomainKey(t.Subdomain)]; ok {
			return subdomainTaken(t.Subdomain)
		}
	}
	r := newRecord(t)
	d.tenants[r.t.ID] = r
	d.order = slices.Insert(d.order, d.orderIndex(r), r)
	d.indexOwner(r)
	if !r.t.Deleted() {
		d.subdomains[subdomainKey(r.t.Subdomain)] = r.t.ID
	}
	d.count(r, +1)
	tx.undo = append(tx.undo, func() {
		// Undo runs newest first, so every later write is already undone
		// and the state is exactly as this create left it. The index is
		// searched again rather than remembered, as a safety net.
		delete(d.tenants, r.t.ID)
		if i := d.orderIndex(r); i < len(d.order) && d.order[i] == r {
			d.order = slices.Delete(d.order, i, i+1)
		}
		d.unindexOwner(r, r.t.OwnerID)
		if !r.t.Deleted() {
			delete(d.subdomains, subdomainKey(r.t.Subdomain))
		}
		d.count(r, -1)
	})
	return nil
}

func (tx *txStore) GetTenant(ctx context.Context, id string) (tenant.Tenant, error) {
	if err := tx.begin(ctx); err != nil {
		return tenant.Tenant{}, err
	}
	defer tx.mu.Unlock()
	return tx.s.data.getTenant(id)
}

func (tx *txStore) UpdateTenant(ctx context.Context, id string, update func(tenant.Tenant) (tenant.Tenant, error)) (tenant.Tenant, error) {
	if err := tx.begin(ctx); err != nil {
		return tenant.Tenant{}, err
	}
	d := tx.s.data
	r, ok := d.tenants[id]
	if !ok {
		tx.mu.Unlock()
		return tenant.Tenant{}, notFound(id)
	}
	in := *cloneTenant(r.t)
	// update runs without the tx mutex, so that it may read through tx;
	// the store's write lock still keeps every other writer out.
	tx.mu.Unlock()
	next, err := update(in)
	if err != nil {
		return tenant.Tenant{}, err
	}
	if err := tx.begin(ctx); err != nil {
		return tenant.Tenant{}, err
	}
	defer tx.mu.Unlock()
	// r stays the tenant's record: nothing deletes a tenant, and the
	// store's write lock is held by this transaction.
	if next.ID != id {
		return tenant.Tenant{}, core.Errorf(core.Invalid, "a tenant's ID cannot change")
	}
	if !next.CreatedAt.Equal(r.t.CreatedAt) {
		return tenant.Tenant{}, core.Errorf(core.Invalid, "a tenant's creation time cannot change")
	}
	if !next.Deleted() {
		if owner, ok := d.subdomains[subdomainKey(next.Subdomain)]; ok && owner != id {
			return tenant.Tenant{}, subdomainTaken(next.Subdomain)
		}
	}
	old := *r
	// Keep the stored instant (and so the order) exactly as it was.
	next.CreatedAt = old.t.CreatedAt
	replace := func(from, to *record) {
		if !from.t.Deleted() {
			delete(d.subdomains, subdomainKey(from.t.Subdomain))
		}
		d.count(from, -1)
		fromOwner := from.t.OwnerID
		*r = *to
		if r.t.OwnerID != fromOwner {
			d.unindexOwner(r, fromOwner)
			d.indexOwner(r)
		}
		if !r.t.Deleted() {
			d.subdomains[subdomainKey(r.t.Subdomain)] = id
		}
		d.count(r, +1)
	}
	replace(r, newRecord(next))
	tx.undo = append(tx.undo, func() { replace(r, &old) })
	return d.withCounts([]tenant.Tenant{*cloneTenant(r.t)})[0], nil
}

func (tx *txStore) ListTenants(ctx context.Context, f tenant.Filter) ([]tenant.Tenant, int, error) {
	if err := core.CheckAfter(f.After, f.Page); err != nil {
		return nil, 0, err
	}
	if err := tx.begin(ctx); err != nil {
		return nil, 0, err
	}
	defer tx.mu.Unlock()
	out, total := tx.s.data.listTenants(f)
	return out, total, nil
}

func (d *data) getTenant(id string) (tenant.Tenant, error) {
	r, ok := d.tenants[id]
	if !ok {
		return tenant.Tenant{}, notFound(id)
	}
	return d.withCounts([]tenant.Tenant{*cloneTenant(r.t)})[0], nil
}

// compareRecords orders records by creation time, then ID: the order of
// d.order and of each d.byOwner slice.
func compareRecords(a, b *record) int {
	if c := a.t.CreatedAt.Compare(b.t.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.t.ID, b.t.ID)
}

// orderIndex returns where r belongs in d.order, or where it is.
func (d *data) orderIndex(r *record) int {
	i, _ := slices.BinarySearchFunc(d.order, r, compareRecords)
	return i
}

// indexOwner adds r to its owner's slice of d.byOwner.
func (d *data) indexOwner(r *record) {
	rs := d.byOwner[r.t.OwnerID]
	i, _ := slices.BinarySearchFunc(rs, r, compareRecords)
	d.byOwner[r.t.OwnerID] = slices.Insert(rs, i, r)
}

// unindexOwner removes r from owner's slice of d.byOwner.
func (d *data) unindexOwner(r *record, owner string) {
	rs := d.byOwner[owner]
	i, _ := slices.BinarySearchFunc(rs, r, compareRecords)
	if i < len(rs) && rs[i] == r {
		rs = slices.Delete(rs, i, i+1)
	}
	if len(rs) == 0 {
		delete(d.byOwner, owner)
	} else {
		d.byOwner[owner] = rs
	}
}

// candidates returns the records a list with f has to look at, in order:
// through d.byOwner when f names owners, else every record.
func (d *data) candidates(f tenant.Filter, owners map[string]bool) []*record {
	switch {
	case f.OwnerID != "":
		return d.byOwner[f.OwnerID]
	case owners != nil:
		var out []*record
		for o := range owners {
			out = append(out, d.byOwner[o]...)
		}
		slices.SortFunc(out, compareRecords)
		return out
	}
	return d.order
}

func (d *data) listTenants(f tenant.Filter) ([]tenant.Tenant, int) {
	// f.Page is normalized by contract; a zero request still gets the
	// defaults rather than an always-empty page.
	page := f.Page
	if page.Page < 1 {
		page.Page = core.DefaultPage
	}
	if page.Limit < 1 {
		page.Limit = core.DefaultLimit
	}
	offset, limit := page.Offset(), page.Limit
	q := strings.ToLower(f.Query)
	var owners map[string]bool
	if len(f.OwnerIDs) > 0 {
		owners = make(map[string]bool, len(f.OwnerIDs))
		for _, o := range f.OwnerIDs {
			if o != "" { // names no reseller: matches nothing
				owners[o] = true
			}
		}
	}
	match := func(status tenant.Status, plan, owner string, deleted bool) bool {
		return (f.IncludeDeleted || !deleted) &&
			(f.Status == "" || status == f.Status) &&
			(f.PlanID == "" || plan == f.PlanID) &&
			(f.OwnerID == "" || owner == f.OwnerID) &&
			(owners == nil || owners[owner])
	}

	src := d.candidates(f, owners)
	from := 0
	if f.After != nil {
		// A keyset page starts at the first record past the key (times
		// compared to the microsecond, in UTC, as the SQL stores keep
		// them), and its offset is 0; the total still counts every match.
		from, offset = afterIndex(src, *f.After, func(r *record) (time.Time, string) { return r.t.CreatedAt, r.t.ID }), 0
	}
	out := make([]tenant.Tenant, 0, min(limit, len(src)))
	if q == "" {
		// The total comes from the counts; the scan stops once the page
		// is full.
		total := 0
		for k, n := range d.counts {
			if match(k.status, k.plan, k.owner, k.deleted) {
				total += n
			}
		}
		seen := 0
		for _, r := range src[from:] {
			if seen >= total || len(out) == limit || offset >= total {
				break
			}
			if !match(r.t.Status, r.t.PlanID, r.t.OwnerID, r.t.Deleted()) {
				continue
			}
			if seen >= offset {
				out = append(out, *cloneTenant(r.t))
			}
			seen++
		}
		return d.withCounts(out), total
	}

	total, matched := 0, 0
	for i, r := range src {
		if !match(r.t.Status, r.t.PlanID, r.t.OwnerID, r.t.Deleted()) || !strings.Contains(r.lowerName, q) {
			continue
		}
		if i >= from {
			if matched >= offset && len(out) < limit {
				out = append(out, *cloneTenant(r.t))
			}
			matched++
		}
		total++
	}
	return d.withCounts(out), total
}

// afterIndex returns the index in items, which are in list order, of the
// first that sorts strictly after key (a keyset page's start); placeOf
// gives an item's creation time and ID. Times are compared to the
// microsecond in UTC, as the SQL stores keep them.
func afterIndex[T any](items []T, key core.ListKey, placeOf func(T) (time.Time, string)) int {
	at := utc(key.CreatedAt)
	i, _ := slices.BinarySearchFunc(items, key, func(it T, _ core.ListKey) int {
		t, id := placeOf(it)
		if c := utc(t).Compare(at); c != 0 {
			return c
		}
		if id <= key.ID {
			return -1
		}
		return 1
	})
	return i
}

// subdomainKey is the key of a subdomain in data.subdomains.
func subdomainKey(s string) string { return strings.ToLower(s) }

func subdomainTaken(s string) error {
	return core.Errorf(core.SubdomainTaken, "subdomain %q is taken", s)
}

func notFound(id string) error { return core.Errorf(core.NotFound, "tenant %q not found", id) }

// cloneTenant deep-copies t, so that nothing the caller holds aliases the
// store's state.
func cloneTenant(t tenant.Tenant) *tenant.Tenant {
	c := t
	if t.DeletedAt != nil {
		d := *t.DeletedAt
		c.DeletedAt = &d
	}
	if t.Settings.Extra != nil {
		c.Settings.Extra = make(map[string]json.RawMessage, len(t.Settings.Extra))
		for k, v := range t.Settings.Extra {
			c.Settings.Extra[k] = slices.Clone(v)
		}
	}
	return &c
}
