package fapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/signin"
)

func TestWeb3SignUpThenSignInWithTheWallet(t *testing.T) {
	h := start(t, web3Config)
	w, other := newWallet(t), newWallet(t)

	b := h.browser()
	su := b.post("/client/sign_ups", form("web3_wallet", strings.ToLower(w.addr))).ok(t).web3SignUp(t)
	if su.Status != "missing_requirements" || su.Web3Wallet == nil || *su.Web3Wallet != w.addr ||
		len(su.UnverifiedFields) != 1 || su.UnverifiedFields[0] != "web3_wallet" || len(su.MissingFields) != 0 {
		t.Fatalf("sign-up = %+v (want the EIP-55 wallet, unverified)", su)
	}
	su = b.post("/client/sign_ups/"+su.ID+"/prepare_verification", form("strategy", "web3_metamask_signature")).ok(t).web3SignUp(t)
	ver := su.Verifications.Web3Wallet
	if ver == nil || ver.Status != "unverified" || ver.Strategy != "web3_metamask_signature" || !strings.Contains(ver.Nonce, w.addr) {
		t.Fatalf("verification after prepare = %+v", ver)
	}
	nonce := ver.Nonce
	attempt := func(sig string) *resp {
		return b.post("/client/sign_ups/"+su.ID+"/attempt_verification", form("strategy", "web3_metamask_signature", "signature", sig))
	}
	// Signed by another key, or the right key over another message: refused.
	attempt(other.sign(nonce)).fails(t, http.StatusUnprocessableEntity, "web3_signature_invalid")
	attempt(w.sign(nonce+" ")).fails(t, http.StatusUnprocessableEntity, "web3_signature_invalid")
	attempt("0xnot-hex").fails(t, http.StatusUnprocessableEntity, "web3_signature_invalid")

	sig := w.sign(nonce)
	su = attempt(sig).ok(t).web3SignUp(t)
	if su.Status != "complete" || su.CreatedUserID == nil || su.CreatedSessionID == nil {
		t.Fatalf("sign-up after the right signature = %+v", su)
	}
	// Replaying the signature on the finished sign-up does nothing.
	if r := attempt(sig); r.Status == http.StatusOK {
		t.Fatalf("a replayed signature was accepted: %s", r.Body)
	}

	var u walletUser
	if st := h.admin(http.MethodGet, "/users/"+*su.CreatedUserID, nil, &u); st != http.StatusOK {
		t.Fatalf("get user: %d", st)
	}
	if len(u.Web3Wallets) != 1 || u.Web3Wallets[0].Web3Wallet != w.addr || u.Web3Wallets[0].Object != "web3_wallet" ||
		u.Web3Wallets[0].Verification == nil || u.Web3Wallets[0].Verification.Strategy != "web3_metamask_signature" ||
		u.Web3Wallets[0].Verification.Object != "verification_web3" || u.PrimaryWeb3WalletID == nil || *u.PrimaryWeb3WalletID != u.Web3Wallets[0].ID {
		t.Fatalf("user's wallets = %+v", u)
	}

	// Sign in on another browser, with another of the wallet strategies.
	b2 := h.browser()
	si := b2.post("/client/sign_ins", form("identifier", w.addr)).ok(t).web3SignIn(t)
	if si.Status != "needs_first_factor" || len(si.SupportedFirstFactors) != 3 || si.SupportedFirstFactors[0].Web3WalletID == "" {
		t.Fatalf("sign-in by wallet = %+v", si)
	}
	for _, f := range si.SupportedFirstFactors {
		if !strings.HasPrefix(f.Strategy, "web3_") {
			t.Fatalf("a wallet sign-in offers %s", f.Strategy)
		}
	}
	si = b2.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "web3_coinbase_wallet_signature",
		"web3_wallet_id", si.SupportedFirstFactors[1].Web3WalletID)).ok(t).web3SignIn(t)
	msg := si.FirstFactorVerification.Nonce
	if msg == "" || msg == nonce {
		t.Fatalf("sign-in nonce %q (sign-up's was %q)", msg, nonce)
	}
	signInAttempt := func(sig string) *resp {
		return b2.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "web3_coinbase_wallet_signature", "signature", sig))
	}
	// The sign-up's signature (another nonce) and another wallet's are refused.
	signInAttempt(sig).fails(t, http.StatusUnprocessableEntity, "web3_signature_invalid")
	signInAttempt(other.sign(msg)).fails(t, http.StatusUnprocessableEntity, "web3_signature_invalid")
	done := signInAttempt(w.sign(msg)).ok(t).web3SignIn(t)
	if done.Status != "complete" || done.CreatedSessionID == nil {
		t.Fatalf("sign-in = %+v", done)
	}
	// The same signature is worth nothing on a new sign-in: its nonce is new.
	b3 := h.browser()
	si3 := b3.post("/client/sign_ins", form("identifier", w.addr)).ok(t).web3SignIn(t)
	b3.post("/client/sign_ins/"+si3.ID+"/prepare_first_factor", form("strategy", "web3_okx_wallet_signature")).ok(t)
	b3.post("/client/sign_ins/"+si3.ID+"/attempt_first_factor", form("strategy", "web3_okx_wallet_signature", "signature", w.sign(msg))).
		fails(t, http.StatusUnprocessableEntity, "web3_signature_invalid")
	// A second preparation replaces the nonce; a signature of the first is refused.
	first := b3.post("/client/sign_ins/"+si3.ID+"/prepare_first_factor", form("strategy", "web3_okx_wallet_signature")).ok(t).web3SignIn(t)
	second := b3.post("/client/sign_ins/"+si3.ID+"/prepare_first_factor", form("strategy", "web3_okx_wallet_signature")).ok(t).web3SignIn(t)
	b3.post("/client/sign_ins/"+si3.ID+"/attempt_first_factor", form("strategy", "web3_okx_wallet_signature",
		"signature", w.sign(first.FirstFactorVerification.Nonce))).fails(t, http.StatusUnprocessableEntity, "web3_signature_invalid")
	b3.post("/client/sign_ins/"+si3.ID+"/attempt_first_factor", form("strategy", "web3_okx_wallet_signature",
		"signature", w.sign(second.FirstFactorVerification.Nonce))).ok(t)
}

func TestWeb3ChallengeLimits(t *testing.T) {
	h := start(t, web3Config)
	w, other := newWallet(t), newWallet(t)
	if st := h.admin(http.MethodPost, "/users", map[string]any{"web3_wallet": []string{w.addr}}, nil); st != http.StatusOK {
		t.Fatalf("create user with a wallet: %d", st)
	}
	b := h.browser()
	si := b.post("/client/sign_ins", form("identifier", w.addr)).ok(t).web3SignIn(t)
	si = b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "web3_metamask_signature")).ok(t).web3SignIn(t)
	msg := si.FirstFactorVerification.Nonce
	try := func(sig string) *resp {
		return b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "web3_metamask_signature", "signature", sig))
	}
	for i := 1; i < signin.MaxCodeAttempts; i++ {
		try(other.sign(msg)).fails(t, http.StatusUnprocessableEntity, "web3_signature_invalid")
	}
	try(other.sign(msg)).fails(t, http.StatusUnprocessableEntity, "verification_failed")
	try(w.sign(msg)).fails(t, http.StatusUnprocessableEntity, "verification_failed")

	// A challenge expires.
	si = b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "web3_metamask_signature")).ok(t).web3SignIn(t)
	h.env.Clock.Advance(signin.CodeTTL + 1)
	try(w.sign(si.FirstFactorVerification.Nonce)).fails(t, http.StatusUnprocessableEntity, "verification_expired")
}

func TestWeb3StrategiesSwitchedOnly(t *testing.T) {
	w := newWallet(t)
	// A strategy the instance has not switched on is refused.
	h2 := start(t, web3Config, func(c *config.Config) { c.Auth.Web3.Strategies = []string{config.Web3Metamask} })
	b2 := h2.browser()
	si2 := b2.post("/client/sign_ins", form("identifier", w.addr)).ok(t).web3SignIn(t)
	if len(si2.SupportedFirstFactors) != 1 {
		t.Fatalf("factors = %+v", si2.SupportedFirstFactors)
	}
	b2.post("/client/sign_ins/"+si2.ID+"/prepare_first_factor", form("strategy", "web3_okx_wallet_signature")).
		fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
}

func TestWeb3UnknownWalletLooksLikeAKnownOne(t *testing.T) {
	h := start(t, web3Config)
	known, unknown := newWallet(t), newWallet(t)
	if st := h.admin(http.MethodPost, "/users", map[string]any{"web3_wallet": []string{known.addr}}, nil); st != http.StatusOK {
		t.Fatalf("create user: %d", st)
	}
	shape := func(w wallet) (web3SignIn, *browser) {
		b := h.browser()
		si := b.post("/client/sign_ins", form("identifier", w.addr)).ok(t).web3SignIn(t)
		si = b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "web3_metamask_signature")).ok(t).web3SignIn(t)
		return si, b
	}
	k, _ := shape(known)
	u, b := shape(unknown)
	if k.Status != u.Status || len(k.SupportedFirstFactors) != len(u.SupportedFirstFactors) ||
		k.FirstFactorVerification.Status != u.FirstFactorVerification.Status || u.FirstFactorVerification.Nonce == "" {
		t.Fatalf("known %+v vs unknown %+v", k, u)
	}
	b.post("/client/sign_ins/"+u.ID+"/attempt_first_factor", form("strategy", "web3_metamask_signature",
		"signature", known.sign(u.FirstFactorVerification.Nonce))).fails(t, http.StatusUnprocessableEntity, "web3_signature_invalid")
	// Only the wallet's owner learns that it has no account.
	b.post("/client/sign_ins/"+u.ID+"/attempt_first_factor", form("strategy", "web3_metamask_signature",
		"signature", unknown.sign(u.FirstFactorVerification.Nonce))).fails(t, http.StatusUnprocessableEntity, "form_identifier_not_found")
}

func TestWeb3WalletsRemovedFromTheAccount(t *testing.T) {
	h := start(t, web3Config)
	w1, w2, w3 := newWallet(t), newWallet(t), newWallet(t)
	var u walletUser
	if st := h.admin(http.MethodPost, "/users", map[string]any{"web3_wallet": []string{w1.addr, w2.addr, w3.addr}}, &u); st != http.StatusOK || len(u.Web3Wallets) != 3 {
		t.Fatalf("create user: %d %+v", st, u)
	}
	b := h.browser()
	b.web3SignInWith(t, w2, "web3_metamask_signature")

	r := b.get("/me/web3_wallets").ok(t)
	if !strings.Contains(string(r.Response), w1.addr) || !strings.Contains(string(r.Response), w3.addr) {
		t.Fatalf("my wallets: %s", r.Body)
	}
	del := b.do(http.MethodDelete, "/me/web3_wallets/"+u.Web3Wallets[0].ID, nil).ok(t)
	if !strings.Contains(string(del.Response), `"deleted":true`) {
		t.Fatalf("delete: %s", del.Body)
	}
	b.do(http.MethodDelete, "/me/web3_wallets/"+u.Web3Wallets[0].ID, nil).fails(t, http.StatusNotFound, "resource_not_found")
	// The operator removes another one through the Backend API.
	if st := h.admin(http.MethodDelete, "/users/"+u.ID+"/web3_wallets/"+u.Web3Wallets[2].ID, nil, nil); st != http.StatusOK {
		t.Fatalf("backend delete: %d", st)
	}
	if st := h.admin(http.MethodDelete, "/users/"+u.ID+"/web3_wallets/"+u.Web3Wallets[2].ID, nil, nil); st != http.StatusNotFound {
		t.Fatalf("second backend delete: %d", st)
	}
	// The last one is the only way in: it stays.
	b.do(http.MethodDelete, "/me/web3_wallets/"+u.Web3Wallets[1].ID, nil).fails(t, http.StatusUnprocessableEntity, "last_identification_deletion_failed")
	var after walletUser
	h.admin(http.MethodGet, "/users/"+u.ID, nil, &after)
	if len(after.Web3Wallets) != 1 || after.Web3Wallets[0].Web3Wallet != w2.addr {
		t.Fatalf("wallets after removal: %+v", after.Web3Wallets)
	}
	// A removed wallet no longer signs in.
	b2 := h.browser()
	si := b2.post("/client/sign_ins", form("identifier", w1.addr)).ok(t).web3SignIn(t)
	si = b2.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "web3_metamask_signature")).ok(t).web3SignIn(t)
	b2.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "web3_metamask_signature",
		"signature", w1.sign(si.FirstFactorVerification.Nonce))).fails(t, http.StatusUnprocessableEntity, "form_identifier_not_found")
	// Signed out, /v1/me answers 401.
	h.browser().get("/me/web3_wallets").fails(t, http.StatusUnauthorized, "signed_out")
}

func TestWeb3BlockedWalletCannotSignUpOrIn(t *testing.T) {
	h := start(t, web3Config)
	member, blocked := newWallet(t), newWallet(t)
	h.admin(http.MethodPost, "/users", map[string]any{"web3_wallet": []string{member.addr}}, nil)
	h.list("blocklist", strings.ToLower(blocked.addr))
	h.list("blocklist", member.addr)
	h.restrict(map[string]bool{"blocklist": true})
	h.browser().post("/client/sign_ups", form("web3_wallet", blocked.addr)).fails(t, http.StatusForbidden, "not_allowed_access")
	h.browser().post("/client/sign_ins", form("identifier", member.addr)).fails(t, http.StatusForbidden, "not_allowed_access")
}
