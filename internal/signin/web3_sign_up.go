package signin

import (
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/store"
)

// signUpWalletIdents is the wallet a sign-up carries, if any.
func signUpWalletIdents(su store.SignUp) []identity.Ident { return nil }
