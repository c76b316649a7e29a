"""What an outage did to calls: the figures an owner asks for the morning after. Pure.

A call *failed over* when it started inside the outage's window and went to
its continuity chain because of the primary: it skipped a primary known to be
down (reason ``outage``), or the primary failed it and it moved on. Calls
that skipped the primary anyway (continuity mode, a test) are not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: Where a call that failed over but reached nobody is counted.
UNANSWERED = "unanswered"
VOICEMAIL_KIND = "voicemail"


@dataclass(frozen=True, slots=True)
class Landing:
    """Calls that ended at one destination (``kind:target``), or ``unanswered``."""

    destination: str
    calls: int


@dataclass(frozen=True, slots=True)
class OutageSummary:
    started_at: dt.datetime
    resolved_at: dt.datetime | None
    failed_over: int
    voicemail: int
    landed: tuple[Landing, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "failed_over_calls": self.failed_over,
            "voicemail_calls": self.voicemail,
            "landed_by_destination": {lnd.destination: lnd.calls for lnd in self.landed},
        }

    def describe(self) -> str:
        """``3 calls failed over (external:+1… 2, voicemail:sales 1); 1 reached voicemail``."""
        noun = "call" if self.failed_over == 1 else "calls"
        where = ", ".join(f"{lnd.destination} {lnd.calls}" for lnd in self.landed)
        text = f"{self.failed_over} {noun} failed over"
        if where:
            text += f" ({where})"
        return f"{text}; {self.voicemail} reached voicemail"


def summarize(
    started_at: dt.datetime,
    resolved_at: dt.datetime | None,
    counts: Iterable[tuple[str | None, str | None, int]],
) -> OutageSummary:
    """From (answered kind, answered target, calls) of the calls that failed over."""
    by_destination: dict[str, int] = {}
    voicemail = 0
    for kind, target, calls in counts:
        where = f"{kind}:{target}" if kind else UNANSWERED
        by_destination[where] = by_destination.get(where, 0) + calls
        if kind == VOICEMAIL_KIND:
            voicemail += calls
    landed = tuple(
        Landing(d, n)
        for d, n in sorted(by_destination.items(), key=lambda item: (-item[1], item[0]))
    )
    return OutageSummary(started_at, resolved_at, sum(by_destination.values()), voicemail, landed)
