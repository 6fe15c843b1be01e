package session

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"time"

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
	// Strictly older than the window, as TouchSession's condition reads:
	// with >= here, a mint exactly one window after the last write would
	// send an UPDATE that changes nothing.
	if g := s.touchGranularity(); s.settings.InactivityTimeout > 0 && now.Sub(sess.LastActiveAt) > g {
		if err := s.store.TouchSession(ctx, sess.ID, now, now.Add(-g)); err != nil {
			return "", apperr.Internal(err, "touch session")
		}
	}
	return s.sign(sess, azp, now)
}

// sign builds and signs the session JWT. It produces exactly what
// golang-jwt's jwt.NewWithClaims(RS256, MapClaims{...}).SignedString would
// (keys in sorted order, strings escaped as encoding/json does) without the
// map, the reflection-based encoding and the intermediate strings: the
// header is encoded once per signing key, and the token is assembled in one
// buffer around a single SHA-256 and RSA signature.
func (s *Service) sign(sess store.Session, azp string, now time.Time) (string, error) {
	signer := s.keyring.Signer()
	fva0, fva1 := int64(now.Sub(sess.FirstFactorVerifiedAt).Minutes()), int64(-1)
	if sess.SecondFactorVerifiedAt != nil {
		fva1 = int64(now.Sub(*sess.SecondFactorVerifiedAt).Minutes())
	}
	iat := now.Unix()
	nbf := now.Add(-5 * time.Second).Unix() // tolerate small clock skew at verifiers
	exp := now.Add(s.settings.TokenTTL).Unix()

	c := make([]byte, 0, 192+len(s.settings.Issuer)+len(azp))
	c = append(c, '{')
	if azp != "" {
		c = appendJSONString(append(c, `"azp":`...), azp)
		c = append(c, ',')
	}
	c = strconv.AppendInt(append(c, `"exp":`...), exp, 10)
	c = strconv.AppendInt(append(c, `,"fva":[`...), fva0, 10)
	c = strconv.AppendInt(append(c, ','), fva1, 10)
	c = strconv.AppendInt(append(c, `],"iat":`...), iat, 10)
	c = appendJSONString(append(c, `,"iss":`...), s.settings.Issuer)
	c = strconv.AppendInt(append(c, `,"nbf":`...), nbf, 10)
	c = appendJSONString(append(c, `,"sid":`...), sess.ID)
	c = appendJSONString(append(c, `,"sub":`...), sess.UserID)
	c = append(c, `,"v":2}`...)

	header := s.encodedHeader(signer.KID)
	enc := base64.RawURLEncoding
	sigLen := enc.EncodedLen(signer.Key.Size())
	tok := make([]byte, 0, len(header)+1+enc.EncodedLen(len(c))+1+sigLen)
	tok = append(tok, header...)
	tok = append(tok, '.')
	tok = enc.AppendEncode(tok, c)
	digest := sha256.Sum256(tok)
	sig, err := rsa.SignPKCS1v15(nil, signer.Key, crypto.SHA256, digest[:])
	if err != nil {
		return "", apperr.Internal(err, "sign session token")
	}
	tok = append(tok, '.')
	tok = enc.AppendEncode(tok, sig)
	return string(tok), nil
}

// jwtHeader is a signing key's encoded JOSE header.
type jwtHeader struct {
	kid     string
	encoded string
}

// encodedHeader returns base64url({"alg":"RS256","kid":kid,"typ":"JWT"}),
// computed once per signing key (the keyring may rotate; the cache follows).
func (s *Service) encodedHeader(kid string) string {
	if h := s.header.Load(); h != nil && h.kid == kid {
		return h.encoded
	}
	c := appendJSONString([]byte(`{"alg":"RS256","kid":`), kid)
	c = append(c, `,"typ":"JWT"}`...)
	h := &jwtHeader{kid: kid, encoded: base64.RawURLEncoding.EncodeToString(c)}
	s.header.Store(h)
	return h.encoded
}

// appendJSONString appends v as a JSON string, escaped exactly as
// encoding/json escapes it. Plain printable ASCII, which ids, URLs and
// origins are, is copied as is; anything else goes through encoding/json.
func appendJSONString(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b > 0x7e || b == '"' || b == '\\' || b == '<' || b == '>' || b == '&' {
			raw, _ := json.Marshal(v) // a string always marshals
			return append(dst, raw...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, v...)
	return append(dst, '"')
}
