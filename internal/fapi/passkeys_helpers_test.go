package fapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

// The passkey tests run Latchkey as accounts.example.test with passkeys
// bound to the root domain example.test, as the seed describes. Clients
// are native apps (client token in a header): the https public URL makes
// the browser cookie Secure, which the tests' plain-http jar would drop.
const (
	pkRoot   = "example.test"
	pkOrigin = "https://accounts.example.test"
	pkPass   = "correct-horse-battery-9"
)

func startPasskeys(t *testing.T, mutate ...func(*configT)) *harness {
	t.Helper()
	base := func(c *configT) {
		c.PublicURL = pkOrigin
		c.Auth.Passkeys.Enabled = true
		c.Auth.Passkeys.RPID = pkRoot
	}
	return start(t, append([]func(*configT){base}, mutate...)...)
}

type passkeyObj struct {
	ID           string `json:"id"`
	Object       string `json:"object"`
	Name         string `json:"name"`
	LastUsedAt   *int64 `json:"last_used_at"`
	Verification *struct {
		Object   string `json:"object"`
		Status   string `json:"status"`
		Strategy string `json:"strategy"`
		Attempts int    `json:"attempts"`
		Nonce    string `json:"nonce"`
	} `json:"verification"`
}

func (r *resp) passkey(t *testing.T) passkeyObj {
	t.Helper()
	var p passkeyObj
	if err := json.Unmarshal(r.Response, &p); err != nil || p.Object != "passkey" {
		t.Fatalf("not a passkey (%v): %s", err, r.Body)
	}
	return p
}

// nonce is the first-factor verification's nonce of a sign-in response.
func (r *resp) nonce(t *testing.T) string {
	t.Helper()
	var si struct {
		FirstFactorVerification *struct {
			Strategy string `json:"strategy"`
			Nonce    string `json:"nonce"`
		} `json:"first_factor_verification"`
	}
	if err := json.Unmarshal(r.Response, &si); err != nil || si.FirstFactorVerification == nil || si.FirstFactorVerification.Nonce == "" {
		t.Fatalf("no passkey nonce in the sign-in (%v): %s", err, r.Body)
	}
	return si.FirstFactorVerification.Nonce
}

// app is a native app already holding a client token: its first request
// says _is_native so that the token comes back in a header, not a cookie.
func (h *harness) app(t *testing.T) *browser {
	t.Helper()
	b := h.nativeApp()
	b.post("/client/sign_ins?_is_native=1", nil).ok(t)
	if b.token == "" {
		t.Fatal("no client token handed to the native app")
	}
	return b
}

// signedInApp is a native app signed in as a new user with a password.
func (h *harness) signedInApp(t *testing.T, email string) (*browser, string) {
	t.Helper()
	u := h.createUser(email, pkPass)
	b := h.app(t)
	b.signInPassword(t, email, pkPass)
	return b, u.ID
}

// beginPasskey asks for creation options.
func (b *browser) beginPasskey(t *testing.T) passkeyObj {
	t.Helper()
	p := b.post("/me/passkeys", nil).ok(t).passkey(t)
	if p.Verification == nil || p.Verification.Status != "unverified" || p.Verification.Nonce == "" {
		t.Fatalf("new passkey without a pending verification: %+v", p)
	}
	return p
}

// addPasskey registers k for the signed-in user at origin.
func (b *browser) addPasskey(t *testing.T, k *softKey, c ceremony) passkeyObj {
	t.Helper()
	p := b.beginPasskey(t)
	cred := k.register(p.Verification.Nonce, c)
	v := b.post("/me/passkeys/"+p.ID+"/attempt_verification", form("strategy", "passkey", "public_key_credential", cred)).ok(t).passkey(t)
	if v.Verification == nil || v.Verification.Status != "verified" {
		t.Fatalf("passkey not verified: %+v", v)
	}
	return v
}

// passkeySignIn starts a sign-in without an identifier and answers it with k.
func (b *browser) passkeySignIn(t *testing.T, k *softKey, c ceremony) (string, *resp) {
	t.Helper()
	r := b.post("/client/sign_ins", form("strategy", "passkey")).ok(t)
	si := r.signIn(t)
	if si.Status != "needs_first_factor" || si.Identifier != nil {
		t.Fatalf("passkey sign-in: status %q identifier %v, want needs_first_factor without one", si.Status, si.Identifier)
	}
	cred := k.assert(r.nonce(t), c)
	return si.ID, b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "passkey", "public_key_credential", cred))
}

// userPasskeys reads the user's passkeys from the Backend API user object.
func (h *harness) userPasskeys(t *testing.T, userID string) []passkeyObj {
	t.Helper()
	var u struct {
		Passkeys []passkeyObj `json:"passkeys"`
	}
	if st := h.admin(http.MethodGet, "/users/"+userID, nil, &u); st != http.StatusOK {
		t.Fatalf("get user %s: %d", userID, st)
	}
	return u.Passkeys
}

// pkSDKUsers is clerk-sdk-go's users client bound to the test server's
// Backend API.
func pkSDKUsers(h *harness) *user.Client {
	cfg := &clerk.ClientConfig{}
	cfg.Key = clerk.String(h.env.SecretKey)
	cfg.URL = clerk.String(h.env.AdminURL + "/v1")
	cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	return user.NewClient(cfg)
}
