// Package opt distinguishes the three states of a JSON field in a PATCH body:
// absent (leave as is), null (clear it) and a value (set it).
package opt

import (
	"bytes"
	"encoding/json"
)

// Value is a field that may be absent, null or set.
type Value[T any] struct {
	Set  bool // the key was present in the body
	Null bool // the key was present with JSON null
	V    T
}

// Of returns a set value.
func Of[T any](v T) Value[T] { return Value[T]{Set: true, V: v} }

// UnmarshalJSON records presence and null-ness.
func (o *Value[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.V)
}

// Ptr returns nil when absent or null, else a pointer to the value.
func (o Value[T]) Ptr() *T {
	if !o.Set || o.Null {
		return nil
	}
	return &o.V
}
