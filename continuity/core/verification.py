"""Forwarding-number verification by a real call: what the call's outcome means. Pure.

The person who owns the number answers, hears a prompt and keys the code the
admin was shown. Only the right code verifies; anything else leaves the
number unverified, with the reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

#: Digits of a verification code; the call reads exactly this many (or up to #).
CODE_DIGITS = 6
#: Seconds the person has to key the code once the prompt has started.
READ_TIMEOUT = 15


class VerifyOutcome(enum.StrEnum):
    VERIFIED = "verified"
    WRONG_CODE = "wrong_code"
    NO_CODE = "no_code"
    HUNG_UP = "hung_up"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CallReport:
    """What the verification call did, as the AMI adapter saw it."""

    answered: bool
    #: AMI's OriginateResponse reason when not answered (3 no answer, 5 busy, 8 congestion).
    reason: int | None = None
    #: The digits keyed, if the call got that far.
    digits: str | None = None
    #: Read()'s READSTATUS (OK, TIMEOUT, HANGUP), or HANGUP when the call ended first.
    status: str | None = None
    #: The Q.850 cause of an unanswered call (17 busy, 18/19 no answer), when known.
    cause: int | None = None


_REASONS = {
    VerifyOutcome.VERIFIED: "the right code was keyed",
    VerifyOutcome.WRONG_CODE: "a wrong code was keyed",
    VerifyOutcome.NO_CODE: "the call was answered but no code was keyed in time",
    VerifyOutcome.HUNG_UP: "the call was answered, then hung up before the code was keyed",
    VerifyOutcome.NO_ANSWER: "nobody answered",
    VerifyOutcome.BUSY: "the number was busy",
    VerifyOutcome.FAILED: "the call could not be placed (congestion or a refused call)",
}


def judge(report: CallReport, code: str) -> VerifyOutcome:
    if not report.answered:
        if report.reason == 5 or report.cause == 17:
            return VerifyOutcome.BUSY
        if report.reason in (1, 3) or report.cause in (18, 19):
            return VerifyOutcome.NO_ANSWER
        return VerifyOutcome.FAILED
    digits = report.digits or ""
    if digits == code:
        return VerifyOutcome.VERIFIED
    if digits:
        return VerifyOutcome.WRONG_CODE
    return VerifyOutcome.HUNG_UP if report.status == "HANGUP" else VerifyOutcome.NO_CODE


def reason(outcome: VerifyOutcome) -> str:
    return _REASONS[outcome]
