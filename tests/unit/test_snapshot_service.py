"""Starting while PostgreSQL is down: the app routes from the last known state on disk."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from continuity.core.model import Line, LineKind, Snapshot, TrackingNumber
from continuity.db.listener import parse_change
from continuity.errors import StoreUnavailable
from continuity.ports import ANYTHING, StateChange
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

    async def changes(self) -> AsyncIterator[StateChange]:  # pragma: no cover - not used here
        yield ANYTHING


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
        self.queue: asyncio.Queue[StateChange] = asyncio.Queue()
        #: Changes the service is done with: it asked for the next one.
        self.handled = 0

    async def changes(self) -> AsyncIterator[StateChange]:
        while True:
            yield await self.queue.get()
            self.handled += 1


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
        await feed.queue.put(StateChange("tracking_numbers", 2))
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


SALES = "+12125550121"
SUPPORT = "+12125550131"


class Versioned(Database):
    """PostgreSQL as the snapshot service sees it: the whole state, or named rows, both
    read with the version they are at; ``reads`` counts each kind of read."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__(snapshot)
        self.reads: list[str] = []

    async def load_snapshot(self) -> Snapshot:
        self.reads.append("all")
        return await super().load_snapshot()

    async def load_numbers(
        self, numbers: Sequence[str]
    ) -> tuple[int, dict[str, TrackingNumber | None]]:
        self.reads.append("numbers")
        return self.snapshot.version, {n: self.snapshot.numbers.get(n) for n in numbers}


def sales_line(*, testing: bool) -> Line:
    return Line("sales", LineKind.DEPARTMENT, test_mode=testing)


async def routed_after(
    tmp_path: Path, db: Versioned, now: Snapshot, *changes: StateChange
) -> Snapshot:
    """What the app routes with once it started on the database's state, the database
    moved on to ``now``, and ``changes`` were notified."""
    feed = Feed()
    service = SnapshotService(db, feed, StateCache(tmp_path / "state.json"), numbers=db)
    await service.start()
    db.reads.clear()
    db.snapshot = now
    async with asyncio.TaskGroup() as tasks:
        running = tasks.create_task(service.run())
        for change in changes:
            await feed.queue.put(change)
        async with asyncio.timeout(5):
            while feed.handled < len(changes):
                await asyncio.sleep(0.005)
        running.cancel()
    return service.current


async def test_a_number_added_right_after_the_state_in_use_is_read_alone(tmp_path: Path) -> None:
    db = Versioned(Snapshot(lines={"sales": sales_line(testing=False)}, version=56))
    with_sales = Snapshot(
        lines={"sales": sales_line(testing=False)},
        numbers={SALES: TrackingNumber(SALES, line="sales")},
        version=57,
    )

    routed = await routed_after(
        tmp_path, db, with_sales, StateChange("tracking_numbers", 57, (SALES,))
    )

    assert routed == with_sales
    assert db.reads == ["numbers"]


async def test_a_line_put_in_test_mode_while_the_app_catches_up_is_not_lost(
    tmp_path: Path,
) -> None:
    """The app lags: by the time it reads the change that added +12125550121 (v56), the
    sales line was put in test mode (v57). Patching the number into v55 and calling it
    v57 would route the line's calls as normal: it must read everything."""
    db = Versioned(Snapshot(lines={"sales": sales_line(testing=False)}, version=55))
    now = Snapshot(
        lines={"sales": sales_line(testing=True)},
        numbers={SALES: TrackingNumber(SALES, line="sales")},
        version=57,
    )

    routed = await routed_after(
        tmp_path,
        db,
        now,
        StateChange("tracking_numbers", 56, (SALES,)),
        StateChange("lines", 57),
    )

    assert routed == now
    assert db.reads == ["numbers", "all"]  # the patch refused; then v57 was held already


async def test_a_change_read_late_never_claims_a_version_it_does_not_hold(
    tmp_path: Path,
) -> None:
    """The state in use (v56) already holds +12125550121, read by a reload that ran after
    it was added; the sales line went into test mode since (v57), not notified yet.
    The number's late notification must not yield "v57" with the line still normal:
    the app would say it is current, and route the line's calls by the old state."""
    v56 = Snapshot(
        lines={"sales": sales_line(testing=False)},
        numbers={SALES: TrackingNumber(SALES, line="sales")},
        version=56,
    )
    v57 = dataclasses.replace(v56, lines={"sales": sales_line(testing=True)}, version=57)
    db = Versioned(v56)

    routed = await routed_after(tmp_path, db, v57, StateChange("tracking_numbers", 55, (SALES,)))

    assert routed == v56  # v57 comes with its own notification
    assert db.reads == []


async def test_changes_the_state_in_use_already_holds_read_nothing(tmp_path: Path) -> None:
    """Started at v58, which holds the changes that made v56 to v58: only v59 is read."""
    state = Snapshot(
        numbers={SALES: TrackingNumber(SALES), SUPPORT: TrackingNumber(SUPPORT)}, version=58
    )
    db = Versioned(state)
    now = dataclasses.replace(state, account=dataclasses.replace(state.account), version=59)

    routed = await routed_after(
        tmp_path,
        db,
        now,
        StateChange("tracking_numbers", 56, (SALES,)),
        StateChange("tracking_numbers", 57, (SUPPORT,)),
        StateChange("lines", 58),
        StateChange("account_settings", 59),
    )

    assert routed == now
    assert db.reads == ["all"]


def test_notifications_are_read_with_the_version_they_made() -> None:
    assert parse_change("tracking_numbers@57:+12125550121,+12125550131") == StateChange(
        "tracking_numbers", 57, (SALES, SUPPORT)
    )
    assert parse_change("lines@58") == StateChange("lines", 58)
    assert parse_change("lines") == StateChange("lines")  # before migration 0013
    assert parse_change("tracking_numbers:+12125550121") == StateChange(
        "tracking_numbers", None, (SALES,)
    )
    assert parse_change("lines@x") == ANYTHING
    assert parse_change("") == ANYTHING
