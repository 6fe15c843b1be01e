package signin

import (
	"context"
	"time"

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

// signUpCodeChannel is what differs between proving a sign-up's email
// address and its phone number with a code: which verification is pending
// and where the proof is recorded.
type signUpCodeChannel struct {
	strategy string
	pending  func(*store.SignUp) *string
	proved   func(*store.SignUp, *time.Time)
}

var (
	emailCodeChannel = signUpCodeChannel{StrategyEmailCode,
		func(su *store.SignUp) *string { return su.EmailVerificationID },
		func(su *store.SignUp, at *time.Time) { su.EmailVerifiedAt = at }}
	phoneCodeChannel = signUpCodeChannel{StrategyPhoneCode,
		func(su *store.SignUp) *string { return su.PhoneVerificationID },
		func(su *store.SignUp, at *time.Time) { su.PhoneVerifiedAt = at }}
)

// AttemptSignUpVerification checks an emailed or texted code; a right code
// verifies the address or number and completes the sign-up if nothing else
// is missing.
func (s *Service) AttemptSignUpVerification(ctx context.Context, clientID, id, strategy, code, ip string) (SignUpView, error) {
	var ch signUpCodeChannel
	switch strategy {
	case StrategyEmailCode:
		ch = emailCodeChannel
	case StrategyPhoneCode:
		ch = phoneCodeChannel
	default:
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
		pending := ch.pending(&su)
		if pending == nil {
			outcome = apperr.New(apperr.KindInvalid, "verification_missing", "Request a code first.",
				"Call prepare_verification with strategy "+ch.strategy+" before attempting it.")
			return nil
		}
		ver, err := tx.LockVerification(*pending)
		if err != nil {
			return err
		}
		if ver.Strategy != ch.strategy {
			outcome = apperr.New(apperr.KindInvalid, "verification_missing", "Request a code first.",
				"The pending verification is not a code.")
			return nil
		}
		ok, cerr := s.checkCode(&ver, code, false)
		if err := tx.SaveVerification(ver); err != nil {
			return err
		}
		if cerr != nil || !ok {
			outcome = refusal(cerr, ver, errCodeIncorrect())
			return nil
		}
		ch.proved(&su, ver.VerifiedAt)
		su.UpdatedAt = s.now()
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
