package signin

import (
	"context"
	"errors"

	"github.com/latchkey/latchkey/internal/store"
)

// LinkResult is what opening an email link did.
type LinkResult struct {
	Status      string // verified, expired, failed
	ErrorCode   string // client_mismatch, already_used, ... when not verified
	RedirectURL string // where the person wanted to land
}

// VerifyLink verifies an email-link token opened by the client clientID
// ("" when the browser has no client). With require_same_client on, a link
// opened in another browser verifies nothing: it is marked failed with
// client_mismatch, which the tab that asked for it then sees.
func (s *Service) VerifyLink(ctx context.Context, clientID, token string) (LinkResult, error) {
	if token == "" || len(token) > 128 {
		return LinkResult{Status: "failed", ErrorCode: "link_invalid"}, nil
	}
	found, err := s.store.VerificationByLinkHash(ctx, s.secrets.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return LinkResult{Status: "failed", ErrorCode: "link_invalid"}, nil
	}
	if err != nil {
		return LinkResult{}, translate(err)
	}
	var res LinkResult
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		ver, err := tx.LockVerification(found.ID)
		if err != nil {
			return err
		}
		if ver.RedirectURL != nil {
			res.RedirectURL = *ver.RedirectURL
		}
		now := s.now()
		switch {
		case ver.Status != "unverified":
			res.Status, res.ErrorCode = "failed", "already_used"
			return nil
		case !ver.ExpireAt.After(now):
			ver.Status, res.Status, res.ErrorCode = "expired", "expired", "expired"
			return tx.SaveVerification(ver)
		case s.settings.Auth.EmailLink.RequireSameClient && clientID != ver.ClientID:
			code := "client_mismatch"
			ver.Status, ver.ErrorCode = "failed", &code
			res.Status, res.ErrorCode = "failed", code
			return tx.SaveVerification(ver)
		}
		ver.Status, ver.VerifiedAt = "verified", &now
		if err := tx.SaveVerification(ver); err != nil {
			return err
		}
		res.Status = "verified"
		return s.completeByLink(tx, ver)
	})
	return res, translate(err)
}

// completeByLink finishes whatever the link was for: the client's current
// sign-in or sign-up that is waiting on this verification.
func (s *Service) completeByLink(tx *store.Tx, ver store.Verification) error {
	c, err := tx.LockClient(ver.ClientID)
	if err != nil {
		return err
	}
	if c.SignInID != nil {
		si, err := tx.LockSignIn(*c.SignInID)
		if err != nil {
			return err
		}
		if si.FirstFactorVerificationID != nil && *si.FirstFactorVerificationID == ver.ID && si.Status == NeedsFirstFactor && si.UserID != nil {
			u, err := tx.LockUser(*si.UserID)
			if err != nil {
				return err
			}
			if ver.IdentificationID != nil {
				if err := markVerified(tx, &u, *ver.IdentificationID); err != nil {
					return err
				}
			}
			si.FirstFactorStatus = strp("verified")
			return s.completeSignIn(tx, &si, &u, StrategyEmailLink)
		}
	}
	if c.SignUpID != nil {
		su, err := tx.LockSignUp(*c.SignUpID)
		if err != nil {
			return err
		}
		if su.EmailVerificationID != nil && *su.EmailVerificationID == ver.ID && su.Status == MissingRequirements {
			su.EmailVerifiedAt, su.UpdatedAt = ver.VerifiedAt, s.now()
			if err := tx.SaveSignUp(su); err != nil {
				return err
			}
			return s.tryCompleteSignUp(tx, &su)
		}
	}
	return nil
}
