"""What the services need from the outside world, as protocols.

Adapters (``db``, ``ari_app``, ``agi``…) implement these; the composition
root passes the implementations in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from continuity.core.call_trace import LegLanding
from continuity.core.model import Snapshot
from continuity.core.records import CallRecord


class SnapshotSource(Protocol):
    async def load_snapshot(self) -> Snapshot: ...


class ChangeFeed(Protocol):
    def changes(self) -> AsyncIterator[str]:
        """Yield once per change (and once per (re)connection: changes may have been missed)."""
        ...


class CallRecordSink(Protocol):
    async def insert_call_records(self, records: list[CallRecord]) -> None: ...


class CallTraceSink(Protocol):
    async def insert_traced_records(self, records: list[CallRecord]) -> None: ...
    async def apply_leg_landings(self, legs: list[LegLanding]) -> set[str]: ...
