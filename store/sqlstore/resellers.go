package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/reseller"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/uptrace/bun"
)

// Rows of the reseller tables (migration 20260403000001_resellers).

// resellerRow is one distributor or partner.
type resellerRow struct {
	bun.BaseModel `bun:"table:resellers,alias:r"`

	ID            string `bun:"id,pk"`
	Kind          string `bun:"kind,notnull"`
	DistributorID string `bun:"distributor_id,nullzero"`
	Name          string `bun:"name,notnull"`
	NameLower     string `bun:"name_lower,notnull"`

	ContactName  string `bun:"contact_name,notnull"`
	ContactEmail string `bun:"contact_email,notnull"`
	ContactPhone string `bun:"contact_phone,notnull"`

	AddressLine1 string `bun:"address_line1,notnull"`
	AddressLine2 string `bun:"address_line2,notnull"`
	Postcode     string `bun:"postcode,notnull"`
	City         string `bun:"city,notnull"`
	Region       string `bun:"region,notnull"`
	Country      string `bun:"country,notnull"`

	RegistrationNumber string `bun:"registration_number,notnull"`
	Website            string `bun:"website,notnull"`
	Status             string `bun:"status,notnull"`

	CreatedAt time.Time  `bun:"created_at,notnull"`
	UpdatedAt time.Time  `bun:"updated_at,notnull"`
	DeletedAt *time.Time `bun:"deleted_at"`

	// Total is the window count of a list query; never stored.
	Total int64 `bun:"total,scanonly"`
}

// ownershipRow is one row of a tenant's ownership history.
type ownershipRow struct {
	bun.BaseModel `bun:"table:tenant_owners,alias:o"`

	TenantID  string     `bun:"tenant_id,pk"`
	ValidFrom time.Time  `bun:"valid_from,pk"`
	OwnerID   string     `bun:"owner_id,notnull"`
	ValidTo   *time.Time `bun:"valid_to"`
}

// profileRow is a tenant's customer profile.
type profileRow struct {
	bun.BaseModel `bun:"table:customer_profiles,alias:cp"`

	TenantID           string    `bun:"tenant_id,pk"`
	Nickname           string    `bun:"nickname,notnull"`
	RegistrationNumber string    `bun:"registration_number,notnull"`
	AddressLine1       string    `bun:"address_line1,notnull"`
	AddressLine2       string    `bun:"address_line2,notnull"`
	Postcode           string    `bun:"postcode,notnull"`
	City               string    `bun:"city,notnull"`
	Region             string    `bun:"region,notnull"`
	Country            string    `bun:"country,notnull"`
	Website            string    `bun:"website,notnull"`
	CreatedAt          time.Time `bun:"created_at,notnull"`
	UpdatedAt          time.Time `bun:"updated_at,notnull"`
}

// resellerModels are the models of the reseller tables, for the schema
// test.
var resellerModels = []any{(*resellerRow)(nil), (*ownershipRow)(nil), (*profileRow)(nil)}

func toResellerRow(r reseller.Reseller) resellerRow {
	row := resellerRow{
		ID: r.ID, Kind: string(r.Kind), DistributorID: r.DistributorID,
		Name: r.Name, NameLower: strings.ToLower(r.Name),
		ContactName: r.Contact.Name, ContactEmail: r.Contact.Email, ContactPhone: r.Contact.Phone,
		AddressLine1: r.Address.Line1, AddressLine2: r.Address.Line2, Postcode: r.Address.Postcode,
		City: r.Address.City, Region: r.Address.Region, Country: r.Address.Country,
		RegistrationNumber: r.RegistrationNumber, Website: r.Website, Status: string(r.Status),
		CreatedAt: dbTime(r.CreatedAt), UpdatedAt: dbTime(r.UpdatedAt),
	}
	if r.DeletedAt != nil {
		row.DeletedAt = new(dbTime(*r.DeletedAt))
	}
	return row
}

func (row *resellerRow) toReseller() reseller.Reseller {
	r := reseller.Reseller{
		ID: row.ID, Kind: reseller.Kind(row.Kind), DistributorID: row.DistributorID, Name: row.Name,
		Contact: tenant.Contact{Name: row.ContactName, Email: row.ContactEmail, Phone: row.ContactPhone},
		Address: reseller.Address{
			Line1: row.AddressLine1, Line2: row.AddressLine2, Postcode: row.Postcode,
			City: row.City, Region: row.Region, Country: row.Country,
		},
		RegistrationNumber: row.RegistrationNumber, Website: row.Website, Status: reseller.Status(row.Status),
		CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
	}
	if row.DeletedAt != nil {
		r.DeletedAt = new(row.DeletedAt.UTC())
	}
	return r
}

func (row *ownershipRow) toOwnership() reseller.Ownership {
	o := reseller.Ownership{TenantID: row.TenantID, OwnerID: row.OwnerID, ValidFrom: row.ValidFrom.UTC()}
	if row.ValidTo != nil {
		o.ValidTo = new(row.ValidTo.UTC())
	}
	return o
}

func toProfileRow(p reseller.Profile) profileRow {
	return profileRow{
		TenantID: p.TenantID, Nickname: p.Nickname, RegistrationNumber: p.RegistrationNumber,
		AddressLine1: p.Address.Line1, AddressLine2: p.Address.Line2, Postcode: p.Address.Postcode,
		City: p.Address.City, Region: p.Address.Region, Country: p.Address.Country, Website: p.Website,
		CreatedAt: dbTime(p.CreatedAt), UpdatedAt: dbTime(p.UpdatedAt),
	}
}

func (row *profileRow) toProfile() reseller.Profile {
	return reseller.Profile{
		TenantID: row.TenantID, Nickname: row.Nickname, RegistrationNumber: row.RegistrationNumber,
		Address: reseller.Address{
			Line1: row.AddressLine1, Line2: row.AddressLine2, Postcode: row.Postcode,
			City: row.City, Region: row.Region, Country: row.Country,
		},
		Website: row.Website, CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
	}
}

func resellerNotFound(id string) error {
	return core.Errorf(core.NotFound, "reseller %q not found", id)
}

// The Store's reseller methods: reads on the read pool, writes in a
// transaction of their own.

// CreateReseller implements reseller.Store, in a transaction of its own.
// Errors: core.Conflict; core.Invalid; core.Internal.
func (s *Store) CreateReseller(ctx context.Context, r reseller.Reseller) error {
	return s.inTx(ctx, true, func(tx store.Store) error { return tx.CreateReseller(ctx, r) })
}

// GetReseller implements reseller.Store. Errors: core.NotFound; core.Internal.
func (s *Store) GetReseller(ctx context.Context, id string) (reseller.Reseller, error) {
	if err := s.check(ctx); err != nil {
		return reseller.Reseller{}, err
	}
	return s.getReseller(ctx, s.read, id, "")
}

// HoldReseller implements reseller.Store: outside a transaction it is
// GetReseller. Errors: core.NotFound; core.Internal.
func (s *Store) HoldReseller(ctx context.Context, id string) (reseller.Reseller, error) {
	return s.GetReseller(ctx, id)
}

// UpdateReseller implements reseller.Store, in a transaction of its own.
// Errors: core.NotFound; core.Invalid; those of update; core.Internal.
func (s *Store) UpdateReseller(ctx context.Context, id string, update func(reseller.Reseller) (reseller.Reseller, error)) (reseller.Reseller, error) {
	var out reseller.Reseller
	err := s.inTx(ctx, true, func(tx store.Store) (err error) {
		out, err = tx.UpdateReseller(ctx, id, update)
		return err
	})
	return out, err
}

// ListResellers implements reseller.Store. Errors: core.Invalid naming
// "page" for a page past the first with After; core.Internal.
func (s *Store) ListResellers(ctx context.Context, f reseller.Filter) ([]reseller.Reseller, int, error) {
	if err := s.check(ctx); err != nil {
		return nil, 0, err
	}
	return s.listResellers(ctx, s.read, f)
}

// CountHoldings implements reseller.Store. Errors: core.Internal.
func (s *Store) CountHoldings(ctx context.Context, id string) (reseller.Holdings, error) {
	if err := s.check(ctx); err != nil {
		return reseller.Holdings{}, err
	}
	return s.countHoldings(ctx, s.read, id)
}

// AppendOwnership implements reseller.Store, in a transaction of its own.
// Errors: core.NotFound; core.Invalid; core.Internal.
func (s *Store) AppendOwnership(ctx context.Context, o reseller.Ownership) error {
	return s.inTx(ctx, true, func(tx store.Store) error { return tx.AppendOwnership(ctx, o) })
}

// ListOwnerships implements reseller.Store. Errors: core.Internal.
func (s *Store) ListOwnerships(ctx context.Context, tenantID string) ([]reseller.Ownership, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.listOwnerships(ctx, s.read, tenantID)
}

// PutCustomerProfile implements reseller.Store, in a transaction of its
// own. Errors: core.NotFound; core.Internal.
func (s *Store) PutCustomerProfile(ctx context.Context, p reseller.Profile) error {
	return s.inTx(ctx, true, func(tx store.Store) error { return tx.PutCustomerProfile(ctx, p) })
}

// GetCustomerProfile implements reseller.Store.
// Errors: core.NotFound; core.Internal.
func (s *Store) GetCustomerProfile(ctx context.Context, tenantID string) (reseller.Profile, error) {
	if err := s.check(ctx); err != nil {
		return reseller.Profile{}, err
	}
	return s.getProfile(ctx, s.read, tenantID)
}

// ListCustomers implements reseller.Store: one page and its total in one
// statement. Errors: core.Internal.
func (s *Store) ListCustomers(ctx context.Context, f reseller.CustomerFilter) ([]reseller.Customer, int, error) {
	if err := s.check(ctx); err != nil {
		return nil, 0, err
	}
	return s.listCustomers(ctx, s.read, f)
}

// The transaction's reseller methods.

func (tx *txStore) CreateReseller(ctx context.Context, r reseller.Reseller) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	return tx.s.createReseller(ctx, tx.tx, r)
}

func (tx *txStore) GetReseller(ctx context.Context, id string) (reseller.Reseller, error) {
	if err := tx.check(ctx); err != nil {
		return reseller.Reseller{}, err
	}
	return tx.s.getReseller(ctx, tx.tx, id, "")
}

// HoldReseller reads the reseller FOR SHARE on PostgreSQL: a concurrent
// UpdateReseller (FOR UPDATE) waits for the end of this transaction, and
// other holders do not. On SQLite one transaction writes at a time.
func (tx *txStore) HoldReseller(ctx context.Context, id string) (reseller.Reseller, error) {
	if err := tx.check(ctx); err != nil {
		return reseller.Reseller{}, err
	}
	return tx.s.getReseller(ctx, tx.tx, id, "SHARE")
}

func (tx *txStore) UpdateReseller(ctx context.Context, id string, update func(reseller.Reseller) (reseller.Reseller, error)) (reseller.Reseller, error) {
	if err := tx.check(ctx); err != nil {
		return reseller.Reseller{}, err
	}
	return tx.s.updateReseller(ctx, tx.tx, id, update)
}

func (tx *txStore) ListResellers(ctx context.Context, f reseller.Filter) ([]reseller.Reseller, int, error) {
	if err := tx.check(ctx); err != nil {
		return nil, 0, err
	}
	return tx.s.listResellers(ctx, tx.tx, f)
}

func (tx *txStore) CountHoldings(ctx context.Context, id string) (reseller.Holdings, error) {
	if err := tx.check(ctx); err != nil {
		return reseller.Holdings{}, err
	}
	return tx.s.countHoldings(ctx, tx.tx, id)
}

func (tx *txStore) AppendOwnership(ctx context.Context, o reseller.Ownership) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	return tx.s.appendOwnership(ctx, tx.tx, o)
}

func (tx *txStore) ListOwnerships(ctx context.Context, tenantID string) ([]reseller.Ownership, error) {
	if err := tx.check(ctx); err != nil {
		return nil, err
	}
	return tx.s.listOwnerships(ctx, tx.tx, tenantID)
}

func (tx *txStore) PutCustomerProfile(ctx context.Context, p reseller.Profile) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	return tx.s.putProfile(ctx, tx.tx, p)
}

func (tx *txStore) GetCustomerProfile(ctx context.Context, tenantID string) (reseller.Profile, error) {
	if err := tx.check(ctx); err != nil {
		return reseller.Profile{}, err
	}
	return tx.s.getProfile(ctx, tx.tx, tenantID)
}

func (tx *txStore) ListCustomers(ctx context.Context, f reseller.CustomerFilter) ([]reseller.Customer, int, error) {
	if err := tx.check(ctx); err != nil {
		return nil, 0, err
	}
	return tx.s.listCustomers(ctx, tx.tx, f)
}

// The statements, on a pool or a transaction.

func (s *Store) createReseller(ctx context.Context, idb bun.IDB, r reseller.Reseller) error {
	row := toResellerRow(r)
	doing := "create reseller " + r.ID
	if r.DistributorID != "" {
		// Checked first: on PostgreSQL a failed foreign key would abort
		// the caller's whole transaction.
		ok, err := idb.NewSelect().Model((*resellerRow)(nil)).
			Where("r.id = ? AND r.kind = ?", r.DistributorID, string(reseller.KindDistributor)).Exists(ctx)
		if err != nil {
			return s.translate(ctx, err, doing, "")
		}
		if !ok {
			return core.Errorf(core.Invalid, "distributor %q is not stored", r.DistributorID)
		}
	}
	res, err := idb.NewInsert().Model(&row).On("CONFLICT DO NOTHING").Returning("NULL").Exec(ctx)
	if err != nil {
		return s.translate(ctx, err, doing, "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.translate(ctx, err, doing, "")
	} else if n == 0 {
		return core.Errorf(core.Conflict, "reseller %s already exists", r.ID)
	}
	return nil
}

// getReseller reads one reseller; lock, on PostgreSQL, is "" for a plain
// read, "SHARE" or "UPDATE".
func (s *Store) getReseller(ctx context.Context, idb bun.IDB, id, lock string) (reseller.Reseller, error) {
	var row resellerRow
	q := idb.NewSelect().Model(&row).ExcludeColumn("name_lower").Where("r.id = ?", id)
	if lock != "" && s.pg {
		q = q.For(lock)
	}
	if err := q.Scan(ctx); err != nil {
		err = s.translate(ctx, err, "read reseller "+id, "")
		if core.ErrorCode(err) == core.NotFound {
			return reseller.Reseller{}, resellerNotFound(id)
		}
		return reseller.Reseller{}, err
	}
	return row.toReseller(), nil
}

func (s *Store) updateReseller(ctx context.Context, idb bun.IDB, id string, update func(reseller.Reseller) (reseller.Reseller, error)) (reseller.Reseller, error) {
	old, err := s.getReseller(ctx, idb, id, "UPDATE")
	if err != nil {
		return reseller.Reseller{}, err
	}
	next, err := update(old)
	if err != nil {
		return reseller.Reseller{}, err
	}
	switch {
	case next.ID != old.ID, next.Kind != old.Kind, next.DistributorID != old.DistributorID:
		return reseller.Reseller{}, core.Errorf(core.Invalid, "a reseller's ID, kind and distributor cannot change")
	case !next.CreatedAt.Equal(old.CreatedAt):
		return reseller.Reseller{}, core.Errorf(core.Invalid, "a reseller's creation time cannot change")
	}
	row := toResellerRow(next)
	row.CreatedAt = dbTime(old.CreatedAt)
	if _, err := idb.NewUpdate().Model(&row).WherePK().ExcludeColumn("id", "kind", "distributor_id", "created_at").Exec(ctx); err != nil {
		return reseller.Reseller{}, s.translate(ctx, err, "update reseller "+id, "")
	}
	return row.toReseller(), nil
}

func (s *Store) listResellers(ctx context.Context, idb bun.IDB, f reseller.Filter) ([]reseller.Reseller, int, error) {
	where := func(q *bun.SelectQuery) *bun.SelectQuery {
		if !f.IncludeDeleted {
			q = q.Where("r.deleted_at IS NULL")
		}
		if f.Kind != "" {
			q = q.Where("r.kind = ?", string(f.Kind))
		}
		if f.DistributorID != "" {
			q = q.Where("r.distributor_id = ?", f.DistributorID)
		}
		if f.Status != "" {
			q = q.Where("r.status = ?", string(f.Status))
		}
		if f.Query != "" {
			q = q.Where(`r.name_lower LIKE ? ESCAPE '\'`, "%"+escapeLike(strings.ToLower(f.Query))+"%")
		}
		return q
	}
	if err := core.CheckAfter(f.After, f.Page); err != nil {
		return nil, 0, err
	}
	page := f.Page
	if page.Page < 1 || page.Limit < 1 {
		page, _ = page.Normalize()
	}
	var rows []resellerRow
	err := listPage(idb, where(idb.NewSelect().Model(&rows).ExcludeColumn("name_lower")), where, (*resellerRow)(nil), "r", "total",
		f.After, page).Scan(ctx)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "list resellers", "")
	}
	out := make([]reseller.Reseller, len(rows))
	for i := range rows {
		out[i] = rows[i].toReseller()
	}
	if len(rows) > 0 {
		return out, int(rows[0].Total), nil
	}
	// A page past the end holds no row to carry the total.
	n, err := where(idb.NewSelect().Model((*resellerRow)(nil))).Count(ctx)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "count resellers", "")
	}
	return out, int(n), nil
}

func (s *Store) countHoldings(ctx context.Context, idb bun.IDB, id string) (reseller.Holdings, error) {
	var tenants, partners int64
	err := idb.NewRaw(`SELECT (SELECT count(*) FROM tenants AS t WHERE t.owner_id = ? AND t.deleted_at IS NULL),
		(SELECT count(*) FROM resellers AS r WHERE r.distributor_id = ? AND r.deleted_at IS NULL)`, id, id).
		Scan(ctx, &tenants, &partners)
	if err != nil {
		return reseller.Holdings{}, s.translate(ctx, err, "count the holdings of reseller "+id, "")
	}
	return reseller.Holdings{Tenants: int(tenants), Partners: int(partners)}, nil
}

// lockTenant checks that the tenant exists and, on PostgreSQL, locks its
// row until the end of the transaction, so that the writes to its
// ownership history are serialized.
func (s *Store) lockTenant(ctx context.Context, idb bun.IDB, tenantID string) error {
	q := idb.NewSelect().Model((*tenantRow)(nil)).Column("t.id").Where("t.id = ?", tenantID)
	if s.pg {
		q = q.For("UPDATE")
	}
	var id string
	if err := q.Scan(ctx, &id); err != nil {
		err = s.translate(ctx, err, "read tenant "+tenantID, "")
		if core.ErrorCode(err) == core.NotFound {
			return notFound(tenantID)
		}
		return err
	}
	return nil
}

func (s *Store) appendOwnership(ctx context.Context, idb bun.IDB, o reseller.Ownership) error {
	doing := "record an owner of tenant " + o.TenantID
	if err := s.lockTenant(ctx, idb, o.TenantID); err != nil {
		return err
	}
	if o.ValidTo != nil {
		return core.Errorf(core.Invalid, "a new ownership row is open: its ValidTo must be nil")
	}
	row := ownershipRow{TenantID: o.TenantID, ValidFrom: dbTime(o.ValidFrom), OwnerID: o.OwnerID}
	var last []ownershipRow
	if err := idb.NewSelect().Model(&last).Where("o.tenant_id = ?", o.TenantID).
		OrderExpr("o.valid_from DESC").Limit(1).Scan(ctx); err != nil {
		return s.translate(ctx, err, doing, "")
	}
	if len(last) > 0 {
		prev := last[0]
		if !row.ValidFrom.After(prev.ValidFrom) {
			return core.Errorf(core.Invalid, "an ownership row of tenant %s must start after %s", o.TenantID, prev.ValidFrom.UTC())
		}
		if _, err := idb.NewUpdate().Model((*ownershipRow)(nil)).Set("valid_to = ?", row.ValidFrom).
			Where("o.tenant_id = ? AND o.valid_from = ?", prev.TenantID, prev.ValidFrom).Exec(ctx); err != nil {
			return s.translate(ctx, err, doing, "")
		}
	}
	if _, err := idb.NewInsert().Model(&row).Exec(ctx); err != nil {
		return s.translate(ctx, err, doing, "")
	}
	return nil
}

func (s *Store) listOwnerships(ctx context.Context, idb bun.IDB, tenantID string) ([]reseller.Ownership, error) {
	var rows []ownershipRow
	if err := idb.NewSelect().Model(&rows).Where("o.tenant_id = ?", tenantID).OrderExpr("o.valid_from").Scan(ctx); err != nil {
		return nil, s.translate(ctx, err, "list the owners of tenant "+tenantID, "")
	}
	out := make([]reseller.Ownership, len(rows))
	for i := range rows {
		out[i] = rows[i].toOwnership()
	}
	return out, nil
}

func (s *Store) putProfile(ctx context.Context, idb bun.IDB, p reseller.Profile) error {
	doing := "store the customer profile of tenant " + p.TenantID
	if err := s.lockTenant(ctx, idb, p.TenantID); err != nil {
		return err
	}
	row := toProfileRow(p)
	_, err := idb.NewInsert().Model(&row).
		On("CONFLICT (tenant_id) DO UPDATE").
		Set("nickname = EXCLUDED.nickname").
		Set("registration_number = EXCLUDED.registration_number").
		Set("address_line1 = EXCLUDED.address_line1").
		Set("address_line2 = EXCLUDED.address_line2").
		Set("postcode = EXCLUDED.postcode").
		Set("city = EXCLUDED.city").
		Set("region = EXCLUDED.region").
		Set("country = EXCLUDED.country").
		Set("website = EXCLUDED.website").
		Set("created_at = EXCLUDED.created_at").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return s.translate(ctx, err, doing, "")
	}
	return nil
}

func (s *Store) getProfile(ctx context.Context, idb bun.IDB, tenantID string) (reseller.Profile, error) {
	var row profileRow
	if err := idb.NewSelect().Model(&row).Where("cp.tenant_id = ?", tenantID).Scan(ctx); err != nil {
		err = s.translate(ctx, err, "read the customer profile of tenant "+tenantID, "")
		if core.ErrorCode(err) == core.NotFound {
			return reseller.Profile{}, core.Errorf(core.NotFound, "tenant %q has no customer profile", tenantID)
		}
		return reseller.Profile{}, err
	}
	return row.toProfile(), nil
}

// customerColumns are the columns listCustomers reads: the tenant (alias
// t), then its profile (alias cp), NULLs when it has none.
const customerColumns = "t.id, t.name, t.subdomain, t.status, t.plan_id, t.owner_id, t.contact_name, t.contact_email, " +
	"t.contact_phone, t.industry, t.company_size, t.settings_extra, t.created_at, t.updated_at, t.deleted_at, " +
	"cp.tenant_id, cp.nickname, cp.registration_number, cp.address_line1, cp.address_line2, cp.postcode, " +
	"cp.city, cp.region, cp.country, cp.website, cp.created_at, cp.updated_at"

// customerWhere returns the WHERE clause of f over tenants AS t, and its
// arguments.
func customerWhere(f reseller.CustomerFilter) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString(" WHERE 1 = 1")
	if !f.IncludeDeleted {
		b.WriteString(" AND t.deleted_at IS NULL")
	}
	if f.Under != "" {
		// The owner index serves both arms; a distributor's partners come
		// from the distributor index of resellers.
		b.WriteString(" AND (t.owner_id = ? OR t.owner_id IN (SELECT r.id FROM resellers AS r WHERE r.distributor_id = ?))")
		args = append(args, f.Under, f.Under)
	}
	if f.Query != "" {
		b.WriteString(` AND t.name_lower LIKE ? ESCAPE '\'`)
		args = append(args, "%"+escapeLike(strings.ToLower(f.Query))+"%")
	}
	return b.String(), args
}

func (s *Store) listCustomers(ctx context.Context, idb bun.IDB, f reseller.CustomerFilter) ([]reseller.Customer, int, error) {
	page := f.Page
	if page.Page < 1 || page.Limit < 1 {
		page, _ = page.Normalize()
	}
	where, args := customerWhere(f)
	// LIMIT and OFFSET are literals, as in the tenant list.
	query := "SELECT count(*) OVER () AS total, " + customerColumns +
		" FROM tenants AS t LEFT JOIN customer_profiles AS cp ON cp.tenant_id = t.id" + where +
		" ORDER BY t.created_at, t.id LIMIT " + strconv.Itoa(page.Limit) + " OFFSET " + strconv.Itoa(page.Offset())
	rows, err := idb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "list customers", "")
	}
	defer rows.Close()
	out := make([]reseller.Customer, 0, page.Limit)
	var total int64
	for rows.Next() {
		c, n, err := scanCustomer(rows)
		if err != nil {
			return nil, 0, s.translate(ctx, err, "list customers", "")
		}
		total = n
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.translate(ctx, err, "list customers", "")
	}
	if len(out) > 0 {
		return out, int(total), nil
	}
	// A page past the end holds no row to carry the total.
	var n int64
	if err := idb.NewRaw("SELECT count(*) FROM tenants AS t"+where, args...).Scan(ctx, &n); err != nil {
		return nil, 0, s.translate(ctx, err, "count customers", "")
	}
	return out, int(n), nil
}

// scanCustomer reads one row of listCustomers and its total.
func scanCustomer(rows *sql.Rows) (reseller.Customer, int64, error) {
	var total int64
	var t tenantRow
	var plan, owner, extra sql.NullString
	var deleted sql.NullTime
	var pTenant, nick, reg, line1, line2, postcode, city, region, country, website sql.NullString
	var pCreated, pUpdated sql.NullTime
	if err := rows.Scan(&total,
		&t.ID, &t.Name, &t.Subdomain, &t.Status, &plan, &owner, &t.ContactName, &t.ContactEmail,
		&t.ContactPhone, &t.Industry, &t.CompanySize, &extra, &t.CreatedAt, &t.UpdatedAt, &deleted,
		&pTenant, &nick, &reg, &line1, &line2, &postcode, &city, &region, &country, &website, &pCreated, &pUpdated,
	); err != nil {
		return reseller.Customer{}, 0, err
	}
	t.PlanID, t.OwnerID = plan.String, owner.String
	if extra.Valid {
		t.SettingsExtra = &extra.String
	}
	if deleted.Valid {
		t.DeletedAt = &deleted.Time
	}
	tn, err := t.toTenant()
	if err != nil {
		return reseller.Customer{}, 0, err
	}
	c := reseller.Customer{Tenant: tn}
	if pTenant.Valid {
		p := profileRow{
			TenantID: pTenant.String, Nickname: nick.String, RegistrationNumber: reg.String,
			AddressLine1: line1.String, AddressLine2: line2.String, Postcode: postcode.String,
			City: city.String, Region: region.String, Country: country.String, Website: website.String,
			CreatedAt: pCreated.Time, UpdatedAt: pUpdated.Time,
		}
		c.Profile = new(p.toProfile())
	}
	return c, total, nil
}
