-- Every call has exactly one record, whichever path routed it (issue 11).
-- path: who routed it. source: who wrote the row: the app, Asterisk's own call
-- trace (ingested by the app), or both (a hand-off the app recorded, completed
-- with where the call landed from the trace).
ALTER TABLE call_records
    ADD COLUMN path text NOT NULL DEFAULT 'app'
        CHECK (path IN ('app', 'taken_over', 'fallback', 'handed_to_fallback', 'interrupted')),
    ADD COLUMN source text NOT NULL DEFAULT 'app'
        CHECK (source IN ('app', 'asterisk', 'merged'));
