"""Nodes sharing one database, and the leadership among them (plain data, no I/O)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """One node's heartbeat row, as status shows it."""

    name: str
    sip_uri: str
    started_at: dt.datetime
    last_seen: dt.datetime
    #: Seconds since its last heartbeat, by the database's clock.
    silent_for: float
    leads: bool

    def healthy(self, heartbeat_interval: float) -> bool:
        """Heard from within three heartbeats."""
        return self.silent_for <= 3 * heartbeat_interval
