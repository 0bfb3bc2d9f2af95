package core

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a stable, machine-readable error code. Codes are part of the public
// contract: they appear in Go errors and in the "code" member of the HTTP
// problem details, and they never change meaning once released.
type Code string

// General codes. Every error carries one of these, or a specific code whose
// Class is one of these.
const (
	Invalid         Code = "invalid"         // the input is malformed; Fields says which
	NotFound        Code = "not_found"       // the resource does not exist (or is outside the caller's scope)
	Conflict        Code = "conflict"        // the request conflicts with the current state
	Unauthenticated Code = "unauthenticated" // no credentials, or credentials that do not verify
	Forbidden       Code = "forbidden"       // authenticated, but not allowed
	LimitExceeded   Code = "limit_exceeded"  // a plan or quota limit would be passed
	RateLimited     Code = "rate_limited"    // too many requests; retry later
	Internal        Code = "internal"        // a fault inside atomix or its store; never shown in detail
)

// Specific codes, for cases a caller must tell apart. Each has a Class.
const (
	SubdomainTaken    Code = "subdomain_taken"    // class Conflict
	InvalidTransition Code = "invalid_transition" // class Conflict
	TenantDeleted     Code = "tenant_deleted"     // class Conflict
)

// classes maps each specific code to its general class. It is read-only.
var classes = map[Code]Code{
	SubdomainTaken:    Conflict,
	InvalidTransition: Conflict,
	TenantDeleted:     Conflict,
}

// Class returns the general code a code belongs to: the code itself for a
// general code, its class for a specific one, and Internal for a code atomix
// does not know.
func (c Code) Class() Code {
	switch c {
	case Invalid, NotFound, Conflict, Unauthenticated, Forbidden, LimitExceeded, RateLimited, Internal:
		return c
	}
	if k, ok := classes[c]; ok {
		return k
	}
	return Internal
}

// FieldError names one invalid input field. Field is a dotted path in the
// wire (JSON) naming, such as "contact.email".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type of atomix. Read it with errors.As, or use
// ErrorCode and ErrorMessage.
type Error struct {
	// Code is the stable machine code.
	Code Code
	// Message is a human-readable sentence, safe to show to the caller.
	Message string
	// Fields lists the invalid fields of an Invalid error.
	Fields []FieldError
	// Err is the underlying cause, for logs only; it is never shown to a
	// caller.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
		if i == len(e.Fields)-1 {
			b.WriteString(")")
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an Internal error whose cause is err. The message says what
// was being done; the cause is kept for logs. A nil err gives nil. An err that
// already is an *Error is returned as it is.
func Wrap(err error, doing string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: Internal, Message: doing, Err: err}
}

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, "" for nil, and Internal for any other error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the human message of err, or "internal error" when
// err is not an *Error or is an Internal one, so causes never leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code.Class() != Internal {
		return e.Message
	}
	return "internal error"
}

// Fields collects field errors while validating input. The zero value is
// ready to use.
type Fields []FieldError

// Add records that field is invalid.
func (f *Fields) Add(field, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns an Invalid error holding the collected fields, or nil when
// there are none.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	msg := "the request is invalid"
	if len(f) == 1 {
		msg = f[0].Field + " " + f[0].Message
	}
	return &Error{Code: Invalid, Message: msg, Fields: f}
}

// InvalidField returns an Invalid error for a single field.
func InvalidField(field, format string, args ...any) error {
	var f Fields
	f.Add(field, format, args...)
	return f.Err()
}
