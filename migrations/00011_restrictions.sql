-- +goose Up

-- The instance's restriction switches (PATCH /v1/instance/restrictions).
-- One row, read on every sign-up, sign-in and identifier addition, so every
-- replica enforces the same rules the moment an operator changes them.
CREATE TABLE instance_restrictions (
    singleton                                boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    allowlist                                boolean NOT NULL DEFAULT false,
    blocklist                                boolean NOT NULL DEFAULT false,
    allowlist_blocklist_disabled_on_sign_in  boolean NOT NULL DEFAULT false,
    block_email_subaddresses                 boolean NOT NULL DEFAULT false,
    block_disposable_email_domains           boolean NOT NULL DEFAULT false,
    updated_at                               timestamptz NOT NULL DEFAULT now()
);
INSERT INTO instance_restrictions DEFAULT VALUES;

-- Allowlist and blocklist entries. identifier is the normalized form the
-- checks compare against: a lower-cased email address, "*@domain" for a
-- whole email domain, an E.164 phone number, or a lower-cased 0x wallet.
CREATE TABLE restriction_identifiers (
    id               text PRIMARY KEY,                  -- alid_... / blid_...
    list             text NOT NULL CHECK (list IN ('allowlist', 'blocklist')),
    identifier       text NOT NULL,
    identifier_type  text NOT NULL CHECK (identifier_type IN ('email_address', 'phone_number', 'web3_wallet')),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE UNIQUE INDEX restriction_identifiers_list_identifier_key ON restriction_identifiers (list, identifier);
CREATE INDEX restriction_identifiers_list_created_idx ON restriction_identifiers (list, created_at);

-- Invitations (POST /v1/invitations): the only way into a restricted
-- instance besides the allowlist. The ticket in the invitation link is a
-- 256-bit random token; only its SHA-256 is kept. An expired invitation is
-- still 'pending' here and told apart by expires_at.
CREATE TABLE invitations (
    id               text PRIMARY KEY,                 -- inv_...
    email_address    text NOT NULL,                    -- lower-cased
    public_metadata  jsonb NOT NULL DEFAULT '{}',
    redirect_url     text,
    status           text NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
    ticket_hash      bytea NOT NULL,
    expires_at       timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE UNIQUE INDEX invitations_ticket_key ON invitations (ticket_hash);
CREATE INDEX invitations_email_idx ON invitations (email_address, status);
CREATE INDEX invitations_created_idx ON invitations (created_at);

-- The invitation a sign-up came with (sign-up strategy "ticket").
ALTER TABLE sign_ups ADD COLUMN invitation_id text REFERENCES invitations (id) ON DELETE SET NULL;

-- +goose Down
ALTER TABLE sign_ups DROP COLUMN invitation_id;
DROP TABLE invitations;
DROP TABLE restriction_identifiers;
DROP TABLE instance_restrictions;
