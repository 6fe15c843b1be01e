package fapi_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestCORS(t *testing.T) {
	h := start(t)
	pre := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, h.env.PublicURL+"/v1/client/sign_ins", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := pre(appOrigin)
	if res.StatusCode/100 != 2 || res.Header.Get("Access-Control-Allow-Origin") != appOrigin ||
		res.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight from the app: %d %v", res.StatusCode, res.Header)
	}
	if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("preflight lacks Vary: Origin")
	}
	res = pre("https://evil.example")
	if res.Header.Get("Access-Control-Allow-Origin") != "" || res.StatusCode/100 == 2 {
		t.Fatalf("preflight from evil: %d %v", res.StatusCode, res.Header)
	}

	app := h.browser()
	app.origin = appOrigin
	r := app.post("/client/sign_ins", form("identifier", "who@example.com")).ok(t)
	if r.Header.Get("Access-Control-Allow-Origin") != appOrigin || r.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("POST from the app: %v", r.Header)
	}

	for _, origin := range []string{"https://evil.example", "null", "http://app.localhost:3000.evil.example", "http://app.localhost"} {
		evil := h.browser()
		evil.origin = origin
		r = evil.post("/client/sign_ins", form("identifier", "who@example.com"))
		r.fails(t, http.StatusForbidden, "origin_invalid")
		if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("%s: %v", origin, r.Header)
		}
		if c := evil.client(t); c != nil {
			t.Fatalf("%s created a client: %+v", origin, c)
		}
	}
	// The evil origin cannot act on an existing browser's client either.
	h.createUser("victim@example.com", "victim-password-1")
	victim := h.browser()
	sid := *victim.signInPassword(t, "victim@example.com", "victim-password-1").CreatedSessionID
	victim.origin = "https://evil.example"
	victim.post("/client/sessions/"+sid+"/end", nil).fails(t, http.StatusForbidden, "origin_invalid")
	victim.do(http.MethodDelete, "/client", nil).fails(t, http.StatusForbidden, "origin_invalid")
	g := victim.get("/client")
	if g.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a GET from evil is readable: %v", g.Header)
	}
	victim.origin = ""
	victim.sessionToken(sid).ok(t)
}
