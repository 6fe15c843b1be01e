package signin

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// preparePasskey starts a passkey sign-in: request options for a
// discoverable credential, whose challenge the sign-in's first-factor
// verification carries. The options never list the account's credentials,
// so they say nothing about whether an identifier has passkeys; a sign-in
// started without an identifier (the autofill or "Sign in with a passkey")
// learns its user from the credential.
func (s *Service) preparePasskey(ctx context.Context, clientID, id, ip string) (SignInView, error) {
	if !s.PasskeysEnabled() {
		return SignInView{}, strategyInvalid()
	}
	if err := s.limit(ctx, "passkey", ip, s.settings.Auth.RateLimits.SignInAttemptsPerMinute); err != nil {
		return SignInView{}, err
	}
	rp, err := s.relyingParty("")
	if err != nil {
		return SignInView{}, err
	}
	assertion, sd, err := rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return SignInView{}, apperr.Internal(err, "begin passkey sign-in")
	}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, err := tx.LockSignIn(id)
		if err != nil || si.ClientID != clientID {
			return apperr.NotFound()
		}
		switch {
		case si.Status == NeedsIdentifier && si.Identifier == nil:
			si.Status = NeedsFirstFactor // a passkey names its own user
		case si.Status != NeedsFirstFactor:
			return apperr.New(apperr.KindInvalid, "sign_in_status_invalid", "This sign-in cannot do that now.",
				"The sign-in is "+si.Status+"; start a new sign-in or follow its current step.")
		}
		if !si.AbandonAt.After(s.now()) {
			return apperr.New(apperr.KindInvalid, "sign_in_status_invalid", "This sign-in cannot do that now.",
				"The sign-in is abandoned; start a new sign-in.")
		}
		ver, err := s.insertCeremony(tx, clientID, si.UserID, store.CeremonyAuthentication, sd, assertion.Response)
		if err != nil {
			return err
		}
		strategy := StrategyPasskey
		si.FirstFactorVerificationID, si.FirstFactorStrategy, si.UpdatedAt = &ver.ID, &strategy, s.now()
		return tx.SaveSignIn(si)
	})
	if err != nil {
		return SignInView{}, translate(err)
	}
	return s.GetSignIn(ctx, clientID, id)
}

// attemptPasskey checks an assertion against the sign-in's ceremony and, when
// it verifies, completes the sign-in as the passkey's owner. The challenge
// is spent on success; failures count, and after MaxCodeAttempts the
// ceremony is dead. A sign counter that does not move forward means a
// cloned authenticator (or a replay) and is refused.
func (s *Service) attemptPasskey(ctx context.Context, clientID, id string, in AttemptInput) (SignInView, error) {
	if !s.PasskeysEnabled() {
		return SignInView{}, strategyInvalid()
	}
	if err := s.limit(ctx, "sign_in", in.IP, s.settings.Auth.RateLimits.SignInAttemptsPerMinute); err != nil {
		return SignInView{}, err
	}
	if in.PublicKeyCredential == "" {
		return SignInView{}, apperr.ParamMissing("public_key_credential")
	}
	v, err := s.loadForFactor(ctx, clientID, id, NeedsFirstFactor)
	if err != nil {
		return v, err
	}
	var outcome error
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		si, ver, refused, err := lockFirstFactor(tx, id, StrategyPasskey, apperr.New(apperr.KindInvalid, "verification_missing",
			"Start the passkey sign-in first.", "Call prepare_first_factor with strategy passkey before attempting it."))
		if err != nil || refused != nil {
			outcome = refused
			return err
		}
		if cerr := s.ceremonyState(&ver, clientID); cerr != nil {
			outcome = cerr
			return tx.SaveVerification(ver)
		}
		pk, ok := s.verifyAssertion(tx, ver.ID, si, in.PublicKeyCredential)
		if !ok {
			outcome = failCeremony(&ver)
			return tx.SaveVerification(ver)
		}
		now := s.now()
		ver.Status, ver.VerifiedAt = "verified", &now
		if err := tx.SaveVerification(ver); err != nil {
			return err
		}
		pk.LastUsedAt, pk.UpdatedAt = &now, now
		if err := tx.SavePasskey(pk); err != nil {
			return err
		}
		u, err := tx.LockUser(pk.UserID)
		if err != nil {
			return err
		}
		si.UserID, si.FirstFactorStatus = &u.ID, strp("verified")
		u.FailedVerificationAttempts = 0
		return s.completeSignIn(tx, &si, &u, StrategyPasskey)
	})
	if err != nil {
		return v, translate(err)
	}
	if outcome != nil {
		return v, outcome
	}
	return s.GetSignIn(ctx, clientID, id)
}

// verifyAssertion checks an assertion: a known credential whose owner is the
// sign-in's user (when it has one) and whose user handle says so, the
// ceremony's challenge, an allowed origin, the rpId hash, the signature and
// a sign counter that moved forward. It returns the passkey with its
// counter and flags advanced.
func (s *Service) verifyAssertion(tx *store.Tx, verID string, si store.SignIn, credential string) (store.Passkey, bool) {
	if len(credential) > maxCredentialJSON {
		return store.Passkey{}, false
	}
	c, err := tx.Ceremony(verID)
	if err != nil || c.Kind != store.CeremonyAuthentication {
		return store.Passkey{}, false
	}
	sd, err := sessionOf(c)
	if err != nil {
		return store.Passkey{}, false
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(credential))
	if err != nil {
		return store.Passkey{}, false
	}
	pk, err := tx.LockPasskeyByCredentialID(parsed.RawID)
	if err != nil {
		return store.Passkey{}, false
	}
	if si.Identifier != nil && (si.UserID == nil || *si.UserID != pk.UserID) {
		return store.Passkey{}, false // not the passkey of the account the identifier names
	}
	if !bytes.Equal(parsed.Response.UserHandle, []byte(pk.UserID)) {
		return store.Passkey{}, false
	}
	cred, err := credentialOf(pk)
	if err != nil {
		return store.Passkey{}, false
	}
	rp, err := s.relyingParty(parsed.Response.CollectedClientData.Origin)
	if err != nil {
		return store.Passkey{}, false
	}
	owner := webauthnUser{id: pk.UserID, creds: []webauthn.Credential{cred}}
	_, updated, err := rp.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
		return owner, nil
	}, sd, parsed)
	if err != nil || updated.Authenticator.CloneWarning {
		return store.Passkey{}, false
	}
	record, err := json.Marshal(updated)
	if err != nil {
		return store.Passkey{}, false
	}
	pk.Credential, pk.SignCount = record, int64(updated.Authenticator.SignCount)
	return pk, true
}
