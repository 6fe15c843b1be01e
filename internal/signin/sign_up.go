package signin

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/identity/password"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// Sign-up statuses.
const (
	MissingRequirements = "missing_requirements"
)

// SignUpInput is the body of POST/PATCH /v1/client/sign_ups. Nil means absent.
type SignUpInput struct {
	EmailAddress, PhoneNumber, Username, Password, FirstName, LastName *string
	UnsafeMetadata                                                     json.RawMessage
	Web3Wallet                                                         *string
	Ticket                                                             *string // an invitation's __clerk_ticket
	LegalAccepted                                                      bool
	Strategy                                                           string // optional: email_code or email_link, prepared at once
	RedirectURL                                                        string
	IP                                                                 string
}

// SignUpView is a sign-up with its requirement lists.
type SignUpView struct {
	SignUp       store.SignUp
	PasswordSet  bool // the sign-up (or, once complete, its user) has a password
	Verification *store.Verification
	// PhoneVerification is the phone number's code in progress, if any.
	PhoneVerification *store.Verification
	Required          []string
	Optional          []string
	Missing           []string
	Unverified        []string
	// Web3Verification is the wallet's signature challenge, Web3Nonce its message.
	Web3Verification *store.Verification
	Web3Nonce        string
	// ExternalStatus is the provider round trip's state for a sign-up
	// through a provider ("" otherwise); ExternalVerificationRedirectURL is
	// set only on the response that starts it.
	ExternalStatus                  string
	ExternalVerificationRedirectURL string
	// ExternalError is why the round trip failed (ExternalStatus "failed").
	ExternalError *store.FlowError
}

// CreateSignUp starts a sign-up and completes it at once if nothing is missing.
func (s *Service) CreateSignUp(ctx context.Context, clientID string, in SignUpInput) (SignUpView, error) {
	if err := s.limit(ctx, "sign_up", in.IP, s.settings.Auth.RateLimits.SignInAttemptsPerMinute); err != nil {
		return SignUpView{}, err
	}
	if err := s.checkNoActiveSession(ctx, clientID); err != nil {
		return SignUpView{}, err
	}
	now := s.now()
	su := store.SignUp{ID: ids.New(ids.SignUp), ClientID: clientID, Status: MissingRequirements,
		UnsafeMetadata: json.RawMessage(`{}`), AbandonAt: now.Add(AttemptTTL), CreatedAt: now, UpdatedAt: now}
	if err := s.applySignUp(ctx, &su, in); err != nil {
		return SignUpView{}, err
	}
	if err := s.applyTicket(ctx, &su, in); err != nil {
		return SignUpView{}, err
	}
	if err := s.checkSignUpRestrictions(ctx, nil, su); err != nil {
		return SignUpView{}, err
	}
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSignUp(su); err != nil {
			return err
		}
		c, err := tx.LockClient(clientID)
		if err != nil {
			return err
		}
		c.SignUpID, c.UpdatedAt = &su.ID, now
		if err := tx.SaveClient(c); err != nil {
			return err
		}
		return s.tryCompleteSignUp(tx, &su)
	})
	if err != nil {
		return SignUpView{}, translate(err)
	}
	return s.afterSignUpChange(ctx, clientID, su.ID, in)
}

// UpdateSignUp changes fields of a sign-up in progress.
func (s *Service) UpdateSignUp(ctx context.Context, clientID, id string, in SignUpInput) (SignUpView, error) {
	if _, err := s.GetSignUp(ctx, clientID, id); err != nil {
		return SignUpView{}, err
	}
	var draft store.SignUp
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		su, err := tx.LockSignUp(id)
		if err != nil {
			return err
		}
		if su.Status != MissingRequirements {
			return errSignUpClosed(su.Status)
		}
		draft = su
		return nil
	})
	if err != nil {
		return SignUpView{}, translate(err)
	}
	// Validate and hash outside the lock; apply under it.
	if err := s.applySignUp(ctx, &draft, in); err != nil {
		return SignUpView{}, err
	}
	if err := s.applyTicket(ctx, &draft, in); err != nil {
		return SignUpView{}, err
	}
	if err := s.checkSignUpRestrictions(ctx, nil, draft); err != nil {
		return SignUpView{}, err
	}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		su, err := tx.LockSignUp(id)
		if err != nil {
			return err
		}
		if su.Status != MissingRequirements {
			return errSignUpClosed(su.Status)
		}
		draft.UpdatedAt = s.now()
		if err := tx.SaveSignUp(draft); err != nil {
			return err
		}
		return s.tryCompleteSignUp(tx, &draft)
	})
	if err != nil {
		return SignUpView{}, translate(err)
	}
	return s.afterSignUpChange(ctx, clientID, id, in)
}

func (s *Service) afterSignUpChange(ctx context.Context, clientID, id string, in SignUpInput) (SignUpView, error) {
	if in.Strategy != "" && in.Strategy != StrategyTicket {
		return s.PrepareSignUpVerification(ctx, clientID, id, in.Strategy, in.RedirectURL, in.IP)
	}
	return s.GetSignUp(ctx, clientID, id)
}

func errSignUpClosed(status string) error {
	return apperr.New(apperr.KindInvalid, "sign_up_status_invalid", "This sign-up cannot be changed.",
		"The sign-up is "+status+"; start a new one.")
}

// applySignUp validates the given fields onto su. A changed email address
// must be verified again.
func (s *Service) applySignUp(ctx context.Context, su *store.SignUp, in SignUpInput) error {
	ids := s.settings.Auth.Identifiers
	if in.EmailAddress != nil {
		if !ids.EmailAddress.Enabled {
			return apperr.UnknownParam("email_address")
		}
		v, err := identity.NormalizeEmail("email_address", *in.EmailAddress)
		if err != nil {
			return err
		}
		if err := s.checkFree(ctx, store.TypeEmail, v, "email_address", "email address"); err != nil {
			return err
		}
		if su.InvitationID != nil && su.EmailAddress != nil && *su.EmailAddress != v {
			return errInvitedEmailFixed()
		}
		if su.EmailAddress == nil || *su.EmailAddress != v {
			su.EmailAddress, su.EmailVerifiedAt, su.EmailVerificationID = &v, nil, nil
		}
	}
	if in.PhoneNumber != nil {
		if !ids.PhoneNumber.Enabled {
			return apperr.UnknownParam("phone_number")
		}
		v, err := identity.NormalizePhone("phone_number", *in.PhoneNumber)
		if err != nil {
			return err
		}
		if err := s.checkFree(ctx, store.TypePhone, v, "phone_number", "phone number"); err != nil {
			return err
		}
		if err := s.CheckSMSCountry("phone_number", v); err != nil {
			return err
		}
		if su.PhoneNumber == nil || *su.PhoneNumber != v {
			su.PhoneNumber, su.PhoneVerifiedAt, su.PhoneVerificationID = &v, nil, nil
		}
	}
	if err := s.applySignUpWallet(ctx, su, in.Web3Wallet); err != nil {
		return err
	}
	if in.Username != nil {
		if !ids.Username.Enabled {
			return apperr.UnknownParam("username")
		}
		v, err := identity.NormalizeUsername(*in.Username)
		if err != nil {
			return err
		}
		if err := s.checkFree(ctx, "username", v, "username", "username"); err != nil {
			return err
		}
		su.Username = &v
	}
	for _, f := range []struct {
		param, setting string
		in             *string
		dst            **string
	}{{"first_name", s.settings.Auth.SignUp.FirstName, in.FirstName, &su.FirstName}, {"last_name", s.settings.Auth.SignUp.LastName, in.LastName, &su.LastName}} {
		if f.in == nil {
			continue
		}
		if f.setting == "off" {
			return apperr.UnknownParam(f.param)
		}
		v, err := identity.CleanName(f.param, f.in)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	if in.UnsafeMetadata != nil {
		m, err := identity.ValidMetadata("unsafe_metadata", in.UnsafeMetadata)
		if err != nil {
			return err
		}
		su.UnsafeMetadata = m
	}
	if in.LegalAccepted {
		now := s.now()
		su.LegalAcceptedAt = &now
	}
	if in.Password != nil {
		if !s.settings.Auth.FirstFactors.Password {
			return apperr.UnknownParam("password")
		}
		if err := password.Check(*in.Password); err != nil {
			return identity.PasswordPolicyError(err)
		}
		d, err := s.hasher.Hash(ctx, *in.Password)
		if err != nil {
			return apperr.Internal(err, "hash password")
		}
		su.PasswordDigest = &d
	}
	return nil
}

// checkFree refuses an identifier that an existing user already has.
func (s *Service) checkFree(ctx context.Context, typ, value, param, what string) error {
	_, err := s.store.UserIDByIdentifier(ctx, typ, value)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return translate(err)
	}
	return apperr.IdentifierExists(param, what)
}

// requirements computes Clerk's field lists for a sign-up.
func (s *Service) requirements(su store.SignUp) (required, optional, missing, unverified []string) {
	a := s.settings.Auth
	add := func(name string, enabled, req, present bool) {
		if !enabled {
			return
		}
		if req {
			required = append(required, name)
			if !present {
				missing = append(missing, name)
			}
		} else {
			optional = append(optional, name)
		}
	}
	add("email_address", a.Identifiers.EmailAddress.Enabled, a.Identifiers.EmailAddress.Required, su.EmailAddress != nil)
	add("phone_number", a.Identifiers.PhoneNumber.Enabled, a.Identifiers.PhoneNumber.Required, su.PhoneNumber != nil)
	add("username", a.Identifiers.Username.Enabled, a.Identifiers.Username.Required, su.Username != nil)
	// A wallet or a provider proves who signs up: no password is owed.
	add("password", a.FirstFactors.Password, s.PasswordRequired() && su.Web3Wallet == nil && su.ExternalStrategy == nil, su.PasswordDigest != nil)
	add("first_name", a.SignUp.FirstName != "off", a.SignUp.FirstName == "required", su.FirstName != nil)
	add("last_name", a.SignUp.LastName != "off", a.SignUp.LastName == "required", su.LastName != nil)
	add("web3_wallet", len(a.Web3.Strategies) > 0, false, su.Web3Wallet != nil)
	if su.EmailAddress == nil && su.PhoneNumber == nil && su.Username == nil && su.Web3Wallet == nil && !contains(missing, "email_address") {
		missing = append(missing, "email_address") // some identifier is needed to sign in again
	}
	if su.EmailAddress != nil && su.EmailVerifiedAt == nil && a.SignUp.EmailVerificationRequired {
		unverified = append(unverified, "email_address")
	}
	if su.PhoneNumber != nil && su.PhoneVerifiedAt == nil && a.FirstFactors.PhoneCode {
		unverified = append(unverified, "phone_number")
	}
	if su.Web3Wallet != nil && su.Web3WalletVerifiedAt == nil {
		unverified = append(unverified, "web3_wallet")
	}
	return
}

// PasswordRequired reports whether sign-ups must set a password.
func (s *Service) PasswordRequired() bool {
	if p := s.settings.Auth.SignUp.PasswordRequired; p != nil {
		return *p
	}
	return s.settings.Auth.FirstFactors.Password
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// GetSignUp loads a sign-up of the client.
func (s *Service) GetSignUp(ctx context.Context, clientID, id string) (SignUpView, error) {
	su, err := s.store.GetSignUp(ctx, id)
	if err != nil || su.ClientID != clientID {
		return SignUpView{}, apperr.NotFound()
	}
	v := SignUpView{SignUp: su}
	if su.Status != Complete && !su.AbandonAt.After(s.now()) {
		v.SignUp.Status = Abandoned
	}
	if su.EmailVerificationID != nil {
		if ver, err := s.store.GetVerification(ctx, *su.EmailVerificationID); err == nil {
			s.expire(&ver)
			v.Verification = &ver
		}
	}
	if su.PhoneVerificationID != nil {
		if ver, err := s.store.GetVerification(ctx, *su.PhoneVerificationID); err == nil {
			s.expire(&ver)
			v.PhoneVerification = &ver
		}
	}
	s.loadWeb3SignUpView(ctx, &v)
	v.Required, v.Optional, v.Missing, v.Unverified = s.requirements(su)
	v.PasswordSet = su.PasswordDigest != nil
	if su.ExternalStrategy != nil {
		v.ExternalStatus = "unverified"
		switch st, why, err := s.store.UpstreamOutcome(ctx, "sign_up_id", su.ID); {
		case err != nil:
		case st == "pending_link" || st == "done":
			v.ExternalStatus = "verified"
		case st == "failed":
			v.ExternalStatus, v.ExternalError = "failed", why
		}
	}
	if su.Status == Complete {
		v.Missing, v.Unverified = nil, nil // the user exists; nothing is owed any more
		if su.CreatedUserID != nil {
			if u, err := s.store.GetUser(ctx, *su.CreatedUserID); err == nil {
				v.PasswordSet = u.PasswordDigest != nil
			}
		}
	}
	return v, nil
}

// tryCompleteSignUp creates the user and a session when nothing is missing.
// It runs in the caller's transaction, so a sign-up that loses a race for
// its email address to another one fails whole, with form_identifier_exists.
func (s *Service) tryCompleteSignUp(tx *store.Tx, su *store.SignUp) error {
	if su.Status != MissingRequirements {
		return nil
	}
	_, _, missing, unverified := s.requirements(*su)
	if len(missing) > 0 || len(unverified) > 0 {
		return nil
	}
	now := s.now()
	u := store.User{ID: ids.New(ids.User), Username: su.Username, FirstName: su.FirstName, LastName: su.LastName,
		PublicMetadata: json.RawMessage(`{}`), PrivateMetadata: json.RawMessage(`{}`), UnsafeMetadata: su.UnsafeMetadata,
		DeleteSelfEnabled: true, CreateOrganizationEnabled: true, LegalAcceptedAt: su.LegalAcceptedAt,
		LastSignInAt: &now, CreatedAt: now, UpdatedAt: now}
	if su.PasswordDigest != nil {
		h := password.DefaultHasher
		u.PasswordDigest, u.PasswordHasher, u.PasswordUpdatedAt = su.PasswordDigest, &h, &now
	}
	addIdent := func(typ string, value *string, verifiedAt *time.Time, strategy string) *string {
		if value == nil {
			return nil
		}
		idn := store.Identification{ID: ids.New(ids.Identification), UserID: u.ID, Type: typ, Identifier: *value,
			CreatedAt: now, UpdatedAt: now}
		if verifiedAt != nil {
			idn.Verified, idn.VerificationStrategy = true, &strategy
		}
		u.Identifications = append(u.Identifications, idn)
		return &idn.ID
	}
	emailStrategy := StrategyEmailCode
	if su.ExternalStrategy != nil {
		emailStrategy = "from_" + *su.ExternalStrategy // verified by the provider
	}
	if su.EmailVerificationID != nil {
		if ver, err := tx.LockVerification(*su.EmailVerificationID); err == nil {
			emailStrategy = ver.Strategy
		}
	}
	u.PrimaryEmailAddressID = addIdent(store.TypeEmail, su.EmailAddress, su.EmailVerifiedAt, emailStrategy)
	u.PrimaryPhoneNumberID = addIdent(store.TypePhone, su.PhoneNumber, su.PhoneVerifiedAt, StrategyPhoneCode)
	if err := s.addSignUpWallet(tx, su, &u); err != nil {
		return err
	}
	if err := s.acceptSignUpInvitation(tx, su, &u); err != nil {
		return err
	}
	if err := tx.CreateUser(u); err != nil {
		return err
	}
	sess, err := s.startSession(tx, su.ClientID, u.ID, "sign_up")
	if err != nil {
		return err
	}
	if err := s.linkPending(tx, "sign_up_id", su.ID, &u, "sign_up", sess.ID); err != nil {
		return err
	}
	su.Status, su.CreatedUserID, su.CreatedSessionID, su.UpdatedAt = Complete, &u.ID, &sess.ID, now
	su.PasswordDigest = nil // it lives on the user now
	return tx.SaveSignUp(*su)
}
