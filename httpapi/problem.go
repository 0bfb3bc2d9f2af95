package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/atomixplatform/atomix/atom"
	"github.com/atomixplatform/atomix/core"
)

// Codes of the HTTP layer. They appear in the "code" member of a problem, as
// the core codes do, and never change meaning.
const (
	// CodeMalformedJSON: the body is empty, is not JSON, or has data after
	// the JSON object. Status 400.
	CodeMalformedJSON core.Code = "malformed_json"
	// CodeInvalidType: a JSON value has the wrong type; the problem's errors
	// name the field. Status 400.
	CodeInvalidType core.Code = "invalid_type"
	// CodeUnknownField: the body holds a field the operation does not know
	// (names match exactly, case included); errors name it. Status 400.
	CodeUnknownField core.Code = "unknown_field"
	// CodeDuplicateField: a JSON object repeats a field; errors name it.
	// Status 400.
	CodeDuplicateField core.Code = "duplicate_field"
	// CodeBodyTooLarge: the body is over MaxBodyBytes. Status 413.
	CodeBodyTooLarge core.Code = "body_too_large"
	// CodeUnsupportedMediaType: the body is not application/json. Status 415.
	CodeUnsupportedMediaType core.Code = "unsupported_media_type"
	// CodeMethodNotAllowed: the path exists but not with this method; the
	// Allow header lists the methods it has. Status 405.
	CodeMethodNotAllowed core.Code = "method_not_allowed"
)

// statuses is the one map from codes to HTTP statuses: the codes of this
// package and the general core codes. A specific core code not listed here
// takes the status of its class (core.Code.Class); an unknown code is 500.
var statuses = map[core.Code]int{
	CodeMalformedJSON:        http.StatusBadRequest,
	CodeInvalidType:          http.StatusBadRequest,
	CodeUnknownField:         http.StatusBadRequest,
	CodeDuplicateField:       http.StatusBadRequest,
	CodeBodyTooLarge:         http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,

	core.Invalid:         http.StatusUnprocessableEntity,
	core.NotFound:        http.StatusNotFound,
	core.Conflict:        http.StatusConflict,
	core.Unauthenticated: http.StatusUnauthorized,
	core.Forbidden:       http.StatusForbidden,
	core.LimitExceeded:   http.StatusConflict,
	core.RateLimited:     http.StatusTooManyRequests,
	core.Unavailable:     http.StatusServiceUnavailable,
	core.Internal:        http.StatusInternalServerError,
}

// Status returns the HTTP status of an error code: its own entry in the
// package's map, else its class's (core.Code.Class), else 500.
func Status(code core.Code) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	if s, ok := statuses[code.Class()]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ProblemTypePrefix starts the "type" URI of every problem; the code
// follows it, as in "urn:atomix:problem:subdomain_taken".
const ProblemTypePrefix = "urn:atomix:problem:"

// problem is an RFC 9457 problem details object with the atomix extension
// members code, requestId and errors.
type problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail"`
	Code      core.Code         `json:"code"`
	Instance  string            `json:"instance,omitempty"`
	RequestID string            `json:"requestId,omitempty"`
	Errors    []core.FieldError `json:"errors,omitempty"`
	// Dependents lists, for atom_has_dependents, each installed atom
	// depending on the one to uninstall, with its chain of needs.
	Dependents []atom.Dependent `json:"dependents,omitempty"`
	// Limit gives, for plan_limit_exceeded, what is needed, allowed and
	// used.
	Limit *problemLimit `json:"limit,omitempty"`
}

// writeError answers err as a problem. It is the one error writer of the
// package: an error that is not an *core.Error, or whose code maps to 500,
// is logged with its cause and shown only as "internal error".
func (h *handler) writeError(c *call, r *http.Request, err error) {
	var ce *core.Error
	if !errors.As(err, &ce) || Status(ce.Code) == http.StatusInternalServerError {
		h.log.LogAttrs(r.Context(), failureLevel(err), "internal error",
			slog.String("requestId", c.requestID),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("error", err.Error()),
		)
		ce = &core.Error{Code: core.Internal, Message: "internal error"}
	}
	h.writeProblem(c, r, ce)
}

// writeProblem writes e as a problem; e must be safe to show.
func (h *handler) writeProblem(c *call, r *http.Request, e *core.Error) {
	status := Status(e.Code)
	pb := problem{
		Type:      ProblemTypePrefix + string(e.Code),
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    e.Message,
		Code:      e.Code,
		Instance:  r.URL.Path,
		RequestID: c.requestID,
		Errors:    e.Fields,
	}
	if pb.Detail == "" {
		pb.Detail = pb.Title
	}
	atomProblem(&pb, e)
	// Not HTML-escaped: details quote constraints and chains (">=1.3.0",
	// "a -> b").
	body, err := marshalNoEscape(pb)
	if err != nil { // unreachable: every member is a plain value
		body = []byte(`{"type":"urn:atomix:problem:internal","title":"Internal Server Error","status":500,"detail":"internal error","code":"internal"}`)
		status = http.StatusInternalServerError
	}
	hd := c.Header()
	if status == http.StatusUnauthorized {
		hd.Set("WWW-Authenticate", `Bearer realm="atomix"`)
	}
	if status == http.StatusTooManyRequests {
		hd.Set("Retry-After", retryAfter(e)) // auth_endpoints.go
	}
	hd.Set("Content-Type", "application/problem+json")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "no-store")
	c.WriteHeader(status)
	_, _ = c.Write(body)
}

// failureLevel is the log level of a failure: Warn when the client went
// away (its request's context was canceled), else Error.
func failureLevel(err error) slog.Level {
	if errors.Is(err, context.Canceled) {
		return slog.LevelWarn
	}
	return slog.LevelError
}
