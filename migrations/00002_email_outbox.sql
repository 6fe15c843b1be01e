-- +goose Up

-- Outgoing email (verification codes, sign-in links, password resets). Rows
-- are written in the transaction that creates the code, and a worker on any
-- replica claims due rows with FOR UPDATE SKIP LOCKED and sends them over
-- SMTP. The bodies carry live codes and links, so the table is sensitive:
-- every row that reaches a final status gets a purge_after, and the worker
-- deletes rows past it.
CREATE TABLE email_outbox (
    id               text PRIMARY KEY,
    to_address       text NOT NULL,
    subject          text NOT NULL,
    text_body        text NOT NULL,
    html_body        text NOT NULL DEFAULT '',
    kind             text NOT NULL,         -- verification_code, sign_in_code, ...
    -- pending: waiting or being sent; sent: accepted by the SMTP server;
    -- failed: gave up; dev: kept in the development outbox, never sent.
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'failed', 'dev')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- When a pending row is next due. Claiming a row pushes it forward by a
    -- lease, so a sender that crashes mid-send has its message retried.
    next_attempt_at  timestamptz NOT NULL,
    last_error       text,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz,
    purge_after      timestamptz,
    CONSTRAINT email_outbox_sent_at CHECK ((status IN ('sent', 'dev')) = (sent_at IS NOT NULL))
);
-- The worker's claim: due pending rows, oldest first.
CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at) WHERE status = 'pending';
-- The purge.
CREATE INDEX email_outbox_purge_idx ON email_outbox (purge_after) WHERE purge_after IS NOT NULL;

-- +goose Down
DROP TABLE email_outbox;
