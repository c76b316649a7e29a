"""Issue 11: a live app cut off from ARI catches up with its calls when it reconnects.

The app reaches ARI through a proxy the test cuts. While it is cut off, the
primary a caller was ringing hangs up: the app never hears it. Once ARI is
back the app sees the leg is gone and moves the call on to its continuity
destination, instead of leaving the caller ringing in Stasis for good.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from continuity.admin import Admin
from continuity.config import Config
from continuity.core.model import ContinuitySettings, Line, LineKind, TrackingNumber
from continuity.core.records import RoutedBy
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.db.store import Store
from localstack import LocalStack
from localstack.product import product_config, running_app
from localstack.tcpproxy import TcpProxy
from tests.dialplan.calls import Landing, landing, seen
from tests.dialplan.serving import pbx_channels, until_no_channel_left
from tests.scenario import external

NUMBER = "+12125550501"
SERVICE = "+13125550190"
LINE = "reconnect"


@pytest.fixture(scope="module")
async def state(own_db: str) -> str:
    async with Pool(own_db, open=False, min_size=1, max_size=1) as pool:
        admin = Admin(Store(pool), "test")
        await admin.add_line(Line(LINE, LineKind.DEPARTMENT))
        service = ContinuitySettings(destination=external(SERVICE))
        await admin.add_number(TrackingNumber(NUMBER, line=LINE, continuity=service))
    return own_db


@pytest.fixture
async def ari_link(own_stack: LocalStack) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy.for_url(own_stack.pbx_ari.url)
    await proxy.start()
    yield proxy
    await proxy.close()


async def through(ari_link: TcpProxy, stack: LocalStack, state: str, tmp_path: Path) -> Config:
    """The app's settings on a reset stack, its ARI reached through ``ari_link``."""
    await stack.reset()
    config = product_config(stack, state, tmp_path / "state")
    return product_config(
        stack, state, tmp_path / "state", ari_url=ari_link.url(str(config.ari_url))
    )


async def test_a_call_whose_primary_gave_up_while_the_app_was_cut_off_moves_on_at_reconnect(
    own_stack: LocalStack, state: str, ari_link: TcpProxy, tmp_path: Path
) -> None:
    stack = own_stack
    config = await through(ari_link, stack, state, tmp_path)
    async with running_app(config) as app:
        await stack.set_behavior(NUMBER, "noanswer")
        call = await stack.place_call(NUMBER, "+13125550131", ring_timeout=90)
        async with asyncio.timeout(10):
            while ("primary", NUMBER) not in [(r, n) for r, n, _ in seen(stack)]:
                await asyncio.sleep(0.05)

        await ari_link.cut()
        async with asyncio.timeout(5):
            while app.ari.events.connected:
                await asyncio.sleep(0.02)
        await stack.primary.hangup_all()  # the primary gives up; the app cannot hear it
        async with asyncio.timeout(5):
            while any("~" in line for line in await pbx_channels(stack)):
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert not call.answered.is_set()  # still ringing, in Stasis, nobody routing it

        await ari_link.restore()
        assert await landing(stack, call, timeout=20) == Landing(
            [("primary", NUMBER, "noanswer"), ("pstn", SERVICE, "answer")], "answered"
        )
        await call.hangup()
        await until_no_channel_left(stack)


async def test_a_call_bridged_while_the_app_was_cut_off_is_recorded_when_it_ends_later(
    own_stack: LocalStack, state: str, ari_link: TcpProxy, tmp_path: Path
) -> None:
    """The caller is bridged with its leg in the call's ARI bridge; the app reconnects
    and still hears the caller's end, hangs up the leg, and writes the one record."""
    stack = own_stack
    config = await through(ari_link, stack, state, tmp_path)
    async with running_app(config) as app:
        await stack.set_behavior(NUMBER, "answer")
        call = await stack.place_call(NUMBER, "+13125550132", hold_seconds=60)
        await call.wait_answered()
        async with asyncio.timeout(10):
            while not [b for b in await app.rest.list_bridges() if len(b.channels) == 2]:
                await asyncio.sleep(0.05)
        connections = app.ari.events.connections

        await ari_link.cut()
        async with asyncio.timeout(5):
            while app.ari.events.connected:
                await asyncio.sleep(0.02)
        await ari_link.restore()
        async with asyncio.timeout(20):
            while not (app.ari.events.connected and app.ari.events.connections > connections):
                await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # the reconnection's catch-up ran
        assert not call.ended.is_set()  # still talking
        assert len(app.calls.calls) == 1

        await call.hangup()
        await until_no_channel_left(stack)
        async with Pool(state, open=False, min_size=1, max_size=1) as pool:
            records = CallRecordStore(pool)
            async with asyncio.timeout(10):  # this caller's: others' are in the database
                while not (
                    mine := [
                        r
                        for r in await records.recent(5, NUMBER)
                        if r.caller_number == "+13125550132"
                    ]
                ):
                    await asyncio.sleep(0.1)
        [record] = mine
        assert (record.outcome, record.answered_kind, record.path) == (
            "answered",
            "primary",
            RoutedBy.APP,
        )
        assert app.calls.calls == {}
