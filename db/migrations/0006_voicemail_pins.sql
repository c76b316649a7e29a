-- Voicemail PINs: VoiceMailMain asks for the box's PIN before it plays messages.
-- app_voicemail reads PINs in clear from voicemail.conf, so they are stored in
-- clear here; the generated voicemail_continuity.conf is written 0640.
-- Every line gets a random 6-digit PIN when it is created (existing lines now);
-- `continuity voicemail pin set|reset` changes it.

ALTER TABLE voicemail_boxes ADD COLUMN pin text CHECK (pin ~ '^[0-9]{4,12}$');

-- 48 random bits of a v4 UUID (gen_random_uuid() draws from a strong source).
CREATE FUNCTION continuity_random_pin() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT lpad(
        ((('x' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 12))::bit(48)::bigint
          % 1000000))::text,
        6, '0')
$$;

INSERT INTO voicemail_boxes (line_id, pin)
    SELECT id, continuity_random_pin() FROM lines
    ON CONFLICT (line_id) DO UPDATE SET pin = EXCLUDED.pin WHERE voicemail_boxes.pin IS NULL;

CREATE FUNCTION continuity_new_line_box() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO voicemail_boxes (line_id, pin) VALUES (NEW.id, continuity_random_pin())
        ON CONFLICT (line_id) DO UPDATE SET pin = EXCLUDED.pin WHERE voicemail_boxes.pin IS NULL;
    RETURN NULL;
END;
$$;

CREATE TRIGGER lines_new_box AFTER INSERT ON lines
    FOR EACH ROW EXECUTE FUNCTION continuity_new_line_box();
