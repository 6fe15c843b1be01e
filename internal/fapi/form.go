package fapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/latchkey/latchkey/internal/apperr"
)

// form is a frontend API request body. Like Clerk's, the API takes
// application/x-www-form-urlencoded; a flat JSON object is accepted too.
// Every field read is recorded so that unknown ones can be refused.
type form struct {
	vals url.Values
	used map[string]bool
}

func parseForm(r *http.Request) (*form, error) {
	f := &form{vals: url.Values{}, used: map[string]bool{}}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, apperr.BodyTooLarge(tooBig.Limit)
		}
		return nil, apperr.MalformedBody("The request body could not be read.")
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return f, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var obj map[string]any
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, apperr.MalformedBody("The request body is not a JSON object.")
		}
		for k, v := range obj {
			switch x := v.(type) {
			case string:
				f.vals.Set(k, x)
			case bool, float64:
				b, _ := json.Marshal(x)
				f.vals.Set(k, string(b))
			case nil:
			default: // objects, e.g. unsafe_metadata, travel as JSON text
				b, _ := json.Marshal(x)
				f.vals.Set(k, string(b))
			}
		}
	case "application/x-www-form-urlencoded", "":
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, apperr.MalformedBody("The request body is not valid form encoding.")
		}
		f.vals = vals
	default:
		return nil, apperr.New(apperr.KindBadRequest, "unsupported_content_type", "Unsupported content type",
			"Send the request body as application/x-www-form-urlencoded.")
	}
	return f, nil
}

// str returns a field, or nil when absent.
func (f *form) str(name string) *string {
	f.used[name] = true
	if _, ok := f.vals[name]; !ok {
		return nil
	}
	v := f.vals.Get(name)
	return &v
}

// get returns a field or "".
func (f *form) get(name string) string {
	if p := f.str(name); p != nil {
		return *p
	}
	return ""
}

// bool reads "true"/"false"; absent is false.
func (f *form) bool(name string) bool { return f.get(name) == "true" }

// done refuses fields the endpoint did not read. Fields starting with "_"
// are client metadata (e.g. _clerk_js_version) and are ignored.
func (f *form) done() error {
	var unknown []string
	for k := range f.vals {
		if !f.used[k] && !strings.HasPrefix(k, "_") {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return apperr.UnknownParam(unknown[0])
	}
	return nil
}
