-- +goose Up

-- A passkey (WebAuthn credential) of a user. It is created unverified when
-- the account page asks for creation options, and becomes usable only once
-- the browser's attestation for that ceremony checks out: credential_id and
-- credential are set then. Only verified passkeys are listed or counted.
-- credential is go-webauthn's credential record (public key, flags, AAGUID,
-- attestation); sign_count is kept in its own column so a sign-in can move
-- it forward with a compare-and-set.
CREATE TABLE passkeys (
    id                text PRIMARY KEY,                               -- pk_...
    user_id           text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name              text NOT NULL DEFAULT '',
    credential_id     bytea UNIQUE,
    credential        jsonb,
    sign_count        bigint NOT NULL DEFAULT 0,
    -- the registration ceremony this passkey is waiting on (unverified only)
    verification_id   text REFERENCES verifications (id) ON DELETE SET NULL,
    verified_at       timestamptz,
    last_used_at      timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT passkeys_verified_has_credential CHECK (verified_at IS NULL OR (credential_id IS NOT NULL AND credential IS NOT NULL))
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id, created_at);

-- The WebAuthn ceremony behind a passkey verification: the challenge and
-- what go-webauthn must check the response against (session), and the
-- options handed to the browser (shown as the verification's nonce, as
-- Clerk does). The challenge is not a bearer secret (an assertion needs the
-- private key too); it is kept to make each ceremony single use: the
-- verification row, bound to the client, goes to verified or failed once.
CREATE TABLE webauthn_ceremonies (
    verification_id   text PRIMARY KEY REFERENCES verifications (id) ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('registration', 'authentication')),
    user_id           text REFERENCES users (id) ON DELETE CASCADE,
    session           jsonb NOT NULL,
    options           jsonb NOT NULL,
    created_at        timestamptz NOT NULL
);

-- +goose Down
DROP TABLE webauthn_ceremonies;
DROP TABLE passkeys;
