"""Call records: spooled to local disk first, then written to PostgreSQL.

A record is a file in the spool directory until the database has it, so
neither a PostgreSQL outage nor a crash of the app loses one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path

import psycopg

from continuity.backoff import Backoff
from continuity.core.records import CallRecord
from continuity.files import write_atomically
from continuity.ports import CallRecordSink

log = logging.getLogger(__name__)


class CallRecorder:
    def __init__(self, spool: Path, sink: CallRecordSink, batch: int = 200) -> None:
        self._spool = spool
        self._sink = sink
        self._batch = batch
        self._wake = asyncio.Event()
        spool.mkdir(parents=True, exist_ok=True)

    async def record(self, record: CallRecord) -> None:
        """Durably spool one record and wake the flusher."""
        await asyncio.to_thread(self._write, record)
        self._wake.set()

    def _write(self, record: CallRecord) -> None:
        write_atomically(self._spool / f"{record.call_id}.json", json.dumps(record.to_json()))

    def pending(self) -> int:
        return sum(1 for _ in self._spool.glob("*.json"))

    async def flush(self) -> int:
        """Write spooled records to the sink; return how many were written."""
        written = 0
        while True:
            files = sorted(self._spool.glob("*.json"))[: self._batch]
            if not files:
                return written
            records: list[CallRecord] = []
            for path in files:
                try:
                    records.append(CallRecord.from_json(json.loads(path.read_text("utf-8"))))
                except (ValueError, KeyError, TypeError) as exc:
                    bad = path.with_suffix(".bad")
                    log.error("call record %s is unreadable (%s); kept as %s", path, exc, bad)
                    path.replace(bad)
            await self._sink.insert_call_records(records)
            for path in files:
                path.unlink(missing_ok=True)
            written += len(records)

    async def run(self) -> None:
        """Flush whenever a record arrives; retry with backoff while the database is down."""
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
