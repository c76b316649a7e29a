"""Background workers that fail alone: a failure is logged, the worker restarts, calls route on.

Each worker of ``continuity serve`` (following routing-state changes, flushing
call records, watching the trunk, sending notices...) runs under
:func:`supervise`. Whatever it raises, short of cancellation, is logged with
the worker's name, the traceback the first time a failure is seen and one line
for each repeat, and the worker is started again after a jittered backoff.
Nothing a worker raises reaches the task group that also holds the ARI app and
the FastAGI server.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from continuity.backoff import Backoff

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]


async def supervise(
    name: str,
    work: Work,
    *,
    base: float = 0.5,
    cap: float = 30.0,
    healthy_after: float = 60.0,
) -> None:
    """Run ``await work()`` until it returns; restart it after any failure.

    A run that lasted ``healthy_after`` seconds before failing starts the
    backoff over. Cancellation is never caught: it ends the worker.
    """
    backoff = Backoff(base=base, cap=cap)
    last: tuple[type[BaseException], str] | None = None
    while True:
        started = time.monotonic()
        try:
            await work()
        except Exception as exc:
            if time.monotonic() - started >= healthy_after:
                backoff.reset()
                last = None
            delay = backoff.next_delay()
            seen = (type(exc), str(exc))
            if seen != last:
                log.exception("%s failed; calls still route; restarting it in %.1fs", name, delay)
            else:
                log.error(
                    "%s failed again (%s: %s); restarting it in %.1fs",
                    name,
                    type(exc).__name__,
                    exc,
                    delay,
                )
            last = seen
            await asyncio.sleep(delay)
            continue
        log.debug("%s finished", name)
        return
