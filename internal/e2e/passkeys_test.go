package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// A signed-in person adds a passkey on the account page (the browser's
// virtual authenticator creates it), names it, signs out, and signs in with
// the passkey alone; the account page then shows when it was last used.
func TestPasskeyAccountPageThenSignIn(t *testing.T) {
	t.Parallel()
	s, _ := newPasskeyStack(t)
	const email = "pia@example.com"
	userID := s.createUser(email, password)
	p := newPage(t)
	auth := p.addAuthenticator()

	p.signInWithPasswordHere(s, email, password)
	if rows := p.passkeyRows(); len(rows) != 0 {
		t.Fatalf("passkeys before adding one: %q", rows)
	}
	p.checkA11y("account with passkeys")
	p.addPasskeyOnAccountPage(s)
	creds := auth.credentials()
	if len(creds) != 1 || creds[0].RpID != pkRoot || !creds[0].IsResidentCredential || string(creds[0].UserHandle) != userID {
		t.Fatalf("the authenticator holds %+v, want one discoverable credential for %s of user %s", creds, pkRoot, userID)
	}
	if rows := p.passkeyRows(); len(rows) != 1 || !strings.Contains(rows[0], "never used") {
		t.Fatalf("passkeys listed: %q", rows)
	}

	// Name it.
	id := eval[string](p, `document.querySelector('#passkeys + ul.list input[name="name"]').id`)
	eval[bool](p, fmt.Sprintf(`(document.getElementById(%q).value = "") === ""`, id))
	p.fill(id, "Work laptop")
	p.press("Rename")
	p.waitPage(s.lk.PublicURL, "/user")
	if rows := p.passkeyRows(); len(rows) != 1 || !strings.HasPrefix(rows[0], "Work laptop") {
		t.Fatalf("passkeys after renaming: %q", rows)
	}

	// Signed out, the sign-in page's identifier field offers the passkey in
	// its autofill (a conditional request); choosing it signs in without
	// pressing anything. The virtual authenticator chooses at once.
	p.press("Sign out")
	p.waitPage(s.lk.PublicURL, "/user")
	if got := p.text("p.lead"); !strings.Contains(got, email) {
		t.Fatalf("signed in through the autofill, the account page shows %q", got)
	}
	if rows := p.passkeyRows(); len(rows) != 1 || !strings.Contains(rows[0], "last used just now") {
		t.Fatalf("passkeys after signing in with one: %q", rows)
	}
	u, err := s.lk.Server.Users.GetUser(context.Background(), userID)
	if err != nil || len(u.Passkeys) != 1 || u.Passkeys[0].LastUsedAt == nil || u.Passkeys[0].Name != "Work laptop" {
		t.Fatalf("user's passkeys: %+v, %v", u.Passkeys, err)
	}

	// The "Sign in with a passkey" button: while the authenticator waits for
	// a touch, the autofill's request stays pending on the page.
	auth.presence(false)
	p.press("Sign out")
	p.waitPage(s.lk.PublicURL, "/sign-in")
	if got := eval[string](p, `document.getElementById("identifier").autocomplete`); got != "username webauthn" {
		t.Errorf("identifier autocomplete %q, want %q", got, "username webauthn")
	}
	if st := p.clientSignIn(); st != "needs_first_factor passkey unverified" {
		t.Fatalf("no pending passkey sign-in behind the autofill: %q", st)
	}
	p.checkA11y("sign-in with passkeys")
	auth.presence(true)
	p.press("Sign in with a passkey")
	p.waitPage(s.lk.PublicURL, "/user")
	if got := p.text("p.lead"); !strings.Contains(got, email) {
		t.Fatalf("signed in with the button, the account page shows %q", got)
	}

	// Removed, it no longer signs in.
	p.press("Remove")
	p.waitPage(s.lk.PublicURL, "/user")
	if rows := p.passkeyRows(); len(rows) != 0 {
		t.Fatalf("passkeys after removing it: %q", rows)
	}
	p.press("Sign out")
	p.waitPage(s.lk.PublicURL, "/sign-in")
	if msg := p.passkeyError(); !strings.Contains(msg, "could not be verified") { // the autofill tried it
		t.Fatalf("a removed passkey: the page says %q", msg)
	}
	if got := eval[string](p, `location.pathname`); got != "/sign-in" {
		t.Fatalf("a removed passkey went on to %s", got)
	}
}

// Ten passkeys at most: with ten, the account page offers no more, and a
// page opened before the tenth that asks for an eleventh is refused.
func TestPasskeyEleventhRefused(t *testing.T) {
	t.Parallel()
	s, _ := newPasskeyStack(t)
	const email = "ten@example.com"
	userID := s.createUser(email, password)
	p := newPage(t)
	auth := p.addAuthenticator()
	p.signInWithPasswordHere(s, email, password)
	for i := 0; i < 9; i++ {
		if i > 0 {
			auth.replace() // each passkey on its own device
		}
		p.addPasskeyOnAccountPage(s)
	}
	late := p.newTab() // the account page open in another tab, with room for one
	late.addAuthenticator()
	late.open(s.lk.PublicURL + "/user")
	late.waitPage(s.lk.PublicURL, "/user")

	auth.replace()
	p.addPasskeyOnAccountPage(s)
	if rows := p.passkeyRows(); len(rows) != 10 {
		t.Fatalf("%d passkeys listed, want 10", len(rows))
	}
	if eval[bool](p, `!!document.getElementById("passkey-add")`) {
		t.Error("the account page still offers to add a passkey at ten")
	}
	if !strings.Contains(p.text("#passkeys ~ p.muted"), "maximum of 10 passkeys") {
		t.Errorf("the account page does not say why: %q", p.text("#passkeys ~ p.muted"))
	}

	late.do(chromedp.Click(`//button[normalize-space(.)="Add a passkey"]`))
	if msg := late.passkeyError(); !strings.Contains(msg, "at most 10 passkeys") {
		t.Fatalf("the eleventh passkey: the page says %q", msg)
	}
	u, err := s.lk.Server.Users.GetUser(context.Background(), userID)
	if err != nil || len(u.Passkeys) != 10 {
		t.Fatalf("the user has %d passkeys (%v), want 10", len(u.Passkeys), err)
	}
}

// pkJS drives the frontend API from a page as a script of another site's
// own would: window.pk.api calls it, pk.json encodes a credential.
const pkJS = `window.pk = (function(){
  function u2b(s){s=s.replace(/-/g,"+").replace(/_/g,"/");while(s.length%4)s+="=";var b=atob(s),o=new Uint8Array(b.length);for(var i=0;i<b.length;i++)o[i]=b.charCodeAt(i);return o.buffer;}
  function b2u(buf){var a=new Uint8Array(buf),s="";for(var i=0;i<a.length;i++)s+=String.fromCharCode(a[i]);return btoa(s).replace(/\+/g,"-").replace(/\//g,"_").replace(/=+$/,"");}
  function api(method, path, fields){
    return fetch("/v1"+path,{method:method,credentials:"same-origin",headers:{"Content-Type":"application/x-www-form-urlencoded"},body:new URLSearchParams(fields||{})})
      .then(function(r){return r.json().then(function(j){return {status:r.status,code:j.errors?j.errors[0].code:"",response:j.response};});});
  }
  function json(c){var r=c.response,o={id:c.id,rawId:b2u(c.rawId),type:c.type,clientExtensionResults:{},response:{clientDataJSON:b2u(r.clientDataJSON)}};
    if(r.attestationObject){o.response.attestationObject=b2u(r.attestationObject);}else{o.response.authenticatorData=b2u(r.authenticatorData);o.response.signature=b2u(r.signature);o.response.userHandle=b2u(r.userHandle);}
    return JSON.stringify(o);}
  return {u2b:u2b,api:api,json:json};
})(); true`

// otherRPSignInJS answers the server's request options with a passkey
// scoped to this page's own domain instead of the configured rpId, and
// returns the attempt's status and error code.
const otherRPSignInJS = `pk.api("POST","/client/sign_ins",{strategy:"passkey"}).then(function(r){
  var o=JSON.parse(r.response.first_factor_verification.nonce);
  o.challenge=pk.u2b(o.challenge); o.rpId=location.hostname; o.allowCredentials=[];
  return navigator.credentials.get({publicKey:o}).then(function(c){
    return pk.api("POST","/client/sign_ins/"+r.response.id+"/attempt_first_factor",{strategy:"passkey",public_key_credential:pk.json(c)});
  });
}).then(function(r){return r.status+" "+r.code})`

// otherRPRegisterJS signs in with a password, then creates a passkey with
// this page's own domain as rp.id for the server's creation options.
const otherRPRegisterJS = `pk.api("POST","/client/sign_ins",{identifier:%q,strategy:"password",password:%q}).then(function(){
  return pk.api("POST","/me/passkeys");
}).then(function(r){
  var o=JSON.parse(r.response.verification.nonce);
  o.challenge=pk.u2b(o.challenge); o.user.id=pk.u2b(o.user.id); o.rp.id=location.hostname; o.excludeCredentials=[];
  return navigator.credentials.create({publicKey:o}).then(function(c){
    return pk.api("POST","/me/passkeys/"+r.response.id+"/attempt_verification",{strategy:"passkey",public_key_credential:pk.json(c)});
  });
}).then(function(r){return r.status+" "+r.code})`

// A passkey of another relying party is refused, at sign-in and at
// registration, even from an origin Latchkey trusts and with the same key;
// and an authenticator whose sign counter went backwards (a clone) is
// refused at sign-in.
func TestPasskeyOtherRPIDAndClonedCounterRefused(t *testing.T) {
	t.Parallel()
	s, other := newPasskeyStack(t)
	const email = "rex@example.com"
	s.createUser(email, password)
	p := newPage(t)
	auth := p.addAuthenticator()
	p.signInWithPasswordHere(s, email, password)
	p.addPasskeyOnAccountPage(s)
	cred := auth.credentials()[0]

	// The same credential (id, key and user) scoped to other.localhost, in
	// another browser: it signs for that rpId, Latchkey wants localhost.
	copied := webauthn.Credential{CredentialID: cred.CredentialID, IsResidentCredential: true, RpID: "other." + pkRoot,
		PrivateKey: cred.PrivateKey, UserHandle: cred.UserHandle, SignCount: cred.SignCount}
	o := newPage(t)
	o.addAuthenticator().add(&copied)
	o.open(other + "/sign-up")
	o.waitPage(other, "/sign-up")
	eval[bool](o, pkJS)
	if got := eval[string](o, otherRPSignInJS, chromedp.EvalAwaitPromise); got != "422 passkey_invalid" {
		t.Errorf("an assertion for rpId other.localhost: %s, want 422 passkey_invalid", got)
	}
	if got := eval[string](o, fmt.Sprintf(otherRPRegisterJS, email, password), chromedp.EvalAwaitPromise); got != "422 passkey_invalid" {
		t.Errorf("a passkey created for rpId other.localhost: %s, want 422 passkey_invalid", got)
	}

	// The real passkey signs in (through the autofill); then its counter is
	// wound back, as on a cloned authenticator.
	p.press("Sign out")
	p.waitPage(s.lk.PublicURL, "/user")
	auth.setCounter(cred.CredentialID, 0)
	p.press("Sign out")
	p.waitPage(s.lk.PublicURL, "/sign-in")
	if msg := p.passkeyError(); !strings.Contains(msg, "could not be verified") {
		t.Fatalf("a counter gone backwards: the page says %q", msg)
	}
	if got := eval[string](p, `location.pathname`); got != "/sign-in" {
		t.Fatalf("a cloned authenticator went on to %s", got)
	}
	if got := eval[bool](p, `fetch("/v1/client",{credentials:"same-origin"}).then(function(r){return r.json()}).then(function(j){return j.response.sessions.length === 0})`, chromedp.EvalAwaitPromise); !got {
		t.Fatal("a cloned authenticator signed in")
	}
}
