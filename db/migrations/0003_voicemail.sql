-- Failover voicemail: where each line's voicemail notices are emailed.
-- A line without a row (or with a NULL address) gets no email; its messages
-- stay in its box all the same.

CREATE TABLE voicemail_boxes (
    line_id     text PRIMARY KEY REFERENCES lines (id) ON DELETE CASCADE,
    email       text CHECK (email ~ '^[^@\s,;<>]+@[^@\s,;<>]+$'),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A changed address reloads the app's state like any routing change, so the
-- app knows it (and can still email with it) while PostgreSQL is unreachable.
CREATE TRIGGER voicemail_boxes_changed AFTER INSERT OR UPDATE OR DELETE ON voicemail_boxes
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();
