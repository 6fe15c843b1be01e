package fapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHostileInput(t *testing.T) {
	h := start(t)
	h.createUser("target@example.com", "target-password-1")
	b := h.browser()

	t.Run("unknown fields", func(t *testing.T) {
		e := b.post("/client/sign_ins", form("identifier", "target@example.com", "admin", "true")).
			fails(t, http.StatusUnprocessableEntity, "form_param_unknown")
		if e.Meta["param_name"] != "admin" {
			t.Errorf("param_name = %v", e.Meta["param_name"])
		}
		b.post("/client/sign_ups", form("email_address", "a@example.com", "public_metadata", `{"role":"admin"}`)).
			fails(t, http.StatusUnprocessableEntity, "form_param_unknown")
		b.post("/client/sign_ups", form("email_address", "a@example.com", "private_metadata", `{}`)).
			fails(t, http.StatusUnprocessableEntity, "form_param_unknown")
		si := b.startSignIn(t, "target@example.com")
		b.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password", "password", "x", "user_id", "user_1")).
			fails(t, http.StatusUnprocessableEntity, "form_param_unknown")
		// Client metadata fields are tolerated.
		b.post("/client/sign_ins", form("identifier", "target@example.com", "_clerk_js_version", "5.0.0")).ok(t)
	})

	t.Run("huge password is never hashed", func(t *testing.T) {
		huge := strings.Repeat("p", 900<<10)
		for _, who := range []string{"target@example.com", "nobody@example.com"} {
			begin := time.Now()
			h.browser().post("/client/sign_ins", form("identifier", who, "strategy", "password", "password", huge)).
				fails(t, http.StatusUnprocessableEntity, "form_password_incorrect")
			if d := time.Since(begin); d > 2*time.Second {
				t.Errorf("%s: a 900 KB password took %v", who, d)
			}
		}
		h.browser().post("/client/sign_ups", form("email_address", "big@example.com", "password", huge)).
			fails(t, http.StatusUnprocessableEntity, "form_password_length_too_long")
		// A huge password does not count towards a lockout.
		h.browser().signInPassword(t, "target@example.com", "target-password-1")
	})

	t.Run("malformed identifiers", func(t *testing.T) {
		for _, id := range []string{"foo@", "@example.com", "a@b", "two@@example.com", "<x>@example.com", "Name <n@example.com>",
			"+12", "+1abc55555555", "a\x00b@example.com", "bad user", strings.Repeat("a", 300) + "@example.com",
			strings.Repeat("u", 900<<10), strings.Repeat("a", 900<<10) + "@example.com"} {
			r := h.browser().post("/client/sign_ins", form("identifier", id))
			if r.Status != http.StatusUnprocessableEntity || len(r.Errors) == 0 || r.Errors[0].Meta["param_name"] != "identifier" {
				t.Errorf("identifier %q: %d %s", id, r.Status, r.Body)
			}
		}
	})

	t.Run("bodies", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, h.env.PublicURL+"/v1/client/sign_ins", strings.NewReader(strings.Repeat("a", 2<<20)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("2 MB body: %d", res.StatusCode)
		}
		req, _ = http.NewRequest(http.MethodPost, h.env.PublicURL+"/v1/client/sign_ins", strings.NewReader("identifier=%zz"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("bad form encoding: %d", res.StatusCode)
		}
		req, _ = http.NewRequest(http.MethodPost, h.env.PublicURL+"/v1/client/sign_ins", strings.NewReader("<xml/>"))
		req.Header.Set("Content-Type", "text/xml")
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("xml body: %d", res.StatusCode)
		}
	})

	t.Run("strategies and codes", func(t *testing.T) {
		c := h.browser()
		si := c.startSignIn(t, "target@example.com")
		c.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "password")).
			fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
		c.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "oauth_google", "code", "1")).
			fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
		c.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code", "email_address_id", "idn_someoneelse")).
			fails(t, http.StatusUnprocessableEntity, "form_param_value_invalid")
		c.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "password")).
			fails(t, http.StatusUnprocessableEntity, "form_param_missing")
		c.post("/client/sign_ins/"+si.ID+"/prepare_first_factor", form("strategy", "email_code")).ok(t)
		code := h.code("target@example.com")
		c.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", strings.Repeat(code, 1000))).
			fails(t, http.StatusUnprocessableEntity, "form_code_incorrect")
		// Another browser cannot use this sign-in, not even with the right code.
		h.browser().post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", code)).
			fails(t, http.StatusNotFound, "resource_not_found")
		c.post("/client/sign_ins/"+si.ID+"/attempt_first_factor", form("strategy", "email_code", "code", code)).ok(t)
	})

	t.Run("forged client tokens", func(t *testing.T) {
		for _, tok := range []string{"x", strings.Repeat("A", 43), strings.Repeat("A", 5000), "Bearer Bearer", "' OR 1=1 --"} {
			app := h.nativeApp()
			app.token = tok
			if c := app.client(t); c != nil {
				t.Fatalf("token %q resolved to a client", tok)
			}
		}
	})
}
