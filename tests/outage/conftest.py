"""The outage drill: a scenario plus the webhook receiver, the primary's freeze switch,
and a clean trunk before and after every test (no override, no open outage, nothing queued)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import time
from collections.abc import AsyncIterator, Callable

import pytest

from continuity import names
from continuity.agi.ami_monitor import trunk_status
from continuity.compose import App
from continuity.core.notices import OutageRecord
from continuity.core.outage import OverrideState
from continuity.core.records import CallRecord
from continuity.db.outages import OutageStore
from continuity.db.pool import Pool
from tests.outage.receiver import WebhookReceiver
from tests.outage.settings import HOLD_DOWN
from tests.scenario import Scenario


class Drill:
    def __init__(
        self, scenario: Scenario, webhook: WebhookReceiver, store: OutageStore, database_url: str
    ) -> None:
        self.scenario = scenario
        self.database_url = database_url
        self.stack = scenario.stack
        self.app: App = scenario.app
        self.webhook = webhook
        self.store = store

    @property
    def primary_down(self) -> bool:
        """What routing uses for the next call."""
        return self.app.outages.health.primary_down

    @property
    def detected_down(self) -> bool:
        """What detection alone says, whatever the override."""
        return self.app.outages.monitor.state.detected_down

    @property
    def asterisk_sees_primary(self) -> bool:
        """Asterisk's qualify reaches the primary's contact again."""
        return trunk_status(self.app.outages.watch.contacts) is True

    def freeze_primary(self) -> float:
        """The primary stops answering OPTIONS and calls; returns the monotonic time."""
        self.stack.freeze_primary()
        return time.monotonic()

    def thaw_primary(self) -> float:
        self.stack.thaw_primary()
        return time.monotonic()

    async def override(self, state: OverrideState | None, reason: str = "") -> None:
        """What `continuity outage declare|clear|auto` writes."""
        await self.store.set_override("cli:test", state, reason)

    async def until(self, condition: Callable[[], bool], timeout: float = 10.0) -> float:
        """Wait for ``condition``; return the monotonic time it became true."""
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)
        return time.monotonic()

    async def answered_call(self, number: str, timeout: float = 30.0) -> CallRecord:
        """A caller dials ``number``, is answered and hangs up: the record of that call."""
        placed = dt.datetime.now(dt.UTC)
        call = await self.scenario.call(number)
        await call.wait_answered(timeout)
        await call.hangup()
        async with asyncio.timeout(10):
            while True:
                for record in await self.scenario.records.recent(5, number):
                    if record.started_at >= placed:
                        return record
                await asyncio.sleep(0.05)

    async def cli(self, *args: str) -> tuple[int, str, str]:
        """Run `continuity ARGS` as an admin would: (exit status, stdout, stderr)."""
        env = {
            **os.environ,
            "CONTINUITY_DATABASE_URL": self.database_url,
            "CONTINUITY_LOG_LEVEL": "ERROR",
            "SUDO_USER": "ops",
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "continuity",
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        return proc.returncode or 0, out.decode(), err.decode()

    async def open_outage(self) -> OutageRecord | None:
        found = await self.store.open_outages(names.ENDPOINT_PRIMARY)
        return found[0] if found else None

    async def settled(self, timeout: float = HOLD_DOWN + 10) -> None:
        """Healthy primary, no override, no open outage, every notice delivered."""
        self.thaw_primary()
        current = await self.store.override()
        if current is not None and current.state is not None:
            await self.override(None)
        async with asyncio.timeout(timeout):
            while (
                self.primary_down
                or self.app.outages.monitor.outage is not None
                or await self.open_outage() is not None
                or await self.store.undelivered_count()
            ):
                await asyncio.sleep(0.1)


@pytest.fixture
async def drill(
    scenario: Scenario,
    webhook: WebhookReceiver,
    product_pool: Pool,
    product_db: str,
) -> AsyncIterator[Drill]:
    d = Drill(scenario, webhook, OutageStore(product_pool), product_db)
    await d.settled()
    webhook.clear()
    scenario.stack.mail.clear()
    try:
        yield d
    finally:
        await d.settled()
        webhook.clear()
