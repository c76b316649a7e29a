"""The outage summary's figures and the verification verdict, without I/O."""

from __future__ import annotations

import datetime as dt

from continuity.core.notices import NoticeEvent, OutageRecord, notice_payload
from continuity.core.outage_summary import summarize
from continuity.core.verification import CallReport, VerifyOutcome, judge

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def test_calls_that_failed_over_are_counted_by_where_they_landed_most_first() -> None:
    summary = summarize(
        T0,
        T0 + dt.timedelta(minutes=20),
        [
            ("voicemail", "sales", 1),
            ("external", "+13125550150", 3),
            (None, None, 1),
        ],
    )
    assert (summary.failed_over, summary.voicemail) == (5, 1)
    assert summary.describe() == (
        "5 calls failed over (external:+13125550150 3, unanswered 1, voicemail:sales 1);"
        " 1 reached voicemail"
    )
    outage = OutageRecord("o1", "continuity-primary", T0, "Unreachable", True,
                          T0 + dt.timedelta(minutes=20), "Reachable")  # fmt: skip
    payload = notice_payload(outage, NoticeEvent.RESOLVED, summary)
    assert payload["summary"]["landed_by_destination"] == {
        "external:+13125550150": 3,
        "unanswered": 1,
        "voicemail:sales": 1,
    }
    assert "summary" not in notice_payload(outage, NoticeEvent.STARTED, summary)


def test_only_the_right_code_verifies() -> None:
    assert judge(CallReport(True, digits="482913", status="OK"), "482913") is VerifyOutcome.VERIFIED
    assert judge(CallReport(True, digits="4829", status="TIMEOUT"), "482913") is (
        VerifyOutcome.WRONG_CODE
    )
    assert judge(CallReport(True, digits="", status="TIMEOUT"), "482913") is VerifyOutcome.NO_CODE
    assert judge(CallReport(False, 0, cause=17), "482913") is VerifyOutcome.BUSY
    assert judge(CallReport(False, 3), "482913") is VerifyOutcome.NO_ANSWER
    assert judge(CallReport(False, 0, cause=34), "482913") is VerifyOutcome.FAILED
