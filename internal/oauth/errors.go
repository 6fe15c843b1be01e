package oauth

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/latchkey/latchkey/internal/httpx"
)

// Error is an RFC 6749 error response. Constructors return fresh values.
type Error struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Status      int    `json:"-"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func errInvalidRequest(d string) *Error { return &Error{"invalid_request", d, http.StatusBadRequest} }
func errInvalidClient(d string) *Error  { return &Error{"invalid_client", d, http.StatusUnauthorized} }
func errInvalidGrant(d string) *Error   { return &Error{"invalid_grant", d, http.StatusBadRequest} }
func errUnauthorizedClient(d string) *Error {
	return &Error{"unauthorized_client", d, http.StatusBadRequest}
}
func errUnsupportedGrant(d string) *Error {
	return &Error{"unsupported_grant_type", d, http.StatusBadRequest}
}
func errInvalidScope(d string) *Error { return &Error{"invalid_scope", d, http.StatusBadRequest} }
func errInvalidToken(d string) *Error { return &Error{"invalid_token", d, http.StatusUnauthorized} }

// errServer answers 500 without details for the client and logs the cause
// for the operator.
func errServer(ctx context.Context, cause error) *Error {
	httpx.Logger(ctx).Error("oauth: server error", "err", cause)
	return &Error{"server_error", "The server could not complete the request.", http.StatusInternalServerError}
}

// writeJSON writes a token-endpoint style response: never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes e; invalid_client over Basic auth gets a challenge.
func writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	if e.Status == http.StatusUnauthorized && e.Code == "invalid_client" {
		w.Header().Set("WWW-Authenticate", `Basic realm="latchkey"`)
	}
	if e.Code == "invalid_token" {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+e.Description+`"`)
	}
	writeJSON(w, e.Status, e)
}
