package identity

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// A user's Ethereum wallets are identifications of type KindWallet whose
// identifier is the EIP-55 address, proven by a signature (at sign-up, or
// after the user added it from the frontend API) or by the operator
// (strategy admin). An added wallet not yet proven is only a claim: it
// signs nobody in, and a proof elsewhere takes its address (see
// store.ClaimTTL).

// AddWeb3Wallet adds a wallet, unverified, to a signed-in user's account
// (POST /v1/me/web3_wallets); a signature of the message its verification
// issues proves it.
func (s *Service) AddWeb3Wallet(ctx context.Context, userID, raw string) (store.Identification, error) {
	if raw == "" {
		return store.Identification{}, apperr.ParamMissing("web3_wallet")
	}
	v, err := NormalizeWallet("web3_wallet", raw)
	if err != nil {
		return store.Identification{}, err
	}
	if err := s.policy.Check(ctx, ForAddition, KindWallet, v); err != nil {
		return store.Identification{}, err
	}
	idn, err := s.store.AddIdentification(ctx, userID, func(u *store.User) (store.Identification, error) {
		now := s.now()
		u.UpdatedAt = now
		return store.Identification{ID: ids.New(ids.Identification), UserID: u.ID, Type: KindWallet, Identifier: v,
			Claim: true, CreatedAt: now, UpdatedAt: now}, nil
	})
	return idn, translate(err)
}

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
