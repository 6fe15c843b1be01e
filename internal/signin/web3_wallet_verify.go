package signin

import (
	"context"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// Proving a wallet a signed-in user added (Clerk's
// /v1/me/web3_wallets/{id}/prepare_verification and attempt_verification):
// the same message and signature check as a wallet sign-in, against a
// challenge tied to the wallet's identification.

// userWallet finds one of the user's wallets.
func (s *Service) userWallet(ctx context.Context, userID, identID string) (store.Identification, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return store.Identification{}, translate(err)
	}
	for _, idn := range u.Identifications {
		if idn.ID == identID && idn.Type == store.TypeWallet {
			return idn, nil
		}
	}
	return store.Identification{}, apperr.NotFound()
}

// PrepareWeb3WalletVerification issues the message the wallet must sign.
func (s *Service) PrepareWeb3WalletVerification(ctx context.Context, clientID, userID, identID, strategy, ip string) error {
	if !s.web3Enabled(strategy) {
		return web3StrategyInvalid()
	}
	idn, err := s.userWallet(ctx, userID, identID)
	if err != nil {
		return err
	}
	if idn.Verified {
		return errVerificationUsed()
	}
	if err := s.limit(ctx, "code", ip, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return err
	}
	ver := s.newWeb3Verification(clientID, strategy, idn.Identifier, &idn.ID)
	return translate(s.store.Tx(ctx, func(tx *store.Tx) error { return tx.InsertVerification(ver) }))
}

// AttemptWeb3WalletVerification checks the signature of the latest message;
// a right one marks the wallet verified. Bad signatures count on the
// challenge (MaxCodeAttempts), on every replica.
func (s *Service) AttemptWeb3WalletVerification(ctx context.Context, userID, identID, signature, ip string) error {
	idn, err := s.userWallet(ctx, userID, identID)
	if err != nil {
		return err
	}
	if idn.Verified {
		return errVerificationUsed()
	}
	if signature == "" {
		return apperr.ParamMissing("signature")
	}
	if err := s.limit(ctx, "code", ip, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return err
	}
	latest, err := s.store.LatestVerificationFor(ctx, identID)
	if err != nil || !IsWeb3Strategy(latest.Strategy) {
		return apperr.New(apperr.KindInvalid, "verification_missing", "Request a message to sign first.",
			"Call prepare_verification with a Web3 strategy before attempting it.")
	}
	var outcome error
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		ver, err := tx.LockVerification(latest.ID)
		if err != nil {
			return err
		}
		if outcome, err = s.trySignature(tx, &ver, signature); err != nil || outcome != nil {
			return err
		}
		u, err := tx.LockUser(userID)
		if err != nil {
			return err
		}
		for i := range u.Identifications {
			if w := &u.Identifications[i]; w.ID == identID && !w.Verified {
				w.Verified, w.VerificationStrategy, w.UpdatedAt = true, &ver.Strategy, s.now()
				return tx.SaveIdentification(*w)
			}
		}
		return apperr.NotFound() // removed meanwhile
	})
	if err != nil {
		return translate(err)
	}
	return outcome
}

// PendingWeb3Verification is the open challenge of an added wallet (nil
// when none was issued or the wallet is proven) and the message to sign.
func (s *Service) PendingWeb3Verification(ctx context.Context, idn store.Identification) (*store.Verification, string) {
	if idn.Verified || idn.Type != store.TypeWallet {
		return nil, ""
	}
	ver, err := s.store.LatestVerificationFor(ctx, idn.ID)
	if err != nil || !IsWeb3Strategy(ver.Strategy) {
		return nil, ""
	}
	s.expire(&ver)
	return &ver, s.web3Nonce(ver)
}
