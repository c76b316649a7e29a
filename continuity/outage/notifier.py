"""Delivers the outbox: each queued notice is retried with backoff until its channel takes it.

Notices of one channel go out in the order they were queued, so a receiver
never sees an outage resolved before it saw it start. A crash between the
send and its ``delivered`` mark sends that notice again: delivery is at least
once, and the unchanged idempotency key lets the receiver drop the repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from continuity.backoff import Backoff
from continuity.core.notices import Channel, Notice, PendingNotice
from continuity.errors import StoreError
from continuity.outage.errors import DeliveryFailed

log = logging.getLogger(__name__)


class Sender(Protocol):
    async def send(self, notice: Notice) -> None:
        """Deliver or raise :class:`DeliveryFailed`."""
        ...


class Outbox(Protocol):
    async def pending_notices(self) -> list[PendingNotice]: ...
    async def notice_delivered(self, notice_id: int) -> None: ...
    async def notice_failed(self, notice_id: int, error: str) -> None: ...


class Notifier:
    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[Channel, Sender],
        *,
        poll: float = 30.0,
        retry_base: float = 0.5,
        retry_cap: float = 300.0,
        leads: Callable[[], bool] = lambda: True,
    ) -> None:
        self._outbox = outbox
        self._senders = dict(senders)
        self._poll = poll
        self._retry_base = retry_base
        self._retry_cap = retry_cap
        #: Only the leading node delivers, so a notice goes out once across the nodes.
        self._leads = leads
        self._wake = asyncio.Event()
        #: notice id -> (its backoff, monotonic time of its next attempt)
        self._retry: dict[int, tuple[Backoff, float]] = {}

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(self._senders)

    def wake(self) -> None:
        self._wake.set()

    async def deliver_due(self) -> float:
        """Try every notice that is due; return seconds until the next one is."""
        now = time.monotonic()
        wait = self._poll
        for pending in await self._outbox.pending_notices():
            backoff, due = self._retry.get(pending.id, (None, now))
            if due > now:
                wait = min(wait, due - now)
                continue
            sender = self._senders.get(pending.notice.channel)
            if sender is None:
                continue  # a channel configured once but not any more: kept for the record
            try:
                await sender.send(pending.notice)
            except Exception as exc:
                if not isinstance(exc, DeliveryFailed):  # a bug, not the channel: say where
                    log.exception("%s sender failed", pending.notice.channel.value)
                backoff = backoff or Backoff(base=self._retry_base, cap=self._retry_cap)
                delay = backoff.next_delay()
                self._retry[pending.id] = (backoff, time.monotonic() + delay)
                log.warning(
                    "%s notice %s (attempt %d) failed: %s; retry in %.1fs",
                    pending.notice.channel.value,
                    pending.notice.idempotency_key,
                    pending.attempts + 1,
                    exc,
                    delay,
                )
                await self._outbox.notice_failed(pending.id, str(exc))
                wait = min(wait, delay)
                continue
            self._retry.pop(pending.id, None)
            await self._outbox.notice_delivered(pending.id)
            log.info(
                "%s notice %s delivered",
                pending.notice.channel.value,
                pending.notice.idempotency_key,
            )
            wait = 0  # the channel's next notice may be waiting
        return wait

    async def run(self) -> None:
        backoff = Backoff(base=0.5, cap=10.0)
        while True:
            self._wake.clear()
            if not self._leads():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=1.0)
                continue
            try:
                wait = await self.deliver_due()
                backoff.reset()
            except (StoreError, OSError) as exc:
                wait = backoff.next_delay()
                log.warning("outage notices wait for PostgreSQL (%s); retry in %.1fs", exc, wait)
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
