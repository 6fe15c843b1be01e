-- +goose Up

-- Multi-factor authentication: a user's authenticator app (TOTP, RFC 6238)
-- and their backup codes. The user object's totp_enabled,
-- backup_code_enabled and two_factor_enabled are derived from these rows
-- when a user is read, so they can never disagree with them.

-- One authenticator app per user. The secret must be read back to check
-- codes, so it is sealed with AES-GCM (keys.Box) bound to the row. A row
-- with verified_at null is an enrolment waiting for its first code.
-- last_used_step is the RFC 6238 time step of the last accepted code: only a
-- later step is accepted (RFC 6238 §5.2), and since the check and the update
-- happen under the row lock, a replay is refused on every replica.
CREATE TABLE totps (
    id              text PRIMARY KEY,                       -- totp_...
    user_id         text NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed   bytea NOT NULL,
    verified_at     timestamptz,
    last_used_step  bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- Backup codes: only keyed hashes (HMAC-SHA-256) are kept, each code is
-- spent by setting used_at, and a new set replaces the old one.
CREATE TABLE backup_codes (
    user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   bytea NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- Wrong second-factor codes per user, across sign-ins and replicas. Unlike
-- the password's count, signing in with the right password again does not
-- clear it: only a right second factor (or an operator's MFA reset) does.
-- At the instance's lockout limit every further wrong code locks the user
-- again (users.lockout_until).
CREATE TABLE mfa_failures (
    user_id         text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures        integer NOT NULL,
    last_failed_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE mfa_failures;
DROP TABLE backup_codes;
DROP TABLE totps;
