package session

import (
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// Session statuses, as Clerk names them. active, ended, removed and revoked
// are stored; expired is derived from the clock.
const (
	StatusActive  = "active"
	StatusEnded   = "ended"
	StatusRemoved = "removed"
	StatusRevoked = "revoked"
	StatusExpired = "expired"
)

// Status is the session's status at now: a stored end wins, then the
// maximum lifetime, then the inactivity timeout.
func (s *Service) Status(sess store.Session) string {
	if sess.Status != StatusActive {
		return sess.Status
	}
	now := s.now()
	if !sess.ExpireAt.After(now) {
		return StatusExpired
	}
	if t := s.settings.InactivityTimeout; t > 0 && !sess.LastActiveAt.Add(t).After(now) {
		return StatusExpired
	}
	return StatusActive
}

// ExpireAt is when the session will expire if nothing else happens.
func (s *Service) ExpireAt(sess store.Session) time.Time {
	at := sess.ExpireAt
	if t := s.settings.InactivityTimeout; t > 0 && sess.LastActiveAt.Add(t).Before(at) {
		at = sess.LastActiveAt.Add(t)
	}
	return at
}
