-- Numbers and prefix ranges the primary system hosts (direct lines, DIDs):
-- refused as failover destinations, since a failover there rings into the outage.

CREATE TABLE primary_numbers (
    pattern   text PRIMARY KEY CHECK (pattern ~ '^\+[1-9][0-9]{0,14}\*?$'),
    added_by  text NOT NULL,
    added_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER primary_numbers_changed AFTER INSERT OR UPDATE OR DELETE ON primary_numbers
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();
