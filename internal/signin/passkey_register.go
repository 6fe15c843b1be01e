package signin

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// PasskeyStore is what passkey management reads outside transactions.
type PasskeyStore interface {
	Ceremony(ctx context.Context, verificationID string) (store.WebAuthnCeremony, error)
	GetPasskey(ctx context.Context, id string) (store.Passkey, error)
	UserPasskeys(ctx context.Context, userID string) ([]store.Passkey, error)
	RenamePasskey(ctx context.Context, userID, id, name string, at time.Time) (store.Passkey, error)
	DeletePasskey(ctx context.Context, userID, id string) error
}

// PasskeyView is a passkey with its registration verification, if any.
type PasskeyView struct {
	Passkey      store.Passkey
	Verification *store.Verification
	Nonce        string // creation options while the registration waits for the browser
}

// MaxPasskeyName bounds a passkey's name.
const MaxPasskeyName = 100

// DefaultPasskeyName is what a new passkey is called until renamed.
const DefaultPasskeyName = "Passkey"

func errPasskeyLimit() error {
	return apperr.New(apperr.KindInvalid, "passkey_limit_reached", "You have too many passkeys.",
		"You can have at most 10 passkeys. Remove one before adding another.").WithMeta("limit", store.MaxPasskeysPerUser)
}

// BeginPasskeyRegistration starts adding a passkey for a signed-in user on
// the client: an unverified passkey whose verification carries the
// creation options for navigator.credentials.create.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, clientID, userID, ip string) (PasskeyView, error) {
	if !s.PasskeysEnabled() {
		return PasskeyView{}, errPasskeysDisabled()
	}
	if err := s.limit(ctx, "passkey", ip, s.settings.Auth.RateLimits.SignInAttemptsPerMinute); err != nil {
		return PasskeyView{}, err
	}
	now := s.now()
	var out PasskeyView
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		u, err := tx.LockUser(userID) // serializes the count against concurrent additions
		if err != nil {
			return err
		}
		n, err := tx.CountVerifiedPasskeys(userID)
		if err != nil {
			return err
		}
		if n >= store.MaxPasskeysPerUser {
			return errPasskeyLimit()
		}
		if err := tx.DeleteStalePasskeys(userID, now.Add(-PasskeyTTL)); err != nil {
			return err
		}
		existing, err := tx.UserPasskeys(userID)
		if err != nil {
			return err
		}
		wu := s.userFor(u)
		var exclude []protocol.CredentialDescriptor
		for _, p := range existing {
			exclude = append(exclude, protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType, CredentialID: p.CredentialID})
		}
		rp, err := s.relyingParty("")
		if err != nil {
			return err
		}
		// A discoverable credential, so that it signs in without an identifier
		// and offers itself in the identifier field's autofill.
		creation, sd, err := rp.BeginRegistration(wu,
			webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
				ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
				UserVerification: protocol.VerificationPreferred}),
			webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
			webauthn.WithExclusions(exclude))
		if err != nil {
			return apperr.Internal(err, "begin passkey registration")
		}
		ver, err := s.insertCeremony(tx, clientID, &userID, store.CeremonyRegistration, sd, creation.Response)
		if err != nil {
			return err
		}
		pk := store.Passkey{ID: ids.New(ids.Passkey), UserID: userID, Name: DefaultPasskeyName,
			VerificationID: &ver.ID, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertPasskey(pk); err != nil {
			return err
		}
		out = PasskeyView{Passkey: pk, Verification: &ver}
		return nil
	})
	if err != nil {
		return PasskeyView{}, translate(err)
	}
	out.Nonce = s.passkeyNonce(ctx, out.Verification)
	return out, nil
}

// userFor describes a user to the authenticator: the primary identifier as
// the account name, the full name (or the identifier) as display name.
func (s *Service) userFor(u store.User) webauthnUser {
	name := u.ID
	for _, i := range u.Identifications {
		if u.PrimaryEmailAddressID != nil && i.ID == *u.PrimaryEmailAddressID {
			name = i.Identifier
		}
	}
	if name == u.ID && u.Username != nil {
		name = *u.Username
	} else if name == u.ID && len(u.Identifications) > 0 {
		name = u.Identifications[0].Identifier
	}
	display := strings.TrimSpace(deref(u.FirstName) + " " + deref(u.LastName))
	if display == "" {
		display = name
	}
	return webauthnUser{id: u.ID, name: name, display: display}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// insertCeremony records a WebAuthn ceremony as a verification of the
// client, with go-webauthn's session data and the options sent.
func (s *Service) insertCeremony(tx *store.Tx, clientID string, userID *string, kind string, sd *webauthn.SessionData, options any) (store.Verification, error) {
	now := s.now()
	ver := store.Verification{ID: ids.New(ids.Verification), ClientID: clientID, Strategy: StrategyPasskey,
		Status: "unverified", ExpireAt: now.Add(PasskeyTTL), CreatedAt: now}
	sessionJSON, err := json.Marshal(sd)
	if err != nil {
		return ver, err
	}
	optionsJSON, err := json.Marshal(options)
	if err != nil {
		return ver, err
	}
	if err := tx.InsertVerification(ver); err != nil {
		return ver, err
	}
	return ver, tx.InsertCeremony(store.WebAuthnCeremony{VerificationID: ver.ID, Kind: kind, UserID: userID,
		Session: sessionJSON, Options: optionsJSON, CreatedAt: now})
}

// AttemptPasskeyRegistration checks the browser's attestation for a
// pending passkey of the user and, when it verifies, makes the passkey
// usable. A failed attempt counts against the ceremony.
func (s *Service) AttemptPasskeyRegistration(ctx context.Context, clientID, userID, passkeyID, credential, ip string) (PasskeyView, error) {
	if !s.PasskeysEnabled() {
		return PasskeyView{}, errPasskeysDisabled()
	}
	if err := s.limit(ctx, "passkey", ip, s.settings.Auth.RateLimits.SignInAttemptsPerMinute); err != nil {
		return PasskeyView{}, err
	}
	if credential == "" {
		return PasskeyView{}, apperr.ParamMissing("public_key_credential")
	}
	var outcome error
	var out PasskeyView
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.LockUser(userID); err != nil { // the count below holds until commit
			return err
		}
		pk, err := tx.LockPasskey(passkeyID)
		if err != nil || pk.UserID != userID {
			return apperr.NotFound()
		}
		if pk.VerifiedAt != nil {
			return errVerificationUsed()
		}
		if pk.VerificationID == nil {
			return apperr.NotFound()
		}
		ver, err := tx.LockVerification(*pk.VerificationID)
		if err != nil {
			return err
		}
		if cerr := s.ceremonyState(&ver, clientID); cerr != nil {
			outcome = cerr
			return tx.SaveVerification(ver)
		}
		cred, verr := s.verifyRegistration(tx, ver.ID, userID, credential)
		if verr != nil {
			outcome = failCeremony(&ver)
			return tx.SaveVerification(ver)
		}
		n, err := tx.CountVerifiedPasskeys(userID)
		if err != nil {
			return err
		}
		if n >= store.MaxPasskeysPerUser {
			outcome = errPasskeyLimit()
			return nil
		}
		record, err := json.Marshal(cred)
		if err != nil {
			return err
		}
		now := s.now()
		ver.Status, ver.VerifiedAt = "verified", &now
		if err := tx.SaveVerification(ver); err != nil {
			return err
		}
		pk.CredentialID, pk.Credential, pk.SignCount = cred.ID, record, int64(cred.Authenticator.SignCount)
		pk.VerifiedAt, pk.VerificationID, pk.UpdatedAt = &now, nil, now
		if err := tx.SavePasskey(pk); err != nil {
			return err
		}
		out = PasskeyView{Passkey: pk, Verification: &ver}
		return nil
	})
	if err != nil {
		var uv *store.UniqueViolation
		if errors.As(err, &uv) { // the same authenticator credential registered twice
			return PasskeyView{}, apperr.New(apperr.KindInvalid, "passkey_already_exists", "This passkey is already registered.",
				"This passkey is already registered.").WithParam("public_key_credential")
		}
		return PasskeyView{}, translate(err)
	}
	if outcome != nil {
		return PasskeyView{}, outcome
	}
	return out, nil
}

// verifyRegistration checks an attestation against the ceremony: its
// challenge, an allowed origin, the rpId hash, and the signature.
func (s *Service) verifyRegistration(tx *store.Tx, verID, userID, credential string) (*webauthn.Credential, error) {
	if len(credential) > maxCredentialJSON {
		return nil, errPasskeyInvalid()
	}
	c, err := tx.Ceremony(verID)
	if err != nil || c.Kind != store.CeremonyRegistration || c.UserID == nil || *c.UserID != userID {
		return nil, errPasskeyInvalid()
	}
	sd, err := sessionOf(c)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(credential))
	if err != nil {
		return nil, err
	}
	rp, err := s.relyingParty(parsed.Response.CollectedClientData.Origin)
	if err != nil {
		return nil, err
	}
	return rp.CreateCredential(webauthnUser{id: userID}, sd, parsed)
}

// UserPasskeys lists a user's passkeys.
func (s *Service) UserPasskeys(ctx context.Context, userID string) ([]store.Passkey, error) {
	out, err := s.store.UserPasskeys(ctx, userID)
	return out, translate(err)
}

// GetPasskey loads a passkey of the user, with its pending verification.
func (s *Service) GetPasskey(ctx context.Context, userID, id string) (PasskeyView, error) {
	pk, err := s.store.GetPasskey(ctx, id)
	if err != nil || pk.UserID != userID {
		return PasskeyView{}, apperr.NotFound()
	}
	v := PasskeyView{Passkey: pk}
	if pk.VerificationID != nil {
		if ver, err := s.store.GetVerification(ctx, *pk.VerificationID); err == nil {
			s.expire(&ver)
			v.Verification = &ver
			v.Nonce = s.passkeyNonce(ctx, &ver)
		}
	}
	return v, nil
}

// RenamePasskey names a verified passkey of the user.
func (s *Service) RenamePasskey(ctx context.Context, userID, id, name string) (store.Passkey, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxPasskeyName || strings.ContainsRune(name, 0) {
		return store.Passkey{}, apperr.ParamInvalid("name", "The name must be 1 to 100 characters.")
	}
	pk, err := s.store.RenamePasskey(ctx, userID, id, name, s.now())
	return pk, translate(err)
}

// DeletePasskey removes a passkey of the user: it no longer signs in.
func (s *Service) DeletePasskey(ctx context.Context, userID, id string) error {
	return translate(s.store.DeletePasskey(ctx, userID, id))
}
