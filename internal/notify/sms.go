package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// SMSStore is the part of the store the SMS channel uses.
type SMSStore interface {
	EnqueueSMS(ctx context.Context, m store.OutboxSMS) error
	EnqueueSMSTx(ctx context.Context, tx pgx.Tx, m store.OutboxSMS) error
	ClaimDueSMS(ctx context.Context, now time.Time, limit int) ([]store.OutboxSMS, error)
	MarkSMSSent(ctx context.Context, id, providerID string, sentAt, purgeAfter time.Time) error
	MarkSMSRetry(ctx context.Context, id string, nextAt time.Time, lastErr string) error
	MarkSMSFailed(ctx context.Context, id, lastErr string, purgeAfter time.Time) error
	RecentSMS(ctx context.Context, limit int) ([]store.OutboxSMS, error)
	PurgeSMS(ctx context.Context, before time.Time) (int64, error)
}

// SMS errors.
var (
	// ErrSMSNotConfigured: a text was asked for in production without a provider.
	ErrSMSNotConfigured = errors.New("notify: SMS delivery is not configured (sms.twilio)")
	// ErrCountryNotAllowed: the number's calling code is not on the SMS allowlist.
	ErrCountryNotAllowed = errors.New("notify: the number's country is not on the SMS allowlist")
)

// smsChannel is the SMS half of a Notifier.
type smsChannel struct {
	store  SMSStore
	cfg    SMSConfig
	sender SMSSender // nil without a provider
}

// SMSMessage is one text to render and enqueue.
type SMSMessage struct {
	Kind        Kind          // KindVerificationCode or KindSignInCode
	To          string        // E.164
	CallingCode int           // the number's country calling code, for the allowlist
	Code        string        // the one-time code
	TTL         time.Duration // shown in minutes
}

// EnableSMS adds the SMS channel. Without it, EnqueueSMS fails.
func (n *Notifier) EnableSMS(st SMSStore, cfg SMSConfig) {
	c := &smsChannel{store: st, cfg: cfg.withDefaults()}
	if c.cfg.Enabled() {
		c.sender = newTwilioSender(c.cfg.Twilio)
	}
	n.sms = c
}

// SMSReady reports whether texts can go anywhere: to a provider, or in
// development to the dev outbox.
func (n *Notifier) SMSReady() bool {
	return n.sms != nil && (n.sms.sender != nil || n.dev)
}

// SMSAllowed applies the SMS country allowlist to a calling code.
func (n *Notifier) SMSAllowed(callingCode int) bool {
	return n.sms != nil && n.sms.cfg.CallingCodeAllowed(callingCode)
}

// EnqueueSMS renders m and stores it for delivery, in tx when it is not nil
// (call Kick after the commit), exactly as Enqueue does for email. In
// development without a provider the text stays in the dev outbox and is
// logged.
func (n *Notifier) EnqueueSMS(ctx context.Context, tx pgx.Tx, m SMSMessage) error {
	c := n.sms
	if c == nil {
		return ErrSMSNotConfigured
	}
	if err := checkSMS(m); err != nil {
		return err
	}
	if !c.cfg.CallingCodeAllowed(m.CallingCode) {
		return ErrCountryNotAllowed
	}
	devOutbox := c.sender == nil
	if devOutbox && !n.dev {
		return ErrSMSNotConfigured
	}
	now := n.now()
	row := store.OutboxSMS{ID: ids.NewAt("sms", now), To: m.To, Body: n.smsBody(m), Kind: string(m.Kind),
		Status: store.EmailPending, NextAttemptAt: now, CreatedAt: now}
	if devOutbox {
		purge := now.Add(Retention)
		row.Status, row.SentAt, row.PurgeAfter = store.EmailDev, &now, &purge
	}
	var err error
	if tx != nil {
		err = c.store.EnqueueSMSTx(ctx, tx, row)
	} else {
		err = c.store.EnqueueSMS(ctx, row)
	}
	if err != nil {
		return fmt.Errorf("notify: enqueue sms %s: %w", m.Kind, err)
	}
	if devOutbox {
		n.log.Info("SMS kept in the dev outbox (no SMS provider is configured)", "id", row.ID, "to", row.To, "text", row.Body)
		return nil
	}
	if tx == nil {
		n.Kick()
	}
	return nil
}

// smsBody is the text of a code message: the code first, so phones can
// offer it for autofill, and the app's name so people know who sent it.
func (n *Notifier) smsBody(m SMSMessage) string {
	what := "verification code"
	if m.Kind == KindSignInCode {
		what = "sign-in code"
	}
	return fmt.Sprintf("%s is your %s %s. It expires in %s.", m.Code, n.brand.AppName, what, expiresIn(m.TTL))
}

func checkSMS(m SMSMessage) error {
	if len(m.To) < 9 || len(m.To) > 16 || m.To[0] != '+' || strings.Trim(m.To[1:], "0123456789") != "" {
		return fmt.Errorf("notify: invalid SMS recipient %q", m.To)
	}
	if m.TTL <= 0 {
		return fmt.Errorf("notify: sms %s needs a positive TTL", m.Kind)
	}
	if m.Kind != KindVerificationCode && m.Kind != KindSignInCode {
		return fmt.Errorf("notify: unknown SMS kind %q", m.Kind)
	}
	if m.Code == "" || strings.Trim(m.Code, "0123456789") != "" {
		return fmt.Errorf("notify: sms %s needs a numeric code", m.Kind)
	}
	return nil
}

// deliverDueSMS sends due texts in batches until none is left.
func (n *Notifier) deliverDueSMS(ctx context.Context) {
	c := n.sms
	for ctx.Err() == nil {
		batch, err := c.store.ClaimDueSMS(ctx, n.now(), n.batchSize)
		if err != nil {
			if ctx.Err() == nil {
				n.log.Warn("claiming due SMS failed", "error", err)
			}
			return
		}
		var wg sync.WaitGroup
		for _, m := range batch {
			wg.Go(func() { n.deliverSMS(ctx, m) })
		}
		wg.Wait()
		if len(batch) < n.batchSize {
			return
		}
	}
}

// deliverSMS sends one claimed text and records the outcome; the rules are
// the email worker's (lease, backoff, give up after MaxAttempts).
func (n *Notifier) deliverSMS(ctx context.Context, m store.OutboxSMS) {
	c := n.sms
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	log := n.log.With("id", m.ID, "kind", m.Kind, "to", m.To, "attempt", m.Attempts)
	fail := func(cause error) {
		if err := c.store.MarkSMSFailed(rctx, m.ID, errorText(cause), n.now().Add(Retention)); err != nil {
			log.Error("SMS delivery failed and could not be marked failed", "error", cause, "mark_error", err)
			return
		}
		log.Error("SMS delivery failed; giving up", "error", cause)
	}
	if m.Attempts > c.cfg.MaxAttempts {
		fail(errors.New("no attempt finished (sender interrupted)"))
		return
	}
	sendCtx, sendCancel := context.WithTimeout(ctx, 20*time.Second)
	providerID, err := c.sender.SendSMS(sendCtx, m.To, m.Body)
	sendCancel()
	now := n.now()
	var pe *providerError
	switch {
	case err == nil:
		if err := c.store.MarkSMSSent(rctx, m.ID, providerID, now, now.Add(Retention)); err != nil {
			log.Warn("SMS sent but not marked sent", "error", err)
			return
		}
		log.Info("SMS sent", "provider_id", providerID)
	case ctx.Err() != nil:
		if err := c.store.MarkSMSRetry(rctx, m.ID, now, "interrupted by shutdown: "+errorText(err)); err != nil {
			log.Warn("SMS interrupted and not put back; it is retried when its lease ends", "error", err)
		}
	case (errors.As(err, &pe) && pe.permanent) || m.Attempts >= c.cfg.MaxAttempts:
		fail(err)
	default:
		next := now.Add(backoff(m.Attempts))
		if err := c.store.MarkSMSRetry(rctx, m.ID, next, errorText(err)); err != nil {
			log.Warn("SMS retry not recorded; it is retried when its lease ends", "error", err)
		}
		log.Warn("SMS delivery failed; will retry", "retry_at", next, "error", err)
	}
}

// runSMS is the SMS part of one worker round.
func (n *Notifier) runSMS(ctx context.Context) {
	if n.sms != nil && n.sms.sender != nil {
		n.deliverDueSMS(ctx)
	}
}

func (n *Notifier) purgeSMS(ctx context.Context, now time.Time, log *slog.Logger) {
	if n.sms == nil {
		return
	}
	if _, err := n.sms.store.PurgeSMS(ctx, now); err != nil && ctx.Err() == nil {
		log.Warn("purging old SMS failed", "error", err)
	}
}
