"""Ends timed failover tests: when a test's end time passes, write its stop, once.

Routing already ignores an expired test (the core judges end times with the
clock), so this only brings the stored state, the audit log and the
generated dialplan in line. It sleeps until the next end time, and wakes
early when the routing state changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from typing import Protocol

from continuity.backoff import Backoff
from continuity.core.model import Snapshot
from continuity.core.testmode import TimedTest, expired_tests, next_test_end
from continuity.errors import StoreError

log = logging.getLogger(__name__)

#: Seconds between looks when no test has an end time (changes wake it sooner).
IDLE_WAIT = 60.0


class ExpiryStore(Protocol):
    async def stop_expired(self, test: TimedTest, now: dt.datetime) -> bool: ...


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TimedTestEnds:
    def __init__(
        self,
        snapshot: Callable[[], Snapshot],
        store: ExpiryStore,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._snapshot = snapshot
        self._store = store
        self._clock = clock
        self._wake = asyncio.Event()
        #: Stops already written (or found written) by this process.
        self._done: set[TimedTest] = set()

    async def changed(self, _snapshot: Snapshot) -> None:
        """Subscribed to routing-state changes: a new test may end sooner."""
        self._wake.set()

    async def stop_due(self) -> float:
        """Write the stop of every expired test; return seconds until the next end time."""
        now = self._clock()
        snapshot = self._snapshot()
        for test in expired_tests(snapshot, now):
            if test in self._done:
                continue
            if await self._store.stop_expired(test, now):
                log.warning(
                    "failover test of %s %s ended at its end time %s",
                    test.kind.value,
                    test.subject,
                    test.until.isoformat(),
                )
            self._done.add(test)
        following = next_test_end(snapshot, now)
        if following is None:
            return IDLE_WAIT
        return min(IDLE_WAIT, max((following - now).total_seconds(), 0.0))

    async def run(self) -> None:
        backoff = Backoff(base=0.5, cap=10.0)
        while True:
            self._wake.clear()
            try:
                wait = await self.stop_due()
                backoff.reset()
            except (StoreError, OSError) as exc:
                wait = backoff.next_delay()
                log.warning(
                    "ending timed tests waits for PostgreSQL (%s); retry in %.1fs", exc, wait
                )
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
