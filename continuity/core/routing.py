"""The routing decision: a pure function of plain data, returning an ordered chain.

The chain for one call is:
1. the primary trunk, unless continuity mode is on, the line or the number is
   in failover test mode (until the test's end time, judged at ``now``), or
   the primary is known to be down;
2. the continuity destination (a PSTN number, a voice agent or a SIP endpoint),
   out of the line's business hours its after-hours one;
3. the line's failover voicemail, which always comes last.

Each continuity step carries its redirecting identity and caller ID
(:mod:`continuity.core.redirecting`), so every executor sends the same.

The primary hands the call on only for the configured failure causes; a
continuity destination hands it on for any failure, so a call never dead-ends
while a mailbox is there to take it.
"""

from __future__ import annotations

import datetime as dt
import enum

from continuity.core.causes import failover_causes
from continuity.core.model import (
    Destination,
    DestinationKind,
    Line,
    LineKind,
    Snapshot,
    TrackingNumber,
    TrunkHealth,
)
from continuity.core.redirecting import Redirect, redirect
from continuity.core.testmode import test_applies
from continuity.core.value import value


class PlanReason(enum.StrEnum):
    """Why the chain starts where it does; recorded with every call."""

    NORMAL = "normal"
    CONTINUITY = "continuity"
    OUTAGE = "outage"
    TEST_MODE = "test_mode"
    UNKNOWN_NUMBER = "unknown_number"


@value
class RouteStep:
    destination: Destination
    #: Seconds to ring before moving on; ``None`` uses the service default.
    timeout: int | None = None
    #: Q.850 causes that move the call on; ``None`` means any failure does.
    moves_on: frozenset[int] | None = None
    #: A continuity leg's redirecting identity and caller ID; ``None`` for the
    #: primary and voicemail, which keep the call as it came.
    redirect: Redirect | None = None

    def hands_on(self, cause: int | None) -> bool:
        return self.moves_on is None or (cause is not None and cause in self.moves_on)


@value
class RoutePlan:
    """The ordered steps to try for one call. Empty for unknown numbers."""

    tracking_number: str
    reason: PlanReason
    steps: tuple[RouteStep, ...]
    line: str | None = None

    @property
    def known(self) -> bool:
        return self.reason is not PlanReason.UNKNOWN_NUMBER

    @property
    def destinations(self) -> tuple[Destination, ...]:
        return tuple(step.destination for step in self.steps)


def _first(*values: bool | None, default: bool) -> bool:
    return next((v for v in values if v is not None), default)


def continuity_enabled(snapshot: Snapshot, number: TrackingNumber, line: Line | None) -> bool:
    return _first(
        number.continuity.enabled,
        line.continuity.enabled if line else None,
        snapshot.account.continuity.enabled,
        default=True,
    )


def continuity_on(snapshot: Snapshot, number: TrackingNumber, line: Line | None) -> bool:
    """Continuity mode: the most specific setting wins."""
    return _first(
        number.continuity.on,
        line.continuity.on if line else None,
        snapshot.account.continuity.on,
        default=False,
    )


def out_of_hours(snapshot: Snapshot, line: Line | None, now: dt.datetime | None) -> bool:
    """Whether ``line`` is out of its business hours at ``now`` and has somewhere to send
    calls then. Without a clock, or without an after-hours destination, it never is."""
    if line is None or line.after_hours is None or now is None:
        return False
    schedule = snapshot.schedule_of(line)
    return schedule is not None and not schedule.is_open(now)


def continuity_destination(
    snapshot: Snapshot, number: TrackingNumber, line: Line | None, after_hours: bool = False
) -> Destination | None:
    """Per-number override, then (out of hours) the line's after-hours destination, then
    the line's, then a user's verified forwarding number, then the account default. A
    voice agent counts only while one is configured."""
    candidates = [number.continuity.destination]
    if line is not None:
        if after_hours:
            candidates.append(line.after_hours)
        candidates.append(line.continuity.destination)
        forward = line.failover_number() if line.kind is LineKind.USER else None
        if forward is not None:
            candidates.append(Destination(DestinationKind.EXTERNAL, forward))
    candidates.append(snapshot.account.continuity.destination)
    for dest in candidates:
        if dest is None:
            continue
        if dest.kind is DestinationKind.VOICE_AGENT and snapshot.account.voice_agent is None:
            continue
        return dest
    return None


def in_test(line: Line | None, number: TrackingNumber, now: dt.datetime | None) -> bool:
    """The number's own test or its line's, while it lasts at ``now``."""
    if test_applies(number.test_mode, number.test_until, now):
        return True
    return line is not None and test_applies(line.test_mode, line.test_until, now)


def plan_route(
    snapshot: Snapshot,
    dialed: str,
    health: TrunkHealth | None = None,
    now: dt.datetime | None = None,
    *,
    after_hours: bool | None = None,
) -> RoutePlan:
    """Decide the chain for a call to ``dialed`` at ``now`` (which ends timed tests and
    decides business hours). ``after_hours`` forces the hours side, for executors that
    decide it themselves (the generated dialplan's GotoIfTime)."""
    number = snapshot.lookup(dialed)
    if number is None:
        return RoutePlan(dialed, PlanReason.UNKNOWN_NUMBER, ())
    line = snapshot.line_of(number)
    account = snapshot.account
    primary = RouteStep(
        number.primary, account.primary_timeout, failover_causes(account.failover_sip_codes)
    )
    if not continuity_enabled(snapshot, number, line):
        return RoutePlan(dialed, PlanReason.NORMAL, (primary,), line.id if line else None)

    if in_test(line, number, now):
        reason = PlanReason.TEST_MODE
    elif continuity_on(snapshot, number, line):
        reason = PlanReason.CONTINUITY
    elif health is not None and health.primary_down:
        reason = PlanReason.OUTAGE
    else:
        reason = PlanReason.NORMAL

    steps = [primary] if reason is PlanReason.NORMAL else []
    closed = out_of_hours(snapshot, line, now) if after_hours is None else after_hours
    dest = continuity_destination(snapshot, number, line, closed)
    voicemail = None
    if dest is not None and dest.kind is DestinationKind.VOICEMAIL:
        voicemail = dest
    elif line is not None:
        voicemail = Destination(DestinationKind.VOICEMAIL, line.mailbox)
    if dest is not None and dest.kind is not DestinationKind.VOICEMAIL:
        # After the primary the reason is its failure's; otherwise the call moved first.
        moved = redirect(dialed, dest, account, line, after_primary=reason is PlanReason.NORMAL)
        steps.append(RouteStep(dest, redirect=moved))
    if voicemail is not None:
        steps.append(RouteStep(voicemail))
    if not steps:  # continuity on but nowhere to go: the primary beats a dead end
        steps.append(primary)
    return RoutePlan(dialed, reason, tuple(steps), line.id if line else None)
