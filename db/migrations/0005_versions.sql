-- Optimistic versions and limits the database holds itself.
--
-- Every tracking number, line and the account row carry a version that the
-- database bumps on each UPDATE: an admin change can say which version it
-- read (the HTTP API's ETag / If-Match), and a stale one is refused.
-- A line keeps at most 5 forwarding numbers, however many writers race.

ALTER TABLE tracking_numbers ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE lines ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE account_settings ADD COLUMN version integer NOT NULL DEFAULT 1;

CREATE FUNCTION continuity_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$;

CREATE TRIGGER tracking_numbers_version BEFORE UPDATE ON tracking_numbers
    FOR EACH ROW EXECUTE FUNCTION continuity_bump_version();
CREATE TRIGGER lines_version BEFORE UPDATE ON lines
    FOR EACH ROW EXECUTE FUNCTION continuity_bump_version();
CREATE TRIGGER account_settings_version BEFORE UPDATE ON account_settings
    FOR EACH ROW EXECUTE FUNCTION continuity_bump_version();

-- The limit is checked with the line's row locked, so two inserts for one line
-- run one after the other and the second sees the first.
CREATE FUNCTION continuity_forwarding_limit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kept integer;
BEGIN
    PERFORM 1 FROM lines WHERE id = NEW.line_id FOR NO KEY UPDATE;
    SELECT count(*) INTO kept FROM forwarding_numbers
        WHERE line_id = NEW.line_id AND number <> NEW.number;
    IF kept >= 5 THEN
        RAISE EXCEPTION 'line % already keeps 5 forwarding numbers', NEW.line_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'forwarding_numbers_limit';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER forwarding_numbers_limit BEFORE INSERT OR UPDATE OF line_id ON forwarding_numbers
    FOR EACH ROW EXECUTE FUNCTION continuity_forwarding_limit();

-- Values no render accepts, refused for every new write (NOT VALID: rows stored
-- before this migration stay readable; `continuity number list` shows them).
ALTER TABLE account_settings
    ADD CONSTRAINT account_primary_timeout_range CHECK (primary_timeout BETWEEN 1 AND 600) NOT VALID,
    ADD CONSTRAINT account_failover_codes_range CHECK (
        cardinality(failover_sip_codes) > 0 AND 400 <= ALL (failover_sip_codes)
        AND 699 >= ALL (failover_sip_codes)
    ) NOT VALID;
