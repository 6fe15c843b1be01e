package signin

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/store"
)

// Passkeys are WebAuthn credentials bound to the configured relying-party
// id (a root domain). Every ceremony — a registration from the account page
// or a sign-in — is a verification row bound to the browser's client, with
// its challenge in webauthn_ceremonies: it can succeed once, is refused
// after MaxCodeAttempts failures, and expires after PasskeyTTL.

// StrategyPasskey is Clerk's strategy name for passkeys.
const StrategyPasskey = "passkey"

// PasskeyTTL is how long a ceremony's challenge stays valid.
const PasskeyTTL = 5 * time.Minute

// maxCredentialJSON bounds the public_key_credential parsed: real ones are
// a few kilobytes even with attestation certificates.
const maxCredentialJSON = 64 << 10

// PasskeysEnabled reports whether the instance offers passkeys.
func (s *Service) PasskeysEnabled() bool { return s.settings.Auth.Passkeys.Enabled }

// RPID is the relying-party id passkeys are bound to.
func (s *Service) RPID() string {
	return config.Config{PublicURL: s.settings.PublicURL, Auth: s.settings.Auth}.PasskeyRPID()
}

func errPasskeysDisabled() error {
	return apperr.New(apperr.KindInvalid, "passkeys_disabled", "Passkeys are not enabled.",
		"Passkeys are not enabled on this instance.")
}

// errPasskeyInvalid is the one answer to a credential that does not verify,
// whatever the reason (wrong origin or rpId, unknown credential, bad
// signature, spent challenge, counter gone backwards): the reason is no
// business of whoever sent it.
func errPasskeyInvalid() error {
	return apperr.New(apperr.KindInvalid, "passkey_invalid", "This passkey could not be verified.",
		"The passkey's response could not be verified. Try again, or use another method.").WithParam("public_key_credential")
}

// allowedOrigin reports whether a browser origin may use passkeys of this
// relying party: the rpId itself or a subdomain of it, over https (or over
// http when the instance itself runs on http, as in development).
func (s *Service) allowedOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !strings.HasPrefix(s.settings.PublicURL, "http://") {
			return false
		}
	default:
		return false
	}
	return config.DomainWithin(u.Hostname(), s.RPID())
}

// relyingParty is a go-webauthn instance for one response: it accepts only
// the origin the response was collected at, once that origin has passed
// allowedOrigin (go-webauthn matches origins exactly; ours is a domain and
// its subdomains).
func (s *Service) relyingParty(origin string) (*webauthn.WebAuthn, error) {
	if origin == "" {
		origin = s.settings.PublicURL
	}
	if !s.allowedOrigin(origin) {
		return nil, errPasskeyInvalid()
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID:          s.RPID(),
		RPDisplayName: s.rpName(),
		RPOrigins:     []string{origin},
		// Extension outputs we did not ask for change nothing we store;
		// refusing them would lock out browsers that add one.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	})
	if err != nil {
		return nil, apperr.Internal(err, "webauthn config")
	}
	return w, nil
}

// rpName is shown by some authenticators next to the passkey; the domain
// is what people recognise.
func (s *Service) rpName() string { return s.RPID() }

// webauthnUser adapts a user and their passkeys to go-webauthn. The user
// handle is the user id: opaque, stable, and no personal data.
type webauthnUser struct {
	id, name, display string
	creds             []webauthn.Credential
}

func (u webauthnUser) WebAuthnID() []byte                         { return []byte(u.id) }
func (u webauthnUser) WebAuthnName() string                       { return u.name }
func (u webauthnUser) WebAuthnDisplayName() string                { return u.display }
func (u webauthnUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// credentialOf decodes a stored passkey's credential record, with the
// sign counter from its own column.
func credentialOf(p store.Passkey) (webauthn.Credential, error) {
	var c webauthn.Credential
	if err := json.Unmarshal(p.Credential, &c); err != nil {
		return c, err
	}
	c.ID = p.CredentialID
	c.Authenticator.SignCount = uint32(p.SignCount)
	return c, nil
}

// ceremonyState checks a locked passkey verification before its response
// is looked at: bound to this client, not spent, not dead, not expired.
func (s *Service) ceremonyState(ver *store.Verification, clientID string) error {
	switch {
	case ver.ClientID != clientID || ver.Strategy != StrategyPasskey:
		return apperr.NotFound()
	case ver.Status == "verified":
		return errVerificationUsed()
	case ver.Status == "failed" || ver.Attempts >= MaxCodeAttempts:
		return errVerificationFailed()
	case !ver.ExpireAt.After(s.now()):
		ver.Status = "expired"
		return errVerificationExpired()
	}
	return nil
}

// failCeremony counts a failed response on the verification; at the limit
// the ceremony is dead and a new one must be started.
func failCeremony(ver *store.Verification) error {
	ver.Attempts++
	if ver.Attempts >= MaxCodeAttempts {
		ver.Status = "failed"
		return errVerificationFailed()
	}
	return errPasskeyInvalid()
}

func sessionOf(c store.WebAuthnCeremony) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	err := json.Unmarshal(c.Session, &sd)
	return sd, err
}

// PasskeyNonce is the options JSON of a passkey verification still waiting
// for the browser, shown as the verification's nonce as Clerk does; "" for
// anything else.
func (s *Service) passkeyNonce(ctx context.Context, ver *store.Verification) string {
	if ver == nil || ver.Strategy != StrategyPasskey || ver.Status != "unverified" {
		return ""
	}
	c, err := s.store.Ceremony(ctx, ver.ID)
	if err != nil {
		return ""
	}
	return string(c.Options)
}
