"""Issue 13: a bridged call is bridged in one ARI bridge, both sides in our app.

Once the primary answers, the app answers the caller and adds both channels to a
mixing bridge with one ``addChannel``. Neither channel is yanked out of Stasis, as
the caller's ``Bridge(<leg>)`` in a generated bridge context did: Asterisk 22's
masquerade could leave the leg's old channel behind for good (``Surrogate/...``,
about 1 call in 150 under load). Whichever side hangs up, the app hangs up the
other and writes the call's record. The bridge is kept for the next call, once
both channels have left it: no bridge is created or destroyed per call.
"""

from __future__ import annotations

import asyncio

from continuity import names
from continuity.core.call import Phase
from continuity.core.records import CallRecord
from tests.scenario import Scenario

MAIN = "+12125550101"
#: StasisStart and StasisEnd of both channels (no ChannelDestroyed: an answered
#: leg's end is its StasisEnd); originate, answer, addChannel and the other side's
#: hangup, each with its reply: 12. The first call of a run also creates the bridge.
MOST_MESSAGES = 12
CREATE_BRIDGE = 2


def messages(scenario: Scenario) -> int:
    events = scenario.app.ari.events
    return events.frames_received + events.frames_sent


async def records_of_this_test(scenario: Scenario) -> list[CallRecord]:
    found = await scenario.records.recent(5, MAIN)
    return [r for r in found if r.started_at >= scenario.started_at]


async def settled(scenario: Scenario) -> int:
    """The message count, once no message came for 0.3 s (the last StasisEnd is in)."""
    count = messages(scenario)
    async with asyncio.timeout(5):
        while True:
            await asyncio.sleep(0.3)
            if (now := messages(scenario)) == count:
                return count
            count = now


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
    [bridge] = [b for b in await scenario.app.rest.list_bridges() if caller.id in b.channels]
    assert sorted(bridge.channels) == sorted([caller.id, leg.id])
    assert bridge.id.startswith(names.BRIDGE_POOL_PREFIX)
    assert await records_of_this_test(scenario) == []  # still talking: no record yet
    checks = messages(scenario) - during

    await call.hangup()
    record = await scenario.call_record(MAIN)
    assert messages(scenario) - before - checks <= MOST_MESSAGES + CREATE_BRIDGE
    assert await scenario.pbx_quiet_within(1.0) < 1.0  # the leg hung up, the bridge empty
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
    assert messages(scenario) - before <= MOST_MESSAGES + CREATE_BRIDGE
    assert await scenario.pbx_quiet_within(1.0) < 1.0
    assert len(await records_of_this_test(scenario)) == 1


async def test_calls_one_after_another_share_one_bridge_and_none_is_left_behind(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    used: list[str] = []
    for n in range(3):
        before = messages(scenario)
        call = await scenario.call(MAIN, hold_seconds=60)
        await call.wait_answered()
        await until_bridged(scenario)
        during = messages(scenario)
        used += await scenario.pbx_bridges()
        checks = messages(scenario) - during
        await call.hangup()
        async with asyncio.timeout(5):
            while len(await records_of_this_test(scenario)) < n + 1:
                await asyncio.sleep(0.05)
        spent = await settled(scenario) - before - checks
        if n:  # the bridge of the call before: neither created nor destroyed
            assert spent <= MOST_MESSAGES
        assert await scenario.pbx_quiet_within(2.0) < 2.0

    assert len(set(used)) == 1  # the same bridge, three calls
    ours = [b for b in await scenario.app.rest.list_bridges() if b.id in used]
    assert [b.channels for b in ours] == [()]  # kept empty for the next call
