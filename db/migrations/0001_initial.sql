-- Lines, tracking numbers, the account settings, call records, the audit log,
-- and change notification for the app's routing snapshot.

CREATE TABLE account_settings (
    id                  boolean PRIMARY KEY DEFAULT true CHECK (id),
    continuity_on       boolean NOT NULL DEFAULT false,
    continuity_enabled  boolean NOT NULL DEFAULT true,
    dest_kind           text CHECK (dest_kind IN ('external', 'voice_agent', 'sip', 'voicemail')),
    dest_target         text,
    voice_agent         text,
    failover_sip_codes  integer[] NOT NULL DEFAULT '{408,480,503,504}',
    primary_timeout     integer NOT NULL DEFAULT 20 CHECK (primary_timeout > 0),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((dest_kind IS NULL) = (dest_target IS NULL))
);
INSERT INTO account_settings (id) VALUES (true);

CREATE TABLE lines (
    id                  text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    kind                text NOT NULL CHECK (kind IN ('main', 'department', 'contact_center', 'user')),
    name                text NOT NULL DEFAULT '',
    continuity_on       boolean,
    continuity_enabled  boolean,
    dest_kind           text CHECK (dest_kind IN ('external', 'voice_agent', 'sip', 'voicemail')),
    dest_target         text,
    test_mode           boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((dest_kind IS NULL) = (dest_target IS NULL))
);
-- At most one main line.
CREATE UNIQUE INDEX lines_one_main ON lines (kind) WHERE kind = 'main';

CREATE TABLE forwarding_numbers (
    line_id      text NOT NULL REFERENCES lines (id) ON DELETE CASCADE,
    number       text NOT NULL CHECK (number ~ '^\+[1-9][0-9]{5,14}$'),
    added_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    verified_at  timestamptz,
    PRIMARY KEY (line_id, number)
);

CREATE TABLE tracking_numbers (
    number              text PRIMARY KEY CHECK (number ~ '^\+[1-9][0-9]{5,14}$'),
    label               text NOT NULL DEFAULT '',
    line_id             text REFERENCES lines (id) ON DELETE RESTRICT,
    primary_target      text,
    continuity_on       boolean,
    continuity_enabled  boolean,
    dest_kind           text CHECK (dest_kind IN ('external', 'voice_agent', 'sip', 'voicemail')),
    dest_target         text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((dest_kind IS NULL) = (dest_target IS NULL))
);

CREATE TABLE call_records (
    call_id          text PRIMARY KEY,
    tracking_number  text NOT NULL,
    line_id          text,
    caller_number    text NOT NULL DEFAULT '',
    caller_name      text NOT NULL DEFAULT '',
    reason           text NOT NULL,
    attempts         jsonb NOT NULL DEFAULT '[]',
    answered_kind    text,
    answered_target  text,
    outcome          text NOT NULL,
    started_at       timestamptz NOT NULL,
    answered_at      timestamptz,
    ended_at         timestamptz NOT NULL
);
CREATE INDEX call_records_started_at ON call_records (started_at);

CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL,
    subject    text NOT NULL,
    old_value  jsonb,
    new_value  jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Bumped by every change to routing state, in the same transaction: a snapshot
-- read in one transaction carries exactly the version of the data it saw.
CREATE TABLE routing_state (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    version  bigint NOT NULL DEFAULT 0
);
INSERT INTO routing_state (id) VALUES (true);

CREATE FUNCTION continuity_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE routing_state SET version = version + 1;
    PERFORM pg_notify('continuity_changed', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER account_settings_changed AFTER INSERT OR UPDATE OR DELETE ON account_settings
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();
CREATE TRIGGER lines_changed AFTER INSERT OR UPDATE OR DELETE ON lines
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();
CREATE TRIGGER forwarding_numbers_changed AFTER INSERT OR UPDATE OR DELETE ON forwarding_numbers
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();
CREATE TRIGGER tracking_numbers_changed AFTER INSERT OR UPDATE OR DELETE ON tracking_numbers
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();
