-- +goose Up

-- Every replica caches OAuth applications by client_id (internal/oauth's
-- app cache) so client authentication and /oauth/authorize skip a read. Any
-- change to an application, by any replica or by hand in psql, is announced
-- here; each replica's listener evicts the application at once.
-- +goose StatementBegin
CREATE FUNCTION notify_oauth_application_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('latchkey_oauth_applications', OLD.client_id);
    IF TG_OP = 'UPDATE' AND NEW.client_id IS DISTINCT FROM OLD.client_id THEN
        PERFORM pg_notify('latchkey_oauth_applications', NEW.client_id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER oauth_applications_notify
    AFTER UPDATE OR DELETE ON oauth_applications
    FOR EACH ROW EXECUTE FUNCTION notify_oauth_application_change();

-- +goose Down
DROP TRIGGER oauth_applications_notify ON oauth_applications;
DROP FUNCTION notify_oauth_application_change();
