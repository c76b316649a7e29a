"""AriClient end to end: frames off the wire reach the handler, ordered per channel."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict

import pytest
from websockets.asyncio.server import ServerConnection

from continuity.ari_app.client import AriClient, AriError, AriEvent, AriRest, UnknownEvent

from .fakes import (
    FAST,
    FakeAriEvents,
    FakeAriRest,
    channel,
    event,
    eventually,
    make_config,
    send_all,
    varset,
)

AUTH = make_config().credentials.authorization()


async def test_500_events_off_the_wire_are_handled_in_order_per_channel() -> None:
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    frames = [varset(f"caller-{rng.randrange(20)}", seq) for seq in range(500)]

    async def script(ws: ServerConnection, n: int) -> None:
        await send_all(ws, frames)
        await ws.wait_closed()

    handled: dict[str | None, list[int]] = defaultdict(list)

    async def handle(ev: AriEvent) -> None:
        assert isinstance(ev, UnknownEvent)
        await asyncio.sleep(rng.uniform(0, 0.002))
        handled[ev.channel_id].append(int(ev.raw["value"]))

    async with FakeAriEvents(script, AUTH) as server, FakeAriRest().client() as http:
        config = make_config(server.base_url)
        async with AriClient(config, AriRest(config, http), handle, reconnect=FAST):
            await eventually(lambda: sum(map(len, handled.values())) == 500)

    expected: dict[str | None, list[int]] = defaultdict(list)
    for frame in frames:
        expected[frame["channel"]["id"]].append(int(frame["value"]))
    assert dict(handled) == dict(expected)


async def test_a_slow_call_does_not_hold_up_a_new_caller_arriving_over_the_wire() -> None:
    sent_second = asyncio.Event()

    async def script(ws: ServerConnection, n: int) -> None:
        await send_all(ws, [event("StasisStart", args=[], channel=channel("slow-caller"))])
        await asyncio.sleep(0.05)
        sent_second.set()
        await send_all(ws, [event("StasisStart", args=[], channel=channel("new-caller"))])
        await ws.wait_closed()

    handled_at: dict[str | None, float] = {}

    async def handle(ev: AriEvent) -> None:
        if ev.channel_id == "slow-caller":
            await asyncio.sleep(2)
        handled_at[ev.channel_id] = time.monotonic()

    async with FakeAriEvents(script, AUTH) as server, FakeAriRest().client() as http:
        config = make_config(server.base_url)
        client = AriClient(config, AriRest(config, http), handle, drain_timeout=0.1)
        async with client:
            await sent_second.wait()
            sent = time.monotonic()
            await eventually(lambda: "new-caller" in handled_at, timeout=2)
    assert handled_at["new-caller"] - sent < 0.5
    assert "slow-caller" not in handled_at, "exit cancelled the handler after drain_timeout"
    assert client.dispatcher.active_keys == 0


async def test_a_clean_exit_lets_queued_events_finish() -> None:
    async def script(ws: ServerConnection, n: int) -> None:
        await send_all(ws, [event("StasisEnd", channel=channel(f"c{i}")) for i in range(5)])
        await ws.wait_closed()

    done: list[str] = []
    received = 0

    async def handle(ev: AriEvent) -> None:
        nonlocal received
        received += 1
        await asyncio.sleep(0.05)
        done.append(ev.channel_id or "")

    async with FakeAriEvents(script, AUTH) as server, FakeAriRest().client() as http:
        config = make_config(server.base_url)
        async with AriClient(config, AriRest(config, http), handle):
            await eventually(lambda: received == 5)
    assert sorted(done) == [f"c{i}" for i in range(5)]


async def test_a_client_starts_only_once() -> None:
    async def hold(ws: ServerConnection, n: int) -> None:
        await ws.wait_closed()

    async def ignore(ev: AriEvent) -> None:
        return None

    async with FakeAriEvents(hold, AUTH) as server, FakeAriRest().client() as http:
        config = make_config(server.base_url)
        async with AriClient(config, AriRest(config, http), ignore) as client:
            with pytest.raises(
                AriError, match="AriClient for app 'continuity' was already started"
            ):
                await client.start()
