package signin

import (
	"context"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// Sign-in statuses, as Clerk names them.
const (
	NeedsIdentifier   = "needs_identifier"
	NeedsFirstFactor  = "needs_first_factor"
	NeedsSecondFactor = "needs_second_factor"
	NeedsNewPassword  = "needs_new_password"
	Complete          = "complete"
	Abandoned         = "abandoned"
)

// CreateSignInInput is the body of POST /v1/client/sign_ins.
type CreateSignInInput struct {
	Identifier  string
	Strategy    string // optional: password, email_code, email_link — start that factor at once
	Password    string
	RedirectURL string
	IP          string
}

// SignInView is a sign-in with what presenting it needs.
type SignInView struct {
	SignIn       store.SignIn
	Verification *store.Verification // the first-factor verification in progress, if any
	User         *store.User         // nil until the identifier names a real user
	Factors      []Factor            // supported first factors
	Nonce        string              // the message a wallet must sign (web3), or a passkey verification's request options (JSON)
	// The second factor (second_factor.go): its verification once
	// attempted, and the factors offered at needs_second_factor.
	SecondVerification *store.Verification
	SecondFactors      []SecondFactor
	// ExternalVerificationRedirectURL is the provider's authorization URL,
	// set only on the response that starts an OAuth sign-in.
	ExternalVerificationRedirectURL string
	// ExternalError is why the provider round trip failed (its first
	// factor status "failed").
	ExternalError *store.FlowError
}

// Factor is one way to complete the first factor.
type Factor struct {
	Strategy       string
	SafeIdentifier string
	// EmailAddressID is the opaque handle of the address the factor uses,
	// shown as email_address_id and sent back by prepare_first_factor. It is
	// not the identification's own id: that id embeds its creation time,
	// which would tell a real account from a stand-in (and date it).
	EmailAddressID string
	// PhoneNumberID is the same kind of handle for phone_code's number.
	PhoneNumberID string
	Primary       bool
	Web3WalletID  string // the wallet's opaque handle, for web3 strategies

	identificationID string // the user's real address; "" for a stand-in
}

// CreateSignIn starts a sign-in on the client. An identifier that matches
// nobody yields a sign-in that looks exactly like a real one and can never
// complete, so responses reveal nothing about who has an account.
func (s *Service) CreateSignIn(ctx context.Context, clientID string, in CreateSignInInput) (SignInView, error) {
	// A one-shot password sign-in is counted once, by the attempt itself.
	if err := s.limit(ctx, "sign_in", oneShotExempt(in), s.settings.Auth.RateLimits.SignInAttemptsPerMinute); err != nil {
		return SignInView{}, err
	}
	if err := s.checkNoActiveSession(ctx, clientID); err != nil {
		return SignInView{}, err
	}
	now := s.now()
	si := store.SignIn{ID: ids.New(ids.SignIn), ClientID: clientID, Status: NeedsIdentifier,
		AbandonAt: now.Add(AttemptTTL), CreatedAt: now, UpdatedAt: now}
	if in.Identifier != "" {
		kind, value, err := s.parseIdentifier(in.Identifier)
		if err != nil {
			return SignInView{}, err
		}
		if err := s.restrict.Check(ctx, identity.ForSignIn, kind, value); err != nil {
			return SignInView{}, err
		}
		u, err := s.findUser(ctx, kind, value)
		if err != nil {
			return SignInView{}, err
		}
		si.Identifier, si.Status = &value, NeedsFirstFactor
		if u != nil {
			if err := s.checkNotSignedIn(ctx, clientID, u.ID); err != nil {
				return SignInView{}, err
			}
			si.UserID = &u.ID
			for _, idn := range u.Identifications {
				if idn.Type == kind && idn.Identifier == value {
					si.IdentificationID = &idn.ID
				}
			}
		}
	}
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSignIn(si); err != nil {
			return err
		}
		c, err := tx.LockClient(clientID)
		if err != nil {
			return err
		}
		c.SignInID, c.UpdatedAt = &si.ID, now
		return tx.SaveClient(c)
	})
	if err != nil {
		return SignInView{}, translate(err)
	}
	switch in.Strategy {
	case "":
	case StrategyPassword:
		return s.AttemptFirstFactor(ctx, clientID, si.ID, AttemptInput{Strategy: StrategyPassword, Password: in.Password, IP: in.IP})
	case StrategyEmailCode, StrategyEmailLink, StrategyPhoneCode:
		return s.PrepareFirstFactor(ctx, clientID, si.ID, PrepareInput{Strategy: in.Strategy, RedirectURL: in.RedirectURL, IP: in.IP})
	case StrategyPasskey:
		return s.preparePasskey(ctx, clientID, si.ID, "")
	default:
		return SignInView{}, apperr.ParamValueInvalid("strategy", "strategy must be password, email_code, email_link or phone_code.")
	}
	return s.GetSignIn(ctx, clientID, si.ID)
}

// checkNoActiveSession refuses a second sign-in on a single-session client.
func (s *Service) checkNoActiveSession(ctx context.Context, clientID string) error {
	if s.sessions.Settings().MultiSession {
		return nil
	}
	sessions, err := s.store.SessionsByClient(ctx, clientID)
	if err != nil {
		return translate(err)
	}
	for _, sess := range sessions {
		if s.sessions.Status(sess) == session.StatusActive {
			return errSessionExists()
		}
	}
	return nil
}

// checkNotSignedIn refuses, in multi-session mode, a sign-in for a user who
// already has an active session on the client. Only that client learns
// anything from it, and it already holds the session.
func (s *Service) checkNotSignedIn(ctx context.Context, clientID, userID string) error {
	if !s.sessions.Settings().MultiSession {
		return nil
	}
	sessions, err := s.store.SessionsByClient(ctx, clientID)
	if err != nil {
		return translate(err)
	}
	for _, sess := range sessions {
		if sess.UserID == userID && s.sessions.Status(sess) == session.StatusActive {
			return errAlreadySignedIn(sess.ID)
		}
	}
	return nil
}

// GetSignIn loads a sign-in of the client with its presentation data.
func (s *Service) GetSignIn(ctx context.Context, clientID, id string) (SignInView, error) {
	si, err := s.store.GetSignIn(ctx, id)
	if err != nil || si.ClientID != clientID {
		return SignInView{}, apperr.NotFound()
	}
	return s.view(ctx, si)
}

func (s *Service) view(ctx context.Context, si store.SignIn) (SignInView, error) {
	v := SignInView{SignIn: si}
	if si.Status != Complete && !si.AbandonAt.After(s.now()) {
		v.SignIn.Status = Abandoned
	}
	if si.FirstFactorVerificationID != nil {
		ver, err := s.store.GetVerification(ctx, *si.FirstFactorVerificationID)
		if err == nil {
			s.expire(&ver)
			v.Verification = &ver
			v.Nonce = s.web3Nonce(ver)
			if v.Nonce == "" {
				v.Nonce = s.passkeyNonce(ctx, &ver)
			}
		}
	}
	if si.UserID != nil {
		u, err := s.store.GetUser(ctx, *si.UserID)
		if err == nil {
			v.User = &u
		}
	}
	v.Factors = s.factors(si, v.User)
	s.viewSecondFactor(ctx, &v)
	if si.FirstFactorStatus != nil && *si.FirstFactorStatus == "failed" && si.FirstFactorVerificationID == nil {
		if _, why, err := s.store.UpstreamOutcome(ctx, "sign_in_id", si.ID); err == nil {
			v.ExternalError = why
		}
	}
	return v, nil
}

// expire marks an unverified verification past its time as expired (for display).
func (s *Service) expire(v *store.Verification) {
	if v.Status == "unverified" && !v.ExpireAt.After(s.now()) {
		v.Status = "expired"
	}
}

// factors lists the first factors offered. It depends only on the instance
// settings and the identifier's kind — never on whether the account exists —
// with stand-ins, derived from the identifier, when it does not.
func (s *Service) factors(si store.SignIn, u *store.User) []Factor {
	if si.Identifier == nil {
		return nil
	}
	if isWalletIdentifier(si.Identifier) {
		return s.web3Factors(si)
	}
	ff := s.settings.Auth.FirstFactors
	var out []Factor
	if ff.Password {
		out = append(out, Factor{Strategy: StrategyPassword})
	}
	out = append(out, s.phoneFactors(si, u)...)
	if s.PasskeysEnabled() {
		out = append(out, Factor{Strategy: StrategyPasskey})
	}
	if !ff.EmailCode && !ff.EmailLink {
		return out
	}
	email, identID := s.factorEmail(si, u)
	emailID := ids.Derive(ids.Identification, s.secrets.Hash("factor-address:"+*si.Identifier))
	add := func(strategy string) {
		out = append(out, Factor{Strategy: strategy, SafeIdentifier: email, EmailAddressID: emailID, Primary: true,
			identificationID: identID})
	}
	if ff.EmailCode {
		add(StrategyEmailCode)
	}
	if ff.EmailLink {
		add(StrategyEmailLink)
	}
	if ff.Password && ff.EmailCode {
		add(StrategyResetPasswordEmailCode)
	}
	return out
}

// factorEmail picks the address codes and links go to: the one typed, or
// for a username or phone number the user's primary address, masked, with
// the id of the user's identification. An identifier that matches nobody,
// or a user without an address, gets a stand-in that looks the same and is
// stable for the identifier, and identID "": nothing is ever sent to it.
func (s *Service) factorEmail(si store.SignIn, u *store.User) (addr, identID string) {
	typed := *si.Identifier
	isEmail := containsAt(typed)
	if u != nil {
		for _, idn := range u.Identifications {
			if idn.Type != store.TypeEmail {
				continue
			}
			if isEmail && idn.Identifier == typed {
				return typed, idn.ID
			}
			if !isEmail && u.PrimaryEmailAddressID != nil && *u.PrimaryEmailAddressID == idn.ID {
				return maskEmail(idn.Identifier), idn.ID
			}
		}
	}
	if isEmail {
		return typed, ""
	}
	h := s.secrets.Hash("standin-domain:" + typed)
	first := typed[:1]
	if typed[0] == '+' { // a phone number: no letter of it would start an address
		first = string('a' + rune(h[1]%26))
	}
	return maskEmail(first + "@" + string('a'+rune(h[0]%26)) + ".com"), ""
}

func containsAt(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '@' {
			return true
		}
	}
	return false
}

// oneShotExempt is the IP to count a sign-in creation against: none when the
// same request goes on to a password attempt, which counts it.
func oneShotExempt(in CreateSignInInput) string {
	if in.Strategy == StrategyPassword {
		return ""
	}
	return in.IP
}
