-- +goose Up

-- Ethereum wallets are identifications like email addresses and phone
-- numbers: identifier holds the EIP-55 address, unique case-insensitively
-- (identifications_identifier_key), and the user aggregate loads them with
-- the rest. They are verified by a signature (web3_*_signature).
ALTER TABLE identifications DROP CONSTRAINT identifications_type_check;
ALTER TABLE identifications ADD CONSTRAINT identifications_type_check
    CHECK (type IN ('email_address', 'phone_number', 'web3_wallet'));

-- A sign-up with a wallet: the address, the signature challenge issued for
-- it (a verification whose secret_hash is the SHA-256 of the message to
-- sign; single use through its status, expiring at its expire_at) and when
-- the signature proved it.
ALTER TABLE sign_ups
    ADD COLUMN web3_wallet                  text,
    ADD COLUMN web3_wallet_verification_id  text REFERENCES verifications (id) ON DELETE SET NULL,
    ADD COLUMN web3_wallet_verified_at      timestamptz;

-- +goose Down
ALTER TABLE sign_ups
    DROP COLUMN web3_wallet, DROP COLUMN web3_wallet_verification_id, DROP COLUMN web3_wallet_verified_at;
DELETE FROM identifications WHERE type = 'web3_wallet';
ALTER TABLE identifications DROP CONSTRAINT identifications_type_check;
ALTER TABLE identifications ADD CONSTRAINT identifications_type_check
    CHECK (type IN ('email_address', 'phone_number'));
