package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen holds a connection of its own (outside the pool) that LISTENs on
// channel until ctx ends, calling onNotify with each notification's payload.
// live(true) is called once LISTEN is in place and live(false) whenever the
// connection is lost, so a caller can stop trusting what it caches while it
// cannot hear about changes. It reconnects with backoff and returns nil when
// ctx ends.
func (db *DB) Listen(ctx context.Context, channel string, live func(bool), onNotify func(payload string)) error {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, channel, live, onNotify)
		live(false)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
		}
	}
	return nil
}

func (db *DB) listenOnce(ctx context.Context, channel string, live func(bool), onNotify func(string)) error {
	conn, err := pgx.ConnectConfig(ctx, db.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	live(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		onNotify(n.Payload)
	}
}
