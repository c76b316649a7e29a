"""The call record of a call that ended, and the attempts it is made of."""

from __future__ import annotations

import datetime as dt

from continuity.core.call.state import Call, Leg
from continuity.core.outcome import Outcome
from continuity.core.records import Attempt, CallRecord


def leg_attempt(leg: Leg, result: Outcome, cause: int | None, now: dt.datetime) -> Attempt:
    return Attempt(
        kind=leg.destination.kind.value,
        target=leg.destination.target,
        result=result,
        cause=cause,
        started_at=leg.started_at.isoformat(),
        ended_at=now.isoformat(),
        sip_code=leg.sip_code,
    )


def call_record(call: Call, now: dt.datetime) -> CallRecord:
    attempts = list(call.attempts)
    answered = call.leg if call.leg is not None and call.leg.answered else None
    if call.leg is not None:
        result = Outcome.ANSWERED if answered else Outcome.CANCELLED
        attempts.append(leg_attempt(call.leg, result, None, now))
    reached = answered.destination if answered else call.handed_to
    if call.handed_to is not None:
        at = now.isoformat()
        dest = call.handed_to
        attempts.append(Attempt(dest.kind.value, dest.target, Outcome.HANDED_OVER, None, at, at))
    outcome = call.outcome or (Outcome.ANSWERED if reached else Outcome.FAILED)
    return CallRecord(
        call_id=call.caller_id,
        tracking_number=call.dialed,
        line=call.plan.line,
        caller_number=call.caller_number,
        caller_name=call.caller_name,
        reason=call.plan.reason.value,
        outcome=outcome,
        started_at=call.started_at,
        ended_at=now,
        answered_at=call.answered_at,
        answered_kind=reached.kind.value if reached else None,
        answered_target=reached.target if reached else None,
        attempts=tuple(attempts),
        path=call.path,
    )
