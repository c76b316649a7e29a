"""Asterisk's call trace lines, read back as call records (pure)."""

from __future__ import annotations

from continuity.core.call_trace import LegLanding, destination_token, parse_trace
from continuity.core.model import Destination, DestinationKind
from continuity.core.outcome import Outcome
from continuity.core.records import RoutedBy

PRIMARY = Destination(DestinationKind.PRIMARY, "+12125550101")
SIP = Destination(DestinationKind.SIP, "agent/sip:bot@10.0.0.1;transport=tcp")


def call_line(path: str, landed: str, status: str = "ANSWER", cause: str = "16") -> str:
    fields = ["call", "pbx-1.7", "%2B12125550101", "%2B13125550111", "Zo%C3%AB"]
    fields += ["1796119725.198", "1796119731.5", path, "normal", "sales", landed, status, cause]
    return "|".join(fields)


def test_a_fallback_call_says_its_path_and_where_it_was_answered() -> None:
    token = destination_token(PRIMARY).replace("%", "%25")  # URIENCODE()d by the dialplan
    [record] = parse_trace(call_line("fallback", token) + "\n").calls
    assert record.path is RoutedBy.FALLBACK
    assert (record.call_id, record.tracking_number, record.caller_name) == (
        "pbx-1.7",
        "+12125550101",
        "Zoë",
    )
    assert (record.answered_kind, record.answered_target, record.outcome) == (
        "primary",
        "+12125550101",
        "answered",
    )
    assert (record.ended_at - record.started_at).total_seconds() > 6


def test_a_call_the_app_never_recorded_is_interrupted_and_failures_keep_their_cause() -> None:
    [record] = parse_trace(call_line("", "", "", "16")).calls
    assert (record.path, record.outcome, record.answered_kind) == (
        RoutedBy.INTERRUPTED,
        "caller_hangup",
        None,
    )
    [busy] = parse_trace(call_line("fallback", "", "BUSY", "17")).calls
    assert busy.outcome == "busy"


def test_tokens_survive_any_target_and_legs_name_their_call() -> None:
    token = destination_token(SIP)
    assert set(token) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.~%/-")
    trace = parse_trace(f"leg|pbx-1.7~2|{token.replace('%', '%25')}\nnonsense\n")
    assert trace.legs == (LegLanding("pbx-1.7", SIP),)
    assert trace.bad == ("nonsense",)


def test_every_outcome_read_from_the_trace_is_one_of_the_records_outcomes() -> None:
    statuses = ["ANSWER", "BUSY", "NOANSWER", "CANCEL", "CONGESTION", "CHANUNAVAIL", ""]
    for status in statuses:
        for cause in ("16", "17", "34"):
            [record] = parse_trace(call_line("fallback", "", status, cause)).calls
            assert isinstance(record.outcome, Outcome), (status, cause)
            assert all(isinstance(a.result, Outcome) for a in record.attempts)
