package notify

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/store"
)

const (
	firstBackoff = 5 * time.Second
	maxBackoff   = 10 * time.Minute
	maxErrorLen  = 500
)

// Run is the delivery worker: it polls every second and whenever Kick is
// called, claims due messages and sends them, and purges old ones. Every
// replica runs one; claims never overlap. It returns when ctx is cancelled,
// after the messages in flight have been sent or put back.
func (n *Notifier) Run(ctx context.Context) error {
	ticker := time.NewTicker(n.pollInterval)
	defer ticker.Stop()
	var lastPurge time.Time
	for {
		if n.cfg.Enabled() {
			n.deliverDue(ctx)
		}
		n.runSMS(ctx)
		if now := n.now(); lastPurge.IsZero() || now.Sub(lastPurge) >= n.purgeInterval {
			n.purge(ctx, now)
			n.purgeSMS(ctx, now, n.log)
			lastPurge = now
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-n.kick:
		}
	}
}

// deliverDue sends due messages in batches until none is left.
func (n *Notifier) deliverDue(ctx context.Context) {
	for ctx.Err() == nil {
		batch, err := n.store.ClaimDueEmails(ctx, n.now(), n.batchSize)
		if err != nil {
			if ctx.Err() == nil {
				n.log.Warn("claiming due emails failed", "error", err)
			}
			return
		}
		var wg sync.WaitGroup
		for _, e := range batch {
			wg.Go(func() { n.deliver(ctx, e) })
		}
		wg.Wait()
		if len(batch) < n.batchSize {
			return
		}
	}
}

// deliver sends one claimed message and records the outcome.
func (n *Notifier) deliver(ctx context.Context, e store.OutboxEmail) {
	// The outcome is recorded even when ctx is being cancelled: a message the
	// server accepted must not be sent again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	log := n.log.With("id", e.ID, "kind", e.Kind, "to", e.To, "attempt", e.Attempts)

	if e.Attempts > n.cfg.MaxAttempts {
		// Its senders kept dying mid-attempt (each claim counts one).
		n.markFailed(rctx, log, e, errors.New("no attempt finished (sender interrupted)"))
		return
	}
	err := n.send(ctx, e)
	now := n.now()
	switch {
	case err == nil:
		if err := n.store.MarkEmailSent(rctx, e.ID, now, now.Add(Retention)); err != nil {
			log.Warn("email sent but not marked sent", "error", err)
			return
		}
		log.Info("email sent")
	case ctx.Err() != nil:
		// Shutting down: make it due again at once for another replica.
		if err := n.store.MarkEmailRetry(rctx, e.ID, now, "interrupted by shutdown: "+errorText(err)); err != nil {
			log.Warn("email interrupted and not put back; it is retried when its lease ends", "error", err)
		}
	case isPermanent(err) || e.Attempts >= n.cfg.MaxAttempts:
		n.markFailed(rctx, log, e, err)
	default:
		next := now.Add(backoff(e.Attempts))
		if err := n.store.MarkEmailRetry(rctx, e.ID, next, errorText(err)); err != nil {
			log.Warn("email retry not recorded; it is retried when its lease ends", "error", err)
		}
		log.Warn("email delivery failed; will retry", "retry_at", next, "error", err)
	}
}

func (n *Notifier) markFailed(ctx context.Context, log *slog.Logger, e store.OutboxEmail, cause error) {
	if err := n.store.MarkEmailFailed(ctx, e.ID, errorText(cause), n.now().Add(Retention)); err != nil {
		log.Error("email delivery failed and could not be marked failed", "error", cause, "mark_error", err)
		return
	}
	log.Error("email delivery failed; giving up", "error", cause)
}

// backoff is the wait after the attempt-th failed attempt: 5s, 10s, 20s, ...
// capped at 10 minutes.
func backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 16 {
		return maxBackoff
	}
	return min(firstBackoff<<(attempt-1), maxBackoff)
}

// errorText is err as a short, valid UTF-8 string for last_error.
func errorText(err error) string {
	s := strings.ToValidUTF8(strings.ReplaceAll(err.Error(), "\x00", ""), "?")
	if len(s) > maxErrorLen {
		s = s[:maxErrorLen]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// purge deletes messages past their retention.
func (n *Notifier) purge(ctx context.Context, now time.Time) {
	deleted, err := n.store.PurgeEmails(ctx, now)
	switch {
	case err != nil && ctx.Err() == nil:
		n.log.Warn("purging old emails failed", "error", err)
	case deleted > 0:
		n.log.Debug("purged old emails", "count", deleted)
	}
}
