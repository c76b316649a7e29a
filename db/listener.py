"""LISTEN/NOTIFY change feed with reconnection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import psycopg

from continuity.backoff import Backoff
from continuity.ports import ANYTHING, StateChange

log = logging.getLogger(__name__)

CHANNEL = "continuity_changed"


class ChangeListener:
    """Yields a :class:`StateChange` per notification, and ``ANYTHING`` after each
    (re)connect."""

    def __init__(self, conninfo: str, backoff: Backoff | None = None) -> None:
        self._conninfo = conninfo
        self._backoff = backoff or Backoff(base=0.2, cap=5.0)

    async def changes(self) -> AsyncIterator[StateChange]:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, connect_timeout=5
                ) as conn:
                    await conn.execute("LISTEN continuity_changed")
                    log.info("listening for routing changes")
                    self._backoff.reset()
                    yield ANYTHING
                    while True:
                        async for notify in conn.notifies(timeout=0):
                            yield parse_change(notify.payload)
                        await _readable(conn.fileno())
            except (psycopg.Error, OSError) as exc:
                delay = self._backoff.next_delay()
                log.warning("change listener lost PostgreSQL (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)


async def _readable(fd: int) -> None:
    """Until ``fd`` has something to read: a notification, or the server going away.

    ``notifies()`` without a timeout wakes the event loop every 0.1 s to look for an
    interrupt (psycopg's wait interval); idle, that was 10 of the app's wake-ups a
    second (issue 13). Waiting here costs none until PostgreSQL writes."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


def parse_change(payload: str) -> StateChange:
    """A notification's payload (migrations 0001, 0012, 0013): ``table``,
    ``table:+1...,+1...``, ``table@57`` or ``table@57:+1...,+1...``; only
    ``tracking_numbers`` names numbers. Anything unreadable is "anything changed"."""
    head, _, named = payload.partition(":")
    table, _, made = head.partition("@")
    version = int(made) if made.isdigit() else None
    if not table or (made and version is None):
        return ANYTHING
    numbers = tuple(named.split(",")) if named and table == "tracking_numbers" else None
    return StateChange(table, version, numbers)
