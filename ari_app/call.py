"""One call as a state machine.

The caller's channel sits in Stasis while we dial the plan's destinations one
after another. Each transition method returns the next state; the service
applies it. All of one call's events arrive here in order (see ``stasis``).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from continuity import names
from continuity.core.model import Destination
from continuity.core.records import Attempt, CallRecord, RoutedBy
from continuity.core.routing import RoutePlan, RouteStep

#: Separates the caller's channel id from a leg or bridge suffix in our ids.
ID_SEP = names.ID_SEP


def call_key(resource_id: str) -> str:
    """The call a channel or bridge id belongs to: the caller channel's id."""
    return resource_id.split(ID_SEP, 1)[0]


class CallState(enum.Enum):
    ROUTING = "routing"
    DIALING = "dialing"
    BRIDGED = "bridged"
    ANNOUNCING = "announcing"
    #: Sent on to dialplan (voicemail): no longer ours to hang up.
    HANDED_OVER = "handed_over"
    ENDED = "ended"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class Leg:
    """One outbound attempt."""

    channel_id: str
    step: RouteStep
    started_at: dt.datetime = field(default_factory=_now)
    ringing: bool = False
    answered: bool = False
    #: The SIP response that ended the leg, reported by its hangup handler.
    sip_code: int | None = None

    @property
    def destination(self) -> Destination:
        return self.step.destination


@dataclass(slots=True)
class Call:
    caller_id: str
    dialed: str
    caller_number: str
    caller_name: str
    plan: RoutePlan
    state: CallState = CallState.ROUTING
    started_at: dt.datetime = field(default_factory=_now)
    answered_at: dt.datetime | None = None
    step: int = -1
    leg: Leg | None = None
    attempts: list[Attempt] = field(default_factory=list)
    outcome: str = ""
    #: Set when the call was sent on to dialplan (the line's voicemail).
    handed_to: Destination | None = None
    #: Which path routes it: this run from the start, or this run after another's.
    path: RoutedBy = RoutedBy.APP

    @property
    def bridge_id(self) -> str:
        return f"{self.caller_id}{ID_SEP}bridge"

    def next_step(self) -> RouteStep | None:
        """Advance to the next step of the plan, if any."""
        self.step += 1
        if self.step < len(self.plan.steps):
            return self.plan.steps[self.step]
        return None

    def new_leg(self, step: RouteStep) -> Leg:
        self.leg = Leg(f"{self.caller_id}{ID_SEP}{self.step}", step)
        return self.leg

    def resume_at(self, step: int, interrupted: int | None) -> None:
        """Taken over from another run: the next step is ``step``; the attempt that
        run had under way at step ``interrupted`` counts as unanswered."""
        if interrupted is not None and 0 <= interrupted < len(self.plan.steps):
            dest = self.plan.steps[interrupted].destination
            at = _now().isoformat()
            self.attempts.append(Attempt(dest.kind.value, dest.target, "interrupted", None, at, at))
        self.step = step - 1

    def adopt_leg(self, leg_id: str, step: RouteStep) -> Leg:
        """Taken over from another run with ``leg_id`` answered (bridged or about to be)."""
        self.leg = Leg(leg_id, step)
        self.step = len(self.plan.steps)  # nothing to dial after an answered leg
        return self.leg

    def leg_failed(self, result: str, cause: int | None) -> None:
        if self.leg is not None:
            self.attempts.append(self._attempt(self.leg, result, cause))
            self.leg = None

    def leg_answered(self) -> None:
        if self.leg is not None:
            self.leg.answered = True
            self.answered_at = _now()

    def record(self) -> CallRecord:
        attempts = list(self.attempts)
        answered = self.leg if self.leg is not None and self.leg.answered else None
        if self.leg is not None:
            attempts.append(self._attempt(self.leg, "answered" if answered else "cancelled", None))
        reached = answered.destination if answered else self.handed_to
        if self.handed_to is not None:
            attempts.append(
                Attempt(
                    self.handed_to.kind.value,
                    self.handed_to.target,
                    "handed_over",
                    None,
                    _now().isoformat(),
                    _now().isoformat(),
                )
            )
        return CallRecord(
            call_id=self.caller_id,
            tracking_number=self.dialed,
            line=self.plan.line,
            caller_number=self.caller_number,
            caller_name=self.caller_name,
            reason=self.plan.reason.value,
            outcome=self.outcome or ("answered" if reached else "failed"),
            started_at=self.started_at,
            ended_at=_now(),
            answered_at=self.answered_at,
            answered_kind=reached.kind.value if reached else None,
            answered_target=reached.target if reached else None,
            attempts=tuple(attempts),
            path=self.path,
        )

    @staticmethod
    def _attempt(leg: Leg, result: str, cause: int | None) -> Attempt:
        return Attempt(
            kind=leg.destination.kind.value,
            target=leg.destination.target,
            result=result,
            cause=cause,
            started_at=leg.started_at.isoformat(),
            ended_at=_now().isoformat(),
            sip_code=leg.sip_code,
        )
