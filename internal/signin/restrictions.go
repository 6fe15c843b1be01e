package signin

import (
	"context"

	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/store"
)

// UseRestrictions makes the engine enforce the instance's allowlist,
// blocklist, email blocks and sign-up mode (internal/identity).
func (s *Service) UseRestrictions(r *identity.Restrictions) { s.restrict = r }

// Restrictions returns the checks in force (nil: none), for other ways in
// such as social sign-ups.
func (s *Service) Restrictions() *identity.Restrictions { return s.restrict }

// checkSignUpRestrictions checks a sign-up's identifiers together, each
// time they change. A sign-up without email, phone or wallet is judged once
// it is about to complete, when nothing more can come that the allowlist
// would accept. m is the caller's transaction, or nil outside one.
func (s *Service) checkSignUpRestrictions(ctx context.Context, m identity.Matcher, su store.SignUp) error {
	idents := signUpIdents(su)
	if len(idents) == 0 {
		if _, _, missing, _ := s.requirements(su); len(missing) > 0 {
			return nil
		}
	}
	return s.restrict.CheckAllIn(ctx, m, signUpPurpose(su), idents)
}

func signUpIdents(su store.SignUp) []identity.Ident {
	var out []identity.Ident
	if su.EmailAddress != nil {
		out = append(out, identity.Ident{Kind: identity.KindEmail, Value: *su.EmailAddress})
	}
	if su.PhoneNumber != nil {
		out = append(out, identity.Ident{Kind: identity.KindPhone, Value: *su.PhoneNumber})
	}
	return append(out, signUpWalletIdents(su)...)
}

// checkUserRestrictions is the last word before a session starts: a user
// whose identifiers were blocked after sign-up (or who signs in by
// username) is refused too, once the first factor is proven.
func (s *Service) checkUserRestrictions(tx *store.Tx, u store.User) error {
	idents := make([]identity.Ident, 0, len(u.Identifications))
	for _, i := range u.Identifications {
		idents = append(idents, identity.Ident{Kind: i.Type, Value: i.Identifier})
	}
	return s.restrict.CheckAllIn(tx.Context(), tx, identity.ForSignIn, idents)
}

// restrictProviderEmail judges the email address an upstream provider gave
// (none: nothing to judge) for a social sign-in or a connection.
func (s *Service) restrictProviderEmail(ctx context.Context, purpose identity.Purpose, email string) error {
	if email == "" {
		return nil
	}
	return s.restrict.Check(ctx, purpose, identity.KindEmail, email)
}
