package present

import "github.com/latchkey/latchkey/internal/store"

// Web3Wallet is Clerk's web3_wallet object.
type Web3Wallet struct {
	ID           string            `json:"id"`
	Object       string            `json:"object"`
	Web3Wallet   string            `json:"web3_wallet"`
	Verification *Web3Verification `json:"verification"`
	CreatedAt    int64             `json:"created_at"`
	UpdatedAt    int64             `json:"updated_at"`
}

// Web3Verification is how a stored wallet was proven: by a signature
// (verification_web3) or by the operator (verification_admin).
type Web3Verification struct {
	Object   string  `json:"object"`
	Status   string  `json:"status"`
	Strategy string  `json:"strategy"`
	Nonce    *string `json:"nonce"`
	Message  *string `json:"message"`
	Attempts *int    `json:"attempts"`
	ExpireAt *int64  `json:"expire_at"`
}

// Web3WalletOf renders a wallet identification.
func Web3WalletOf(i store.Identification) Web3Wallet {
	out := Web3Wallet{ID: i.ID, Object: "web3_wallet", Web3Wallet: i.Identifier,
		CreatedAt: Ms(i.CreatedAt), UpdatedAt: Ms(i.UpdatedAt)}
	if i.Verified {
		strategy := "admin"
		if i.VerificationStrategy != nil && *i.VerificationStrategy != "" {
			strategy = *i.VerificationStrategy
		}
		obj := "verification_web3"
		if strategy == "admin" {
			obj = "verification_admin"
		}
		out.Verification = &Web3Verification{Object: obj, Status: "verified", Strategy: strategy}
	}
	return out
}

// addWallet puts a wallet on a user object; the oldest proven one is its primary.
func addWallet(out *User, i store.Identification) {
	out.Web3Wallets = append(out.Web3Wallets, Web3WalletOf(i))
	if out.PrimaryWeb3WalletID == nil && i.Verified { // a wallet still being proven is nobody's primary
		id := i.ID
		out.PrimaryWeb3WalletID = &id
	}
}
