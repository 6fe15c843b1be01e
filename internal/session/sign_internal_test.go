package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/testdb"
)

// referenceToken is how session tokens were built before sign was
// hand-assembled: golang-jwt with a MapClaims.
func referenceToken(t *testing.T, s *Service, sess store.Session, azp string, now time.Time) string {
	t.Helper()
	fva := []int64{int64(now.Sub(sess.FirstFactorVerifiedAt).Minutes()), -1}
	if sess.SecondFactorVerifiedAt != nil {
		fva[1] = int64(now.Sub(*sess.SecondFactorVerifiedAt).Minutes())
	}
	claims := jwt.MapClaims{
		"iss": s.settings.Issuer, "sub": sess.UserID, "sid": sess.ID,
		"iat": now.Unix(), "nbf": now.Add(-5 * time.Second).Unix(), "exp": now.Add(s.settings.TokenTTL).Unix(),
		"v": 2, "fva": fva,
	}
	if azp != "" {
		claims["azp"] = azp
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	signer := s.keyring.Signer()
	tok.Header["kid"] = signer.KID
	out, err := tok.SignedString(signer.Key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sign must produce byte for byte the token golang-jwt produced (RSA
// PKCS#1 v1.5 signatures are deterministic), whatever the claim values.
func TestSignMatchesGolangJWT(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := keys.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	db, _ := testdb.New(t)
	kr := keys.NewKeyring(db, box, func() time.Time { return now })
	if _, err := kr.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := now.Add(-90 * time.Second)
	cases := []struct {
		issuer, azp string
		sess        store.Session
	}{
		{"https://auth.example.com", "", store.Session{ID: "sess_abc", UserID: "user_xyz", FirstFactorVerifiedAt: now}},
		{"http://localhost:8080", "https://app.example.com", store.Session{ID: "sess_1", UserID: "user_2",
			FirstFactorVerifiedAt: now.Add(-3 * time.Hour), SecondFactorVerifiedAt: &second}},
		// Characters encoding/json escapes: quotes, backslashes, HTML, control
		// characters, U+2028, invalid UTF-8.
		{"https://a.example/<x>&\"y\"\\", "https://ü.example\u2028\x01", store.Session{ID: "sess_\"q\"", UserID: "user_\xff",
			FirstFactorVerifiedAt: now.Add(time.Minute)}},
	}
	for i, c := range cases {
		s := NewService(nil, kr, Settings{Issuer: c.issuer}, func() time.Time { return now })
		got, err := s.sign(c.sess, c.azp, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceToken(t, s, c.sess, c.azp, now); got != want {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}

	// The cached header follows the signing key's kid.
	s := NewService(nil, kr, Settings{}, func() time.Time { return now })
	for _, kid := range []string{"ins_one", "ins_two", "ins_one"} {
		raw, err := base64.RawURLEncoding.DecodeString(s.encodedHeader(kid))
		if want := `{"alg":"RS256","kid":"` + kid + `","typ":"JWT"}`; err != nil || string(raw) != want {
			t.Fatalf("header for %s = %s, want %s", kid, raw, want)
		}
	}
}
