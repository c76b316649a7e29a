"""The outage monitor: feeds health samples and overrides to the detector, journals outages.

Routing reads :attr:`OutageMonitor.health` on every call. Outage events are
journalled in order (outage row plus its notices, one transaction each),
retried with backoff while PostgreSQL is away; the notifier is woken after
each write.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Protocol

from continuity.backoff import Backoff
from continuity.core.model import Snapshot, TrunkHealth
from continuity.core.notices import Channel, Notice, NoticeEvent, OutageRecord, OverrideRecord
from continuity.core.notices import notices_for as build_notices
from continuity.core.outage import (
    DetectorState,
    OutageEvent,
    OutagePolicy,
    OutageStarted,
    Override,
    Sample,
    Transition,
    observe,
    resume,
    set_override,
    take_lead,
)
from continuity.core.outage_summary import OutageSummary
from continuity.errors import NotLeader, StoreError

log = logging.getLogger(__name__)

HealthSubscriber = Callable[[TrunkHealth], Awaitable[None]]


class SummarySource(Protocol):
    async def summary(self, outage: OutageRecord) -> OutageSummary: ...


class OutageJournal(Protocol):
    async def start_outage(
        self, outage: OutageRecord, notices: Sequence[Notice], fence: int | None = None
    ) -> None: ...
    async def resolve_outage(
        self, outage: OutageRecord, notices: Sequence[Notice], fence: int | None = None
    ) -> None: ...
    async def open_outages(self, trunk: str) -> list[OutageRecord]: ...
    async def override(self) -> OverrideRecord | None: ...


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class OutageMonitor:
    def __init__(
        self,
        policy: OutagePolicy,
        journal: OutageJournal,
        trunk: str,
        channels: tuple[Channel, ...],
        *,
        on_journalled: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        summaries: SummarySource | None = None,
        fence: Callable[[], int | None] | None = None,
    ) -> None:
        self.policy = policy
        self.trunk = trunk
        self._journal = journal
        self._channels = channels
        self._on_journalled = on_journalled
        self._clock = clock
        #: Where the "resolved" notice's totals come from (the call records); none: no totals.
        self._summaries = summaries
        #: The leader's fencing token, None while another node leads; None itself: one
        #: node, which always journals.
        self._fence = fence
        self.state = DetectorState()
        #: The open outage, as journalled (or about to be).
        self.outage: OutageRecord | None = None
        self._pending: asyncio.Queue[tuple[OutageRecord, NoticeEvent, int | None]] = asyncio.Queue()
        self._override_seen: OverrideRecord | None = None
        self._subscribers: list[HealthSubscriber] = []
        self._health_changed = asyncio.Event()

    def subscribe(self, subscriber: HealthSubscriber) -> None:
        """``await subscriber(health)`` after routing's view of the trunk changed
        (e.g. to re-render the fallback dialplan without the primary)."""
        self._subscribers.append(subscriber)

    @property
    def health(self) -> TrunkHealth:
        return TrunkHealth(primary_down=self.state.failover(self.policy))

    async def start(self) -> None:
        """Pick up an outage left open by a previous run, and the current override."""
        try:
            open_outages = await self._journal.open_outages(self.trunk)
            override = await self._journal.override()
        except (StoreError, OSError) as exc:
            log.warning("outage journal unavailable at start (%s): assuming no outage", exc)
            return
        if open_outages:
            self.outage = open_outages[0]
            log.warning("outage %s of %s is still open", self.outage.id, self.trunk)
        self.state = resume(bool(open_outages), None, self._clock())
        self._apply_override(override)

    async def override_changed(self, _snapshot: Snapshot | None = None) -> None:
        """Re-read the override; subscribed to routing-state changes (LISTEN/NOTIFY)."""
        try:
            record = await self._journal.override()
        except (StoreError, OSError) as exc:
            log.warning("could not read the outage override (%s); keeping the last one", exc)
            return
        self._apply_override(record)

    def _apply_override(self, record: OverrideRecord | None) -> None:
        if record == self._override_seen:
            return
        self._override_seen = record
        override = None
        if record is not None and record.state is not None:
            override = Override(record.state, record.set_by, record.reason)
        by = record.set_by if record else "an operator"
        self._apply(set_override(self.state, override, self._clock(), self.policy, by))

    async def leadership_changed(self, leads: bool) -> None:
        """This node started leading: adopt the journal's open outage, then reconcile."""
        if not leads:
            return
        try:
            open_outages = await self._journal.open_outages(self.trunk)
        except (StoreError, OSError) as exc:
            log.warning("outage journal unavailable on taking the lead (%s)", exc)
            return
        self.outage = open_outages[0] if open_outages else None
        self._apply(take_lead(self.state, bool(open_outages), self._clock(), self.policy))

    def _stamp(self) -> int | None:
        return None if self._fence is None else self._fence()

    def _leads(self, stamp: int | None) -> bool:
        return self._fence is None or (stamp is not None and stamp == self._fence())

    def observe(self, sample: Sample) -> None:
        self._apply(observe(self.state, sample, self.policy))

    def _apply(self, transition: Transition) -> None:
        before = self.health
        self.state = transition.state
        for event in transition.events:
            self._record(event)
        if self.health != before:
            self._health_changed.set()
            log.warning(
                "calls %s the primary trunk %s",
                "now skip" if self.health.primary_down else "go to",
                self.trunk,
            )

    def _record(self, event: OutageEvent) -> None:
        now = _now()
        if isinstance(event, OutageStarted):
            self.outage = OutageRecord(
                str(uuid.uuid4()), self.trunk, now, event.cause, event.failover
            )
            log.warning("OUTAGE of %s started: %s", self.trunk, event.cause)
            self._pending.put_nowait((self.outage, NoticeEvent.STARTED, self._stamp()))
            return
        if self.outage is None:  # resolved before the start was known: nothing to close
            log.error("outage of %s resolved, but no open outage was known", self.trunk)
            return
        resolved = OutageRecord(
            self.outage.id,
            self.outage.trunk,
            self.outage.started_at,
            self.outage.start_cause,
            self.outage.failover,
            now,
            event.cause,
        )
        log.warning(
            "outage of %s resolved after %.1f s: %s",
            self.trunk,
            resolved.duration(now),
            event.cause,
        )
        self.outage = None
        self._pending.put_nowait((resolved, NoticeEvent.RESOLVED, self._stamp()))

    async def run(self, samples: AsyncIterator[Sample]) -> None:
        """Consume samples and journal what they cause, until cancelled."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._journal_events(), name="outage-journal")
            tasks.create_task(self._publish_health(), name="outage-health")
            async for sample in samples:
                self.observe(sample)

    async def _publish_health(self) -> None:
        while True:
            await self._health_changed.wait()
            self._health_changed.clear()
            for subscriber in self._subscribers:
                try:
                    await subscriber(self.health)
                except Exception:
                    log.exception(
                        "%s failed on the trunk's new health; routing uses it all the same",
                        getattr(subscriber, "__qualname__", subscriber),
                    )

    async def _journal_events(self) -> None:
        while True:
            outage, event, stamp = await self._pending.get()
            if not self._leads(stamp):
                log.info("outage %s %s: journalled by the leading node", outage.id, event.value)
                continue
            backoff = Backoff(base=0.5, cap=10.0)
            while True:
                try:
                    if event is NoticeEvent.STARTED:
                        notices = build_notices(outage, event, self._channels)
                        await self._journal.start_outage(outage, notices, stamp)
                    else:
                        summary = None
                        if self._summaries is not None:
                            summary = await self._summaries.summary(outage)
                        notices = build_notices(outage, event, self._channels, summary)
                        await self._journal.resolve_outage(outage, notices, stamp)
                    break
                except NotLeader as exc:
                    log.warning("outage %s %s not journalled: %s", outage.id, event.value, exc)
                    break
                except (StoreError, OSError) as exc:
                    delay = backoff.next_delay()
                    log.warning(
                        "outage %s %s waits for PostgreSQL (%s); retry in %.1fs",
                        outage.id,
                        event.value,
                        exc,
                        delay,
                    )
                    await asyncio.sleep(delay)
            self._on_journalled()
