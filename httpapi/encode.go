package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/atomixplatform/atomix/core"
	"github.com/atomixplatform/atomix/tenant"
)

// The response bodies of the hot paths are appended by hand rather than
// through encoding/json's reflection: the field names below are the wire
// contract, and every handler test validates them against openapi.json's
// schemas, which forbid unknown members.

// maxPooledBuf bounds the buffers returned to the pool, so that one huge
// response does not pin its memory.
const maxPooledBuf = 64 << 10

func (h *handler) getBuf() *[]byte { return h.bufs.Get().(*[]byte) }

func (h *handler) putBuf(b *[]byte) {
	if cap(*b) > maxPooledBuf {
		return
	}
	*b = (*b)[:0]
	h.bufs.Put(b)
}

// writeJSON writes body as an application/json response with the status.
func writeJSON(c *call, status int, body []byte) {
	c.setHeader("Content-Type", 1, "application/json")
	c.setHeader("Content-Length", 2, strconv.Itoa(len(body)))
	c.WriteHeader(status)
	_, _ = c.Write(body)
}

// writeTenant writes one tenant as the response.
func (h *handler) writeTenant(c *call, status int, t *tenant.Tenant) error {
	bp := h.getBuf()
	defer h.putBuf(bp)
	b, err := appendTenant((*bp)[:0], t)
	*bp = b
	if err != nil {
		return err
	}
	writeJSON(c, status, b)
	return nil
}

// writeTenantPage writes a page of tenants as {"data": [...], "pagination":
// {...}}.
func (h *handler) writeTenantPage(c *call, pg *core.Page[tenant.Tenant]) error {
	bp := h.getBuf()
	defer h.putBuf(bp)
	b := append((*bp)[:0], `{"data":[`...)
	var err error
	for i := range pg.Items {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendTenant(b, &pg.Items[i]); err != nil {
			*bp = b
			return err
		}
	}
	b = append(b, `],"pagination":`...)
	b = appendPagination(b, pg.Page, pg.Limit, pg.Total, pg.TotalPages)
	b = append(b, '}')
	*bp = b
	writeJSON(c, http.StatusOK, b)
	return nil
}

func appendPagination(b []byte, page, limit, total, totalPages int) []byte {
	b = append(b, `{"page":`...)
	b = strconv.AppendInt(b, int64(page), 10)
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(limit), 10)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"totalPages":`...)
	b = strconv.AppendInt(b, int64(totalPages), 10)
	return append(b, '}')
}

// appendTenant appends the wire form of t: the Tenant schema of
// openapi.json.
func appendTenant(b []byte, t *tenant.Tenant) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendString(b, t.ID)
	b = append(b, `,"name":`...)
	b = appendString(b, t.Name)
	b = append(b, `,"subdomain":`...)
	b = appendString(b, t.Subdomain)
	b = append(b, `,"status":`...)
	b = appendString(b, string(t.Status))
	if t.PlanID != "" {
		b = append(b, `,"plan":`...)
		b = appendString(b, tenant.PlanKey(t.PlanID))
		b = append(b, `,"planId":`...)
		b = appendString(b, t.PlanID)
	}
	if t.OwnerID != "" {
		b = append(b, `,"ownerId":`...)
		b = appendString(b, t.OwnerID)
	}
	b = append(b, `,"contact":{"name":`...)
	b = appendString(b, t.Contact.Name)
	b = append(b, `,"email":`...)
	b = appendString(b, t.Contact.Email)
	if t.Contact.Phone != "" {
		b = append(b, `,"phone":`...)
		b = appendString(b, t.Contact.Phone)
	}
	b = append(b, `},"settings":`...)
	b, err := appendSettings(b, &t.Settings)
	if err != nil {
		return b, err
	}
	b = append(b, `,"atomCount":`...)
	b = strconv.AppendInt(b, int64(t.AtomCount), 10)
	b = append(b, `,"userCount":`...)
	b = strconv.AppendInt(b, int64(t.UserCount), 10)
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, t.CreatedAt)
	b = append(b, `,"updatedAt":`...)
	b = appendTime(b, t.UpdatedAt)
	if t.DeletedAt != nil {
		b = append(b, `,"deletedAt":`...)
		b = appendTime(b, *t.DeletedAt)
	}
	return append(b, '}'), nil
}

// appendSettings appends the settings as one flat object, keys sorted as
// encoding/json sorts a map's. The known keys win over free-form keys of
// the same name, as in tenant.Settings.MarshalJSON.
func appendSettings(b []byte, s *tenant.Settings) ([]byte, error) {
	if len(s.Extra) == 0 {
		// Fast path: only the known keys, already in sorted order.
		b = append(b, '{')
		if s.CompanySize != "" {
			b = append(b, `"companySize":`...)
			b = appendString(b, s.CompanySize)
		}
		if s.Industry != "" {
			if s.CompanySize != "" {
				b = append(b, ',')
			}
			b = append(b, `"industry":`...)
			b = appendString(b, s.Industry)
		}
		return append(b, '}'), nil
	}
	keys := make([]string, 0, len(s.Extra)+2)
	for k := range s.Extra {
		if k != "industry" && k != "companySize" {
			keys = append(keys, k)
		}
	}
	if s.Industry != "" {
		keys = append(keys, "industry")
	}
	if s.CompanySize != "" {
		keys = append(keys, "companySize")
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		switch k {
		case "industry":
			b = appendString(b, s.Industry)
		case "companySize":
			b = appendString(b, s.CompanySize)
		default:
			v := s.Extra[k]
			if !json.Valid(v) {
				return b, core.Wrap(errors.New("setting "+strconv.Quote(k)+" holds invalid JSON"), "encoding a tenant")
			}
			b = append(b, v...)
		}
	}
	return append(b, '}'), nil
}

// appendTime appends t in RFC 3339 in UTC, with the fraction of a second
// when it has one.
// It writes what time.RFC3339Nano writes, without its cost.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	}
	hour, minute, sec := t.Clock()
	b = append(b, '"')
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	if ns := t.Nanosecond(); ns != 0 {
		// Nine digits, then trailing zeros dropped, as RFC3339Nano does.
		b = append(b, '.')
		b = appendDigits(b, ns, 9)
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return append(b, 'Z', '"')
}

// appendDigits appends n, 0 <= n < 10^width, zero-padded to width digits.
func appendDigits(b []byte, n, width int) []byte {
	var d [9]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json escapes
// it without HTML escaping: control characters, quote and backslash are
// escaped, invalid UTF-8 becomes U+FFFD, and U+2028 and U+2029 are escaped
// for JavaScript.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
