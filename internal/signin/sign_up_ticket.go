package signin

import (
	"context"
	"errors"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/store"
)

// StrategyTicket signs up with an invitation's ticket (__clerk_ticket).
const StrategyTicket = "ticket"

// InvitationStore is how the engine finds the invitation of a ticket.
type InvitationStore interface {
	InvitationByTicketHash(ctx context.Context, hash []byte) (store.Invitation, error)
}

// UseInvitations lets sign-ups redeem invitation tickets.
func (s *Service) UseInvitations(st InvitationStore) { s.invitations = st }

// applyTicket redeems in.Ticket onto a sign-up: the invitation's address
// becomes the sign-up's, verified (the ticket reached that inbox), and the
// allowlist and the restricted mode no longer stand in its way. The
// invitation is marked accepted only when the user is created
// (acceptSignUpInvitation), so an abandoned sign-up does not spend it.
func (s *Service) applyTicket(ctx context.Context, su *store.SignUp, in SignUpInput) error {
	if in.Ticket == nil {
		if in.Strategy == StrategyTicket {
			return apperr.ParamMissing("ticket")
		}
		return nil
	}
	if s.invitations == nil || *in.Ticket == "" {
		return errTicketInvalid()
	}
	inv, err := s.invitations.InvitationByTicketHash(ctx, identity.TicketHash(*in.Ticket))
	if errors.Is(err, store.ErrNotFound) {
		return errTicketInvalid()
	}
	if err != nil {
		return apperr.Internal(err, "look up invitation")
	}
	switch identity.InvitationStatus(inv, s.now()) {
	case store.InvitationPending:
	case "expired":
		return apperr.New(apperr.KindInvalid, "ticket_expired", "This invitation has expired.",
			"The invitation has expired. Ask for a new one.").WithParam("ticket")
	default:
		return errTicketInvalid()
	}
	if in.EmailAddress != nil {
		if v, err := identity.NormalizeEmail("email_address", *in.EmailAddress); err != nil || v != inv.EmailAddress {
			return errInvitedEmailFixed()
		}
	}
	if err := s.checkFree(ctx, store.TypeEmail, inv.EmailAddress, "email_address", "email address"); err != nil {
		return err
	}
	now := s.now()
	email := inv.EmailAddress
	su.EmailAddress, su.EmailVerifiedAt, su.EmailVerificationID, su.InvitationID = &email, &now, nil, &inv.ID
	return nil
}

// acceptSignUpInvitation spends the sign-up's invitation in the transaction
// that creates the user, who gets its public metadata. An invitation
// revoked or expired meanwhile refuses the sign-up whole.
func (s *Service) acceptSignUpInvitation(tx *store.Tx, su *store.SignUp, u *store.User) error {
	if su.InvitationID == nil {
		return nil
	}
	inv, err := tx.AcceptInvitation(*su.InvitationID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return errTicketInvalid()
	}
	if err != nil {
		return err
	}
	if len(inv.PublicMetadata) > 0 {
		u.PublicMetadata = inv.PublicMetadata
	}
	for i := range u.Identifications {
		if u.Identifications[i].Type == store.TypeEmail && u.Identifications[i].Verified {
			strategy := StrategyTicket
			u.Identifications[i].VerificationStrategy = &strategy
		}
	}
	return nil
}

// signUpPurpose says which restriction rules a sign-up is judged by.
func signUpPurpose(su store.SignUp) identity.Purpose {
	if su.InvitationID != nil {
		return identity.ForInvitedSignUp
	}
	return identity.ForSignUp
}

func errTicketInvalid() error {
	return apperr.New(apperr.KindInvalid, "ticket_invalid", "This invitation is not valid.",
		"The invitation ticket is unknown, revoked or already used.").WithParam("ticket")
}

func errInvitedEmailFixed() error {
	return apperr.New(apperr.KindInvalid, "form_param_value_invalid", "is not the invited email address",
		"A sign-up with an invitation uses the invited email address.").WithParam("email_address")
}
