package oauth

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// AuthRequest is a validated authorization request.
type AuthRequest struct {
	App           store.OAuthApp
	RedirectURI   string
	RedirectGiven bool // redirect_uri was in the request (else the one registered URI was used)
	State         string
	Scopes        string
	Nonce         string
	CodeChallenge string
	ResponseMode  string
	Prompt        map[string]bool
	MaxAge        *int
	LoginHint     string
	AuthAfter     time.Time // set when the person was sent to sign in again
	Params        url.Values
}

var pkceRe = regexp.MustCompile(`^[A-Za-z0-9\-._~]{43,128}$`)

// authParams are the parameters whose repetition is refused (RFC 6749 §3.1).
var authParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge",
	"code_challenge_method", "prompt", "max_age", "login_hint", "response_mode", "_lk_auth_after"}

// ParseAuthorize validates an authorization request. A problem with the
// client or its redirect URI comes back as a fatal apperr: the caller shows
// it to the person and never redirects. Any later problem is an *Error to
// send to the (now trusted) redirect URI.
func (p *Provider) ParseAuthorize(ctx context.Context, q url.Values) (*AuthRequest, *Error, error) {
	for _, name := range []string{"client_id", "redirect_uri"} {
		if len(q[name]) > 1 {
			return nil, nil, fatal("The " + name + " parameter was given more than once.")
		}
	}
	clientID := q.Get("client_id")
	if clientID == "" {
		return nil, nil, fatal("The request names no application (client_id is missing).")
	}
	app, err := p.appByClientID(ctx, clientID)
	if err != nil {
		return nil, nil, fatal("The application asking you to sign in is not registered here.")
	}
	redirect := q.Get("redirect_uri")
	given := redirect != ""
	if redirect == "" && len(app.RedirectURIs) == 1 {
		redirect = app.RedirectURIs[0]
	}
	if !exactMatch(redirect, app.RedirectURIs) {
		return nil, nil, fatal("The application's return address does not match any it registered, so you will not be sent there.")
	}
	req := &AuthRequest{App: app, RedirectURI: redirect, RedirectGiven: given, State: q.Get("state"), Nonce: q.Get("nonce"),
		LoginHint: q.Get("login_hint"), ResponseMode: q.Get("response_mode"), Prompt: map[string]bool{}, Params: q}
	for _, name := range authParams {
		if len(q[name]) > 1 {
			return req, errInvalidRequest("The " + name + " parameter was given more than once."), nil
		}
	}
	if req.ResponseMode != "" && req.ResponseMode != "query" && req.ResponseMode != "form_post" {
		req.ResponseMode = ""
		return req, errInvalidRequest("response_mode must be query or form_post."), nil
	}
	// Request objects are not supported: say so (OIDC Core §6.1) rather than
	// ignore them and act on the unsigned parameters beside them.
	if q.Has("request") {
		return req, &Error{"request_not_supported", "Request objects are not supported.", 400}, nil
	}
	if q.Has("request_uri") {
		return req, &Error{"request_uri_not_supported", "request_uri is not supported.", 400}, nil
	}
	switch rt := q.Get("response_type"); rt {
	case "code":
	case "":
		return req, errInvalidRequest("response_type is required."), nil
	default:
		return req, &Error{"unsupported_response_type", "Only response_type=code is supported.", 400}, nil
	}
	if len(req.State) > 2048 || len(req.Nonce) > 512 || len(req.LoginHint) > 256 {
		return req, errInvalidRequest("A parameter is too long."), nil
	}
	scopes := splitScopes(q.Get("scope"))
	for _, s := range scopes {
		if !validScope(s) || !hasScope(app.Scopes, s) {
			return req, errInvalidScope("The scope " + s + " is not available to this application."), nil
		}
	}
	req.Scopes = joinScopes(scopes)
	if e := p.parsePKCE(req, q); e != nil {
		return req, e, nil
	}
	for _, v := range strings.Fields(q.Get("prompt")) {
		req.Prompt[v] = true
	}
	if req.Prompt["none"] && len(req.Prompt) > 1 {
		return req, errInvalidRequest("prompt=none cannot be combined with other values."), nil
	}
	if raw := q.Get("max_age"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return req, errInvalidRequest("max_age must be a non-negative integer."), nil
		}
		req.MaxAge = &n
	}
	if raw := q.Get("_lk_auth_after"); raw != "" {
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			req.AuthAfter = time.Unix(n, 0)
		}
	}
	return req, nil, nil
}

// parsePKCE accepts S256 only: plain would let a stolen code be redeemed.
func (p *Provider) parsePKCE(req *AuthRequest, q url.Values) *Error {
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge == "" {
		if method != "" {
			return errInvalidRequest("code_challenge_method was given without a code_challenge.")
		}
		if req.App.Public || req.App.PKCERequired {
			return errInvalidRequest("This application must use PKCE: send code_challenge with code_challenge_method=S256.")
		}
		return nil
	}
	if method != "S256" {
		return errInvalidRequest("code_challenge_method must be S256; plain is not accepted.")
	}
	if !pkceRe.MatchString(challenge) {
		return errInvalidRequest("code_challenge is malformed.")
	}
	req.CodeChallenge = challenge
	return nil
}

// exactMatch compares redirect URIs byte for byte, as RFC 9700 requires: no
// prefix, case or trailing-slash leniency.
func exactMatch(uri string, registered []string) bool {
	if uri == "" {
		return false
	}
	for _, r := range registered {
		if r == uri {
			return true
		}
	}
	return false
}

func fatal(msg string) error {
	return apperr.New(apperr.KindBadRequest, "invalid_authorization_request", "This sign-in request can't be used", msg)
}
