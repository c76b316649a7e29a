-- A change to a few tracking numbers names them in its notification, so the apps
-- reload those rows only (a full reload of 100,000 numbers takes about a second).
-- Statement-level triggers with transition tables: one notification per
-- statement, 'tracking_numbers:+1...,+1...' for up to 100 numbers, plain
-- 'tracking_numbers' (reload everything) for more.
CREATE FUNCTION continuity_notify_numbers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text[];
BEGIN
    UPDATE routing_state SET version = version + 1;
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(number) INTO changed FROM (SELECT number FROM new_rows LIMIT 101) s;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(number) INTO changed FROM (SELECT number FROM old_rows LIMIT 101) s;
    ELSE
        SELECT array_agg(number) INTO changed FROM (
            SELECT number FROM new_rows UNION SELECT number FROM old_rows LIMIT 101
        ) s;
    END IF;
    IF changed IS NULL THEN
        RETURN NULL;  -- a statement that touched no row changes nothing
    ELSIF cardinality(changed) > 100 THEN
        PERFORM pg_notify('continuity_changed', TG_TABLE_NAME);
    ELSE
        PERFORM pg_notify('continuity_changed', TG_TABLE_NAME || ':' || array_to_string(changed, ','));
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER tracking_numbers_changed ON tracking_numbers;
CREATE TRIGGER tracking_numbers_inserted AFTER INSERT ON tracking_numbers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_numbers();
CREATE TRIGGER tracking_numbers_updated AFTER UPDATE ON tracking_numbers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_numbers();
CREATE TRIGGER tracking_numbers_deleted AFTER DELETE ON tracking_numbers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_numbers();
