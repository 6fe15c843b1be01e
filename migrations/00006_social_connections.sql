-- +goose Up

-- A user's account at an upstream identity provider ("Sign in with Google").
-- It is identified only by (provider, provider_user_id), never by email: the
-- email fields are what the provider said, kept for display and linking
-- decisions. Upstream tokens must be read back (the token wallet hands them
-- to backends), so they are sealed with AES-GCM under the instance
-- encryption key (keys.Box), bound to the row and column as additional data.
CREATE TABLE external_accounts (
    id                       text PRIMARY KEY,                 -- eac_...
    user_id                  text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider                 text NOT NULL,                    -- strategy: oauth_google, oauth_custom_acme
    provider_user_id         text NOT NULL,                    -- the provider's stable subject
    email_address            text NOT NULL DEFAULT '',
    email_verified           boolean NOT NULL DEFAULT false,   -- proven verified by the provider
    first_name               text NOT NULL DEFAULT '',
    last_name                text NOT NULL DEFAULT '',
    username                 text NOT NULL DEFAULT '',
    image_url                text NOT NULL DEFAULT '',
    label                    text NOT NULL DEFAULT '',
    public_metadata          jsonb NOT NULL DEFAULT '{}',
    approved_scopes          text[] NOT NULL DEFAULT '{}',
    access_token_enc         bytea,
    refresh_token_enc        bytea,
    id_token_enc             bytea,
    token_type               text NOT NULL DEFAULT '',
    token_expires_at         timestamptz,                      -- null: the provider gave no expiry
    token_refreshed_at       timestamptz,
    -- Set when the provider refused a refresh (grant revoked): the user must
    -- connect the provider again before the wallet can hand out tokens.
    needs_reauthorization    boolean NOT NULL DEFAULT false,
    reauthorization_reason   text NOT NULL DEFAULT '',
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL
);
CREATE UNIQUE INDEX external_accounts_provider_subject_key ON external_accounts (provider, provider_user_id);
CREATE INDEX external_accounts_user_idx ON external_accounts (user_id, created_at);
-- The background refresher's scan: refreshable tokens by expiry.
CREATE INDEX external_accounts_refresh_idx ON external_accounts (token_expires_at)
    WHERE refresh_token_enc IS NOT NULL AND NOT needs_reauthorization;

-- Redirect URLs native apps may return to after an OAuth flow (custom
-- schemes such as myapp://callback), managed through /v1/redirect_urls.
CREATE TABLE redirect_urls (
    id          text PRIMARY KEY,                              -- ru_...
    url         text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX redirect_urls_url_key ON redirect_urls (url);

-- +goose Down
DROP TABLE redirect_urls;
DROP TABLE external_accounts;
