"""Issue 13: a bridged call is bridged in one ARI bridge, both sides in our app.

Once the primary answers, the app answers the caller, creates the call's bridge
and adds both channels with one ``addChannel``. Neither channel is yanked out of
Stasis, as the caller's ``Bridge(<leg>)`` in a generated bridge context did:
Asterisk 22's masquerade could leave the leg's old channel behind for good
(``Surrogate/...``, about 1 call in 150 under load). Whichever side hangs up, the
app hangs up the other, destroys the bridge and writes the call's record.
"""

from __future__ import annotations

import asyncio

from continuity import names
from continuity.core.call import Phase
from continuity.core.call.state import bridge_id
from continuity.core.records import CallRecord
from tests.scenario import Scenario

MAIN = "+12125550101"
#: StasisStart and StasisEnd of both channels and the leg's ChannelDestroyed (the
#: caller's subscription ends with its StasisEnd); originate, answer, bridge create,
#: addChannel, the other side's hangup, bridge destroy, each with its reply: 17.
MOST_MESSAGES = 17


def messages(scenario: Scenario) -> int:
    events = scenario.app.ari.events
    return events.frames_received + events.frames_sent


async def records_of_this_test(scenario: Scenario) -> list[CallRecord]:
    found = await scenario.records.recent(5, MAIN)
    return [r for r in found if r.started_at >= scenario.started_at]


async def until_bridged(scenario: Scenario) -> None:
    """Until the app's call is in its ARI bridge."""
    async with asyncio.timeout(10):
        while not any(c.phase is Phase.ARI_BRIDGED for c in scenario.app.calls.calls.values()):
            await asyncio.sleep(0.02)


async def test_the_primary_answers_and_both_sides_stay_in_the_app_in_one_ari_bridge(
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
    assert [(c.app_name, c.app_data.split(",")[0], c.state) for c in (caller, leg)] == [
        ("Stasis", names.ARI_APP, "Up"),
        ("Stasis", names.ARI_APP, "Up"),
    ]
    [bridge] = [b for b in await scenario.app.rest.list_bridges() if b.id == bridge_id(caller.id)]
    assert sorted(bridge.channels) == sorted([caller.id, leg.id])
    assert await records_of_this_test(scenario) == []  # still talking: no record yet
    checks = messages(scenario) - during

    await call.hangup()
    record = await scenario.call_record(MAIN)
    assert messages(scenario) - before - checks <= MOST_MESSAGES
    assert await scenario.pbx_quiet_within(1.0) < 1.0  # the leg hung up, the bridge gone
    assert (record.outcome, record.answered_kind, record.answered_target) == (
        "answered",
        "primary",
        MAIN,
    )
    assert [(a.kind, a.result) for a in record.attempts] == [("primary", "answered")]
    assert record.answered_at is not None and record.ended_at > record.answered_at


async def test_the_far_end_hangs_up_first_and_the_caller_is_released_with_one_record(
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
