// Command app is the smallest real integration with Latchkey: a page that
// loads /latchkey.js, and a protected route whose server verifies the
// session JWT (the __session cookie or an Authorization: Bearer header)
// against Latchkey's JWKS. It uses only the Go standard library.
//
//	go run ./examples/app -latchkey http://localhost:8080 -addr :3000
package main

import (
	"flag"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"strings"
)

func main() {
	addr := flag.String("addr", "localhost:3000", "listen address")
	latchkey := flag.String("latchkey", "http://localhost:8080", "Latchkey's public URL (the token issuer)")
	flag.Parse()
	base := strings.TrimSuffix(*latchkey, "/")
	verifier := NewVerifier(base)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = homePage.Execute(w, base)
	})
	mux.HandleFunc("GET /protected", func(w http.ResponseWriter, r *http.Request) {
		token := bearer(r)
		claims, err := verifier.Verify(r.Context(), token)
		if err != nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `<p>Not signed in (%s). <a href="/">Back</a></p>`, template.HTMLEscapeString(err.Error()))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<p>Signed in as <strong id="user-id">%s</strong> (session %s). <a href="/">Back</a></p>`,
			template.HTMLEscapeString(claims.Subject), template.HTMLEscapeString(claims.SessionID))
	})
	// Listen first and print the bound address, so -addr with port 0 works
	// (tests start the app that way and read the port from this line).
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("example app on http://%s (Latchkey at %s)", l.Addr(), base)
	log.Fatal(http.Serve(l, mux))
}

// bearer takes the token from the Authorization header, else the cookie
// latchkey.js keeps fresh.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimPrefix(h, "Bearer ")
	}
	if c, err := r.Cookie("__session"); err == nil {
		return c.Value
	}
	return ""
}

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Example app</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}button{margin-right:.5rem}</style>
</head><body>
<h1>Example app</h1>
<p id="status">Loading…</p>
<p>
  <button id="sign-in" hidden>Sign in</button>
  <button id="sign-up" hidden>Sign up</button>
  <button id="profile" hidden>Account</button>
  <button id="sign-out" hidden>Sign out</button>
  <a href="/protected" id="protected">Protected page</a>
</p>
<script src="{{.}}/latchkey.js"></script>
<script>
Latchkey.load().then(function () {
  var signedIn = Latchkey.isSignedIn;
  document.getElementById("status").textContent = signedIn
    ? "Signed in as " + Latchkey.user.id + " (" + (Latchkey.user.email_addresses[0] || {}).email_address + ")"
    : "Signed out";
  document.getElementById("sign-in").hidden = signedIn;
  document.getElementById("sign-up").hidden = signedIn;
  document.getElementById("profile").hidden = !signedIn;
  document.getElementById("sign-out").hidden = !signedIn;
}, function (err) { document.getElementById("status").textContent = "Latchkey unavailable: " + err.message; });
document.getElementById("sign-in").onclick = function () { Latchkey.redirectToSignIn(); };
document.getElementById("sign-up").onclick = function () { Latchkey.redirectToSignUp(); };
document.getElementById("profile").onclick = function () { Latchkey.openUserProfile(); };
document.getElementById("sign-out").onclick = function () { Latchkey.signOut().then(function () { location.reload(); }); };
</script>
</body></html>`))
