package signin

import (
	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// completeSignIn hands a sign-in over to a new session, in the caller's
// transaction: the session, the client's active session, the sign-in's
// status and the user's last sign-in all commit together.
func (s *Service) completeSignIn(tx *store.Tx, si *store.SignIn, u *store.User, strategy string) error {
	now := s.now()
	if u.Banned {
		return apperr.New(apperr.KindForbidden, "user_banned", "Your account is banned.",
			"This account has been banned. Contact the application's support.")
	}
	if locked, permanent, until := lockState(*u, now); locked {
		return errUserLocked(until, now, permanent)
	}
	if err := s.checkUserRestrictions(tx, *u); err != nil {
		return err
	}
	if s.secondFactorDue(*si, *u, strategy) {
		return s.awaitSecondFactor(tx, si, u)
	}
	sess, err := s.startSession(tx, si.ClientID, u.ID, strategy)
	if err != nil {
		return err
	}
	si.Status, si.CreatedSessionID, si.UpdatedAt = Complete, &sess.ID, now
	if err := tx.SaveSignIn(*si); err != nil {
		return err
	}
	if err := s.linkPending(tx, "sign_in_id", si.ID, u, strategy, sess.ID); err != nil {
		return err
	}
	u.LastSignInAt, u.UpdatedAt = &now, now
	return tx.SaveUser(*u)
}

// startSession creates a session and makes it the client's active one. In
// single-session mode any other active session on the client ends.
func (s *Service) startSession(tx *store.Tx, clientID, userID, strategy string) (store.Session, error) {
	now := s.now()
	c, err := tx.LockClient(clientID)
	if err != nil {
		return store.Session{}, err
	}
	existing, err := tx.ClientSessions(clientID)
	if err != nil {
		return store.Session{}, err
	}
	for _, e := range existing {
		if s.sessions.Status(e) != session.StatusActive {
			continue
		}
		if !s.sessions.Settings().MultiSession {
			return store.Session{}, errSessionExists()
		}
		if e.UserID == userID {
			return store.Session{}, errAlreadySignedIn(e.ID)
		}
	}
	sess := s.sessions.NewSession(clientID, userID, strategy)
	if err := tx.InsertSession(sess); err != nil {
		return store.Session{}, err
	}
	c.LastActiveSessionID, c.LastAuthenticationStrategy, c.UpdatedAt = &sess.ID, &strategy, now
	return sess, tx.SaveClient(c)
}

func errSessionExists() error {
	return apperr.New(apperr.KindInvalid, "session_exists", "You're already signed in.",
		"You're currently in single session mode. You can only be signed into one account at a time.")
}

// errAlreadySignedIn refuses a second session of one user on one client
// (multi-session mode); meta.session_id names the existing one, which
// clerk-js then makes active instead.
func errAlreadySignedIn(sessionID string) error {
	return apperr.New(apperr.KindInvalid, "identifier_already_signed_in", "You're already signed in.",
		"You're already signed in to this account on this device.").WithMeta("session_id", sessionID)
}
