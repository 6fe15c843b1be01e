package mfa

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// The code parameters every authenticator app understands (RFC 6238 defaults).
const (
	period = 30
	digits = otp.DigitsSix
	// skew accepts the step before and after the current one, for clocks a
	// little apart; a code is still accepted at most once (lastUsedStep).
	skew = 1
)

// Enrolment is an authenticator app with its secret in the clear, for the
// person setting it up. URI is the otpauth:// URI a QR code carries.
type Enrolment struct {
	TOTP   store.TOTP
	Secret string
	URI    string
}

func errTOTPExists() error {
	return apperr.New(apperr.KindInvalid, "totp_already_enabled", "An authenticator app is already set up",
		"You already have an authenticator app. Remove it before adding another.")
}

func errCodeIncorrect() error {
	return apperr.New(apperr.KindInvalid, "form_code_incorrect", "Incorrect code", "The code you entered is incorrect.").WithParam("code")
}

// aad binds a sealed secret to its user, so it cannot be moved to another row.
func aad(userID string) []byte { return []byte("totps.secret_sealed:" + userID) }

// CreateTOTP starts enrolling an authenticator app: a new secret, not yet
// usable for sign-in until a first code confirms it. A pending enrolment is
// replaced; a confirmed one must be removed first. account labels the entry
// in the person's app.
func (s *Service) CreateTOTP(ctx context.Context, userID, account string) (Enrolment, error) {
	if !s.settings.Factors.TOTP {
		return Enrolment{}, errDisabled("totp")
	}
	if cur, err := s.store.GetTOTP(ctx, userID); err == nil && cur.VerifiedAt != nil {
		return Enrolment{}, errTOTPExists()
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Enrolment{}, translate(err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.settings.Issuer, AccountName: account,
		Period: period, Digits: digits, Algorithm: otp.AlgorithmSHA1, SecretSize: 20})
	if err != nil {
		return Enrolment{}, apperr.Internal(err, "generate totp")
	}
	now := s.now()
	t := store.TOTP{ID: ids.New(IDPrefix), UserID: userID, SecretSealed: s.box.Seal([]byte(key.Secret()), aad(userID)),
		CreatedAt: now, UpdatedAt: now}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		if cur, err := tx.LockTOTP(userID); err == nil && cur.VerifiedAt != nil {
			return errTOTPExists() // confirmed meanwhile
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.PutTOTP(t)
	})
	if err != nil {
		return Enrolment{}, translate(err)
	}
	return Enrolment{TOTP: t, Secret: key.Secret(), URI: s.uri(key.Secret(), account)}, nil
}

// PendingTOTP returns the enrolment waiting for its first code, with its
// secret, so the page can show it again; NotFound when there is none.
func (s *Service) PendingTOTP(ctx context.Context, userID, account string) (Enrolment, error) {
	t, err := s.store.GetTOTP(ctx, userID)
	if err != nil || t.VerifiedAt != nil {
		return Enrolment{}, apperr.NotFound()
	}
	secret, err := s.box.Open(t.SecretSealed, aad(userID))
	if err != nil {
		return Enrolment{}, apperr.Internal(err, "open totp secret")
	}
	return Enrolment{TOTP: t, Secret: string(secret), URI: s.uri(string(secret), account)}, nil
}

// uri is the otpauth:// URI of a secret (Key Uri Format), as authenticator
// apps read it from a QR code.
func (s *Service) uri(secret, account string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", s.settings.Issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", "30")
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + s.settings.Issuer + ":" + account, RawQuery: v.Encode()}
	return u.String()
}

// QRCode renders an otpauth URI as a PNG data: URI, for an <img> in the page.
func QRCode(uri string) (string, error) {
	k, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", err
	}
	img, err := k.Image(240, 240)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// VerifyTOTP confirms a pending enrolment with a first code. When backup
// codes are on and the user has none, a set is made in the same
// transaction and returned, to be shown once.
func (s *Service) VerifyTOTP(ctx context.Context, userID, code string) (store.TOTP, []string, error) {
	if !s.settings.Factors.TOTP {
		return store.TOTP{}, nil, errDisabled("totp")
	}
	code = normalizeTOTP(code)
	if code == "" {
		return store.TOTP{}, nil, apperr.ParamMissing("code")
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return store.TOTP{}, nil, translate(err)
	}
	var out store.TOTP
	var codes []string
	var outcome error
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		t, err := tx.LockTOTP(userID)
		if errors.Is(err, store.ErrNotFound) {
			outcome = apperr.New(apperr.KindNotFound, "resource_not_found", "No authenticator app to verify",
				"Start setting up an authenticator app first.")
			return nil
		}
		if err != nil {
			return err
		}
		if t.VerifiedAt != nil {
			outcome = errTOTPExists()
			return nil
		}
		ok, err := s.check(&t, code)
		if err != nil {
			return err
		}
		if !ok {
			outcome = errCodeIncorrect()
			return nil
		}
		now := s.now()
		t.VerifiedAt, t.UpdatedAt = &now, now
		if err := tx.SaveTOTP(t); err != nil {
			return err
		}
		out = t
		if s.settings.Factors.BackupCode && !u.BackupCodeEnabled {
			codes = newBackupCodes()
			return tx.ReplaceBackupCodes(userID, s.hashAll(codes), now)
		}
		return nil
	})
	if err != nil {
		return store.TOTP{}, nil, translate(err)
	}
	return out, codes, outcome
}

// DeleteTOTP removes the user's authenticator app. Backup codes go with it
// when no other second factor remains: alone they would be a second factor
// the person can only spend down. It reports whether there was one.
func (s *Service) DeleteTOTP(ctx context.Context, userID string) (store.TOTP, error) {
	var removed store.TOTP
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		// The user first, then the app: the order a sign-in locks them in.
		u, err := tx.LockUser(userID)
		if err != nil {
			return err
		}
		if removed, err = tx.LockTOTP(userID); err != nil {
			return err
		}
		if _, err := tx.DeleteTOTP(userID); err != nil {
			return err
		}
		// Backup codes stay while a phone number reserved for the second
		// factor remains: they are its fallback too.
		if s.hasOtherFactor(u) {
			return nil
		}
		_, err = tx.DeleteBackupCodes(userID)
		return err
	})
	return removed, translate(err)
}

// CheckTOTP checks a code against the user's confirmed authenticator app in
// the caller's transaction. A code is accepted only for a time step later
// than the last one accepted (RFC 6238 §5.2): a code seen once, or an older
// one, is refused even within its 30 seconds.
func (s *Service) CheckTOTP(tx *store.Tx, userID, code string) (bool, error) {
	if !s.settings.Factors.TOTP {
		return false, nil
	}
	t, err := tx.LockTOTP(userID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if t.VerifiedAt == nil {
		return false, nil
	}
	ok, err := s.check(&t, normalizeTOTP(code))
	if err != nil || !ok {
		return false, err
	}
	t.UpdatedAt = s.now()
	return true, tx.SaveTOTP(t)
}

// check compares code with the codes of the steps around now, newer than
// t.LastUsedStep, in constant time; on a match it records the step in t.
func (s *Service) check(t *store.TOTP, code string) (bool, error) {
	if len(code) != digits.Length() {
		return false, nil
	}
	secret, err := s.box.Open(t.SecretSealed, aad(t.UserID))
	if err != nil {
		return false, err
	}
	current := s.now().Unix() / period
	matched := int64(0)
	for step := current - skew; step <= current+skew; step++ {
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix(step*period, 0).UTC(),
			totp.ValidateOpts{Period: period, Digits: digits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > t.LastUsedStep && matched == 0 {
			matched = step
		}
	}
	if matched == 0 {
		return false, nil
	}
	t.LastUsedStep = matched
	return true, nil
}

// normalizeTOTP drops the spaces some apps show in the middle of a code.
func normalizeTOTP(code string) string {
	return strings.ReplaceAll(strings.TrimSpace(code), " ", "")
}
