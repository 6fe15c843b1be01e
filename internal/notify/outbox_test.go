package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/notify/smtptest"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/testdb"
)

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	return rec
}

func TestDevelopmentOutboxWithoutSMTP(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	clk := newClock()
	logs := &logBuffer{}
	n := notify.New(db, notify.Config{}, acme, true, logs.logger(), clk.Now)
	ctx := context.Background()

	if err := n.SendSignInCode(ctx, "dev@example.com", "555123", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	const link = "https://acme.test/v1/verify?token=abc&redirect=%2Fhome"
	if err := n.SendSignInLink(ctx, "link@example.com", link, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	// 'dev' at once, with no worker running.
	if r := rowTo(t, db, "dev@example.com"); r.Status != store.EmailDev || r.SentAt == nil || r.PurgeAfter == nil {
		t.Fatalf("row = %+v, want status dev with sent_at and purge_after", r)
	}
	out := logs.String()
	if !strings.Contains(out, "level=INFO") || !strings.Contains(out, "dev@example.com") ||
		!strings.Contains(out, "Your Acme sign-in code") || !strings.Contains(out, "555123") {
		t.Errorf("the log does not show recipient, subject and code:\n%s", out)
	}

	h := notify.OutboxHandler(n)
	rec := get(t, h, "/dev/outbox?format=json")
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	var items []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0]["to"] != "link@example.com" || items[1]["to"] != "dev@example.com" {
		t.Fatalf("items = %v, want the link then the code (newest first)", items)
	}
	code := items[1]
	for _, k := range []string{"id", "to", "subject", "text", "html", "status", "created_at"} {
		if _, ok := code[k]; !ok {
			t.Errorf("JSON item lacks %q: %v", k, code)
		}
	}
	if code["status"] != "dev" || code["subject"] != "Your Acme sign-in code" ||
		!strings.Contains(code["text"].(string), "555123") || !strings.Contains(code["html"].(string), "555123") {
		t.Errorf("item = %v", code)
	}

	page := get(t, h, "/dev/outbox").Body.String()
	escapedLink := strings.ReplaceAll(link, "&", "&amp;")
	if !strings.Contains(page, "Your Acme sign-in link") || !strings.Contains(page, `<a href="`+escapedLink+`">`+escapedLink+`</a>`) {
		t.Errorf("the page lacks the subject or a clickable link:\n%s", page)
	}
	if i, j := strings.Index(page, "link@example.com"), strings.Index(page, "dev@example.com"); i < 0 || j < 0 || i > j {
		t.Errorf("the page is not newest first")
	}

	// Sent and dev messages are purged a day later.
	run(t, n)
	clk.Advance(notify.Retention + time.Minute)
	n.Kick()
	eventually(t, "the dev messages to be purged", func() bool {
		rows, err := db.RecentEmails(ctx, 10)
		return err == nil && len(rows) == 0
	})
}

func TestHostileBrandIsEscaped(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	hostile := notify.Brand{
		AppName: `<script>alert("pwned")</script> & "Co"`,
		LogoURL: `javascript:alert(1)`,
		Color:   `red;background:url(https://evil.test/x)`,
	}
	n := notify.New(db, notify.Config{}, hostile, true, testLog(t), nil)
	if err := n.SendVerificationCode(context.Background(), "victim@example.com", "246810", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	r := rowTo(t, db, "victim@example.com")
	if strings.Contains(r.HTMLBody, "<script") || !strings.Contains(r.HTMLBody, "&lt;script&gt;") {
		t.Errorf("app name not escaped in the HTML body:\n%s", r.HTMLBody)
	}
	if strings.Contains(r.HTMLBody, "javascript:") || strings.Contains(r.HTMLBody, "evil.test") || !strings.Contains(r.HTMLBody, "#4f46e5") {
		t.Errorf("logo or colour not sanitized:\n%s", r.HTMLBody)
	}
	if r.Subject != `Your <script>alert("pwned")</script> & "Co" verification code` {
		t.Errorf("subject = %q (a plain-text header, not HTML)", r.Subject)
	}
	page := get(t, notify.OutboxHandler(n), "/dev/outbox").Body.String()
	if strings.Contains(page, "<script") {
		t.Errorf("the outbox page lets markup through:\n%s", page)
	}

	// An attribute break-out through the logo URL.
	n = notify.New(db, notify.Config{}, notify.Brand{AppName: "Acme", LogoURL: `https://acme.test/logo.png"onerror="alert(1)`}, true, testLog(t), nil)
	if err := n.SendSignInCode(context.Background(), "logo@example.com", "135790", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if body := rowTo(t, db, "logo@example.com").HTMLBody; strings.Contains(body, `"onerror=`) {
		t.Errorf("logo URL broke out of its attribute:\n%s", body)
	}
}

// An app name cannot inject headers, and non-ASCII names survive.
func TestAppNameCannotInjectHeaders(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	sink := smtptest.Start(t)
	ctx := context.Background()
	for _, tc := range []struct{ appName, to, subject string }{
		{"Acme\r\nBcc: evil@example.com", "one@example.com", "Your Acme Bcc: evil@example.com verification code"},
		{"Ärzte & Söhne", "two@example.com", "Your Ärzte & Söhne verification code"},
	} {
		n := notify.New(db, sinkConfig(sink), notify.Brand{AppName: tc.appName}, false, testLog(t), nil)
		run(t, n)
		if err := n.SendVerificationCode(ctx, tc.to, "123123", time.Minute); err != nil {
			t.Fatal(err)
		}
		m := sink.WaitFor(t, tc.to, 5*time.Second)
		if m.Subject != tc.subject || len(m.Rcpt) != 1 || m.Header.Get("Bcc") != "" {
			t.Errorf("subject %q, recipients %v, Bcc %q", m.Subject, m.Rcpt, m.Header.Get("Bcc"))
		}
	}
}
