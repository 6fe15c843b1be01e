// Package apperr is the one error type the domain returns. Each error has a
// Kind (which decides the HTTP status, in exactly one place: internal/server)
// and a stable machine-readable Code that API clients switch on.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for transport mapping.
type Kind int

const (
	KindInternal        Kind = iota // 500; details go to the log only
	KindInvalid                     // 422: the request was understood but a value is not acceptable
	KindBadRequest                  // 400: the request itself is malformed
	KindUnauthenticated             // 401
	KindForbidden                   // 403
	KindNotFound                    // 404
	KindConflict                    // 409
	KindTooLarge                    // 413
	KindRateLimited                 // 429
	KindUnavailable                 // 503
)

// Error is returned by domain code for every failure a client can act on.
type Error struct {
	Kind        Kind
	Code        string         // stable, e.g. "form_identifier_exists"
	Message     string         // short, human readable
	LongMessage string         // a sentence a developer can act on
	Param       string         // the offending request field, if any (meta.param_name)
	Meta        map[string]any // extra machine-readable detail
	Err         error          // wrapped cause, never shown to clients
}

func (e *Error) Error() string {
	msg := e.Code + ": " + e.LongMessage
	if e.Param != "" {
		msg += " (" + e.Param + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// IsKind reports whether err carries an *Error of kind k.
func IsKind(err error, k Kind) bool {
	e := As(err)
	return e != nil && e.Kind == k
}

// New builds an error; long defaults to msg.
func New(kind Kind, code, msg, long string) *Error {
	if long == "" {
		long = msg
	}
	return &Error{Kind: kind, Code: code, Message: msg, LongMessage: long}
}

// WithParam returns a copy naming the request field at fault.
func (e *Error) WithParam(p string) *Error {
	c := *e
	c.Param = p
	return &c
}

// WithMeta returns a copy with an extra meta entry.
func (e *Error) WithMeta(k string, v any) *Error {
	c := *e
	c.Meta = make(map[string]any, len(e.Meta)+1)
	for mk, mv := range e.Meta {
		c.Meta[mk] = mv
	}
	c.Meta[k] = v
	return &c
}

// Internal wraps an unexpected failure; the client sees only a generic message.
func Internal(err error, format string, args ...any) *Error {
	return &Error{Kind: KindInternal, Code: "internal_clerk_error", Message: "Oops, an unexpected error occurred",
		LongMessage: "There was an internal error on our servers. We've been notified and are working on fixing it.",
		Err:         fmt.Errorf(format+": %w", append(args, err)...)}
}
