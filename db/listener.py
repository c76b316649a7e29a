"""LISTEN/NOTIFY change feed with reconnection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import psycopg

from continuity.backoff import Backoff

log = logging.getLogger(__name__)

CHANNEL = "continuity_changed"


class ChangeListener:
    """Yields a table name per notification, and ``"*"`` after each (re)connect."""

    def __init__(self, conninfo: str, backoff: Backoff | None = None) -> None:
        self._conninfo = conninfo
        self._backoff = backoff or Backoff(base=0.2, cap=5.0)

    async def changes(self) -> AsyncIterator[str]:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, connect_timeout=5
                ) as conn:
                    await conn.execute("LISTEN continuity_changed")
                    log.info("listening for routing changes")
                    self._backoff.reset()
                    yield "*"
                    async for notify in conn.notifies():
                        yield notify.payload
            except (psycopg.Error, OSError) as exc:
                delay = self._backoff.next_delay()
                log.warning("change listener lost PostgreSQL (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
