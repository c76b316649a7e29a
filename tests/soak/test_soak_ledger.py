"""How the soak tells what happened to each SIPp call (SIPp's own log formats).

Wire-format tests of the join: SIPp's scenario log and error file as SIPp 3.6
writes them, and the soak's verdict per caller.
"""

from __future__ import annotations

from bench.soak_faults import FaultEvent
from bench.soak_report import check_records, classify_calls, restart_window
from localstack.sipp import parse_call_log

LOG = "".join(
    f"{step}|{caller}|{call_id}|2026-12-01\t13:19:{second:06.3f}\t{1796131100 + second:.6f}\n"
    for step, caller, call_id, second in [
        ("placed", "+15550000001", "1-42@127.0.0.1", 0.1),
        ("placed", "+15550000002", "2-42@127.0.0.1", 0.2),
        ("placed", "+15550000003", "3-42@127.0.0.1", 0.3),
        ("answered", "+15550000001", "1-42@127.0.0.1", 0.4),
        ("answered", "+15550000002", "2-42@127.0.0.1", 0.5),
        ("completed", "+15550000001", "1-42@127.0.0.1", 20.4),
    ]
)
#: SIPp runs its events together without a line break after an unexpected BYE.
ERRORS = (
    "The following events occurred:\n"
    "2026-12-01\t13:19:10.354887\t1796131110.354887: Aborting call on an unexpected BYE for"
    " call: 2-42@127.0.0.1"
    "2026-12-01\t13:19:10.540268\t1796131110.540268: Aborting call on unexpected message for"
    " Call-Id '3-42@127.0.0.1': while expecting '180' (index 3), received 'SIP/2.0 503"
    " Service Unavailable\nVia: SIP/2.0/UDP 127.0.0.1:44420\n'"
)
PRIMARY = ("primary", "+12125550901")
SERVICE = ("external", "+13125550190")


def test_a_caller_hung_up_by_the_pbx_and_one_refused_are_told_apart_from_a_completed_call() -> None:
    calls = parse_call_log(LOG, ERRORS)

    assert calls["+15550000001"].completed is not None and calls["+15550000001"].failure == ""
    assert calls["+15550000002"].answered is not None and calls["+15550000002"].completed is None
    assert calls["+15550000002"].failure.startswith("Aborting call on an unexpected BYE")
    assert calls["+15550000003"].answered is None
    assert "received 'SIP/2.0 503 Service Unavailable" in calls["+15550000003"].failure


def test_a_call_answered_twice_is_misrouted_and_calls_cut_by_the_restart_are_excused() -> None:
    calls = parse_call_log(LOG, ERRORS)
    landings = {"+15550000001": [PRIMARY, SERVICE], "+15550000002": [PRIMARY]}
    restart = FaultEvent("asterisk_restart", 1796131109.0, 1796131111.0)

    figures = classify_calls(
        calls, landings, {PRIMARY, SERVICE}, restart_window([restart]), hold=20, recv_timeout=30
    )

    assert figures.misrouted == ["+15550000001: answered at [('primary', '+12125550901'),"
                                 " ('external', '+13125550190')]"]  # fmt: skip
    assert [(c.caller, c.answered, c.in_restart) for c in figures.lost] == [
        ("+15550000002", True, True),
        ("+15550000003", False, True),
    ]
    assert figures.lost_outside_restart == []
    # Without the restart the same two calls are lost calls with their cause.
    alone = classify_calls(calls, landings, {PRIMARY, SERVICE}, None, hold=20, recv_timeout=30)
    assert [c.caller for c in alone.lost_outside_restart] == ["+15550000002", "+15550000003"]
    assert "the carrier never answered it" in alone.lost[1].cause


def test_a_call_that_reached_the_carrier_without_a_record_is_a_lost_record() -> None:
    records = check_records([], {"+15550000001"}, {"+15550000001": [PRIMARY]}, set())
    assert records.lost == ["+15550000001: no record"]
    excused = check_records([], {"+15550000001"}, {"+15550000001": [PRIMARY]}, {"+15550000001"})
    assert excused.lost == [] and excused.at_restart == ["+15550000001: no record"]
