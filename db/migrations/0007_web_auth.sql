-- The HTTP API's tokens, the web console's users and their sessions.
-- Only hashes are kept: a token's SHA-256 (tokens are 256 random bits), a
-- password's scrypt hash, a session id's SHA-256.

CREATE TABLE api_tokens (
    name          text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
    role          text NOT NULL CHECK (role IN ('admin', 'viewer')),
    token_hash    bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

CREATE TABLE web_users (
    name           text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
    role           text NOT NULL CHECK (role IN ('admin', 'viewer')),
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE web_sessions (
    id_hash     bytea PRIMARY KEY,
    user_name   text NOT NULL REFERENCES web_users (name) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
