"""Which node leads: the singleton work (outage journal and notices) runs there only.

Every node runs a :class:`Leadership`. It keeps trying the lease; the node that
holds it leads until it fails to renew (its database link broke, or another
node ended its hung session), and every leader-only write carries the fencing
token it got, so a stale leader's write is refused by the database itself.
Per-call routing and failover stay on every node.

A node leads only while it can do the leader's work: outage detection needs
its own Asterisk's AMI (the trunk's qualify results). A leader that has been
unable to for ``grace`` seconds (its Asterisk died, the box's AMI is cut) gives
the lease up, and does not take it again until it can, so a node that can
watch the trunk leads instead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
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
        able: Callable[[], bool] = lambda: True,
        grace: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``able()``: whether this node can do the leader's work now; unable for
        ``grace`` seconds (default three intervals), it does not lead."""
        self._lease = lease
        self._able = able
        self.grace = 3 * interval if grace is None else grace
        self._clock = clock
        self._unable_since: float | None = None
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

    def _unfit(self) -> bool:
        """Unable to do the leader's work for ``grace`` seconds now."""
        if self._able():
            self._unable_since = None
            return False
        now = self._clock()
        if self._unable_since is None:
            self._unable_since = now
        return now - self._unable_since >= self.grace

    async def step(self) -> None:
        """One round: heartbeat, then renew the lease or try to take it."""
        was = self.leads
        try:
            await self._heartbeats.heartbeat(self.node, self._sip_uri, self._started_at)
        except StoreError as exc:
            log.debug("node heartbeat failed: %s", exc)
        try:
            if self._unfit():
                if self.token is not None:
                    log.warning(
                        "node %s gives up the lead: it cannot watch the primary trunk"
                        " (no AMI to its Asterisk for %g s)", self.node, self.grace,
                    )
                    self.token = None
                    await self._lease.release()
            elif self.token is not None:
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
