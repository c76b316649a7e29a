"""Keeps the in-memory routing snapshot current; survives PostgreSQL outages.

A change the state in use already holds is skipped; a change that names the
tracking numbers it changed, made right after the state in use, reloads those rows
only; any other reloads everything. The new snapshot is routed with at once.
Subscribers (the fallback dialplan, voicemail boxes, the disk mirror...) run apart
from the reloads, on the newest snapshot: a slow one never holds back the next
change, it sees the state of several changes at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol

from continuity.backoff import Backoff
from continuity.core.model import Snapshot, TrackingNumber
from continuity.errors import StoreError
from continuity.ports import ANYTHING, ChangeFeed, SnapshotSource, StateChange
from continuity.state_cache import StateCache

log = logging.getLogger(__name__)

Subscriber = Callable[[Snapshot], Awaitable[None]]


class NumberSource(Protocol):
    async def load_numbers(
        self, numbers: Sequence[str]
    ) -> tuple[int, Mapping[str, TrackingNumber | None]]:
        """The state version and each number's row now (``None``: it is gone)."""
        ...


class SnapshotService:
    """``current`` is what routing reads. It is replaced whole, never mutated.

    On start it loads from PostgreSQL, or from the local state cache when the
    database is down. Afterwards every change notification reloads it.
    """

    def __init__(
        self,
        source: SnapshotSource,
        feed: ChangeFeed,
        cache: StateCache,
        *,
        cache_retry: float = 1.0,
        numbers: NumberSource | None = None,
    ) -> None:
        self._source = source
        self._numbers = numbers
        self._fresh = asyncio.Event()
        self._first_mirror: asyncio.Task[None] | None = None
        self._feed = feed
        self._cache = cache
        self._subscribers: list[Subscriber] = []
        self.current = Snapshot()
        self.from_database = False
        #: The newest snapshot not yet in the state cache (its write failed).
        self._unsaved: Snapshot | None = None
        self._mirror_failed = asyncio.Event()
        self._cache_lock = asyncio.Lock()
        self._cache_retry = cache_retry

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def start(self) -> None:
        """Load the state and hand it to the subscribers; routing can start when this
        returns. The disk mirror is written meanwhile (:meth:`mirrored` waits for it):
        at 100,000 numbers it takes as long as the load itself."""
        if await self._reload(ANYTHING):
            self._first_mirror = asyncio.create_task(
                self._mirror(self.current), name="state-cache-first"
            )
            await self._notify(self.current)
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
        """Reload from PostgreSQL. On failure keep the current snapshot and return False.

        A snapshot that loaded is routed with at once, whatever happens next: a
        failed write of the state cache is logged and retried by :meth:`run`, a
        subscriber that fails is logged, and neither stops the others.
        """
        if not await self._reload(ANYTHING):
            return False
        await self._publish(self.current)
        return True

    async def _reload(self, change: StateChange) -> bool:
        """Make the state after ``change`` current; False if PostgreSQL could not be read.

        A change to named numbers made right after the current state is patched into
        it, when nothing else committed since; anything else loads everything."""
        try:
            snapshot = await self._patched(change)
            if snapshot is None:
                snapshot = await self._source.load_snapshot()
        except (StoreError, OSError, TimeoutError) as exc:
            log.warning(
                "could not reload routing state, keeping v%s: %s", self.current.version, exc
            )
            return False
        self.current = snapshot
        self.from_database = True
        log.info("routing state v%s loaded: %d numbers", snapshot.version, len(snapshot.numbers))
        return True

    def state_at(self, version: int) -> Snapshot | None:
        """The state in use, if it was read from PostgreSQL at ``version``."""
        current = self.current
        return current if self.from_database and current.version == version else None

    def _holds(self, change: StateChange) -> bool:
        """Whether the current state already holds ``change``: it was read from
        PostgreSQL at the version the change made, or later (versions are handed out
        in commit order, so a state read at V holds every change up to V)."""
        return (
            self.from_database
            and change.version is not None
            and change.version <= self.current.version
        )

    async def _patched(self, change: StateChange) -> Snapshot | None:
        """The current state with the rows ``change`` names read again, if that is the
        whole state at the change's version: the current state is the one just before
        it, and nothing else committed since (the rows are read at the same moment as
        the version). Otherwise ``None``: load everything."""
        if (
            self._numbers is None
            or change.numbers is None
            or change.version is None
            or not self.from_database
            or change.version != self.current.version + 1
        ):
            return None
        version, rows = await self._numbers.load_numbers(change.numbers)
        if version != change.version:
            return None  # more committed meanwhile: a line's or the account's, maybe
        numbers = dict(self.current.numbers)
        for number, row in rows.items():
            if row is None:
                numbers.pop(number, None)
            else:
                numbers[number] = row
        return dataclasses.replace(self.current, numbers=numbers, version=version)

    async def mirrored(self) -> None:
        """Wait until the state loaded by :meth:`start` is written to the disk mirror."""
        if self._first_mirror is not None:
            await self._first_mirror

    async def _publish(self, snapshot: Snapshot) -> None:
        await self._mirror(snapshot)
        await self._notify(snapshot)

    async def _notify(self, snapshot: Snapshot) -> None:
        for subscriber in self._subscribers:
            try:
                await subscriber(snapshot)
            except Exception:
                log.exception(
                    "%s failed on routing state v%s; calls still route with it",
                    getattr(subscriber, "__qualname__", subscriber),
                    snapshot.version,
                )

    async def _publish_newest(self) -> None:
        """Hand the newest snapshot to the mirror and the subscribers, one at a time."""
        while True:
            await self._fresh.wait()
            self._fresh.clear()
            await self._publish(self.current)

    async def _mirror(self, snapshot: Snapshot, *, retry: bool = False) -> None:
        """Write the state cache; on failure remember ``snapshot`` for :meth:`_keep_mirror`.

        Writes are serialized, so an older state never lands over a newer one; a
        retry is skipped once a newer state was written (or is the one to retry).
        """
        async with self._cache_lock:
            if retry and snapshot is not self._unsaved:
                return
            try:
                await asyncio.to_thread(self._cache.save, snapshot)
            except (OSError, ValueError) as exc:
                if self._unsaved is None:  # once per failure streak, not on every retry
                    log.error(
                        "could not write the routing state cache %s (%s): calls route from "
                        "memory; a restart while PostgreSQL is down would not find v%s. "
                        "Retrying; check the disk and permissions of state_dir",
                        self._cache.path,
                        exc,
                        snapshot.version,
                    )
                self._unsaved = snapshot
                self._mirror_failed.set()
                return
            if self._unsaved is not None:
                log.info(
                    "routing state cache %s written again (v%s)", self._cache.path, snapshot.version
                )
                self._unsaved = None

    async def _keep_mirror(self) -> None:
        """Retry a failed cache write with backoff until one succeeds."""
        while True:
            await self._mirror_failed.wait()
            self._mirror_failed.clear()
            backoff = Backoff(base=self._cache_retry, cap=60.0)
            while (unsaved := self._unsaved) is not None:
                await asyncio.sleep(backoff.next_delay())
                await self._mirror(unsaved, retry=True)

    async def run(self) -> None:
        """Reload on every change notification until cancelled; keep the cache written."""
        await self.mirrored()
        async with asyncio.TaskGroup() as tasks:
            mirror = tasks.create_task(self._keep_mirror(), name="state-cache")
            publish = tasks.create_task(self._publish_newest(), name="state-subscribers")
            async for change in self._feed.changes():
                if self._holds(change):
                    log.debug(
                        "v%s already holds %s@%s",
                        self.current.version,
                        change.table,
                        change.version,
                    )
                    continue
                backoff = Backoff(base=0.2, cap=5.0)
                while not await self._reload(change):
                    await asyncio.sleep(backoff.next_delay())
                    change = ANYTHING  # changes may have been missed meanwhile
                self._fresh.set()
            await self._drained()
            mirror.cancel()  # the feed ended: so does the retrying
            publish.cancel()

    async def _drained(self) -> None:
        """Wait until the newest snapshot was handed on (when the feed ends)."""
        while self._fresh.is_set():
            await asyncio.sleep(0.01)
