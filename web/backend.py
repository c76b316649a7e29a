"""What the web adapter is given by the composition root: services, never connections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from continuity.access.service import Access
from continuity.admin import Admin
from continuity.core.nodes import NodeInfo
from continuity.core.notices import OutageRecord
from continuity.core.outage import OverrideState
from continuity.core.records import CallRecord
from continuity.dialplan_status import DialplanStatus
from continuity.outage.banner import TrunkReport
from continuity.outage.testcall import TestCallResult
from continuity.voicemail.service import VoicemailAdmin


class AuditRow(Protocol):
    @property
    def at(self) -> dt.datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def old_value(self) -> object: ...
    @property
    def new_value(self) -> object: ...


class Reads(Protocol):
    async def call_records(
        self,
        limit: int,
        offset: int,
        number: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> tuple[list[CallRecord], int]: ...
    async def audit(self, limit: int, offset: int) -> tuple[Sequence[AuditRow], int]: ...
    async def outages(self, limit: int, offset: int) -> tuple[list[OutageRecord], int]: ...


class Overrides(Protocol):
    async def set_override(self, actor: str, state: OverrideState | None, reason: str) -> None: ...


@dataclass(frozen=True)
class Backend:
    #: An admin service acting as ``actor`` (``token:NAME`` / ``user:NAME``).
    admin: Callable[[str], Admin]
    voicemail: Callable[[str], VoicemailAdmin]
    access: Access
    reads: Reads
    overrides: Overrides
    trunk: Callable[[], Awaitable[TrunkReport]]
    #: A real call into our tracking context; None where no AMI is configured.
    test_call: Callable[[str], Awaitable[TestCallResult]] | None
    #: Dialplan applies of `continuity serve` in this process; None when run alone.
    dialplan: DialplanStatus | None
    region: str = "US"
    #: Every node sharing the database, by heartbeat; None where it is not known.
    nodes: Callable[[], Awaitable[Sequence[NodeInfo]]] | None = None
    #: Seconds between a node's heartbeats: three missed ones and it counts as silent.
    heartbeat_interval: float = 1.0
