"""A change to one tracking number reloads that number only, among thousands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from continuity.admin import Admin, SettingsChange
from continuity.core.model import (
    Destination,
    DestinationKind,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
)
from continuity.db import migrate
from continuity.db.listener import ChangeListener
from continuity.db.pool import Pool
from continuity.db.store import Store
from continuity.snapshot import SnapshotService
from continuity.state_cache import StateCache
from localstack import temporary_database

COUNT = 2_000


class CountingStore(Store):
    full_loads = 0

    async def load_snapshot(self) -> Snapshot:
        self.full_loads += 1
        return await super().load_snapshot()


@pytest.fixture
async def url(database_url: str) -> AsyncIterator[str]:
    async with temporary_database(database_url, prefix="continuity_numbers") as url:
        await migrate.upgrade(url)
        yield url


async def test_one_changed_number_is_reloaded_alone_and_routed_with_at_once(
    url: str, tmp_path: Path
) -> None:
    async with Pool(url, open=False, min_size=1, max_size=2) as pool:
        await pool.open(wait=True)
        store = CountingStore(pool)
        admin = Admin(store, "test")
        await admin.add_line(Line("main", LineKind.MAIN))
        await admin.import_numbers([TrackingNumber(f"+1212555{n:04d}") for n in range(COUNT)])
        service = SnapshotService(
            store, ChangeListener(url), StateCache(tmp_path / "state.json"), numbers=store
        )
        await service.start()
        assert len(service.current.numbers) == COUNT
        seen: list[int] = []

        async def subscriber(snapshot: Snapshot) -> None:
            seen.append(len(service.current.numbers))

        service.subscribe(subscriber)
        async with asyncio.TaskGroup() as tasks:
            running = tasks.create_task(service.run())
            async with asyncio.timeout(10):  # the listener's first "*": a full reload
                while store.full_loads < 2:
                    await asyncio.sleep(0.01)
            version = service.current.version
            cell = Destination(DestinationKind.EXTERNAL, "+13125550150")
            await admin.change_number("+12125550007", SettingsChange(on=True, destination=cell))
            await admin.remove_number("+12125550008")
            async with asyncio.timeout(10):
                while "+12125550008" in service.current.numbers:
                    await asyncio.sleep(0.01)
            changed = service.current.numbers["+12125550007"]
            assert changed.continuity.on is True
            assert changed.continuity.destination == cell
            assert len(service.current.numbers) == COUNT - 1
            assert service.current.version == version + 2
            assert store.full_loads == 2  # the start, the listener's connect: no more
            running.cancel()
        assert seen  # subscribers saw the newest state
