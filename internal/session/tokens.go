package session

import (
	"context"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// touchGranularity bounds how often minting writes last_active_at: at most
// once per window per session, and only when an inactivity timeout is on.
func (s *Service) touchGranularity() time.Duration {
	g := s.settings.InactivityTimeout / 20
	if g < 5*time.Second {
		g = 5 * time.Second
	}
	if g > time.Minute {
		g = time.Minute
	}
	return g
}

// ErrSessionNotActive is why an ended, revoked or expired session mints nothing.
func errSessionNotActive(status string) error {
	return apperr.New(apperr.KindUnauthenticated, "session_not_active", "Session is not active",
		"The session is "+status+"; sign in again.").WithMeta("status", status)
}

// MintToken returns a session JWT for sessionID. When clientID is non-empty
// the session must belong to that client (the frontend API's check). The hot
// path is one indexed read plus an RS256 signature; it writes only when the
// inactivity timeout needs a fresher last_active_at.
func (s *Service) MintToken(ctx context.Context, sessionID, clientID, azp string) (string, error) {
	sess, err := s.store.GetSession(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && clientID != "" && sess.ClientID != clientID) {
		return "", apperr.NotFound()
	}
	if err != nil {
		return "", apperr.Internal(err, "load session")
	}
	if st := s.Status(sess); st != StatusActive {
		return "", errSessionNotActive(st)
	}
	now := s.now()
	if s.settings.InactivityTimeout > 0 && now.Sub(sess.LastActiveAt) >= s.touchGranularity() {
		if err := s.store.TouchSession(ctx, sess.ID, now, now.Add(-s.touchGranularity())); err != nil {
			return "", apperr.Internal(err, "touch session")
		}
	}
	return s.sign(sess, azp, now)
}

func (s *Service) sign(sess store.Session, azp string, now time.Time) (string, error) {
	signer := s.keyring.Signer()
	fva := []int64{int64(now.Sub(sess.FirstFactorVerifiedAt).Minutes()), -1}
	if sess.SecondFactorVerifiedAt != nil {
		fva[1] = int64(now.Sub(*sess.SecondFactorVerifiedAt).Minutes())
	}
	claims := jwt.MapClaims{
		"iss": s.settings.Issuer,
		"sub": sess.UserID,
		"sid": sess.ID,
		"iat": now.Unix(),
		"nbf": now.Add(-5 * time.Second).Unix(), // tolerate small clock skew at verifiers
		"exp": now.Add(s.settings.TokenTTL).Unix(),
		"v":   2,
		"fva": fva,
	}
	if azp != "" {
		claims["azp"] = azp
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = signer.KID
	out, err := tok.SignedString(signer.Key)
	if err != nil {
		return "", apperr.Internal(err, "sign session token")
	}
	return out, nil
}
