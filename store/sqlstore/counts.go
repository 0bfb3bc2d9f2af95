package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/uptrace/bun"
)

var errNoTotal = errors.New("sqlstore: the list query returned no total")

// group is a key of tenant_counts.
type group struct {
	Status  string
	PlanID  string
	OwnerID string
	Deleted bool
}

func groupOf(r *tenantRow) group {
	return group{Status: r.Status, PlanID: r.PlanID, OwnerID: r.OwnerID, Deleted: r.DeletedAt != nil}
}

func (g group) compare(h group) int {
	if c := cmp.Compare(g.Status, h.Status); c != 0 {
		return c
	}
	if c := cmp.Compare(g.PlanID, h.PlanID); c != 0 {
		return c
	}
	if c := cmp.Compare(g.OwnerID, h.OwnerID); c != 0 {
		return c
	}
	switch {
	case g.Deleted == h.Deleted:
		return 0
	case !g.Deleted:
		return -1
	}
	return 1
}

// deltas collects the changes to tenant_counts of one transaction. They are
// written together by flush, in key order, so that two transactions never
// lock counter rows in opposite orders.
type deltas map[group]int64

func (d deltas) add(g group, n int64) {
	d[g] += n
	if d[g] == 0 {
		delete(d, g)
	}
}

// countRow is a row of tenant_counts.
type countRow struct {
	bun.BaseModel `bun:"table:tenant_counts,alias:c"`

	Status  string `bun:"status,pk"`
	PlanID  string `bun:"plan_id,pk"`
	OwnerID string `bun:"owner_id,pk"`
	Deleted bool   `bun:"deleted,pk"`
	N       int64  `bun:"n,notnull"`
}

// flush writes the collected deltas in idb and empties d. An increment is an
// upsert; a decrement updates the existing row (it exists: the tenant being
// moved was counted in it).
func (s *Store) flush(ctx context.Context, idb bun.IDB, d deltas) error {
	if len(d) == 0 {
		return nil
	}
	keys := make([]group, 0, len(d))
	for g := range d {
		keys = append(keys, g)
	}
	slices.SortFunc(keys, group.compare)
	for _, g := range keys {
		n := d[g]
		var err error
		if n > 0 {
			row := countRow{Status: g.Status, PlanID: g.PlanID, OwnerID: g.OwnerID, Deleted: g.Deleted, N: n}
			_, err = idb.NewInsert().Model(&row).
				On("CONFLICT (status, plan_id, owner_id, deleted) DO UPDATE").
				Set("n = c.n + EXCLUDED.n").
				Exec(ctx)
		} else {
			_, err = idb.NewUpdate().Model((*countRow)(nil)).
				Set("n = c.n + ?", n).
				Where("c.status = ? AND c.plan_id = ? AND c.owner_id = ? AND c.deleted = ?", g.Status, g.PlanID, g.OwnerID, g.Deleted).
				Exec(ctx)
		}
		if err != nil {
			return s.translate(ctx, err, "update the tenant counts", "")
		}
	}
	clear(d)
	return nil
}
