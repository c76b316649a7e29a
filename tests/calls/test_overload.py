"""When the app falls behind, callers are handed to the generated fallback dialplan.

A new caller is sent on to [continuity-fallback], which dials the same chain,
when the app or Asterisk is more than ``overload_handoff_after`` behind. Here
the threshold is set to zero, so every call counts as one that came too late.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from continuity import names
from continuity.core.records import RoutedBy
from tests.scenario import Scenario, external

MAIN = "+12125550101"
SALES = "+12125550102"
ANSWERING_SERVICE = "+13125550150"


@pytest.fixture
async def overloaded(scenario: Scenario) -> AsyncIterator[Scenario]:
    calls = scenario.app.calls
    before = calls.handoff_after
    calls.handoff_after = 0.0
    try:
        yield scenario
    finally:
        calls.handoff_after = before


async def test_a_caller_the_app_is_too_late_for_still_reaches_the_right_destination(
    overloaded: Scenario,
) -> None:
    scenario = overloaded
    await scenario.tracking_number(MAIN)
    await scenario.tracking_number(SALES, on=True, destination=external(ANSWERING_SERVICE))
    await scenario.synced()
    await scenario.app.dialplan.apply(scenario.app.snapshots.current)

    for number, reached, role, kind in (
        (MAIN, MAIN, "primary", "primary"),
        (SALES, ANSWERING_SERVICE, "pstn", "external"),
    ):
        call = await scenario.call(number)
        await call.wait_answered()
        seen = await scenario.reached(reached)
        assert seen.role == role
        # Dial() in dialplan bridged it, not the app (its bridges are pooled).
        ours = [b for b in await scenario.pbx_bridges() if b.startswith(names.BRIDGE_POOL_PREFIX)]
        assert ours == []
        await call.hangup()
        await call.wait_ended()

        # One record: the app's, completed from Asterisk's call trace with where it landed.
        record = await scenario.call_record(number)
        assert record.path is RoutedBy.HANDED_TO_FALLBACK
        async with asyncio.timeout(10):
            while (record := await scenario.call_record(number)).answered_kind is None:
                await asyncio.sleep(0.1)
        assert (record.answered_kind, record.answered_target) == (kind, reached)
        assert record.outcome == "answered"
        assert [(a.kind, a.result) for a in record.attempts] == [(kind, "answered")]
        assert len(await scenario.records.recent(5, number)) == 1
