-- Forwarded calls: the caller ID continuity legs present (the caller's number,
-- or the tracking number), a prefix put before the caller's name, and whether
-- the trunks send History-Info besides Diversion. Lines may override the
-- account's caller ID and prefix (NULL follows the account).

ALTER TABLE account_settings
    ADD COLUMN caller_id text NOT NULL DEFAULT 'keep' CHECK (caller_id IN ('keep', 'tracking')),
    ADD COLUMN caller_name_prefix text NOT NULL DEFAULT ''
        CHECK (char_length(caller_name_prefix) <= 40),
    ADD COLUMN send_history_info boolean NOT NULL DEFAULT false;

ALTER TABLE lines
    ADD COLUMN caller_id text CHECK (caller_id IN ('keep', 'tracking')),
    ADD COLUMN caller_name_prefix text CHECK (char_length(caller_name_prefix) <= 40);
