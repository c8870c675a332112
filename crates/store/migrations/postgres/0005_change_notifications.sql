-- Every bump of a revision counter in `meta` notifies the other replicas (LISTEN
-- latchkey_changes) when its transaction commits, so a deactivated client or a rotated key
-- reaches every server within milliseconds rather than at its next poll.
-- Keep in step with ../sqlite/0005_change_notifications.sql.

CREATE FUNCTION latchkey_notify_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('latchkey_changes', NEW.key);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER meta_changed AFTER INSERT OR UPDATE ON meta
    FOR EACH ROW EXECUTE FUNCTION latchkey_notify_change();
