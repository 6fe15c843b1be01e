-- +goose Up

-- OAuth applications: third-party clients of "Sign in with <this app>".
-- Client secrets are high-entropy, so a SHA-256 is stored and checked in
-- constant time; the secret itself is shown once.
CREATE TABLE oauth_applications (
    id                      text PRIMARY KEY,
    client_id               text NOT NULL UNIQUE,
    client_secret_hash      bytea,               -- null for public (PKCE-only) clients
    name                    text NOT NULL,
    redirect_uris           text[] NOT NULL DEFAULT '{}',
    post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
    scopes                  text NOT NULL,       -- space-separated scopes the app may ask for
    public                  boolean NOT NULL DEFAULT false,
    consent_screen_enabled  boolean NOT NULL DEFAULT true,
    pkce_required           boolean NOT NULL DEFAULT false,
    dynamically_registered  boolean NOT NULL DEFAULT false,
    logo_uri                text,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL
);

-- Consent a user gave an application, remembered until revoked.
CREATE TABLE oauth_consents (
    user_id         text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id  text NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
    scopes          text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (user_id, application_id)
);

-- A grant is one authorization: the tokens a code produced and every token
-- refreshed from them. Revoking it ends all of them at once.
CREATE TABLE oauth_grants (
    id              text PRIMARY KEY,
    application_id  text NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
    user_id         text REFERENCES users (id) ON DELETE CASCADE,
    scopes          text NOT NULL,
    auth_time       timestamptz,
    created_at      timestamptz NOT NULL,
    revoked_at      timestamptz
);

-- Authorization codes: single use, 10 minutes. Only a hash is kept.
CREATE TABLE oauth_codes (
    code_hash              bytea PRIMARY KEY,
    application_id         text NOT NULL REFERENCES oauth_applications (id) ON DELETE CASCADE,
    user_id                text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id             text,
    redirect_uri           text NOT NULL,
    scopes                 text NOT NULL,
    nonce                  text,
    code_challenge         text,
    auth_time              timestamptz NOT NULL,
    expires_at             timestamptz NOT NULL,
    used_at                timestamptz,
    grant_id               text               -- set when redeemed, to revoke on reuse
);

-- Refresh tokens rotate: each use marks the token used and issues a new one
-- in the same grant. A used token presented again (outside the grace window)
-- revokes the whole grant.
CREATE TABLE oauth_refresh_tokens (
    token_hash      bytea PRIMARY KEY,
    grant_id        text NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    application_id  text NOT NULL,
    user_id         text,
    scopes          text NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    successor_hash  bytea
);
CREATE INDEX oauth_refresh_tokens_grant_idx ON oauth_refresh_tokens (grant_id);

-- Opaque access tokens (when the instance issues them instead of JWTs).
CREATE TABLE oauth_access_tokens (
    token_hash      bytea PRIMARY KEY,
    jti             text NOT NULL UNIQUE,
    grant_id        text,
    application_id  text NOT NULL,
    user_id         text,
    scopes          text NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);

-- JWT access tokens are not stored (issuing one writes nothing); revoking
-- one records its jti until it would have expired anyway.
CREATE TABLE oauth_revoked_jtis (
    jti         text PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE oauth_revoked_jtis;
DROP TABLE oauth_access_tokens;
DROP TABLE oauth_refresh_tokens;
DROP TABLE oauth_codes;
DROP TABLE oauth_grants;
DROP TABLE oauth_consents;
DROP TABLE oauth_applications;
