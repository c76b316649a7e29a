"""The product must not become the outage: PostgreSQL down, Asterisk restarted."""

from __future__ import annotations

import asyncio

from continuity.admin import SettingsChange
from tests.scenario import Scenario, external

MAIN = "+12125550101"
SALES = "+12125550102"
ANSWERING_SERVICE = "+13125550150"


async def test_calls_keep_routing_while_postgresql_is_down_and_no_call_record_is_lost(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    await scenario.tracking_number(SALES, on=True, destination=external(ANSWERING_SERVICE))
    await scenario.db_link.cut()

    for number, reached in ((MAIN, MAIN), (SALES, ANSWERING_SERVICE)):
        call = await scenario.call(number)
        await call.wait_answered()
        await scenario.reached(reached)
        await call.hangup()
        await call.wait_ended()

    assert await scenario.records.recent(10) == []  # nothing could be written yet
    async with asyncio.timeout(5):
        while scenario.app.recorder.pending() < 2:
            await asyncio.sleep(0.05)

    await scenario.db_link.restore()

    main = await scenario.call_record(MAIN, timeout=20)
    sales = await scenario.call_record(SALES, timeout=20)
    assert (main.answered_kind, main.answered_target) == ("primary", MAIN)
    assert (sales.answered_kind, sales.answered_target) == ("external", ANSWERING_SERVICE)
    assert scenario.app.recorder.pending() == 0


async def test_a_change_made_while_the_app_was_cut_off_applies_once_it_reconnects(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    await scenario.db_link.cut()
    await scenario.admin.change_number(
        MAIN, SettingsChange(on=True, destination=external(ANSWERING_SERVICE))
    )
    await scenario.db_link.restore()
    await scenario.synced()

    await (await scenario.call(MAIN)).wait_answered()

    assert (await scenario.reached(ANSWERING_SERVICE)).role == "pstn"


async def test_after_asterisk_restarts_the_app_reconnects_and_the_next_call_routes(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    before = scenario.app.ari.events.connections

    await scenario.stack.pbx.restart()
    async with asyncio.timeout(15):
        while not (
            scenario.app.ari.events.connections > before and scenario.app.ari.events.connected
        ):
            await asyncio.sleep(0.05)

    call = await scenario.call(MAIN)
    await call.wait_answered()
    assert (await scenario.reached(MAIN)).role == "primary"


async def test_a_call_bridged_by_an_earlier_run_of_the_app_is_released_when_one_side_hangs_up(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    await scenario.stack.set_behavior(MAIN, "hangup-after:1")
    call = await scenario.call(MAIN)
    await call.wait_answered()
    await scenario.reached(MAIN)
    scenario.app.calls.calls.clear()  # all a restarted app knows of this call: nothing

    await call.wait_ended(timeout=4)  # the answering side hung up after 1 s

    assert await scenario.pbx_quiet_within(1.0) < 1.0
