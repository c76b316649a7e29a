-- `dialing = dialplan` (issue 13): the app plans a call and the generated dialplan
-- dials it. Its record says path 'dialplan' and is written from Asterisk's call trace;
-- a row the app wrote first (the trace was late) is completed from the trace, like a
-- hand-off's.
ALTER TABLE call_records DROP CONSTRAINT call_records_path_check;
ALTER TABLE call_records ADD CONSTRAINT call_records_path_check
    CHECK (path IN ('app', 'taken_over', 'fallback', 'handed_to_fallback', 'dialplan',
                    'interrupted'));
