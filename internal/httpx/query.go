package httpx

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/apperr"
)

// Query parses the query string strictly. net/url silently drops a pair it
// cannot decode (so "?query=%" would list every user) and treats ';' as an
// error; here a bad escape is a 4xx naming the parameter, ';' is an ordinary
// character, and a value with a NUL byte or invalid UTF-8, which no stored
// text can match, is refused before it reaches the database.
func Query(r *http.Request) (url.Values, error) {
	q := url.Values{}
	for part := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		rawKey, rawVal, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil || !sane(key) {
			return nil, apperr.New(apperr.KindBadRequest, "malformed_query_string", "Query string is malformed",
				"A parameter name in the query string is not correctly percent-encoded UTF-8.")
		}
		val, err := url.QueryUnescape(rawVal)
		if err != nil {
			return nil, apperr.ParamInvalid(key, key+" is not correctly percent-encoded.")
		}
		if !sane(val) {
			return nil, apperr.ParamInvalid(key, key+" must be UTF-8 text without NUL characters.")
		}
		q[key] = append(q[key], val)
	}
	return q, nil
}

func sane(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}
