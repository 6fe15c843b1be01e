package fapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/signin"
	"github.com/latchkey/latchkey/internal/social"
)

func (a *API) writeSignIn(w http.ResponseWriter, r *http.Request, v signin.SignInView, err error) error {
	if err != nil {
		return err
	}
	return a.writeResponse(w, r, a.signInOf(v))
}

// existingClient is the request's client, or 404 for a sign-in id used
// without one (nothing to find on a browser with no client).
func existingClientID(r *http.Request) (string, error) {
	st := stateOf(r)
	if st.client == nil {
		return "", apperr.NotFound()
	}
	return st.client.ID, nil
}

// stepForm reads the body of a step on an existing sign-in or sign-up: read
// picks the fields, unknown ones are refused, and the browser's client id is
// returned (404 without a client).
func stepForm(r *http.Request, read func(*form)) (string, error) {
	f, err := parseForm(r)
	if err != nil {
		return "", err
	}
	read(f)
	if err := f.done(); err != nil {
		return "", err
	}
	return existingClientID(r)
}

func (a *API) createSignIn(w http.ResponseWriter, r *http.Request) error {
	f, err := parseForm(r)
	if err != nil {
		return err
	}
	if s := f.get("strategy"); signin.IsOAuthStrategy(s) || signin.IsOAuthTokenStrategy(s) {
		return a.createOAuthSignIn(w, r, f, s)
	}
	in := signin.CreateSignInInput{Identifier: f.get("identifier"), Strategy: f.get("strategy"),
		Password: f.get("password"), RedirectURL: f.get("redirect_url"), IP: clientIP(r)}
	f.str("action_complete_redirect_url")
	if err := f.done(); err != nil {
		return err
	}
	c, err := a.ensureClient(w, r)
	if err != nil {
		return err
	}
	v, err := a.Engine.CreateSignIn(r.Context(), c.ID, in)
	return a.writeSignIn(w, r, v, err)
}

func (a *API) getSignIn(w http.ResponseWriter, r *http.Request) error {
	cid, err := existingClientID(r)
	if err != nil {
		return err
	}
	if nonce := r.URL.Query().Get(social.NonceParam); nonce != "" {
		// A native app back from the provider through the system browser.
		if err := a.Engine.ResumeNativeOAuth(r.Context(), cid, clientIP(r), "sign_in", chi.URLParam(r, "id"), nonce); err != nil {
			return err
		}
	}
	v, err := a.Engine.GetSignIn(r.Context(), cid, chi.URLParam(r, "id"))
	return a.writeSignIn(w, r, v, err)
}

func (a *API) prepareFirstFactor(w http.ResponseWriter, r *http.Request) error {
	var in signin.PrepareInput
	var walletID string
	cid, err := stepForm(r, func(f *form) {
		in = signin.PrepareInput{Strategy: f.get("strategy"), EmailAddressID: f.get("email_address_id"),
			PhoneNumberID: f.get("phone_number_id"), RedirectURL: f.get("redirect_url"), IP: clientIP(r)}
		walletID = f.get("web3_wallet_id")
	})
	if err != nil {
		return err
	}
	if signin.IsWeb3Strategy(in.Strategy) {
		v, err := a.Engine.PrepareWeb3FirstFactor(r.Context(), cid, chi.URLParam(r, "id"), in.Strategy, walletID, in.IP)
		return a.writeSignIn(w, r, v, err)
	}
	v, err := a.Engine.PrepareFirstFactor(r.Context(), cid, chi.URLParam(r, "id"), in)
	return a.writeSignIn(w, r, v, err)
}

func (a *API) attemptFirstFactor(w http.ResponseWriter, r *http.Request) error {
	var in signin.AttemptInput
	var signature string
	cid, err := stepForm(r, func(f *form) {
		in = signin.AttemptInput{Strategy: f.get("strategy"), Password: f.get("password"), Code: f.get("code"), IP: clientIP(r),
			PublicKeyCredential: f.get("public_key_credential")}
		signature = f.get("signature")
	})
	if err != nil {
		return err
	}
	if signin.IsWeb3Strategy(in.Strategy) {
		v, err := a.Engine.AttemptWeb3FirstFactor(r.Context(), cid, chi.URLParam(r, "id"), in.Strategy, signature, in.IP)
		return a.writeSignIn(w, r, v, err)
	}
	v, err := a.Engine.AttemptFirstFactor(r.Context(), cid, chi.URLParam(r, "id"), in)
	return a.writeSignIn(w, r, v, err)
}

func (a *API) resetPassword(w http.ResponseWriter, r *http.Request) error {
	var pw string
	var signOut bool
	cid, err := stepForm(r, func(f *form) { pw, signOut = f.get("password"), f.bool("sign_out_of_other_sessions") })
	if err != nil {
		return err
	}
	v, err := a.Engine.ResetPassword(r.Context(), cid, chi.URLParam(r, "id"), pw, signOut)
	return a.writeSignIn(w, r, v, err)
}
