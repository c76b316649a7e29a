"""Typed ARI events, parsed from the JSON frames of ``/ari/events``.

Every event exposes ``channel_id`` (the channel it is about, ``None`` if it
is about no channel) and ``timestamp``. Unrecognised types become
``UnknownEvent`` with the raw dict kept, so nothing is silently dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import field
from datetime import datetime
from types import NoneType
from typing import Any

from continuity.ari_app.client import codec
from continuity.ari_app.client.errors import AriProtocolError
from continuity.ari_app.client.models import (
    Bridge,
    Channel,
    Json,
    Playback,
    obj,
    opt_int,
    opt_obj,
    opt_text,
    text,
)
from continuity.core.value import value


@value(kw_only=True)
class AriEvent:
    """Fields common to every ARI event."""

    type: str
    application: str
    timestamp: datetime | None
    asterisk_id: str | None
    #: When this client parsed the frame (``time.monotonic()``): how long an event
    #: then waits for its handler is the app's own backlog, whatever Asterisk's clock says.
    received: float = field(default=0.0, compare=False)

    @property
    def channel_id(self) -> str | None:
        return None


@value(kw_only=True)
class ChannelEvent(AriEvent):
    """An event about one channel."""

    channel: Channel

    @property
    def channel_id(self) -> str | None:
        return self.channel.id


@value(kw_only=True)
class StasisStart(ChannelEvent):
    args: tuple[str, ...]
    replace_channel: Channel | None


@value(kw_only=True)
class StasisEnd(ChannelEvent):
    pass


@value(kw_only=True)
class ChannelStateChange(ChannelEvent):
    pass


@value(kw_only=True)
class ChannelDestroyed(ChannelEvent):
    cause: int
    cause_txt: str


@value(kw_only=True)
class ChannelHangupRequest(ChannelEvent):
    cause: int | None
    soft: bool


@value(kw_only=True)
class Dial(AriEvent):
    """Dial progress; ``channel_id`` is the peer (the channel being dialed)."""

    caller: Channel | None
    peer: Channel
    dialstatus: str
    dialstring: str | None

    @property
    def channel_id(self) -> str | None:
        return self.peer.id


@value(kw_only=True)
class ChannelEnteredBridge(ChannelEvent):
    bridge: Bridge


@value(kw_only=True)
class ChannelLeftBridge(ChannelEvent):
    bridge: Bridge


@value(kw_only=True)
class PlaybackFinished(AriEvent):
    """``channel_id`` is the channel the playback targeted, if any."""

    playback: Playback

    @property
    def channel_id(self) -> str | None:
        return self.playback.channel_id


@value(kw_only=True)
class UnknownEvent(AriEvent):
    """Any other event; ``channel_id`` comes from a ``channel`` object if present."""

    raw: Mapping[str, Any]

    @property
    def channel_id(self) -> str | None:
        channel = self.raw.get("channel")
        if isinstance(channel, Mapping) and isinstance(channel.get("id"), str):
            return str(channel["id"])
        return None


_Parser = Callable[[Json], AriEvent]


def _timestamp(data: Json) -> datetime | None:
    value = data.get("timestamp")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _common(data: Json) -> dict[str, Any]:
    kind, application = data.get("type"), data.get("application", "")
    asterisk_id = data.get("asterisk_id")
    if type(kind) is str and type(application) is str and type(asterisk_id) in (str, NoneType):
        return {  # the usual case, without the checked path's per-field calls
            "type": kind,
            "application": application,
            "timestamp": _timestamp(data),
            "asterisk_id": asterisk_id,
            "received": time.monotonic(),
        }
    return {
        "type": text(data, "type", "event"),
        "application": opt_text(data, "application", "event") or "",
        "timestamp": _timestamp(data),
        "asterisk_id": opt_text(data, "asterisk_id", "event"),
        "received": time.monotonic(),
    }


def _channel(data: Json, key: str = "channel") -> Channel:
    return Channel.from_json(obj(data, key, str(data.get("type"))))


def _opt_channel(data: Json, key: str) -> Channel | None:
    found = opt_obj(data, key, str(data.get("type")))
    return None if found is None else Channel.from_json(found)


def _stasis_start(data: Json) -> AriEvent:
    args = data.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise AriProtocolError(f"StasisStart: field 'args' must be a list of strings, got {args!r}")
    return StasisStart(
        **_common(data),
        channel=_channel(data),
        args=tuple(args),
        replace_channel=_opt_channel(data, "replace_channel"),
    )


def _channel_destroyed(data: Json) -> AriEvent:
    return ChannelDestroyed(
        **_common(data),
        channel=_channel(data),
        cause=opt_int(data, "cause", "ChannelDestroyed") or 0,
        cause_txt=opt_text(data, "cause_txt", "ChannelDestroyed") or "",
    )


def _hangup_request(data: Json) -> AriEvent:
    return ChannelHangupRequest(
        **_common(data),
        channel=_channel(data),
        cause=opt_int(data, "cause", "ChannelHangupRequest"),
        soft=data.get("soft") is True,
    )


def _dial(data: Json) -> AriEvent:
    return Dial(
        **_common(data),
        caller=_opt_channel(data, "caller"),
        peer=_channel(data, "peer"),
        dialstatus=opt_text(data, "dialstatus", "Dial") or "",
        dialstring=opt_text(data, "dialstring", "Dial"),
    )


def _bridge_event(cls: type[ChannelEnteredBridge] | type[ChannelLeftBridge]) -> _Parser:
    def parse(data: Json) -> AriEvent:
        bridge = Bridge.from_json(obj(data, "bridge", cls.__name__))
        return cls(**_common(data), channel=_channel(data), bridge=bridge)

    return parse


def _plain(cls: type[StasisEnd] | type[ChannelStateChange]) -> _Parser:
    def parse(data: Json) -> AriEvent:
        return cls(**_common(data), channel=_channel(data))

    return parse


def _playback_finished(data: Json) -> AriEvent:
    playback = Playback.from_json(obj(data, "playback", "PlaybackFinished"))
    return PlaybackFinished(**_common(data), playback=playback)


_PARSERS: dict[str, _Parser] = {
    "StasisStart": _stasis_start,
    "StasisEnd": _plain(StasisEnd),
    "ChannelStateChange": _plain(ChannelStateChange),
    "ChannelDestroyed": _channel_destroyed,
    "ChannelHangupRequest": _hangup_request,
    "Dial": _dial,
    "ChannelEnteredBridge": _bridge_event(ChannelEnteredBridge),
    "ChannelLeftBridge": _bridge_event(ChannelLeftBridge),
    "PlaybackFinished": _playback_finished,
}


def parse_event(data: Json) -> AriEvent:
    """Turn one decoded ARI event into its typed dataclass."""
    kind = text(data, "type", "event")
    parser = _PARSERS.get(kind)
    if parser is None:
        return UnknownEvent(**_common(data), raw=dict(data))
    return parser(data)


def decode_frame(frame: str | bytes) -> dict[str, Any]:
    """One WebSocket text frame as a JSON object; ``AriProtocolError`` if it is not one."""
    try:
        data = codec.loads(frame)
    except ValueError as exc:
        raise AriProtocolError(f"ARI event frame is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise AriProtocolError(f"ARI event frame must be a JSON object, got {type(data).__name__}")
    return data


def decode_event(frame: str | bytes) -> AriEvent:
    """Parse one WebSocket text frame; ``AriProtocolError`` if it is not an event."""
    return parse_event(decode_frame(frame))
