-- +goose Up

-- A client is one browser or app install. Its token lives in the __client
-- cookie (or a native app's Authorization header); only its SHA-256 is kept.
CREATE TABLE clients (
    id                           text PRIMARY KEY,
    token_hash                   bytea NOT NULL UNIQUE,
    last_active_session_id       text,
    last_authentication_strategy text,
    created_at                   timestamptz NOT NULL,
    updated_at                   timestamptz NOT NULL,
    expires_at                   timestamptz NOT NULL
);

-- A session is one signed-in user on one client. Status is stored for the
-- states a person or operator causes (ended, removed, revoked); expiry by
-- lifetime or inactivity is derived from expire_at and last_active_at, so no
-- job has to sweep it.
CREATE TABLE sessions (
    id                          text PRIMARY KEY,
    client_id                   text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id                     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status                      text NOT NULL DEFAULT 'active'
                                CHECK (status IN ('active', 'ended', 'removed', 'revoked', 'replaced')),
    expire_at                   timestamptz NOT NULL,   -- maximum lifetime
    last_active_at              timestamptz NOT NULL,   -- for the inactivity timeout
    first_factor_verified_at    timestamptz NOT NULL,
    second_factor_verified_at   timestamptz,
    authentication_strategy     text,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL,
    ended_at                    timestamptz
);
CREATE INDEX sessions_client_idx ON sessions (client_id, created_at);
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at);

-- Fixed-window counters for rate limits and attempt limits, shared by every
-- replica. Rows of past windows are deleted opportunistically.
CREATE TABLE rate_limits (
    key           text NOT NULL,
    window_start  timestamptz NOT NULL,
    count         integer NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE sessions;
DROP TABLE clients;
