"""The fallback dialplan kept applied: a failed apply is logged once and retried with backoff.

The generated files are the route while the app is down, so an apply that
failed (AMI away, a value the renderer refuses) is not left for the next
change to fix: :meth:`DialplanRetry.run` applies the current state again,
backing off, until one succeeds. What Asterisk holds meanwhile is the last
apply that did (see :mod:`continuity.dialplan_sync`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from continuity.backoff import Backoff
from continuity.core.model import Snapshot

log = logging.getLogger(__name__)


class Sync(Protocol):
    """What :class:`continuity.dialplan_sync.DialplanSync` offers here."""

    async def apply(self, snapshot: Snapshot) -> bool: ...


class DialplanRetry:
    """``expected`` are the errors an apply may meet (AMI down, a rejected file): logged in
    one line. Anything else is logged with its traceback. Both are retried."""

    def __init__(
        self,
        sync: Sync,
        current: Callable[[], Snapshot],
        expected: tuple[type[Exception], ...],
        *,
        base: float = 1.0,
    ) -> None:
        self._sync = sync
        self._expected = expected
        self._current = current
        self._base = base
        self._stale = asyncio.Event()
        #: The last failure as logged; ``None`` while the last apply succeeded.
        self._failure: str | None = None

    async def apply(self, snapshot: Snapshot) -> None:
        """Apply ``snapshot``; never raises. A failure is logged once (until it changes)."""
        try:
            await self._sync.apply(snapshot)
        except Exception as exc:  # noqa: BLE001 - logged below (a traceback if unexpected)
            trace = not isinstance(exc, self._expected)
            failure = f"{type(exc).__name__}: {exc}" if trace else str(exc)
        else:
            if self._failure is not None:
                log.info("fallback dialplan applied again, for v%s", snapshot.version)
            self._failure = None
            self._stale.clear()
            return
        if failure != self._failure:
            log.error(
                "could not apply the fallback dialplan for v%s (retrying): %s",
                snapshot.version,
                failure,
                exc_info=trace,
            )
        self._failure = failure
        self._stale.set()

    async def run(self) -> None:
        """While the last apply failed, apply the current state again, with backoff."""
        while True:
            await self._stale.wait()
            backoff = Backoff(base=self._base, cap=60.0)
            while self._stale.is_set():
                await asyncio.sleep(backoff.next_delay())
                await self.apply(self._current())
