package session

import (
	"context"
	"errors"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

func translate(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound()
	}
	if err != nil && apperr.As(err) == nil {
		return apperr.Internal(err, "session")
	}
	return err
}

// Get loads a session; clientID, when given, must own it.
func (s *Service) Get(ctx context.Context, id, clientID string) (store.Session, error) {
	sess, err := s.store.GetSession(ctx, id)
	if err == nil && clientID != "" && sess.ClientID != clientID {
		return store.Session{}, apperr.NotFound()
	}
	return sess, translate(err)
}

// ClientSessions lists a client's sessions.
func (s *Service) ClientSessions(ctx context.Context, clientID string) ([]store.Session, error) {
	out, err := s.store.SessionsByClient(ctx, clientID)
	return out, translate(err)
}

// List lists sessions, newest first. status, when given, filters by the
// session's status at now and replaces f.Statuses; f.Limit and f.Offset
// apply to the filtered list. "active" and "expired" are told apart by the
// clock, not by the stored status, so for those two the stored-active
// sessions are read in batches and filtered here: paging the stored rows
// instead would return short or empty pages while matching sessions remain.
func (s *Service) List(ctx context.Context, f store.SessionFilter, status string) ([]store.Session, error) {
	if status != StatusActive && status != StatusExpired {
		if status != "" {
			f.Statuses = []string{status}
		}
		out, err := s.store.ListSessions(ctx, f)
		return out, translate(err)
	}
	skip, limit := f.Offset, f.Limit
	if limit <= 0 {
		return []store.Session{}, nil
	}
	batch := max(limit+skip, 100)
	f.Statuses = []string{StatusActive}
	f.Limit, f.Offset = batch, 0
	out := []store.Session{}
	for {
		page, err := s.store.ListSessions(ctx, f)
		if err != nil {
			return nil, translate(err)
		}
		for _, sess := range page {
			if s.Status(sess) != status {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, sess)
			if len(out) == limit {
				return out, nil
			}
		}
		if len(page) < batch {
			return out, nil
		}
		f.Offset += batch
	}
}

// Touch makes an active session the client's active one and records activity.
func (s *Service) Touch(ctx context.Context, id, clientID string) (store.Session, error) {
	sess, err := s.Get(ctx, id, clientID)
	if err != nil {
		return sess, err
	}
	if st := s.Status(sess); st != StatusActive {
		return sess, errSessionNotActive(st)
	}
	now := s.now()
	sess, err = s.store.UpdateSession(ctx, id, func(x *store.Session) error {
		x.LastActiveAt, x.UpdatedAt = now, now
		return nil
	})
	if err != nil {
		return sess, translate(err)
	}
	_, err = s.store.UpdateClient(ctx, clientID, func(c *store.Client) error {
		c.LastActiveSessionID, c.UpdatedAt = &id, now
		return nil
	})
	return sess, translate(err)
}

// End signs a session out with status (ended by the user, removed from the
// client, or revoked by an operator). Ending a session that is no longer
// active changes nothing.
func (s *Service) End(ctx context.Context, id, clientID, status string) (store.Session, error) {
	now := s.now()
	sess, err := s.store.UpdateSession(ctx, id, func(x *store.Session) error {
		if clientID != "" && x.ClientID != clientID {
			return store.ErrNotFound
		}
		if x.Status == StatusActive {
			x.Status, x.EndedAt, x.UpdatedAt = status, &now, now
		}
		return nil
	})
	if err != nil {
		return sess, translate(err)
	}
	_, err = s.store.UpdateClient(ctx, sess.ClientID, func(c *store.Client) error {
		if c.LastActiveSessionID != nil && *c.LastActiveSessionID == id {
			c.LastActiveSessionID, c.UpdatedAt = nil, now
		}
		return nil
	})
	return sess, translate(err)
}

// EndAllForClient signs every session of a client out.
func (s *Service) EndAllForClient(ctx context.Context, clientID string) error {
	now := s.now()
	if _, err := s.store.EndClientSessions(ctx, clientID, StatusEnded, now); err != nil {
		return translate(err)
	}
	_, err := s.store.UpdateClient(ctx, clientID, func(c *store.Client) error {
		c.LastActiveSessionID, c.UpdatedAt = nil, now
		return nil
	})
	return translate(err)
}

// DeleteClient removes a client and everything on it (DELETE /v1/client).
func (s *Service) DeleteClient(ctx context.Context, clientID string) error {
	return translate(s.store.DeleteClient(ctx, clientID))
}
