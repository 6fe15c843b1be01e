package signin

import (
	"context"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/store"
)

// unverifiedEmail finds one of the user's unverified addresses.
func (s *Service) unverifiedEmail(ctx context.Context, userID, identID string) (store.Identification, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return store.Identification{}, translate(err)
	}
	for _, idn := range u.Identifications {
		if idn.ID == identID && idn.Type == store.TypeEmail {
			if idn.Verified {
				return idn, errVerificationUsed()
			}
			return idn, nil
		}
	}
	return store.Identification{}, apperr.NotFound()
}

// PrepareEmailVerification sends a code to an address a signed-in user added.
func (s *Service) PrepareEmailVerification(ctx context.Context, clientID, userID, identID, ip string) error {
	idn, err := s.unverifiedEmail(ctx, userID, identID)
	if err != nil {
		return err
	}
	if err := s.limit(ctx, "email", ip, s.settings.Auth.RateLimits.EmailsPerMinute); err != nil {
		return err
	}
	code, now := NewCode(), s.now()
	ver := store.Verification{ID: ids.New(ids.Verification), ClientID: clientID, Strategy: StrategyEmailCode,
		Status: "unverified", Identifier: &idn.Identifier, IdentificationID: &idn.ID,
		SecretHash: s.secrets.Hash(code), ExpireAt: now.Add(CodeTTL), CreatedAt: now}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertVerification(ver); err != nil {
			return err
		}
		return s.mailer.Enqueue(ctx, tx.Raw(), notify.Message{Kind: notify.KindVerificationCode, To: idn.Identifier, Code: code, TTL: CodeTTL})
	})
	if err != nil {
		return translate(err)
	}
	s.mailer.Kick()
	return nil
}

// AttemptEmailVerification checks the code sent for an added address.
func (s *Service) AttemptEmailVerification(ctx context.Context, userID, identID, code, ip string) error {
	if _, err := s.unverifiedEmail(ctx, userID, identID); err != nil {
		return err
	}
	if err := s.limit(ctx, "code", ip, s.settings.Auth.RateLimits.CodeAttemptsPerMinute); err != nil {
		return err
	}
	latest, err := s.store.LatestVerificationFor(ctx, identID)
	if err != nil {
		return apperr.New(apperr.KindInvalid, "verification_missing", "Request a code first.", "Send a verification code first.")
	}
	var outcome error
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		ver, err := tx.LockVerification(latest.ID)
		if err != nil {
			return err
		}
		ok, cerr := s.checkCode(&ver, code, false)
		if err := tx.SaveVerification(ver); err != nil {
			return err
		}
		if cerr != nil || !ok {
			outcome = cerr
			if outcome == nil {
				outcome = errCodeIncorrect()
			}
			return nil
		}
		u, err := tx.LockUser(userID)
		if err != nil {
			return err
		}
		return markVerified(tx, &u, identID)
	})
	if err != nil {
		return translate(err)
	}
	return outcome
}
