package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
)

// DecodeJSON reads a JSON object body into dst strictly: an unknown field,
// trailing data, a wrong type or a body over the limit set by the BodyLimit
// middleware is a clear 4xx, never a silently ignored value. An empty body
// decodes as {}.
func DecodeJSON(r *http.Request, dst any) error {
	raw, err := readJSON(r)
	if err != nil {
		return err
	}
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	return decodeObject(raw, dst)
}

// DecodeJSONArray reads a body that is a JSON array of objects (a bulk
// endpoint) into dst, a pointer to a slice, each object held to DecodeJSON's
// rules.
func DecodeJSONArray[T any](r *http.Request, dst *[]T) error {
	raw, err := readJSON(r)
	if err != nil {
		return err
	}
	if len(raw) == 0 || raw[0] != '[' {
		return apperr.MalformedBody("The request body must be a JSON array.")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return decodeErr(err)
	}
	out := make([]T, len(items))
	for i, item := range items {
		if err := decodeObject(bytes.TrimSpace(item), &out[i]); err != nil {
			return err
		}
	}
	*dst = out
	return nil
}

// readJSON reads the body of a request that says it is JSON (or says
// nothing), trimmed.
func readJSON(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return nil, apperr.New(apperr.KindBadRequest, "unsupported_content_type", "Unsupported content type",
				"Send the request body as application/json.")
		}
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, apperr.BodyTooLarge(tooBig.Limit)
		}
		return nil, apperr.MalformedBody("The request body could not be read.")
	}
	return bytes.TrimSpace(raw), nil
}

// decodeObject decodes one JSON object strictly into dst.
func decodeObject(raw []byte, dst any) error {
	if len(raw) == 0 || raw[0] != '{' {
		return apperr.MalformedBody("The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeErr(err)
	}
	if dec.More() {
		return apperr.MalformedBody("The request body must contain a single JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.MalformedBody("The request body must contain a single JSON object.")
	}
	return checkKeys(raw, dst)
}

// checkKeys holds the top-level keys of a well-formed body to what
// encoding/json alone does not: a key must spell a field exactly (the decoder
// matches "PASSWORD" to password) and may appear once (the decoder keeps the
// last), so a proxy and this server can never read one body two ways.
func checkKeys(raw []byte, dst any) error {
	known := fieldNames(reflect.TypeOf(dst))
	if known == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the opening brace
		return decodeErr(err)
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return decodeErr(err)
		}
		key, _ := tok.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return decodeErr(err)
		}
		if !known[key] {
			return apperr.UnknownParam(key)
		}
		if seen[key] {
			return apperr.MalformedBody(key + " is given more than once.").WithParam(key)
		}
		seen[key] = true
	}
	return nil
}

// fieldNames returns the JSON names of a struct's fields, or nil when t is
// not a struct (or a pointer to one).
func fieldNames(t reflect.Type) map[string]bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	names := make(map[string]bool)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case name == "" && f.Anonymous:
			for n := range fieldNames(f.Type) {
				names[n] = true
			}
		case name == "" && f.IsExported():
			names[f.Name] = true
		case name != "":
			names[name] = true
		}
	}
	return names
}

func decodeErr(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return apperr.MalformedBody("The request body must be a JSON object.")
		}
		return apperr.ParamInvalid(field, field+" must be a "+jsonKind(typeErr.Type.Kind().String())+".")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.MalformedBody("The request body is not valid JSON.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.UnknownParam(name)
	}
	return apperr.MalformedBody("The request body is not valid JSON.")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "map", "struct":
		return "JSON object"
	}
	return "number"
}
