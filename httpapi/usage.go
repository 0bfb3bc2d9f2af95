package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/atomixplatform/atomix"
	"github.com/atomixplatform/atomix/access"
	"github.com/atomixplatform/atomix/billing"
	"github.com/atomixplatform/atomix/core"
)

// Usage over REST: batch ingestion (seed 001) and seed 002's usage report.

// usageRequest is the body of POST /usage.
type usageRequest struct {
	Records []usageRecordRequest `json:"records"`
}

// usageRecordRequest is one record of a batch. Quantity is kept raw: a
// value that is not a JSON integer rejects that record, not the batch.
type usageRecordRequest struct {
	IdempotencyKey string          `json:"idempotencyKey"`
	TenantID       string          `json:"tenantId"`
	Metric         string          `json:"metric"`
	Quantity       json.RawMessage `json:"quantity"`
	Subject        string          `json:"subject"`
	Timestamp      string          `json:"timestamp"`
}

// usageResultBody is the outcome of one record, in the batch's order.
type usageResultBody struct {
	Index          int    `json:"index"`
	IdempotencyKey string `json:"idempotencyKey"`
	Status         string `json:"status"`
	Reason         string `json:"reason,omitempty"`
	Message        string `json:"message,omitempty"`
}

type usageBatchBody struct {
	Accepted   int               `json:"accepted"`
	Duplicates int               `json:"duplicates"`
	Rejected   int               `json:"rejected"`
	Results    []usageResultBody `json:"results"`
}

// record reads one record, or says why it is rejected.
func (in *usageRecordRequest) record() (billing.UsageRecord, string) {
	rec := billing.UsageRecord{TenantID: in.TenantID, IdempotencyKey: in.IdempotencyKey, Metric: in.Metric, Subject: in.Subject}
	q := bytes.TrimSpace(in.Quantity)
	if len(q) == 0 || string(q) == "null" {
		return rec, "quantity is required: a whole number of units"
	}
	n, err := strconv.ParseInt(string(q), 10, 64)
	if err != nil {
		return rec, "quantity must be a JSON integer (usage is never fractional)"
	}
	rec.Quantity = n
	if in.Timestamp == "" {
		return rec, "timestamp is required: an RFC 3339 date-time"
	}
	ts, err := time.Parse(time.RFC3339Nano, in.Timestamp)
	if err != nil {
		return rec, "timestamp must be an RFC 3339 date-time such as 2026-11-05T10:00:00Z"
	}
	rec.Timestamp = ts
	return rec, ""
}

// ingestUsage serves POST /usage: 200 with the outcome of every record,
// in order. A record that does not parse is rejected with reason
// "invalid"; the library decides on the others. More than
// billing.MaxUsageBatch records, or none, is 422 naming records.
func (h *handler) ingestUsage(c *call, r *http.Request) error {
	// A caller without usage:write is refused before its batch costs any
	// decoding; IngestUsage would refuse it the same way.
	if a, ok := access.ActorFrom(r.Context()); ok && !a.Perms.Check(atomix.PermUsageWrite) {
		return core.Errorf(core.Forbidden, "the operation needs the permission %q", atomix.PermUsageWrite)
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	// Decoding a batch of a thousand records is CPU-heavy work, as is
	// IngestUsage: it runs in a slot of the platform's CPU gate, released
	// before IngestUsage takes one of its own.
	var out usageBatchBody
	var recs []billing.UsageRecord
	var idx []int
	if gerr := h.p.CPUGate().Do(r.Context(), func() { recs, idx, out, err = h.decodeUsage(body) }); gerr != nil {
		return core.Wrap(gerr, "wait for a CPU slot to decode usage")
	}
	if err != nil {
		return err
	}
	if len(recs) > 0 {
		res, err := h.p.IngestUsage(r.Context(), recs)
		if err != nil {
			return err
		}
		for j, rs := range res {
			i := idx[j]
			out.Results[i] = usageResultBody{Index: i, IdempotencyKey: rs.IdempotencyKey, Status: string(rs.Outcome),
				Reason: rs.Reason, Message: rs.Message}
		}
	}
	for _, rs := range out.Results {
		switch billing.Outcome(rs.Status) {
		case billing.Accepted:
			out.Accepted++
		case billing.Duplicate:
			out.Duplicates++
		default:
			out.Rejected++
		}
	}
	return h.writeBody(c, http.StatusOK, out)
}

// decodeUsage decodes a POST /usage body: the records to ingest, their
// indexes in the batch, and the response with the records that do not
// convert already rejected. Errors: those of decodeBody; core.Invalid
// naming "records" for an empty or oversized batch.
func (h *handler) decodeUsage(body []byte) ([]billing.UsageRecord, []int, usageBatchBody, error) {
	var in usageRequest
	if err := decodeBody(body, &in, h.bshapes.usage); err != nil {
		return nil, nil, usageBatchBody{}, err
	}
	if n := len(in.Records); n == 0 || n > billing.MaxUsageBatch {
		return nil, nil, usageBatchBody{}, core.InvalidField("records", "must hold 1 to %d records (got %d)", billing.MaxUsageBatch, n)
	}
	out := usageBatchBody{Results: make([]usageResultBody, len(in.Records))}
	recs := make([]billing.UsageRecord, 0, len(in.Records))
	idx := make([]int, 0, len(in.Records))
	for i := range in.Records {
		rec, why := in.Records[i].record()
		if why != "" {
			out.Results[i] = usageResultBody{Index: i, IdempotencyKey: rec.IdempotencyKey, Status: string(billing.Rejected),
				Reason: billing.ReasonInvalid, Message: why}
			continue
		}
		recs = append(recs, rec)
		idx = append(idx, i)
	}
	return recs, idx, out, nil
}

// getTenantUsage serves GET /tenants/{tenantId}/usage?at: seed 002's
// usage of each metric in the subscription period holding at (now by
// default). The body is appended by hand: it is read on every page view
// of a tenant's dashboard.
func (h *handler) getTenantUsage(c *call, r *http.Request) error {
	var at time.Time
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		f := queryParams(q, "at")
		if v := q.Get("at"); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				f.Add("at", "must be an RFC 3339 date-time such as 2026-11-05T10:00:00Z")
			}
			at = t
		}
		if len(f) > 0 {
			return sortedErr(f)
		}
	}
	rep, err := h.p.TenantUsage(r.Context(), r.PathValue("tenantId"), at)
	if err != nil {
		return err
	}
	bp := h.getBuf()
	defer h.putBuf(bp)
	b := appendUsageReport((*bp)[:0], &rep.Period, rep.TenantID, rep.Metrics)
	*bp = b
	writeJSON(c, http.StatusOK, b)
	return nil
}

// appendUsageReport appends the wire form of a usage report: the
// UsageReport schema of openapi.json.
func appendUsageReport(b []byte, pd *billing.Period, tenantID string, metrics []billing.MetricUsage) []byte {
	b = append(b, `{"tenantId":`...)
	b = appendString(b, tenantID)
	b = append(b, `,"period":{"start":`...)
	b = appendTime(b, pd.Start)
	b = append(b, `,"end":`...)
	b = appendTime(b, pd.End)
	b = append(b, `},"usage":`...)
	return append(appendUsageMap(b, metrics), '}')
}

// appendUsageMap appends seed 002's usage object: each metric's used,
// limit and percentage (the UsageMap schema of openapi.json).
func appendUsageMap(b []byte, metrics []billing.MetricUsage) []byte {
	b = append(b, '{')
	for i := range metrics {
		m := &metrics[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, m.Metric)
		b = append(b, `:{"used":`...)
		b = strconv.AppendInt(b, m.Used, 10)
		if m.Limit < 0 { // billing.Unlimited
			b = append(b, `,"limit":null,"percentage":null}`...)
			continue
		}
		b = append(b, `,"limit":`...)
		b = strconv.AppendInt(b, m.Limit, 10)
		b = append(b, `,"percentage":`...)
		if m.Limit == 0 { // no share of nothing
			b = append(b, `null}`...)
			continue
		}
		b = appendPerMille(b, m.PerMille)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendPerMille appends tenths of a percent as a JSON number with one
// decimal: 48 is 4.8, 1000 is 100.0.
func appendPerMille(b []byte, pm int64) []byte {
	b = strconv.AppendInt(b, pm/10, 10)
	return append(b, '.', byte('0'+pm%10))
}
