package signin

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/store"
)

// StrategyPhoneCode is a 6-digit code texted to a phone number: a first
// factor, the sign-up's phone verification, and the verification of a
// number a user adds.
const StrategyPhoneCode = "phone_code"

// Texter delivers text messages (internal/notify).
type Texter interface {
	EnqueueSMS(ctx context.Context, tx pgx.Tx, m notify.SMSMessage) error
	SMSAllowed(callingCode int) bool
	SMSReady() bool
	Kick()
}

// EnableSMS gives the engine its SMS channel; without it phone_code is refused.
func (s *Service) EnableSMS(t Texter) { s.texter = t }

// errCountryNotAllowed is Clerk's refusal of a number outside the SMS allowlist.
func errCountryNotAllowed(param string, p identity.Phone) error {
	msg := fmt.Sprintf("Phone numbers from this country (+%d, %s) are currently not supported.", p.CallingCode, p.Region)
	return apperr.New(apperr.KindInvalid, "unsupported_country_code", msg,
		msg+" For more information, please contact support.").WithParam(param)
}

// CheckSMSCountry refuses a number whose country calling code is not on the
// SMS allowlist; param names the field in the error. Sign-ups, additions and
// every code request go through it.
func (s *Service) CheckSMSCountry(param, number string) error {
	p, err := identity.ParsePhone(param, number)
	if err != nil {
		return err
	}
	if s.texter != nil && !s.texter.SMSAllowed(p.CallingCode) {
		return errCountryNotAllowed(param, p)
	}
	return nil
}

// PhoneCode describes a code to text for a new verification.
type PhoneCode struct {
	ClientID string
	// Strategy is recorded on the verification (phone_code, or a
	// second-factor strategy that texts a code).
	Strategy string
	// Number is the E.164 number the verification is for. To is where the
	// text goes: the same number, or "" for a stand-in (an identifier that
	// matches nobody), which gets a verification and no text, so both look
	// the same from outside.
	Number, To       string
	IdentificationID *string
	Kind             notify.Kind // KindSignInCode or KindVerificationCode
}

// SendPhoneCode creates a verification for a fresh code in the caller's
// transaction and enqueues its text there, so the text goes out only if the
// verification commits. The caller links the verification to its sign-in,
// sign-up or identification in the same transaction and calls KickSMS after
// the commit. Attempts on the code are counted on the verification row
// (checkCode), so the limit holds across replicas. The number must already
// have passed CheckSMSCountry.
func (s *Service) SendPhoneCode(ctx context.Context, tx *store.Tx, p PhoneCode) (store.Verification, error) {
	if s.texter == nil {
		return store.Verification{}, strategyInvalid()
	}
	parsed, err := identity.ParsePhone("phone_number", p.Number)
	if err != nil {
		return store.Verification{}, err
	}
	code, now := NewCode(), s.now()
	number := parsed.E164
	ver := store.Verification{ID: ids.New(ids.Verification), ClientID: p.ClientID, Strategy: p.Strategy,
		Status: "unverified", Identifier: &number, IdentificationID: p.IdentificationID,
		SecretHash: s.secrets.Hash(code), ExpireAt: now.Add(CodeTTL), CreatedAt: now}
	if err := tx.InsertVerification(ver); err != nil {
		return ver, err
	}
	if p.To == "" {
		return ver, nil
	}
	err = s.texter.EnqueueSMS(ctx, tx.Raw(), notify.SMSMessage{Kind: p.Kind, To: p.To, CallingCode: parsed.CallingCode,
		Code: code, TTL: CodeTTL})
	if errors.Is(err, notify.ErrCountryNotAllowed) {
		return ver, errCountryNotAllowed("phone_number", parsed)
	}
	if errors.Is(err, notify.ErrSMSNotConfigured) {
		return ver, errSMSUnavailable()
	}
	return ver, err
}

// KickSMS wakes the delivery worker after a transaction that enqueued a text.
func (s *Service) KickSMS() {
	if s.texter != nil {
		s.texter.Kick()
	}
}

// limitSMS applies the limits on texts asked for, at the email limit's
// rate: per client IP, and per number whichever IPs ask, so one phone cannot
// be flooded from many addresses. The per-number limit counts requests for a
// number that matches nobody too, so hitting it tells nothing.
func (s *Service) limitSMS(ctx context.Context, ip, number string) error {
	perMinute := s.settings.Auth.RateLimits.EmailsPerMinute
	if err := s.limit(ctx, "sms", ip, perMinute); err != nil {
		return err
	}
	// The key is a keyed hash: the rate-limit table holds no phone numbers.
	return s.limit(ctx, "sms-to", hex.EncodeToString(s.secrets.Hash("sms-to:" + number)[:16]), perMinute)
}

// SMSEnabled reports whether phone_code can be offered: it is switched on
// and the engine has an SMS channel.
func (s *Service) SMSEnabled() bool { return s.strategyEnabled(StrategyPhoneCode) }

// SMSReady reports whether texts can be sent at all (a provider, or the dev
// outbox in development), so that added numbers can be verified.
func (s *Service) SMSReady() bool { return s.texter != nil && s.texter.SMSReady() }

// errSMSUnavailable refuses a text when no SMS provider is configured.
func errSMSUnavailable() error {
	return apperr.ParamValueInvalid("strategy", "Text messages cannot be sent: no SMS provider is configured.")
}
