package social

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
)

// FlowTTL is how long a started authorization may take to come back.
const FlowTTL = 10 * time.Minute

// Purposes of a flow.
const (
	PurposeSignIn  = "sign_in"
	PurposeSignUp  = "sign_up"
	PurposeConnect = "connect"
)

// Store is what the flow needs from storage.
type Store interface {
	InsertUpstreamAuthorization(ctx context.Context, a store.UpstreamAuthorization) error
	ConsumeUpstreamState(ctx context.Context, stateHash []byte, now time.Time) (store.UpstreamAuthorization, error)
	NativeFlowByState(ctx context.Context, stateHash []byte, now time.Time) (store.UpstreamAuthorization, error)
	ParkNativeResponse(ctx context.Context, id string, responseEnc, nonceHash []byte, now time.Time) error
	TakeNativeResponse(ctx context.Context, clientID, column, objectID string, nonceHash []byte, now time.Time) (string, []byte, error)
}

// Service runs upstream authorizations.
type Service struct {
	Registry *Registry
	store    Store
	box      *keys.Box
	// RedirectAllowed says whether a flow may return to url: an allowed
	// origin, or an allowlisted native-app URL (/v1/redirect_urls).
	RedirectAllowed func(ctx context.Context, url string) (bool, error)
	now             func() time.Time
}

// New wires the flow.
func New(reg *Registry, s Store, box *keys.Box, redirectAllowed func(context.Context, string) (bool, error), now func() time.Time) *Service {
	return &Service{Registry: reg, store: s, box: box, RedirectAllowed: redirectAllowed, now: now}
}

// StartInput describes a flow to start.
type StartInput struct {
	ClientID                  string
	Strategy                  string
	Purpose                   string
	RedirectURL               string
	ActionCompleteRedirectURL string
	SignInID, SignUpID        *string
	UserID                    *string
	AdditionalScopes          []string
}

// Provider finds a configured provider by strategy, or fails with a
// strategy error the frontend API shows.
func (s *Service) Provider(strategy string) (*Provider, error) {
	p, ok := s.Registry.Get(strategy)
	if !ok {
		return nil, apperr.ParamValueInvalid("strategy", "This strategy is not enabled on this instance.")
	}
	return p, nil
}

// CheckRedirect refuses a return address that is neither on an allowed
// origin nor allowlisted.
func (s *Service) CheckRedirect(ctx context.Context, param, u string) error {
	if u == "" {
		return apperr.ParamMissing(param)
	}
	ok, err := s.RedirectAllowed(ctx, u)
	if err != nil {
		return apperr.Internal(err, "redirect allowlist")
	}
	if !ok {
		return apperr.ParamValueInvalid(param, param+" must be on an allowed origin or an allowlisted redirect URL.")
	}
	return nil
}

// Prepare validates a flow and builds its row, without storing it (the
// caller stores it with the sign-in or sign-up it belongs to). It returns
// the provider's authorization URL.
func (s *Service) Prepare(ctx context.Context, in StartInput) (store.UpstreamAuthorization, string, error) {
	p, err := s.Provider(in.Strategy)
	if err != nil {
		return store.UpstreamAuthorization{}, "", err
	}
	if err := s.CheckRedirect(ctx, "redirect_url", in.RedirectURL); err != nil {
		return store.UpstreamAuthorization{}, "", err
	}
	if in.ActionCompleteRedirectURL != "" {
		if err := s.CheckRedirect(ctx, "action_complete_redirect_url", in.ActionCompleteRedirectURL); err != nil {
			return store.UpstreamAuthorization{}, "", err
		}
	}
	cfg, err := s.Registry.config(ctx, p)
	if err != nil {
		return store.UpstreamAuthorization{}, "", apperr.New(apperr.KindUnavailable, "oauth_provider_unavailable",
			"The provider cannot be reached.", "The sign-in provider did not answer; try again later.")
	}
	scopes := slices.Clone(cfg.Scopes)
	for _, sc := range in.AdditionalScopes {
		if sc = strings.TrimSpace(sc); sc != "" && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	cfg.Scopes = scopes
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	now := s.now()
	a := store.UpstreamAuthorization{ID: ids.New(ids.UpstreamAuthorization), ClientID: in.ClientID, Provider: p.Strategy,
		Purpose: in.Purpose, SignInID: in.SignInID, SignUpID: in.SignUpID, UserID: in.UserID, StateHash: hash(state),
		RedirectURL: in.RedirectURL, ActionCompleteRedirectURL: in.ActionCompleteRedirectURL, Scopes: scopes,
		Status: "pending", ExpireAt: now.Add(FlowTTL), CreatedAt: now, UpdatedAt: now}
	a.CodeVerifierEnc = s.box.Seal([]byte(verifier), aad("upstream_authorization", a.ID, "code_verifier_enc"))
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if p.IsOIDC() {
		a.NonceHash = hash(nonce)
		opts = append(opts, oidc.Nonce(nonce))
	}
	for k, v := range p.spec.authParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	if p.needsConsentForOffline(scopes) {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "consent"))
	}
	return a, cfg.AuthCodeURL(state, opts...), nil
}

// Start prepares a flow and stores it on its own (connecting an account).
func (s *Service) Start(ctx context.Context, in StartInput) (store.UpstreamAuthorization, string, error) {
	a, u, err := s.Prepare(ctx, in)
	if err != nil {
		return a, "", err
	}
	if err := s.store.InsertUpstreamAuthorization(ctx, a); err != nil {
		return a, "", apperr.Internal(err, "store upstream authorization")
	}
	return a, u, nil
}

// Result is a completed round trip: who the provider says the person is,
// and the tokens it gave.
type Result struct {
	Auth    store.UpstreamAuthorization
	Profile Profile
	Tokens  Tokens
}

// Tokens are the provider's tokens, in clear only in memory.
type Tokens struct {
	AccessToken, RefreshToken, IDToken, TokenType string
	Expiry                                        time.Time
	Scopes                                        []string
}

// Callback completes a round trip from the provider's response parameters.
// The state is spent whatever happens next; it must come back to the very
// client (browser) that started the flow, within its lifetime.
func (s *Service) Callback(ctx context.Context, clientID string, params url.Values) (Result, error) {
	state := params.Get("state")
	if state == "" || len(state) > 512 {
		return Result{}, errState()
	}
	a, err := s.store.ConsumeUpstreamState(ctx, hash(state), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, errState()
	}
	if err != nil {
		return Result{}, apperr.Internal(err, "consume state")
	}
	res := Result{Auth: a}
	if subtle.ConstantTimeCompare([]byte(a.ClientID), []byte(clientID)) != 1 {
		return res, errState()
	}
	if !a.ExpireAt.After(s.now()) {
		return res, apperr.New(apperr.KindInvalid, "oauth_flow_expired", "This sign-in took too long.",
			"The sign-in with the provider expired; start again.")
	}
	p, ok := s.Registry.Get(a.Provider)
	if !ok {
		return res, errState()
	}
	if e := params.Get("error"); e != "" {
		return res, apperr.New(apperr.KindInvalid, "oauth_access_denied", "The provider did not sign you in.",
			"The provider did not sign you in (it answered "+truncate(e, 64)+"). Nothing was changed; you can try again.")
	}
	// Mix-up defence (RFC 9207, RFC 9700 §4.4): a response naming another
	// issuer was not produced by this flow's provider.
	if iss := params.Get("iss"); iss != "" {
		if want := p.issuer(); want == "" || iss != want {
			return res, errIssuer()
		}
	}
	if params.Get("iss") == "" && s.Registry.advertisesIss(ctx, p) {
		// A provider that promises iss on every response and sends none:
		// the response may not be its own.
		return res, errIssuer()
	}
	code := params.Get("code")
	if code == "" {
		return res, apperr.ParamMissing("code")
	}
	cfg, err := s.Registry.config(ctx, p)
	if err != nil {
		return res, apperr.Internal(err, "provider configuration")
	}
	verifier, err := s.box.Open(a.CodeVerifierEnc, aad("upstream_authorization", a.ID, "code_verifier_enc"))
	if err != nil {
		return res, apperr.Internal(err, "open verifier")
	}
	hctx := context.WithValue(ctx, oauth2.HTTPClient, s.Registry.http)
	tok, err := cfg.Exchange(hctx, code, oauth2.VerifierOption(string(verifier)))
	if err != nil {
		return res, apperr.New(apperr.KindInvalid, "oauth_token_exchange_failed", "The provider refused the sign-in.",
			"The provider did not accept the authorization code; start again.")
	}
	res.Tokens = tokensOf(tok, a.Scopes, s.now())
	var claims map[string]any
	if p.IsOIDC() {
		raw, _ := tok.Extra("id_token").(string)
		if raw == "" {
			return res, errIDToken("the provider returned no ID token")
		}
		claims, err = s.verifyIDToken(ctx, p, raw, a.NonceHash)
		if err != nil {
			return res, err
		}
		res.Tokens.IDToken = raw
	}
	res.Profile, err = s.fetchProfile(hctx, p, tok, claims, params)
	if err != nil {
		return res, err
	}
	return res, nil
}

// verifyIDToken checks signature (provider JWKS), issuer, audience, expiry
// and, for a round trip, the nonce.
func (s *Service) verifyIDToken(ctx context.Context, p *Provider, raw string, nonceHash []byte) (map[string]any, error) {
	op, err := s.Registry.discover(ctx, p)
	if err != nil {
		return nil, apperr.Internal(err, "discovery")
	}
	ctx = oidc.ClientContext(ctx, s.Registry.http)
	v := op.Verifier(&oidc.Config{SkipClientIDCheck: true, SkipIssuerCheck: p.spec.kind == kindMicrosoft, Now: s.now})
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		if strings.Contains(err.Error(), "issued by a different provider") {
			return nil, errIssuer()
		}
		return nil, errIDToken("the ID token did not verify")
	}
	if !slices.ContainsFunc(idt.Audience, func(a string) bool { return slices.Contains(p.audiences(), a) }) {
		return nil, errIDToken("the ID token is for another application")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, errIDToken("the ID token's claims are unreadable")
	}
	if p.spec.kind == kindMicrosoft {
		tid, _ := claims["tid"].(string)
		if tid == "" || idt.Issuer != strings.ReplaceAll(p.spec.tokenIssuer, "{tenantid}", tid) {
			return nil, errIssuer()
		}
	}
	if nonceHash != nil {
		n, _ := claims["nonce"].(string)
		if n == "" || subtle.ConstantTimeCompare(hash(n), nonceHash) != 1 {
			return nil, errIDToken("the ID token's nonce does not match this sign-in")
		}
	}
	return claims, nil
}

// VerifyNativeIDToken checks an ID token a native app obtained from the
// provider itself (Sign in with Apple on iOS, Google One Tap) and returns the
// profile it proves.
func (s *Service) VerifyNativeIDToken(ctx context.Context, strategy, raw string) (*Provider, Profile, error) {
	p, ok := s.Registry.Get(strategy)
	if !ok || !p.IsOIDC() {
		return nil, Profile{}, apperr.ParamValueInvalid("strategy", "This strategy is not enabled on this instance.")
	}
	if raw == "" || len(raw) > 16<<10 {
		return nil, Profile{}, apperr.ParamMissing("token")
	}
	claims, err := s.verifyIDToken(ctx, p, raw, nil)
	if err != nil {
		return nil, Profile{}, err
	}
	prof, err := profileFromClaims(p, claims)
	return p, prof, err
}

// tokensOf reads a token response. Its expiry counts expires_in from the
// service's clock, as the token wallet does when it refreshes, so both
// measure a token's life on the same clock.
func tokensOf(t *oauth2.Token, requested []string, now time.Time) Tokens {
	out := Tokens{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, Expiry: t.Expiry,
		Scopes: requested}
	if t.ExpiresIn > 0 {
		out.Expiry = now.Add(time.Duration(t.ExpiresIn) * time.Second).UTC()
	}
	// The provider may grant fewer (or other) scopes than asked; trust what it says.
	if sc, ok := t.Extra("scope").(string); ok && sc != "" {
		out.Scopes = strings.FieldsFunc(sc, func(r rune) bool { return r == ' ' || r == ',' })
	}
	return out
}

func errState() error {
	return apperr.New(apperr.KindInvalid, "oauth_state_invalid", "This sign-in link is not valid.",
		"The provider's response does not belong to a sign-in started in this browser, or was already used.")
}

func errIssuer() error {
	return apperr.New(apperr.KindInvalid, "oauth_issuer_mismatch", "The response came from the wrong provider.",
		"The authorization response names an issuer other than the provider this sign-in was started with.")
}

func errIDToken(why string) error {
	return apperr.New(apperr.KindInvalid, "oauth_id_token_invalid", "The provider's answer is not valid.", "Upstream sign-in refused: "+why+".")
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("social: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// aad binds a ciphertext to its table, row and column.
func aad(table, id, column string) []byte { return []byte(table + ":" + id + ":" + column) }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
