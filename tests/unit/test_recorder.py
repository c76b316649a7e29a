"""Call records: durable before ``record`` returns, batched, never lost.

The database side is exercised against real PostgreSQL in
tests/calls/test_faults.py; here the database is a list that can be made to
fail or hang, so the recorder's own guarantees can be checked file by file.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from pathlib import Path

import pytest

from continuity.core.outcome import Outcome
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
        outcome=Outcome.ANSWERED,
        started_at=T0,
        ended_at=T0 + dt.timedelta(seconds=30),
        answered_at=T0 + dt.timedelta(seconds=2),
        answered_kind="primary",
        answered_target="+12125550101",
        attempts=(
            Attempt(
                "primary", "+12125550101", Outcome.ANSWERED, None, T0.isoformat(), T0.isoformat()
            ),
        ),
    )


class Database:
    """Stands in for PostgreSQL: keeps what was inserted, or refuses while down."""

    def __init__(self) -> None:
        self.rows: list[CallRecord] = []
        self.inserts = 0
        self.down = False
        self.hangs = False

    async def insert_call_records(self, records: list[CallRecord]) -> None:
        self.inserts += 1
        if self.hangs:
            await asyncio.Event().wait()
        if self.down:
            raise OSError("connection refused")
        await asyncio.sleep(0)  # a round trip: calls ending meanwhile join the next batch
        self.rows.extend(records)


def files_in(spool: Path) -> list[str]:
    return sorted(p.name for p in spool.iterdir())


def journaled(spool: Path) -> int:
    """Records in journal files (the linger's, not yet stored)."""
    return sum(len(p.read_bytes().splitlines()) for p in spool.glob("journal-*.jsonl"))


def spooled(spool: Path) -> list[str]:
    ids: list[str] = []
    for path in spool.glob("*.json"):
        data = json.loads(path.read_text("utf-8"))
        ids.extend(item["call_id"] for item in (data if isinstance(data, list) else [data]))
    return sorted(ids)


async def test_calls_ending_together_share_one_insert_and_each_is_stored_when_recorded(
    tmp_path: Path,
) -> None:
    db = Database()
    recorder = CallRecorder(tmp_path, db)
    records = [call_record(n) for n in range(50)]

    await asyncio.gather(*(recorder.record(r) for r in records))

    assert sorted(r.call_id for r in db.rows) == sorted(r.call_id for r in records)
    assert db.inserts < 50, f"{db.inserts} inserts for 50 records: no batching"
    assert db.rows[0] == records[0]
    assert spooled(tmp_path) == []  # the database had them: nothing spooled
    assert journaled(tmp_path) == 0
    assert recorder.idle()


async def test_calls_ending_a_moment_apart_share_one_insert(tmp_path: Path) -> None:
    db = Database()
    recorder = CallRecorder(tmp_path, db, linger=0.2)

    async def ends_after(delay: float, n: int) -> None:
        await asyncio.sleep(delay)
        await recorder.record(call_record(n))

    await asyncio.gather(ends_after(0.0, 1), ends_after(0.05, 2), ends_after(0.1, 3))

    assert sorted(r.call_id for r in db.rows) == sorted(call_record(n).call_id for n in (1, 2, 3))
    assert db.inserts == 1


async def test_a_record_waiting_for_company_is_still_written_when_the_app_stops(
    tmp_path: Path,
) -> None:
    db = Database()
    recorder = CallRecorder(tmp_path, db, linger=5.0)
    ended = asyncio.create_task(recorder.record(call_record(1)))
    await asyncio.sleep(0.05)
    writer = recorder._writer
    assert writer is not None
    writer.cancel()

    with contextlib.suppress(asyncio.CancelledError):
        await writer
    await ended

    assert [r.call_id for r in db.rows] == [call_record(1).call_id]


async def test_while_the_database_is_down_records_are_on_disk_when_recorded(
    tmp_path: Path,
) -> None:
    db = Database()
    db.down = True
    recorder = CallRecorder(tmp_path, db)
    records = [call_record(n) for n in range(20)]

    await asyncio.gather(*(recorder.record(r) for r in records))

    assert spooled(tmp_path) == sorted(r.call_id for r in records)
    assert len([n for n in files_in(tmp_path) if n.endswith(".json")]) < 20  # per batch
    assert recorder.pending() == 20
    with pytest.raises(OSError):
        await recorder.flush()
    assert recorder.pending() == 20

    db.down = False
    assert await recorder.flush() == 20
    assert recorder.pending() == 0
    assert sorted(r.call_id for r in db.rows) == sorted(r.call_id for r in records)


async def test_a_database_that_does_not_answer_gets_the_records_spooled_after_the_timeout(
    tmp_path: Path,
) -> None:
    db = Database()
    db.hangs = True
    recorder = CallRecorder(tmp_path, db, db_timeout=0.2)

    async with asyncio.timeout(2):
        await recorder.record(call_record(1))
        await recorder.record(call_record(2))  # known down now: straight to disk

    assert recorder.pending() == 2
    assert db.inserts == 1


async def test_a_spool_left_by_an_earlier_version_and_an_unreadable_file_are_handled(
    tmp_path: Path,
) -> None:
    (tmp_path / "old-one.json").write_text(json.dumps(call_record(7).to_json()))
    (tmp_path / "torn.json").write_text('[{"call_id": ')
    db = Database()
    recorder = CallRecorder(tmp_path, db)

    assert await recorder.flush() == 1

    assert [r.call_id for r in db.rows] == ["pbx-1795327914.7"]
    assert files_in(tmp_path) == ["torn.bad"]  # kept for the admin


async def test_the_flusher_empties_the_spool_once_the_database_is_back(tmp_path: Path) -> None:
    db = Database()
    db.down = True
    recorder = CallRecorder(tmp_path, db)
    for n in range(3):
        await recorder.record(call_record(n))
    assert recorder.pending() == 3
    db.down = False

    async with asyncio.TaskGroup() as tasks:
        flusher = tasks.create_task(recorder.run())
        async with asyncio.timeout(5):
            while len(db.rows) < 3:
                await asyncio.sleep(0.01)
        await recorder.record(call_record(3))  # the database is used directly again
        flusher.cancel()

    assert [r.call_id for r in db.rows] == [f"pbx-1795327914.{n}" for n in range(4)]
    assert recorder.idle()


async def test_an_app_killed_while_records_wait_for_company_loses_none_of_them(
    tmp_path: Path,
) -> None:
    """Three calls end while the first one's record waits for company (the linger);
    the app is killed before the insert. The next run's flusher writes all three."""
    dead = Database()
    dead.hangs = True  # a killed app never writes anything again
    killed = CallRecorder(tmp_path, dead, linger=60.0)
    ended = [asyncio.create_task(killed.record(call_record(n))) for n in range(3)]
    await asyncio.sleep(0.05)
    assert dead.inserts == 0  # still waiting for company

    db = Database()
    restarted = CallRecorder(tmp_path, db)
    assert restarted.pending() == 3
    assert await restarted.flush() == 3

    assert sorted(r.call_id for r in db.rows) == [f"pbx-1795327914.{n}" for n in range(3)]
    assert db.rows[0] == call_record(0)
    assert restarted.pending() == 0
    for task in ended:  # the killed run's tasks, which a SIGKILL would not have left
        task.cancel()
    writer = killed._writer
    assert writer is not None
    writer.cancel()
    await asyncio.gather(*ended, writer, return_exceptions=True)


async def test_a_journal_line_cut_short_by_the_kill_keeps_the_others(tmp_path: Path) -> None:
    lines = [json.dumps(call_record(n).to_json()) for n in (1, 2)]
    (tmp_path / "journal-1-1-1.jsonl").write_text(lines[0] + "\n" + lines[1] + "\n" + '{"call')
    db = Database()
    recorder = CallRecorder(tmp_path, db)

    assert await recorder.flush() == 2

    assert [r.call_id for r in db.rows] == ["pbx-1795327914.1", "pbx-1795327914.2"]
    assert files_in(tmp_path) == []


async def test_an_app_stopping_writes_the_records_waiting_for_company_before_its_pool_closes(
    tmp_path: Path,
) -> None:
    db = Database()
    recorder = CallRecorder(tmp_path, db, linger=60.0)
    ended = asyncio.create_task(recorder.record(call_record(1)))
    await asyncio.sleep(0.05)
    assert db.rows == []  # waiting for company

    async with asyncio.timeout(2):  # not the minute of its linger
        await recorder.drain()
        await ended

    assert [r.call_id for r in db.rows] == [call_record(1).call_id]
    assert journaled(tmp_path) == 0
