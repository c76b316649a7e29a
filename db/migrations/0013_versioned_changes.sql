-- Every change notification carries the routing-state version its statement made:
-- 'lines@57', 'tracking_numbers@58:+1...,+1...'. The version row is updated under
-- its row lock, so versions are handed out in commit order and a state read at
-- version V holds every change up to V. With that, an app already at V or later
-- skips the notification, and an app at V-1 may patch the named numbers into its
-- state if nothing else committed since; any other case reloads everything.
-- A statement that touched no tracking number neither bumps the version nor notifies.
CREATE OR REPLACE FUNCTION continuity_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    made bigint;
BEGIN
    UPDATE routing_state SET version = version + 1 RETURNING version INTO made;
    PERFORM pg_notify('continuity_changed', TG_TABLE_NAME || '@' || made);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION continuity_notify_numbers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text[];
    made bigint;
BEGIN
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
    END IF;
    UPDATE routing_state SET version = version + 1 RETURNING version INTO made;
    IF cardinality(changed) > 100 THEN
        PERFORM pg_notify('continuity_changed', TG_TABLE_NAME || '@' || made);
    ELSE
        PERFORM pg_notify(
            'continuity_changed',
            TG_TABLE_NAME || '@' || made || ':' || array_to_string(changed, ',')
        );
    END IF;
    RETURN NULL;
END;
$$;
