package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/notify/smtptest"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/testdb"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Microsecond)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer collects log output from concurrent goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testLog shows the notifier's log only for failing tests (and with -v).
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

var acme = notify.Brand{AppName: "Acme", Color: "#0f766e"}

func sinkConfig(s *smtptest.Sink) notify.Config {
	return notify.Config{SMTP: notify.SMTP{
		Host: s.Host(), Port: s.Port(), From: "Acme <no-reply@acme.test>", TLS: notify.TLSNone,
		Username: "latchkey", Password: "secret",
	}}
}

// run starts n's worker until the test ends.
func run(t *testing.T, n *notify.Notifier) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := n.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rowTo returns the newest outbox row addressed to to.
func rowTo(t *testing.T, db *store.DB, to string) store.OutboxEmail {
	t.Helper()
	rows, err := db.RecentEmails(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.To == to {
			return r
		}
	}
	t.Fatalf("no outbox row to %s", to)
	return store.OutboxEmail{}
}

func TestDeliversTextAndHTML(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	sink := smtptest.Start(t)
	clk := newClock()
	n := notify.New(db, sinkConfig(sink), acme, false, testLog(t), clk.Now)
	run(t, n)

	if err := n.SendVerificationCode(context.Background(), "Ada@Example.com", "493817", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	m := sink.WaitFor(t, "Ada@Example.com", 5*time.Second)
	if m.Subject != "Your Acme verification code" {
		t.Errorf("subject = %q", m.Subject)
	}
	if m.From != "no-reply@acme.test" || m.EnvelopeFrom != "no-reply@acme.test" || m.To != "Ada@Example.com" {
		t.Errorf("from %q (envelope %q), to %q", m.From, m.EnvelopeFrom, m.To)
	}
	for name, body := range map[string]string{"text": m.Text, "html": m.HTML} {
		if !strings.Contains(body, "493817") || !strings.Contains(body, "10 minutes") || !strings.Contains(body, "Acme") {
			t.Errorf("%s part lacks the code, the expiry or the app name:\n%s", name, body)
		}
	}
	if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") || !strings.Contains(m.HTML, "#0f766e") {
		t.Errorf("html part is not the branded page:\n%s", m.HTML)
	}
	if strings.Contains(m.Text, "<") {
		t.Errorf("text part contains markup:\n%s", m.Text)
	}
	row := rowTo(t, db, "Ada@Example.com")
	if !strings.HasPrefix(m.MessageID, "<"+row.ID+"@acme.test>") {
		t.Errorf("Message-ID %q does not name row %s", m.MessageID, row.ID)
	}
	eventually(t, "the row to be marked sent", func() bool { return rowTo(t, db, "Ada@Example.com").Status == store.EmailSent })
	row = rowTo(t, db, "Ada@Example.com")
	if row.Attempts != 1 || row.SentAt == nil || row.PurgeAfter == nil || !row.PurgeAfter.Equal(row.SentAt.Add(24*time.Hour)) {
		t.Errorf("sent row: attempts=%d sent_at=%v purge_after=%v", row.Attempts, row.SentAt, row.PurgeAfter)
	}
}

func TestSubjectsNeverCarryTheCodeOrLink(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	sink := smtptest.Start(t)
	n := notify.New(db, sinkConfig(sink), acme, false, testLog(t), nil)
	run(t, n)
	ctx := context.Background()
	const code = "720461"
	const link = "https://acme.test/sign-in/verify?token=ZXhhbXBsZXRva2Vu"
	sends := []struct {
		to, subject, secret string
		send                func(to string) error
	}{
		{"verify@example.com", "Your Acme verification code", code, func(to string) error { return n.SendVerificationCode(ctx, to, code, 10*time.Minute) }},
		{"code@example.com", "Your Acme sign-in code", code, func(to string) error { return n.SendSignInCode(ctx, to, code, 10*time.Minute) }},
		{"link@example.com", "Your Acme sign-in link", link, func(to string) error { return n.SendSignInLink(ctx, to, link, 15*time.Minute) }},
		{"reset@example.com", "Your Acme password reset code", code, func(to string) error { return n.SendPasswordResetCode(ctx, to, code, 90*time.Second) }},
	}
	for _, s := range sends {
		if err := s.send(s.to); err != nil {
			t.Fatalf("%s: %v", s.to, err)
		}
	}
	for _, s := range sends {
		m := sink.WaitFor(t, s.to, 5*time.Second)
		if m.Subject != s.subject {
			t.Errorf("%s: subject %q, want %q", s.to, m.Subject, s.subject)
		}
		if strings.Contains(m.Subject, code) || strings.Contains(m.Subject, "token=") {
			t.Errorf("%s: subject %q carries the secret", s.to, m.Subject)
		}
		if !strings.Contains(m.Text, s.secret) || !strings.Contains(m.HTML, s.secret) {
			t.Errorf("%s: the bodies lack %q", s.to, s.secret)
		}
	}
	m := sink.Messages()
	for _, msg := range m {
		if msg.To == "link@example.com" && !strings.Contains(msg.HTML, `href="`+link+`"`) {
			t.Errorf("the link is not clickable in the HTML part:\n%s", msg.HTML)
		}
		if msg.To == "reset@example.com" && !strings.Contains(msg.Text, "2 minutes") {
			t.Errorf("a 90 s code should say 2 minutes:\n%s", msg.Text)
		}
	}
}

func TestRetriesTemporaryFailuresWithBackoff(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	sink := smtptest.Start(t)
	sink.FailNext(2)
	clk := newClock()
	n := notify.New(db, sinkConfig(sink), acme, false, testLog(t), clk.Now)
	run(t, n)

	const to = "retry@example.com"
	if err := n.SendSignInCode(context.Background(), to, "111222", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	for attempt, wait := range []time.Duration{5 * time.Second, 10 * time.Second} {
		eventually(t, fmt.Sprintf("failed attempt %d", attempt+1), func() bool {
			r := rowTo(t, db, to)
			return r.Attempts == attempt+1 && r.LastError != nil && !r.NextAttemptAt.After(clk.Now().Add(store.EmailLease-time.Second))
		})
		r := rowTo(t, db, to)
		if r.Status != store.EmailPending || !r.NextAttemptAt.Equal(clk.Now().Add(wait)) || !strings.Contains(*r.LastError, "451") {
			t.Fatalf("after attempt %d: status=%s next=%v (want now+%v) error=%v", attempt+1, r.Status, r.NextAttemptAt.Sub(clk.Now()), wait, *r.LastError)
		}
		n.Kick() // not due yet: nothing may happen
		clk.Advance(wait)
		n.Kick()
	}
	m := sink.WaitFor(t, to, 5*time.Second)
	if !strings.Contains(m.Text, "111222") {
		t.Errorf("delivered text lacks the code:\n%s", m.Text)
	}
	eventually(t, "the row to be marked sent", func() bool { return rowTo(t, db, to).Status == store.EmailSent })
	if r := rowTo(t, db, to); r.Attempts != 3 || sink.Attempts() != 3 || len(sink.Messages()) != 1 {
		t.Fatalf("attempts: row %d, sink %d, delivered %d; want 3, 3, 1", r.Attempts, sink.Attempts(), len(sink.Messages()))
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	sink := smtptest.Start(t)
	sink.FailNext(1000)
	clk := newClock()
	logs := &logBuffer{}
	cfg := sinkConfig(sink)
	cfg.MaxAttempts = 3
	n := notify.New(db, cfg, acme, false, logs.logger(), clk.Now)
	run(t, n)

	const to = "doomed@example.com"
	if err := n.SendPasswordResetCode(context.Background(), to, "909090", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 3; attempt++ {
		eventually(t, fmt.Sprintf("attempt %d to be recorded", attempt), func() bool {
			r := rowTo(t, db, to)
			inFlight := r.NextAttemptAt.After(clk.Now().Add(store.EmailLease - time.Second))
			return r.Attempts == attempt && (r.Status == store.EmailFailed || !inFlight && r.LastError != nil)
		})
		clk.Advance(10 * time.Minute)
		n.Kick()
	}
	eventually(t, "the row to be marked failed", func() bool { return rowTo(t, db, to).Status == store.EmailFailed })
	r := rowTo(t, db, to)
	if r.Attempts != 3 || sink.Attempts() != 3 || len(sink.Messages()) != 0 || r.PurgeAfter == nil {
		t.Fatalf("row attempts %d, sink attempts %d, delivered %d, purge_after %v", r.Attempts, sink.Attempts(), len(sink.Messages()), r.PurgeAfter)
	}
	out := logs.String()
	var errLine string
	for line := range strings.Lines(out) {
		if strings.Contains(line, "level=ERROR") {
			errLine = line
		}
	}
	if !strings.Contains(errLine, r.ID) || !strings.Contains(errLine, to) {
		t.Errorf("no ERROR log naming the message and recipient:\n%s", out)
	}
	if strings.Contains(out, "909090") {
		t.Errorf("the log leaks the code:\n%s", out)
	}
}

// Two replicas' workers over one database send each message exactly once.
func TestTwoWorkersDeliverEachMessageOnce(t *testing.T) {
	t.Parallel()
	db, url := testdb.New(t)
	db2, err := store.Open(context.Background(), url, 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db2.Close)
	sink := smtptest.Start(t)
	a := notify.New(db, sinkConfig(sink), acme, false, testLog(t), nil)
	b := notify.New(db2, sinkConfig(sink), acme, false, testLog(t), nil)

	const total = 40
	for i := range total {
		sender := a
		if i%2 == 1 {
			sender = b
		}
		if err := sender.SendSignInCode(context.Background(), fmt.Sprintf("user%d@example.com", i), "123456", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	stopA, stopB := run(t, a), run(t, b)
	eventually(t, "every message to be marked sent", func() bool {
		var pending int
		err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM email_outbox WHERE status <> 'sent'`).Scan(&pending)
		return err == nil && pending == 0
	})
	stopA()
	stopB()
	perRecipient := map[string]int{}
	for _, m := range sink.Messages() {
		perRecipient[m.To]++
	}
	if len(perRecipient) != total || sink.Attempts() != total {
		t.Fatalf("%d recipients got mail in %d deliveries, want %d each once", len(perRecipient), sink.Attempts(), total)
	}
	for to, count := range perRecipient {
		if count != 1 {
			t.Errorf("%s got %d copies", to, count)
		}
	}
}

func TestSendValidatesInput(t *testing.T) {
	t.Parallel()
	n := notify.New(nil, notify.Config{}, acme, true, testLog(t), nil)
	ctx := context.Background()
	for name, err := range map[string]error{
		"bad address":      n.SendVerificationCode(ctx, "not-an-address", "123456", time.Minute),
		"header injection": n.SendVerificationCode(ctx, "a@example.com\r\nBcc: b@example.com", "123456", time.Minute),
		"display name":     n.SendVerificationCode(ctx, "Ada <a@example.com>", "123456", time.Minute),
		"no code":          n.SendSignInCode(ctx, "a@example.com", "", time.Minute),
		"no ttl":           n.SendPasswordResetCode(ctx, "a@example.com", "123456", 0),
		"javascript link":  n.SendSignInLink(ctx, "a@example.com", "javascript:alert(1)", time.Minute),
		"relative link":    n.SendSignInLink(ctx, "a@example.com", "/sign-in", time.Minute),
		"unknown kind":     n.Enqueue(ctx, nil, notify.Message{Kind: "nope", To: "a@example.com", Code: "1", TTL: time.Minute}),
		"production no smtp": notify.New(nil, notify.Config{}, acme, false, testLog(t), nil).
			SendSignInCode(ctx, "a@example.com", "123456", time.Minute),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A message enqueued in a transaction exists only if the transaction commits.
func TestEnqueueInTransaction(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	sink := smtptest.Start(t)
	n := notify.New(db, sinkConfig(sink), acme, false, testLog(t), nil)
	run(t, n)
	ctx := context.Background()
	msg := func(to string) notify.Message {
		return notify.Message{Kind: notify.KindVerificationCode, To: to, Code: "864209", TTL: 10 * time.Minute}
	}
	rollback := errors.New("rollback")
	if err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := n.Enqueue(ctx, tx, msg("rolledback@example.com")); err != nil {
			return err
		}
		return rollback
	}); !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx pgx.Tx) error { return n.Enqueue(ctx, tx, msg("committed@example.com")) }); err != nil {
		t.Fatal(err)
	}
	n.Kick()
	sink.WaitFor(t, "committed@example.com", 5*time.Second)
	if rows, _ := db.RecentEmails(ctx, 10); len(rows) != 1 || sink.Attempts() != 1 {
		t.Fatalf("%d rows, %d deliveries; want only the committed message", len(rows), sink.Attempts())
	}
}
