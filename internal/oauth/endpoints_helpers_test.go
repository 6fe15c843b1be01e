package oauth_test

import (
	"html"
	"net/url"
	"regexp"
	"testing"
)

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// hiddenInputs reads a page's hidden form fields.
func hiddenInputs(page string) url.Values {
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		v.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return v
}

// consentPage2 returns the consent page's HTML for q.
func consentPage2(t *testing.T, r *rig, q url.Values) string {
	t.Helper()
	res, _ := r.authorize(r.browser, q)
	loc := location(t, res)
	if loc.Path != "/oauth/consent" {
		t.Fatalf("not sent to consent: %d %s", res.StatusCode, loc)
	}
	_, body := r.get(r.browser, loc.String())
	return body
}
