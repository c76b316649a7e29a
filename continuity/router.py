"""The one router: where a call goes, from the routing state in use and the trunks' health.

Built once by the composition root and handed to every executor of the routing
decision (the ARI app, the FastAGI route, the generated dialplan) in place of
separate "current snapshot" and "current health" getters. The decision itself is
the pure :func:`continuity.core.routing.plan_route`.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from continuity.core.model import Snapshot, TrunkHealth
from continuity.core.routing import RoutePlan, plan_route


class SnapshotSource(Protocol):
    """The routing state in use (:class:`continuity.snapshot.SnapshotService`)."""

    @property
    def current(self) -> Snapshot: ...


class HealthSource(Protocol):
    """What is known of the trunks now (:class:`continuity.outage.plugin.Outages`)."""

    @property
    def health(self) -> TrunkHealth: ...


class _Fixed:
    def __init__(self, snapshot: Snapshot | None = None, health: TrunkHealth | None = None) -> None:
        self.current = snapshot if snapshot is not None else Snapshot()
        self.health = health if health is not None else TrunkHealth()


class Router:
    def __init__(self, snapshots: SnapshotSource, trunks: HealthSource) -> None:
        self._snapshots = snapshots
        self._trunks = trunks

    @classmethod
    def fixed(cls, snapshot: Snapshot | None = None, health: TrunkHealth | None = None) -> Router:
        """A router over a state and health that do not change (tools, tests)."""
        fixed = _Fixed(snapshot, health)
        return cls(fixed, fixed)

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshots.current

    @property
    def health(self) -> TrunkHealth:
        return self._trunks.health

    def plan(self, dialed: str, now: dt.datetime) -> RoutePlan:
        """The chain for a call to ``dialed`` at ``now``."""
        return plan_route(self.snapshot, dialed, self.health, now)
