"""Issue 5: the primary trunk goes down and comes back; calls, notices and overrides follow."""

from __future__ import annotations

import asyncio

from continuity.core.outage import OverrideState
from tests.outage.conftest import Drill
from tests.outage.settings import (
    FAIL_AFTER,
    HOLD_DOWN,
    ONCALL,
    QUALIFY_FREQUENCY,
    QUALIFY_TIMEOUT,
)
from tests.scenario import external

MAIN = "+12125550101"
ANSWERING_SERVICE = "+13125550150"
#: Worst case from freeze to declaration: the next OPTIONS goes out within one
#: qualify period, times out, then FAIL_AFTER - 1 more samples a period apart.
DETECTION_WINDOW = QUALIFY_FREQUENCY + QUALIFY_TIMEOUT + (FAIL_AFTER - 1) * QUALIFY_FREQUENCY


async def test_when_the_primary_stops_answering_the_outage_is_declared_and_calls_go_to_continuity(
    drill: Drill,
) -> None:
    s = drill.scenario
    await s.tracking_number(MAIN, destination=external(ANSWERING_SERVICE))

    frozen_at = drill.freeze_primary()
    declared_at = await drill.until(lambda: drill.primary_down, timeout=DETECTION_WINDOW + 2)
    [started] = await drill.webhook.wait_for("outage.started")

    declared_after = declared_at - frozen_at
    print(f"outage declared {declared_after:.2f} s after the primary froze")
    print(f"'started' webhook received {started.at - frozen_at:.2f} s after the primary froze")
    assert declared_after <= DETECTION_WINDOW + 0.5
    assert started.body["failover"] is True
    assert started.body["trunk"] == "continuity-primary"
    assert "Unreachable" in started.body["cause"]
    assert started.headers["idempotency-key"] == started.body["idempotency_key"]

    call = await s.call(MAIN)
    await call.wait_answered()
    seen = await s.reached(ANSWERING_SERVICE)
    assert seen.role == "pstn"
    await call.hangup()
    record = await s.call_record(MAIN)
    assert record.reason == "outage"
    assert [a.kind for a in record.attempts] == ["external"]  # the primary is not even tried
    assert all(o.role != "primary" for o in s.observed())
    outage = await drill.open_outage()
    assert outage is not None and outage.id == started.body["outage_id"]

    code, out, _ = await drill.cli("status")
    assert code == 0
    assert "PRIMARY TRUNK OUTAGE since" in out
    assert "calls skip the primary and go to their continuity destinations" in out
    assert f"{MAIN}" in out and "outage" in out.split(MAIN, 1)[1].splitlines()[0]


async def test_after_recovery_calls_reach_the_primary_and_flapping_adds_no_notices(
    drill: Drill,
) -> None:
    s = drill.scenario
    await s.tracking_number(MAIN, destination=external(ANSWERING_SERVICE))
    drill.webhook.failing = 2  # the receiver is down for the first two tries

    drill.freeze_primary()
    await drill.until(lambda: drill.primary_down)
    for _ in range(3):  # back for a moment, down again: faster than the hold-down
        drill.thaw_primary()
        await asyncio.sleep(1.2)
        drill.freeze_primary()
        await asyncio.sleep(1.5)
        assert drill.primary_down
    thawed_at = drill.thaw_primary()
    recovered_at = await drill.until(lambda: not drill.primary_down, timeout=HOLD_DOWN + 5)
    await drill.webhook.wait_for("outage.resolved")
    await asyncio.sleep(2 * QUALIFY_FREQUENCY)  # anything extra would have arrived by now

    print(f"calls back on the primary {recovered_at - thawed_at:.2f} s after it recovered")
    assert recovered_at - thawed_at >= HOLD_DOWN - 1.0
    assert drill.webhook.events() == ["outage.started", "outage.resolved"]
    tries = [d for d in drill.webhook.received if d.event == "outage.started"]
    assert len(tries) == 3  # two refused, then delivered: the same notice each time
    assert len({d.headers["idempotency-key"] for d in tries}) == 1
    mails = await s.stack.mail.wait_for(2)
    subjects = [m.message["Subject"] for m in mails if ONCALL in m.recipients]
    assert subjects == [
        "[continuity] OUTAGE: primary trunk continuity-primary",
        "[continuity] Resolved: primary trunk continuity-primary",
    ]

    call = await s.call(MAIN)
    await call.wait_answered()
    seen = await s.reached(MAIN)
    assert seen.role == "primary"
    await call.hangup()
    assert (await s.call_record(MAIN)).reason == "normal"
    assert await drill.open_outage() is None


async def test_an_operator_override_beats_detection_in_both_directions(drill: Drill) -> None:
    s = drill.scenario
    await s.tracking_number(MAIN, destination=external(ANSWERING_SERVICE))

    # Declared by hand while the primary is healthy: calls skip it.
    code, out, err = await drill.cli("outage", "declare", "--reason", "carrier maintenance")
    assert code == 0, err
    assert "outage declared" in out
    await drill.until(lambda: drill.primary_down, timeout=5)
    [started] = await drill.webhook.wait_for("outage.started")
    assert started.body["cause"] == "declared by cli:ops: carrier maintenance"
    code, out, _ = await drill.cli("outage", "status")
    assert "MANUAL OVERRIDE: primary declared DOWN by cli:ops" in out
    record = await drill.answered_call(MAIN)
    assert record.reason == "outage"
    assert record.answered_target == ANSWERING_SERVICE

    # Handed back to detection, which sees a healthy primary: the outage is over.
    code, out, _ = await drill.cli("outage", "auto")
    assert (code, out.strip()) == (0, "override removed: outage detection decides again")
    await drill.until(lambda: not drill.primary_down, timeout=5)
    await drill.webhook.wait_for("outage.resolved")

    # The primary really fails: detected, declared automatically.
    drill.freeze_primary()
    await drill.until(lambda: drill.primary_down, timeout=DETECTION_WINDOW + 2)
    await drill.webhook.wait_for("outage.started", count=2)

    # Cleared by hand while detection still says down: calls go to the primary.
    await drill.override(OverrideState.UP, "false alarm")
    await drill.until(lambda: not drill.primary_down, timeout=5)
    [_, resolved] = await drill.webhook.wait_for("outage.resolved", count=2)
    assert resolved.body["cause"] == "cleared by cli:test: false alarm"
    drill.thaw_primary()  # reachable again, but within the hold-down detection says down
    await drill.until(lambda: drill.asterisk_sees_primary)
    assert drill.detected_down
    record = await drill.answered_call(MAIN)
    assert record.reason == "normal"
    assert record.answered_kind == "primary"

    # Once detection agrees, handing back starts nothing new.
    await drill.until(lambda: not drill.detected_down, timeout=HOLD_DOWN + 3)
    await drill.override(None)
    await asyncio.sleep(2 * QUALIFY_FREQUENCY)
    assert not drill.primary_down
    assert drill.webhook.events() == ["outage.started", "outage.resolved"] * 2


async def test_forcing_the_primary_up_while_it_has_no_reachable_contact_still_never_dead_ends(
    drill: Drill,
) -> None:
    s = drill.scenario
    await s.tracking_number(MAIN, destination=external(ANSWERING_SERVICE))
    drill.freeze_primary()
    try:
        await drill.until(
            lambda: drill.asterisk_sees_primary is False, timeout=DETECTION_WINDOW + 2
        )
        await drill.override(OverrideState.UP, "insisting")
        await drill.until(lambda: not drill.primary_down, timeout=5)

        record = await drill.answered_call(MAIN)
    finally:
        drill.thaw_primary()
        await drill.override(None)

    # Asterisk refuses to create a channel to a trunk without a reachable contact:
    # that is a transport failure, so the same call moves on to continuity.
    assert [(a.kind, a.result) for a in record.attempts] == [
        ("primary", "unavailable"),
        ("external", "answered"),
    ]
