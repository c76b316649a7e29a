"""Domain objects as the API's JSON (the console renders the same dicts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from continuity.core.model import (
    AccountSettings,
    ContinuitySettings,
    Destination,
    Line,
    Snapshot,
    TrackingNumber,
    TrunkHealth,
)
from continuity.core.nodes import NodeInfo
from continuity.core.notices import OutageRecord
from continuity.core.records import CallRecord
from continuity.core.routing import continuity_destination, plan_route

MODE = {True: "on", False: "off", None: "inherit"}
FAILOVER = {True: "enabled", False: "disabled", None: "inherit"}


def destination(dest: Destination | None) -> dict[str, str] | None:
    return None if dest is None else {"kind": dest.kind.value, "target": dest.target}


def settings(s: ContinuitySettings) -> dict[str, Any]:
    return {
        "continuity": MODE[s.on],
        "failover": FAILOVER[s.enabled],
        "destination": destination(s.destination),
    }


def account(a: AccountSettings) -> dict[str, Any]:
    return {
        **settings(a.continuity),
        "voice_agent": a.voice_agent,
        "failover_sip_codes": sorted(a.failover_sip_codes),
        "primary_timeout": a.primary_timeout,
    }


def line(snapshot: Snapshot, ln: Line) -> dict[str, Any]:
    effective = continuity_destination(snapshot, TrackingNumber(""), ln)
    return {
        "id": ln.id,
        "kind": ln.kind.value,
        "name": ln.name,
        **settings(ln.continuity),
        "effective_destination": destination(effective),
        "test_mode": ln.test_mode,
        "mailbox": ln.mailbox,
        "forwarding": [
            {
                "number": f.number,
                "added_at": f.added_at.isoformat(),
                "verified_at": f.verified_at.isoformat() if f.verified_at else None,
            }
            for f in ln.forwarding
        ],
    }


def number(
    snapshot: Snapshot, n: TrackingNumber, health: TrunkHealth | None = None
) -> dict[str, Any]:
    plan = plan_route(snapshot, n.number, health, dt.datetime.now(dt.UTC))
    return {
        "number": n.number,
        "label": n.label,
        "line": n.line,
        "primary_target": n.primary_target,
        **settings(n.continuity),
        "routing": {
            "line": plan.line,
            "reason": plan.reason.value,
            "chain": [str(d) for d in plan.destinations],
        },
    }


def call_record(r: CallRecord) -> dict[str, Any]:
    return r.to_json()


def outage(o: OutageRecord) -> dict[str, Any]:
    return {
        "id": o.id,
        "trunk": o.trunk,
        "started_at": o.started_at.isoformat(),
        "start_cause": o.start_cause,
        "failover": o.failover,
        "resolved_at": o.resolved_at.isoformat() if o.resolved_at else None,
        "resolve_cause": o.resolve_cause,
    }


def node(n: NodeInfo, heartbeat_interval: float) -> dict[str, Any]:
    return {
        "name": n.name,
        "sip_uri": n.sip_uri or None,
        "healthy": n.healthy(heartbeat_interval),
        "leads": n.leads,
        "started_at": n.started_at.isoformat(),
        "last_seen": n.last_seen.isoformat(),
        "silent_for": round(n.silent_for, 1),
    }
