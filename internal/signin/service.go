// Package signin is the sign-in and sign-up engine: Clerk's sign_in and
// sign_up state machines, their verifications (one-time codes and email
// links), password checks with lockout, and the hand-over to a new session.
// The frontend API and the hosted pages both drive this one engine.
package signin

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/identity"
	"github.com/latchkey/latchkey/internal/identity/password"
	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/ratelimit"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/social"
	"github.com/latchkey/latchkey/internal/store"
)

// Lifetimes of the engine's objects.
const (
	CodeTTL         = 10 * time.Minute
	LinkTTL         = 10 * time.Minute
	AttemptTTL      = 24 * time.Hour // a sign-in or sign-up left alone is abandoned
	MaxCodeAttempts = 5
)

// Store is what the engine needs from storage.
type Store interface {
	Tx(ctx context.Context, fn func(*store.Tx) error) error
	GetSignIn(ctx context.Context, id string) (store.SignIn, error)
	GetSignUp(ctx context.Context, id string) (store.SignUp, error)
	GetVerification(ctx context.Context, id string) (store.Verification, error)
	VerificationByLinkHash(ctx context.Context, hash []byte) (store.Verification, error)
	LatestVerificationFor(ctx context.Context, identID string) (store.Verification, error)
	UserIDByIdentifier(ctx context.Context, typ, value string) (string, error)
	GetUser(ctx context.Context, id string) (store.User, error)
	SessionsByClient(ctx context.Context, clientID string) ([]store.Session, error)
	PasskeyStore
	ExternalAccountBySubject(ctx context.Context, provider, subject string) (store.ExternalAccount, error)
	UpstreamOutcome(ctx context.Context, column, id string) (string, *store.FlowError, error)
}

// Mailer delivers codes and links (internal/notify).
type Mailer interface {
	Enqueue(ctx context.Context, tx pgx.Tx, m notify.Message) error
	Kick()
}

// Settings are the instance options the engine enforces.
type Settings struct {
	Auth               config.Auth
	PublicURL          string
	LockoutMaxAttempts int
	LockoutDuration    time.Duration
	// AllowedRedirect reports whether a URL may be sent to after an email link.
	AllowedRedirect func(string) bool
}

// Service is the engine.
type Service struct {
	store    Store
	sessions *session.Service
	hasher   *password.Hasher
	mailer   Mailer
	texter   Texter // nil until EnableSMS
	limiter  *ratelimit.Limiter
	secrets  *Secrets
	settings Settings
	now      func() time.Time
	restrict *identity.Restrictions // nil: no restrictions (see UseRestrictions)
	// invitations: nil means tickets are refused (see UseInvitations).
	invitations InvitationStore
	mfa         SecondFactorChecker // second_factor.go; nil: no second factors
	sms2fa      SecondFactorSMS     // second_factor_phone.go; nil: no phone_code second factor
	social      *social.Service     // nil: no upstream providers configured
}

// New wires the engine.
func New(s Store, sessions *session.Service, h *password.Hasher, m Mailer, l *ratelimit.Limiter,
	secrets *Secrets, settings Settings, now func() time.Time) *Service {
	return &Service{store: s, sessions: sessions, hasher: h, mailer: m, limiter: l, secrets: secrets,
		settings: settings, now: now}
}

// SetSocial enables sign-in through upstream providers.
func (s *Service) SetSocial(x *social.Service) { s.social = x }

// Social is the upstream-provider service (nil when none is configured).
func (s *Service) Social() *social.Service { return s.social }

// Settings returns the options in force.
func (s *Service) Settings() Settings { return s.settings }

// translate maps store errors for the frontend API.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound()
	}
	var uv *store.UniqueViolation
	if errors.As(err, &uv) {
		switch uv.Constraint {
		case "users_username_key":
			return apperr.IdentifierExists("username", "username")
		case "identifications_identifier_key":
			return apperr.IdentifierExists("email_address", "email address")
		}
	}
	if apperr.As(err) != nil {
		return err
	}
	return apperr.Internal(err, "signin")
}

// limit applies a per-IP limit; ip may be empty in tests.
func (s *Service) limit(ctx context.Context, kind, ip string, perMinute int) error {
	if ip == "" {
		return nil
	}
	return s.limiter.Allow(ctx, kind+":"+ip, perMinute, time.Minute)
}

func strp(v string) *string { return &v }
