package signin

import (
	"context"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/store"
)

// PrepareSignUpVerification sends a code or link to the sign-up's email.
func (s *Service) PrepareSignUpVerification(ctx context.Context, clientID, id, strategy, redirectURL, ip string) (SignUpView, error) {
	if strategy == StrategyPhoneCode {
		return s.preparePhoneSignUp(ctx, clientID, id, ip)
	}
	if strategy != StrategyEmailCode && strategy != StrategyEmailLink {
		return SignUpView{}, apperr.ParamValueInvalid("strategy", "strategy must be email_code, email_link or phone_code.")
	}
	if strategy == StrategyEmailLink && (redirectURL == "" || !s.settings.AllowedRedirect(redirectURL)) {
		return SignUpView{}, apperr.ParamValueInvalid("redirect_url", "redirect_url must be a URL on an allowed origin.")
	}
	v, err := s.GetSignUp(ctx, clientID, id)
	if err != nil {
		return v, err
	}
	if v.SignUp.Status != MissingRequirements {
		return v, errSignUpClosed(v.SignUp.Status)
	}
	if v.SignUp.EmailAddress == nil {
		return v, apperr.ParamMissing("email_address")
	}
	if v.SignUp.EmailVerifiedAt != nil {
		return v, errVerificationUsed()
	}
	if err := s.limit(ctx, "email", ip, s.settings.Auth.RateLimits.EmailsPerMinute); err != nil {
		return v, err
	}
	to := *v.SignUp.EmailAddress
	secret, msg := NewCode(), notify.Message{Kind: notify.KindVerificationCode, To: to, TTL: CodeTTL}
	msg.Code = secret
	if strategy == StrategyEmailLink {
		secret = NewLinkToken()
		msg = notify.Message{Kind: notify.KindSignInLink, To: to, URL: s.linkURL(secret), TTL: LinkTTL}
	}
	now := s.now()
	ver := store.Verification{ID: ids.New(ids.Verification), ClientID: clientID, Strategy: strategy,
		Status: "unverified", Identifier: &to, SecretHash: s.secrets.Hash(secret), ExpireAt: now.Add(msg.TTL), CreatedAt: now}
	if strategy == StrategyEmailLink {
		ver.RedirectURL = &redirectURL
	}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		su, err := tx.LockSignUp(id)
		if err != nil {
			return err
		}
		if su.Status != MissingRequirements || su.EmailAddress == nil || *su.EmailAddress != to {
			return errSignUpClosed(su.Status)
		}
		if err := tx.InsertVerification(ver); err != nil {
			return err
		}
		su.EmailVerificationID, su.UpdatedAt = &ver.ID, now
		if err := tx.SaveSignUp(su); err != nil {
			return err
		}
		return s.mailer.Enqueue(ctx, tx.Raw(), msg)
	})
	if err != nil {
		return v, translate(err)
	}
	s.mailer.Kick()
	return s.GetSignUp(ctx, clientID, id)
}

// AttemptSignUpVerification checks the emailed code; a right code verifies
// the address and completes the sign-up if nothing else is missing.
func (s *Service) AttemptSignUpVerification(ctx context.Context, clientID, id, strategy, code, ip string) (SignUpView, error) {
	if strategy == StrategyPhoneCode {
		return s.attemptPhoneSignUp(ctx, clientID, id, code, ip)
	}
	if strategy != StrategyEmailCode {
		return SignUpView{}, apperr.ParamValueInvalid("strategy", "strategy must be email_code or phone_code.")
	}
	if code == "" {
		return SignUpView{}, apperr.ParamMissing("code")
	}
	if err := s.limit(ctx, "code", ip, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return SignUpView{}, err
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
			outcome = errVerificationUsed()
			return nil
		}
		if su.EmailVerificationID == nil {
			outcome = apperr.New(apperr.KindInvalid, "verification_missing", "Request a code first.",
				"Call prepare_verification before attempting it.")
			return nil
		}
		ver, err := tx.LockVerification(*su.EmailVerificationID)
		if err != nil {
			return err
		}
		if ver.Strategy != StrategyEmailCode {
			outcome = apperr.New(apperr.KindInvalid, "verification_missing", "Request a code first.",
				"The pending verification is not a code.")
			return nil
		}
		ok, cerr := s.checkCode(&ver, code, false)
		if err := tx.SaveVerification(ver); err != nil {
			return err
		}
		if cerr != nil || !ok {
			outcome = cerr
			if outcome == nil {
				outcome = errCodeIncorrect()
				if ver.Status == "failed" {
					outcome = errVerificationFailed()
				}
			}
			return nil
		}
		su.EmailVerifiedAt, su.UpdatedAt = ver.VerifiedAt, s.now()
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
