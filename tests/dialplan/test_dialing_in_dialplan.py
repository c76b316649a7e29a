"""Issue 13: ``dialing = dialplan``, the app plans each call and the dialplan dials it.

The app sends each caller of a known number on, with one ``continue``, to the
generated tracking context's entry whose label names the routing state the file
was rendered from; the fallback there dials the chain the app planned. The call
costs the app four WebSocket messages (``StasisStart``, the request and its reply,
``StasisEnd``), and its record is the app's, completed from Asterisk's call trace
with where the call landed. When Asterisk holds a file of another state, the label
is not there: Asterisk refuses the caller and the app dials the chain itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from continuity.admin import Admin, SettingsChange
from continuity.compose import App
from continuity.config import Dialing, FallbackStore
from continuity.core.model import ContinuitySettings, Line, LineKind, TrackingNumber
from continuity.core.records import CallRecord, RoutedBy
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from continuity.dialplan_templates.render import extensions_path
from localstack import LocalStack
from localstack.product import product_config, running_app
from tests.dialplan.calls import Landing, landing
from tests.dialplan.serving import a_clean_slate, until_no_channel_left
from tests.scenario import external

NORMAL = "+12125550601"
CONTINUITY_ON = "+12125550602"
VOICEMAIL_ENDING = "+12125550603"
ANSWERING_SERVICE = "+13125550160"
FAILING_SERVICE = "+13125550161"
LINE = "dialing"
#: StasisStart, the continue and its reply, StasisEnd.
MESSAGES_PER_CALL = 4


@pytest.fixture(scope="module")
async def state(own_db: str) -> str:
    async with Pool(own_db, open=False, min_size=1, max_size=1) as pool:
        admin = Admin(Store(pool), "test")
        await admin.add_line(Line(LINE, LineKind.DEPARTMENT))
        await admin.add_number(TrackingNumber(NORMAL, line=LINE))
        on = ContinuitySettings(on=True, destination=external(ANSWERING_SERVICE))
        await admin.add_number(TrackingNumber(CONTINUITY_ON, line=LINE, continuity=on))
        failing = ContinuitySettings(on=True, destination=external(FAILING_SERVICE))
        await admin.add_number(TrackingNumber(VOICEMAIL_ENDING, line=LINE, continuity=failing))
    return own_db


@pytest.fixture(params=[FallbackStore.FILE, FallbackStore.ASTDB])
async def app(
    own_stack: LocalStack, state: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[App]:
    """The app with ``dialing = dialplan``, the routes in the file or in AstDB."""
    await a_clean_slate(own_stack, state, [NORMAL, CONTINUITY_ON, VOICEMAIL_ENDING])
    config = product_config(
        own_stack, state, tmp_path / "state", dialing=Dialing.DIALPLAN, fallback_store=request.param
    )
    async with running_app(config) as running:
        # Past the start-up resync (requests then go over the WebSocket): a caller that
        # entered during it would be taken over as another run's. And the fallback of
        # the state the app routes with is loaded.
        async with asyncio.timeout(10):
            while not (running.rest.over_websocket and running.dialplan_entry()):
                await asyncio.sleep(0.02)
        yield running


async def the_record(url: str, number: str) -> CallRecord:
    """The one record of the one call to ``number``, once the trace has completed it."""
    async with Pool(url, open=False, min_size=1, max_size=1) as pool:
        records = CallRecordStore(pool)
        async with asyncio.timeout(15):
            while not (found := await records.recent(10, number)) or not found[0].answered_kind:
                await asyncio.sleep(0.1)
    assert len(found) == 1, found
    return found[0]


def messages(app: App) -> int:
    events = app.ari.events
    return events.frames_received + events.frames_sent


async def test_each_call_lands_where_the_state_says_in_four_messages_and_one_record(
    own_stack: LocalStack, app: App, state: str
) -> None:
    stack = own_stack
    await stack.set_behavior(FAILING_SERVICE, "reject:486")
    for number, expected, landed in (
        (NORMAL, Landing([("primary", NORMAL, "answer")], "answered"), ("primary", NORMAL)),
        (
            CONTINUITY_ON,
            Landing([("pstn", ANSWERING_SERVICE, "answer")], "answered"),
            ("external", ANSWERING_SERVICE),
        ),
        (
            VOICEMAIL_ENDING,
            Landing([("pstn", FAILING_SERVICE, "reject:486")], f"voicemail:{LINE}"),
            ("voicemail", LINE),
        ),
    ):
        stack.control.clear_observations()
        before = messages(app)
        call = await stack.place_call(number, "+13125550170", hold_seconds=30)
        assert await landing(stack, call) == expected
        await call.hangup()
        await until_no_channel_left(stack)
        assert messages(app) - before == MESSAGES_PER_CALL

        record = await the_record(state, number)
        assert record.path is RoutedBy.DIALPLAN
        assert (record.answered_kind, record.answered_target) == landed
        assert record.outcome == "answered"


async def test_a_file_of_another_state_refuses_the_caller_and_the_app_dials_its_own_plan(
    own_stack: LocalStack, app: App, state: str
) -> None:
    """Asterisk still holds the file from before continuity was switched on for the
    number: the caller reaches the answering service the app's state names."""
    stack = own_stack
    path = extensions_path(app.config.asterisk_config_dir)
    before = path.read_text(encoding="utf-8")
    version = app.snapshots.current.version
    async with Pool(state, open=False, min_size=1, max_size=1) as pool:
        admin = Admin(Store(pool), "test")
        on = SettingsChange(on=True, destination=external(ANSWERING_SERVICE))
        await admin.change_number(NORMAL, on)
        try:
            async with asyncio.timeout(10):
                while not (
                    app.snapshots.current.version > version
                    and app.dialplan_status.last is not None
                    and app.dialplan_status.last.version > version
                ):
                    await asyncio.sleep(0.05)
            # The file of the state before, loaded behind the app's back.
            path.write_text(before, encoding="utf-8")
            await stack.pbx.cli("dialplan reload")

            call = await stack.place_call(NORMAL, "+13125550171", hold_seconds=30)
            assert await landing(stack, call) == Landing(
                [("pstn", ANSWERING_SERVICE, "answer")], "answered"
            )
            await call.hangup()
            await until_no_channel_left(stack)
            async with asyncio.timeout(15):
                while not (records := await CallRecordStore(pool).recent(10, NORMAL)):
                    await asyncio.sleep(0.1)
            [record] = records
            assert (record.path, record.answered_target) == (RoutedBy.APP, ANSWERING_SERVICE)
        finally:
            await admin.change_number(NORMAL, SettingsChange(on=None, destination=None))


async def test_a_call_up_when_asterisk_restarts_still_has_its_one_record(
    own_stack: LocalStack, app: App, state: str
) -> None:
    """The app, reconnected, finds the caller gone and writes the call's record itself;
    a trace line Asterisk wrote as it went (its hangup handlers may run) completes that
    record, or is the record if it came first. Either way: one record."""
    stack = own_stack
    call = await stack.place_call(NORMAL, "+13125550172", hold_seconds=60)
    await call.wait_answered()
    async with asyncio.timeout(5):
        while NORMAL not in {c.dialed for c in app.calls.calls.values()}:
            await asyncio.sleep(0.05)
    connections = app.ari.events.connections

    await stack.pbx.restart()
    async with asyncio.timeout(20):
        while not (app.ari.events.connected and app.ari.events.connections > connections):
            await asyncio.sleep(0.05)

    async with asyncio.timeout(15):
        while not await _paths(state, NORMAL):
            await asyncio.sleep(0.1)
    await app.trace.ingest()  # a trace line still on its way: the same record, completed
    assert await _paths(state, NORMAL) == [RoutedBy.DIALPLAN.value]
    assert app.calls.calls == {}  # nothing left waiting for a trace


async def _paths(url: str, number: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT path FROM call_records WHERE tracking_number = %s", (number,)
        )
        return [str(path) for (path,) in await cursor.fetchall()]
