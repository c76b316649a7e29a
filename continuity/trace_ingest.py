"""Asterisk's call trace, moved into the call records.

The generated dialplan appends one line per call (and per answered leg of
ours) to ``<asterisk spool>/continuity/call-trace.psv`` (format in
``continuity.core.call_trace``). Each round, the ingester renames the file
aside (Asterisk opens it afresh for every line, so the next line starts a new
file), waits for a line being written to finish, writes the records and only
then deletes the renamed file. A round that fails leaves the file for the next
one, and a file ingested twice changes nothing: records are keyed by the caller
channel's uniqueid.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from continuity.backoff import Backoff
from continuity.core.call_trace import LegLanding, parse_trace
from continuity.core.records import RoutedBy
from continuity.ports import CallTraceSink
from continuity.recorder import DB_ERRORS

log = logging.getLogger(__name__)

#: A leg's line can reach the file before its call's line (the leg of an interrupted
#: call hangs up when a new run releases it): it waits this many rounds for it.
LEG_ROUNDS = 30


class CallTraceIngester:
    def __init__(
        self,
        path: Path,
        sink: CallTraceSink,
        ours: Callable[[str], bool] = lambda _call_id: False,
        every: float = 2.0,
        settle: float = 0.3,
    ) -> None:
        self._path = path
        self._sink = sink
        #: Whether this run routes or routed a call: then its own record is on its way
        #: (durably: database or spool) and the trace of it is not needed.
        self._ours = ours
        self._lock = asyncio.Lock()
        self._every = every
        self._settle = settle
        #: Answered legs whose call has no record yet, and rounds left to wait.
        self._legs: dict[LegLanding, int] = {}

    def prepare(self) -> None:
        """Create the trace's directory where Asterisk can write (its spool owner's)."""
        directory = self._path.parent
        directory.mkdir(parents=True, exist_ok=True)
        spool = directory.parent.stat()
        if os.geteuid() == 0 and (spool.st_uid, spool.st_gid) != (0, 0):
            os.chown(directory, spool.st_uid, spool.st_gid)

    def _rotate(self) -> None:
        if self._path.exists() and self._path.stat().st_size > 0:
            aside = self._path.with_name(f"{self._path.stem}.{time.time_ns()}.ingest")
            self._path.replace(aside)

    def _pending(self) -> list[Path]:
        return sorted(self._path.parent.glob(f"{self._path.stem}.*.ingest"))

    def _take(self) -> list[Path]:
        self._rotate()
        return self._pending()

    async def ingest(self) -> int:
        """One round; return how many call lines were written."""
        async with self._lock:
            return await self._ingest()

    async def _ingest(self) -> int:
        files = await asyncio.to_thread(self._take)
        if not files:
            if self._legs:
                await self._apply_legs([])
            return 0
        await asyncio.sleep(self._settle)  # a line Asterisk began before the rename
        written = 0
        for path in files:
            try:
                text = await asyncio.to_thread(path.read_text, "utf-8", "replace")
            except FileNotFoundError:
                continue  # another ingester took it
            trace = parse_trace(text)
            for line in trace.bad:
                log.error("call trace %s: unreadable line %r (skipped)", path, line)
            calls = [
                r
                for r in trace.calls
                if r.path is not RoutedBy.INTERRUPTED or not self._ours(r.call_id)
            ]
            await self._sink.insert_traced_records(calls)
            await self._apply_legs([leg for leg in trace.legs if not self._ours(leg.call_id)])
            await asyncio.to_thread(path.unlink, True)
            written += len(calls)
        return written

    async def _apply_legs(self, legs: list[LegLanding]) -> None:
        for leg in legs:
            self._legs.setdefault(leg, LEG_ROUNDS)
        if not self._legs:
            return
        recorded = await self._sink.apply_leg_landings(list(self._legs))
        for leg in list(self._legs):
            self._legs[leg] -= 1
            if leg.call_id in recorded or self._legs[leg] <= 0:
                del self._legs[leg]

    async def run(self) -> None:
        """Ingest every ``every`` seconds; back off while PostgreSQL is away."""
        backoff = Backoff(base=0.5, cap=10.0)
        while True:
            try:
                count = await self.ingest()
            except DB_ERRORS as exc:
                delay = backoff.next_delay()
                log.warning("call trace not ingested yet (%s); retry in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            if count:
                log.debug("%d call trace lines ingested", count)
            await asyncio.sleep(self._every)
