"""Our own thin, typed ARI client: REST over httpx, events over websockets."""

from ari_app.client.backoff import Backoff, Jitter
from ari_app.client.client import AriClient
from ari_app.client.config import AriConfig, AriCredentials, ReconnectPolicy
from ari_app.client.dispatch import Handler, KeyedDispatcher, KeyFn, channel_key
from ari_app.client.errors import (
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
from ari_app.client.events import (
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
from ari_app.client.models import AsteriskInfo, Bridge, Channel, Playback
from ari_app.client.rest import AriRest
from ari_app.client.stream import EventStream, OnConnected

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
