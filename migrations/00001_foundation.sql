-- +goose Up

-- Instance signing keys. The private key is encrypted with AES-GCM under the
-- instance encryption key; the public JWK is kept in clear for the JWKS.
-- The newest key not yet retired signs; retired keys stay published until
-- every token they signed has expired (published_until).
CREATE TABLE signing_keys (
    kid               text PRIMARY KEY,
    alg               text NOT NULL,
    private_key_enc   bytea NOT NULL,
    public_jwk        jsonb NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    retired_at        timestamptz,
    published_until   timestamptz
);

-- Backend API secret keys (sk_test_/sk_live_). Only a SHA-256 of the key is
-- stored; several may be active at once for rotation.
CREATE TABLE secret_keys (
    id          text PRIMARY KEY,
    key_hash    bytea NOT NULL UNIQUE,
    hint        text NOT NULL,              -- last characters, to tell keys apart
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE users (
    id                          text PRIMARY KEY,
    external_id                 text,
    username                    text,
    first_name                  text,
    last_name                   text,
    locale                      text,
    password_digest             text,      -- argon2id PHC, or an imported digest until first use
    password_hasher             text,      -- 'argon2id' or the import hasher's name
    password_updated_at         timestamptz,
    public_metadata             jsonb NOT NULL DEFAULT '{}',
    private_metadata            jsonb NOT NULL DEFAULT '{}',
    unsafe_metadata             jsonb NOT NULL DEFAULT '{}',
    primary_email_address_id    text,
    primary_phone_number_id     text,
    banned                      boolean NOT NULL DEFAULT false,
    locked_at                   timestamptz,   -- locked by an operator, until unlocked
    lockout_until               timestamptz,   -- locked automatically after failed attempts
    failed_verification_attempts integer NOT NULL DEFAULT 0,
    delete_self_enabled         boolean NOT NULL DEFAULT true,
    create_organization_enabled boolean NOT NULL DEFAULT true,
    create_organizations_limit  integer,
    last_sign_in_at             timestamptz,
    last_active_at              timestamptz,
    legal_accepted_at           timestamptz,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL,
    CONSTRAINT users_password_pair CHECK ((password_digest IS NULL) = (password_hasher IS NULL))
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_external_id_key ON users (external_id);
CREATE INDEX users_created_at_idx ON users (created_at, id);
CREATE INDEX users_updated_at_idx ON users (updated_at, id);
CREATE INDEX users_last_sign_in_at_idx ON users (last_sign_in_at, id);

-- Email addresses and phone numbers ("identifications"). identifier is the
-- normalized form used for uniqueness: lower-cased email, E.164 phone.
CREATE TABLE identifications (
    id                          text PRIMARY KEY,
    user_id                     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type                        text NOT NULL CHECK (type IN ('email_address', 'phone_number')),
    identifier                  text NOT NULL,
    verified                    boolean NOT NULL DEFAULT false,
    verification_strategy       text,      -- how it was verified: admin, email_code, ...
    reserved                    boolean NOT NULL DEFAULT false,
    reserved_for_second_factor  boolean NOT NULL DEFAULT false,
    default_second_factor       boolean NOT NULL DEFAULT false,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL
);
CREATE UNIQUE INDEX identifications_identifier_key ON identifications (type, lower(identifier));
CREATE INDEX identifications_user_idx ON identifications (user_id, created_at);
-- Partial matches in the user list's query filter.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX identifications_identifier_trgm ON identifications USING gin (lower(identifier) gin_trgm_ops);

ALTER TABLE users
    ADD CONSTRAINT users_primary_email_fk FOREIGN KEY (primary_email_address_id)
        REFERENCES identifications (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT users_primary_phone_fk FOREIGN KEY (primary_phone_number_id)
        REFERENCES identifications (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;

-- +goose Down
ALTER TABLE users DROP CONSTRAINT users_primary_email_fk, DROP CONSTRAINT users_primary_phone_fk;
DROP TABLE identifications;
DROP TABLE users;
DROP TABLE secret_keys;
DROP TABLE signing_keys;
