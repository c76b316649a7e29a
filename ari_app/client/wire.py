"""The event WebSocket's transport: one picows connection, frames handed over as they arrive.

picows parses frames in C and hands each to a callback: no task, queue or future per
message, and a send is one write to the socket. On the wire's floor that is 0.39 ms of
client CPU per 24-message call against websockets' 0.55 (``bench.wire_floor``, issue 13).
This is the only module that imports picows; its failures leave here as the client's
own errors (``errors.py``), ``OSError`` or ``TimeoutError``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import picows

from continuity.ari_app.client.errors import AriWebSocketError, AriWebSocketRefused

#: Takes one whole text message (its UTF-8 bytes).
FrameSink = Callable[[bytes], None]

_TEXT = picows.WSMsgType.TEXT
_CONTINUATION = picows.WSMsgType.CONTINUATION
_CLOSE = picows.WSMsgType.CLOSE


class _NoTrace(logging.LoggerAdapter[logging.Logger]):
    """picows logs the upgrade request, Authorization header included, below DEBUG
    (``PICOWS_DEBUG_LL``) when its logger allows it; this logger never allows it."""

    def isEnabledFor(self, level: int) -> bool:
        return level >= logging.DEBUG and self.logger.isEnabledFor(level)


class _Listener(picows.WSListener):
    """Whole messages to the sink, in order; held back until a sink is set."""

    def __init__(self) -> None:
        self.sink: FrameSink | None = None
        self.held: list[bytes] = []
        self._parts: list[bytes] = []

    def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        kind = frame.msg_type
        if kind == _TEXT:
            if frame.fin:
                self._deliver(frame.get_payload_as_bytes())
            else:
                self._parts = [frame.get_payload_as_bytes()]
        elif kind == _CONTINUATION:
            self._parts.append(frame.get_payload_as_bytes())
            if frame.fin:
                whole, self._parts = b"".join(self._parts), []
                self._deliver(whole)
        elif kind == _CLOSE:  # Asterisk is leaving (a restart, a reload): answer and go
            transport.send_close(frame.get_close_code())
            transport.disconnect()
        # PING is answered by picows itself; PONG and BINARY mean nothing to ARI.

    def _deliver(self, message: bytes) -> None:
        if self.sink is None:
            self.held.append(message)
        else:
            self.sink(message)


class Connection:
    """One open event WebSocket."""

    def __init__(self, transport: picows.WSTransport, listener: _Listener) -> None:
        self._transport = transport
        self._listener = listener

    @property
    def open(self) -> bool:
        t = self._transport
        return not (t.is_disconnected or t.is_close_frame_sent)

    def send(self, text: str) -> None:
        """Write one text message; ``ConnectionError`` once the socket is closing."""
        if not self.open:
            raise ConnectionError("the ARI event WebSocket is closed")
        self._transport.send(_TEXT, text)

    def deliver_to(self, sink: FrameSink) -> None:
        """From now on every message goes to ``sink``; those that came before go first."""
        listener = self._listener
        held, listener.held = listener.held, []
        for message in held:
            sink(message)
        listener.sink = sink

    async def closed(self) -> None:
        """Until the connection is gone; ``AriWebSocketError`` if picows broke it off."""
        try:
            await self._transport.wait_disconnected()
        except picows.WSError as exc:
            raise AriWebSocketError(f"the ARI event WebSocket broke off: {exc}") from exc

    def close(self) -> None:
        """Close (a CLOSE frame, then the socket) and deliver nothing more; idempotent."""
        self._listener.sink = _drop
        if self.open:
            self._transport.send_close(picows.WSCloseCode.OK)
        self._transport.disconnect()


def _drop(_message: bytes) -> None:
    return None


async def connect(
    url: str, headers: Mapping[str, str], *, open_timeout: float, ping_interval: float
) -> Connection:
    """Open the WebSocket at ``url``; a ping after ``ping_interval`` s without traffic,
    and no pong within as long, closes it.

    Raises ``AriWebSocketRefused`` when the upgrade is answered with an HTTP error,
    ``AriWebSocketError`` for any other broken handshake, ``OSError`` when the server
    cannot be reached and ``TimeoutError`` after ``open_timeout`` s."""
    options: dict[str, Any] = {
        "extra_headers": dict(headers),
        "websocket_handshake_timeout": open_timeout,
        "enable_auto_ping": True,
        "auto_ping_idle_timeout": ping_interval,
        "auto_ping_reply_timeout": ping_interval,
        "max_redirects": 0,
        "logger_name": _NoTrace(logging.getLogger("picows.client")),
    }
    try:
        async with asyncio.timeout(open_timeout):
            transport, listener = await picows.ws_connect(_Listener, url, **options)
    except picows.WSHandshakeError as exc:
        response = exc.response
        if response is not None and int(response.status) >= 300:
            raise AriWebSocketRefused(int(response.status)) from exc
        raise AriWebSocketError(f"the ARI event WebSocket handshake failed: {exc}") from exc
    except picows.WSError as exc:
        raise AriWebSocketError(f"the ARI event WebSocket failed: {exc}") from exc
    assert isinstance(listener, _Listener)
    return Connection(transport, listener)
