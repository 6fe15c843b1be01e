package e2e_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/latchkey/latchkey/internal/config"
)

// The browser tests run Latchkey at http://localhost:PORT with passkeys
// bound to localhost. Chromium treats localhost and its subdomains as secure
// contexts (WebAuthn needs one) and resolves *.localhost to the loopback,
// so http://other.localhost:PORT, another relying party that is still a
// subdomain, serves pages of the same server. (Chromium does not let
// accounts.localhost claim "localhost" as its rpId, so root-domain passkeys
// used from a subdomain are tested over HTTP in internal/fapi instead.)
const pkRoot = "localhost"

// newPasskeyStack runs Latchkey with passkeys on; other is the origin of
// the other relying party, trusted for frontend API calls so that only the
// rpId can be what refuses its passkeys.
func newPasskeyStack(t *testing.T) (s *stack, other string) {
	t.Helper()
	s = newStack(t, func(c *config.Config) {
		u, err := url.Parse(c.PublicURL)
		if err != nil {
			t.Fatal(err)
		}
		other = "http://other." + pkRoot + ":" + u.Port()
		c.AllowedOrigins = append(c.AllowedOrigins, other)
		c.Auth.Passkeys.Enabled = true
		c.Auth.Passkeys.RPID = pkRoot
	})
	return s, other
}

var b64 = base64.StdEncoding

// authenticator is a virtual platform authenticator in one tab (the
// DevTools WebAuthn domain): it holds discoverable credentials, verifies
// the user, and answers as soon as asked.
type authenticator struct {
	p  *page
	id webauthn.AuthenticatorID
}

// cdp runs one DevTools command on the tab.
func (p *page) cdp(fn func(ctx context.Context, s cdp.Session) error) {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error { return fn(ctx, tg) }))
}

func (p *page) addAuthenticator() *authenticator {
	p.t.Helper()
	a := &authenticator{p: p}
	p.cdp(func(ctx context.Context, s cdp.Session) error {
		if _, err := cdp.Call(ctx, s, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, s, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true}})
		a.id = res.AuthenticatorID
		return err
	})
	return a
}

// credentials lists what the authenticator holds.
func (a *authenticator) credentials() []*webauthn.Credential {
	a.p.t.Helper()
	var out []*webauthn.Credential
	a.p.cdp(func(ctx context.Context, s cdp.Session) error {
		res, err := cdp.Call(ctx, s, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: a.id})
		out = res.Credentials
		return err
	})
	return out
}

// add puts a credential into the authenticator. The command is sent with
// only the fields Chromium has long known: newer cdproto fields (CMTG
// keys) sent as false are refused by browsers that predate them.
func (a *authenticator) add(c *webauthn.Credential) {
	a.p.t.Helper()
	addCredential := cdp.Command[map[string]any, cdp.Empty]{Method: webauthn.CommandAddCredential}
	a.p.cdp(func(ctx context.Context, s cdp.Session) error {
		_, err := cdp.Call(ctx, s, addCredential, map[string]any{"authenticatorId": a.id, "credential": map[string]any{
			"credentialId": b64.EncodeToString(c.CredentialID), "isResidentCredential": c.IsResidentCredential,
			"rpId": c.RpID, "privateKey": b64.EncodeToString(c.PrivateKey),
			"userHandle": b64.EncodeToString(c.UserHandle), "signCount": c.SignCount}})
		return err
	})
}

// replace swaps the authenticator for a new, empty one: another device.
// (A browser will not register a second passkey of one account on the same
// authenticator: the server's options exclude the credentials it has.)
func (a *authenticator) replace() {
	a.p.t.Helper()
	a.p.cdp(func(ctx context.Context, s cdp.Session) error {
		_, err := cdp.Call(ctx, s, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: a.id})
		return err
	})
	a.id = a.p.addAuthenticator().id
}

// presence turns the simulated user's touch on or off: off, requests wait.
func (a *authenticator) presence(on bool) {
	a.p.t.Helper()
	a.p.cdp(func(ctx context.Context, s cdp.Session) error {
		_, err := cdp.Call(ctx, s, webauthn.SetAutomaticPresenceSimulation, webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: a.id, Enabled: on})
		return err
	})
}

// setCounter sets a credential's sign counter, as a cloned or restored
// authenticator would have it.
func (a *authenticator) setCounter(credID []byte, n float64) {
	a.p.t.Helper()
	a.p.cdp(func(ctx context.Context, s cdp.Session) error {
		_, err := cdp.Call(ctx, s, webauthn.SetCredentialProperties, webauthn.SetCredentialPropertiesParams{
			AuthenticatorID: a.id, CredentialID: credID, SignCount: &n})
		return err
	})
}

// signInWithPasswordHere signs in on the hosted pages, with no application
// to return to: it ends on the account page.
func (p *page) signInWithPasswordHere(s *stack, email, password string) {
	p.t.Helper()
	p.open(s.lk.PublicURL + "/sign-in")
	p.waitPage(s.lk.PublicURL, "/sign-in")
	p.fill("identifier", email)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/sign-in/factor")
	p.fill("password", password)
	p.press("Continue")
	p.waitPage(s.lk.PublicURL, "/user")
}

// addPasskeyOnAccountPage presses "Add a passkey" and waits for the page
// to come back saying so.
func (p *page) addPasskeyOnAccountPage(s *stack) {
	p.t.Helper()
	p.waitFor("the Add a passkey button", `(function(){var b=document.getElementById("passkey-add");return !!b && !b.hidden && !b.disabled})()`, 10*time.Second)
	p.press("Add a passkey")
	p.waitPage(s.lk.PublicURL, "/user")
	if n := p.text(".alert"); !strings.Contains(n, "passkey was added") {
		p.t.Fatalf("after adding a passkey the page says %q", n)
	}
}

// passkeyRows is the account page's passkey list.
func (p *page) passkeyRows() []string {
	p.t.Helper()
	return eval[[]string](p, `Array.prototype.map.call(document.querySelectorAll('#passkeys + ul.list > li'), function(li){return li.innerText.replace(/\s+/g," ").trim()})`)
}

// passkeyError waits for the page's passkey error and returns it.
func (p *page) passkeyError() string {
	p.t.Helper()
	p.waitFor("a passkey error", `(function(){var e=document.getElementById("passkey-error");return !!e && !e.hidden && e.textContent !== ""})()`, 10*time.Second)
	return p.text("#passkey-error")
}

// clientSignIn describes the browser client's current sign-in as
// "status strategy verification-status", read from the frontend API once
// the page has started one.
func (p *page) clientSignIn() string {
	p.t.Helper()
	const js = `fetch("/v1/client",{credentials:"same-origin"}).then(function(r){return r.json()}).then(function(j){
		var si = j.response && j.response.sign_in, v = si && si.first_factor_verification;
		return si ? [si.status, v ? v.strategy : "", v ? v.status : ""].join(" ") : ""})`
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := eval[string](p, js, chromedp.EvalAwaitPromise); got != "" || time.Now().After(deadline) {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
}
