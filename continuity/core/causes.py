"""Hangup causes: Q.850 codes, the SIP responses Asterisk maps to them, and names."""

from __future__ import annotations

import functools

from continuity.core.outcome import Outcome

#: How Asterisk's PJSIP channel maps a final SIP response to a Q.850 cause.
SIP_TO_Q850: dict[int, int] = {
    401: 21,
    403: 21,
    404: 1,
    407: 21,
    408: 18,
    410: 22,
    480: 19,
    483: 19,
    484: 28,
    485: 1,
    486: 17,
    488: 58,
    500: 38,
    502: 27,
    503: 34,
    504: 102,
    600: 17,
    603: 21,
    604: 1,
    606: 58,
}
#: Causes that mean the far end could not be reached at all (no route, no contact,
#: out of order, network down): always a reason to move on.
TRANSPORT_FAILURE_CAUSES: frozenset[int] = frozenset({3, 20, 27, 38})
#: A destination we could not even place a call to (no reachable contact).
UNREACHABLE_CAUSE = 20
#: The cause of a destination that rang until our timeout.
NO_ANSWER_CAUSE = 19

#: Q.850 cause -> the attempt result recorded and shown to admins.
CAUSE_RESULT: dict[int, Outcome] = {
    1: Outcome.UNALLOCATED,
    3: Outcome.UNAVAILABLE,
    16: Outcome.HANGUP,
    17: Outcome.BUSY,
    18: Outcome.NOANSWER,
    19: Outcome.NOANSWER,
    20: Outcome.UNAVAILABLE,
    21: Outcome.REJECTED,
    27: Outcome.UNAVAILABLE,
    34: Outcome.CONGESTION,
    38: Outcome.CONGESTION,
    41: Outcome.CONGESTION,
    42: Outcome.CONGESTION,
    102: Outcome.TIMEOUT,
}


def cause_result(cause: int | None) -> Outcome:
    return CAUSE_RESULT.get(cause or 0, Outcome.FAILED)


@functools.lru_cache(maxsize=16)  # every call asks, with the account's one set of codes
def failover_causes(sip_codes: frozenset[int]) -> frozenset[int]:
    """The Q.850 causes that move a call on, given the SIP codes an admin chose."""
    mapped = {SIP_TO_Q850[code] for code in sip_codes if code in SIP_TO_Q850}
    return frozenset(mapped) | TRANSPORT_FAILURE_CAUSES | {NO_ANSWER_CAUSE}


def sip_code(tech_cause: str) -> int | None:
    """``"SIP 503 Service Unavailable"`` (``HANGUPCAUSE(chan,tech)``) -> 503."""
    parts = tech_cause.split()
    if len(parts) >= 2 and parts[0] == "SIP" and parts[1].isdigit():
        return int(parts[1])
    return None
