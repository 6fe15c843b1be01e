-- +goose Up

-- Outgoing SMS (phone verification and sign-in codes). Like email_outbox:
-- rows are written in the transaction that stores the code, a worker on any
-- replica claims due rows with FOR UPDATE SKIP LOCKED and posts them to the
-- SMS provider's HTTP API, and every row that reaches a final status gets a
-- purge_after (bodies carry live codes).
CREATE TABLE sms_outbox (
    id               text PRIMARY KEY,
    to_number        text NOT NULL,          -- E.164
    body             text NOT NULL,
    kind             text NOT NULL,          -- verification_code, sign_in_code, ...
    -- pending: waiting or being sent; sent: accepted by the provider;
    -- failed: gave up; dev: kept in the development outbox, never sent.
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'failed', 'dev')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL,
    last_error       text,
    provider_id      text,                   -- the provider's message id (Twilio's sid)
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz,
    purge_after      timestamptz,
    CONSTRAINT sms_outbox_sent_at CHECK ((status IN ('sent', 'dev')) = (sent_at IS NOT NULL))
);
CREATE INDEX sms_outbox_due_idx ON sms_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX sms_outbox_purge_idx ON sms_outbox (purge_after) WHERE purge_after IS NOT NULL;

-- A sign-up verifies its phone number with its own code, apart from the email's.
ALTER TABLE sign_ups
    ADD COLUMN phone_verification_id text REFERENCES verifications (id) ON DELETE SET NULL,
    ADD COLUMN phone_verified_at     timestamptz;

-- +goose Down
ALTER TABLE sign_ups DROP COLUMN phone_verification_id, DROP COLUMN phone_verified_at;
DROP TABLE sms_outbox;
