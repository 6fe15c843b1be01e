package signin

import (
	"context"
	"encoding/hex"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// Sign-in with an Ethereum wallet. prepare issues a message holding a
// nonce; the wallet signs it with personal_sign (EIP-191); attempt
// recovers the signer from the signature and accepts it only if it is the
// wallet the sign-in is for. The challenge is a verification row in
// Postgres: single use through its status, dead at its expire_at or after
// MaxCodeAttempts bad signatures. The nonce is derived from the
// verification's id under the server key, so the database holds only its
// hash and a new verification always means a new message.

// IsWeb3Strategy reports whether strategy is one of the wallet signatures.
func IsWeb3Strategy(strategy string) bool {
	return strings.HasPrefix(strategy, "web3_") && strings.HasSuffix(strategy, "_signature")
}

func (s *Service) web3Enabled(strategy string) bool { return s.settings.Auth.Web3.Enabled(strategy) }

// Web3Enabled reports whether any wallet strategy is on.
func (s *Service) Web3Enabled() bool { return len(s.settings.Auth.Web3.Strategies) > 0 }

func web3StrategyInvalid() error {
	return apperr.ParamValueInvalid("strategy", "This Web3 strategy is not enabled on this instance.")
}

func errSignatureInvalid() error {
	return apperr.New(apperr.KindInvalid, "web3_signature_invalid", "The signature is invalid.",
		"The signature does not prove control of this wallet: sign the latest message (nonce) with the wallet's key.").
		WithParam("signature")
}

// web3Message is the text the wallet signs for verification ver.
func (s *Service) web3Message(ver store.Verification) string {
	nonce := hex.EncodeToString(s.secrets.Hash("web3-nonce:" + ver.ID))[:32]
	host := s.settings.PublicURL
	if _, rest, ok := strings.Cut(host, "://"); ok {
		host = rest
	}
	wallet := ""
	if ver.Identifier != nil {
		wallet = *ver.Identifier
	}
	return host + " asks you to sign in with your Ethereum account:\n" + wallet + "\n\nNonce: " + nonce
}

// web3Nonce is the message to show for a verification still waiting for
// its signature, else "".
func (s *Service) web3Nonce(ver store.Verification) string {
	if !IsWeb3Strategy(ver.Strategy) || ver.Status != "unverified" {
		return ""
	}
	return s.web3Message(ver)
}

// newWeb3Verification makes the challenge for wallet; identID is the
// wallet's identification when it is a real user's.
func (s *Service) newWeb3Verification(clientID, strategy, wallet string, identID *string) store.Verification {
	now := s.now()
	ver := store.Verification{ID: ids.New(ids.Verification), ClientID: clientID, Strategy: strategy,
		Status: "unverified", Identifier: &wallet, IdentificationID: identID, ExpireAt: now.Add(CodeTTL), CreatedAt: now}
	ver.SecretHash = s.secrets.Hash(s.web3Message(ver))
	return ver
}

// checkSignature checks a signature against a locked challenge and records
// the outcome on it, like checkCode: a used, failed or expired challenge
// refuses every signature, and each bad one counts.
func (s *Service) checkSignature(ver *store.Verification, signature string) (bool, error) {
	switch {
	case ver.Status == "verified":
		return false, errVerificationUsed()
	case ver.Status == "failed" || ver.Attempts >= MaxCodeAttempts:
		return false, errVerificationFailed()
	case !ver.ExpireAt.After(s.now()):
		ver.Status = "expired"
		return false, errVerificationExpired()
	}
	msg := s.web3Message(*ver)
	signer, err := identity.RecoverPersonalSigner(msg, signature)
	if err != nil || ver.Identifier == nil || !strings.EqualFold(signer, *ver.Identifier) || !s.secrets.Equal(msg, ver.SecretHash) {
		ver.Attempts++
		if ver.Attempts >= MaxCodeAttempts {
			ver.Status = "failed"
		}
		return false, nil
	}
	now := s.now()
	ver.Status, ver.VerifiedAt = "verified", &now
	return true, nil
}

// trySignature checks a signature against the locked challenge ver and
// saves the outcome; refused is the answer for a signature not accepted
// (its own error, a challenge now failed, or a wrong signature).
func (s *Service) trySignature(tx *store.Tx, ver *store.Verification, signature string) (refused, err error) {
	ok, cerr := s.checkSignature(ver, signature)
	if err := tx.SaveVerification(*ver); err != nil {
		return nil, err
	}
	if cerr != nil || !ok {
		return refusal(cerr, *ver, errSignatureInvalid()), nil
	}
	return nil, nil
}

// isWalletIdentifier tells a sign-in by wallet from the others.
func isWalletIdentifier(identifier *string) bool {
	return identifier != nil && identity.IsWalletAddress(*identifier)
}

// web3Factors offers the enabled wallet strategies for a wallet identifier.
// Like the email factors, web3_wallet_id is an opaque handle derived from
// the identifier, the same whether or not an account has the wallet.
func (s *Service) web3Factors(si store.SignIn) []Factor {
	walletID := ids.Derive(ids.Identification, s.secrets.Hash("factor-wallet:"+strings.ToLower(*si.Identifier)))
	var out []Factor
	for _, strategy := range s.settings.Auth.Web3.Strategies {
		out = append(out, Factor{Strategy: strategy, SafeIdentifier: *si.Identifier, Web3WalletID: walletID})
	}
	return out
}

// PrepareWeb3FirstFactor issues the message to sign for a wallet sign-in.
// An unknown wallet gets a challenge that looks the same.
func (s *Service) PrepareWeb3FirstFactor(ctx context.Context, clientID, id, strategy, web3WalletID, ip string) (SignInView, error) {
	if !s.web3Enabled(strategy) {
		return SignInView{}, web3StrategyInvalid()
	}
	if err := s.limit(ctx, "code", ip, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return SignInView{}, err
	}
	v, err := s.loadForFactor(ctx, clientID, id, NeedsFirstFactor)
	if err != nil {
		return v, err
	}
	if !isWalletIdentifier(v.SignIn.Identifier) {
		return v, strategyInvalid()
	}
	var factor *Factor
	for i := range v.Factors {
		if v.Factors[i].Strategy == strategy {
			factor = &v.Factors[i]
		}
	}
	if factor == nil {
		return v, strategyInvalid()
	}
	if web3WalletID != "" && web3WalletID != factor.Web3WalletID {
		return v, apperr.ParamValueInvalid("web3_wallet_id", "web3_wallet_id is not the wallet of this sign-in.")
	}
	ver := s.newWeb3Verification(clientID, strategy, *v.SignIn.Identifier, v.SignIn.IdentificationID)
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, err := tx.LockSignIn(id)
		if err != nil {
			return err
		}
		if err := tx.InsertVerification(ver); err != nil {
			return err
		}
		si.FirstFactorVerificationID, si.FirstFactorStrategy, si.UpdatedAt = &ver.ID, &strategy, s.now()
		return tx.SaveSignIn(si)
	})
	if err != nil {
		return v, translate(err)
	}
	return s.GetSignIn(ctx, clientID, id)
}

// AttemptWeb3FirstFactor checks the wallet's signature of the prepared
// message and, if it proves the wallet of a user, completes the sign-in.
func (s *Service) AttemptWeb3FirstFactor(ctx context.Context, clientID, id, strategy, signature, ip string) (SignInView, error) {
	if !s.web3Enabled(strategy) {
		return SignInView{}, web3StrategyInvalid()
	}
	if err := s.limit(ctx, "code", ip, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return SignInView{}, err
	}
	if signature == "" {
		return SignInView{}, apperr.ParamMissing("signature")
	}
	v, err := s.loadForFactor(ctx, clientID, id, NeedsFirstFactor)
	if err != nil {
		return v, err
	}
	var outcome error
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, ver, refused, err := lockFirstFactor(tx, id, strategy, apperr.New(apperr.KindInvalid, "verification_missing",
			"Request a message to sign first.", "Call prepare_first_factor with this strategy before attempting it."))
		if err != nil || refused != nil {
			outcome = refused
			return err
		}
		if outcome, err = s.trySignature(tx, &ver, signature); err != nil || outcome != nil {
			return err
		}
		if si.UserID == nil || ver.IdentificationID == nil {
			// Only the wallet's owner gets this far, so saying that no
			// account has the wallet tells nobody else anything.
			outcome = apperr.New(apperr.KindInvalid, "form_identifier_not_found", "Couldn't find your account.",
				"No account has this wallet. Sign up with it first.").WithParam("identifier")
			return nil
		}
		u, err := tx.LockUser(*si.UserID)
		if err != nil {
			return err
		}
		si.FirstFactorStatus, si.UpdatedAt = strp("verified"), s.now()
		u.FailedVerificationAttempts = 0
		return s.completeSignIn(tx, &si, &u, strategy)
	})
	if err != nil {
		return v, translate(err)
	}
	if outcome != nil {
		return v, outcome
	}
	return s.GetSignIn(ctx, clientID, id)
}
