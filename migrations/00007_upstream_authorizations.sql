-- +goose Up

-- One authorization round trip to an upstream provider ("Continue with
-- Google"): created when the flow starts, consumed once by the callback.
-- The browser holds only the state value; its hash is stored, and the row is
-- bound to the client (the __client cookie) that started it, so a state
-- captured or replayed in another browser is useless. The PKCE verifier must
-- be read back and is sealed (keys.Box, additional data
-- "upstream_authorization:<id>:code_verifier_enc"); the nonce is stored as a
-- hash and compared with the ID token's.
--
-- After the callback, a row whose account cannot be linked yet (the email
-- must be proven first) keeps the provider's profile and sealed tokens in
-- status pending_link until the sign-in or sign-up it belongs to completes.
CREATE TABLE upstream_authorizations (
    id                     text PRIMARY KEY,                          -- uau_...
    client_id              text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    provider               text NOT NULL,                             -- oauth_google, oauth_custom_acme
    purpose                text NOT NULL,                             -- sign_in, sign_up, connect
    sign_in_id             text REFERENCES sign_ins (id) ON DELETE CASCADE,
    sign_up_id             text REFERENCES sign_ups (id) ON DELETE CASCADE,
    user_id                text REFERENCES users (id) ON DELETE CASCADE, -- connect: the signed-in user
    state_hash             bytea NOT NULL,
    code_verifier_enc      bytea,
    nonce_hash             bytea,
    redirect_url           text NOT NULL,
    action_complete_redirect_url text NOT NULL DEFAULT '',
    scopes                 text[] NOT NULL DEFAULT '{}',
    status                 text NOT NULL,                             -- pending, pending_link, done, failed
    -- What must happen before a pending link is made: email_code (the
    -- address was unverified at the provider) or new_password (it was
    -- unverified here, so the existing password may be someone else's).
    link_requires          text NOT NULL DEFAULT '',
    profile                jsonb NOT NULL DEFAULT '{}',
    access_token_enc       bytea,
    refresh_token_enc      bytea,
    id_token_enc           bytea,
    token_type             text NOT NULL DEFAULT '',
    token_expires_at       timestamptz,
    expire_at              timestamptz NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);
CREATE UNIQUE INDEX upstream_authorizations_state_key ON upstream_authorizations (state_hash);
CREATE INDEX upstream_authorizations_sign_in_idx ON upstream_authorizations (sign_in_id) WHERE sign_in_id IS NOT NULL;
CREATE INDEX upstream_authorizations_sign_up_idx ON upstream_authorizations (sign_up_id) WHERE sign_up_id IS NOT NULL;
CREATE INDEX upstream_authorizations_client_idx ON upstream_authorizations (client_id);

-- A native app's round trip ends in the system browser, which does not hold
-- the app's client: the callback parks the provider's response here (sealed,
-- "upstream_authorization:<id>:native_response_enc") and sends the browser to
-- the app's allowlisted URL with a one-time nonce (stored as a hash); the
-- app's own client then completes the flow by presenting it.
ALTER TABLE upstream_authorizations ADD COLUMN native_response_enc bytea,
    ADD COLUMN native_nonce_hash bytea;
CREATE UNIQUE INDEX upstream_authorizations_native_nonce_key ON upstream_authorizations (native_nonce_hash)
    WHERE native_nonce_hash IS NOT NULL;

-- A sign-up that came through an upstream provider needs no password.
ALTER TABLE sign_ups ADD COLUMN external_strategy text;

-- +goose Down
ALTER TABLE sign_ups DROP COLUMN external_strategy;
DROP TABLE upstream_authorizations;
