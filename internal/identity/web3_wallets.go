package identity

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// A user's Ethereum wallets are identifications of type KindWallet whose
// identifier is the EIP-55 address. A wallet is only ever stored proven: by
// a signature at sign-up, or by the operator (strategy admin).

// DeleteWeb3Wallet removes one of userID's wallets. A user keeps a way to
// sign in: the wallet cannot go when it is the last identifier left.
func (s *Service) DeleteWeb3Wallet(ctx context.Context, userID, id string) error {
	err := s.store.DeleteIdentification(ctx, id, func(u *store.User, idn store.Identification) error {
		if idn.Type != KindWallet || u.ID != userID {
			return apperr.NotFound()
		}
		if u.Username == nil && len(u.Identifications) == 1 {
			return apperr.New(apperr.KindInvalid, "last_identification_deletion_failed",
				"You can't delete your last identifier.",
				"This is the user's only identifier; deleting it would leave no way to sign in.").WithParam("web3_wallet")
		}
		u.UpdatedAt = s.now()
		return nil
	})
	return translate(err)
}

// newWallets validates the wallets of a create-user request.
func newWallets(userID string, values []string, now time.Time) ([]store.Identification, error) {
	if len(values) > maxIdentifiersPerRequest {
		return nil, apperr.ParamValueInvalid("web3_wallet", "At most 10 values of web3_wallet can be given.")
	}
	seen := map[string]bool{}
	out := make([]store.Identification, 0, len(values))
	for _, raw := range values {
		v, err := NormalizeWallet("web3_wallet", raw)
		if err != nil {
			return nil, err
		}
		if seen[v] {
			return nil, apperr.ParamValueInvalid("web3_wallet", raw+" is given more than once.")
		}
		seen[v] = true
		out = append(out, store.Identification{ID: ids.New(ids.Identification), UserID: userID, Type: KindWallet,
			Identifier: v, Verified: true, VerificationStrategy: strPtr("admin"), CreatedAt: now, UpdatedAt: now})
	}
	return out, nil
}
