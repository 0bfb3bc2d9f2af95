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
	Unavailable     Code = "unavailable"     // a service the request needs is not configured or not answering
	Internal        Code = "internal"        // a fault inside atomix or its store; never shown in detail
)

// Specific codes, for cases a caller must tell apart. Each has a Class.
const (
	SubdomainTaken    Code = "subdomain_taken"    // class Conflict
	InvalidTransition Code = "invalid_transition" // class Conflict
	TenantDeleted     Code = "tenant_deleted"     // class Conflict
	// TenantNotActive: a suspended or cancelled tenant cannot install or
	// upgrade atoms. Class Conflict.
	TenantNotActive Code = "tenant_not_active"
)

// Specific codes of the atom marketplace (package atom). Each has a Class.
const (
	AtomNotFound                Code = "atom_not_found"                // class NotFound: no atom with that id in the catalog
	AtomVersionNotFound         Code = "atom_version_not_found"        // class NotFound: no such version, or none matching the asked constraint
	AtomInvalid                 Code = "atom_invalid"                  // class Invalid: a catalog entry is malformed; Fields name each field
	AtomConstraintInvalid       Code = "atom_constraint_invalid"       // class Invalid: a version constraint does not parse
	AtomDuplicate               Code = "atom_duplicate"                // class Conflict: the same atom id and version published twice
	AtomDependencyUnknown       Code = "atom_dependency_unknown"       // class Invalid: a dependency names an atom not in the catalog
	AtomConstraintUnsatisfiable Code = "atom_constraint_unsatisfiable" // class Invalid: a dependency constraint matches no catalog version
	AtomDependencyCycle         Code = "atom_dependency_cycle"         // class Invalid: atoms depend on each other in a cycle
	AtomConfigInvalid           Code = "atom_config_invalid"           // class Invalid: a config fails the atom's JSON Schema; Fields hold JSON pointers
	AtomDependencyConflict      Code = "atom_dependency_conflict"      // class Conflict: no set of versions satisfies every constraint
	AtomHasDependents           Code = "atom_has_dependents"           // class Conflict: installed atoms still depend on the atom
	AtomBuiltin                 Code = "atom_builtin"                  // class Conflict: built-in atoms are never installed, upgraded or removed by hand
	AtomNotInstalled            Code = "atom_not_installed"            // class NotFound: the tenant has no installation of the atom
	AtomAlreadyInstalled        Code = "atom_already_installed"        // class Conflict: installed at a version the request does not allow
	AtomDowngrade               Code = "atom_downgrade"                // class Conflict: the request would move an atom to an older version
	PlanLimitExceeded           Code = "plan_limit_exceeded"           // class LimitExceeded: a plan limit (maxAtoms, maxUsers) would be passed
)

// Specific codes of identity (package identity). Each has a Class.
const (
	EmailTaken         Code = "email_taken"          // class Conflict: another user of the same tenant (or another user without a tenant) has the email
	TOTPRequired       Code = "totp_required"        // class Unauthenticated: the password was right; a TOTP or recovery code is needed too
	TOTPInvalid        Code = "totp_invalid"         // class Unauthenticated: the TOTP or recovery code is wrong, used or replayed
	TOTPAlreadyEnabled Code = "totp_already_enabled" // class Conflict: the user confirmed TOTP already
)

// Specific codes of phone OTP login (package identity). Each has a Class.
const (
	OTPInvalid          Code = "otp_invalid"           // class Unauthenticated: the code is wrong, or the request is unknown
	OTPExpired          Code = "otp_expired"           // class Unauthenticated: the challenge's lifetime ended
	OTPUsed             Code = "otp_used"              // class Unauthenticated: the challenge's code was used already
	OTPAttemptsExceeded Code = "otp_attempts_exceeded" // class Unauthenticated: the challenge took its last wrong code; ask for a new one
)

// Specific codes of the reseller chain (package reseller). Each has a Class.
const (
	CountryInvalid         Code = "country_invalid"          // class Invalid: a country is not an ISO 3166-1 alpha-2 code; Fields name every bad field
	DistributorUnknown     Code = "distributor_unknown"      // class Invalid: a partner names a distributor that does not exist or is deleted
	DistributorSuspended   Code = "distributor_suspended"    // class Conflict: a partner cannot be placed under a suspended distributor
	OwnerUnknown           Code = "owner_unknown"            // class Invalid: a tenant's owner names no distributor or partner, or a deleted one
	OwnerSuspended         Code = "owner_suspended"          // class Conflict: a suspended reseller (or a partner under a suspended distributor) cannot take tenants
	OwnerUnchanged         Code = "owner_unchanged"          // class Conflict: a move to the owner the tenant already has
	OwnershipBeforeTenant  Code = "ownership_before_tenant"  // class Conflict: a move dated before the tenant existed
	OwnershipOverlap       Code = "ownership_overlap"        // class Conflict: a move dated at or before the tenant's latest move
	ResellerDeleted        Code = "reseller_deleted"         // class Conflict: the distributor or partner is deleted
	ResellerHasTenants     Code = "reseller_has_tenants"     // class Conflict: a reseller that still owns tenants cannot be deleted; the message says how many
	DistributorHasPartners Code = "distributor_has_partners" // class Conflict: a distributor with partners cannot be deleted; the message says how many
)

// Specific codes of money and billing (packages money and billing). Each
// has a Class.
const (
	CurrencyUnknown  Code = "currency_unknown"  // class Invalid: a currency code not in atomix's ISO 4217 table
	CurrencyMismatch Code = "currency_mismatch" // class Invalid: amounts of two currencies combined
	AmountOverflow   Code = "amount_overflow"   // class Invalid: a result outside int64 minor units, or an inexact decimal
	AmountInvalid    Code = "amount_invalid"    // class Invalid: an amount or decimal string that does not parse, or bad allocation ratios
	PriceInvalid     Code = "price_invalid"     // class Invalid: a price or its tiers are malformed; Fields name each field
	CycleInvalid     Code = "cycle_invalid"     // class Invalid: a billing cycle's interval or anchor is malformed

	PlanUnknown       Code = "plan_unknown"       // class Invalid: a planId names no plan, or an archived one where an active plan is needed
	PlanInUse         Code = "plan_in_use"        // class Conflict: a plan some tenant or subscription uses cannot be deleted, only archived
	PlanArchived      Code = "plan_archived"      // class Conflict: an archived plan takes no new subscriptions
	SKUDuplicate      Code = "sku_duplicate"      // class Conflict: a SKU code is taken
	MetricConflict    Code = "metric_conflict"    // class Conflict: a metric is already aggregated another way by another SKU
	SubscriptionEnded Code = "subscription_ended" // class Conflict: the subscription is cancelled or expired
	PeriodClosed      Code = "period_closed"      // class Conflict: usage for a period whose grace window ended (its invoice may be final)
	PeriodNotEnded    Code = "period_not_ended"   // class Conflict: a billing run for a month whose periods can still take usage
	InvoiceFinalized  Code = "invoice_finalized"  // class Conflict: an open, paid, void or uncollectible invoice is immutable
	DowngradeBlocked  Code = "downgrade_blocked"  // class LimitExceeded: current usage does not fit the new plan's limits; the message names each
)

// Specific codes of commissions (package commission). Each has a Class.
const (
	CommissionRatesExceed Code = "commission_rates_exceed" // class Invalid: the partner's and its distributor's rates could add to more than 100%
	CommissionOverlap     Code = "commission_overlap"      // class Conflict: a commission plan already has a version from that month
	CommissionPastPeriod  Code = "commission_past_period"  // class Invalid: a rate version may not start in a month already over
	PeriodInFuture        Code = "period_in_future"        // class Invalid: a commission period that has not ended yet
	StatementClosed       Code = "statement_closed"        // class Conflict: a closed commission statement never changes (closing it again included)
)

// classes maps each specific code to its general class. It is read-only.
var classes = map[Code]Code{
	SubdomainTaken:    Conflict,
	InvalidTransition: Conflict,
	TenantDeleted:     Conflict,
	TenantNotActive:   Conflict,

	AtomNotFound:                NotFound,
	AtomVersionNotFound:         NotFound,
	AtomInvalid:                 Invalid,
	AtomConstraintInvalid:       Invalid,
	AtomDuplicate:               Conflict,
	AtomDependencyUnknown:       Invalid,
	AtomConstraintUnsatisfiable: Invalid,
	AtomDependencyCycle:         Invalid,
	AtomConfigInvalid:           Invalid,
	AtomDependencyConflict:      Conflict,
	AtomHasDependents:           Conflict,
	AtomBuiltin:                 Conflict,
	AtomNotInstalled:            NotFound,
	AtomAlreadyInstalled:        Conflict,
	AtomDowngrade:               Conflict,
	PlanLimitExceeded:           LimitExceeded,

	EmailTaken:         Conflict,
	TOTPRequired:       Unauthenticated,
	TOTPInvalid:        Unauthenticated,
	TOTPAlreadyEnabled: Conflict,

	OTPInvalid:          Unauthenticated,
	OTPExpired:          Unauthenticated,
	OTPUsed:             Unauthenticated,
	OTPAttemptsExceeded: Unauthenticated,

	CountryInvalid:         Invalid,
	DistributorUnknown:     Invalid,
	DistributorSuspended:   Conflict,
	OwnerUnknown:           Invalid,
	OwnerSuspended:         Conflict,
	OwnerUnchanged:         Conflict,
	OwnershipBeforeTenant:  Conflict,
	OwnershipOverlap:       Conflict,
	ResellerDeleted:        Conflict,
	ResellerHasTenants:     Conflict,
	DistributorHasPartners: Conflict,

	CurrencyUnknown:  Invalid,
	CurrencyMismatch: Invalid,
	AmountOverflow:   Invalid,
	AmountInvalid:    Invalid,
	PriceInvalid:     Invalid,
	CycleInvalid:     Invalid,

	PlanUnknown:       Invalid,
	PlanInUse:         Conflict,
	PlanArchived:      Conflict,
	SKUDuplicate:      Conflict,
	MetricConflict:    Conflict,
	SubscriptionEnded: Conflict,
	PeriodClosed:      Conflict,
	PeriodNotEnded:    Conflict,
	InvoiceFinalized:  Conflict,
	DowngradeBlocked:  LimitExceeded,

	CommissionRatesExceed: Invalid,
	CommissionOverlap:     Conflict,
	CommissionPastPeriod:  Invalid,
	PeriodInFuture:        Invalid,
	StatementClosed:       Conflict,
}

// Class returns the general code a code belongs to: the code itself for a
// general code, its class for a specific one, and Internal for a code atomix
// does not know.
func (c Code) Class() Code {
	switch c {
	case Invalid, NotFound, Conflict, Unauthenticated, Forbidden, LimitExceeded, RateLimited, Unavailable, Internal:
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
