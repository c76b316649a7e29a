"""What `continuity status` and `continuity outage status` say about the primary trunk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from continuity.core.model import TrunkHealth
from continuity.core.notices import OutageRecord, OverrideRecord
from continuity.core.outage import OverrideState
from db.outages import OutageStore


@dataclass(frozen=True, slots=True)
class TrunkReport:
    override: OverrideRecord | None
    outage: OutageRecord | None
    undelivered: int
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

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
            },
            "undelivered_notices": self.undelivered,
        }


async def trunk_report(store: OutageStore, trunk: str) -> TrunkReport:
    open_outages = await store.open_outages(trunk)
    return TrunkReport(
        await store.override(),
        open_outages[0] if open_outages else None,
        await store.undelivered_count(),
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"
