package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/atomixplatform/atomix/audit"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/store"
)

// auditRow is one row of audit_log.
type auditRow struct {
	bun.BaseModel `bun:"table:audit_log,alias:al"`

	ID        string    `bun:"id,pk"`
	At        time.Time `bun:"at,notnull"`
	ActorKind string    `bun:"actor_kind,notnull"`
	ActorID   string    `bun:"actor_id,notnull"`
	ActorRole string    `bun:"actor_role,notnull"`
	Action    string    `bun:"action,notnull"`
	Target    string    `bun:"target,notnull"`
	TenantID  string    `bun:"tenant_id,notnull"`
	Outcome   string    `bun:"outcome,notnull"`
	Code      string    `bun:"code,notnull"`
	Total     int64     `bun:"total,scanonly"`
}

// AppendAudit implements audit.Store, in a transaction of its own.
// Errors: core.Conflict; core.Internal.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry) error {
	return s.inTx(ctx, true, func(tx store.Store) error { return tx.AppendAudit(ctx, e) })
}

// ListAudit implements audit.Store. Errors: core.Invalid for a bad page;
// core.Internal.
func (s *Store) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, int, error) {
	if err := s.check(ctx); err != nil {
		return nil, 0, err
	}
	return s.listAudit(ctx, s.read, f)
}

func (tx *txStore) AppendAudit(ctx context.Context, e audit.Entry) error {
	if err := tx.check(ctx); err != nil {
		return err
	}
	return tx.s.appendAudit(ctx, tx.tx, e)
}

func (tx *txStore) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, int, error) {
	if err := tx.check(ctx); err != nil {
		return nil, 0, err
	}
	return tx.s.listAudit(ctx, tx.tx, f)
}

func (s *Store) appendAudit(ctx context.Context, idb bun.IDB, e audit.Entry) error {
	row := auditRow{ID: e.ID, At: e.At.UTC().Truncate(time.Microsecond), ActorKind: e.ActorKind, ActorID: e.ActorID,
		ActorRole: e.ActorRole, Action: e.Action, Target: e.Target, TenantID: e.TenantID, Outcome: string(e.Outcome), Code: e.Code}
	res, err := idb.NewInsert().Model(&row).On("CONFLICT DO NOTHING").Returning("NULL").Exec(ctx)
	if err != nil {
		return s.translate(ctx, err, "append audit entry "+e.ID, "")
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.translate(ctx, err, "append audit entry "+e.ID, "")
	} else if n == 0 {
		return core.Errorf(core.Conflict, "audit entry %s already exists", e.ID)
	}
	return nil
}

func (s *Store) listAudit(ctx context.Context, idb bun.IDB, f audit.Filter) ([]audit.Entry, int, error) {
	page, err := f.Page.Normalize()
	if err != nil {
		return nil, 0, err
	}
	if f.TenantIDs != nil && len(f.TenantIDs) == 0 {
		return nil, 0, nil
	}
	where := func(q *bun.SelectQuery) *bun.SelectQuery {
		if f.TenantID != "" {
			q = q.Where("al.tenant_id = ?", f.TenantID)
		}
		if f.TenantIDs != nil {
			q = q.Where("al.tenant_id IN (?)", bun.List(f.TenantIDs)).Where("al.tenant_id <> ''")
		}
		if f.ActorID != "" {
			q = q.Where("al.actor_id = ?", f.ActorID)
		}
		if !f.From.IsZero() {
			q = q.Where("al.at >= ?", f.From.UTC().Truncate(time.Microsecond))
		}
		if !f.To.IsZero() {
			q = q.Where("al.at < ?", f.To.UTC().Truncate(time.Microsecond))
		}
		return q
	}
	var rows []auditRow
	err = where(idb.NewSelect().Model(&rows).ColumnExpr("al.id, al.at, al.actor_kind, al.actor_id, al.actor_role, al.action, al.target, al.tenant_id, al.outcome, al.code").ColumnExpr("count(*) OVER () AS total")).
		OrderExpr("al.at DESC, al.id DESC").Limit(int64(page.Limit)).Offset(int64(page.Offset())).Scan(ctx)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "list audit entries", "")
	}
	out := make([]audit.Entry, len(rows))
	for i, r := range rows {
		out[i] = audit.Entry{ID: r.ID, At: r.At.UTC(), ActorKind: r.ActorKind, ActorID: r.ActorID, ActorRole: r.ActorRole,
			Action: r.Action, Target: r.Target, TenantID: r.TenantID, Outcome: audit.Outcome(r.Outcome), Code: r.Code}
	}
	if len(rows) > 0 {
		return out, int(rows[0].Total), nil
	}
	n, err := where(idb.NewSelect().Model((*auditRow)(nil))).Count(ctx)
	if err != nil {
		return nil, 0, s.translate(ctx, err, "count audit entries", "")
	}
	return out, int(n), nil
}
