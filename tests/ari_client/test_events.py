"""Each ARI event frame becomes a typed event that knows its channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from continuity.ari_app.client import (
    AriProtocolError,
    ChannelDestroyed,
    ChannelEnteredBridge,
    ChannelHangupRequest,
    ChannelLeftBridge,
    ChannelStateChange,
    Dial,
    PlaybackFinished,
    StasisEnd,
    StasisStart,
    UnknownEvent,
    decode_event,
    parse_event,
)

from .fakes import channel, event

BRIDGE = {"id": "call-1", "bridge_type": "mixing", "technology": "simple_bridge", "channels": []}


def test_a_caller_entering_stasis_carries_the_app_args_and_channel() -> None:
    parsed = decode_event(
        json.dumps(event("StasisStart", args=["inbound", "+15559870001"], channel=channel("c1")))
    )
    assert isinstance(parsed, StasisStart)
    assert parsed.args == ("inbound", "+15559870001")
    assert parsed.channel_id == "c1"
    assert parsed.channel.caller_number == "+15551230001"
    assert parsed.channel.exten == "+15559870001"
    assert parsed.replace_channel is None
    assert parsed.timestamp == datetime(2026, 11, 22, 3, 14, 3, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "cls"),
    [("StasisEnd", StasisEnd), ("ChannelStateChange", ChannelStateChange)],
)
def test_plain_channel_events_name_their_channel(kind: str, cls: type[object]) -> None:
    parsed = parse_event(event(kind, channel=channel("c1", state="Ringing")))
    assert isinstance(parsed, cls)
    assert parsed.channel_id == "c1"


def test_a_hangup_carries_the_q850_cause() -> None:
    destroyed = parse_event(
        event("ChannelDestroyed", cause=17, cause_txt="User busy", channel=channel("c1"))
    )
    requested = parse_event(event("ChannelHangupRequest", cause=16, channel=channel("c1")))
    assert isinstance(destroyed, ChannelDestroyed)
    assert (destroyed.cause, destroyed.cause_txt) == (17, "User busy")
    assert isinstance(requested, ChannelHangupRequest)
    assert (requested.cause, requested.soft) == (16, False)
    assert requested.channel_id == "c1"


def test_dial_progress_is_about_the_peer_being_dialed() -> None:
    parsed = parse_event(
        event(
            "Dial",
            caller=channel("c1"),
            peer=channel("c1~leg-1", state="Ringing"),
            dialstatus="RINGING",
            dialstring="+15557654321@continuity-primary",
        )
    )
    assert isinstance(parsed, Dial)
    assert parsed.channel_id == "c1~leg-1"
    assert parsed.caller is not None and parsed.caller.id == "c1"
    assert parsed.dialstatus == "RINGING"


def test_dial_without_a_caller_is_accepted() -> None:
    parsed = parse_event(event("Dial", peer=channel("c1~leg-1"), dialstatus=""))
    assert isinstance(parsed, Dial)
    assert parsed.caller is None


@pytest.mark.parametrize(
    ("kind", "cls"),
    [("ChannelEnteredBridge", ChannelEnteredBridge), ("ChannelLeftBridge", ChannelLeftBridge)],
)
def test_bridge_membership_events_name_channel_and_bridge(kind: str, cls: type[object]) -> None:
    parsed = parse_event(event(kind, bridge=BRIDGE, channel=channel("c1")))
    assert isinstance(parsed, ChannelEnteredBridge | ChannelLeftBridge)
    assert isinstance(parsed, cls)
    assert (parsed.channel_id, parsed.bridge.id) == ("c1", "call-1")


def test_a_finished_announcement_is_about_its_target_channel() -> None:
    playback = {"id": "pb-1", "media_uri": "sound:x", "target_uri": "channel:c1", "state": "done"}
    parsed = parse_event(event("PlaybackFinished", playback=playback))
    assert isinstance(parsed, PlaybackFinished)
    assert parsed.channel_id == "c1"
    bridge_playback = parse_event(
        event("PlaybackFinished", playback={**playback, "target_uri": "bridge:call-1"})
    )
    assert bridge_playback.channel_id is None


def test_an_unknown_event_keeps_its_raw_dict_and_still_knows_its_channel() -> None:
    raw = event("ChannelDtmfReceived", digit="5", duration_ms=100, channel=channel("c1"))
    parsed = parse_event(raw)
    assert isinstance(parsed, UnknownEvent)
    assert parsed.raw == raw
    assert parsed.channel_id == "c1"
    assert parse_event(event("DeviceStateChanged", device_state={})).channel_id is None


def test_an_unparseable_timestamp_is_none_not_an_error() -> None:
    parsed = parse_event(event("StasisEnd", timestamp="yesterday", channel=channel("c1")))
    assert parsed.timestamp is None


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ("not json", "ARI event frame is not JSON"),
        ("[1, 2]", "ARI event frame must be a JSON object, got list"),
        ('{"application": "continuity"}', "event: field 'type' must be a string"),
        (json.dumps(event("StasisStart", args=["x"])), "field 'channel' must be an object"),
        (
            json.dumps(event("StasisStart", args=[1], channel=channel("c1"))),
            "StasisStart: field 'args' must be a list of strings",
        ),
    ],
)
def test_malformed_frames_raise_a_protocol_error_saying_what_is_wrong(
    frame: str, message: str
) -> None:
    with pytest.raises(AriProtocolError, match=message.replace("[", r"\[")):
        decode_event(frame)
