"""Keeps the in-memory routing snapshot current; survives PostgreSQL outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import psycopg

from continuity.backoff import Backoff
from continuity.core.model import Snapshot
from continuity.ports import ChangeFeed, SnapshotSource
from continuity.state_cache import StateCache

log = logging.getLogger(__name__)

Subscriber = Callable[[Snapshot], Awaitable[None]]


class SnapshotService:
    """``current`` is what routing reads. It is replaced whole, never mutated.

    On start it loads from PostgreSQL, or from the local state cache when the
    database is down. Afterwards every change notification reloads it.
    """

    def __init__(self, source: SnapshotSource, feed: ChangeFeed, cache: StateCache) -> None:
        self._source = source
        self._feed = feed
        self._cache = cache
        self._subscribers: list[Subscriber] = []
        self.current = Snapshot()
        self.from_database = False

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def start(self) -> None:
        if await self.refresh():
            return
        cached = self._cache.load()
        if cached is not None:
            log.warning(
                "PostgreSQL is down: routing from the last known state (v%s)", cached.version
            )
            self.current = cached
        else:
            log.error("PostgreSQL is down and there is no cached state: every number is unknown")

    async def refresh(self) -> bool:
        """Reload from PostgreSQL. On failure keep the current snapshot and return False."""
        try:
            snapshot = await self._source.load_snapshot()
        except (psycopg.Error, OSError, TimeoutError) as exc:
            log.warning(
                "could not reload routing state, keeping v%s: %s", self.current.version, exc
            )
            return False
        self.current = snapshot
        self.from_database = True
        self._cache.save(snapshot)
        log.info("routing state v%s loaded: %d numbers", snapshot.version, len(snapshot.numbers))
        for subscriber in self._subscribers:
            await subscriber(snapshot)
        return True

    async def run(self) -> None:
        """Reload on every change notification until cancelled."""
        async for table in self._feed.changes():
            log.debug("change notified on %s", table)
            backoff = Backoff(base=0.2, cap=5.0)
            while not await self.refresh():
                await asyncio.sleep(backoff.next_delay())
