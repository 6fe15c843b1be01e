-- +goose Up

-- An email address, phone number or wallet a user added to their own
-- account and has not proven yet is only a claim: anyone can type someone
-- else's number or public address. A claim names nobody at sign-in or
-- sign-up, and gives way to the same identifier stored for real (proven, or
-- given by the operator), or to another claim once it has gone unproven for
-- store.ClaimTTL. Proving it makes it an ordinary identification. Rows
-- written before this column were never claims, except unproven wallets,
-- which could only be claims.
ALTER TABLE identifications ADD COLUMN claim boolean NOT NULL DEFAULT false;
UPDATE identifications SET claim = true WHERE type = 'web3_wallet' AND NOT verified;

-- +goose Down
ALTER TABLE identifications DROP COLUMN claim;
