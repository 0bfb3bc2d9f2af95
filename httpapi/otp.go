package httpapi

import (
	"net/http"
	"reflect"

	"github.com/atomixplatform/atomix/identity"
)

// Phone OTP login (seed 000's K-001): POST /auth/otp/send and POST
// /auth/otp/verify, both public. The identity service does the work and
// keeps every limit in the store (identity/otp.go).

// otpSendRequest is the body of POST /auth/otp/send.
type otpSendRequest struct {
	Phone    string `json:"phone"`
	TenantID string `json:"tenantId"`
}

// otpVerifyRequest is the body of POST /auth/otp/verify.
type otpVerifyRequest struct {
	RequestID string `json:"requestId"`
	Code      string `json:"code"`
}

// The key shapes of the OTP request bodies; built once, read only.
var (
	otpSendShape   = shapeOf(reflect.TypeFor[otpSendRequest]())
	otpVerifyShape = shapeOf(reflect.TypeFor[otpVerifyRequest]())
)

// sendOTP serves POST /auth/otp/send: 200 with the challenge, the same for
// a phone without a user as for a known one.
func (h *handler) sendOTP(c *call, r *http.Request) error {
	var in otpSendRequest
	if err := decode(r, &in, otpSendShape); err != nil {
		return err
	}
	svc, err := h.identityService()
	if err != nil {
		return err
	}
	out, err := svc.SendOTP(r.Context(), identity.SendOTPInput{Phone: in.Phone, TenantID: in.TenantID})
	if err != nil {
		return err
	}
	noStore(c)
	return h.writeBody(c, http.StatusOK, &out)
}

// verifyOTP serves POST /auth/otp/verify: the token response.
func (h *handler) verifyOTP(c *call, r *http.Request) error {
	var in otpVerifyRequest
	if err := decode(r, &in, otpVerifyShape); err != nil {
		return err
	}
	svc, err := h.identityService()
	if err != nil {
		return err
	}
	tr, err := svc.VerifyOTP(r.Context(), identity.VerifyOTPInput{RequestID: in.RequestID, Code: in.Code})
	if err != nil {
		return err
	}
	return h.writeTokens(c, &tr)
}
