-- +goose Up

-- A verification proves control of an identifier (or a password reset) with
-- a one-time code or a link. Only hashes of codes and link tokens are kept;
-- attempts are counted here so limits hold across replicas.
CREATE TABLE verifications (
    id                 text PRIMARY KEY,
    client_id          text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    strategy           text NOT NULL,   -- email_code, email_link, reset_password_email_code, ...
    status             text NOT NULL DEFAULT 'unverified'
                       CHECK (status IN ('unverified', 'verified', 'failed', 'expired')),
    identifier         text,            -- the address the code or link was sent to
    identification_id  text,            -- set when it verifies an existing identification
    secret_hash        bytea,           -- SHA-256 of the code or link token
    attempts           integer NOT NULL DEFAULT 0,
    redirect_url       text,
    error_code         text,            -- why a link failed, for the tab that waits on it
    expire_at          timestamptz NOT NULL,
    verified_at        timestamptz,
    created_at         timestamptz NOT NULL
);
CREATE UNIQUE INDEX verifications_secret_idx ON verifications (secret_hash) WHERE strategy = 'email_link';
CREATE INDEX verifications_client_idx ON verifications (client_id);

CREATE TABLE sign_ins (
    id                              text PRIMARY KEY,
    client_id                       text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    status                          text NOT NULL,
    identifier                      text,
    -- Unknown identifiers get a sign-in too (no user enumeration); user_id stays null.
    user_id                         text REFERENCES users (id) ON DELETE CASCADE,
    identification_id               text,
    first_factor_verification_id    text REFERENCES verifications (id) ON DELETE SET NULL,
    first_factor_strategy           text,
    first_factor_status             text,
    second_factor_verification_id   text REFERENCES verifications (id) ON DELETE SET NULL,
    created_session_id              text,
    abandon_at                      timestamptz NOT NULL,
    created_at                      timestamptz NOT NULL,
    updated_at                      timestamptz NOT NULL
);
CREATE INDEX sign_ins_client_idx ON sign_ins (client_id);

CREATE TABLE sign_ups (
    id                              text PRIMARY KEY,
    client_id                       text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    status                          text NOT NULL,
    email_address                   text,
    phone_number                    text,
    username                        text,
    first_name                      text,
    last_name                       text,
    password_digest                 text,
    unsafe_metadata                 jsonb NOT NULL DEFAULT '{}',
    legal_accepted_at               timestamptz,
    email_verification_id           text REFERENCES verifications (id) ON DELETE SET NULL,
    email_verified_at               timestamptz,
    created_user_id                 text REFERENCES users (id) ON DELETE SET NULL,
    created_session_id              text,
    abandon_at                      timestamptz NOT NULL,
    created_at                      timestamptz NOT NULL,
    updated_at                      timestamptz NOT NULL
);
CREATE INDEX sign_ups_client_idx ON sign_ups (client_id);

ALTER TABLE clients
    ADD COLUMN sign_in_id text REFERENCES sign_ins (id) ON DELETE SET NULL,
    ADD COLUMN sign_up_id text REFERENCES sign_ups (id) ON DELETE SET NULL;

-- +goose Down
ALTER TABLE clients DROP COLUMN sign_in_id, DROP COLUMN sign_up_id;
DROP TABLE sign_ups;
DROP TABLE sign_ins;
DROP TABLE verifications;
