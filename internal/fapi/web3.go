package fapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/signin"
)

// web3SignUpVerification is verifications.web3_wallet of a sign-up: the
// message to sign while the challenge is open.
func web3SignUpVerification(v signin.SignUpView) *verificationJSON {
	su := v.SignUp
	if su.Web3Wallet == nil {
		return nil
	}
	if su.Web3WalletVerifiedAt != nil {
		out := verificationOf(v.Web3Verification)
		if out == nil {
			out = &verificationJSON{Object: "verification"}
		}
		out.Status, out.Nonce = "verified", ""
		return out
	}
	if v.Web3Verification == nil {
		return &verificationJSON{Object: "verification", Status: "unverified", Strategy: "web3_metamask_signature",
			NextStep: "needs_prepare"}
	}
	out := verificationOf(v.Web3Verification)
	out.Nonce = v.Web3Nonce
	if out.Status == "unverified" {
		out.NextStep = "needs_attempt"
	}
	return out
}

// web3Routes are the signed-in user's wallets under /v1/me.
func (a *API) web3Routes(r chi.Router) {
	h := httpx.Adapt
	r.Get("/me/web3_wallets", h(a.listMyWallets))
	r.Get("/me/web3_wallets/{id}", h(a.getMyWallet))
	r.Delete("/me/web3_wallets/{id}", h(a.deleteMyWallet))
}

func (a *API) listMyWallets(w http.ResponseWriter, r *http.Request) error {
	u, err := a.meUser(r)
	if err != nil {
		return err
	}
	out := []present.Web3Wallet{}
	for _, i := range u.Identifications {
		if i.Type == identity.KindWallet {
			out = append(out, present.Web3WalletOf(i))
		}
	}
	return a.writeResponse(w, r, out)
}

func (a *API) getMyWallet(w http.ResponseWriter, r *http.Request) error {
	u, err := a.meUser(r)
	if err != nil {
		return err
	}
	for _, i := range u.Identifications {
		if i.Type == identity.KindWallet && i.ID == chi.URLParam(r, "id") {
			return a.writeResponse(w, r, present.Web3WalletOf(i))
		}
	}
	return apperr.NotFound()
}

func (a *API) deleteMyWallet(w http.ResponseWriter, r *http.Request) error {
	u, err := a.meUser(r)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	if err := a.Users.DeleteWeb3Wallet(r.Context(), u.ID, id); err != nil {
		return err
	}
	return a.writeResponse(w, r, present.DeletedOf("web3_wallet", id))
}

// addWeb3Settings adds user_settings.attributes.web3_wallet: the enabled
// wallet strategies, each a first factor and a sign-up verification.
func (a *API) addWeb3Settings(userSettings map[string]any) {
	attrs, ok := userSettings["attributes"].(map[string]any)
	if !ok {
		return
	}
	strategies := append([]string{}, a.Config.Auth.Web3.Strategies...)
	on := len(strategies) > 0
	attrs["web3_wallet"] = map[string]any{"enabled": on, "required": false, "used_for_first_factor": on,
		"first_factors": strategies, "verifications": strategies, "verify_at_sign_up": on}
}
