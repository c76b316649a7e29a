"""Issue 2: a real call routed by our ARI app through real Asterisk and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx

from continuity import names
from continuity.admin import SettingsChange
from continuity.core.model import LineKind
from tests.scenario import CALLER, Scenario, external

MAIN = "+12125550101"
ANSWERING_SERVICE = "+13125550150"


async def test_with_continuity_off_the_primary_trunk_answers_for_the_tracking_number(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)

    call = await scenario.call(MAIN, CALLER, caller_name="Pat Caller")
    await call.wait_answered()

    seen = await scenario.reached(MAIN)
    assert seen.role == "primary"
    assert seen.caller_id_number == CALLER
    assert seen.caller_id_name == "Pat Caller"
    assert seen.outcome == "answer"
    assert [o.number for o in scenario.observed()] == [MAIN]


async def test_with_continuity_on_the_external_number_answers_instead(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN, on=True, destination=external(ANSWERING_SERVICE))

    call = await scenario.call(MAIN)
    await call.wait_answered()

    seen = await scenario.reached(ANSWERING_SERVICE)
    assert seen.role == "pstn"
    assert seen.caller_id_number == CALLER
    assert all(o.role != "primary" for o in scenario.observed())


async def test_an_unknown_number_is_rejected_at_once_and_logged(
    scenario: Scenario, caplog: object
) -> None:
    await scenario.tracking_number(MAIN)

    call = await scenario.call("+12125550177")
    cause = await call.wait_ended(timeout=5)

    assert cause == 1  # unallocated: the carrier sees 404, it never rings forever
    assert scenario.observed() == []
    record = await scenario.call_record("+12125550177")
    assert record.outcome == "unknown_number"


async def test_when_the_caller_hangs_up_both_legs_are_gone_within_a_second(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    call = await scenario.call(MAIN)
    await call.wait_answered()
    await scenario.reached(MAIN)
    assert len(await scenario.pbx_channels()) == 2

    await call.hangup()

    assert await scenario.pbx_quiet_within(1.0) < 1.0


async def test_when_the_answering_side_hangs_up_the_caller_is_released_within_a_second(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    await scenario.stack.set_behavior(MAIN, "hangup-after:1")
    call = await scenario.call(MAIN)
    await call.wait_answered()

    await call.wait_ended(timeout=3)

    assert await scenario.pbx_quiet_within(1.0) < 1.0
    record = await scenario.call_record(MAIN)
    assert record.outcome == "answered"
    assert record.answered_kind == "primary"


async def test_the_account_default_applies_to_every_number_without_its_own(
    scenario: Scenario,
) -> None:
    await scenario.line("main", LineKind.MAIN)
    await scenario.tracking_number(MAIN)
    await scenario.account(SettingsChange(on=True, destination=external(ANSWERING_SERVICE)))

    call = await scenario.call(MAIN)
    await call.wait_answered()

    assert (await scenario.reached(ANSWERING_SERVICE)).role == "pstn"


async def test_the_caller_hears_ringing_and_is_not_answered_before_the_callee_answers(
    scenario: Scenario,
) -> None:
    await scenario.tracking_number(MAIN)
    await scenario.stack.set_behavior(MAIN, "noanswer")

    call = await scenario.call(MAIN)
    await scenario.reached(MAIN)
    async with asyncio.timeout(5):
        await call.ringing.wait()
    await asyncio.sleep(1.0)

    assert not call.answered.is_set()
    assert await scenario.pbx_bridges() == []


async def test_the_app_speaks_to_asterisk_over_one_websocket_and_gets_only_its_events(
    scenario: Scenario,
) -> None:
    http_requests: list[str] = []

    async def seen(request: httpx.Request) -> None:
        http_requests.append(f"{request.method} {request.url.path}")

    scenario.app.http.event_hooks["request"].append(seen)
    try:
        await scenario.tracking_number(MAIN)
        call = await scenario.call(MAIN)
        await call.wait_answered()
        await scenario.reached(MAIN)
        async with asyncio.timeout(5):
            while not await scenario.pbx_bridges():  # answered, then bridged
                await asyncio.sleep(0.02)
        await call.hangup()
        record = await scenario.call_record(MAIN)
    finally:
        scenario.app.http.event_hooks["request"].remove(seen)

    assert record.outcome == "answered"
    assert scenario.app.rest.over_websocket
    assert [r for r in http_requests if "/ari/" in r] == []  # every ARI request on the socket
    allowed = await scenario.app.rest.event_filter(names.ARI_APP)
    assert "StasisStart" in allowed
    assert "ChannelVarset" not in allowed  # ~36 per call, none of use
