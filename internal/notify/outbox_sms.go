package notify

import (
	"context"
	"sort"
)

// withRecentSMS merges the newest text messages into the dev outbox's list
// (newest first, at most limit in all).
func (n *Notifier) withRecentSMS(ctx context.Context, items []OutboxItem, limit int) ([]OutboxItem, error) {
	if n.sms == nil {
		return items, nil
	}
	rows, err := n.sms.store.RecentSMS(ctx, limit)
	if err != nil {
		return nil, err
	}
	for _, m := range rows {
		items = append(items, OutboxItem{ID: m.ID, Channel: "sms", Kind: m.Kind, To: m.To, Subject: "Text message",
			Text: m.Body, Status: m.Status, CreatedAt: m.CreatedAt})
	}
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].CreatedAt.Equal(items[j].CreatedAt) {
			return items[i].CreatedAt.After(items[j].CreatedAt)
		}
		return items[i].ID > items[j].ID
	})
	if len(items) > limit {
		items = items[:limit]
	}
	return items, nil
}
