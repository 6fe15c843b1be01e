package fapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/httpx"
	"github.com/latchkey/latchkey/internal/present"
	"github.com/latchkey/latchkey/internal/signin"
	"github.com/latchkey/latchkey/internal/store"
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

// web3Routes are the signed-in user's wallets under /v1/me: list, read,
// add one (unverified) and prove it with a signature, remove.
func (a *API) web3Routes(r chi.Router) {
	h := httpx.Adapt
	r.Get("/me/web3_wallets", h(a.listMyWallets))
	r.Post("/me/web3_wallets", h(a.addMyWallet))
	r.Get("/me/web3_wallets/{id}", h(a.getMyWallet))
	r.Delete("/me/web3_wallets/{id}", h(a.deleteMyWallet))
	r.Post("/me/web3_wallets/{id}/prepare_verification", h(a.prepareMyWallet))
	r.Post("/me/web3_wallets/{id}/attempt_verification", h(a.attemptMyWallet))
}

// walletJSON is Clerk's web3_wallet object; an added wallet not yet proven
// shows its challenge (the message to sign) as its verification once
// prepare_verification issued one, and none before.
func (a *API) walletJSON(r *http.Request, idn store.Identification) present.Web3Wallet {
	out := present.Web3WalletOf(idn)
	if ver, msg := a.Engine.PendingWeb3Verification(r.Context(), idn); ver != nil {
		attempts, expire := ver.Attempts, present.Ms(ver.ExpireAt)
		out.Verification = &present.Web3Verification{Object: "verification_web3", Status: ver.Status,
			Strategy: ver.Strategy, Attempts: &attempts, ExpireAt: &expire}
		if msg != "" {
			out.Verification.Nonce, out.Verification.Message = &msg, &msg
		}
	}
	return out
}

// myWallet finds one of the signed-in user's wallets; another user's id is
// a 404 like an unknown one.
func (a *API) myWallet(r *http.Request) (store.Session, store.User, store.Identification, error) {
	s, u, err := a.meSession(r)
	if err != nil {
		return s, u, store.Identification{}, err
	}
	for _, i := range u.Identifications {
		if i.Type == store.TypeWallet && i.ID == chi.URLParam(r, "id") {
			return s, u, i, nil
		}
	}
	return s, u, store.Identification{}, apperr.NotFound()
}

func (a *API) listMyWallets(w http.ResponseWriter, r *http.Request) error {
	u, err := a.meUser(r)
	if err != nil {
		return err
	}
	out := []present.Web3Wallet{}
	for _, i := range u.Identifications {
		if i.Type == store.TypeWallet {
			out = append(out, a.walletJSON(r, i))
		}
	}
	return a.writeResponse(w, r, out)
}

func (a *API) getMyWallet(w http.ResponseWriter, r *http.Request) error {
	_, _, idn, err := a.myWallet(r)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, a.walletJSON(r, idn))
}

// addMyWallet adds a wallet to the account, unverified until its owner
// signs the message prepare_verification issues.
func (a *API) addMyWallet(w http.ResponseWriter, r *http.Request) error {
	u, err := a.meUser(r)
	if err != nil {
		return err
	}
	var wallet string
	if err := meForm(r, func(f *form) { wallet = f.get("web3_wallet") }); err != nil {
		return err
	}
	if !a.Engine.Web3Enabled() {
		return apperr.UnknownParam("web3_wallet") // as for any identifier the instance does not use
	}
	idn, err := a.Users.AddWeb3Wallet(r.Context(), u.ID, wallet)
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, a.walletJSON(r, idn))
}

func (a *API) prepareMyWallet(w http.ResponseWriter, r *http.Request) error {
	s, u, idn, err := a.myWallet(r)
	if err != nil {
		return err
	}
	var strategy string
	if err := meForm(r, func(f *form) {
		strategy = f.get("strategy")
		f.str("redirect_url") // Clerk's clients may send it; a signature needs no redirect
	}); err != nil {
		return err
	}
	if err := a.Engine.PrepareWeb3WalletVerification(r.Context(), s.ClientID, u.ID, idn.ID, strategy, clientIP(r)); err != nil {
		return err
	}
	return a.writeResponse(w, r, a.walletJSON(r, idn))
}

func (a *API) attemptMyWallet(w http.ResponseWriter, r *http.Request) error {
	_, u, idn, err := a.myWallet(r)
	if err != nil {
		return err
	}
	var signature string
	if err := meForm(r, func(f *form) { signature = f.get("signature") }); err != nil {
		return err
	}
	if err := a.Engine.AttemptWeb3WalletVerification(r.Context(), u.ID, idn.ID, signature, clientIP(r)); err != nil {
		return err
	}
	_, fresh, err := a.meSession(r)
	if err != nil {
		return err
	}
	for _, i := range fresh.Identifications {
		if i.ID == idn.ID {
			return a.writeResponse(w, r, a.walletJSON(r, i))
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
