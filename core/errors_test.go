package core_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/atomixplatform/atomix/core"
	"github.com/google/go-cmp/cmp"
)

func TestErrorFormatting(t *testing.T) {
	cause := errors.New("disk full")
	tests := []struct {
		name string
		err  *core.Error
		want string
	}{
		{"code only", &core.Error{Code: core.NotFound}, "not_found"},
		{"code and message", &core.Error{Code: core.NotFound, Message: `tenant "tn_x" not found`}, `not_found: tenant "tn_x" not found`},
		{
			"one field",
			&core.Error{Code: core.Invalid, Message: "name is required", Fields: []core.FieldError{{Field: "name", Message: "is required"}}},
			"invalid: name is required (name: is required)",
		},
		{
			"two fields",
			&core.Error{Code: core.Invalid, Message: "the request is invalid", Fields: []core.FieldError{
				{Field: "name", Message: "is required"},
				{Field: "contact.email", Message: "must be a valid email address"},
			}},
			"invalid: the request is invalid (name: is required; contact.email: must be a valid email address)",
		},
		{"cause", &core.Error{Code: core.Internal, Message: "saving tenant", Err: cause}, "internal: saving tenant: disk full"},
		{"cause without message", &core.Error{Code: core.Internal, Err: cause}, "internal: disk full"},
		{
			"fields and cause",
			&core.Error{Code: core.Invalid, Message: "m", Fields: []core.FieldError{{Field: "f", Message: "bad"}}, Err: cause},
			"invalid: m (f: bad): disk full",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCodeClass(t *testing.T) {
	tests := []struct {
		code core.Code
		want core.Code
	}{
		{core.Invalid, core.Invalid},
		{core.NotFound, core.NotFound},
		{core.Conflict, core.Conflict},
		{core.Unauthenticated, core.Unauthenticated},
		{core.Forbidden, core.Forbidden},
		{core.LimitExceeded, core.LimitExceeded},
		{core.RateLimited, core.RateLimited},
		{core.Unavailable, core.Unavailable},
		{core.Internal, core.Internal},
		{core.SubdomainTaken, core.Conflict},
		{core.InvalidTransition, core.Conflict},
		{core.TenantDeleted, core.Conflict},
		{core.TenantNotActive, core.Conflict},
		{core.CountryInvalid, core.Invalid},
		{core.DistributorUnknown, core.Invalid},
		{core.DistributorSuspended, core.Conflict},
		{core.OwnerUnknown, core.Invalid},
		{core.OwnerSuspended, core.Conflict},
		{core.OwnerUnchanged, core.Conflict},
		{core.OwnershipBeforeTenant, core.Conflict},
		{core.OwnershipOverlap, core.Conflict},
		{core.ResellerDeleted, core.Conflict},
		{core.ResellerHasTenants, core.Conflict},
		{core.DistributorHasPartners, core.Conflict},
		{core.Code("no_such_code"), core.Internal},
		{core.Code(""), core.Internal},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			if got := tt.code.Class(); got != tt.want {
				t.Errorf("Code(%q).Class() = %q, want %q", tt.code, got, tt.want)
			}
		})
	}
}

func TestCodeStrings(t *testing.T) {
	// Codes are wire contract: their text must never change.
	tests := []struct {
		code core.Code
		want string
	}{
		{core.Invalid, "invalid"},
		{core.NotFound, "not_found"},
		{core.Conflict, "conflict"},
		{core.Unauthenticated, "unauthenticated"},
		{core.Forbidden, "forbidden"},
		{core.LimitExceeded, "limit_exceeded"},
		{core.RateLimited, "rate_limited"},
		{core.Unavailable, "unavailable"},
		{core.Internal, "internal"},
		{core.SubdomainTaken, "subdomain_taken"},
		{core.InvalidTransition, "invalid_transition"},
		{core.TenantDeleted, "tenant_deleted"},
		{core.TenantNotActive, "tenant_not_active"},
		{core.CountryInvalid, "country_invalid"},
		{core.DistributorUnknown, "distributor_unknown"},
		{core.DistributorSuspended, "distributor_suspended"},
		{core.OwnerUnknown, "owner_unknown"},
		{core.OwnerSuspended, "owner_suspended"},
		{core.OwnerUnchanged, "owner_unchanged"},
		{core.OwnershipBeforeTenant, "ownership_before_tenant"},
		{core.OwnershipOverlap, "ownership_overlap"},
		{core.ResellerDeleted, "reseller_deleted"},
		{core.ResellerHasTenants, "reseller_has_tenants"},
		{core.DistributorHasPartners, "distributor_has_partners"},
	}
	for _, tt := range tests {
		if got := string(tt.code); got != tt.want {
			t.Errorf("code text: got %q, want %q", got, tt.want)
		}
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	secret := errors.New("password=hunter2 at 10.0.0.1")
	notFound := core.Errorf(core.NotFound, "tenant %q not found", "tn_x")
	tests := []struct {
		name     string
		err      error
		wantCode core.Code
		wantMsg  string
	}{
		{"nil", nil, "", "internal error"},
		{"plain error", secret, core.Internal, "internal error"},
		{"not found", notFound, core.NotFound, `tenant "tn_x" not found`},
		{"wrapped once", fmt.Errorf("get: %w", notFound), core.NotFound, `tenant "tn_x" not found`},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", notFound)), core.NotFound, `tenant "tn_x" not found`},
		{"specific code", core.Errorf(core.SubdomainTaken, "subdomain %q is taken", "acme"), core.SubdomainTaken, `subdomain "acme" is taken`},
		{"internal with cause", core.Wrap(secret, "loading tenant"), core.Internal, "internal error"},
		{"internal wrapped", fmt.Errorf("x: %w", core.Wrap(secret, "loading tenant")), core.Internal, "internal error"},
		{"unknown code", &core.Error{Code: "weird", Message: "do not show", Err: secret}, "weird", "internal error"},
		{"conflict with cause", &core.Error{Code: core.Conflict, Message: "busy", Err: secret}, core.Conflict, "busy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := core.ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", got, tt.wantCode)
			}
			got := core.ErrorMessage(tt.err)
			if got != tt.wantMsg {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.wantMsg)
			}
			if strings.Contains(got, "hunter2") {
				t.Errorf("ErrorMessage = %q leaks the cause", got)
			}
		})
	}
}

func TestErrorsAsThroughWrapping(t *testing.T) {
	cause := errors.New("connection reset")
	inner := &core.Error{Code: core.Internal, Message: "listing tenants", Err: cause}
	wrapped := fmt.Errorf("outer: %w", fmt.Errorf("middle: %w", inner))

	var got *core.Error
	if !errors.As(wrapped, &got) {
		t.Fatalf("errors.As found no *core.Error in %v", wrapped)
	}
	if got != inner {
		t.Errorf("errors.As: got %p, want the inner error %p", got, inner)
	}
	if !errors.Is(wrapped, cause) {
		t.Errorf("errors.Is(wrapped, cause) = false, want true")
	}
	if u := inner.Unwrap(); u != cause {
		t.Errorf("Unwrap() = %v, want %v", u, cause)
	}
	if u := (&core.Error{Code: core.NotFound}).Unwrap(); u != nil {
		t.Errorf("Unwrap() without cause = %v, want nil", u)
	}
}

func TestWrap(t *testing.T) {
	if got := core.Wrap(nil, "x"); got != nil {
		t.Errorf("Wrap(nil) = %v, want nil", got)
	}

	ce := core.Errorf(core.NotFound, "nope")
	chained := fmt.Errorf("ctx: %w", ce)
	for _, in := range []error{ce, chained} {
		if got := core.Wrap(in, "doing"); got != in {
			t.Errorf("Wrap(%v) = %v, want the same error unchanged", in, got)
		}
	}

	cause := errors.New("boom")
	err := core.Wrap(cause, "saving tenant")
	var e *core.Error
	if !errors.As(err, &e) {
		t.Fatalf("Wrap(plain) = %T, want *core.Error", err)
	}
	if e.Code != core.Internal || e.Message != "saving tenant" || e.Err != cause {
		t.Errorf("Wrap(plain) = {%q %q %v}, want {internal \"saving tenant\" boom}", e.Code, e.Message, e.Err)
	}
}

func TestErrorf(t *testing.T) {
	e := core.Errorf(core.Forbidden, "user %s may not %s", "usr_1", "delete")
	if e.Code != core.Forbidden || e.Message != "user usr_1 may not delete" || e.Fields != nil || e.Err != nil {
		t.Errorf("Errorf = %+v, want Forbidden with the formatted message only", e)
	}
}

func TestFieldsErr(t *testing.T) {
	tests := []struct {
		name    string
		add     [][2]string
		wantNil bool
		wantMsg string
	}{
		{name: "none", wantNil: true},
		{name: "one", add: [][2]string{{"name", "is required"}}, wantMsg: "name is required"},
		{
			name:    "two",
			add:     [][2]string{{"name", "is required"}, {"contact.email", "must be a valid email address"}},
			wantMsg: "the request is invalid",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f core.Fields
			var want []core.FieldError
			for _, a := range tt.add {
				f.Add(a[0], "%s", a[1])
				want = append(want, core.FieldError{Field: a[0], Message: a[1]})
			}
			err := f.Err()
			if tt.wantNil {
				if err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
				return
			}
			var e *core.Error
			if !errors.As(err, &e) {
				t.Fatalf("Err() = %T, want *core.Error", err)
			}
			if e.Code != core.Invalid {
				t.Errorf("code: got %q, want %q", e.Code, core.Invalid)
			}
			if e.Message != tt.wantMsg {
				t.Errorf("message: got %q, want %q", e.Message, tt.wantMsg)
			}
			if diff := cmp.Diff(want, e.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFieldsAddFormats(t *testing.T) {
	var f core.Fields
	f.Add("limit", "must be between 1 and %d", 100)
	want := core.Fields{{Field: "limit", Message: "must be between 1 and 100"}}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("Add (-want +got):\n%s", diff)
	}
}

func TestInvalidField(t *testing.T) {
	err := core.InvalidField("status", "must be one of %s", "trial, active")
	var e *core.Error
	if !errors.As(err, &e) {
		t.Fatalf("InvalidField = %T, want *core.Error", err)
	}
	want := []core.FieldError{{Field: "status", Message: "must be one of trial, active"}}
	if e.Code != core.Invalid {
		t.Errorf("code: got %q, want %q", e.Code, core.Invalid)
	}
	if diff := cmp.Diff(want, e.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if e.Message != "status must be one of trial, active" {
		t.Errorf("message: got %q, want %q", e.Message, "status must be one of trial, active")
	}
}
