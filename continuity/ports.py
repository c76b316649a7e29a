"""What the services need from the outside world, as protocols.

Adapters (``db``, ``ari_app``, ``agi``…) implement these; the composition
root passes the implementations in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Protocol

from continuity.core.call_trace import LegLanding
from continuity.core.model import Snapshot
from continuity.core.records import CallRecord


class SnapshotSource(Protocol):
    async def load_snapshot(self) -> Snapshot: ...


@dataclasses.dataclass(frozen=True, slots=True)
class StateChange:
    """One committed change to the routing state, as the change feed tells it.

    ``version`` is the routing-state version the change made (``None``: not told, or
    changes may have been missed, as after a reconnection); ``numbers`` the tracking
    numbers it changed when it changed nothing else and named them (``None``: anything
    may have changed)."""

    table: str = "*"
    version: int | None = None
    numbers: tuple[str, ...] | None = None


#: What a (re)connected feed yields first: anything may have changed meanwhile.
ANYTHING = StateChange()


class ChangeFeed(Protocol):
    def changes(self) -> AsyncIterator[StateChange]:
        """Yield once per change (and :data:`ANYTHING` once per (re)connection)."""
        ...


class CallRecordSink(Protocol):
    async def insert_call_records(self, records: list[CallRecord]) -> None: ...


class CallTraceSink(Protocol):
    async def insert_traced_records(self, records: list[CallRecord]) -> None: ...
    async def apply_leg_landings(self, legs: list[LegLanding]) -> set[str]: ...


class CallsInFlight(Protocol):
    """What Asterisk's call trace asks of the calls this run of the app routes."""

    def routes(self, call_id: str) -> bool:
        """This run routes the call: its own record is still to come."""
        ...

    def ended(self, call_id: str) -> bool:
        """This run ended the call lately: its own record is written, or on its way."""
        ...

    async def traced(self, call_ids: list[str]) -> set[str]:
        """Asterisk's trace of these calls is recorded; return those this run routed
        that end with it (the generated dialplan dialed them: the trace is their record)."""
        ...

    async def ended_in_asterisk(self, call_ids: list[str]) -> None:
        """Asterisk's trace says these calls ended and this run still routes them (their
        end never reached it): catch up with what Asterisk has, ending what is gone."""
        ...
