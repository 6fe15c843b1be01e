package fapi

import (
	"net"
	"net/http"

	"github.com/latchkey/latchkey/internal/httpx"
)

var writeErr = httpx.WriteError

// clientIP is the address per-IP limits count against. Latchkey does not
// trust X-Forwarded-For by default: a client could forge it to dodge limits.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *API) getClient(w http.ResponseWriter, r *http.Request) error {
	cj, err := a.clientJSON(r)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"response": cj, "client": nil})
}

// deleteClient signs every session on this browser out and forgets it.
func (a *API) deleteClient(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r)
	if st.client != nil {
		if err := a.Sessions.EndAllForClient(r.Context(), st.client.ID); err != nil {
			return err
		}
		if err := a.Sessions.DeleteClient(r.Context(), st.client.ID); err != nil {
			return err
		}
		st.client = nil
	}
	if !st.native {
		http.SetCookie(w, a.clientCookie("", -1))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"response": nil, "client": nil})
}

// environment describes the instance to a front end: which identifiers and
// strategies to offer, the session mode and the branding.
func (a *API) environment(w http.ResponseWriter, r *http.Request) error {
	c := a.Config
	ids, ff := c.Auth.Identifiers, c.Auth.FirstFactors
	emailFactors := []string{}
	if ff.EmailCode {
		emailFactors = append(emailFactors, "email_code")
	}
	if ff.EmailLink {
		emailFactors = append(emailFactors, "email_link")
	}
	attr := func(enabled, required bool, firstFactors, verifications []string) map[string]any {
		return map[string]any{"enabled": enabled, "required": required, "used_for_first_factor": enabled,
			"first_factors": firstFactors, "verifications": verifications, "verify_at_sign_up": enabled && len(verifications) > 0}
	}
	verifications := []string{}
	if c.Auth.SignUp.EmailVerificationRequired {
		verifications = emailFactors
		if len(verifications) == 0 {
			verifications = []string{"email_code"}
		}
	}
	phoneFactors := []string{}
	if ff.PhoneCode && a.Engine.SMSEnabled() {
		phoneFactors = []string{"phone_code"} // it also verifies the number at sign-up
	}
	env := map[string]any{
		"auth_config": map[string]any{
			"object": "auth_config", "single_session_mode": !c.Sessions.MultiSession,
			"session_max_lifetime_seconds":       int64(c.Sessions.MaxLifetime.Seconds()),
			"session_inactivity_timeout_seconds": int64(c.Sessions.InactivityTimeout.Seconds()),
		},
		"display_config": map[string]any{
			"object": "display_config", "application_name": c.Branding.ApplicationName,
			"logo_image_url": c.Branding.LogoURL, "branding": map[string]any{"color": c.Branding.PrimaryColor},
			"sign_in_url": c.PublicURL + "/sign-in", "sign_up_url": c.PublicURL + "/sign-up",
			"user_profile_url": c.PublicURL + "/user",
		},
		"user_settings": map[string]any{
			"attributes": map[string]any{
				"email_address": attr(ids.EmailAddress.Enabled, ids.EmailAddress.Required, emailFactors, verifications),
				"phone_number":  attr(ids.PhoneNumber.Enabled, ids.PhoneNumber.Required, phoneFactors, phoneFactors),
				"username":      attr(ids.Username.Enabled, ids.Username.Required, []string{}, []string{}),
				"password":      attr(ff.Password, a.Engine.PasswordRequired(), []string{}, []string{}),
				"first_name":    attr(c.Auth.SignUp.FirstName != "off", c.Auth.SignUp.FirstName == "required", []string{}, []string{}),
				"last_name":     attr(c.Auth.SignUp.LastName != "off", c.Auth.SignUp.LastName == "required", []string{}, []string{}),
				"passkey":       attr(c.Auth.Passkeys.Enabled, false, passkeyFactors(c), []string{}),
			},
			"passkey_settings":  map[string]any{"allow_autofill": c.Auth.Passkeys.Enabled, "show_sign_in_button": c.Auth.Passkeys.Enabled},
			"sign_in":           map[string]any{"second_factor": map[string]any{"required": false}},
			"sign_up":           map[string]any{"mode": c.Auth.SignUp.Mode, "legal_consent_enabled": false},
			"password_settings": map[string]any{"min_length": 8, "max_length": 256, "disable_hibp": false},
			"social":            a.socialSettings(),
		},
		"organization_settings": map[string]any{"enabled": false},
	}
	a.addWeb3Settings(env["user_settings"].(map[string]any))
	if err := a.addRestrictionSettings(r.Context(), env["user_settings"].(map[string]any)); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, env)
}
