"""Q.850 hangup causes, as admins read them."""

from __future__ import annotations

#: Q.850 cause -> the attempt result recorded and shown to admins.
CAUSE_RESULT: dict[int, str] = {
    1: "unallocated",
    3: "unavailable",
    16: "hangup",
    17: "busy",
    18: "noanswer",
    19: "noanswer",
    20: "unavailable",
    21: "rejected",
    27: "unavailable",
    34: "congestion",
    38: "congestion",
    41: "congestion",
    42: "congestion",
    102: "timeout",
}


def cause_result(cause: int | None) -> str:
    return CAUSE_RESULT.get(cause or 0, "failed")
