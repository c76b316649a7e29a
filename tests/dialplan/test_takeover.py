"""Issue 11: a caller who is being routed when the app dies is not stranded.

``continuity serve`` runs as a real process and is SIGKILLed mid-call, then
started again as its supervisor would (about a second later). The new run
finds the callers the dead one left in Stasis and takes each over at once:
a call still ringing moves on to the next step of its chain, a bridged call
goes on and is ended and recorded by the new run, a caller in voicemail is
left to it. No channel is left behind on the pbx.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from continuity import names
from continuity.admin import Admin, SettingsChange
from continuity.core.model import ContinuitySettings, Line, LineKind, TrackingNumber
from continuity.core.records import CallRecord, RoutedBy
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from localstack import LocalStack, PlacedCall
from localstack.product import product_config
from tests.dialplan.calls import Landing, caller_channel, landing, seen
from tests.dialplan.serving import (
    Serving,
    a_clean_slate,
    pbx_bridges,
    pbx_channels,
    until_no_channel_left,
)
from tests.scenario import external

RINGING_PRIMARY = "+12125550301"
RINGING_SECOND = "+12125550302"
IN_VOICEMAIL = "+12125550303"
BRIDGED = "+12125550304"
RELAY_SERVICE = "+13125550170"
SLOW_SERVICE = "+13125550171"
FAILING_SERVICE = "+13125550172"
LINE = "relay"
#: How long the supervisor takes to start the app again (systemd RestartSec=1).
RESTART_DELAY = 1.3


@pytest.fixture(scope="module")
async def state(own_db: str) -> str:
    async with Pool(own_db, open=False, min_size=1, max_size=1) as pool:
        admin = Admin(Store(pool), "test")
        # The primary rings a whole minute: only a takeover gets a caller on in seconds.
        await admin.change_account(SettingsChange(), primary_timeout=60)
        await admin.add_line(Line(LINE, LineKind.DEPARTMENT))
        relay = ContinuitySettings(destination=external(RELAY_SERVICE))
        await admin.add_number(TrackingNumber(RINGING_PRIMARY, line=LINE, continuity=relay))
        slow = ContinuitySettings(destination=external(SLOW_SERVICE))
        await admin.add_number(TrackingNumber(RINGING_SECOND, line=LINE, continuity=slow))
        failing = ContinuitySettings(on=True, destination=external(FAILING_SERVICE))
        await admin.add_number(TrackingNumber(IN_VOICEMAIL, line=LINE, continuity=failing))
        await admin.add_number(TrackingNumber(BRIDGED, line=LINE, continuity=relay))
    return own_db


@pytest.fixture
async def serving(own_stack: LocalStack, state: str, tmp_path: Path) -> AsyncIterator[Serving]:
    await a_clean_slate(own_stack, state, [RINGING_PRIMARY, RINGING_SECOND, IN_VOICEMAIL, BRIDGED])
    config = product_config(own_stack, state, tmp_path / "state")
    running = Serving(own_stack, config, tmp_path / "serve.log", BRIDGED)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def restart(serving: Serving) -> None:
    """SIGKILL, then back after the supervisor's delay."""
    await serving.kill()
    await asyncio.sleep(RESTART_DELAY)
    await serving.start(wait=False)


async def until_seen(stack: LocalStack, role: str, number: str) -> None:
    async with asyncio.timeout(10):
        while (role, number) not in [(r, n) for r, n, _ in seen(stack)]:
            await asyncio.sleep(0.05)


async def the_record(url: str, number: str) -> CallRecord:
    """The one record of the one call to ``number`` (waits until it is written)."""
    async with Pool(url, open=False, min_size=1, max_size=1) as pool:
        records = CallRecordStore(pool)
        async with asyncio.timeout(15):
            while not (found := await records.recent(10, number)):
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # a second record would be a bug: give it time to show
            found = await records.recent(10, number)
    assert len(found) == 1, found
    return found[0]


async def a_bridged_call(stack: LocalStack, caller: str) -> PlacedCall:
    """A call to the primary, answered and bridged: both channels up on the pbx."""
    call = await stack.place_call(BRIDGED, caller, hold_seconds=60)
    await call.wait_answered()
    assert len(await pbx_channels(stack)) == 2
    return call


async def test_a_caller_ringing_the_primary_when_the_app_dies_reaches_continuity_after_restart(
    own_stack: LocalStack, serving: Serving, state: str
) -> None:
    stack = own_stack
    await stack.set_behavior(RINGING_PRIMARY, "noanswer")
    call = await stack.place_call(RINGING_PRIMARY, "+13125550121", ring_timeout=90)
    await until_seen(stack, "primary", RINGING_PRIMARY)

    await restart(serving)
    # Without the takeover the caller rings in Stasis forever (the primary for 60 s).
    assert await landing(stack, call, timeout=10) == Landing(
        [("primary", RINGING_PRIMARY, "noanswer"), ("pstn", RELAY_SERVICE, "answer")], "answered"
    )
    assert len(await pbx_channels(stack)) == 2  # the caller and the relay, bridged
    await call.hangup()
    await until_no_channel_left(stack)

    record = await the_record(state, RINGING_PRIMARY)
    assert (record.path, record.answered_kind, record.answered_target) == (
        RoutedBy.TAKEN_OVER,
        "external",
        RELAY_SERVICE,
    )
    assert [(a.kind, a.result) for a in record.attempts] == [
        ("primary", "interrupted"),
        ("external", "answered"),
    ]


async def test_a_caller_ringing_the_second_step_when_the_app_dies_reaches_the_mailbox(
    own_stack: LocalStack, serving: Serving, state: str
) -> None:
    stack = own_stack
    await stack.set_behavior(RINGING_SECOND, "reject:503")
    await stack.set_behavior(SLOW_SERVICE, "noanswer")
    call = await stack.place_call(RINGING_SECOND, "+13125550122", ring_timeout=90)
    await until_seen(stack, "pstn", SLOW_SERVICE)

    await restart(serving)
    assert await landing(stack, call, timeout=10) == Landing(
        [("primary", RINGING_SECOND, "reject:503"), ("pstn", SLOW_SERVICE, "noanswer")],
        f"voicemail:{LINE}",
    )
    await call.hangup()
    await until_no_channel_left(stack)

    record = await the_record(state, RINGING_SECOND)
    assert (record.path, record.answered_kind, record.answered_target) == (
        RoutedBy.TAKEN_OVER,
        "voicemail",
        LINE,
    )


async def test_a_caller_in_voicemail_when_the_app_dies_stays_there_until_done(
    own_stack: LocalStack, serving: Serving, state: str
) -> None:
    stack = own_stack
    await stack.set_behavior(FAILING_SERVICE, "reject:480")
    call = await stack.place_call(IN_VOICEMAIL, "+13125550123", hold_seconds=60)
    assert (await landing(stack, call)).outcome == f"voicemail:{LINE}"

    await restart(serving)
    await serving.until(serving.ready, "starting again")
    await asyncio.sleep(1)  # the new run's takeover has run: the caller is still in voicemail
    assert await caller_channel(stack) is not None
    assert (await caller_channel(stack) or ("", ""))[0] == "continuity-voicemail"
    assert not call.ended.is_set()
    await call.hangup()
    await until_no_channel_left(stack)

    record = await the_record(state, IN_VOICEMAIL)
    assert (record.path, record.answered_kind) == (RoutedBy.APP, "voicemail"), record


async def test_a_call_bridged_when_the_app_dies_goes_on_and_the_new_run_ends_and_records_it(
    own_stack: LocalStack, serving: Serving, state: str
) -> None:
    stack = own_stack
    call = await a_bridged_call(stack, "+13125550124")

    await restart(serving)
    await serving.until(serving.ready, "starting again")
    await asyncio.sleep(1)
    assert len(await pbx_channels(stack)) == 2  # still talking
    assert not call.ended.is_set()
    await call.hangup()
    await until_no_channel_left(stack)  # the far side hung up with it

    record = await the_record(state, BRIDGED)
    assert (record.path, record.answered_kind, record.answered_target) == (
        RoutedBy.TAKEN_OVER,
        "primary",
        BRIDGED,
    )


async def test_a_bridged_caller_who_hangs_up_while_the_app_is_down_frees_the_far_side_at_once(
    own_stack: LocalStack, serving: Serving, state: str
) -> None:
    stack = own_stack
    call = await a_bridged_call(stack, "+13125550125")

    await serving.kill()  # and it stays down
    await call.hangup()
    # The caller's hangup handler hung up the leg: the answering side is not left
    # talking to nobody until the app is back.
    await until_no_channel_left(stack, timeout=2.0)

    await serving.start(wait=False)
    record = await the_record(state, BRIDGED)  # from Asterisk's call trace
    assert (record.outcome, record.answered_kind, record.answered_target) == (
        "answered",
        "primary",
        BRIDGED,
    )


async def test_an_app_stopped_as_systemctl_stop_does_leaves_neither_bridge_nor_app_behind(
    own_stack: LocalStack, serving: Serving
) -> None:
    stack = own_stack
    call = await a_bridged_call(stack, "+13125550126")
    await call.hangup()
    await until_no_channel_left(stack)
    assert len(await pbx_bridges(stack)) == 1  # kept for the next call

    await serving.terminate()
    assert await pbx_bridges(stack) == []
    # Its kept bridges would have kept the stopped app listed (inactive) in Asterisk.
    assert names.ARI_APP not in await stack.pbx.cli("ari show apps")
