package identity

import (
	"context"
	"errors"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// DeleteExternalAccount disconnects a user's external account, refused when
// canSignIn says the user would be left with no way to sign in. The check
// and the delete share one transaction with the user locked, so two
// concurrent disconnects cannot both pass it.
func (s *Service) DeleteExternalAccount(ctx context.Context, userID, id string,
	canSignIn func(u store.User, remaining []store.ExternalAccount) bool) error {
	err := s.store.DeleteExternalAccountIf(ctx, userID, id, func(u store.User, remaining []store.ExternalAccount) error {
		if !canSignIn(u, remaining) {
			return apperr.New(apperr.KindInvalid, "external_account_last_sign_in_method",
				"This is your only way to sign in.",
				"Add a password or another sign-in method before disconnecting this account.")
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound()
	}
	if apperr.As(err) != nil {
		return err
	}
	if err != nil {
		return apperr.Internal(err, "delete external account")
	}
	return nil
}
