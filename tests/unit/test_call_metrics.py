"""What one call record adds to the call metrics."""

from __future__ import annotations

import datetime as dt

from continuity.core.outcome import Outcome
from continuity.core.records import Attempt, CallRecord
from continuity.metrics import failover_reasons, post_dial_delay, route_of

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def at(seconds: float) -> str:
    return (T0 + dt.timedelta(seconds=seconds)).isoformat()


def record(
    *attempts: Attempt, kind: str | None = None, outcome: Outcome = Outcome.ANSWERED
) -> CallRecord:
    return CallRecord(
        call_id="1.1",
        tracking_number="+12125550101",
        caller_number="+13125550111",
        caller_name="",
        reason="normal",
        outcome=outcome,
        started_at=T0,
        ended_at=T0 + dt.timedelta(seconds=60),
        answered_kind=kind,
        attempts=attempts,
    )


def test_a_call_answered_after_the_primary_timed_out_counts_the_wait_and_one_step() -> None:
    call = record(
        Attempt("primary", "+12125550101", Outcome.NOANSWER, 19, at(0.004), at(20.004)),
        Attempt("external", "+13125550150", Outcome.ANSWERED, None, at(20.01), at(60)),
        kind="external",
    )
    assert route_of(call) == "external"
    assert failover_reasons(call) == ["noanswer"]
    assert post_dial_delay(call) == 20.01


def test_a_call_handed_to_voicemail_counts_until_the_destination_before_it_failed() -> None:
    call = record(
        Attempt("primary", "+12125550101", Outcome.CONGESTION, 34, at(0.005), at(0.2)),
        Attempt("voicemail", "sales", Outcome.HANDED_OVER, None, at(60), at(60)),
        kind="voicemail",
    )
    assert route_of(call) == "voicemail"
    assert failover_reasons(call) == ["congestion"]
    assert post_dial_delay(call) == 0.2


def test_a_call_nobody_took_has_no_post_dial_delay_and_routes_by_its_last_try() -> None:
    call = record(
        Attempt("primary", "+12125550101", Outcome.BUSY, 17, at(0.005), at(0.1)),
        outcome=Outcome.BUSY,
    )
    assert route_of(call) == "primary"
    assert failover_reasons(call) == []
    assert post_dial_delay(call) is None
    assert route_of(record(outcome=Outcome.UNKNOWN_NUMBER)) == "none"
