package notify

import (
	"encoding/json"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// OutboxItem is one message as GET /dev/outbox?format=json lists it.
type OutboxItem struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"` // email or sms
	Kind      string    `json:"kind"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Text      string    `json:"text"`
	HTML      string    `json:"html"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// OutboxHandler serves the development outbox: the most recent messages,
// newest first, as an HTML page or, with ?format=json, as a JSON array.
// ?limit=N (1-500, default 50) changes how many. It shows codes and links in
// clear, so mount it only in development (GET /dev/outbox).
func OutboxHandler(n *Notifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		limit := 50
		if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v >= 1 && v <= 500 {
			limit = v
		}
		rows, err := n.store.RecentEmails(r.Context(), limit)
		if err != nil {
			n.log.Error("dev outbox: listing emails failed", "error", err)
			http.Error(w, "could not list the outbox", http.StatusInternalServerError)
			return
		}
		items := make([]OutboxItem, len(rows))
		for i, e := range rows {
			items[i] = OutboxItem{ID: e.ID, Channel: "email", Kind: e.Kind, To: e.To, Subject: e.Subject, Text: e.TextBody,
				HTML: e.HTMLBody, Status: e.Status, CreatedAt: e.CreatedAt}
		}
		if items, err = n.withRecentSMS(r.Context(), items, limit); err != nil {
			n.log.Error("dev outbox: listing SMS failed", "error", err)
			http.Error(w, "could not list the outbox", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.URL.Query().Get("format") == "json" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(items)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The HTML bodies are previewed in sandboxed iframes (no scripts).
		w.Header().Set("Content-Security-Policy",
			"default-src 'none'; style-src 'unsafe-inline'; img-src http: https: data:; frame-src 'self'; base-uri 'none'; form-action 'none'")
		if err := outboxPage.Execute(w, outboxView(n.brand.AppName, items)); err != nil {
			n.log.Warn("dev outbox: render failed", "error", err)
		}
	})
}

type outboxEntry struct {
	OutboxItem
	Created string
	Body    []textSegment
}

// textSegment is a run of plain text or a link within a text body.
type textSegment struct {
	Text string
	Link bool
}

func outboxView(appName string, items []OutboxItem) any {
	entries := make([]outboxEntry, len(items))
	for i, it := range items {
		entries[i] = outboxEntry{OutboxItem: it, Created: it.CreatedAt.Local().Format("2006-01-02 15:04:05"), Body: linkify(it.Text)}
	}
	return struct {
		AppName string
		Entries []outboxEntry
	}{appName, entries}
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"']+`)

// linkify splits text into plain runs and http(s) links; the template
// escapes both and renders links as anchors.
func linkify(text string) []textSegment {
	var out []textSegment
	last := 0
	for _, m := range linkPattern.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		end = start + len(strings.TrimRight(text[start:end], ".,;:!?)]"))
		if start > last {
			out = append(out, textSegment{Text: text[last:start]})
		}
		out = append(out, textSegment{Text: text[start:end], Link: true})
		last = end
	}
	if last < len(text) {
		out = append(out, textSegment{Text: text[last:]})
	}
	return out
}

var outboxPage = template.Must(template.New("outbox").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Dev outbox · {{.AppName}}</title>
<style>
body{margin:0;background:#f4f4f5;color:#18181b;font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:860px;margin:0 auto;padding:24px 16px}
h1{font-size:22px;margin:0 0 4px}
.note{color:#71717a;margin:0 0 24px}
article{background:#fff;border:1px solid #e4e4e7;border-radius:10px;padding:16px 20px;margin:0 0 16px}
.meta{display:flex;flex-wrap:wrap;gap:4px 16px;color:#52525b;font-size:13px}
.subject{font-weight:600;font-size:16px;margin:4px 0 8px}
.status{border-radius:999px;padding:0 8px;font-size:12px;font-weight:600;background:#e4e4e7}
.status-sent,.status-dev{background:#dcfce7;color:#166534}
.status-failed{background:#fee2e2;color:#991b1b}
.status-pending{background:#fef9c3;color:#854d0e}
pre{white-space:pre-wrap;word-break:break-word;background:#fafafa;border:1px solid #f4f4f5;border-radius:6px;padding:12px;margin:0;font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
summary{cursor:pointer;color:#52525b;font-size:13px;margin-top:8px}
iframe{width:100%;height:560px;border:1px solid #e4e4e7;border-radius:6px;margin-top:8px;background:#fff}
</style>
</head>
<body>
<main>
<h1>Dev outbox</h1>
<p class="note">Emails {{.AppName}} sent or would have sent, newest first. <a href="?">Refresh</a> · <a href="?format=json">JSON</a></p>
{{- range .Entries}}
<article id="{{.ID}}">
<div class="meta"><time datetime="{{.CreatedAt.Format "2006-01-02T15:04:05Z07:00"}}">{{.Created}}</time><span>To: {{.To}}</span><span class="status status-{{.Status}}">{{.Status}}</span><span>{{.Kind}}</span></div>
<div class="subject">{{.Subject}}</div>
<pre>{{range .Body}}{{if .Link}}<a href="{{.Text}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{end}}</pre>
{{- if .HTML}}
<details><summary>HTML version</summary><iframe sandbox title="HTML version of {{.Subject}}" srcdoc="{{.HTML}}"></iframe></details>
{{- end}}
</article>
{{- else}}
<p>No emails yet.</p>
{{- end}}
</main>
</body>
</html>
`))
