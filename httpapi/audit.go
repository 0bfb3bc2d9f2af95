package httpapi

import (
	"net/http"
	"time"

	"github.com/atomixplatform/atomix"
)

// auditEntryBody is the wire form of an audit entry.
type auditEntryBody struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	Actor    actorBody `json:"actor"`
	Action   string    `json:"action"`
	Target   string    `json:"target,omitempty"`
	TenantID string    `json:"tenantId,omitempty"`
	Outcome  string    `json:"outcome"`
	Code     string    `json:"code,omitempty"`
}

type actorBody struct {
	Kind string `json:"kind,omitempty"`
	ID   string `json:"id,omitempty"`
	Role string `json:"role,omitempty"`
}

// listAudit serves GET /audit?tenantId&actorId&from&to&page&limit: the
// audit log within the caller's scope, newest first.
func (h *handler) listAudit(c *call, r *http.Request) error {
	q := r.URL.Query()
	f := queryParams(q, "tenantId", "actorId", "from", "to", "page", "limit")
	page := pageParams(q, &f)
	in := atomix.AuditQuery{TenantID: q.Get("tenantId"), ActorID: q.Get("actorId"), Page: page}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &in.From}, {"to", &in.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				f.Add(p.name, "must be an RFC 3339 date-time such as 2026-03-01T00:00:00Z")
				continue
			}
			*p.dst = t
		}
	}
	if len(f) > 0 {
		return sortedErr(f)
	}
	pg, err := h.p.Audit(r.Context(), in)
	if err != nil {
		return err
	}
	out := listBody[auditEntryBody]{Data: make([]auditEntryBody, 0, len(pg.Items)),
		Pagination: paginationBody{Page: pg.Page, Limit: pg.Limit, Total: pg.Total, TotalPages: pg.TotalPages}}
	for _, e := range pg.Items {
		out.Data = append(out.Data, auditEntryBody{ID: e.ID, At: e.At.UTC(), Actor: actorBody{Kind: e.ActorKind, ID: e.ActorID, Role: e.ActorRole},
			Action: e.Action, Target: e.Target, TenantID: e.TenantID, Outcome: string(e.Outcome), Code: e.Code})
	}
	return h.writeBody(c, http.StatusOK, out)
}
