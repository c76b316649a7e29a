"""Starting while PostgreSQL is down: the app routes from the last known state on disk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from continuity.core.model import Snapshot, TrackingNumber
from continuity.errors import StoreUnavailable
from continuity.snapshot import SnapshotService
from continuity.state_cache import StateCache

MAIN = "+12125550101"


class Database:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.down = False

    async def load_snapshot(self) -> Snapshot:
        if self.down:
            raise StoreUnavailable("connection refused")
        return self.snapshot

    async def changes(self) -> AsyncIterator[str]:  # pragma: no cover - not used here
        yield "*"


async def test_a_restart_during_a_database_outage_routes_from_the_cached_state(
    tmp_path: Path,
) -> None:
    known = Snapshot(numbers={MAIN: TrackingNumber(MAIN)}, version=7)
    db = Database(known)
    cache = StateCache(tmp_path / "routing-state.json")
    first = SnapshotService(db, db, cache)
    await first.start()
    assert first.current == known
    await first.mirrored()  # written beside the start, not before it returns

    db.down = True
    restarted = SnapshotService(db, db, cache)
    await restarted.start()

    assert restarted.current == known
    assert not restarted.from_database


async def test_a_failed_reload_keeps_the_last_snapshot(tmp_path: Path) -> None:
    db = Database(Snapshot(numbers={MAIN: TrackingNumber(MAIN)}, version=3))
    service = SnapshotService(db, db, StateCache(tmp_path / "state.json"))
    await service.start()
    db.down = True

    assert not await service.refresh()
    assert service.current.version == 3


class Feed:
    """Change notifications on demand."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()

    async def changes(self) -> AsyncIterator[str]:
        while True:
            yield await self.queue.get()


async def test_a_state_cache_that_cannot_be_written_never_stops_routing_and_is_written_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(Snapshot(numbers={MAIN: TrackingNumber(MAIN)}, version=1))
    path = tmp_path / "routing-state.json"
    path.mkdir()  # a directory where the cache file goes: every write fails
    feed = Feed()
    seen: list[int] = []

    async def subscriber(snapshot: Snapshot) -> None:
        seen.append(snapshot.version)

    service = SnapshotService(db, feed, StateCache(path), cache_retry=0.05)
    service.subscribe(subscriber)
    await service.start()
    assert (service.current.version, seen) == (1, [1])

    async with asyncio.TaskGroup() as tasks:
        running = tasks.create_task(service.run())
        db.snapshot = Snapshot(numbers={MAIN: TrackingNumber(MAIN, label="new")}, version=2)
        await feed.queue.put("tracking_numbers")
        async with asyncio.timeout(5):
            while seen != [1, 2]:
                await asyncio.sleep(0.01)
        assert service.current.version == 2

        path.rmdir()  # the disk is writable again: the retry writes the newest state
        async with asyncio.timeout(5):
            while not path.is_file():
                await asyncio.sleep(0.01)
        running.cancel()

    assert StateCache(path).load() == db.snapshot
    failures = [r for r in caplog.records if "could not write the routing state cache" in r.message]
    assert len(failures) == 1  # once per failure streak, not once per retry


async def test_a_failing_subscriber_does_not_keep_the_others_from_the_new_state(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(Snapshot(version=4))
    service = SnapshotService(db, Feed(), StateCache(tmp_path / "state.json"))
    seen: list[int] = []

    async def broken(_snapshot: Snapshot) -> None:
        raise ValueError("header value contains linefeed")

    async def working(snapshot: Snapshot) -> None:
        seen.append(snapshot.version)

    service.subscribe(broken)
    service.subscribe(working)

    assert await service.refresh()
    assert seen == [4]
    assert "broken failed on routing state v4" in caplog.text


def test_an_unreadable_state_cache_is_no_cache(tmp_path: Path) -> None:
    (tmp_path / "state.json").mkdir()
    assert StateCache(tmp_path / "state.json").load() is None
