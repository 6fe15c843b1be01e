// Package redirecturls keeps the allowlist of redirect URLs that native apps
// may return to after an OAuth flow (custom schemes such as myapp://callback),
// managed through the Backend API's /v1/redirect_urls. The OAuth flow checks a
// requested redirect with store.DB.RedirectURLAllowlisted.
package redirecturls

import (
	"context"
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// Store is what the allowlist needs from the database.
type Store interface {
	InsertRedirectURL(ctx context.Context, u store.RedirectURL) error
	GetRedirectURL(ctx context.Context, id string) (store.RedirectURL, error)
	ListRedirectURLs(ctx context.Context, limit, offset int) ([]store.RedirectURL, int64, error)
	DeleteRedirectURL(ctx context.Context, id string) error
}

// Service manages the allowlist.
type Service struct {
	db  Store
	now func() time.Time
}

// New returns the service.
func New(db Store, now func() time.Time) *Service { return &Service{db: db, now: now} }

// Create validates and allowlists a URL.
func (s *Service) Create(ctx context.Context, raw string) (store.RedirectURL, error) {
	if err := Validate(raw); err != nil {
		return store.RedirectURL{}, err
	}
	now := s.now().UTC()
	u := store.RedirectURL{ID: ids.New(ids.RedirectURL), URL: raw, CreatedAt: now, UpdatedAt: now}
	err := s.db.InsertRedirectURL(ctx, u)
	var dup *store.UniqueViolation
	if errors.As(err, &dup) {
		return store.RedirectURL{}, apperr.New(apperr.KindInvalid, "duplicate_record", "already exists",
			"The redirect URL "+raw+" is already on the allowlist.").WithParam("url")
	}
	if err != nil {
		return store.RedirectURL{}, apperr.Internal(err, "insert redirect url")
	}
	return u, nil
}

// Get loads one by id.
func (s *Service) Get(ctx context.Context, id string) (store.RedirectURL, error) {
	u, err := s.db.GetRedirectURL(ctx, id)
	return u, mapErr(err, "get redirect url")
}

// List returns a page, newest first, with the total count.
func (s *Service) List(ctx context.Context, limit, offset int) ([]store.RedirectURL, int64, error) {
	list, total, err := s.db.ListRedirectURLs(ctx, limit, offset)
	return list, total, mapErr(err, "list redirect urls")
}

// Delete removes one from the allowlist.
func (s *Service) Delete(ctx context.Context, id string) error {
	return mapErr(s.db.DeleteRedirectURL(ctx, id), "delete redirect url")
}

func mapErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return apperr.NotFound()
	default:
		return apperr.Internal(err, "%s", what)
	}
}
