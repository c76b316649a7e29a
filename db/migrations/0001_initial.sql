-- Tracking numbers, the account default, call records, and change notification.

CREATE TABLE account_settings (
    id                  boolean PRIMARY KEY DEFAULT true CHECK (id),
    continuity_enabled  boolean NOT NULL DEFAULT false,
    default_kind        text CHECK (default_kind IN ('external', 'voice_agent', 'sip', 'voicemail')),
    default_target      text,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((default_kind IS NULL) = (default_target IS NULL))
);
INSERT INTO account_settings (id) VALUES (true);

CREATE TABLE tracking_numbers (
    number              text PRIMARY KEY CHECK (number ~ '^\+[1-9][0-9]{5,14}$'),
    label               text NOT NULL DEFAULT '',
    primary_target      text,
    continuity_enabled  boolean,
    continuity_kind     text CHECK (continuity_kind IN ('external', 'voice_agent', 'sip', 'voicemail')),
    continuity_target   text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((continuity_kind IS NULL) = (continuity_target IS NULL))
);

CREATE TABLE call_records (
    call_id          text PRIMARY KEY,
    tracking_number  text NOT NULL,
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

-- Bumped by every change to routing state: the snapshot's version.
CREATE SEQUENCE routing_state_version;

CREATE FUNCTION continuity_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('routing_state_version');
    PERFORM pg_notify('continuity_changed', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER account_settings_changed AFTER INSERT OR UPDATE OR DELETE ON account_settings
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();
CREATE TRIGGER tracking_numbers_changed AFTER INSERT OR UPDATE OR DELETE ON tracking_numbers
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();
