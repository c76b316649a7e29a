"""Which node leads: the singleton work (outage journal and notices) runs there only.

Every node runs a :class:`Leadership`. It keeps trying the lease; the node that
holds it leads until it fails to renew (its database link broke, or another
node ended its hung session), and every leader-only write carries the fencing
token it got, so a stale leader's write is refused by the database itself.
Per-call routing and failover stay on every node.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from continuity.errors import StoreError

log = logging.getLogger(__name__)

LeadershipSubscriber = Callable[[bool], Awaitable[None]]


class Lease(Protocol):
    async def try_acquire(self) -> int | None: ...
    async def renew(self, token: int) -> bool: ...
    async def release(self) -> None: ...


class Heartbeats(Protocol):
    async def heartbeat(self, node: str, sip_uri: str, started_at: dt.datetime) -> None: ...


class Leadership:
    def __init__(
        self,
        lease: Lease,
        heartbeats: Heartbeats,
        node: str,
        sip_uri: str,
        *,
        interval: float = 1.0,
    ) -> None:
        self._lease = lease
        self._heartbeats = heartbeats
        self.node = node
        self._sip_uri = sip_uri
        self.interval = interval
        self._started_at = dt.datetime.now(dt.UTC)
        #: The fencing token while this node leads, else None.
        self.token: int | None = None
        self._subscribers: list[LeadershipSubscriber] = []

    @property
    def leads(self) -> bool:
        return self.token is not None

    def subscribe(self, subscriber: LeadershipSubscriber) -> None:
        """``await subscriber(leads)`` whenever this node starts or stops leading."""
        self._subscribers.append(subscriber)

    async def step(self) -> None:
        """One round: heartbeat, then renew the lease or try to take it."""
        was = self.leads
        try:
            await self._heartbeats.heartbeat(self.node, self._sip_uri, self._started_at)
        except StoreError as exc:
            log.debug("node heartbeat failed: %s", exc)
        try:
            if self.token is not None:
                if not await self._lease.renew(self.token):
                    log.warning("node %s lost the leader lease", self.node)
                    self.token = None
            else:
                self.token = await self._lease.try_acquire()
        except StoreError as exc:
            if self.token is not None:
                log.warning("node %s stops leading: %s", self.node, exc)
            self.token = None
        if self.leads != was:
            if self.leads:
                log.warning("node %s leads now (fencing token %s)", self.node, self.token)
            for subscriber in self._subscribers:
                await subscriber(self.leads)

    async def run(self) -> None:
        try:
            while True:
                await self.step()
                await asyncio.sleep(self.interval)
        finally:
            self.token = None
            await self._lease.release()
