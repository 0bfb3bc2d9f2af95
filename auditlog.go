package atomix

import (
	"context"
	"time"

	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/audit"
	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
)

// The audit log: every mutating Platform method records one entry, with
// its outcome, denials included (audit.Store).

// auditNote collects what a call learns for its audit entry: whether it
// was refused because the record lies outside the actor's scope, which
// the caller sees as a plain core.NotFound.
type auditNote struct {
	outOfScope bool
	tenantID   string // the tenant of the record reached, when the call knows it
}

type auditNoteKey struct{}

// noteOutOfScope marks the running audited call as denied by scope.
func noteOutOfScope(ctx context.Context) {
	if n, ok := ctx.Value(auditNoteKey{}).(*auditNote); ok {
		n.outOfScope = true
	}
}

// noteTenant records the tenant of the record the running audited call
// reached.
func noteTenant(ctx context.Context, tenantID string) {
	if n, ok := ctx.Value(auditNoteKey{}).(*auditNote); ok {
		n.tenantID = tenantID
	}
}

// audited starts an audited call of action: it returns the context the
// call runs with, and the function that records its entry when it ends.
// A failure to write the entry does not fail the call.
func (p *Platform) audited(ctx context.Context, action string) (context.Context, func(target, tenantID string, err error)) {
	note := &auditNote{}
	ctx = context.WithValue(ctx, auditNoteKey{}, note)
	return ctx, func(target, tenantID string, err error) {
		a, _ := access.ActorFrom(ctx)
		if tenantID == "" {
			tenantID = note.tenantID
		}
		e := audit.Entry{
			ID: core.NewID(audit.PrefixEntry), At: p.now.Now(),
			ActorKind: string(a.Kind), ActorID: a.ID, ActorRole: a.Role,
			Action: action, Target: target, TenantID: tenantID, Outcome: audit.Succeeded,
		}
		if err != nil {
			code := core.ErrorCode(err)
			e.Code, e.Outcome = string(code), audit.Failed
			if code == core.Forbidden || code == core.Unauthenticated || note.outOfScope {
				e.Outcome = audit.Denied
			}
		}
		_ = p.store.AppendAudit(context.WithoutCancel(ctx), e)
	}
}

// AuditQuery selects audit entries for Audit. Zero fields do not filter.
type AuditQuery struct {
	TenantID string
	ActorID  string
	// From (included) and To (excluded) bound the entries' time.
	From, To time.Time
	Page     core.PageRequest
}

// Audit returns one page of the audit log within the actor's scope, newest
// first: the platform sees every entry; a reseller the entries of the
// tenants below it; a tenant user those of its tenant.
// Errors: core.Unauthenticated; core.Forbidden without audit:view;
// core.NotFound for a tenant outside the actor's scope; core.Invalid
// naming "page", "limit", "from" or "to".
func (p *Platform) Audit(ctx context.Context, q AuditQuery) (core.Page[audit.Entry], error) {
	a, err := need(ctx, PermAuditView)
	if err != nil {
		return core.Page[audit.Entry]{}, err
	}
	page, err := q.Page.Normalize()
	if err != nil {
		return core.Page[audit.Entry]{}, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return core.Page[audit.Entry]{}, core.InvalidField("to", "must be after from")
	}
	f := audit.Filter{TenantID: q.TenantID, ActorID: q.ActorID, From: q.From, To: q.To, Page: page}
	switch {
	case platformActor(a):
	case q.TenantID != "":
		if _, _, err := p.reachTenant(ctx, PermAuditView, q.TenantID); err != nil {
			return core.Page[audit.Entry]{}, err
		}
	case a.Scope.Kind == access.ScopeTenant:
		f.TenantID = a.Scope.ID
	default:
		ids, err := p.scopeTenantIDs(ctx, a)
		if err != nil {
			return core.Page[audit.Entry]{}, err
		}
		f.TenantIDs = ids
	}
	items, total, err := p.store.ListAudit(ctx, f)
	if err != nil {
		return core.Page[audit.Entry]{}, err
	}
	return core.NewPage(page, items, total), nil
}

// scopeTenantIDs returns the IDs of every tenant a reseller actor reaches,
// deleted ones included; never nil. It walks the tenants (walk), so a
// tenant created meanwhile is named once.
// Errors: those of the store.
func (p *Platform) scopeTenantIDs(ctx context.Context, a access.Actor) ([]string, error) {
	ids := []string{}
	err := walk(p.tenantPages(ctx, tenant.Filter{IncludeDeleted: true}), tenant.Tenant.ListKey, func(t tenant.Tenant) error {
		ok, err := p.tenantInScope(ctx, a, t)
		if err != nil || !ok {
			return err
		}
		ids = append(ids, t.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}
