"""Outage records and the notices they produce: plain data, no I/O."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from continuity.core.outage import OverrideState
from continuity.core.outage_summary import OutageSummary


class NoticeEvent(enum.StrEnum):
    STARTED = "started"
    RESOLVED = "resolved"


class Channel(enum.StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class OutageRecord:
    id: str
    trunk: str
    started_at: dt.datetime
    start_cause: str
    failover: bool
    resolved_at: dt.datetime | None = None
    resolve_cause: str | None = None

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    def duration(self, now: dt.datetime) -> float:
        return ((self.resolved_at or now) - self.started_at).total_seconds()


@dataclass(frozen=True, slots=True)
class OverrideRecord:
    """The operator's override as stored; ``state`` ``None`` means "follow detection"."""

    state: OverrideState | None
    set_by: str
    reason: str
    set_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Notice:
    """One message about one outage event, for one channel."""

    outage_id: str
    event: NoticeEvent
    channel: Channel
    payload: dict[str, Any]

    @property
    def idempotency_key(self) -> str:
        """The same for every retry: receivers drop what they have already seen."""
        return idempotency_key(self.outage_id, self.event)


@dataclass(frozen=True, slots=True)
class PendingNotice:
    id: int
    notice: Notice
    attempts: int


def idempotency_key(outage_id: str, event: NoticeEvent) -> str:
    return f"outage-{outage_id}-{event.value}"


def notice_payload(
    outage: OutageRecord, event: NoticeEvent, summary: OutageSummary | None = None
) -> dict[str, Any]:
    """What the webhook receives (and the e-mail says), built once and stored.

    The "resolved" notice carries the outage's summary (calls failed over, where they
    landed, how many reached voicemail) when one is given."""
    resolved = event is NoticeEvent.RESOLVED
    if resolved and outage.resolved_at is None:
        raise ValueError(f"outage {outage.id} is not resolved")
    end = outage.resolved_at
    return {
        "event": f"outage.{event.value}",
        "idempotency_key": idempotency_key(outage.id, event),
        "outage_id": outage.id,
        "trunk": outage.trunk,
        "at": (end if end and resolved else outage.started_at).isoformat(),
        "cause": outage.resolve_cause if resolved else outage.start_cause,
        "failover": outage.failover,
        "started_at": outage.started_at.isoformat(),
        "resolved_at": end.isoformat() if end else None,
        "duration_seconds": round(outage.duration(end), 3) if end else None,
        **({"summary": summary.to_json()} if summary is not None and resolved else {}),
    }


def notices_for(
    outage: OutageRecord,
    event: NoticeEvent,
    channels: tuple[Channel, ...],
    summary: OutageSummary | None = None,
) -> list[Notice]:
    payload = notice_payload(outage, event, summary)
    return [Notice(outage.id, event, channel, payload) for channel in channels]
