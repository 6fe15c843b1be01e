package signin

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/social"
	"github.com/latchkey/latchkey/internal/store"
)

// Link requirements held on a flow until the person proves their email.
const (
	linkNow         = ""
	linkEmailCode   = "email_code"   // the provider did not prove the address
	linkNewPassword = "new_password" // the address is unverified here: its password may be someone else's
)

// OAuthCallback completes a round trip to a provider for the browser's
// client and returns where to send the browser next.
func (s *Service) OAuthCallback(ctx context.Context, clientID, ip string, params url.Values) (string, error) {
	if s.social == nil {
		return "", apperr.NotFound()
	}
	if target, parked, err := s.social.ParkNative(ctx, clientID, params); err != nil || parked {
		return target, err // a native app's flow, answered in the system browser
	}
	res, err := s.social.Callback(ctx, clientID, params)
	if err != nil {
		return s.backWithError(ctx, clientID, res.Auth, err)
	}
	a := res.Auth
	if a.Purpose == social.PurposeConnect {
		if err := s.connect(ctx, res); err != nil {
			return "", err
		}
		return a.RedirectURL, nil
	}
	complete, err := s.signInUpstream(ctx, clientID, ip, res)
	if err != nil {
		return s.backWithError(ctx, clientID, a, err)
	}
	if complete && a.ActionCompleteRedirectURL != "" {
		return a.ActionCompleteRedirectURL, nil
	}
	return a.RedirectURL, nil
}

// backWithError ends a sign-in or sign-up round trip the provider or this
// server refused (declined at the provider, a blocked address, a token that
// did not verify, ...) as Clerk does: the reason is kept on the flow, the
// sign-in's first factor is marked failed, and the browser goes back to the
// app, which reads the error from the verification. Only a flow this very
// browser started qualifies; a state that matches no flow or another
// browser's, a connection from the account page, and faults of the server
// are answered with the error itself.
func (s *Service) backWithError(ctx context.Context, clientID string, a store.UpstreamAuthorization, cause error) (string, error) {
	e := apperr.As(cause)
	if e == nil || e.Kind == apperr.KindInternal || a.ID == "" || a.ClientID != clientID || clientID == "" ||
		a.Purpose == social.PurposeConnect || a.RedirectURL == "" || (a.SignInID == nil && a.SignUpID == nil) {
		return "", cause
	}
	why := store.FlowError{Code: e.Code, Message: e.Message, LongMessage: e.LongMessage}
	now := s.now()
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.FailUpstream(a.ID, why, now); err != nil {
			return err
		}
		if a.SignInID == nil {
			return nil
		}
		si, err := tx.LockSignIn(*a.SignInID)
		if err != nil {
			return err
		}
		if si.Status == Complete || si.FirstFactorStrategy == nil || *si.FirstFactorStrategy != a.Provider {
			return nil
		}
		si.FirstFactorStatus, si.UpdatedAt = strp("failed"), now
		return tx.SaveSignIn(si)
	})
	if err != nil {
		return "", translate(err)
	}
	return a.RedirectURL, nil
}

// ResumeNativeOAuth completes, for a native app's own client, the provider
// response the system browser's callback parked for its sign-in or sign-up
// (kind "sign_in" or "sign_up"), given the nonce the app was sent back with.
func (s *Service) ResumeNativeOAuth(ctx context.Context, clientID, ip, kind, id, nonce string) error {
	if s.social == nil {
		return apperr.NotFound()
	}
	params, err := s.social.ResumeNative(ctx, clientID, kind, id, nonce)
	if err != nil {
		return err
	}
	_, err = s.OAuthCallback(ctx, clientID, ip, params)
	return err
}

// NativeIDTokenSignIn signs in with an ID token a native app got from the
// provider (strategy oauth_token_<provider>).
func (s *Service) NativeIDTokenSignIn(ctx context.Context, clientID, strategy, token, ip string) (SignInView, error) {
	if s.social == nil {
		return SignInView{}, strategyInvalid()
	}
	if err := s.limit(ctx, "sign_in", ip, s.settings.Auth.RateLimits.SignInAttemptsPerMinute); err != nil {
		return SignInView{}, err
	}
	upstream := "oauth_" + strings.TrimPrefix(strategy, "oauth_token_")
	p, err := s.upstreamProvider(upstream)
	if err != nil {
		return SignInView{}, err
	}
	if err := s.checkNoActiveSession(ctx, clientID); err != nil {
		return SignInView{}, err
	}
	_, prof, err := s.social.VerifyNativeIDToken(ctx, p.Strategy, token)
	if err != nil {
		return SignInView{}, err
	}
	now := s.now()
	a := store.UpstreamAuthorization{ID: ids.New(ids.UpstreamAuthorization), ClientID: clientID, Provider: p.Strategy,
		Purpose: social.PurposeSignIn, StateHash: s.secrets.Hash("native:" + NewLinkToken()), Status: "consumed",
		ExpireAt: now, CreatedAt: now, UpdatedAt: now}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, err := s.upstreamSignIn(tx, clientID, a)
		if err != nil {
			return err
		}
		a.SignInID = &si.ID
		return tx.InsertUpstreamAuthorization(a)
	})
	if err != nil {
		return SignInView{}, translate(err)
	}
	if _, err := s.signInUpstream(ctx, clientID, ip, social.Result{Auth: a, Profile: prof}); err != nil {
		return SignInView{}, err
	}
	return s.GetSignIn(ctx, clientID, *a.SignInID)
}

func errSubaddressBlocked() error {
	return apperr.New(apperr.KindInvalid, "email_address_blocked", "This email address cannot be used.",
		"Email addresses with a subaddress (+, = or #) are not accepted from this provider.").WithParam("email_address")
}

// signInUpstream decides, for a person the provider vouches for, between
// signing in, linking, asking for proof first, and signing up. An external
// account is found only by (provider, provider user id), never by email.
func (s *Service) signInUpstream(ctx context.Context, clientID, ip string, res social.Result) (complete bool, err error) {
	a, prof := res.Auth, res.Profile
	p, err := s.social.Provider(a.Provider)
	if err != nil {
		return false, err
	}
	if p.BlocksSubaddresses() && hasSubaddress(prof.Email) {
		return false, errSubaddressBlocked()
	}
	// The instance's restrictions judge the provider's address as they
	// would one typed in: a blocked address signs in nobody (the sign-up
	// and the session start check the account's identifiers again).
	if err := s.restrictProviderEmail(ctx, identity.ForSignIn, prof.Email); err != nil {
		return false, err
	}
	acc, err := s.store.ExternalAccountBySubject(ctx, a.Provider, prof.ProviderUserID)
	switch {
	case err == nil:
		return true, s.completeUpstream(ctx, clientID, res, acc.UserID, func(tx *store.Tx, _ *store.User) error {
			locked, err := tx.LockExternalAccountBySubject(a.Provider, prof.ProviderUserID)
			if err != nil {
				return err
			}
			s.social.Apply(&locked, res)
			return tx.SaveExternalAccount(locked)
		})
	case !errors.Is(err, store.ErrNotFound):
		return false, translate(err)
	}
	if !p.SignInEnabled() {
		return false, apperr.ParamValueInvalid("strategy", "This provider can only be connected to an existing account.")
	}
	if prof.Email != "" {
		uid, err := s.store.UserIDByIdentifier(ctx, store.TypeEmail, prof.Email)
		if err == nil {
			return s.linkByEmail(ctx, clientID, ip, res, uid)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return false, translate(err)
		}
	}
	return s.transferToSignUp(ctx, clientID, ip, res)
}

// linkByEmail handles an account that already has the provider's email.
func (s *Service) linkByEmail(ctx context.Context, clientID, ip string, res social.Result, userID string) (bool, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return false, translate(err)
	}
	var idn store.Identification
	for _, i := range u.Identifications {
		if i.Type == store.TypeEmail && strings.EqualFold(i.Identifier, res.Profile.Email) {
			idn = i
		}
	}
	if res.Profile.EmailVerified && idn.Verified {
		// Both sides proved the address: the same person. Link and sign in,
		// no password asked.
		return true, s.completeUpstream(ctx, clientID, res, userID, func(tx *store.Tx, u *store.User) error {
			return tx.InsertExternalAccount(s.social.NewAccount(u.ID, res.Auth.Provider, res))
		})
	}
	requires, strategy := linkEmailCode, StrategyEmailCode
	if !idn.Verified && u.PasswordDigest != nil {
		// Whoever set this account's password never proved the address: they
		// may not be the person signing in now. A new password replaces it.
		requires, strategy = linkNewPassword, StrategyResetPasswordEmailCode
	}
	if !s.strategyEnabled(strategy) {
		return false, apperr.IdentifierExists("email_address", "email address")
	}
	now := s.now()
	var siID string
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, err := s.upstreamSignIn(tx, clientID, res.Auth)
		if err != nil {
			return err
		}
		si.Identifier, si.UserID, si.IdentificationID = &idn.Identifier, &u.ID, &idn.ID
		si.Status, si.FirstFactorVerificationID, si.FirstFactorStrategy, si.FirstFactorStatus = NeedsFirstFactor, nil, nil, nil
		si.UpdatedAt = now
		if err := tx.SaveSignIn(si); err != nil {
			return err
		}
		a := res.Auth
		a.SignInID, a.SignUpID = &si.ID, nil
		s.social.Hold(&a, res, requires)
		siID = si.ID
		return tx.SaveUpstreamAuthorization(a)
	})
	if err != nil {
		return false, translate(err)
	}
	_, err = s.PrepareFirstFactor(ctx, clientID, siID, PrepareInput{Strategy: strategy, IP: ip})
	return false, err
}

// upstreamSignIn returns the flow's sign-in, locked, or a new one on the
// client (a sign-up through a provider that finds an existing account signs in).
func (s *Service) upstreamSignIn(tx *store.Tx, clientID string, a store.UpstreamAuthorization) (store.SignIn, error) {
	if a.SignInID != nil {
		return tx.LockSignIn(*a.SignInID)
	}
	now := s.now()
	si := store.SignIn{ID: ids.New(ids.SignIn), ClientID: clientID, Status: NeedsIdentifier,
		FirstFactorStrategy: &a.Provider, FirstFactorStatus: strp("unverified"),
		AbandonAt: now.Add(AttemptTTL), CreatedAt: now, UpdatedAt: now}
	if err := tx.InsertSignIn(si); err != nil {
		return si, err
	}
	c, err := tx.LockClient(clientID)
	if err != nil {
		return si, err
	}
	c.SignInID, c.UpdatedAt = &si.ID, now
	return si, tx.SaveClient(c)
}

// completeUpstream signs the user in through the flow's sign-in, with link
// (inserting or refreshing the external account) in the same transaction.
func (s *Service) completeUpstream(ctx context.Context, clientID string, res social.Result, userID string,
	link func(*store.Tx, *store.User) error) error {
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		si, err := s.upstreamSignIn(tx, clientID, res.Auth)
		if err != nil {
			return err
		}
		u, err := tx.LockUser(userID)
		if err != nil {
			return err
		}
		if err := link(tx, &u); err != nil {
			return err
		}
		si.UserID, si.FirstFactorStatus = &u.ID, strp("verified")
		if err := s.completeSignIn(tx, &si, &u, res.Auth.Provider); err != nil {
			return err
		}
		a := res.Auth
		a.Status, a.UpdatedAt = "done", s.now()
		return tx.SaveUpstreamAuthorization(a)
	})
	return translate(err)
}

// transferToSignUp creates the account of someone the provider vouches for
// who has none yet (Clerk's sign-up "transfer"), completing it at once when
// nothing else is required.
func (s *Service) transferToSignUp(ctx context.Context, clientID, ip string, res social.Result) (bool, error) {
	prof, now := res.Profile, s.now()
	var su store.SignUp
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if res.Auth.SignUpID != nil {
			if su, err = tx.LockSignUp(*res.Auth.SignUpID); err != nil {
				return err
			}
			if su.Status != MissingRequirements {
				return errSignUpClosed(su.Status)
			}
		} else {
			su = store.SignUp{ID: ids.New(ids.SignUp), ClientID: clientID, Status: MissingRequirements,
				UnsafeMetadata: []byte(`{}`), AbandonAt: now.Add(AttemptTTL), CreatedAt: now}
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
		}
		if res.Auth.SignInID != nil {
			// The sign-in found no account: it is "transferable" to this
			// sign-up, as Clerk's clients expect.
			si, err := tx.LockSignIn(*res.Auth.SignInID)
			if err != nil {
				return err
			}
			si.FirstFactorStatus, si.UpdatedAt = strp("transferable"), now
			if err := tx.SaveSignIn(si); err != nil {
				return err
			}
		}
		su.ExternalStrategy, su.UpdatedAt = &res.Auth.Provider, now
		if prof.Email != "" && s.settings.Auth.Identifiers.EmailAddress.Enabled {
			su.EmailAddress, su.EmailVerifiedAt, su.EmailVerificationID = &prof.Email, nil, nil
			if prof.EmailVerified {
				su.EmailVerifiedAt = &now
			}
		}
		if prof.FirstName != "" && s.settings.Auth.SignUp.FirstName != "off" && su.FirstName == nil {
			su.FirstName = &prof.FirstName
		}
		if prof.LastName != "" && s.settings.Auth.SignUp.LastName != "off" && su.LastName == nil {
			su.LastName = &prof.LastName
		}
		// The same restrictions as a sign-up through the form (allowlist,
		// blocklist, email blocks, restricted mode).
		if err := s.checkSignUpRestrictions(ctx, tx, su); err != nil {
			return err
		}
		if err := tx.SaveSignUp(su); err != nil {
			return err
		}
		a := res.Auth
		a.SignUpID = &su.ID
		s.social.Hold(&a, res, linkNow)
		if err := tx.SaveUpstreamAuthorization(a); err != nil {
			return err
		}
		return s.tryCompleteSignUp(tx, &su)
	})
	if err != nil {
		return false, translate(err)
	}
	if su.Status == Complete {
		return true, nil
	}
	if su.EmailAddress != nil && su.EmailVerifiedAt == nil && s.settings.Auth.SignUp.EmailVerificationRequired {
		if _, err := s.PrepareSignUpVerification(ctx, clientID, su.ID, StrategyEmailCode, "", ip); err != nil {
			return false, err
		}
	}
	return false, nil
}

// connect adds (or re-authorizes) an external account of a signed-in user.
func (s *Service) connect(ctx context.Context, res social.Result) error {
	a, prof := res.Auth, res.Profile
	p, err := s.social.Provider(a.Provider)
	if err != nil {
		return err
	}
	if p.BlocksSubaddresses() && hasSubaddress(prof.Email) {
		return errSubaddressBlocked()
	}
	// Connecting judges the provider's address as the user's own addition.
	if err := s.restrictProviderEmail(ctx, identity.ForAddition, prof.Email); err != nil {
		return err
	}
	if a.UserID == nil {
		return apperr.NotFound()
	}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.LockUser(*a.UserID); err != nil {
			return err
		}
		acc, err := tx.LockExternalAccountBySubject(a.Provider, prof.ProviderUserID)
		switch {
		case err == nil && acc.UserID != *a.UserID:
			return apperr.New(apperr.KindInvalid, "external_account_exists", "This account is already connected to another user.",
				"The provider account is connected to another user; sign in with it to use that account.")
		case err == nil:
			s.social.Apply(&acc, res)
			if err := tx.SaveExternalAccount(acc); err != nil {
				return err
			}
		case errors.Is(err, store.ErrNotFound):
			if err := tx.InsertExternalAccount(s.social.NewAccount(*a.UserID, a.Provider, res)); err != nil {
				return err
			}
		default:
			return err
		}
		a.Status, a.UpdatedAt = "done", s.now()
		return tx.SaveUpstreamAuthorization(a)
	})
	return translate(err)
}

// linkPending makes the link a flow held until the sign-in (or sign-up)
// completed, if the way it completed satisfies what the link required. It
// runs in the completing transaction.
func (s *Service) linkPending(tx *store.Tx, column, id string, u *store.User, strategy, sessionID string) error {
	if s.social == nil {
		return nil
	}
	a, err := tx.PendingLinkFor(column, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch a.LinkRequires {
	case linkEmailCode:
		if strategy != StrategyEmailCode && strategy != StrategyResetPasswordEmailCode {
			return nil
		}
	case linkNewPassword:
		if strategy != StrategyResetPasswordEmailCode {
			return nil
		}
	}
	res, err := s.social.Held(a)
	if err != nil {
		return err
	}
	if err := tx.InsertExternalAccount(s.social.NewAccount(u.ID, a.Provider, res)); err != nil {
		return err
	}
	if a.LinkRequires == linkNewPassword && sessionID != "" {
		// Sessions opened with the replaced password end with it.
		if err := tx.EndUserSessions(u.ID, sessionID, "revoked", s.now()); err != nil {
			return err
		}
	}
	// The tokens live on the account now; the flow keeps no copy.
	a.Status, a.UpdatedAt = "done", s.now()
	a.AccessTokenEnc, a.RefreshTokenEnc, a.IDTokenEnc = nil, nil, nil
	return tx.SaveUpstreamAuthorization(a)
}

func hasSubaddress(email string) bool {
	local, _, _ := strings.Cut(email, "@")
	return strings.ContainsAny(local, "+=#")
}
