"""Asterisk's call trace, moved into the call records.

The generated dialplan appends one line per call (and per answered leg of
ours) to ``<asterisk spool>/continuity/call-trace.psv`` (format in
``continuity.core.call_trace``). Each round, the ingester renames the file
aside (Asterisk opens it afresh for every line, so the next line starts a new
file), waits for a line being written to finish, writes the records and only
then deletes the renamed file. A round that fails leaves the file for the next
one, and a file ingested twice changes nothing: records are keyed by the caller
channel's uniqueid.

A call this run ended has its own record: its lines are skipped. A call this run
still routes will have one, but its end may never reach the run (a call taken
over just as it ended): its file is kept, and read again each round, for
:data:`HELD_ROUNDS` rounds. Then the run catches up with Asterisk (which ends the
call and writes its own record); a call it still routes after that is recorded
from the trace, which its own record replaces if it ever comes. So no line of a
call is deleted before the call has a record (issue 18: a call taken over as it
ended had none).
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
from continuity.core.records import CallRecord, RoutedBy
from continuity.ports import CallsInFlight, CallTraceSink
from continuity.recorder import DB_ERRORS

log = logging.getLogger(__name__)

#: A leg's line can reach the file before its call's line (the leg of an interrupted
#: call hangs up when a new run releases it): it waits this many rounds for it.
LEG_ROUNDS = 30
#: Rounds a call line of a call this run still routes waits for the run's own record.
HELD_ROUNDS = 3


class CallTraceIngester:
    def __init__(
        self,
        path: Path,
        sink: CallTraceSink,
        calls: CallsInFlight,
        every: float = 2.0,
        settle: float = 0.3,
        observe: Callable[[CallRecord], None] | None = None,
    ) -> None:
        self._path = path
        self._sink = sink
        self._calls = calls
        #: Told of each record the trace gives a call this run sent to the dialplan to
        #: dial: it has no record of the app's (metrics, the call's log line).
        self._observe = observe
        self._lock = asyncio.Lock()
        self._every = every
        self._settle = settle
        #: Answered legs whose call has no record yet, and rounds left to wait.
        self._legs: dict[LegLanding, int] = {}
        #: Calls this run routes whose call line is read, and rounds left to wait.
        self._held: dict[str, int] = {}

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
        held: set[str] = set()
        for path in files:
            try:
                text = await asyncio.to_thread(path.read_text, "utf-8", "replace")
            except FileNotFoundError:
                continue  # another ingester took it
            trace = parse_trace(text)
            for line in trace.bad:
                log.error("call trace %s: unreadable line %r (skipped)", path, line)
            waiting, due = await self._waiting(trace.calls)
            calls = [r for r in trace.calls if r.path is not RoutedBy.INTERRUPTED
                     or r.call_id in due or self._unknown(r.call_id)]  # fmt: skip
            await self._sink.insert_traced_records(calls)
            await self._traced(calls)
            legs = [leg for leg in trace.legs if leg.call_id in due or self._unknown(leg.call_id)]
            await self._apply_legs(legs)
            if waiting:
                held |= waiting
            else:
                await asyncio.to_thread(path.unlink, True)
            written += len(calls)
        self._held = {call_id: self._held[call_id] for call_id in held}
        return written

    async def _traced(self, records: list[CallRecord]) -> None:
        """The calls the generated dialplan dialed for this run end with their trace."""
        dialed = {r.call_id: r for r in records if r.path is RoutedBy.DIALPLAN}
        if not dialed:
            return
        ended = await self._calls.traced(list(dialed))
        if self._observe is not None:
            for call_id in sorted(ended):
                self._observe(dialed[call_id])

    def _unknown(self, call_id: str) -> bool:
        """Neither routed nor ended by this run: the trace is all the record there is."""
        return not self._calls.ended(call_id) and not self._calls.routes(call_id)

    async def _waiting(self, records: tuple[CallRecord, ...]) -> tuple[set[str], set[str]]:
        """Of the calls this run still routes: those whose own record is still awaited,
        and those to record from the trace (waited long enough, and still routed once
        the run caught up with Asterisk)."""
        routed = [r.call_id for r in records
                  if r.path is RoutedBy.INTERRUPTED and self._calls.routes(r.call_id)]  # fmt: skip
        stuck = []
        for call_id in routed:
            self._held[call_id] = self._held.get(call_id, HELD_ROUNDS) - 1
            if self._held[call_id] <= 0:
                stuck.append(call_id)
        if stuck:
            await self._calls.ended_in_asterisk(stuck)
        due = {call_id for call_id in stuck if self._calls.routes(call_id)}
        for call_id in sorted(due):
            log.warning(
                "call %s: Asterisk ended it %d rounds ago and this run still routes it;"
                " recorded from Asterisk's trace",
                call_id,
                HELD_ROUNDS,
            )
        return {c for c in routed if c not in stuck}, due

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
