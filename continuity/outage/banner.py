"""What `continuity status` and `continuity outage status` say about the primary trunk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from continuity.core.model import TrunkHealth
from continuity.core.notices import OutageRecord, OverrideRecord
from continuity.core.outage import OverrideState
from continuity.core.outage_summary import OutageSummary


class TrunkJournal(Protocol):
    """What the report reads of the outage journal."""

    async def open_outages(self, trunk: str) -> list[OutageRecord]: ...
    async def last_resolved(self, trunk: str) -> OutageRecord | None: ...
    async def override(self) -> OverrideRecord | None: ...
    async def undelivered_count(self) -> int: ...


class OutageSummaries(Protocol):
    async def summary(self, outage: OutageRecord) -> OutageSummary: ...


@dataclass(frozen=True, slots=True)
class TrunkReport:
    override: OverrideRecord | None
    outage: OutageRecord | None
    undelivered: int
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    #: The last resolved outage, when none is open.
    last: OutageRecord | None = None
    #: The summary of the open outage (so far), else of the last one.
    summary: OutageSummary | None = None

    @property
    def health(self) -> TrunkHealth:
        """What routing does right now, as far as the journal tells."""
        if self.override is not None and self.override.state is not None:
            return TrunkHealth(primary_down=self.override.state is OverrideState.DOWN)
        return TrunkHealth(primary_down=self.outage is not None and self.outage.failover)

    def lines(self) -> list[str]:
        found: list[str] = []
        if self.outage is not None:
            since = self.outage.started_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            found.append(
                f"PRIMARY TRUNK OUTAGE since {since} ({_duration(self.outage.duration(self.now))}):"
                f" {self.outage.start_cause}"
            )
            if self.health.primary_down:
                found.append("  calls skip the primary and go to their continuity destinations")
            else:
                found.append(
                    "  calls still try the primary; `continuity outage declare` fails over"
                )
            if self.summary is not None:
                found.append(f"  so far: {self.summary.describe()}")
        elif self.last is not None and self.last.resolved_at is not None:
            line = (
                f"last outage: {_when(self.last.started_at)} to {_when(self.last.resolved_at)}"
                f" ({_duration(self.last.duration(self.now))})"
            )
            if self.summary is not None:
                line += f": {self.summary.describe()}"
            found.append(line)
        override = self.override
        if override is not None and override.state is not None:
            what = "declared DOWN" if override.state is OverrideState.DOWN else "forced UP"
            at = override.set_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            reason = f" ({override.reason})" if override.reason else ""
            found.append(
                f"MANUAL OVERRIDE: primary {what} by {override.set_by} at {at}{reason};"
                " `continuity outage auto` hands back to detection"
            )
        if self.undelivered:
            found.append(f"{self.undelivered} outage notice(s) not delivered yet (retrying)")
        return found

    def to_json(self) -> dict[str, Any]:
        override = self.override
        return {
            "primary_down": self.health.primary_down,
            "override": override.state.value if override and override.state else None,
            "override_by": override.set_by if override and override.state else None,
            "outage": None
            if self.outage is None
            else {
                "id": self.outage.id,
                "started_at": self.outage.started_at.isoformat(),
                "cause": self.outage.start_cause,
                "failover": self.outage.failover,
                "summary": self.summary.to_json() if self.summary else None,
            },
            "last_outage": None
            if self.outage is not None or self.last is None
            else {
                "id": self.last.id,
                "started_at": self.last.started_at.isoformat(),
                "resolved_at": self.last.resolved_at.isoformat() if self.last.resolved_at else None,
                "cause": self.last.start_cause,
                "resolve_cause": self.last.resolve_cause,
                "summary": self.summary.to_json() if self.summary else None,
            },
            "undelivered_notices": self.undelivered,
        }


async def trunk_report(
    store: TrunkJournal, trunk: str, summaries: OutageSummaries | None = None
) -> TrunkReport:
    """The trunk's state; with ``summaries``, the open (else last) outage's call figures."""
    open_outages = await store.open_outages(trunk)
    outage = open_outages[0] if open_outages else None
    last = await store.last_resolved(trunk) if outage is None else None
    summed = outage or last
    return TrunkReport(
        await store.override(),
        outage,
        await store.undelivered_count(),
        last=last,
        summary=await summaries.summary(summed) if summaries and summed else None,
    )


def _when(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"
