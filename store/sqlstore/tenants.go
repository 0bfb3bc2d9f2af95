package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/uptrace/bun"
)

// tenantRow is a row of the tenants table.
type tenantRow struct {
	bun.BaseModel `bun:"table:tenants,alias:t"`

	ID        string `bun:"id,pk"`
	Name      string `bun:"name,notnull"`
	NameLower string `bun:"name_lower,notnull"` // strings.ToLower(Name), for q
	Subdomain string `bun:"subdomain,notnull"`
	Status    string `bun:"status,notnull"`
	PlanID    string `bun:"plan_id,nullzero"`
	OwnerID   string `bun:"owner_id,nullzero"`

	ContactName  string `bun:"contact_name,notnull"`
	ContactEmail string `bun:"contact_email,notnull"`
	ContactPhone string `bun:"contact_phone,notnull"`

	Industry    string `bun:"industry,notnull"`
	CompanySize string `bun:"company_size,notnull"`
	// SettingsExtra is the free-form settings as a JSON object whose values
	// are the stored bytes, verbatim; NULL when the map is nil.
	SettingsExtra *string `bun:"settings_extra"`

	CreatedAt time.Time  `bun:"created_at,notnull"`
	UpdatedAt time.Time  `bun:"updated_at,notnull"`
	DeletedAt *time.Time `bun:"deleted_at"`
}

func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// toRow converts t into a row. Its only error is core.Invalid for a
// free-form setting that is not valid JSON.
func toRow(t tenant.Tenant) (tenantRow, error) {
	r := tenantRow{
		ID:           t.ID,
		Name:         t.Name,
		NameLower:    strings.ToLower(t.Name),
		Subdomain:    t.Subdomain,
		Status:       string(t.Status),
		PlanID:       t.PlanID,
		OwnerID:      t.OwnerID,
		ContactName:  t.Contact.Name,
		ContactEmail: t.Contact.Email,
		ContactPhone: t.Contact.Phone,
		Industry:     t.Settings.Industry,
		CompanySize:  t.Settings.CompanySize,
		CreatedAt:    dbTime(t.CreatedAt),
		UpdatedAt:    dbTime(t.UpdatedAt),
	}
	if t.DeletedAt != nil {
		d := dbTime(*t.DeletedAt)
		r.DeletedAt = &d
	}
	if t.Settings.Extra != nil {
		s, err := encodeExtra(t.Settings.Extra)
		if err != nil {
			return r, err
		}
		r.SettingsExtra = &s
	}
	return r, nil
}

// encodeExtra writes the settings as a JSON object with sorted keys and the
// values verbatim, so that they read back byte for byte.
func encodeExtra(m map[string]json.RawMessage) (string, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		v := m[k]
		if !json.Valid(v) {
			return "", core.InvalidField("settings."+k, "must be valid JSON")
		}
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return "", core.InvalidField("settings", "keys must be valid UTF-8")
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String(), nil
}

func (r *tenantRow) toTenant() (tenant.Tenant, error) {
	t := tenant.Tenant{
		ID:        r.ID,
		Name:      r.Name,
		Subdomain: r.Subdomain,
		Status:    tenant.Status(r.Status),
		PlanID:    r.PlanID,
		OwnerID:   r.OwnerID,
		Contact:   tenant.Contact{Name: r.ContactName, Email: r.ContactEmail, Phone: r.ContactPhone},
		Settings:  tenant.Settings{Industry: r.Industry, CompanySize: r.CompanySize},
		CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.DeletedAt != nil {
		d := r.DeletedAt.UTC()
		t.DeletedAt = &d
	}
	if r.SettingsExtra != nil {
		if err := json.Unmarshal([]byte(*r.SettingsExtra), &t.Settings.Extra); err != nil {
			return t, core.Wrap(err, "read the settings of tenant "+r.ID)
		}
		if t.Settings.Extra == nil {
			t.Settings.Extra = map[string]json.RawMessage{}
		}
	}
	return t, nil
}

func notFound(id string) error { return core.Errorf(core.NotFound, "tenant %q not found", id) }

// createTenant inserts t and records its count delta in d.
func (s *Store) createTenant(ctx context.Context, idb bun.IDB, d deltas, t tenant.Tenant) error {
	r, err := toRow(t)
	if err != nil {
		return err
	}
	// ON CONFLICT DO NOTHING rather than a unique violation: on PostgreSQL
	// a failed statement would abort the caller's whole transaction. A
	// conflicting insert of a concurrent transaction is waited for.
	res, err := idb.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Returning("NULL").Exec(ctx)
	if err != nil {
		return s.translate(ctx, err, "create tenant "+t.ID, t.Subdomain)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.translate(ctx, err, "create tenant "+t.ID, t.Subdomain)
	}
	if n == 0 {
		exists, err := idb.NewSelect().Model((*tenantRow)(nil)).Where("t.id = ?", t.ID).Exists(ctx)
		if err != nil {
			return s.translate(ctx, err, "create tenant "+t.ID, t.Subdomain)
		}
		if exists {
			return core.Errorf(core.Conflict, "tenant %s already exists", t.ID)
		}
		return core.Errorf(core.SubdomainTaken, "subdomain %q is taken", t.Subdomain)
	}
	d.add(groupOf(&r), 1)
	return nil
}

// getTenant reads one tenant; forUpdate locks its row on PostgreSQL.
func (s *Store) getTenant(ctx context.Context, idb bun.IDB, id string, forUpdate bool) (tenantRow, error) {
	var r tenantRow
	q := idb.NewSelect().Model(&r).ExcludeColumn("name_lower").Where("t.id = ?", id)
	if forUpdate && s.pg {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		err = s.translate(ctx, err, "read tenant "+id, "")
		if core.ErrorCode(err) == core.NotFound {
			return r, notFound(id)
		}
		return r, err
	}
	return r, nil
}

// updateTenant runs the read-modify-write of tenant.Store.UpdateTenant
// inside the transaction idb; inTx says it is a caller's transaction, which
// must survive a failed update.
func (s *Store) updateTenant(ctx context.Context, idb bun.IDB, d deltas, id string, update func(tenant.Tenant) (tenant.Tenant, error), inTx bool) (tenant.Tenant, error) {
	old, err := s.getTenant(ctx, idb, id, true)
	if err != nil {
		return tenant.Tenant{}, err
	}
	cur, err := old.toTenant()
	if err != nil {
		return tenant.Tenant{}, err
	}
	next, err := update(cur)
	if err != nil {
		return tenant.Tenant{}, err
	}
	if next.ID != id {
		return tenant.Tenant{}, core.Errorf(core.Invalid, "a tenant's ID cannot change")
	}
	if !next.CreatedAt.Equal(old.CreatedAt) {
		return tenant.Tenant{}, core.Errorf(core.Invalid, "a tenant's creation time cannot change")
	}
	r, err := toRow(next)
	if err != nil {
		return tenant.Tenant{}, err
	}
	r.CreatedAt = old.CreatedAt
	// An update that claims a subdomain may violate the unique index. On
	// PostgreSQL, inside a caller's transaction, a savepoint keeps that
	// failure from aborting the whole transaction.
	claims := r.DeletedAt == nil && (old.DeletedAt != nil || old.Subdomain != r.Subdomain)
	savepoint := claims && s.pg && inTx
	if savepoint {
		if _, err := idb.ExecContext(ctx, "SAVEPOINT atomix_update"); err != nil {
			return tenant.Tenant{}, s.translate(ctx, err, "update tenant "+id, r.Subdomain)
		}
	}
	if _, err := idb.NewUpdate().Model(&r).WherePK().ExcludeColumn("id", "created_at").Exec(ctx); err != nil {
		if savepoint {
			if _, rerr := idb.ExecContext(ctx, "ROLLBACK TO SAVEPOINT atomix_update"); rerr != nil {
				return tenant.Tenant{}, s.translate(ctx, rerr, "update tenant "+id, r.Subdomain)
			}
		}
		return tenant.Tenant{}, s.translate(ctx, err, "update tenant "+id, r.Subdomain)
	}
	if savepoint {
		if _, err := idb.ExecContext(ctx, "RELEASE SAVEPOINT atomix_update"); err != nil {
			return tenant.Tenant{}, s.translate(ctx, err, "update tenant "+id, r.Subdomain)
		}
	}
	if g, h := groupOf(&old), groupOf(&r); g != h {
		d.add(g, -1)
		d.add(h, 1)
	}
	t, err := r.toTenant()
	if err != nil {
		return t, err
	}
	if t.AtomCount, err = s.countAtoms(ctx, idb, id); err != nil {
		return t, err
	}
	t.UserCount, err = s.countUsers(ctx, idb, id)
	return t, err
}

// escapeLike escapes the LIKE wildcards of s with a backslash.
func escapeLike(s string) string {
	if !strings.ContainsAny(s, `\%_`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\\' || r == '%' || r == '_' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
