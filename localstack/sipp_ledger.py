"""Joining SIPp's calls to where they landed and to their call records.

Every SIPp call has a caller number of its own, and both the carrier's
observations (``caller_id_number``) and the product's call records
(``caller_number``) carry it, so a caller number is the key that joins what
the caller saw, where the carrier answered it and what the record says. Used
by the load-with-kill test and the soak (test and benchmark).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from continuity.core.records import CallRecord
from localstack.carrier import Observation

#: (the carrier's role, the number it answered) -> what a record says it reached
#: (``answered_kind``, ``answered_target``).
Reached = Mapping[tuple[str, str], tuple[str, str]]
#: Where the carrier answered a caller, as a record would say it.
Landing = tuple[str, str]


def answered_by_caller(
    observations: Iterable[Observation], callers: set[str], reached: Reached
) -> dict[str, list[Landing]]:
    """Each caller's answered legs at the carrier, oldest first, as records name them
    (a role and number ``reached`` does not know is kept as ``("?role", number)``)."""
    found: dict[str, list[Landing]] = defaultdict(list)
    for o in observations:
        if o.outcome == "answer" and o.caller_id_number in callers:
            found[o.caller_id_number].append(
                reached.get((o.role, o.number), (f"?{o.role}", o.number))
            )
    return dict(found)


def answered(
    observations: Iterable[Observation], callers: set[str], reached: Reached
) -> dict[str, Landing]:
    """Where the carrier answered each caller (the last answer when it saw several)."""
    return {c: legs[-1] for c, legs in answered_by_caller(observations, callers, reached).items()}


def wrong_records(records: list[CallRecord], truth: Mapping[str, Landing]) -> list[str]:
    """Each caller of ``truth`` without exactly one record, and each record that does not
    say where the carrier answered its caller."""
    mine = Counter(r.caller_number for r in records)
    wrong = [f"{caller}: {mine[caller]} records" for caller in truth if mine[caller] != 1]
    wrong += [
        f"{r.caller_number}: {r.path} {r.outcome} {r.answered_kind}/{r.answered_target},"
        f" answered by {truth.get(r.caller_number)}"
        for r in records
        if (r.answered_kind, r.answered_target) != truth.get(r.caller_number)
    ]
    return wrong
