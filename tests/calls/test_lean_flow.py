"""Issue 13: a bridged call is bridged in one ARI bridge, both sides in our app.

Once the primary answers, the app answers the caller and adds both channels to a
mixing bridge with one ``addChannel``. Neither channel is yanked out of Stasis, as
the caller's ``Bridge(<leg>)`` in a generated bridge context did: Asterisk 22's
masquerade could leave the leg's old channel behind for good (``Surrogate/...``,
about 1 call in 150 under load). Whichever side hangs up, its hangup handler
(generated dialplan) hangs up the other, and the app writes the call's record.
The bridge is kept for the next call, once both channels have left it: no bridge
is created or destroyed per call.
"""

from __future__ import annotations

import asyncio

from continuity import names
from continuity.ari_app.client.models import Bridge, Channel
from continuity.core.records import CallRecord
from tests.scenario import Scenario

MAIN = "+12125550101"
#: StasisStart and StasisEnd of both channels (no ChannelDestroyed: an answered
#: leg's end is its StasisEnd); originate, answer and addChannel, each with its
#: reply: 10. The side that hangs up has its hangup handler hang up the other, and
#: the first call of a run also creates the bridge.
MOST_MESSAGES = 10
CREATE_BRIDGE = 2


class Wire:
    """The WebSocket messages of the app's calls, less the test's own questions to
    Asterisk (two messages each: they go over the app's WebSocket too)."""

    def __init__(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self._asked = 0
        self._start = self._total()

    def _total(self) -> int:
        events = self._scenario.app.ari.events
        return events.frames_received + events.frames_sent

    def spent(self) -> int:
        return self._total() - self._start - 2 * self._asked

    async def settled(self) -> int:
        """What the calls spent, once no message came for 0.3 s (the last StasisEnd)."""
        count = self.spent()
        async with asyncio.timeout(5):
            while True:
                await asyncio.sleep(0.3)
                if (now := self.spent()) == count:
                    return count
                count = now

    async def bridge_of(self, caller: str) -> Bridge:
        """The bridge the caller is in, once Asterisk has its leg in it too."""
        async with asyncio.timeout(10):
            while True:
                self._asked += 1
                for bridge in await self._scenario.app.rest.list_bridges():
                    if caller in bridge.channels and len(bridge.channels) == 2:
                        return bridge
                await asyncio.sleep(0.02)

    async def channels(self) -> list[Channel]:
        self._asked += 1
        return await self._scenario.app.rest.list_channels()


async def records_of_this_test(scenario: Scenario) -> list[CallRecord]:
    found = await scenario.records.recent(5, MAIN)
    return [r for r in found if r.started_at >= scenario.started_at]


async def the_caller(wire: Wire) -> str:
    """The id of the one caller in the app (its legs are ``<caller>~<step>``)."""
    async with asyncio.timeout(10):
        while not (callers := [c.id for c in await wire.channels() if names.ID_SEP not in c.id]):
            await asyncio.sleep(0.02)
    [caller] = callers
    return caller


async def test_the_primary_answers_and_both_sides_stay_in_the_app_in_one_ari_bridge(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    wire = Wire(scenario)

    call = await scenario.call(MAIN, hold_seconds=60)
    await call.wait_answered()
    bridge = await wire.bridge_of(await the_caller(wire))

    channels = await wire.channels()
    [caller] = [c for c in channels if names.ID_SEP not in c.id]
    [leg] = [c for c in channels if c.id.startswith(caller.id + names.ID_SEP)]
    assert [(c.app_name, c.app_data.split(",")[0], c.state) for c in (caller, leg)] == [
        ("Stasis", names.ARI_APP, "Up"),
        ("Stasis", names.ARI_APP, "Up"),
    ]
    assert sorted(bridge.channels) == sorted([caller.id, leg.id])
    assert bridge.id.startswith(names.BRIDGE_POOL_PREFIX)
    assert await records_of_this_test(scenario) == []  # still talking: no record yet

    await call.hangup()
    record = await scenario.call_record(MAIN)
    assert await wire.settled() <= MOST_MESSAGES + CREATE_BRIDGE
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
    wire = Wire(scenario)

    call = await scenario.call(MAIN, hold_seconds=60)
    await call.wait_answered()
    cause = await call.wait_ended(timeout=5)

    assert cause == 16  # normal clearing, as when the app hung the caller up
    record = await scenario.call_record(MAIN)
    assert (record.outcome, record.answered_kind) == ("answered", "primary")
    assert await wire.settled() <= MOST_MESSAGES + CREATE_BRIDGE
    assert await scenario.pbx_quiet_within(1.0) < 1.0
    assert len(await records_of_this_test(scenario)) == 1


async def test_calls_one_after_another_share_one_bridge_and_none_is_left_behind(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    used: list[str] = []
    for n in range(3):
        wire = Wire(scenario)
        call = await scenario.call(MAIN, hold_seconds=60)
        await call.wait_answered()
        used.append((await wire.bridge_of(await the_caller(wire))).id)
        await call.hangup()
        async with asyncio.timeout(5):
            while len(await records_of_this_test(scenario)) < n + 1:
                await asyncio.sleep(0.05)
        spent = await wire.settled()
        if n:  # the bridge of the call before: neither created nor destroyed
            assert spent <= MOST_MESSAGES
        assert await scenario.pbx_quiet_within(2.0) < 2.0

    assert len(set(used)) == 1  # the same bridge, three calls
    ours = [b for b in await scenario.app.rest.list_bridges() if b.id in used]
    assert [b.channels for b in ours] == [()]  # kept empty for the next call
