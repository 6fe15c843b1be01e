package signin

import (
	"context"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// Sign-up with an Ethereum wallet: web3_wallet on the sign-up, then
// prepare_verification issues the message to sign and
// attempt_verification checks the signature, like an email code.

// signUpWalletIdents is the wallet a sign-up carries, for the restrictions.
func signUpWalletIdents(su store.SignUp) []identity.Ident {
	if su.Web3Wallet == nil {
		return nil
	}
	return []identity.Ident{{Kind: identity.KindWallet, Value: *su.Web3Wallet}}
}

// applySignUpWallet validates a wallet given to a sign-up; a changed one
// must be proven again.
func (s *Service) applySignUpWallet(ctx context.Context, su *store.SignUp, raw *string) error {
	if raw == nil {
		return nil
	}
	if !s.Web3Enabled() {
		return apperr.UnknownParam("web3_wallet")
	}
	v, err := identity.NormalizeWallet("web3_wallet", *raw)
	if err != nil {
		return err
	}
	if err := s.checkFree(ctx, identity.KindWallet, v, "web3_wallet", "wallet"); err != nil {
		return err
	}
	if su.Web3Wallet == nil || *su.Web3Wallet != v {
		su.Web3Wallet, su.Web3WalletVerificationID, su.Web3WalletVerifiedAt = &v, nil, nil
	}
	return nil
}

// loadWeb3SignUpView adds the wallet's challenge to a sign-up view.
func (s *Service) loadWeb3SignUpView(ctx context.Context, v *SignUpView) {
	if v.SignUp.Web3WalletVerificationID == nil {
		return
	}
	if ver, err := s.store.GetVerification(ctx, *v.SignUp.Web3WalletVerificationID); err == nil {
		s.expire(&ver)
		v.Web3Verification, v.Web3Nonce = &ver, s.web3Nonce(ver)
	}
}

// PrepareWeb3SignUp issues the message the sign-up's wallet must sign.
func (s *Service) PrepareWeb3SignUp(ctx context.Context, clientID, id, strategy, ip string) (SignUpView, error) {
	if !s.web3Enabled(strategy) {
		return SignUpView{}, web3StrategyInvalid()
	}
	if err := s.limit(ctx, "code", ip, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return SignUpView{}, err
	}
	if _, err := s.GetSignUp(ctx, clientID, id); err != nil {
		return SignUpView{}, err
	}
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		su, err := tx.LockSignUp(id)
		if err != nil {
			return err
		}
		if su.Status != MissingRequirements {
			return errSignUpClosed(su.Status)
		}
		if su.Web3Wallet == nil {
			return apperr.New(apperr.KindInvalid, "form_param_missing", "is missing",
				"Set web3_wallet on the sign-up before preparing its verification.").WithParam("web3_wallet")
		}
		if su.Web3WalletVerifiedAt != nil {
			return errVerificationUsed()
		}
		ver := s.newWeb3Verification(clientID, strategy, *su.Web3Wallet, nil)
		if err := tx.InsertVerification(ver); err != nil {
			return err
		}
		su.Web3WalletVerificationID, su.UpdatedAt = &ver.ID, s.now()
		return tx.SaveSignUp(su)
	})
	if err != nil {
		return SignUpView{}, translate(err)
	}
	return s.GetSignUp(ctx, clientID, id)
}

// AttemptWeb3SignUp checks the signature; a right one proves the wallet and
// completes the sign-up if nothing else is missing.
func (s *Service) AttemptWeb3SignUp(ctx context.Context, clientID, id, strategy, signature, ip string) (SignUpView, error) {
	if !s.web3Enabled(strategy) {
		return SignUpView{}, web3StrategyInvalid()
	}
	if err := s.limit(ctx, "code", ip, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return SignUpView{}, err
	}
	if signature == "" {
		return SignUpView{}, apperr.ParamMissing("signature")
	}
	if _, err := s.GetSignUp(ctx, clientID, id); err != nil {
		return SignUpView{}, err
	}
	var outcome error
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		su, err := tx.LockSignUp(id)
		if err != nil {
			return err
		}
		if su.Status != MissingRequirements {
			return errSignUpClosed(su.Status)
		}
		if su.Web3WalletVerificationID == nil {
			outcome = apperr.New(apperr.KindInvalid, "verification_missing", "Request a message to sign first.",
				"Call prepare_verification with this strategy before attempting it.")
			return nil
		}
		ver, err := tx.LockVerification(*su.Web3WalletVerificationID)
		if err != nil {
			return err
		}
		if ver.Strategy != strategy {
			outcome = apperr.ParamValueInvalid("strategy", "strategy must be the one the verification was prepared with.")
			return nil
		}
		if outcome, err = s.trySignature(tx, &ver, signature); err != nil || outcome != nil {
			return err
		}
		now := s.now()
		su.Web3WalletVerifiedAt, su.UpdatedAt = &now, now
		if err := tx.SaveSignUp(su); err != nil {
			return err
		}
		return s.tryCompleteSignUp(tx, &su)
	})
	if err != nil {
		return SignUpView{}, translate(err)
	}
	if outcome != nil {
		return SignUpView{}, outcome
	}
	return s.GetSignUp(ctx, clientID, id)
}

// addSignUpWallet gives the new user the sign-up's proven wallet.
func (s *Service) addSignUpWallet(tx *store.Tx, su *store.SignUp, u *store.User) error {
	if su.Web3Wallet == nil || su.Web3WalletVerifiedAt == nil {
		return nil
	}
	strategy := ""
	if su.Web3WalletVerificationID != nil {
		ver, err := tx.LockVerification(*su.Web3WalletVerificationID)
		if err != nil {
			return err
		}
		strategy = ver.Strategy
	}
	now := s.now()
	u.Identifications = append(u.Identifications, store.Identification{ID: ids.New(ids.Identification), UserID: u.ID,
		Type: identity.KindWallet, Identifier: *su.Web3Wallet, Verified: true, VerificationStrategy: &strategy,
		CreatedAt: now, UpdatedAt: now})
	return nil
}
