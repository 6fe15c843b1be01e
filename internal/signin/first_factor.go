package signin

import (
	"context"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/store"
)

// First-factor strategies.
const (
	StrategyPassword               = "password"
	StrategyEmailCode              = "email_code"
	StrategyEmailLink              = "email_link"
	StrategyResetPasswordEmailCode = "reset_password_email_code"
)

// PrepareInput is the body of prepare_first_factor.
type PrepareInput struct {
	Strategy       string
	EmailAddressID string
	PhoneNumberID  string
	RedirectURL    string
	IP             string
}

// AttemptInput is the body of attempt_first_factor.
type AttemptInput struct {
	Strategy string
	Password string
	Code     string
	IP       string
	// PublicKeyCredential is the browser's assertion as JSON (strategy passkey).
	PublicKeyCredential string
}

func (s *Service) strategyEnabled(strategy string) bool {
	ff := s.settings.Auth.FirstFactors
	switch strategy {
	case StrategyPassword:
		return ff.Password
	case StrategyEmailCode:
		return ff.EmailCode
	case StrategyEmailLink:
		return ff.EmailLink
	case StrategyResetPasswordEmailCode:
		return ff.Password && ff.EmailCode
	case StrategyPhoneCode:
		return ff.PhoneCode && s.texter != nil
	}
	return false
}

func strategyInvalid() error {
	return apperr.ParamValueInvalid("strategy", "This strategy is not enabled for sign-in on this instance.")
}

// loadForFactor loads a sign-in of the client that is waiting for its first factor.
func (s *Service) loadForFactor(ctx context.Context, clientID, id string, want string) (SignInView, error) {
	v, err := s.GetSignIn(ctx, clientID, id)
	if err != nil {
		return v, err
	}
	if v.SignIn.Status != want {
		return v, apperr.New(apperr.KindInvalid, "sign_in_status_invalid", "This sign-in cannot do that now.",
			"The sign-in is "+v.SignIn.Status+"; start a new sign-in or follow its current step.")
	}
	return v, nil
}

// PrepareFirstFactor sends a code or link for the chosen strategy. For an
// identifier that matches nobody it answers the same, and sends nothing.
func (s *Service) PrepareFirstFactor(ctx context.Context, clientID, id string, in PrepareInput) (SignInView, error) {
	if in.Strategy == StrategyPhoneCode {
		return s.preparePhoneFirstFactor(ctx, clientID, id, in)
	}
	if in.Strategy == StrategyPasskey {
		return s.preparePasskey(ctx, clientID, id, in.IP)
	}
	if in.Strategy != StrategyEmailCode && in.Strategy != StrategyEmailLink && in.Strategy != StrategyResetPasswordEmailCode {
		return SignInView{}, apperr.ParamValueInvalid("strategy", "strategy must be email_code, email_link or reset_password_email_code.")
	}
	if !s.strategyEnabled(in.Strategy) {
		return SignInView{}, strategyInvalid()
	}
	v, err := s.loadForFactor(ctx, clientID, id, NeedsFirstFactor)
	if err != nil {
		return v, err
	}
	var factor *Factor
	for i := range v.Factors {
		if v.Factors[i].Strategy == in.Strategy {
			factor = &v.Factors[i]
		}
	}
	if factor == nil {
		return v, strategyInvalid()
	}
	if in.EmailAddressID != "" && in.EmailAddressID != factor.EmailAddressID {
		return v, apperr.ParamValueInvalid("email_address_id", "email_address_id is not an address of this sign-in.")
	}
	if in.Strategy == StrategyEmailLink && (in.RedirectURL == "" || !s.settings.AllowedRedirect(in.RedirectURL)) {
		return v, apperr.ParamValueInvalid("redirect_url", "redirect_url must be a URL on an allowed origin.")
	}
	if err := s.limit(ctx, "email", in.IP, s.settings.Auth.RateLimits.EmailsPerMinute); err != nil {
		return v, err
	}
	// A real recipient only when the identifier is a real user's address.
	var to string
	var identID *string
	if v.User != nil {
		for _, idn := range v.User.Identifications {
			if factor.identificationID != "" && idn.ID == factor.identificationID {
				to, identID = idn.Identifier, &idn.ID
			}
		}
	}
	secret, msg := NewCode(), notify.Message{To: to, TTL: CodeTTL}
	switch in.Strategy {
	case StrategyEmailCode:
		msg.Kind, msg.Code = notify.KindSignInCode, secret
	case StrategyResetPasswordEmailCode:
		msg.Kind, msg.Code = notify.KindPasswordResetCode, secret
	case StrategyEmailLink:
		secret = NewLinkToken()
		msg.Kind, msg.URL, msg.TTL = notify.KindSignInLink, s.linkURL(secret), LinkTTL
	}
	now := s.now()
	ver := store.Verification{ID: ids.New(ids.Verification), ClientID: clientID, Strategy: in.Strategy,
		Status: "unverified", Identifier: &factor.SafeIdentifier, IdentificationID: identID,
		SecretHash: s.secrets.Hash(secret), ExpireAt: now.Add(msg.TTL), CreatedAt: now}
	if in.Strategy == StrategyEmailLink {
		ver.RedirectURL = &in.RedirectURL
	}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, err := tx.LockSignIn(id)
		if err != nil {
			return err
		}
		if err := tx.InsertVerification(ver); err != nil {
			return err
		}
		si.FirstFactorVerificationID, si.FirstFactorStrategy, si.UpdatedAt = &ver.ID, &in.Strategy, now
		if err := tx.SaveSignIn(si); err != nil {
			return err
		}
		if to == "" {
			return nil
		}
		return s.mailer.Enqueue(ctx, tx.Raw(), msg)
	})
	if err != nil {
		return v, translate(err)
	}
	s.mailer.Kick()
	return s.GetSignIn(ctx, clientID, id)
}

func (s *Service) linkURL(token string) string {
	return s.settings.PublicURL + "/v1/verify?token=" + token
}

// AttemptFirstFactor checks a password or a code.
func (s *Service) AttemptFirstFactor(ctx context.Context, clientID, id string, in AttemptInput) (SignInView, error) {
	switch in.Strategy {
	case StrategyPassword:
		if !s.strategyEnabled(in.Strategy) {
			return SignInView{}, strategyInvalid()
		}
		return s.attemptPassword(ctx, clientID, id, in)
	case StrategyEmailCode, StrategyResetPasswordEmailCode, StrategyPhoneCode:
		if !s.strategyEnabled(in.Strategy) {
			return SignInView{}, strategyInvalid()
		}
		return s.attemptCode(ctx, clientID, id, in)
	case StrategyPasskey:
		return s.attemptPasskey(ctx, clientID, id, in)
	}
	return SignInView{}, apperr.ParamValueInvalid("strategy", "strategy must be password, email_code, phone_code or reset_password_email_code.")
}
