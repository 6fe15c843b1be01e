package signin

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/social"
	"github.com/latchkey/latchkey/internal/store"
)

// IsOAuthStrategy reports whether a strategy is a round trip to an upstream
// provider (oauth_google), as opposed to a native ID token (oauth_token_google).
func IsOAuthStrategy(s string) bool {
	return strings.HasPrefix(s, "oauth_") && !IsOAuthTokenStrategy(s)
}

// IsOAuthTokenStrategy reports whether a strategy signs in with a provider ID token.
func IsOAuthTokenStrategy(s string) bool { return strings.HasPrefix(s, "oauth_token_") }

// OAuthStartInput starts a sign-in or sign-up through a provider.
type OAuthStartInput struct {
	Strategy                  string
	RedirectURL               string
	ActionCompleteRedirectURL string
	AdditionalScopes          []string
	IP                        string
}

// upstreamProvider finds an enabled provider for signing in or up.
func (s *Service) upstreamProvider(strategy string) (*social.Provider, error) {
	if s.social == nil {
		return nil, strategyInvalid()
	}
	p, err := s.social.Provider(strategy)
	if err != nil {
		return nil, err
	}
	if !p.SignInEnabled() {
		return nil, apperr.ParamValueInvalid("strategy",
			"This provider can only be connected to an existing account from the account page.")
	}
	return p, nil
}

// beginUpstream saves, in one transaction, a new sign-in or sign-up (insert),
// the provider authorization it waits for, and the client pointing at it
// (point): a flow is started whole or not at all.
func (s *Service) beginUpstream(ctx context.Context, clientID string, a store.UpstreamAuthorization,
	insert func(*store.Tx) error, point func(*store.Client)) error {
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		if err := insert(tx); err != nil {
			return err
		}
		if err := tx.InsertUpstreamAuthorization(a); err != nil {
			return err
		}
		c, err := tx.LockClient(clientID)
		if err != nil {
			return err
		}
		point(&c)
		c.UpdatedAt = s.now()
		return tx.SaveClient(c)
	})
	return translate(err)
}

// StartOAuthSignIn creates a sign-in whose first factor is a round trip to
// the provider; the view carries the provider's authorization URL.
func (s *Service) StartOAuthSignIn(ctx context.Context, clientID string, in OAuthStartInput) (SignInView, error) {
	if err := s.limit(ctx, "sign_in", in.IP, s.settings.Auth.RateLimits.SignInAttemptsPerMinute); err != nil {
		return SignInView{}, err
	}
	if _, err := s.upstreamProvider(in.Strategy); err != nil {
		return SignInView{}, err
	}
	if err := s.checkNoActiveSession(ctx, clientID); err != nil {
		return SignInView{}, err
	}
	now := s.now()
	si := store.SignIn{ID: ids.New(ids.SignIn), ClientID: clientID, Status: NeedsIdentifier,
		FirstFactorStrategy: &in.Strategy, FirstFactorStatus: strp("unverified"),
		AbandonAt: now.Add(AttemptTTL), CreatedAt: now, UpdatedAt: now}
	a, authURL, err := s.social.Prepare(ctx, social.StartInput{ClientID: clientID, Strategy: in.Strategy,
		Purpose: social.PurposeSignIn, RedirectURL: in.RedirectURL, ActionCompleteRedirectURL: in.ActionCompleteRedirectURL,
		SignInID: &si.ID, AdditionalScopes: in.AdditionalScopes})
	if err != nil {
		return SignInView{}, err
	}
	err = s.beginUpstream(ctx, clientID, a,
		func(tx *store.Tx) error { return tx.InsertSignIn(si) },
		func(c *store.Client) { c.SignInID = &si.ID })
	if err != nil {
		return SignInView{}, err
	}
	v, err := s.GetSignIn(ctx, clientID, si.ID)
	v.ExternalVerificationRedirectURL = authURL
	return v, err
}

// StartOAuthSignUp creates a sign-up that the provider's profile will fill in.
func (s *Service) StartOAuthSignUp(ctx context.Context, clientID string, in OAuthStartInput, fields SignUpInput) (SignUpView, error) {
	if err := s.limit(ctx, "sign_up", in.IP, s.settings.Auth.RateLimits.SignInAttemptsPerMinute); err != nil {
		return SignUpView{}, err
	}
	if _, err := s.upstreamProvider(in.Strategy); err != nil {
		return SignUpView{}, err
	}
	if err := s.checkNoActiveSession(ctx, clientID); err != nil {
		return SignUpView{}, err
	}
	now := s.now()
	su := store.SignUp{ID: ids.New(ids.SignUp), ClientID: clientID, Status: MissingRequirements,
		UnsafeMetadata: json.RawMessage(`{}`), ExternalStrategy: &in.Strategy, AbandonAt: now.Add(AttemptTTL),
		CreatedAt: now, UpdatedAt: now}
	fields.Strategy, fields.Password = "", nil
	if err := s.applySignUp(ctx, &su, fields); err != nil {
		return SignUpView{}, err
	}
	a, authURL, err := s.social.Prepare(ctx, social.StartInput{ClientID: clientID, Strategy: in.Strategy,
		Purpose: social.PurposeSignUp, RedirectURL: in.RedirectURL, ActionCompleteRedirectURL: in.ActionCompleteRedirectURL,
		SignUpID: &su.ID, AdditionalScopes: in.AdditionalScopes})
	if err != nil {
		return SignUpView{}, err
	}
	err = s.beginUpstream(ctx, clientID, a,
		func(tx *store.Tx) error { return tx.InsertSignUp(su) },
		func(c *store.Client) { c.SignUpID = &su.ID })
	if err != nil {
		return SignUpView{}, err
	}
	v, err := s.GetSignUp(ctx, clientID, su.ID)
	v.ExternalVerificationRedirectURL = authURL
	return v, err
}

// KeepsWayToSignIn reports whether a user keeps a way to sign in without
// the external account being removed: a password, an email address that
// codes or links reach, or another provider that may sign in.
func (s *Service) KeepsWayToSignIn(u store.User, remaining []store.ExternalAccount) bool {
	ff := s.settings.Auth.FirstFactors
	if ff.Password && u.PasswordDigest != nil {
		return true
	}
	if ff.EmailCode || ff.EmailLink {
		for _, i := range u.Identifications {
			if i.Type == store.TypeEmail && i.Verified {
				return true
			}
		}
	}
	if s.PasskeysEnabled() && len(u.Passkeys) > 0 {
		return true // verified passkeys sign in on their own
	}
	if s.SMSEnabled() {
		for _, i := range u.Identifications {
			if i.Type == store.TypePhone && i.Verified && !i.ReservedForSecondFactor {
				return true
			}
		}
	}
	for _, e := range remaining {
		if s.social == nil {
			break
		}
		if p, ok := s.social.Registry.Get(e.Provider); ok && p.SignInEnabled() {
			return true
		}
	}
	return false
}
