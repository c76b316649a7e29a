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


async def test_an_admin_change_in_serve_checks_against_the_state_in_use_when_it_is_current(
    url: str, tmp_path: Path
) -> None:
    """The console's changes (serve's own process) check against the routing state in
    use when it is at the version committed, without reading 2,000 numbers again; when
    another process changed something it has not loaded yet (the CLI added a line), the
    change reads the database, so the new line is there to be used."""
    async with Pool(url, open=False, min_size=1, max_size=3) as pool:
        await pool.open(wait=True)
        cli = Admin(Store(pool), "cli")
        await cli.add_line(Line("main", LineKind.MAIN))
        await cli.import_numbers([TrackingNumber(f"+1212555{n:04d}") for n in range(COUNT)])
        store = CountingStore(pool)
        service = SnapshotService(store, ChangeListener(url), StateCache(tmp_path / "s.json"))
        await service.start()
        held: list[int] = []

        def state_at(version: int) -> Snapshot | None:
            state = service.state_at(version)
            if state is not None:
                held.append(version)
            return state

        console = Admin(Store(pool, held=state_at), "console")
        await console.change_number("+12125550007", SettingsChange(), label="front desk")
        assert held == [service.current.version]

        await cli.add_line(Line("sales", LineKind.DEPARTMENT))  # serve has not loaded it
        await console.change_number("+12125550008", SettingsChange(), line="sales")

        assert len(held) == 1  # the state in use was behind: the database was read
        now = await store.load_snapshot()
        assert now.numbers["+12125550007"].label == "front desk"
        assert now.numbers["+12125550008"].line == "sales"
