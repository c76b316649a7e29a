"""The event WebSocket survives drops and refusals without ever spinning."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.server import ServerConnection

from continuity.ari_app.client import (
    AriClient,
    AriEvent,
    AriRest,
    EventStream,
    ReconnectPolicy,
    StasisStart,
)

from .fakes import (
    FAST,
    FakeAriEvents,
    FakeAriRest,
    channel,
    event,
    eventually,
    make_config,
    send_all,
)

AUTH = make_config().credentials.authorization()


def stasis_start(channel_id: str) -> dict[str, object]:
    return event("StasisStart", args=["inbound"], channel=channel(channel_id))


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port that refuses connections: bound (so nobody else takes it), never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


async def test_a_server_that_drops_the_socket_three_times_is_reconnected_each_time() -> None:
    async def script(ws: ServerConnection, n: int) -> None:
        await send_all(ws, [stasis_start(f"caller-{n}")])
        if n == 2:
            ws.transport.abort()  # an abrupt drop: no close frame
        elif n <= 3:
            await ws.close()  # a clean close, as on an Asterisk restart
        else:
            await ws.wait_closed()

    received: list[AriEvent] = []
    resyncs = 0

    async def handle(ev: AriEvent) -> None:
        received.append(ev)

    async def resync() -> None:
        nonlocal resyncs
        resyncs += 1

    async with FakeAriEvents(script, AUTH) as server, FakeAriRest().client() as http:
        config = make_config(server.base_url)
        async with AriClient(
            config, AriRest(config, http), handle, on_connected=resync, reconnect=FAST
        ) as client:
            await eventually(lambda: len(received) == 4)
            assert client.events.connected

    assert server.connections == 4
    assert client.events.connections == 4
    assert resyncs == 4, "on_connected runs after every (re)connect"
    assert [ev.channel_id for ev in received] == [f"caller-{n}" for n in (1, 2, 3, 4)]
    assert all(isinstance(ev, StasisStart) for ev in received)
    for request in server.requests:
        assert request.path == "/ari/events?app=continuity&subscribeAll=false"


async def test_a_refused_connection_is_retried_with_growing_delays(refusing_port: int) -> None:
    ceilings: list[float] = []

    def no_jitter(ceiling: float) -> float:
        ceilings.append(ceiling)
        return ceiling

    def ignore(ev: AriEvent) -> None:
        return None

    policy = ReconnectPolicy(base=0.05, cap=0.4, stable_after=10.0)
    stream = EventStream(
        make_config(f"http://127.0.0.1:{refusing_port}"), ignore, policy=policy, jitter=no_jitter
    )
    task = asyncio.create_task(stream.run())
    await asyncio.sleep(1.2)
    task.cancel()
    await asyncio.wait([task])

    assert task.cancelled(), "stopping cancels the loop; CancelledError is not swallowed"
    assert stream.connections == 0
    # Delays 0.05, 0.1, 0.2, 0.4, 0.4 ... fit ~5 attempts into 1.2 s; a spin would do thousands.
    assert 4 <= stream.attempts <= 7
    assert ceilings[:4] == [0.05, 0.1, 0.2, 0.4]
    assert all(c == 0.4 for c in ceilings[4:])


async def test_with_full_jitter_a_refused_connection_still_does_not_spin(
    refusing_port: int,
) -> None:
    def ignore(ev: AriEvent) -> None:
        return None

    policy = ReconnectPolicy(base=0.05, cap=0.4, stable_after=10.0)
    stream = EventStream(make_config(f"http://127.0.0.1:{refusing_port}"), ignore, policy=policy)
    task = asyncio.create_task(stream.run())
    await asyncio.sleep(1.0)
    task.cancel()
    await asyncio.wait([task])
    assert 2 <= stream.attempts <= 40


async def test_a_server_that_accepts_and_closes_at_once_still_gets_backoff() -> None:
    async def slam(ws: ServerConnection, n: int) -> None:
        await ws.close()

    ceilings: list[float] = []

    def no_jitter(ceiling: float) -> float:
        ceilings.append(ceiling)
        return ceiling

    def ignore(ev: AriEvent) -> None:
        return None

    policy = ReconnectPolicy(base=0.05, cap=0.4, stable_after=10.0)
    async with FakeAriEvents(slam, AUTH) as server:
        stream = EventStream(make_config(server.base_url), ignore, policy=policy, jitter=no_jitter)
        task = asyncio.create_task(stream.run())
        await asyncio.sleep(1.2)
        task.cancel()
        await asyncio.wait([task])

    assert 3 <= server.connections <= 7
    assert ceilings[:4] == [0.05, 0.1, 0.2, 0.4], "no reset: the connections never proved healthy"
    gaps = [b - a for a, b in zip(server.connected_at, server.connected_at[1:], strict=False)]
    assert all(gap >= 0.04 for gap in gaps)


async def test_wrong_credentials_are_reported_and_retried_with_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def never(ws: ServerConnection, n: int) -> None:
        raise AssertionError("the upgrade must be refused")

    def ignore(ev: AriEvent) -> None:
        return None

    async with FakeAriEvents(never, "Basic d3Jvbmc6d3Jvbmc=") as server:
        stream = EventStream(make_config(server.base_url), ignore, policy=FAST)
        with caplog.at_level(logging.ERROR, logger="continuity.ari_app.client.stream"):
            task = asyncio.create_task(stream.run())
            await eventually(lambda: len(server.requests) >= 2)
            task.cancel()
            await asyncio.wait([task])

    assert stream.connections == 0
    assert caplog.records[0].getMessage() == (
        "ARI refused the event WebSocket for app continuity with HTTP 401; "
        "check the ARI user and password in ari.conf and http.conf"
    )


async def test_a_failed_resync_drops_the_connection_and_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def script(ws: ServerConnection, n: int) -> None:
        await send_all(ws, [stasis_start(f"caller-{n}")])
        await ws.wait_closed()

    received: list[str | None] = []
    resyncs = 0

    def handle(ev: AriEvent) -> None:
        received.append(ev.channel_id)

    async def resync() -> None:
        nonlocal resyncs
        resyncs += 1
        if resyncs == 1:
            raise RuntimeError("PostgreSQL not ready")

    async with FakeAriEvents(script, AUTH) as server:
        stream = EventStream(make_config(server.base_url), handle, on_connected=resync, policy=FAST)
        task = asyncio.create_task(stream.run())
        await eventually(lambda: received == ["caller-2"])
        task.cancel()
        await asyncio.wait([task])

    assert server.connections == 2
    assert "on_connected failed for ARI app continuity" in caplog.text


async def test_unreadable_frames_are_skipped_and_the_stream_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def script(ws: ServerConnection, n: int) -> None:
        await ws.send("{not json")
        await send_all(ws, [stasis_start("caller-1")])
        await ws.wait_closed()

    received: list[str | None] = []

    def handle(ev: AriEvent) -> None:
        received.append(ev.channel_id)

    async with FakeAriEvents(script, AUTH) as server:
        stream = EventStream(make_config(server.base_url), handle, policy=FAST)
        task = asyncio.create_task(stream.run())
        await eventually(lambda: received == ["caller-1"])
        task.cancel()
        await asyncio.wait([task])

    assert server.connections == 1
    assert "Skipping unreadable ARI event: ARI event frame is not JSON" in caplog.text


async def test_leaving_the_client_while_connected_or_backing_off_is_prompt(
    refusing_port: int,
) -> None:
    async def hold(ws: ServerConnection, n: int) -> None:
        await ws.wait_closed()

    async def ignore(ev: AriEvent) -> None:
        return None

    async def enter_and_leave(base_url: str, http: httpx.AsyncClient) -> AriClient:
        config = make_config(base_url)
        slow = ReconnectPolicy(base=30.0, cap=60.0)
        client = AriClient(config, AriRest(config, http), ignore, reconnect=slow)
        async with asyncio.timeout(1), client:
            await eventually(lambda: client.events.attempts == 1)
            await asyncio.sleep(0.05)
        return client

    async with FakeAriEvents(hold, AUTH) as server, FakeAriRest().client() as http:
        connected = await enter_and_leave(server.base_url, http)
        backing_off = await enter_and_leave(f"http://127.0.0.1:{refusing_port}", http)
    assert server.connections == 1
    assert not connected.running and not backing_off.running


async def test_an_event_sent_in_fragments_arrives_whole_between_the_others() -> None:
    fragmented = json.dumps(stasis_start("caller-2"))
    third = len(fragmented) // 3

    async def script(ws: ServerConnection, n: int) -> None:
        await send_all(ws, [stasis_start("caller-1")])
        await ws.send([fragmented[:third], fragmented[third : 2 * third], fragmented[2 * third :]])
        await send_all(ws, [stasis_start("caller-3")])
        await ws.wait_closed()

    received: list[str | None] = []

    def handle(ev: AriEvent) -> None:
        received.append(ev.channel_id)

    async with FakeAriEvents(script, AUTH) as server:
        stream = EventStream(make_config(server.base_url), handle, policy=FAST)
        task = asyncio.create_task(stream.run())
        await eventually(lambda: len(received) == 3)
        task.cancel()
        await asyncio.wait([task])

    assert received == ["caller-1", "caller-2", "caller-3"]
    assert stream.frames_received == 3
