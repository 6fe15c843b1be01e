// Package notify delivers email: verification codes, sign-in codes and
// links, password reset codes. Messages are rendered from embedded templates
// and written to the email_outbox table, in the caller's transaction if it
// has one; a worker on every replica claims due messages with
// FOR UPDATE SKIP LOCKED and sends them over SMTP, retrying with exponential
// backoff. In development without SMTP, messages stay in the dev outbox and
// their text is logged, so the code shows in the terminal.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// Store is the part of the store notify uses.
type Store interface {
	EnqueueEmail(ctx context.Context, e store.OutboxEmail) error
	EnqueueEmailTx(ctx context.Context, tx pgx.Tx, e store.OutboxEmail) error
	ClaimDueEmails(ctx context.Context, now time.Time, limit int) ([]store.OutboxEmail, error)
	MarkEmailSent(ctx context.Context, id string, sentAt, purgeAfter time.Time) error
	MarkEmailRetry(ctx context.Context, id string, nextAt time.Time, lastErr string) error
	MarkEmailFailed(ctx context.Context, id, lastErr string, purgeAfter time.Time) error
	RecentEmails(ctx context.Context, limit int) ([]store.OutboxEmail, error)
	PurgeEmails(ctx context.Context, before time.Time) (int64, error)
}

// Retention is how long a message is kept once sent, failed or kept in the
// dev outbox. Bodies carry codes and links, so they are not kept longer.
const Retention = 24 * time.Hour

// ErrNotConfigured is returned when a message is sent in production without
// an SMTP server (Config.Validate reports that at start-up).
var ErrNotConfigured = errors.New("notify: email delivery is not configured (email.smtp.host)")

// Notifier renders, enqueues and delivers email.
type Notifier struct {
	store Store
	cfg   Config
	from  *mail.Address // parsed cfg.SMTP.From; nil without SMTP
	brand Brand
	dev   bool
	log   *slog.Logger
	now   func() time.Time
	kick  chan struct{}
	sms   *smsChannel // nil until EnableSMS

	pollInterval  time.Duration
	purgeInterval time.Duration
	batchSize     int
}

// New returns a Notifier. cfg should have passed Validate; log and now may be
// nil (slog.Default, time.Now).
func New(st Store, cfg Config, brand Brand, development bool, log *slog.Logger, now func() time.Time) *Notifier {
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	n := &Notifier{
		store:         st,
		cfg:           cfg.withDefaults(),
		brand:         brand.sanitize(),
		dev:           development,
		log:           log.With("component", "notify"),
		now:           now,
		kick:          make(chan struct{}, 1),
		pollInterval:  time.Second,
		purgeInterval: 10 * time.Minute,
		batchSize:     10,
	}
	if n.cfg.Enabled() {
		from, err := mail.ParseAddress(cfg.SMTP.From)
		if err != nil {
			// Validate rejects this; fail each send visibly rather than panic.
			n.log.Error("email.smtp.from is not an email address; messages cannot be sent", "from", cfg.SMTP.From)
		}
		n.from = from
	}
	return n
}

// Message is one email to render and enqueue.
type Message struct {
	Kind Kind
	To   string        // a bare address: ada@example.com
	Code string        // for the code kinds
	URL  string        // for KindSignInLink and KindInvitation: absolute http(s) URL
	TTL  time.Duration // how long the code or link stays valid, shown in minutes
}

// SendVerificationCode sends the code that verifies an email address (sign-up
// or adding an address).
func (n *Notifier) SendVerificationCode(ctx context.Context, to, code string, ttl time.Duration) error {
	return n.Enqueue(ctx, nil, Message{Kind: KindVerificationCode, To: to, Code: code, TTL: ttl})
}

// SendSignInCode sends a one-time sign-in code.
func (n *Notifier) SendSignInCode(ctx context.Context, to, code string, ttl time.Duration) error {
	return n.Enqueue(ctx, nil, Message{Kind: KindSignInCode, To: to, Code: code, TTL: ttl})
}

// SendSignInLink sends a one-time sign-in link.
func (n *Notifier) SendSignInLink(ctx context.Context, to, link string, ttl time.Duration) error {
	return n.Enqueue(ctx, nil, Message{Kind: KindSignInLink, To: to, URL: link, TTL: ttl})
}

// SendPasswordResetCode sends a password reset code.
func (n *Notifier) SendPasswordResetCode(ctx context.Context, to, code string, ttl time.Duration) error {
	return n.Enqueue(ctx, nil, Message{Kind: KindPasswordResetCode, To: to, Code: code, TTL: ttl})
}

// Enqueue renders m and stores it for delivery, then wakes the local worker.
// With a non-nil tx the message is written in that transaction, so it goes
// out only if the transaction that stores its code commits; the worker is not
// woken (it could not see the row yet): call Kick after the commit to send it
// at once, or the next poll picks it up within a second. In development
// without SMTP the message is stored as 'dev' and logged here, before any
// commit.
func (n *Notifier) Enqueue(ctx context.Context, tx pgx.Tx, m Message) error {
	to, err := checkMessage(m)
	if err != nil {
		return err
	}
	devOutbox := !n.cfg.Enabled()
	if devOutbox && !n.dev {
		return ErrNotConfigured
	}
	r, err := render(m.Kind, templateData{
		AppName:   n.brand.AppName,
		LogoURL:   n.brand.LogoURL,
		Color:     n.brand.Color,
		To:        to,
		Code:      m.Code,
		URL:       m.URL,
		ExpiresIn: expiresIn(m.TTL),
	})
	if err != nil {
		return err
	}
	now := n.now()
	row := store.OutboxEmail{
		ID:            ids.NewAt(ids.Email, now),
		To:            to,
		Subject:       r.Subject,
		TextBody:      r.Text,
		HTMLBody:      r.HTML,
		Kind:          string(m.Kind),
		Status:        store.EmailPending,
		NextAttemptAt: now,
		CreatedAt:     now,
	}
	if devOutbox {
		purge := now.Add(Retention)
		row.Status, row.SentAt, row.PurgeAfter = store.EmailDev, &now, &purge
	}
	if tx != nil {
		err = n.store.EnqueueEmailTx(ctx, tx, row)
	} else {
		err = n.store.EnqueueEmail(ctx, row)
	}
	if err != nil {
		return fmt.Errorf("notify: enqueue %s: %w", m.Kind, err)
	}
	if devOutbox {
		// Development only: the body (with its code) is what the developer
		// needs to see to get through sign-up.
		n.log.Info("email kept in the dev outbox (SMTP is not configured)",
			"id", row.ID, "to", row.To, "subject", row.Subject, "text", row.TextBody)
		return nil
	}
	if tx == nil {
		n.Kick()
	}
	return nil
}

// Kick wakes the local worker so due messages go out now rather than at the
// next poll.
func (n *Notifier) Kick() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// checkMessage validates m and returns its normalized recipient.
func checkMessage(m Message) (string, error) {
	addr, err := mail.ParseAddress(m.To)
	if err != nil || addr.Name != "" || strings.ContainsAny(addr.Address, "\r\n<>") {
		return "", fmt.Errorf("notify: invalid recipient address %q", m.To)
	}
	if m.TTL <= 0 {
		return "", fmt.Errorf("notify: %s needs a positive TTL", m.Kind)
	}
	switch m.Kind {
	case KindVerificationCode, KindSignInCode, KindPasswordResetCode:
		if m.Code == "" || strings.ContainsFunc(m.Code, isControl) {
			return "", fmt.Errorf("notify: %s needs a code", m.Kind)
		}
	case KindSignInLink, KindInvitation:
		u, err := url.Parse(m.URL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return "", fmt.Errorf("notify: %s needs an absolute http(s) URL", m.Kind)
		}
	default:
		return "", fmt.Errorf("notify: unknown message kind %q", m.Kind)
	}
	return addr.Address, nil
}
