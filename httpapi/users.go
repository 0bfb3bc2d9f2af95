package httpapi

import (
	"net/http"

	"github.com/atomixplatform/atomix/core"
)

// The endpoints of one user: its password and its TOTP second factor.
// Only the user itself, or the super admin, reaches them (authorize);
// the Platform methods check it again and write the audit log.

// changePassword serves POST /users/{userId}/password: the old password
// and a new one; every session of the user ends, and the answer is 204.
// A wrong old password is 422 naming oldPassword (and counts as a failed
// login).
func (h *handler) changePassword(c *call, r *http.Request) error {
	var in changePasswordRequest
	if err := decode(r, &in, h.ishapes.changePassword); err != nil {
		return err
	}
	if _, err := h.identityService(); err != nil {
		return err
	}
	err := h.p.ChangePassword(r.Context(), r.PathValue("userId"), in.OldPassword, in.NewPassword)
	if core.ErrorCode(err) == core.Unauthenticated {
		// The caller is authenticated: a 401 would tell it that its
		// access token is bad.
		return core.InvalidField("oldPassword", "is not the current password")
	}
	if err != nil {
		return err
	}
	c.WriteHeader(http.StatusNoContent)
	return nil
}

// enrollTOTP serves POST /users/{userId}/totp: a new TOTP secret, its
// otpauth URL and a QR code (a base64 PNG), pending until a first code
// confirms it.
func (h *handler) enrollTOTP(c *call, r *http.Request) error {
	if _, err := h.identityService(); err != nil {
		return err
	}
	en, err := h.p.EnrollTOTP(r.Context(), r.PathValue("userId"))
	if err != nil {
		return err
	}
	noStore(c)
	return h.writeBody(c, http.StatusOK, en)
}

// recoveryCodesBody answers POST /users/{userId}/totp/verify.
type recoveryCodesBody struct {
	RecoveryCodes []string `json:"recoveryCodes"`
}

// verifyTOTP serves POST /users/{userId}/totp/verify: a first code turns
// TOTP on, and the answer holds the one-time recovery codes, shown once.
func (h *handler) verifyTOTP(c *call, r *http.Request) error {
	var in verifyTOTPRequest
	if err := decode(r, &in, h.ishapes.verifyTOTP); err != nil {
		return err
	}
	if _, err := h.identityService(); err != nil {
		return err
	}
	codes, err := h.p.ConfirmTOTP(r.Context(), r.PathValue("userId"), in.Code)
	if core.ErrorCode(err) == core.TOTPInvalid {
		// As for a wrong old password: not a 401 to an authenticated
		// caller.
		return core.InvalidField("code", "is not a valid code of the authenticator")
	}
	if err != nil {
		return err
	}
	noStore(c)
	return h.writeBody(c, http.StatusOK, recoveryCodesBody{RecoveryCodes: codes})
}
