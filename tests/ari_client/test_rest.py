"""The REST adapter sends what Asterisk 22 ARI expects and maps its errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from continuity.ari_app.client import (
    AriBadRequest,
    AriConflict,
    AriConnectionError,
    AriHttpError,
    AriNotFound,
    AriPreconditionFailed,
    AriProtocolError,
    AriRest,
    AriServerError,
    AriUnprocessable,
    Bridge,
    Channel,
)

from .fakes import FakeAriRest, channel, make_config

BRIDGE = {
    "id": "call-1",
    "technology": "simple_bridge",
    "bridge_type": "mixing",
    "bridge_class": "stasis",
    "creator": "Stasis",
    "name": "",
    "channels": ["caller-1", "caller-1~leg-1"],
}
PLAYBACK = {
    "id": "pb-1",
    "media_uri": "sound:tt-monkeys",
    "target_uri": "channel:caller-1",
    "language": "en",
    "state": "queued",
}
ROUTES: dict[tuple[str, str], tuple[int, Any]] = {
    ("GET", "/ari/asterisk/info"): (
        200,
        {
            "system": {"version": "22.1.0", "entity_id": "52:54:00:12:34:56"},
            "status": {"startup_time": "2026-11-22T03:00:00.000+0000"},
            "build": {},
            "config": {},
        },
    ),
    ("GET", "/ari/channels"): (200, [channel("caller-1"), channel("caller-2")]),
    ("GET", "/ari/channels/caller-1"): (200, channel("caller-1")),
    ("POST", "/ari/channels/create"): (200, channel("caller-1~leg-1", state="Down")),
    ("POST", "/ari/channels"): (200, channel("caller-1~leg-2", state="Down")),
    ("GET", "/ari/channels/caller-1/variable"): (200, {"value": "+15559870001"}),
    ("POST", "/ari/channels/caller-1/play"): (200, PLAYBACK),
    ("POST", "/ari/bridges"): (200, BRIDGE),
    ("GET", "/ari/bridges"): (200, [BRIDGE]),
}

Call = Callable[[AriRest], Awaitable[object]]

# (what the app calls, method, path, query parameters, JSON body)
WIRE: list[tuple[str, Call, str, str, dict[str, str], Any]] = [
    ("asterisk_info", lambda a: a.asterisk_info(), "GET", "/ari/asterisk/info", {}, None),
    ("list_channels", lambda a: a.list_channels(), "GET", "/ari/channels", {}, None),
    ("get_channel", lambda a: a.get_channel("caller-1"), "GET", "/ari/channels/caller-1", {}, None),
    (
        "create_channel",
        lambda a: a.create_channel(
            "PJSIP/+15557654321@continuity-primary",
            "continuity",
            "leg,caller-1",
            "caller-1~leg-1",
            originator="caller-1",
            variables={"CONTINUITY_ROUTE_KIND": "primary"},
        ),
        "POST",
        "/ari/channels/create",
        {
            "endpoint": "PJSIP/+15557654321@continuity-primary",
            "app": "continuity",
            "appArgs": "leg,caller-1",
            "channelId": "caller-1~leg-1",
            "originator": "caller-1",
        },
        {"variables": {"CONTINUITY_ROUTE_KIND": "primary"}},
    ),
    (
        "dial",
        lambda a: a.dial("caller-1~leg-1", caller="caller-1", timeout=25),
        "POST",
        "/ari/channels/caller-1~leg-1/dial",
        {"caller": "caller-1", "timeout": "25"},
        None,
    ),
    (
        "originate",
        lambda a: a.originate(
            "PJSIP/+15557654321@continuity-pstn",
            app="continuity",
            app_args="leg",
            caller_id='"Alice" <+15551230001>',
            channel_id="caller-1~leg-2",
            variables={"CONTINUITY_ROUTE_KIND": "pstn"},
            timeout=30,
        ),
        "POST",
        "/ari/channels",
        {
            "endpoint": "PJSIP/+15557654321@continuity-pstn",
            "app": "continuity",
            "appArgs": "leg",
            "callerId": '"Alice" <+15551230001>',
            "channelId": "caller-1~leg-2",
            "timeout": "30",
        },
        {"variables": {"CONTINUITY_ROUTE_KIND": "pstn"}},
    ),
    ("answer", lambda a: a.answer("caller-1"), "POST", "/ari/channels/caller-1/answer", {}, None),
    ("ring", lambda a: a.ring("caller-1"), "POST", "/ari/channels/caller-1/ring", {}, None),
    (
        "ring_stop",
        lambda a: a.ring_stop("caller-1"),
        "DELETE",
        "/ari/channels/caller-1/ring",
        {},
        None,
    ),
    (
        "hangup",
        lambda a: a.hangup("caller-1", reason="busy"),
        "DELETE",
        "/ari/channels/caller-1",
        {"reason": "busy"},
        None,
    ),
    (
        "set_variable",
        lambda a: a.set_variable("caller-1", "CONTINUITY_MAILBOX", "100@default"),
        "POST",
        "/ari/channels/caller-1/variable",
        {"variable": "CONTINUITY_MAILBOX", "value": "100@default"},
        None,
    ),
    (
        "get_variable",
        lambda a: a.get_variable("caller-1", "CONTINUITY_TRACKING_NUMBER"),
        "GET",
        "/ari/channels/caller-1/variable",
        {"variable": "CONTINUITY_TRACKING_NUMBER"},
        None,
    ),
    (
        "play",
        lambda a: a.play("caller-1", ["sound:tt-monkeys", "sound:vm-goodbye"], "pb-1"),
        "POST",
        "/ari/channels/caller-1/play",
        {"media": "sound:tt-monkeys,sound:vm-goodbye", "playbackId": "pb-1"},
        None,
    ),
    (
        "continue_in_dialplan",
        lambda a: a.continue_in_dialplan("caller-1", "continuity-fallback", "s", 1),
        "POST",
        "/ari/channels/caller-1/continue",
        {"context": "continuity-fallback", "extension": "s", "priority": "1"},
        None,
    ),
    (
        "create_bridge",
        lambda a: a.create_bridge(bridge_id="call-1"),
        "POST",
        "/ari/bridges",
        {"type": "mixing", "bridgeId": "call-1"},
        None,
    ),
    (
        "add_to_bridge",
        lambda a: a.add_to_bridge("call-1", ["caller-1", "caller-1~leg-1"]),
        "POST",
        "/ari/bridges/call-1/addChannel",
        {"channel": "caller-1,caller-1~leg-1"},
        None,
    ),
    (
        "destroy_bridge",
        lambda a: a.destroy_bridge("call-1"),
        "DELETE",
        "/ari/bridges/call-1",
        {},
        None,
    ),
    ("list_bridges", lambda a: a.list_bridges(), "GET", "/ari/bridges", {}, None),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "params", "body"),
    [pytest.param(*row[1:], id=row[0]) for row in WIRE],
)
async def test_each_rest_call_sends_the_documented_method_path_and_parameters(
    call: Call, method: str, path: str, params: dict[str, str], body: Any
) -> None:
    fake = FakeAriRest(ROUTES)
    async with fake.client() as http:
        await call(AriRest(make_config(), http))
    sent = fake.last
    assert (sent.method, sent.url.path) == (method, path)
    assert dict(sent.url.params) == params
    assert (json.loads(sent.content) if sent.content else None) == body


async def test_an_incoming_call_is_answered_bridged_and_read_back_as_typed_snapshots() -> None:
    fake = FakeAriRest(ROUTES)
    async with fake.client() as http:
        ari = AriRest(make_config(), http)
        info = await ari.asterisk_info()
        caller = await ari.get_channel("caller-1")
        leg = await ari.create_channel("PJSIP/x@continuity-primary", "continuity")
        bridge = await ari.create_bridge()
        tracking_number = await ari.get_variable("caller-1", "CONTINUITY_TRACKING_NUMBER")
        playback = await ari.play("caller-1", "sound:tt-monkeys")
        channels = await ari.list_channels()
    assert info.version == "22.1.0"
    assert caller == Channel(
        id="caller-1",
        name="PJSIP/continuity-inbound-caller-1",
        state="Up",
        caller_number="+15551230001",
        caller_name="Alice",
        connected_number="",
        connected_name="",
        context="continuity-tracking",
        exten="+15559870001",
        priority=2,
        app_name="Stasis",
        app_data="continuity",
    )
    assert (leg.id, leg.state) == ("caller-1~leg-1", "Down")
    assert bridge == Bridge(
        id="call-1",
        bridge_type="mixing",
        technology="simple_bridge",
        name="",
        channels=("caller-1", "caller-1~leg-1"),
    )
    assert tracking_number == "+15559870001"
    assert playback.channel_id == "caller-1"
    assert [c.id for c in channels] == ["caller-1", "caller-2"]


async def test_a_channel_id_with_a_slash_stays_one_path_segment() -> None:
    fake = FakeAriRest()
    async with fake.client() as http:
        await AriRest(make_config(), http).answer("odd/id")
    assert fake.last.url.raw_path == b"/ari/channels/odd%2Fid/answer"


@pytest.mark.parametrize(
    ("status", "error", "ari_message"),
    [
        (400, AriBadRequest, "Invalid reason for hangup provided"),
        (404, AriNotFound, "Channel not found"),
        (409, AriConflict, "Channel not in Stasis application"),
        (412, AriPreconditionFailed, "Channel in invalid state"),
        (422, AriUnprocessable, "Endpoint not found"),
        (500, AriServerError, "Allocation failed"),
        (503, AriServerError, "Service Unavailable"),
        (418, AriHttpError, "I'm a teapot"),
    ],
)
async def test_http_errors_map_to_typed_exceptions_that_say_what_failed(
    status: int, error: type[AriHttpError], ari_message: str
) -> None:
    routes = {("DELETE", "/ari/channels/caller-1"): (status, {"message": ari_message})}
    async with FakeAriRest(routes).client() as http:
        with pytest.raises(error) as raised:
            await AriRest(make_config(), http).hangup("caller-1")
    assert type(raised.value) is error
    assert raised.value.status == status
    assert (raised.value.method, raised.value.path) == ("DELETE", "/channels/caller-1")
    assert str(raised.value) == (
        f"ARI DELETE /channels/caller-1 failed with HTTP {status}: {ari_message}"
    )


async def test_an_error_without_a_json_body_still_has_a_useful_message() -> None:
    def plain_500(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text="boom")

    async with httpx.AsyncClient(transport=httpx.MockTransport(plain_500)) as http:
        with pytest.raises(AriServerError, match=r"POST /channels/c1/answer .* 500: Internal"):
            await AriRest(make_config(), http).answer("c1")


async def test_asterisk_down_raises_a_connection_error_naming_the_request() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refused)) as http:
        with pytest.raises(AriConnectionError) as raised:
            await AriRest(make_config(), http).list_channels()
    assert str(raised.value) == (
        "ARI GET /channels could not reach Asterisk: ConnectError: [Errno 111] Connection refused"
    )


async def test_a_malformed_channel_is_a_protocol_error_naming_the_field() -> None:
    routes = {("GET", "/ari/channels/c1"): (200, {"id": "c1", "name": "PJSIP/x"})}
    async with FakeAriRest(routes).client() as http:
        with pytest.raises(AriProtocolError, match="Channel: field 'state' must be a string"):
            await AriRest(make_config(), http).get_channel("c1")
