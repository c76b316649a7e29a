"""Fake ARI peers for wire-format tests only: a real WebSocket server on an
ephemeral port and an ``httpx.MockTransport`` REST responder.

These never stand in for Asterisk in call-flow tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from continuity.ari_app.client import AriConfig, AriCredentials, ReconnectPolicy

#: A per-connection script: ``(connection, 1-based connection number)``.
Script = Callable[[ServerConnection, int], Awaitable[None]]

TIMESTAMP = "2026-11-22T03:14:03.123+0000"
PASSWORD = "s3cret-Pa55word"

#: Fast reconnects so tests spend milliseconds, not seconds, in backoff.
FAST = ReconnectPolicy(base=0.01, cap=0.05, stable_after=10.0)


def make_config(base_url: str = "http://127.0.0.1:8088") -> AriConfig:
    return AriConfig(
        base_url=base_url,
        credentials=AriCredentials("continuity", PASSWORD),
        app="continuity",
        ws_open_timeout=2.0,
    )


def channel(channel_id: str, *, state: str = "Up", number: str = "+15551230001") -> dict[str, Any]:
    """An ARI ``Channel`` as Asterisk 22 sends it."""
    return {
        "id": channel_id,
        "name": f"PJSIP/continuity-inbound-{channel_id}",
        "state": state,
        "protocol_id": "",
        "caller": {"name": "Alice", "number": number},
        "connected": {"name": "", "number": ""},
        "accountcode": "",
        "dialplan": {
            "context": "continuity-tracking",
            "exten": "+15559870001",
            "priority": 2,
            "app_name": "Stasis",
            "app_data": "continuity",
        },
        "creationtime": TIMESTAMP,
        "language": "en",
    }


def event(kind: str, **fields: Any) -> dict[str, Any]:
    """An ARI event envelope with ``fields`` merged in."""
    return {
        "type": kind,
        "application": "continuity",
        "timestamp": TIMESTAMP,
        "asterisk_id": "52:54:00:12:34:56",
        **fields,
    }


def varset(channel_id: str, seq: int) -> dict[str, Any]:
    """A ``ChannelVarset`` (parsed as ``UnknownEvent``) carrying a sequence number."""
    return event("ChannelVarset", variable="SEQ", value=str(seq), channel=channel(channel_id))


@dataclass
class FakeAriEvents:
    """A WebSocket server speaking ``/ari/events`` on 127.0.0.1, port 0.

    It answers 401 unless the ``Authorization`` header is ``expected_auth``,
    records every upgrade request, and runs ``script`` for each connection.
    """

    script: Script
    expected_auth: str
    requests: list[Request] = field(default_factory=list)
    connected_at: list[float] = field(default_factory=list)
    _server: Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "FakeAriEvents is not started"
        return int(next(iter(self._server.sockets)).getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        return len(self.connected_at)

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        self.requests.append(request)
        if request.headers.get("Authorization") != self.expected_auth:
            return connection.respond(401, "Authentication required\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        self.connected_at.append(time.monotonic())
        await self.script(connection, len(self.connected_at))

    async def __aenter__(self) -> FakeAriEvents:
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._check,
            logger=logging.getLogger("tests.ari_client.fake_ari"),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


async def send_all(connection: ServerConnection, events: list[dict[str, Any]]) -> None:
    for item in events:
        await connection.send(json.dumps(item))


@dataclass
class FakeAriRest:
    """Answers REST calls from a route table and records every request."""

    routes: Mapping[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body = self.routes.get((request.method, request.url.path), (204, None))
        if body is None:
            return httpx.Response(status)
        return httpx.Response(status, json=body)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``check`` until true; fail after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.005)
