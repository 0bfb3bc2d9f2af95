package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
	"github.com/atomixplatform/atomix/tenant"
	"github.com/uptrace/bun"
)

// Rows of the atom tables (migration 20260402000001_atoms).

// atomVersionRow is one published atom version.
type atomVersionRow struct {
	bun.BaseModel `bun:"table:atom_versions,alias:av"`

	AtomID  string `bun:"atom_id,pk"`
	Version string `bun:"version,pk"`
	Seq     int64  `bun:"seq,notnull"` // publication order
	Doc     string `bun:"doc,notnull"` // atomDoc as JSON
}

// atomCatalogRow is the one row holding the catalog version.
type atomCatalogRow struct {
	bun.BaseModel `bun:"table:atom_catalog,alias:ac"`

	ID      int64 `bun:"id,pk"`
	Version int64 `bun:"version,notnull"`
}

// installationRow is one tenant's installation of one atom.
type installationRow struct {
	bun.BaseModel `bun:"table:atom_installations,alias:ai"`

	TenantID    string    `bun:"tenant_id,pk"`
	ID          string    `bun:"id,pk"`
	AtomID      string    `bun:"atom_id,notnull"`
	Version     string    `bun:"version,notnull"`
	Mode        string    `bun:"mode,notnull"`
	Config      string    `bun:"config,notnull"` // compact JSON, verbatim
	Status      string    `bun:"status,notnull"`
	InstalledAt time.Time `bun:"installed_at,notnull"`
	UpdatedAt   time.Time `bun:"updated_at,notnull"`
}

// atomCountColumn is the derived atom count of the tenant aliased p, for
// the tenant reads: an index-only count on atom_installations_atom_key.
const atomCountColumn = "(SELECT count(*) FROM atom_installations AS ai WHERE ai.tenant_id = p.id)"

// atomDoc is the stored JSON form of an atom version. Unlike atom.Atom's
// own JSON, it keeps each dependency's id and constraint apart, so that
// they read back exactly as written.
type atomDoc struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Category     string          `json:"category"`
	Description  string          `json:"description"`
	Features     []string        `json:"features"`
	Dependencies []depDoc        `json:"dependencies"`
	Pricing      atom.Pricing    `json:"pricing"`
	Permissions  []string        `json:"permissions"`
	ConfigSchema json.RawMessage `json:"configSchema,omitempty"`
	Builtin      bool            `json:"builtin,omitempty"`
}

type depDoc struct {
	AtomID     string `json:"atomId"`
	Constraint string `json:"constraint,omitempty"`
}

// encodeAtom returns the stored text of a. Its only error is core.Invalid
// for a config schema that is not valid JSON.
func encodeAtom(a atom.Atom) (string, error) {
	d := atomDoc{
		ID: a.ID, Name: a.Name, Version: a.Version, Category: a.Category, Description: a.Description,
		Features: a.Features, Pricing: a.Pricing, Permissions: a.Permissions, Builtin: a.Builtin,
	}
	if len(a.ConfigSchema) > 0 {
		if !json.Valid(a.ConfigSchema) {
			return "", core.Errorf(core.Invalid, "the config schema of %s %s is not valid JSON", a.ID, a.Version)
		}
		d.ConfigSchema = a.ConfigSchema
	}
	if a.Dependencies != nil {
		d.Dependencies = make([]depDoc, len(a.Dependencies))
		for i, x := range a.Dependencies {
			d.Dependencies[i] = depDoc{AtomID: x.AtomID, Constraint: x.Constraint}
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // so that the schema's text is kept as it is
	if err := enc.Encode(d); err != nil {
		return "", core.Wrap(err, "encode atom "+a.ID+" "+a.Version)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func (r *atomVersionRow) toAtom() (atom.Atom, error) {
	var d atomDoc
	if err := json.Unmarshal([]byte(r.Doc), &d); err != nil {
		return atom.Atom{}, core.Wrap(err, "read atom "+r.AtomID+" "+r.Version)
	}
	a := atom.Atom{
		ID: d.ID, Name: d.Name, Version: d.Version, Category: d.Category, Description: d.Description,
		Features: d.Features, Pricing: d.Pricing, Permissions: d.Permissions, ConfigSchema: d.ConfigSchema, Builtin: d.Builtin,
	}
	if d.Dependencies != nil {
		a.Dependencies = make([]atom.Dependency, len(d.Dependencies))
		for i, x := range d.Dependencies {
			a.Dependencies[i] = atom.Dependency{AtomID: x.AtomID, Constraint: x.Constraint}
		}
	}
	return a, nil
}

func toInstallationRow(in atom.Installation) installationRow {
	return installationRow{
		TenantID: in.TenantID, ID: in.ID, AtomID: in.AtomID, Version: in.Version, Mode: string(in.Mode),
		Config: string(in.Config), Status: string(in.Status),
		InstalledAt: dbTime(in.InstalledAt), UpdatedAt: dbTime(in.UpdatedAt),
	}
}

func (r *installationRow) toInstallation() atom.Installation {
	return atom.Installation{
		TenantID: r.TenantID, ID: r.ID, AtomID: r.AtomID, Version: r.Version, Mode: atom.Mode(r.Mode),
		Config: json.RawMessage(r.Config), Status: atom.InstallationStatus(r.Status),
		InstalledAt: r.InstalledAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// The Store's atom methods.

// PublishAtoms implements atom.Store, in a transaction of its own.
// Errors: core.AtomDuplicate; core.Invalid for a config schema that is not
// JSON; those of publish; core.Internal.
func (s *Store) PublishAtoms(ctx context.Context, publish func([]atom.Atom) ([]atom.Atom, error)) (int64, error) {
	var v int64
	err := s.inTx(ctx, true, func(tx store.Store) (err error) {
		v, err = tx.PublishAtoms(ctx, publish)
		return err
	})
	return v, err
}

// ListAtoms implements atom.Store. Errors: core.Internal.
func (s *Store) ListAtoms(ctx context.Context) ([]atom.Atom, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	atoms, _, err := s.listAtoms(ctx, s.read)
	return atoms, err
}

// CatalogVersion implements atom.Store: one indexed read of one row.
// Errors: core.Internal.
func (s *Store) CatalogVersion(ctx context.Context) (int64, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	return s.catalogVersion(ctx, s.read)
}

// ListInstallations implements atom.Store. Errors: core.Internal.
func (s *Store) ListInstallations(ctx context.Context, tenantID string) ([]atom.Installation, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.listInstallations(ctx, s.read, tenantID)
}

// UpdateInstallations implements atom.Store, in a transaction of its own.
// Errors: core.NotFound; core.Invalid; core.Conflict; those of update;
// core.Internal.
func (s *Store) UpdateInstallations(ctx context.Context, tenantID string, update func(tenant.Tenant, []atom.Installation) ([]atom.Installation, error)) ([]atom.Installation, error) {
	var out []atom.Installation
	err := s.inTx(ctx, true, func(tx store.Store) (err error) {
		out, err = tx.UpdateInstallations(ctx, tenantID, update)
		return err
	})
	return out, err
}

// The transaction's atom methods.

func (tx *txStore) PublishAtoms(ctx context.Context, publish func([]atom.Atom) ([]atom.Atom, error)) (int64, error) {
	if err := tx.check(ctx); err != nil {
		return 0, err
	}
	return tx.s.publishAtoms(ctx, tx.tx, publish)
}

func (tx *txStore) ListAtoms(ctx context.Context) ([]atom.Atom, error) {
	if err := tx.check(ctx); err != nil {
		return nil, err
	}
	atoms, _, err := tx.s.listAtoms(ctx, tx.tx)
	return atoms, err
}

func (tx *txStore) CatalogVersion(ctx context.Context) (int64, error) {
	if err := tx.check(ctx); err != nil {
		return 0, err
	}
	return tx.s.catalogVersion(ctx, tx.tx)
}

func (tx *txStore) ListInstallations(ctx context.Context, tenantID string) ([]atom.Installation, error) {
	if err := tx.check(ctx); err != nil {
		return nil, err
	}
	return tx.s.listInstallations(ctx, tx.tx, tenantID)
}

func (tx *txStore) UpdateInstallations(ctx context.Context, tenantID string, update func(tenant.Tenant, []atom.Installation) ([]atom.Installation, error)) ([]atom.Installation, error) {
	if err := tx.check(ctx); err != nil {
		return nil, err
	}
	return tx.s.updateInstallations(ctx, tx.tx, tenantID, update)
}

// listAtoms reads every published version in publication order, and the
// highest seq.
func (s *Store) listAtoms(ctx context.Context, idb bun.IDB) ([]atom.Atom, int64, error) {
	var rows []atomVersionRow
	if err := idb.NewSelect().Model(&rows).Order("av.seq").Scan(ctx); err != nil {
		return nil, 0, s.translate(ctx, err, "list the atom catalog", "")
	}
	out := make([]atom.Atom, len(rows))
	var seq int64
	for i := range rows {
		a, err := rows[i].toAtom()
		if err != nil {
			return nil, 0, err
		}
		out[i] = a
		seq = max(seq, rows[i].Seq)
	}
	return out, seq, nil
}

func (s *Store) catalogVersion(ctx context.Context, idb bun.IDB) (int64, error) {
	rows, err := s.run(ctx, idb, func(q *readQuery) { q.sql("SELECT version FROM atom_catalog WHERE id = 1") })
	if err != nil {
		return 0, s.translate(ctx, err, "read the catalog version", "")
	}
	defer rows.Close()
	var v int64
	if rows.Next() {
		if err := rows.Scan(&v); err != nil {
			return 0, s.translate(ctx, err, "read the catalog version", "")
		}
	}
	if err := rows.Err(); err != nil {
		return 0, s.translate(ctx, err, "read the catalog version", "")
	}
	return v, nil
}

// publishAtoms runs atom.Store.PublishAtoms inside the transaction idb.
func (s *Store) publishAtoms(ctx context.Context, idb bun.IDB, publish func([]atom.Atom) ([]atom.Atom, error)) (int64, error) {
	// Lock the catalog row first: publishers queue here, and each reads
	// the catalog only once the one before it has committed.
	var cat atomCatalogRow
	q := idb.NewSelect().Model(&cat).Where("ac.id = 1")
	if s.pg {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return 0, s.translate(ctx, err, "lock the atom catalog", "")
	}
	cur, seq, err := s.listAtoms(ctx, idb)
	if err != nil {
		return 0, err
	}
	add, err := publish(cur)
	if err != nil {
		return 0, err
	}
	if len(add) == 0 {
		return cat.Version, nil
	}
	seen := make(map[[2]string]bool, len(cur)+len(add))
	for _, a := range cur {
		seen[[2]string{a.ID, a.Version}] = true
	}
	rows := make([]atomVersionRow, len(add))
	for i, a := range add {
		k := [2]string{a.ID, a.Version}
		if seen[k] {
			return 0, core.Errorf(core.AtomDuplicate, "%s %s is published already", a.ID, a.Version)
		}
		seen[k] = true
		doc, err := encodeAtom(a)
		if err != nil {
			return 0, err
		}
		rows[i] = atomVersionRow{AtomID: a.ID, Version: a.Version, Seq: seq + int64(i) + 1, Doc: doc}
	}
	res, err := idb.NewInsert().Model(&rows).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return 0, s.translate(ctx, err, "publish atoms", "")
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(rows)) {
		// Cannot happen while the catalog row is locked.
		return 0, core.Errorf(core.AtomDuplicate, "some of the atom versions were published concurrently")
	}
	next := cat.Version + 1
	if _, err := idb.NewUpdate().Model((*atomCatalogRow)(nil)).Set("version = ?", next).Where("ac.id = 1").Exec(ctx); err != nil {
		return 0, s.translate(ctx, err, "move the catalog version", "")
	}
	return next, nil
}

func (s *Store) listInstallations(ctx context.Context, idb bun.IDB, tenantID string) ([]atom.Installation, error) {
	var rows []installationRow
	if err := idb.NewSelect().Model(&rows).Where("ai.tenant_id = ?", tenantID).Order("ai.atom_id").Scan(ctx); err != nil {
		return nil, s.translate(ctx, err, "list the installations of tenant "+tenantID, "")
	}
	out := make([]atom.Installation, len(rows))
	for i := range rows {
		out[i] = rows[i].toInstallation()
	}
	return out, nil
}

// countAtoms returns the number of the tenant's installations.
func (s *Store) countAtoms(ctx context.Context, idb bun.IDB, tenantID string) (int, error) {
	n, err := idb.NewSelect().Model((*installationRow)(nil)).Where("ai.tenant_id = ?", tenantID).Count(ctx)
	if err != nil {
		return 0, s.translate(ctx, err, "count the installations of tenant "+tenantID, "")
	}
	return int(n), nil
}

// updateInstallations runs atom.Store.UpdateInstallations inside the
// transaction idb.
func (s *Store) updateInstallations(ctx context.Context, idb bun.IDB, tenantID string, update func(tenant.Tenant, []atom.Installation) ([]atom.Installation, error)) ([]atom.Installation, error) {
	// The tenant's row lock (PostgreSQL), or the one writer (SQLite),
	// holds off every other writer of the tenant until the end.
	tr, err := s.getTenant(ctx, idb, tenantID, true)
	if err != nil {
		return nil, err
	}
	t, err := tr.toTenant()
	if err != nil {
		return nil, err
	}
	cur, err := s.listInstallations(ctx, idb, tenantID)
	if err != nil {
		return nil, err
	}
	t.AtomCount = len(cur)
	next, err := update(t, slices.Clone(cur))
	if err != nil {
		return nil, err
	}
	rows, err := checkInstallations(tenantID, cur, next)
	if err != nil {
		return nil, err
	}
	old := make(map[string]installationRow, len(cur))
	for _, in := range cur {
		old[in.ID] = toInstallationRow(in)
	}
	keep := make(map[string]bool, len(rows))
	var inserts []installationRow
	var updates []*installationRow
	for i := range rows {
		r := &rows[i]
		keep[r.ID] = true
		o, ok := old[r.ID]
		switch {
		case !ok:
			inserts = append(inserts, *r)
		case !sameInstallationRow(o, *r):
			updates = append(updates, r)
		}
	}
	var gone []string
	for id := range old {
		if !keep[id] {
			gone = append(gone, id)
		}
	}
	doing := "change the installations of tenant " + tenantID
	if len(gone) > 0 {
		slices.Sort(gone)
		if _, err := idb.NewDelete().Model((*installationRow)(nil)).
			Where("ai.tenant_id = ?", tenantID).Where("ai.id IN (?)", bun.List(gone)).Exec(ctx); err != nil {
			return nil, s.translate(ctx, err, doing, "")
		}
	}
	for _, r := range updates {
		if _, err := idb.NewUpdate().Model(r).WherePK().ExcludeColumn("tenant_id", "id", "atom_id", "installed_at").Exec(ctx); err != nil {
			return nil, s.translate(ctx, err, doing, "")
		}
	}
	if len(inserts) > 0 {
		if _, err := idb.NewInsert().Model(&inserts).Exec(ctx); err != nil {
			return nil, s.translate(ctx, err, doing, "")
		}
	}
	out := make([]atom.Installation, len(rows))
	for i := range rows {
		out[i] = rows[i].toInstallation()
	}
	return out, nil
}

// checkInstallations checks what an updater returned against the rules of
// atom.Store.UpdateInstallations and returns the new rows, ordered by
// atom id.
func checkInstallations(tenantID string, cur, next []atom.Installation) ([]installationRow, error) {
	if err := atom.CheckUpdate(tenantID, cur, next); err != nil {
		return nil, err
	}
	rows := make([]installationRow, 0, len(next))
	for _, in := range next {
		rows = append(rows, toInstallationRow(in))
	}
	slices.SortFunc(rows, func(a, b installationRow) int { return strings.Compare(a.AtomID, b.AtomID) })
	return rows, nil
}

func sameInstallationRow(a, b installationRow) bool {
	return a.Version == b.Version && a.Mode == b.Mode && a.Config == b.Config && a.Status == b.Status &&
		a.UpdatedAt.Equal(b.UpdatedAt)
}
