"""The call-record spool: on disk before ``record`` returns, batched, never lost.

The database side is exercised against real PostgreSQL in
tests/calls/test_faults.py; here the sink is a list so the spool's own
guarantees can be checked file by file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from continuity.core.records import Attempt, CallRecord
from continuity.recorder import CallRecorder

T0 = dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC)


def call_record(n: int) -> CallRecord:
    return CallRecord(
        call_id=f"pbx-1795327914.{n}",
        tracking_number="+12125550101",
        line="main",
        caller_number="+13125550199",
        caller_name="Caller",
        reason="normal",
        outcome="answered",
        started_at=T0,
        ended_at=T0 + dt.timedelta(seconds=30),
        answered_at=T0 + dt.timedelta(seconds=2),
        answered_kind="primary",
        answered_target="+12125550101",
        attempts=(
            Attempt("primary", "+12125550101", "answered", None, T0.isoformat(), T0.isoformat()),
        ),
    )


class Database:
    """Stands in for PostgreSQL: keeps what was inserted, or refuses while down."""

    def __init__(self) -> None:
        self.rows: list[CallRecord] = []
        self.down = False

    async def insert_call_records(self, records: list[CallRecord]) -> None:
        if self.down:
            raise OSError("connection refused")
        self.rows.extend(records)


def files_in(spool: Path) -> list[str]:
    return sorted(p.name for p in spool.iterdir())


def spooled(spool: Path) -> list[str]:
    ids: list[str] = []
    for path in spool.glob("*.json"):
        data = json.loads(path.read_text("utf-8"))
        ids.extend(item["call_id"] for item in (data if isinstance(data, list) else [data]))
    return sorted(ids)


async def test_calls_ending_together_share_one_spool_write_and_each_is_on_disk_when_recorded(
    tmp_path: Path,
) -> None:
    db = Database()
    recorder = CallRecorder(tmp_path, db)
    records = [call_record(n) for n in range(50)]

    await asyncio.gather(*(recorder.record(r) for r in records))

    assert spooled(tmp_path) == sorted(r.call_id for r in records)
    files = files_in(tmp_path)
    assert len(files) < 50, f"{len(files)} spool files for 50 records: no batching"
    assert recorder.pending() == 50
    assert await recorder.flush() == 50
    assert sorted(r.call_id for r in db.rows) == sorted(r.call_id for r in records)
    assert db.rows[0] == records[0]
    assert files_in(tmp_path) == []


async def test_records_wait_on_disk_while_the_database_is_down(tmp_path: Path) -> None:
    db = Database()
    db.down = True
    recorder = CallRecorder(tmp_path, db)
    await recorder.record(call_record(1))
    await recorder.record(call_record(2))

    with pytest.raises(OSError):
        await recorder.flush()
    assert recorder.pending() == 2

    db.down = False
    assert await recorder.flush() == 2
    assert recorder.pending() == 0


async def test_a_spool_left_by_an_earlier_version_and_an_unreadable_file_are_handled(
    tmp_path: Path,
) -> None:
    (tmp_path / "old-one.json").write_text(json.dumps(call_record(7).to_json()))
    (tmp_path / "torn.json").write_text('[{"call_id": ')
    db = Database()
    recorder = CallRecorder(tmp_path, db)
    await recorder.record(call_record(8))

    assert await recorder.flush() == 2

    assert sorted(r.call_id for r in db.rows) == ["pbx-1795327914.7", "pbx-1795327914.8"]
    assert files_in(tmp_path) == ["torn.bad"]  # kept for the admin


async def test_the_flusher_writes_records_as_they_arrive(tmp_path: Path) -> None:
    db = Database()
    recorder = CallRecorder(tmp_path, db, linger=0.01)
    async with asyncio.TaskGroup() as tasks:
        flusher = tasks.create_task(recorder.run())
        for n in range(3):
            await recorder.record(call_record(n))
        async with asyncio.timeout(5):
            while len(db.rows) < 3:
                await asyncio.sleep(0.01)
        flusher.cancel()

    assert [r.call_id for r in db.rows] == [f"pbx-1795327914.{n}" for n in range(3)]
    assert recorder.pending() == 0
