"""Calls through the real local stack: carrier -> pbx -> carrier trunks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from continuity import names
from localstack import LocalStack, Observation

CALLER = "+15551112222"


def dial_out_dialplan(trunk: str, *, ring_seconds: int = 5) -> str:
    """A stand-in for the product's generated dialplan: send every call to ``trunk``.

    It records how the dial ended in the pbx's AstDB (``outcome/<number>``).
    """
    return (
        f"[{names.CTX_TRACKING}]\n"
        "exten => _[+0-9].,1,Set(NUMBER=${EXTEN})\n"
        f" same => n,Dial(PJSIP/${{EXTEN}}@{trunk},{ring_seconds})\n"
        " same => n,Hangup()\n"
        "exten => h,1,Set(DB(outcome/${NUMBER})="
        "${DIALSTATUS}|${HANGUPCAUSE(${HANGUPCAUSE_KEYS()},tech)})\n"
    )


async def pbx_outcome(stack: LocalStack, number: str) -> str:
    """How the pbx's Dial() to ``number`` ended, e.g. ``CONGESTION|SIP 503 ...``."""
    async with asyncio.timeout(5):
        while True:
            output = await stack.pbx.cli(f"database get outcome {number}")
            if output.startswith("Value: "):
                return output.removeprefix("Value: ").strip()
            await asyncio.sleep(0.05)


async def observed(stack: LocalStack, count: int = 1) -> list[Observation]:
    async with asyncio.timeout(5):
        while len(stack.carrier_observations()) < count:
            await asyncio.sleep(0.05)
    return stack.carrier_observations()


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.05)


async def test_both_instances_run_asterisk_22_with_ari_for_the_product(stack: LocalStack) -> None:
    assert "Asterisk 22" in await stack.pbx.cli("core show version")
    assert "Asterisk 22" in await stack.carrier.cli("core show version")
    endpoints = await stack.pbx.cli("pjsip show endpoints")
    for endpoint in (names.ENDPOINT_INBOUND, names.ENDPOINT_PRIMARY, names.ENDPOINT_PSTN):
        assert endpoint in endpoints
    ari = stack.pbx_ari
    async with httpx.AsyncClient(auth=(ari.username, ari.password)) as client:
        response = await client.get(f"{ari.url}/asterisk/info")
    assert response.status_code == 200
    assert response.json()["system"]["entity_id"]


async def test_a_caller_dials_a_tracking_number_and_the_pbx_forwards_it_to_the_primary_trunk(
    stack: LocalStack,
) -> None:
    await stack.write_generated_dialplan(dial_out_dialplan(names.ENDPOINT_PRIMARY))

    call = await stack.place_call("+15551230001", caller_id=CALLER, caller_name="Alice")
    await call.wait_answered()

    [observation] = await observed(stack)
    assert observation.role == "primary"
    assert observation.number == "+15551230001"
    assert observation.caller_id_number == CALLER
    assert observation.caller_id_name == "Alice"
    assert observation.outcome == "answer"

    await call.hangup()
    assert await call.wait_ended() == 16
    assert await pbx_outcome(stack, "+15551230001") == "ANSWER|SIP 200 OK"


async def test_a_call_the_pbx_sends_to_the_pstn_trunk_is_observed_as_pstn(
    stack: LocalStack,
) -> None:
    await stack.write_generated_dialplan(dial_out_dialplan(names.ENDPOINT_PSTN))

    call = await stack.place_call("+15557654321", caller_id=CALLER)
    await call.wait_answered()

    [observation] = await observed(stack)
    assert (observation.role, observation.number) == ("pstn", "+15557654321")
    await call.hangup()


async def test_the_primary_trunk_rejecting_with_503_is_seen_by_the_pbx_as_503(
    stack: LocalStack,
) -> None:
    await stack.write_generated_dialplan(dial_out_dialplan(names.ENDPOINT_PRIMARY))
    await stack.set_behavior("+15551230002", "reject:503")

    call = await stack.place_call("+15551230002", caller_id=CALLER)

    assert await pbx_outcome(stack, "+15551230002") == "CONGESTION|SIP 503 Service Unavailable"
    [observation] = await observed(stack)
    assert observation.outcome == "reject:503"
    await call.wait_ended()
    assert not call.answered.is_set()


async def test_a_busy_destination_is_seen_by_the_pbx_as_486(stack: LocalStack) -> None:
    await stack.write_generated_dialplan(dial_out_dialplan(names.ENDPOINT_PSTN))
    await stack.set_behavior("+15550000486", "reject:486")

    await stack.place_call("+15550000486", caller_id=CALLER)

    assert await pbx_outcome(stack, "+15550000486") == "BUSY|SIP 486 Busy Here"


async def test_a_destination_that_never_answers_rings_until_the_pbx_gives_up(
    stack: LocalStack,
) -> None:
    await stack.write_generated_dialplan(dial_out_dialplan(names.ENDPOINT_PRIMARY, ring_seconds=1))
    await stack.set_behavior("+15551230003", "noanswer")

    call = await stack.place_call("+15551230003", caller_id=CALLER)

    assert (await pbx_outcome(stack, "+15551230003")).startswith("NOANSWER|")
    [observation] = await observed(stack)
    assert observation.outcome == "noanswer"
    await call.wait_ended()


async def test_a_destination_that_hangs_up_after_a_second_ends_the_call(stack: LocalStack) -> None:
    await stack.write_generated_dialplan(dial_out_dialplan(names.ENDPOINT_PRIMARY))
    await stack.set_behavior("+15551230004", "hangup-after:1")

    call = await stack.place_call("+15551230004", caller_id=CALLER)
    await call.wait_answered()
    await call.wait_ended(timeout=5)

    [observation] = await observed(stack)
    assert observation.outcome == "hangup-after:1"
    assert await pbx_outcome(stack, "+15551230004") == "ANSWER|SIP 200 OK"


async def test_the_caller_can_hang_up_while_the_pbx_still_rings_the_trunk(
    stack: LocalStack,
) -> None:
    await stack.write_generated_dialplan(dial_out_dialplan(names.ENDPOINT_PRIMARY, ring_seconds=10))
    await stack.set_behavior("+15551230005", "noanswer")
    call = await stack.place_call("+15551230005", caller_id=CALLER)
    await observed(stack)
    await until(lambda: call.channel is not None)

    await call.hangup()

    assert (await pbx_outcome(stack, "+15551230005")).startswith("CANCEL|")
    assert await call.wait_ended() is not None
