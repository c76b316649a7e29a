"""Our own thin, typed ARI client: REST over httpx, events over websockets."""

from continuity.ari_app.client.backoff import Backoff, Jitter
from continuity.ari_app.client.client import AriClient
from continuity.ari_app.client.config import AriConfig, AriCredentials, ReconnectPolicy
from continuity.ari_app.client.dispatch import Handler, KeyedDispatcher, KeyFn, channel_key
from continuity.ari_app.client.errors import (
    AriBadRequest,
    AriConfigError,
    AriConflict,
    AriConnectionError,
    AriError,
    AriHttpError,
    AriNotFound,
    AriPreconditionFailed,
    AriProtocolError,
    AriServerError,
    AriUnprocessable,
)
from continuity.ari_app.client.events import (
    AriEvent,
    ChannelDestroyed,
    ChannelEnteredBridge,
    ChannelEvent,
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
from continuity.ari_app.client.models import AsteriskInfo, Bridge, Channel, Playback
from continuity.ari_app.client.rest import AriRest
from continuity.ari_app.client.stream import EventStream, OnConnected

__all__ = [
    "AriBadRequest",
    "AriClient",
    "AriConfig",
    "AriConfigError",
    "AriConflict",
    "AriConnectionError",
    "AriCredentials",
    "AriError",
    "AriEvent",
    "AriHttpError",
    "AriNotFound",
    "AriPreconditionFailed",
    "AriProtocolError",
    "AriRest",
    "AriServerError",
    "AriUnprocessable",
    "AsteriskInfo",
    "Backoff",
    "Bridge",
    "Channel",
    "ChannelDestroyed",
    "ChannelEnteredBridge",
    "ChannelEvent",
    "ChannelHangupRequest",
    "ChannelLeftBridge",
    "ChannelStateChange",
    "Dial",
    "EventStream",
    "Handler",
    "Jitter",
    "KeyFn",
    "KeyedDispatcher",
    "OnConnected",
    "Playback",
    "PlaybackFinished",
    "ReconnectPolicy",
    "StasisEnd",
    "StasisStart",
    "UnknownEvent",
    "channel_key",
    "decode_event",
    "parse_event",
]
