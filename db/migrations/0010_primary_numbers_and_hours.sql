-- Numbers and prefix ranges the primary system hosts (direct lines, DIDs):
-- refused as failover destinations, since a failover there rings into the outage.

CREATE TABLE primary_numbers (
    pattern   text PRIMARY KEY CHECK (pattern ~ '^\+[1-9][0-9]{0,14}\*?$'),
    added_by  text NOT NULL,
    added_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER primary_numbers_changed AFTER INSERT OR UPDATE OR DELETE ON primary_numbers
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();

-- Business hours: weekly schedules in a named time zone with holidays, the
-- account's default schedule, and per line its own schedule and the
-- destination its continuity calls go to out of hours.
CREATE TABLE schedules (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    timezone    text NOT NULL,
    -- [{"days": [0, 1, 2, 3, 4], "start": 540, "end": 1020}]: minutes after local
    -- midnight, end excluded; day 0 is Monday.
    ranges      jsonb NOT NULL DEFAULT '[]',
    holidays    date[] NOT NULL DEFAULT '{}',
    is_default  boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX schedules_one_default ON schedules (is_default) WHERE is_default;

CREATE TABLE line_hours (
    line_id       text PRIMARY KEY REFERENCES lines (id) ON DELETE CASCADE,
    schedule      text REFERENCES schedules (name) ON DELETE RESTRICT,
    after_kind    text CHECK (after_kind IN ('external', 'voice_agent', 'sip', 'voicemail')),
    after_target  text,
    CHECK ((after_kind IS NULL) = (after_target IS NULL))
);

CREATE TRIGGER schedules_changed AFTER INSERT OR UPDATE OR DELETE ON schedules
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();
CREATE TRIGGER line_hours_changed AFTER INSERT OR UPDATE OR DELETE ON line_hours
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();
