"""Call records: spooled to local disk first, then written to PostgreSQL.

A record is in a file in the spool directory until the database has it, so
neither a PostgreSQL outage nor a crash of the app loses one.

Records that end while the previous spool write is under way are written
together (group commit): one file and one fsync per batch, however many calls
end at once. ``record`` returns only once its record is on disk. The flusher
waits ``linger`` seconds after a wake-up so one insert carries the records of
several calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

import psycopg

from continuity.backoff import Backoff
from continuity.core.records import CallRecord
from continuity.files import write_atomically
from continuity.ports import CallRecordSink

log = logging.getLogger(__name__)


class CallRecorder:
    def __init__(
        self, spool: Path, sink: CallRecordSink, batch: int = 200, linger: float = 0.1
    ) -> None:
        self._spool = spool
        self._sink = sink
        self._batch = batch
        self._linger = linger
        self._wake = asyncio.Event()
        #: Records waiting for the next spool write, and the future it resolves.
        self._open: list[CallRecord] = []
        self._open_written: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        spool.mkdir(parents=True, exist_ok=True)

    async def record(self, record: CallRecord) -> None:
        """Durably spool one record (return once it is on disk) and wake the flusher."""
        if self._open_written is None:
            self._open_written = asyncio.get_running_loop().create_future()
        written = self._open_written
        self._open.append(record)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="call-record-spool")
        await asyncio.shield(written)

    async def _write_batches(self) -> None:
        while self._open:
            batch, written = self._open, self._open_written
            self._open, self._open_written = [], None
            assert written is not None
            try:
                await asyncio.to_thread(self._write, batch)
            except BaseException as exc:
                written.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                written.set_result(None)
                self._wake.set()

    def _write(self, batch: list[CallRecord]) -> None:
        # A call id is unique, so the batch's first one names the file.
        text = json.dumps([record.to_json() for record in batch])
        write_atomically(self._spool / f"{batch[0].call_id}.json", text)

    def pending(self) -> int:
        """Records spooled and not yet in the database."""
        count = 0
        for path in self._spool.glob("*.json"):
            with contextlib.suppress(OSError, ValueError):
                data = json.loads(path.read_text("utf-8"))
                count += len(data) if isinstance(data, list) else 1
        return count

    def idle(self) -> bool:
        """Nothing waits to be spooled or to reach the database."""
        return not self._open and self.pending() == 0

    def _read(self, path: Path) -> list[CallRecord]:
        """The records of one spool file (a list, or one record as older versions wrote)."""
        data: Any = json.loads(path.read_text("utf-8"))
        items = data if isinstance(data, list) else [data]
        return [CallRecord.from_json(item) for item in items]

    async def flush(self) -> int:
        """Write spooled records to the sink; return how many were written."""
        written = 0
        while True:
            files: list[Path] = []
            records: list[CallRecord] = []
            for path in sorted(self._spool.glob("*.json")):
                if records and len(records) >= self._batch:
                    break
                try:
                    records.extend(self._read(path))
                except (ValueError, KeyError, TypeError) as exc:
                    bad = path.with_suffix(".bad")
                    log.error("call record file %s is unreadable (%s); kept as %s", path, exc, bad)
                    path.replace(bad)
                    continue
                files.append(path)
            if not files:
                return written
            await self._sink.insert_call_records(records)
            for path in files:
                path.unlink(missing_ok=True)
            written += len(records)

    async def run(self) -> None:
        """Flush whenever records arrive; retry with backoff while the database is down."""
        backoff = Backoff(base=0.5, cap=10.0)
        while True:
            self._wake.clear()
            try:
                count = await self.flush()
            except (psycopg.Error, OSError) as exc:
                delay = backoff.next_delay()
                log.warning(
                    "%d call records wait for PostgreSQL (%s); retry in %.1fs",
                    self.pending(),
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            if count:
                log.debug("wrote %d call records", count)
            backoff.reset()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=30)
            await asyncio.sleep(self._linger)
