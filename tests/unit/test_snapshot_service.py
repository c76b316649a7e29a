"""Starting while PostgreSQL is down: the app routes from the last known state on disk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import psycopg

from continuity.core.model import Snapshot, TrackingNumber
from continuity.snapshot import SnapshotService
from continuity.state_cache import StateCache

MAIN = "+12125550101"


class Database:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.down = False

    async def load_snapshot(self) -> Snapshot:
        if self.down:
            raise psycopg.OperationalError("connection refused")
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
