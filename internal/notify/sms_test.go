package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/notify"
	"github.com/latchkey/latchkey/internal/notify/smstest"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/testdb"
)

func fakeTwilio(f *smstest.Fake, codes ...int) notify.SMSConfig {
	return notify.SMSConfig{Twilio: notify.Twilio{BaseURL: f.URL(), AccountSID: smstest.AccountSID,
		AuthToken: smstest.AuthToken, From: smstest.From}, AllowedCallingCodes: codes, MaxAttempts: 3}
}

func smsTo(t *testing.T, db *store.DB, to string) store.OutboxSMS {
	t.Helper()
	rows, err := db.RecentSMS(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.To == to {
			return r
		}
	}
	t.Fatalf("no SMS outbox row to %s", to)
	return store.OutboxSMS{}
}

func code(to string, callingCode int) notify.SMSMessage {
	return notify.SMSMessage{Kind: notify.KindSignInCode, To: to, CallingCode: callingCode, Code: "482913", TTL: 10 * time.Minute}
}

// A text goes to the provider in Twilio's shape (basic auth, form To/From/
// Body), the code first and the app's name in it; the provider's sid is kept.
func TestSMSThroughTwilioAdapter(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	fake := smstest.Start(t)
	n := notify.New(db, notify.Config{}, acme, false, testLog(t), time.Now)
	n.EnableSMS(db, fakeTwilio(fake, 1))
	run(t, n)
	if err := n.EnqueueSMS(context.Background(), nil, code("+15555550100", 1)); err != nil {
		t.Fatal(err)
	}
	m := fake.WaitFor(t, "+15555550100", 5*time.Second)
	if m.From != smstest.From || !strings.HasPrefix(m.Body, "482913 ") || !strings.Contains(m.Body, "Acme") {
		t.Fatalf("text = %+v", m)
	}
	eventually(t, "the row to be marked sent", func() bool {
		r := smsTo(t, db, "+15555550100")
		return r.Status == store.EmailSent && r.ProviderID != nil && *r.ProviderID == m.SID
	})
	if bad := fake.BadRequests(); len(bad) > 0 {
		t.Fatalf("requests without Twilio's shape: %v", bad)
	}
}

// A messaging service id (MG...) goes as MessagingServiceSid, not From.
func TestSMSMessagingService(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	fake := smstest.Start(t)
	svc := notify.New(db, notify.Config{}, acme, false, testLog(t), time.Now)
	cfg := fakeTwilio(fake, 1)
	cfg.Twilio.From = "MG00000000000000000000000000000000"
	svc.EnableSMS(db, cfg)
	run(t, svc)
	if err := svc.EnqueueSMS(context.Background(), nil, code("+15555550105", 1)); err != nil {
		t.Fatal(err)
	}
	if m := fake.WaitFor(t, "+15555550105", 5*time.Second); m.Service != cfg.Twilio.From || m.From != "" {
		t.Fatalf("text = %+v", m)
	}
}

// A 503 is retried with backoff; a 400 (a number the provider refuses) is
// final at once; wrong credentials are final too.
func TestSMSRetriesAndRefusals(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	fake := smstest.Start(t)
	clk := newClock()
	n := notify.New(db, notify.Config{}, acme, false, testLog(t), clk.Now)
	n.EnableSMS(db, fakeTwilio(fake))
	run(t, n)
	ctx := context.Background()

	fake.FailNext(1)
	if err := n.EnqueueSMS(ctx, nil, code("+15555550101", 1)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a retry to be scheduled", func() bool {
		r := smsTo(t, db, "+15555550101")
		return r.Status == store.EmailPending && r.Attempts == 1 && r.LastError != nil && r.NextAttemptAt.After(clk.Now())
	})
	clk.Advance(time.Hour)
	n.Kick()
	fake.WaitFor(t, "+15555550101", 5*time.Second)
	eventually(t, "the retried text to be sent", func() bool { return smsTo(t, db, "+15555550101").Status == store.EmailSent })

	fake.RefuseNext(1)
	if err := n.EnqueueSMS(ctx, nil, code("+15555550102", 1)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refused text to fail", func() bool {
		r := smsTo(t, db, "+15555550102")
		return r.Status == store.EmailFailed && r.Attempts == 1 && r.LastError != nil && strings.Contains(*r.LastError, "21211")
	})
	if len(fake.Messages()) != 1 {
		t.Fatalf("messages = %+v", fake.Messages())
	}
}

// The SMS allowlist is enforced where texts are enqueued, whatever the caller.
func TestSMSAllowlistInNotifier(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	fake := smstest.Start(t)
	n := notify.New(db, notify.Config{}, acme, false, testLog(t), time.Now)
	n.EnableSMS(db, fakeTwilio(fake, 1, 44))
	if !n.SMSAllowed(44) || n.SMSAllowed(33) {
		t.Fatal("SMSAllowed does not follow the list")
	}
	if err := n.EnqueueSMS(context.Background(), nil, code("+33612345678", 33)); !errors.Is(err, notify.ErrCountryNotAllowed) {
		t.Fatalf("err = %v, want ErrCountryNotAllowed", err)
	}
	if rows, _ := db.RecentSMS(context.Background(), 10); len(rows) != 0 {
		t.Fatalf("a refused text was stored: %+v", rows)
	}
}

// Without a provider, development keeps texts in the dev outbox (listed
// with the emails) and production refuses to send.
func TestSMSDevOutbox(t *testing.T) {
	t.Parallel()
	db, _ := testdb.New(t)
	dev := notify.New(db, notify.Config{}, acme, true, testLog(t), time.Now)
	dev.EnableSMS(db, notify.SMSConfig{})
	if err := dev.EnqueueSMS(context.Background(), nil, code("+15555550103", 1)); err != nil {
		t.Fatal(err)
	}
	if r := smsTo(t, db, "+15555550103"); r.Status != store.EmailDev || r.SentAt == nil || r.PurgeAfter == nil {
		t.Fatalf("row = %+v", r)
	}
	body := get(t, notify.OutboxHandler(dev), "/dev/outbox?format=json").Body.String()
	if !strings.Contains(body, `"channel":"sms"`) || !strings.Contains(body, "+15555550103") || !strings.Contains(body, "482913") {
		t.Fatalf("the dev outbox does not list the text: %s", body)
	}
	prod := notify.New(db, notify.Config{}, acme, false, testLog(t), time.Now)
	prod.EnableSMS(db, notify.SMSConfig{})
	if err := prod.EnqueueSMS(context.Background(), nil, code("+15555550104", 1)); !errors.Is(err, notify.ErrSMSNotConfigured) {
		t.Fatalf("err = %v, want ErrSMSNotConfigured", err)
	}
}
