"""Call records: in PostgreSQL, or on local disk until PostgreSQL has them.

``record`` returns once the record is durable: committed to the database or,
if the database does not answer within ``db_timeout`` (or is known to be
down), written and fsync'd to a file in the spool directory. The flusher
moves spooled records to the database once it is back. Neither a PostgreSQL
outage nor a crash of the app loses a record; an insert that timed out but
did commit is harmless (inserts skip a call id already present).

Records that end while the previous write is under way are written together
(group commit): one insert, or one file and one fsync, per batch. The first record
of a batch also waits ``linger`` seconds for company; records waiting so are in the
batch's journal file meanwhile (``continuity.record_journal``), so an app killed
during the linger loses none of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from continuity.backoff import Backoff
from continuity.core.records import CallRecord
from continuity.errors import StoreError
from continuity.files import write_atomically
from continuity.ports import CallRecordSink
from continuity.record_journal import Journal, Segment

log = logging.getLogger(__name__)

#: What a failed insert raises: the database is unreachable or refused the batch.
DB_ERRORS = (StoreError, OSError, TimeoutError)


#: Seconds a first record waits for others before their one insert (records that end
#: while an insert is in flight share the next one in any case). It halves the app's
#: CPU per record at 20 calls/s (bench.records_cost: 0.92 -> 0.48 ms); the journal
#: keeps the waiting records through a crash of the app. 0: insert at once, no journal.
LINGER = 0.25


class CallRecorder:
    def __init__(
        self,
        spool: Path,
        sink: CallRecordSink,
        batch: int = 200,
        db_timeout: float = 2.0,
        linger: float = LINGER,
    ) -> None:
        self._spool = spool
        self._sink = sink
        self._batch = batch
        self._db_timeout = db_timeout
        self._linger = linger
        #: False from a failed insert until the flusher has emptied the spool.
        self._db_up = True
        self._wake = asyncio.Event()
        #: Records waiting for the next write, and the future that write resolves.
        self._open: list[CallRecord] = []
        self._open_written: asyncio.Future[None] | None = None
        #: How many of the open batch's records each journal file holds (linger only).
        self._open_journal: dict[Segment, int] = {}
        self._journal = Journal(spool)
        #: Set when the app stops: what waits is written at once, without its linger.
        self._draining = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        spool.mkdir(mode=0o700, parents=True, exist_ok=True)

    async def record(self, record: CallRecord) -> None:
        """Return once ``record`` is durable: in the database or in the spool."""
        if self._open_written is None:
            self._open_written = asyncio.get_running_loop().create_future()
        written = self._open_written
        if self._linger > 0:
            segment = self._journal.append(record)
            self._open_journal[segment] = self._open_journal.get(segment, 0) + 1
        self._open.append(record)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="call-record-writer")
        await asyncio.shield(written)

    async def drain(self, timeout: float = 5.0) -> None:
        """Write what waits now, without its linger: the app is stopping, and its
        database pool closes next (records that miss it wait in the spool and journal
        for the next start)."""
        self._draining.set()
        writer = self._writer
        if writer is not None and not writer.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(writer), timeout)

    async def _write_batches(self) -> None:
        stopping: asyncio.CancelledError | None = None
        while self._open:
            lingers = self._linger > 0 and len(self._open) < self._batch
            if lingers and stopping is None and not self._draining.is_set():
                # Calls that end meanwhile join this insert: at 20 calls/s most batches
                # were one record, and the insert was the app's largest item per call.
                try:
                    async with asyncio.timeout(self._linger):  # a timer, not a task
                        await self._draining.wait()
                except TimeoutError:
                    pass
                except asyncio.CancelledError as exc:
                    stopping = exc  # the app stops: write what waits now, then stop
            batch, written, journal = self._open, self._open_written, self._open_journal
            self._open, self._open_written, self._open_journal = [], None, {}
            assert written is not None
            try:
                await self._write(batch)
            except BaseException as exc:
                for segment in journal:  # the files stay: the flusher writes them
                    self._journal.abandon(segment)
                if journal:
                    self._wake.set()
                written.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                for segment, count in journal.items():
                    self._journal.stored(segment, count)
                written.set_result(None)
        if stopping is not None:
            raise stopping

    async def _write(self, batch: list[CallRecord]) -> None:
        if self._db_up:
            try:
                async with asyncio.timeout(self._db_timeout):
                    await self._sink.insert_call_records(batch)
                return
            except DB_ERRORS as exc:
                self._db_up = False
                log.warning("call records go to the spool until PostgreSQL is back: %s", exc)
        await asyncio.to_thread(self._spool_batch, batch)
        self._wake.set()

    def _spool_batch(self, batch: list[CallRecord]) -> None:
        # A call id is unique, so the batch's first one names the file.
        text = json.dumps([record.to_json() for record in batch])
        # Records hold caller numbers: for this user only.
        write_atomically(self._spool / f"{batch[0].call_id}.json", text, mode=0o600)

    def pending(self) -> int:
        """Records spooled (or left in a journal) and not yet in the database."""
        count = 0
        for path in self._spool.glob("*.json"):
            with contextlib.suppress(OSError, ValueError):
                data = json.loads(path.read_text("utf-8"))
                count += len(data) if isinstance(data, list) else 1
        return count + self._journal.left()

    def idle(self) -> bool:
        """Nothing waits to be spooled or to reach the database."""
        writing = self._writer is not None and not self._writer.done()
        return not self._open and not writing and self.pending() == 0

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
            for path in sorted(self._spool.glob("*.json")) + self._journal.leftovers():
                if records and len(records) >= self._batch:
                    break
                try:
                    if path.suffix == ".json":
                        records.extend(self._read(path))
                    else:
                        records.extend(self._journal.read(path))
                except (ValueError, KeyError, TypeError) as exc:
                    bad = path.with_suffix(".bad")
                    log.error("call record file %s is unreadable (%s); kept as %s", path, exc, bad)
                    path.replace(bad)
                    continue
                files.append(path)
            if not files:
                return written
            async with asyncio.timeout(self._db_timeout * 5):
                await self._sink.insert_call_records(records)
            for path in files:
                path.unlink(missing_ok=True)
            written += len(records)

    async def run(self) -> None:
        """Move spooled records to the database; retry with backoff while it is down."""
        backoff = Backoff(base=0.5, cap=10.0)
        while True:
            self._wake.clear()
            try:
                count = await self.flush()
            except DB_ERRORS as exc:
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
                log.info("%d spooled call records written to PostgreSQL", count)
            if not self._db_up:
                self._db_up = True
                continue  # a batch may have been spooled meanwhile
            backoff.reset()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=30)
