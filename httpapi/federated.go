package httpapi

import (
	"net/http"
	"reflect"

	"github.com/atomixplatform/atomix/identity"
)

// federatedRequest is the body of POST /auth/federated.
type federatedRequest struct {
	Provider string `json:"provider"`
	IDToken  string `json:"idToken"`
	Nonce    string `json:"nonce"`
	TenantID string `json:"tenantId"`
}

// federatedShape is the key shape of POST /auth/federated; built once,
// read only.
var federatedShape = shapeOf(reflect.TypeFor[federatedRequest]())

// federatedLogin serves POST /auth/federated: an ID token of Google or
// Microsoft Entra ID signs in the user it is linked to (identity/federated.go).
func (h *handler) federatedLogin(c *call, r *http.Request) error {
	var in federatedRequest
	if err := decode(r, &in, federatedShape); err != nil {
		return err
	}
	svc, err := h.identityService()
	if err != nil {
		return err
	}
	tr, err := svc.FederatedLogin(r.Context(), identity.FederatedInput{
		Provider: identity.FederatedProvider(in.Provider), IDToken: in.IDToken, Nonce: in.Nonce, TenantID: in.TenantID,
	})
	if err != nil {
		return err
	}
	return h.writeTokens(c, &tr)
}
