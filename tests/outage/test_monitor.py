"""The outage monitor's journal (no Asterisk): restarts and database outages lose no notice."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence

from continuity.core.model import TrunkHealth
from continuity.core.notices import Channel, Notice, OutageRecord, OverrideRecord
from continuity.core.outage import OutageMode, OutagePolicy, OverrideState, Sample
from continuity.errors import StoreUnavailable
from continuity.outage.service import OutageMonitor

POLICY = OutagePolicy(OutageMode.AUTO, fail_after=2, recover_after=2, hold_down=3.0)
CHANNELS = (Channel.WEBHOOK, Channel.EMAIL)


class Journal:
    """In memory; ``down`` makes the next writes fail as a lost PostgreSQL would."""

    def __init__(self) -> None:
        self.outages: dict[str, OutageRecord] = {}
        self.notices: list[Notice] = []
        self.override_row: OverrideRecord | None = None
        self.down = 0

    def _write(self) -> None:
        if self.down:
            self.down -= 1
            raise StoreUnavailable("connection refused")

    async def start_outage(
        self, outage: OutageRecord, notices: Sequence[Notice], fence: int | None = None
    ) -> None:
        self._write()
        self.outages.setdefault(outage.id, outage)
        self.notices.extend(notices)

    async def resolve_outage(
        self, outage: OutageRecord, notices: Sequence[Notice], fence: int | None = None
    ) -> None:
        self._write()
        self.outages[outage.id] = outage
        self.notices.extend(notices)

    async def open_outages(self, trunk: str) -> list[OutageRecord]:
        return [o for o in self.outages.values() if o.open and o.trunk == trunk]

    async def override(self) -> OverrideRecord | None:
        return self.override_row


async def feed(samples: list[Sample]) -> AsyncIterator[Sample]:
    for sample in samples:
        yield sample
        await asyncio.sleep(0.01)  # samples come apart in time
    await asyncio.Event().wait()  # the AMI watch never ends on its own


async def run_until(
    monitor: OutageMonitor, samples: list[Sample], notices: int, journal: Journal
) -> None:
    task = asyncio.create_task(monitor.run(feed(samples)))
    try:
        async with asyncio.timeout(10):
            while len(journal.notices) < notices:
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def down(at: float) -> Sample:
    return Sample(at, False, "contact sip:primary Unreachable")


def up(at: float) -> Sample:
    return Sample(at, True, "contact sip:primary Reachable")


async def test_an_outage_and_its_recovery_are_journalled_in_order_through_a_database_outage() -> (
    None
):
    journal = Journal()
    journal.down = 3  # PostgreSQL is away when the outage starts
    monitor = OutageMonitor(POLICY, journal, "primary", CHANNELS)
    await monitor.start()

    await run_until(monitor, [down(0), down(1), up(2), up(5)], notices=4, journal=journal)

    [outage] = journal.outages.values()
    assert outage.resolved_at is not None and outage.resolve_cause
    assert [(n.event.value, n.channel.value) for n in journal.notices] == [
        ("started", "webhook"),
        ("started", "email"),
        ("resolved", "webhook"),
        ("resolved", "email"),
    ]
    assert {n.outage_id for n in journal.notices} == {outage.id}
    assert len({n.idempotency_key for n in journal.notices}) == 2


async def test_an_outage_open_before_a_restart_is_resolved_not_started_again() -> None:
    journal = Journal()
    before = OutageRecord(
        "8c6f1d1e-0000-4000-8000-000000000001",
        "primary",
        dt.datetime.now(dt.UTC),
        "primary unreachable",
        True,
    )
    journal.outages[before.id] = before
    monitor = OutageMonitor(POLICY, journal, "primary", CHANNELS, clock=lambda: 100.0)
    await monitor.start()
    assert monitor.health.primary_down  # still failing over right after the restart

    await run_until(monitor, [up(101), up(102), up(104)], notices=2, journal=journal)

    assert [n.event.value for n in journal.notices] == ["resolved", "resolved"]
    assert {n.outage_id for n in journal.notices} == {before.id}
    assert not monitor.health.primary_down


async def test_an_override_set_while_the_app_was_down_applies_at_start() -> None:
    journal = Journal()
    journal.override_row = OverrideRecord(
        OverrideState.DOWN, "cli:ops", "", dt.datetime.now(dt.UTC)
    )
    monitor = OutageMonitor(POLICY, journal, "primary", (Channel.WEBHOOK,))
    await monitor.start()
    assert monitor.health.primary_down
    await run_until(monitor, [up(1)], notices=1, journal=journal)
    [notice] = journal.notices
    assert notice.payload["cause"] == "declared by cli:ops"


async def test_routing_subscribers_hear_each_change_of_the_trunks_health() -> None:
    journal = Journal()
    monitor = OutageMonitor(POLICY, journal, "primary", (Channel.WEBHOOK,))
    heard: list[bool] = []

    async def subscriber(health: TrunkHealth) -> None:
        heard.append(health.primary_down)

    monitor.subscribe(subscriber)
    await monitor.start()
    await run_until(monitor, [down(0), down(1), up(2), up(6)], notices=2, journal=journal)
    await asyncio.sleep(0.05)
    assert heard == [True, False]
