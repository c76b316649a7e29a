"""The vocabulary call-flow tests are written in: numbers, calls, and where they landed."""

from __future__ import annotations

import asyncio
import datetime as dt

from continuity.admin import Admin, SettingsChange
from continuity.compose import App
from continuity.core.model import (
    ContinuitySettings,
    Destination,
    DestinationKind,
    Line,
    LineKind,
    TrackingNumber,
)
from continuity.core.records import CallRecord
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from localstack import LocalStack, Observation, PlacedCall
from localstack.product import wait_for_state
from localstack.tcpproxy import TcpProxy

CALLER = "+13125550111"


def external(number: str) -> Destination:
    return Destination(DestinationKind.EXTERNAL, number)


async def reset_database(pool: Pool) -> None:
    """Back to an empty account with default settings (DELETE fires the change triggers)."""
    async with pool.connection() as conn, conn.transaction():
        for statement in (
            "DELETE FROM tracking_numbers",
            "DELETE FROM forwarding_numbers",
            "DELETE FROM lines",
            "DELETE FROM call_records",
            "DELETE FROM audit_log",
            "DELETE FROM primary_numbers",
            "DELETE FROM schedules",  # after lines: their hours go with them
            "UPDATE account_settings SET continuity_on = false, continuity_enabled = true,"
            " dest_kind = NULL, dest_target = NULL, voice_agent = NULL,"
            " failover_sip_codes = '{408,480,503,504}', primary_timeout = 20,"
            " caller_id = 'keep', caller_name_prefix = '', send_history_info = false",
        ):
            await conn.execute(statement)


class Scenario:
    def __init__(
        self, stack: LocalStack, app: App, store: Store, admin: Admin, db_link: TcpProxy
    ) -> None:
        self.stack = stack
        #: Cut it and the app loses PostgreSQL; the tests' own store keeps its direct link.
        self.db_link = db_link
        self.app = app
        self.store = store
        self.admin = admin
        self.records = CallRecordStore(store.pool)
        #: Records of calls from earlier tests may still reach the database (the
        #: recorder batches its inserts); :meth:`call_record` ignores them.
        self.started_at = dt.datetime.now(dt.UTC)

    async def synced(self) -> float:
        """Wait until the app routes with the database's current state, and its apply of
        the fallback dialplan for that state is done: a new line's voicemail context is in
        the generated file, which a call may need at once (successful or not: a test of a
        failing apply sees its error)."""
        version = (await self.store.load_snapshot()).version
        waited = await wait_for_state(self.app, version)
        await self.app.dialplan_status.wait_for(version, timeout=10)
        return waited

    # -- configuration ----------------------------------------------------------
    async def tracking_number(
        self,
        number: str,
        *,
        line: str | None = None,
        on: bool | None = None,
        enabled: bool | None = None,
        destination: Destination | None = None,
    ) -> None:
        await self.admin.add_number(
            TrackingNumber(
                number, line=line, continuity=ContinuitySettings(on, enabled, destination)
            )
        )
        await self.synced()

    async def line(
        self,
        line_id: str,
        kind: LineKind = LineKind.DEPARTMENT,
        *,
        on: bool | None = None,
        enabled: bool | None = None,
        destination: Destination | None = None,
        forwarding: tuple[tuple[str, bool], ...] = (),
    ) -> None:
        """A line; ``forwarding`` lists (number, verified) for a user line, oldest first."""
        await self.admin.add_line(
            Line(line_id, kind, continuity=ContinuitySettings(on, enabled, destination))
        )
        for number, verified in forwarding:
            await self.admin.add_forwarding(line_id, number)
            if verified:
                await self.admin.verify_forwarding(line_id, number)
        await self.synced()

    async def account(self, change: SettingsChange, **kw: object) -> None:
        await self.admin.change_account(change, **kw)  # type: ignore[arg-type]
        await self.synced()

    # -- calls --------------------------------------------------------------------
    async def call(
        self,
        number: str,
        caller: str = CALLER,
        *,
        caller_name: str = "",
        hold_seconds: float = 30.0,
    ) -> PlacedCall:
        """The carrier's caller dials ``number`` at our pbx."""
        call = await self.stack.place_call(
            number, caller, caller_name=caller_name, hold_seconds=hold_seconds
        )
        return call

    async def reached(
        self, number: str, role: str | None = None, timeout: float = 10.0
    ) -> Observation:
        """The carrier's observation of the pbx calling ``number`` (on trunk ``role``)."""
        async with asyncio.timeout(timeout):
            while True:
                for seen in self.stack.carrier_observations():
                    if seen.number == number and (role is None or seen.role == role):
                        return seen
                await asyncio.sleep(0.05)

    def observed(self) -> list[Observation]:
        return self.stack.carrier_observations()

    async def call_record(self, tracking_number: str, timeout: float = 10.0) -> CallRecord:
        """The call record the app wrote for the last call to ``tracking_number``."""
        async with asyncio.timeout(timeout):
            while True:
                for record in await self.records.recent(5, tracking_number):
                    if record.started_at >= self.started_at:
                        return record
                await asyncio.sleep(0.05)

    async def pbx_channels(self) -> list[str]:
        return [c.name for c in await self.app.rest.list_channels()]

    async def pbx_bridges(self) -> list[str]:
        """The pbx's bridges that hold a channel (the app keeps its empty bridges
        for the next calls)."""
        return [b.id for b in await self.app.rest.list_bridges() if b.channels]

    async def pbx_quiet_within(self, seconds: float) -> float:
        """Wait until the pbx has no channel and no bridge holds one; return how long
        it took."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        async with asyncio.timeout(seconds):
            while await self.pbx_channels() or await self.pbx_bridges():
                await asyncio.sleep(0.02)
        return loop.time() - start

    async def hang_up_everything(self) -> None:
        await asyncio.gather(self.stack.pbx.hangup_all(), self.stack.carrier.hangup_all())
