package oauth

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/store"
)

var errTokenInvalid = errors.New("token invalid")

// verifyAccessToken checks one of our JWT access tokens: RS256 only (so
// alg=none and HS256 tricks fail), signed by a published key, our issuer,
// typ at+jwt, unexpired, and not revoked by jti or grant nor orphaned by a
// deleted application, grant or user — the one indexed read of userinfo and
// introspection.
func (p *Provider) verifyAccessToken(ctx context.Context, raw string) (*accessClaims, error) {
	if raw == "" || len(raw) > 8192 {
		return nil, errTokenInvalid
	}
	if strings.HasPrefix(raw, opaquePrefix) {
		return p.verifyOpaque(ctx, raw)
	}
	claims, err := p.parseAccessJWT(raw)
	if err != nil {
		return nil, err
	}
	revoked, err := p.store.TokenRevoked(ctx, claims.ID, claims.GrantID, claims.ClientID)
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, errTokenInvalid
	}
	return claims, nil
}

// verifyOpaque looks an opaque token up by hash: one indexed read that also
// checks revocation, the application and the grant.
func (p *Provider) verifyOpaque(ctx context.Context, raw string) (*accessClaims, error) {
	t, err := p.store.LiveOpaqueAccessToken(ctx, hashToken(raw), p.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, errTokenInvalid
	}
	if err != nil {
		return nil, err
	}
	c := &accessClaims{ClientID: t.ClientID, Scope: t.Scopes}
	c.ID, c.Subject, c.Issuer = t.JTI, t.ClientID, p.settings.Issuer
	if t.UserID != nil {
		c.Subject = *t.UserID
	}
	if t.GrantID != nil {
		c.GrantID = *t.GrantID
	}
	c.IssuedAt, c.ExpiresAt = jwt.NewNumericDate(t.CreatedAt), jwt.NewNumericDate(t.ExpiresAt)
	return c, nil
}

// parseAccessJWT checks a JWT access token's signature and claims without
// touching the database; revocation is the caller's one read.
func (p *Provider) parseAccessJWT(raw string) (*accessClaims, error) {
	claims := &accessClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != "at+jwt" {
			return nil, errTokenInvalid
		}
		kid, _ := t.Header["kid"].(string)
		key, ok := p.keyring.PublicKey(kid)
		if !ok {
			return nil, errTokenInvalid
		}
		return key, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(p.settings.Issuer), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(p.now), jwt.WithLeeway(5*time.Second))
	if err != nil || !tok.Valid || claims.ID == "" {
		return nil, errTokenInvalid
	}
	return claims, nil
}
