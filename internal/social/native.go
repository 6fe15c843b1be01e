package social

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
	"github.com/latchkey/latchkey/internal/store"
)

// NonceParam carries the one-time nonce back to a native app, as Clerk's
// clients expect it (signIn.reload({rotatingTokenNonce})).
const NonceParam = "rotating_token_nonce"

// isNativeRedirect reports whether a flow returns to an app rather than a
// web page: a custom scheme (myapp://callback), which only the
// /v1/redirect_urls allowlist admits.
func isNativeRedirect(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https"
}

// ParkNative handles the provider's answer to a native app's flow when it
// arrives in a browser that is not the app's client (the system browser):
// it keeps the response, sealed, on the flow and returns the app's URL with
// a one-time nonce. Only the app's own client, presenting that nonce,
// completes the flow (ResumeNative), so a provider URL passed to someone
// else cannot sign the sender in as them. parked is false for any other
// response, which the ordinary callback handles.
func (s *Service) ParkNative(ctx context.Context, clientID string, params url.Values) (target string, parked bool, err error) {
	state := params.Get("state")
	if state == "" || len(state) > 512 {
		return "", false, nil
	}
	a, err := s.store.NativeFlowByState(ctx, hash(state), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, apperr.Internal(err, "find native flow")
	}
	if a.ClientID == clientID || !isNativeRedirect(a.RedirectURL) || a.Purpose == PurposeConnect {
		return "", false, nil
	}
	nonce := randomToken()
	enc := s.box.Seal([]byte(params.Encode()), aad("upstream_authorization", a.ID, "native_response_enc"))
	switch err := s.store.ParkNativeResponse(ctx, a.ID, enc, hash(nonce), s.now()); {
	case errors.Is(err, store.ErrNotFound):
		return "", false, errState()
	case err != nil:
		return "", false, apperr.Internal(err, "park native response")
	}
	sep := "?"
	if strings.Contains(a.RedirectURL, "?") {
		sep = "&"
	}
	return a.RedirectURL + sep + NonceParam + "=" + url.QueryEscape(nonce), true, nil
}

// ResumeNative returns the provider response parked for the client's
// sign-in or sign-up (kind "sign_in" or "sign_up") to the holder of its
// nonce, once; the caller completes it as an ordinary callback.
func (s *Service) ResumeNative(ctx context.Context, clientID, kind, objectID, nonce string) (url.Values, error) {
	if nonce == "" || len(nonce) > 512 {
		return nil, errState()
	}
	id, enc, err := s.store.TakeNativeResponse(ctx, clientID, kind+"_id", objectID, hash(nonce), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, errState()
	}
	if err != nil {
		return nil, apperr.Internal(err, "take native response")
	}
	raw, err := s.box.Open(enc, aad("upstream_authorization", id, "native_response_enc"))
	if err != nil {
		return nil, apperr.Internal(err, "open native response")
	}
	return url.ParseQuery(string(raw))
}
