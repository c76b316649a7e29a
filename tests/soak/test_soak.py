"""Issue 18: three minutes of SIPp calls under every fault, and nothing is lost.

SIPp calls a tracking number from a caller number of its own per call while,
on the soak's fixed schedule (``bench/soak_faults.py``), ``continuity serve``
is SIGKILLed and its supervisor starts it again a second later; the app's
PostgreSQL connection is cut for 20 s and the app is SIGKILLed again in the
middle of it; the primary answers 503, answers, stops answering at all, and
answers again, twice over; and the pbx's Asterisk restarts once. Every call
is joined by its caller number to where the carrier answered it and to its
call record.

The benchmark (``python -m bench.soak``) runs the same for 30 minutes at
10 calls/s with 20 s holds; this test keeps to a rate the CI machine carries
beside the rest of the suite.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bench.soak_run import NUMBER, SERVICE, SoakSettings, soak

log = logging.getLogger(__name__)

SECONDS = 180.0
RATE = 4.0
HOLD = 10.0
DB_CUT = 20.0


async def test_three_minutes_of_calls_under_faults_lose_no_call_and_no_record(
    rootfs: Path, tmp_path: Path
) -> None:
    result = await soak(SoakSettings(SECONDS, RATE, HOLD, DB_CUT, capture=False), tmp_path,
                        log.info, rootfs)  # fmt: skip
    calls, records = result.calls, result.records

    # Every fault happened, and the stack came back from each.
    assert [e.name for e in result.faults.events] == [
        "app_kill", "db_cut", "app_kill", "primary_flap", "asterisk_restart"
    ]  # fmt: skip
    assert all(e.end >= e.start for e in result.faults.events), result.faults.events
    assert calls.placed == round(SECONDS * RATE)

    # No call dead-ended outside the instants of the Asterisk restart; none went astray.
    assert [f"{c.caller}: {c.cause}" for c in calls.lost_outside_restart] == []
    assert calls.misrouted == []
    # The flapping primary handed calls to the continuity destination, and took them back.
    assert calls.landed[f"primary:{NUMBER}"] > 0 and calls.landed[f"external:{SERVICE}"] > 0

    # Every call that reached the carrier has exactly one record saying where it landed.
    assert records.lost == [] and records.doubled == [] and records.wrong == []
    # The kills mattered: calls were routed by the fallback dialplan and taken over.
    assert records.paths["fallback"] > 0 and records.paths["taken_over"] > 0, records.paths

    # Nothing is left up on any Asterisk once the callers hung up.
    assert result.leftover_channels == {"pbx": 0, "carrier": 0, "primary": 0}
