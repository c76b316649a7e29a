"""REST over the event WebSocket: used once Asterisk answers, HTTP otherwise.

The fake speaks the frames Asterisk 22.10 sends (captured from the pbx):
``RESTResponse`` with ``request_id``, ``status_code``, ``reason_phrase`` and
``message_body``, interleaved with events.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from continuity.ari_app.client import AriClient, AriConnectionError, AriEvent, AriNotFound, AriRest

from .fakes import FAST, FakeAriEvents, FakeAriRest, channel, eventually, make_config

AUTH = make_config().credentials.authorization()


def reply(request: dict[str, Any], status: int, body: Any = None) -> str:
    frame: dict[str, Any] = {
        "type": "RESTResponse",
        "transaction_id": "",
        "request_id": request["request_id"],
        "status_code": status,
        "reason_phrase": {200: "OK", 204: "No Content", 404: "Not Found"}.get(status, ""),
        "uri": request["uri"],
    }
    if body is not None:
        frame["content_type"] = "application/json"
        frame["message_body"] = json.dumps(body)
    return json.dumps(frame)


class AsteriskLikePeer:
    """Answers RESTRequest frames like Asterisk 22.10; records what it was sent."""

    def __init__(self, *, answer_requests: bool = True, drop_on: str | None = None) -> None:
        self.answer_requests = answer_requests
        self.drop_on = drop_on
        self.requests: list[dict[str, Any]] = []

    async def script(self, ws: ServerConnection, n: int) -> None:
        try:
            async for frame in ws:
                request = json.loads(frame)
                self.requests.append(request)
                if not self.answer_requests:
                    continue  # an Asterisk older than 22.4 ignores what it is sent
                if request["uri"] == self.drop_on:
                    await ws.close()
                    return
                await ws.send(self.answer(request))
        except ConnectionClosed:
            pass

    @staticmethod
    def answer(request: dict[str, Any]) -> str:
        uri = request["uri"]
        if uri == "asterisk/ping":
            return reply(request, 200, {"ping": "pong"})
        if uri == "channels/caller-1":
            return reply(request, 200, channel("caller-1"))
        if uri == "bridges" and request["method"] == "POST":
            query = {q["name"]: q["value"] for q in request.get("query_strings", [])}
            return reply(
                request,
                200,
                {
                    "id": query["bridgeId"],
                    "technology": "simple_bridge",
                    "bridge_type": query["type"],
                    "channels": [],
                },
            )
        if uri == "channels/create":
            body = json.loads(request["message_body"])
            return reply(request, 200, channel("leg-1") | {"variables": body["variables"]})
        return reply(request, 404, {"message": "Channel not found"})

    def sent(self, uri: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["uri"] == uri]


async def ignore(_event: AriEvent) -> None:
    return None


async def test_once_asterisk_answers_the_probe_requests_go_over_the_websocket() -> None:
    peer = AsteriskLikePeer()
    http = FakeAriRest()
    async with FakeAriEvents(peer.script, AUTH) as server, http.client() as client:
        config = make_config(server.base_url)
        rest = AriRest(config, client)
        async with AriClient(config, rest, ignore, reconnect=FAST):
            await eventually(lambda: rest.over_websocket)
            got = await rest.get_channel("caller-1")
            bridge = await rest.create_bridge("mixing", "caller-1~bridge")
            await rest.create_channel(
                "PJSIP/+15550001111@continuity-pstn",
                "continuity",
                variables={"CALLERID(num)": "+15551230001"},
            )
            with pytest.raises(AriNotFound, match="Channel not found"):
                await rest.hangup("gone-channel", reason="normal")

    assert got.id == "caller-1"
    assert bridge.id == "caller-1~bridge"
    assert http.requests == []  # nothing went over HTTP
    (create,) = peer.sent("channels/create")
    assert {q["name"]: q["value"] for q in create["query_strings"]} == {
        "endpoint": "PJSIP/+15550001111@continuity-pstn",
        "app": "continuity",
    }
    assert json.loads(create["message_body"]) == {"variables": {"CALLERID(num)": "+15551230001"}}
    (hangup,) = peer.sent("channels/gone-channel")
    assert hangup["method"] == "DELETE"
    assert hangup["query_strings"] == [{"name": "reason", "value": "normal"}]


async def test_an_asterisk_that_ignores_rest_frames_is_spoken_to_over_http() -> None:
    peer = AsteriskLikePeer(answer_requests=False)
    http = FakeAriRest(routes={("GET", "/ari/channels/caller-1"): (200, channel("caller-1"))})
    async with FakeAriEvents(peer.script, AUTH) as server, http.client() as client:
        config = make_config(server.base_url)
        rest = AriRest(config, client)
        async with AriClient(config, rest, ignore, reconnect=FAST):
            await eventually(lambda: len(peer.sent("asterisk/ping")) == 1)
            got = await rest.get_channel("caller-1")

    assert got.id == "caller-1"
    assert not rest.over_websocket
    assert [r.url.path for r in http.requests] == ["/ari/channels/caller-1"]


async def test_a_request_waiting_when_the_socket_drops_fails_at_once_and_the_next_works() -> None:
    peer = AsteriskLikePeer(drop_on="channels/caller-1/answer")
    async with FakeAriEvents(peer.script, AUTH) as server, FakeAriRest().client() as client:
        config = make_config(server.base_url)
        rest = AriRest(config, client)
        async with AriClient(config, rest, ignore, reconnect=FAST):
            await eventually(lambda: rest.over_websocket)
            async with asyncio.timeout(2):  # far below the 10 s request timeout
                with pytest.raises(AriConnectionError, match="answer"):
                    await rest.answer("caller-1")
            await eventually(lambda: server.connections == 2 and rest.over_websocket)
            got = await rest.get_channel("caller-1")

    assert got.id == "caller-1"


async def test_the_event_filter_is_set_on_every_connection_before_the_resync() -> None:
    peer = AsteriskLikePeer(answer_requests=False)
    http = FakeAriRest()
    filters_at_resync: list[int] = []

    def filters() -> list[Any]:
        return [r for r in http.requests if r.url.path.endswith("/eventFilter")]

    async def resync() -> None:
        filters_at_resync.append(len(filters()))

    async def script(ws: ServerConnection, n: int) -> None:
        if n == 1:
            await asyncio.sleep(0.05)
            await ws.close()
            return
        await peer.script(ws, n)

    async with FakeAriEvents(script, AUTH) as server, http.client() as client:
        config = make_config(server.base_url)
        rest = AriRest(config, client)
        allowed = ("StasisStart", "Dial")
        async with AriClient(
            config, rest, ignore, reconnect=FAST, on_connected=resync, event_types=allowed
        ):
            await eventually(lambda: server.connections == 2 and len(filters_at_resync) == 2)

    assert filters_at_resync == [1, 2]  # each connection: the filter first, then the resync
    assert [r.url.path for r in filters()] == ["/ari/applications/continuity/eventFilter"] * 2
    assert all(r.method == "PUT" for r in filters())
    # Asterisk filters REST replies like events: without RESTResponse none would come back.
    assert json.loads(filters()[0].content) == {
        "allowed": [{"type": "StasisStart"}, {"type": "Dial"}, {"type": "RESTResponse"}]
    }
