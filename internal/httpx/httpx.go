// Package httpx holds the HTTP plumbing shared by the API packages: the
// error-returning handler type, JSON decoding with limits, and the one
// mapping from apperr kinds to status codes and Clerk's error envelope.
package httpx

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/latchkey/latchkey/internal/apperr"
)

// HandlerFunc is a handler that returns its error instead of writing it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return apperr.Internal(err, "encode response")
	}
	return WriteRawJSON(w, status, body)
}

// WriteRawJSON writes precomputed JSON bytes.
func WriteRawJSON(w http.ResponseWriter, status int, body []byte) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// StatusOf maps an error kind to its HTTP status. This is the only place
// that decides it.
func StatusOf(k apperr.Kind) int {
	switch k {
	case apperr.KindInvalid:
		return http.StatusUnprocessableEntity
	case apperr.KindBadRequest:
		return http.StatusBadRequest
	case apperr.KindUnauthenticated:
		return http.StatusUnauthorized
	case apperr.KindForbidden:
		return http.StatusForbidden
	case apperr.KindNotFound:
		return http.StatusNotFound
	case apperr.KindConflict:
		return http.StatusConflict
	case apperr.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.KindRateLimited:
		return http.StatusTooManyRequests
	case apperr.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

type clerkError struct {
	Message     string         `json:"message"`
	LongMessage string         `json:"long_message"`
	Code        string         `json:"code"`
	Meta        map[string]any `json:"meta,omitempty"`
}

type envelope struct {
	Errors  []clerkError `json:"errors"`
	TraceID string       `json:"clerk_trace_id,omitempty"`
}

// WriteError writes err as {"errors":[{message,long_message,code,meta}]}.
// Internal errors are logged with the request id and shown only generically.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := apperr.As(err)
	if e == nil {
		if r.Context().Err() != nil {
			return // the client went away; nobody is listening
		}
		e = apperr.Internal(err, "unhandled")
	}
	if e.Kind == apperr.KindInternal {
		Logger(r.Context()).Error("request failed", "err", err.Error())
	}
	ce := clerkError{Message: e.Message, LongMessage: e.LongMessage, Code: e.Code}
	if e.Param != "" || len(e.Meta) > 0 {
		ce.Meta = map[string]any{}
		for k, v := range e.Meta {
			ce.Meta[k] = v
		}
		if e.Param != "" {
			ce.Meta["param_name"] = e.Param
		}
	}
	_ = WriteJSON(w, StatusOf(e.Kind), envelope{Errors: []clerkError{ce}, TraceID: RequestID(r.Context())})
}

type ctxKey int

const (
	loggerKey ctxKey = iota
	requestIDKey
)

// WithLogger stores a request-scoped logger.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey, l)
}

// Logger returns the request-scoped logger, or the default one.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// WithRequestID stores the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id, if any.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Adapt turns an error-returning handler into an http.HandlerFunc.
func Adapt(h HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			WriteError(w, r, err)
		}
	}
}
