package oauth

import (
	"context"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// accessClaims are the RFC 9068 claims of a JWT access token. gid ties the
// token to its grant so revoking the grant ends it.
type accessClaims struct {
	jwt.RegisteredClaims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
	GrantID  string `json:"gid,omitempty"`
}

// issued is a token response.
type issued struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

// accessToken issues an access token: an RS256 JWT (typ at+jwt) that
// issuing writes nowhere, with revocation checked by jti and grant where it
// is used — or, with OpaqueAccessTokens, a random token stored as a hash.
func (p *Provider) accessToken(ctx context.Context, app store.OAuthApp, subject, scopes, grantID string, now time.Time) (string, error) {
	jti := ids.New("at")
	exp := now.Add(p.settings.AccessTokenTTL)
	if p.settings.OpaqueAccessTokens {
		tok := opaquePrefix + randomToken()
		row := store.OpaqueAccessToken{TokenHash: hashToken(tok), JTI: jti, ApplicationID: app.ID, Scopes: scopes,
			CreatedAt: now, ExpiresAt: exp}
		if grantID != "" {
			row.GrantID = &grantID
		}
		if subject != app.ClientID {
			row.UserID = &subject
		}
		return tok, p.store.InsertOpaqueAccessToken(ctx, row)
	}
	signer := p.keyring.Signer()
	claims := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: p.settings.Issuer, Subject: subject, Audience: jwt.ClaimStrings{app.ClientID},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp), ID: jti,
		},
		ClientID: app.ClientID, Scope: scopes, GrantID: grantID,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = signer.KID
	tok.Header["typ"] = "at+jwt"
	return tok.SignedString(signer.Key)
}

// opaquePrefix marks opaque access tokens, so verification knows which kind
// it holds without trying both.
const opaquePrefix = "lkat_"

// idToken signs an OpenID Connect ID token with the claims the scopes allow.
func (p *Provider) idToken(app store.OAuthApp, u store.User, scopes, nonce string, authTime, now time.Time) (string, error) {
	signer := p.keyring.Signer()
	claims := jwt.MapClaims{
		"iss": p.settings.Issuer, "sub": u.ID, "aud": app.ClientID, "iat": now.Unix(),
		"exp": now.Add(p.settings.AccessTokenTTL).Unix(), "auth_time": authTime.Unix(), "jti": ids.New("idt"),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	for k, v := range userClaims(u, scopes) {
		if k != "sub" {
			claims[k] = v
		}
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = signer.KID
	return tok.SignedString(signer.Key)
}

// userClaims are the profile claims for the granted scopes, as the seed's
// userinfo table lists them.
func userClaims(u store.User, scopes string) map[string]any {
	c := map[string]any{"sub": u.ID}
	if hasScope(scopes, "profile") {
		c["user_id"] = u.ID
		c["given_name"] = deref(u.FirstName)
		c["family_name"] = deref(u.LastName)
		c["name"] = strings.TrimSpace(deref(u.FirstName) + " " + deref(u.LastName))
		c["preferred_username"] = deref(u.Username)
		c["username"] = deref(u.Username)
		c["picture"] = ""
	}
	if hasScope(scopes, "email") {
		for _, i := range u.Identifications {
			if u.PrimaryEmailAddressID != nil && i.ID == *u.PrimaryEmailAddressID {
				c["email"], c["email_verified"] = i.Identifier, i.Verified
			}
		}
	}
	if hasScope(scopes, "public_metadata") {
		c["public_metadata"] = rawOrEmpty(u.PublicMetadata)
	}
	if hasScope(scopes, "private_metadata") {
		c["private_metadata"] = rawOrEmpty(u.PrivateMetadata)
	}
	return c
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

func rawOrEmpty(b []byte) rawJSON {
	if len(b) == 0 {
		return rawJSON("{}")
	}
	return rawJSON(b)
}
