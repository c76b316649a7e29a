"""Credentials travel only in the Authorization header, and never leak."""

from __future__ import annotations

import base64
import logging

import pytest
from websockets.asyncio.server import ServerConnection

from continuity.ari_app.client import AriClient, AriEvent, AriRest

from .fakes import (
    FAST,
    PASSWORD,
    FakeAriEvents,
    FakeAriRest,
    channel,
    event,
    eventually,
    make_config,
    send_all,
)

TOKEN = base64.b64encode(f"continuity:{PASSWORD}".encode()).decode()
AUTH = f"Basic {TOKEN}"


async def test_the_password_reaches_asterisk_only_in_the_authorization_header(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in ("continuity.ari_app", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    # picows's most verbose level would show the upgrade request, headers and all.
    caplog.set_level(1, logger="picows")

    async def script(ws: ServerConnection, n: int) -> None:
        await send_all(ws, [event("StasisStart", args=[], channel=channel("caller-1"))])
        if n == 1:
            await ws.close()
        else:
            await ws.wait_closed()

    received: list[AriEvent] = []

    async def handle(ev: AriEvent) -> None:
        received.append(ev)

    rest_fake = FakeAriRest()
    async with FakeAriEvents(script, AUTH) as server, rest_fake.client() as http:
        config = make_config(server.base_url)
        rest = AriRest(config, http)
        async with AriClient(config, rest, handle, reconnect=FAST) as client:
            await rest.answer("caller-1")
            await eventually(lambda: len(received) == 2)
            reprs = [repr(x) for x in (config, config.credentials, rest, client, client.events)]
            reprs += [str(config.credentials), str(config)]

    # HTTP: header present, nothing in the URL.
    request = rest_fake.last
    assert request.headers["Authorization"] == AUTH
    assert PASSWORD not in str(request.url) and "api_key" not in str(request.url)
    # WebSocket upgrade, on the first connection and on the reconnect.
    assert server.connections == 2
    for upgrade in server.requests:
        assert upgrade.headers["Authorization"] == AUTH
        assert upgrade.path == "/ari/events?app=continuity&subscribeAll=false"
    # Never in a repr or a log line.
    for text in reprs:
        assert PASSWORD not in text and TOKEN not in text, text
    assert "password=<hidden>" in repr(config)
    assert caplog.records, "the client should have logged something to inspect"
    for record in caplog.records:
        message = record.getMessage()
        assert PASSWORD not in message and TOKEN not in message, message
    # picows logged the connections, never their upgrade requests.
    assert "WS connection established" in caplog.text
    assert "Authorization" not in caplog.text
