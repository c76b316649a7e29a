-- Failover voicemail: where each line's voicemail notices are emailed.
-- A line without a row (or with a NULL address) gets no email; its messages
-- stay in its box all the same.

CREATE TABLE voicemail_boxes (
    line_id     text PRIMARY KEY REFERENCES lines (id) ON DELETE CASCADE,
    email       text CHECK (email ~ '^[^@\s,;<>]+@[^@\s,;<>]+$'),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
