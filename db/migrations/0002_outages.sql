-- Outages of the primary trunk, the operator's override, and the outbox of
-- outage notices (one row per notice and channel, retried until delivered).

CREATE TABLE outages (
    id             uuid PRIMARY KEY,
    trunk          text NOT NULL,
    started_at     timestamptz NOT NULL,
    start_cause    text NOT NULL,
    -- Whether calls skipped the primary when the outage started (false: notify only).
    failover       boolean NOT NULL,
    resolved_at    timestamptz,
    resolve_cause  text,
    CHECK ((resolved_at IS NULL) = (resolve_cause IS NULL))
);
-- At most one open outage per trunk.
CREATE UNIQUE INDEX outages_one_open ON outages (trunk) WHERE resolved_at IS NULL;
CREATE INDEX outages_started_at ON outages (started_at);

-- The operator's override of detection; state NULL means "follow detection".
CREATE TABLE outage_override (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    state   text CHECK (state IN ('down', 'up')),
    set_by  text NOT NULL,
    reason  text NOT NULL DEFAULT '',
    set_at  timestamptz NOT NULL DEFAULT now()
);
-- The app reads the override on the same change feed as its routing state.
CREATE TRIGGER outage_override_changed AFTER INSERT OR UPDATE OR DELETE ON outage_override
    FOR EACH STATEMENT EXECUTE FUNCTION continuity_notify_change();

CREATE TABLE outage_notices (
    id               bigserial PRIMARY KEY,
    outage_id        uuid NOT NULL REFERENCES outages (id) ON DELETE CASCADE,
    event            text NOT NULL CHECK (event IN ('started', 'resolved')),
    channel          text NOT NULL CHECK (channel IN ('webhook', 'email')),
    idempotency_key  text NOT NULL,
    payload          jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text,
    delivered_at     timestamptz,
    -- Exactly one "started" and one "resolved" per outage and channel.
    UNIQUE (outage_id, event, channel)
);
CREATE INDEX outage_notices_pending ON outage_notices (channel, id) WHERE delivered_at IS NULL;
