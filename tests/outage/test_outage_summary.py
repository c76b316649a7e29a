"""The outage summary: while the primary is frozen and after it is back, status and the
"resolved" notice say when it started, how many calls failed over, where they landed,
how many reached voicemail, and when it was resolved."""

from __future__ import annotations

import json

from tests.outage.conftest import Drill
from tests.outage.settings import HOLD_DOWN, ONCALL
from tests.scenario import external

SALES = "+12125550121"
SUPPORT = "+12125550131"
PROMO = "+12125550141"
ANSWERING_SERVICE = "+13125550150"
LANDED = {f"external:{ANSWERING_SERVICE}": 2, "voicemail:support": 1}
SO_FAR = (
    f"3 calls failed over (external:{ANSWERING_SERVICE} 2, voicemail:support 1);"
    " 1 reached voicemail"
)


async def test_an_outage_counts_the_calls_that_failed_over_where_they_landed_and_voicemail(
    drill: Drill,
) -> None:
    s = drill.scenario
    await s.line("sales", destination=external(ANSWERING_SERVICE))
    await s.line("support")  # no destination: its calls end in its voicemail box
    await s.tracking_number(SALES, line="sales")
    await s.tracking_number(SUPPORT, line="support")
    # Continuity mode skips the primary anyway: not a failover the outage caused.
    await s.tracking_number(PROMO, line="sales", on=True)

    before = await drill.answered_call(SALES)  # before the outage: the primary answers
    assert before.answered_kind == "primary"

    drill.freeze_primary()
    await drill.until(lambda: drill.primary_down, timeout=10)
    [started] = await drill.webhook.wait_for("outage.started")
    assert "summary" not in started.body

    for number, reached in (
        (SALES, f"external:{ANSWERING_SERVICE}"),
        (SALES, f"external:{ANSWERING_SERVICE}"),
        (SUPPORT, "voicemail:support"),
        (PROMO, f"external:{ANSWERING_SERVICE}"),
    ):
        record = await drill.answered_call(number)
        assert f"{record.answered_kind}:{record.answered_target}" == reached

    code, out, err = await drill.cli("outage", "status")
    assert code == 0, err
    assert "PRIMARY TRUNK OUTAGE since" in out
    assert f"so far: {SO_FAR}" in out
    code, out, _ = await drill.cli("status", "--json")
    during = json.loads(out)["primary_trunk"]["outage"]["summary"]
    assert (during["failed_over_calls"], during["voicemail_calls"]) == (3, 1)
    assert during["landed_by_destination"] == LANDED
    assert during["resolved_at"] is None

    drill.thaw_primary()
    await drill.until(lambda: not drill.primary_down, timeout=HOLD_DOWN + 10)
    [resolved] = await drill.webhook.wait_for("outage.resolved")
    summary = resolved.body["summary"]
    assert summary["started_at"] == started.body["started_at"]
    assert summary["resolved_at"] == resolved.body["resolved_at"] is not None
    assert (summary["failed_over_calls"], summary["voicemail_calls"]) == (3, 1)
    assert summary["landed_by_destination"] == LANDED

    mails = await s.stack.mail.wait_for(2)
    [mail] = [
        m for m in mails if ONCALL in m.recipients and "Resolved" in str(m.message["Subject"])
    ]
    body = mail.message.get_body().get_content()  # type: ignore[union-attr]
    assert "Calls failed over: 3" in body
    assert "Reached voicemail: 1" in body
    assert f"  external:{ANSWERING_SERVICE}: 2" in body

    after = await drill.answered_call(SALES)  # after: the primary again, not counted
    assert after.answered_kind == "primary"
    code, out, _ = await drill.cli("status")
    assert "last outage: " in out
    assert f": {SO_FAR}" in out
    code, out, _ = await drill.cli("outage", "status", "--json")
    report = json.loads(out)
    assert report["outage"] is None
    assert report["last_outage"]["summary"]["failed_over_calls"] == 3
    assert report["recent"][0]["summary"]["landed_by_destination"] == LANDED
