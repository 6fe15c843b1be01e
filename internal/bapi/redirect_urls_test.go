package bapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/redirecturl"

	"github.com/latchkey/latchkey/internal/testserver"
)

// The native-app redirect allowlist through clerk-sdk-go's redirecturl
// client: create, get, list (paginated), delete; the store's exact-match
// check follows every change.
func TestRedirectURLsWithClerkSDK(t *testing.T) {
	env := testserver.Start(t)
	ctx := context.Background()
	config := &clerk.ClientConfig{}
	config.Key = clerk.String(env.SecretKey)
	config.URL = clerk.String(env.AdminURL + "/v1")
	c := redirecturl.NewClient(config)

	native := res(c.Create(ctx, &redirecturl.CreateParams{URL: clerk.String("myapp://oauth-callback")})).must(t)
	if native.Object != "redirect_url" || !strings.HasPrefix(native.ID, "ru_") || native.URL != "myapp://oauth-callback" ||
		native.CreatedAt == 0 || native.UpdatedAt != native.CreatedAt {
		t.Fatalf("created %+v", native)
	}
	web := res(c.Create(ctx, &redirecturl.CreateParams{URL: clerk.String("https://app.example.com/oauth-callback")})).must(t)

	got := res(c.Get(ctx, native.ID)).must(t)
	if got.ID != native.ID || got.URL != native.URL {
		t.Fatalf("get %+v, want %+v", got, native)
	}
	list := res(c.List(ctx, &redirecturl.ListParams{})).must(t)
	if list.TotalCount != 2 || len(list.RedirectURLs) != 2 || list.RedirectURLs[0].ID != web.ID || list.RedirectURLs[1].ID != native.ID {
		t.Fatalf("list %+v: want both, newest first", list)
	}

	for url, want := range map[string]bool{
		"myapp://oauth-callback":                  true,
		"myapp://oauth-callback/":                 false, // exact match only
		"MYAPP://oauth-callback":                  false,
		"https://app.example.com/oauth-callback":  true,
		"https://app.example.com/oauth-callback?": false,
		"otherapp://oauth-callback":               false,
	} {
		if ok, err := env.DB.RedirectURLAllowlisted(ctx, url); err != nil || ok != want {
			t.Errorf("RedirectURLAllowlisted(%q) = %v, %v; want %v", url, ok, err, want)
		}
	}

	// A second copy is refused with a clear error.
	_, err := c.Create(ctx, &redirecturl.CreateParams{URL: clerk.String("myapp://oauth-callback")})
	wantAPIError(t, err, http.StatusUnprocessableEntity, "duplicate_record", "url")

	deleted := res(c.Delete(ctx, native.ID)).must(t)
	if !deleted.Deleted || deleted.ID != native.ID || deleted.Object != "redirect_url" {
		t.Fatalf("delete %+v", deleted)
	}
	if ok, _ := env.DB.RedirectURLAllowlisted(ctx, "myapp://oauth-callback"); ok {
		t.Fatal("still allowlisted after delete")
	}
	_, err = c.Get(ctx, native.ID)
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = c.Delete(ctx, native.ID)
	wantAPIError(t, err, http.StatusNotFound, "resource_not_found")
}

// Without paginated=true the list is a bare array, as Clerk answers; limit
// and offset page it.
func TestRedirectURLsListShapes(t *testing.T) {
	env := testserver.Start(t)
	for _, u := range []string{"myapp://a", "myapp://b", "myapp://c"} {
		var out map[string]any
		if st := call(t, env, http.MethodPost, "/redirect_urls", map[string]string{"url": u}, &out); st != http.StatusOK {
			t.Fatalf("create %s: %d %v", u, st, out)
		}
	}
	var bare []struct {
		Object string `json:"object"`
		URL    string `json:"url"`
	}
	if st := call(t, env, http.MethodGet, "/redirect_urls", nil, &bare); st != http.StatusOK || len(bare) != 3 ||
		bare[0].URL != "myapp://c" || bare[0].Object != "redirect_url" {
		t.Fatalf("bare list %d %+v", st, bare)
	}
	var paged struct {
		Data []struct {
			URL string `json:"url"`
		} `json:"data"`
		TotalCount int `json:"total_count"`
	}
	if st := call(t, env, http.MethodGet, "/redirect_urls?paginated=true&limit=1&offset=1", nil, &paged); st != http.StatusOK ||
		paged.TotalCount != 3 || len(paged.Data) != 1 || paged.Data[0].URL != "myapp://b" {
		t.Fatalf("paged list %d %+v", st, paged)
	}
	if st := call(t, env, http.MethodGet, "/redirect_urls?paginated=true&offset=10", nil, &paged); st != http.StatusOK ||
		paged.TotalCount != 3 || len(paged.Data) != 0 {
		t.Fatalf("past the end %d %+v", st, paged)
	}
	var e apiError
	expectError(t, call(t, env, http.MethodGet, "/redirect_urls?paginated=yes", nil, &e), e, http.StatusUnprocessableEntity,
		"form_param_value_invalid", "paginated")
}

// Every unacceptable URL gets a 422 naming url, with a reason; acceptable
// ones include custom schemes and loopback http.
func TestRedirectURLValidation(t *testing.T) {
	env := testserver.Start(t)
	accepted := []string{
		"myapp://oauth-callback",
		"com.example.app:/oauth2redirect",
		"my-app.dev+beta://cb?x=1",
		"https://app.example.com/oauth-callback",
		"http://localhost:3000/callback",
		"http://127.0.0.1:8080/cb",
		"http://[::1]:8080/cb",
	}
	for _, u := range accepted {
		var out map[string]any
		if st := call(t, env, http.MethodPost, "/redirect_urls", map[string]string{"url": u}, &out); st != http.StatusOK || out["url"] != u {
			t.Errorf("%q refused: %d %v", u, st, out)
		}
	}
	refused := map[string]string{
		"":                                  "form_param_missing",
		"javascript:alert(1)":               "form_param_format_invalid",
		"JavaScript://%0aalert(1)":          "form_param_format_invalid",
		"data:text/html,<script>x</script>": "form_param_format_invalid",
		"vbscript:msgbox":                   "form_param_format_invalid",
		"file:///etc/passwd":                "form_param_format_invalid",
		"https://app.example.com/cb#frag":   "form_param_format_invalid",
		"myapp://cb#":                       "form_param_format_invalid",
		"/relative/callback":                "form_param_format_invalid",
		"app.example.com/callback":          "form_param_format_invalid",
		"http://app.example.com/callback":   "form_param_format_invalid",
		"https:///no-host":                  "form_param_format_invalid",
		"https://user:pw@app.example.com/":  "form_param_format_invalid",
		"myapp://":                          "form_param_format_invalid",
		"myapp:":                            "form_param_format_invalid",
		"myapp://call back":                 "form_param_format_invalid",
		" myapp://cb":                       "form_param_format_invalid",
		"myapp://cb\n":                      "form_param_format_invalid",
		"https://app.example.com/" + strings.Repeat("a", 2048): "form_param_format_invalid",
	}
	for u, code := range refused {
		var e apiError
		st := call(t, env, http.MethodPost, "/redirect_urls", map[string]string{"url": u}, &e)
		if st != http.StatusUnprocessableEntity || len(e.Errors) == 0 || e.Errors[0].Code != code ||
			e.Errors[0].Meta["param_name"] != "url" || e.Errors[0].LongMessage == "" {
			t.Errorf("%q: %d %+v, want 422 %s on url", u, st, e, code)
		}
	}
	var e apiError
	expectError(t, call(t, env, http.MethodPost, "/redirect_urls", `{}`, &e), e, http.StatusUnprocessableEntity, "form_param_missing", "url")
	expectError(t, call(t, env, http.MethodPost, "/redirect_urls", `{"url": 5}`, &e), e, http.StatusUnprocessableEntity, "form_param_format_invalid", "url")
	expectError(t, call(t, env, http.MethodPost, "/redirect_urls", `{"url": "myapp://x", "extra": 1}`, &e), e, http.StatusUnprocessableEntity, "form_param_unknown", "extra")
	var list []any
	if call(t, env, http.MethodGet, "/redirect_urls?limit=100", nil, &list); len(list) != len(accepted) {
		t.Fatalf("%d stored, want %d", len(list), len(accepted))
	}
}
