package fapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// myWallet is the web3_wallet object of /v1/me/web3_wallets.
type myWallet struct {
	ID           string `json:"id"`
	Object       string `json:"object"`
	Web3Wallet   string `json:"web3_wallet"`
	Verification *struct {
		Object   string `json:"object"`
		Status   string `json:"status"`
		Strategy string `json:"strategy"`
		Message  string `json:"message"`
	} `json:"verification"`
}

func (r *resp) myWallet(t *testing.T) myWallet {
	t.Helper()
	var w myWallet
	if err := json.Unmarshal(r.Response, &w); err != nil || w.ID == "" {
		t.Fatalf("not a wallet (%v): %s", err, r.Body)
	}
	return w
}

// A signed-in user adds a wallet, as clerk-js's user.createWeb3Wallet does,
// and proves it by signing the message prepare_verification issues; until
// then the wallet signs nobody in.
func TestWeb3WalletAddedToAnAccount(t *testing.T) {
	h := start(t, web3Config)
	u := h.createUser("wren@example.com", "correct horse battery")
	b := h.browser()
	b.signInPassword(t, "wren@example.com", "correct horse battery")
	w, other := newWallet(t), newWallet(t)

	added := b.post("/me/web3_wallets", form("web3_wallet", strings.ToLower(w.addr))).ok(t).myWallet(t)
	if added.Object != "web3_wallet" || added.Web3Wallet != w.addr || added.Verification != nil {
		t.Fatalf("added wallet = %+v", added)
	}
	// Not proven: a wallet sign-in with the right key finds no account.
	stranger := h.browser()
	si := stranger.post("/client/sign_ins", form("identifier", w.addr)).ok(t).web3SignIn(t)
	si = stranger.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "web3_metamask_signature")).ok(t).web3SignIn(t)
	stranger.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "web3_metamask_signature",
		"signature", w.sign(si.FirstFactorVerification.Nonce))).fails(t, http.StatusUnprocessableEntity, "form_identifier_not_found")

	path := "/me/web3_wallets/" + added.ID
	b.post(path+"/attempt_verification", form("signature", w.sign("anything"))).fails(t, http.StatusUnprocessableEntity, "verification_missing")
	prepared := b.post(path+"/prepare_verification", form("strategy", "web3_metamask_signature")).ok(t).myWallet(t)
	if v := prepared.Verification; v == nil || v.Status != "unverified" || v.Strategy != "web3_metamask_signature" || !strings.Contains(v.Message, w.addr) {
		t.Fatalf("after prepare = %+v", prepared)
	}
	b.post(path+"/attempt_verification", form("signature", other.sign(prepared.Verification.Message))).fails(t, http.StatusUnprocessableEntity, "web3_signature_invalid")
	proven := b.post(path+"/attempt_verification", form("signature", w.sign(prepared.Verification.Message))).ok(t).myWallet(t)
	if v := proven.Verification; v == nil || v.Status != "verified" || v.Object != "verification_web3" || v.Strategy != "web3_metamask_signature" {
		t.Fatalf("after the right signature = %+v", proven)
	}
	b.post(path+"/prepare_verification", form("strategy", "web3_metamask_signature")).fails(t, http.StatusUnprocessableEntity, "verification_already_verified")

	// Proven, the wallet signs its owner in.
	b2 := h.browser()
	done := b2.web3SignInWith(t, w, "web3_coinbase_wallet_signature")
	if done.Status != "complete" || b2.signedInUserID(t) != u.ID {
		t.Fatalf("wallet sign-in after proving it: %+v", done)
	}
	var got walletUser
	h.admin(http.MethodGet, "/users/"+u.ID, nil, &got)
	if len(got.Web3Wallets) != 1 || got.PrimaryWeb3WalletID == nil || *got.PrimaryWeb3WalletID != added.ID {
		t.Fatalf("user's wallets = %+v", got)
	}
}

// An unproven wallet is only a claim: it cannot keep the wallet's owner out.
// A sign-up with the wallet's signature takes it at once, and another
// account may add it once the claim has gone unproven for a while.
func TestWeb3WalletClaimsDoNotLockOutTheOwner(t *testing.T) {
	h := start(t, web3Config)
	h.createUser("squat@example.com", "correct horse battery")
	squatter := h.browser()
	squatter.signInPassword(t, "squat@example.com", "correct horse battery")
	w1, w2 := newWallet(t), newWallet(t)
	squatter.post("/me/web3_wallets", form("web3_wallet", w1.addr)).ok(t)
	squatter.post("/me/web3_wallets", form("web3_wallet", w2.addr)).ok(t)

	// The owner of w1 signs up with it.
	owner := h.browser()
	su := owner.post("/client/sign_ups", form("web3_wallet", w1.addr)).ok(t).web3SignUp(t)
	su = owner.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "web3_metamask_signature")).ok(t).web3SignUp(t)
	su = owner.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "web3_metamask_signature",
		"signature", w1.sign(su.Verifications.Web3Wallet.Nonce))).ok(t).web3SignUp(t)
	if su.Status != "complete" {
		t.Fatalf("sign-up with a claimed wallet: %+v", su)
	}

	// Another account adding w2: refused while the claim is fresh, then allowed.
	h.createUser("late@example.com", "correct horse battery")
	late := h.browser()
	late.signInPassword(t, "late@example.com", "correct horse battery")
	late.post("/me/web3_wallets", form("web3_wallet", w2.addr)).fails(t, http.StatusUnprocessableEntity, "form_identifier_exists")
	h.env.Clock.Advance(11 * time.Minute)
	late.post("/me/web3_wallets", form("web3_wallet", w2.addr)).ok(t)

	var wallets []myWallet
	if err := json.Unmarshal(squatter.get("/me/web3_wallets").ok(t).Response, &wallets); err != nil || len(wallets) != 0 {
		t.Fatalf("the squatter still holds %+v (%v)", wallets, err)
	}
}
