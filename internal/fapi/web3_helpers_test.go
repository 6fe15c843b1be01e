package fapi_test

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/sha3"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/identity"
)

// wallet is an Ethereum key pair made in the test, signing like a
// browser wallet's personal_sign (EIP-191).
type wallet struct {
	key  *secp256k1.PrivateKey
	addr string // EIP-55
}

func newWallet(t *testing.T) wallet {
	t.Helper()
	key, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	// The address computed here independently of the server's code.
	h := sha3.NewLegacyKeccak256()
	h.Write(key.PubKey().SerializeUncompressed()[1:])
	return wallet{key: key, addr: identity.ChecksumAddress(hex.EncodeToString(h.Sum(nil)[12:]))}
}

// sign returns the 0x-hex r||s||v signature of message, v being 27 or 28.
func (w wallet) sign(message string) string {
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte("\x19Ethereum Signed Message:\n" + strconv.Itoa(len(message)) + message))
	c := ecdsa.SignCompact(w.key, h.Sum(nil), false)
	return "0x" + hex.EncodeToString(append(append([]byte{}, c[1:]...), c[0]))
}

// web3Config turns on the three wallet strategies, and lets an account
// have no email address.
func web3Config(c *config.Config) {
	c.Auth.Web3.Strategies = []string{config.Web3Metamask, config.Web3CoinbaseWallet, config.Web3OKXWallet}
	c.Auth.Identifiers.EmailAddress.Required = false
}

type web3Verification struct {
	Status     string `json:"status"`
	Strategy   string `json:"strategy"`
	Nonce      string `json:"nonce"`
	Attempts   int    `json:"attempts"`
	NextAction string `json:"next_action"`
}

type web3SignIn struct {
	ID                    string `json:"id"`
	Status                string `json:"status"`
	SupportedFirstFactors []struct {
		Strategy       string `json:"strategy"`
		SafeIdentifier string `json:"safe_identifier"`
		Web3WalletID   string `json:"web3_wallet_id"`
	} `json:"supported_first_factors"`
	FirstFactorVerification *web3Verification `json:"first_factor_verification"`
	CreatedSessionID        *string           `json:"created_session_id"`
}

type web3SignUp struct {
	ID               string   `json:"id"`
	Status           string   `json:"status"`
	UnverifiedFields []string `json:"unverified_fields"`
	MissingFields    []string `json:"missing_fields"`
	Web3Wallet       *string  `json:"web3_wallet"`
	Verifications    struct {
		Web3Wallet *web3Verification `json:"web3_wallet"`
	} `json:"verifications"`
	CreatedUserID    *string `json:"created_user_id"`
	CreatedSessionID *string `json:"created_session_id"`
}

func (r *resp) web3SignIn(t *testing.T) web3SignIn {
	t.Helper()
	var si web3SignIn
	if err := json.Unmarshal(r.Response, &si); err != nil || si.ID == "" {
		t.Fatalf("not a sign-in (%v): %s", err, r.Body)
	}
	return si
}

func (r *resp) web3SignUp(t *testing.T) web3SignUp {
	t.Helper()
	var su web3SignUp
	if err := json.Unmarshal(r.Response, &su); err != nil || su.ID == "" {
		t.Fatalf("not a sign-up (%v): %s", err, r.Body)
	}
	return su
}

// walletUser is the part of a user object the Web3 tests look at.
type walletUser struct {
	ID                  string  `json:"id"`
	PrimaryWeb3WalletID *string `json:"primary_web3_wallet_id"`
	Web3Wallets         []struct {
		ID           string `json:"id"`
		Object       string `json:"object"`
		Web3Wallet   string `json:"web3_wallet"`
		Verification *struct {
			Object   string `json:"object"`
			Status   string `json:"status"`
			Strategy string `json:"strategy"`
		} `json:"verification"`
	} `json:"web3_wallets"`
}

// web3SignInWith runs a whole wallet sign-in on b and returns the sign-in.
func (b *browser) web3SignInWith(t *testing.T, w wallet, strategy string) web3SignIn {
	t.Helper()
	si := b.post("/client/sign_ins", form("identifier", w.addr)).ok(t).web3SignIn(t)
	si = b.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", strategy)).ok(t).web3SignIn(t)
	return b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor",
		form("strategy", strategy, "signature", w.sign(si.FirstFactorVerification.Nonce))).ok(t).web3SignIn(t)
}
