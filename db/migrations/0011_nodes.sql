-- Several pbx nodes share this database: each registers itself with a heartbeat,
-- and one of them leads (outage detection and notices) under a lease whose
-- fencing token every leader-only write checks.
CREATE TABLE nodes (
    name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    sip_uri text NOT NULL DEFAULT '' CHECK (length(sip_uri) <= 256),
    started_at timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE leader_lease (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    holder text,
    -- The leader's lease connection: a node that finds the lease expired ends it,
    -- which frees the advisory lock a hung leader still holds.
    backend_pid integer,
    -- Fencing token: +1 at every change of leader.
    token bigint NOT NULL DEFAULT 0,
    renewed_at timestamptz
);
INSERT INTO leader_lease (id) VALUES (true);
