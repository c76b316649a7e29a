"""Issue 13: a bridged call is bridged in dialplan, in a dozen WebSocket messages.

Once the primary answers, the app sends the caller on to the generated bridge
context (``Answer()``, ``Bridge(<leg>)``): no ARI bridge is created, and the
call's record is written when the call really ends, whichever side hangs up.
"""

from __future__ import annotations

import asyncio

from continuity import names
from continuity.core.call import Phase
from continuity.core.records import CallRecord
from tests.scenario import Scenario

MAIN = "+12125550101"
#: originate + continue and their replies, StasisStart and StasisEnd of both
#: channels, the leg's end: 9; at most 12 (issue 13's target).
MOST_MESSAGES = 12


def messages(scenario: Scenario) -> int:
    events = scenario.app.ari.events
    return events.frames_received + events.frames_sent


async def records_of_this_test(scenario: Scenario) -> list[CallRecord]:
    found = await scenario.records.recent(5, MAIN)
    return [r for r in found if r.started_at >= scenario.started_at]


async def until_bridged(scenario: Scenario) -> None:
    """Until the app's call says its leg was taken by the caller's Bridge()."""
    async with asyncio.timeout(10):
        while not any(c.phase is Phase.BRIDGED for c in scenario.app.calls.calls.values()):
            await asyncio.sleep(0.02)


async def test_the_primary_answers_and_the_caller_is_bridged_in_dialplan_not_in_an_ari_bridge(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    before = messages(scenario)

    call = await scenario.call(MAIN, hold_seconds=60)
    await call.wait_answered()
    await until_bridged(scenario)
    during = messages(scenario)

    channels = await scenario.app.rest.list_channels()
    [caller] = [c for c in channels if names.ID_SEP not in c.id]
    [leg] = [c for c in channels if c.id.startswith(caller.id + names.ID_SEP)]
    assert (caller.context, caller.app_name, caller.state) == (names.CTX_BRIDGE, "Bridge", "Up")
    assert caller.app_data == leg.id  # Bridge(<the leg's channel id>)
    assert not [b for b in await scenario.pbx_bridges() if b.endswith(f"{names.ID_SEP}bridge")]
    assert await records_of_this_test(scenario) == []  # still talking: no record yet
    checks = messages(scenario) - during

    await call.hangup()
    record = await scenario.call_record(MAIN)
    assert messages(scenario) - before - checks <= MOST_MESSAGES
    assert await scenario.pbx_quiet_within(1.0) < 1.0  # Asterisk hung up the leg
    assert (record.outcome, record.answered_kind, record.answered_target) == (
        "answered",
        "primary",
        MAIN,
    )
    assert [(a.kind, a.result) for a in record.attempts] == [("primary", "answered")]
    assert record.answered_at is not None and record.ended_at > record.answered_at


async def test_the_far_end_hangs_up_first_and_asterisk_releases_the_caller_one_record(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    await scenario.stack.set_behavior(MAIN, "hangup-after:1")
    before = messages(scenario)

    call = await scenario.call(MAIN, hold_seconds=60)
    await call.wait_answered()
    cause = await call.wait_ended(timeout=5)

    assert cause == 16  # normal clearing, as when the app hung the caller up
    record = await scenario.call_record(MAIN)
    assert (record.outcome, record.answered_kind) == ("answered", "primary")
    assert messages(scenario) - before <= MOST_MESSAGES
    assert await scenario.pbx_quiet_within(1.0) < 1.0
    assert len(await records_of_this_test(scenario)) == 1
