package pages

import (
	"bytes"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/web"
)

var startTime = time.Now()

func staticHandler() http.HandlerFunc {
	sub, _ := fs.Sub(web.Static, "static")
	files := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	}
}

// theme serves the brand colour as CSS, so pages need no inline style and
// the CSP can forbid it.
func (p *Pages) theme(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	color := p.config.Branding.PrimaryColor // validated as #rrggbb at start
	if color == "" {
		color = "#4f46e5"
	}
	_, _ = w.Write([]byte(":root{--primary:" + color + "}\n"))
}

// scriptHandler serves /latchkey.js with the instance's public URL filled in.
func scriptHandler(publicURL string) http.HandlerFunc {
	raw, err := fs.ReadFile(web.Static, "static/latchkey.js")
	if err != nil {
		panic("pages: latchkey.js missing from the binary: " + err.Error())
	}
	body := bytes.ReplaceAll(raw, []byte("__LATCHKEY_PUBLIC_URL__"), []byte(strings.TrimSuffix(publicURL, "/")))
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		http.ServeContent(w, r, "latchkey.js", startTime, bytes.NewReader(body))
	}
}
