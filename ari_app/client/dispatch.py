"""Ordered per-key dispatch of ARI events.

Events with the same key are handled one at a time, in arrival order;
different keys run concurrently, so a slow handler for one channel never
delays another channel. Each key gets a worker task only while it has
queued events; an idle worker exits and its queue is dropped, so memory
tracks the number of busy keys, not the number of channels ever seen.
Queues are unbounded on purpose: the WebSocket reader never waits for a
handler, so a stuck handler cannot stall the event stream or its pings.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable

from continuity.ari_app.client.errors import AriError
from continuity.ari_app.client.events import AriEvent

logger = logging.getLogger(__name__)

Handler = Callable[[AriEvent], Awaitable[None]]
#: Maps an event to its ordering key; ``None`` is the shared key for events
#: that concern no channel (they are ordered among themselves).
KeyFn = Callable[[AriEvent], Hashable]


def channel_key(event: AriEvent) -> Hashable:
    """Default key: the channel the event is about (``None`` if none)."""
    return event.channel_id


class KeyedDispatcher:
    """Runs ``handler`` for each submitted event, ordered per ``key(event)``."""

    def __init__(self, handler: Handler, key: KeyFn = channel_key) -> None:
        self._handler = handler
        self._key = key
        self._queues: dict[Hashable, deque[AriEvent]] = {}
        self._workers: dict[Hashable, asyncio.Task[None]] = {}
        self._closed = False

    def __repr__(self) -> str:
        return f"KeyedDispatcher(active_keys={len(self._workers)}, closed={self._closed})"

    @property
    def active_keys(self) -> int:
        """Keys that currently have a worker (queued or running events)."""
        return len(self._workers)

    @property
    def pending(self) -> int:
        """Events queued and not yet started."""
        return sum(len(q) for q in self._queues.values())

    def submit(self, event: AriEvent) -> None:
        """Queue ``event`` behind earlier events with the same key; never blocks
        (the ``EventStream`` sink: it runs in the callback that read the frame)."""
        if self._closed:
            raise AriError(f"dispatcher is closed; dropped {event.type} event")
        key = self._key(event)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
        queue.append(event)
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(
                self._work(key, queue), name=f"ari-dispatch:{key}"
            )

    async def _work(self, key: Hashable, queue: deque[AriEvent]) -> None:
        try:
            while queue:
                event = queue.popleft()
                try:
                    await self._handler(event)
                except Exception:
                    logger.exception(
                        "Handler failed on %s event for key %s; continuing", event.type, key
                    )
        finally:
            # No await between the last empty check and here, so no event
            # can slip into this queue after the worker decided to stop.
            self._workers.pop(key, None)
            dropped = self._queues.pop(key, queue)
            if dropped:
                logger.warning("Dropped %d queued event(s) for key %s", len(dropped), key)

    async def drain(self) -> None:
        """Wait until every queued event has been handled (new ones included)."""
        while self._workers:
            await asyncio.wait(list(self._workers.values()))

    async def close(self) -> None:
        """Refuse new events, cancel running handlers and wait for them to stop."""
        self._closed = True
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        if workers:
            await asyncio.wait(workers)
