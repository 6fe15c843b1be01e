-- +goose Up

-- A provider round trip that fails once its state has matched the browser
-- that started it (the person declined at the provider, the address is
-- blocked here, the ID token did not verify, ...) sends the browser back to
-- the app, as Clerk does, and keeps why here: the sign-in's
-- first_factor_verification or the sign-up's external_account verification
-- shows it as {code, message, long_message}.
ALTER TABLE upstream_authorizations ADD COLUMN error jsonb;

-- +goose Down
ALTER TABLE upstream_authorizations DROP COLUMN error;
