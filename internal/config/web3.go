package config

import "fmt"

// Web3 strategies, as Clerk names them.
const (
	Web3Metamask       = "web3_metamask_signature"
	Web3CoinbaseWallet = "web3_coinbase_wallet_signature"
	Web3OKXWallet      = "web3_okx_wallet_signature"
)

// Web3 switches sign-in and sign-up with an Ethereum wallet (EIP-191
// personal_sign of a server-issued message), per wallet strategy. All of
// them verify the same kind of signature; the strategy names the wallet
// the front end talks to.
type Web3 struct {
	// Strategies enabled, e.g. [web3_metamask_signature]; empty: Web3 is off.
	Strategies []string `yaml:"strategies"`
}

// Enabled reports whether strategy is switched on.
func (w Web3) Enabled(strategy string) bool {
	for _, s := range w.Strategies {
		if s == strategy {
			return true
		}
	}
	return false
}

func (c Config) validateWeb3(bad func(field, format string, args ...any)) {
	seen := map[string]bool{}
	for i, s := range c.Auth.Web3.Strategies {
		if s != Web3Metamask && s != Web3CoinbaseWallet && s != Web3OKXWallet {
			bad(fmt.Sprintf("auth.web3.strategies[%d]", i), "must be %s, %s or %s, got %q",
				Web3Metamask, Web3CoinbaseWallet, Web3OKXWallet, s)
		}
		if seen[s] {
			bad(fmt.Sprintf("auth.web3.strategies[%d]", i), "%q is listed twice", s)
		}
		seen[s] = true
	}
}
