"""ARI REST requests over the event WebSocket (Asterisk 20.14, 21.9, 22.4 and later).

A request is a ``RESTRequest`` text frame; Asterisk answers with a
``RESTResponse`` frame carrying the same ``request_id``, interleaved with the
app's events. One socket, no HTTP parsing: per request it costs the app a
fraction of an HTTP round trip (bench/results, profile notes).

The channel is only used once Asterisk has answered a probe on the current
connection, so an Asterisk without the feature keeps using HTTP. When the
socket closes, every request still waiting fails with ``AriConnectionError``,
the same error an unreachable HTTP server gives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

from continuity.ari_app.client import codec
from continuity.ari_app.client.errors import AriConnectionError, AriProtocolError

logger = logging.getLogger(__name__)

#: What Asterisk sends back for a request.
REPLY_TYPE = "RESTResponse"
_PROBE_URI = "asterisk/ping"

#: Writes one text frame at once; ``OSError`` (``ConnectionError``) once the socket is closed.
Send = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class RestReply:
    """A REST response as the WebSocket carries it."""

    status: int
    reason: str
    body: str


class RestOverWebSocket:
    """Correlates ``RESTRequest`` frames with their ``RESTResponse`` frames."""

    def __init__(self, app: str) -> None:
        self._app = app
        self._send: Send | None = None
        self._ready = False
        self._ids = count(1)
        self._probe_id = ""
        self._pending: dict[str, asyncio.Future[RestReply]] = {}

    def __repr__(self) -> str:
        return f"RestOverWebSocket(app={self._app!r}, ready={self._ready})"

    @property
    def ready(self) -> bool:
        """True while the current connection is known to take REST requests."""
        return self._ready

    def attach(self, send: Send) -> None:
        """A new connection is up: probe it; requests use it once the probe is answered."""
        self._send = send
        self._ready = False
        self._probe_id = f"probe-{next(self._ids)}"
        try:
            send(_frame(self._probe_id, "GET", _PROBE_URI, (), None))
        except OSError as exc:
            # Closed already: the reader still delivers what arrived before the close.
            logger.debug("ARI REST probe not sent: %s", exc)

    def detach(self, reason: str) -> None:
        """The connection is gone: fail every request still waiting for its answer."""
        self._send = None
        self._ready = False
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(ConnectionError(reason))

    def on_reply(self, data: Mapping[str, Any]) -> None:
        """A ``RESTResponse`` frame arrived."""
        request_id = data.get("request_id")
        if request_id == self._probe_id and self._send is not None:
            if not self._ready:
                self._ready = True
                logger.info("ARI app %s: REST requests go over the event WebSocket", self._app)
            return
        future = self._pending.pop(request_id, None) if isinstance(request_id, str) else None
        if future is None or future.done():
            logger.debug("ARI REST reply for an unknown or expired request %r", request_id)
            return
        try:
            future.set_result(_reply(data))
        except AriProtocolError as exc:
            future.set_exception(exc)

    async def request(
        self,
        method: str,
        uri: str,
        query: Sequence[tuple[str, str]],
        body: str | None,
        timeout: float,
    ) -> RestReply:
        """Send one request and wait for its reply; ``uri`` is relative to ``/ari/``."""
        send = self._send
        if send is None or not self._ready:
            raise AriConnectionError(method, uri, "the ARI event WebSocket is not connected")
        request_id = str(next(self._ids))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[RestReply] = loop.create_future()
        self._pending[request_id] = future
        expiry = loop.call_later(timeout, _expire, future, method, uri, timeout)
        try:
            send(_frame(request_id, method, uri, query, body))
            return await future
        except OSError as exc:  # ConnectionError from detach() or a closed socket included
            raise AriConnectionError(method, uri, f"{type(exc).__name__}: {exc}") from exc
        finally:
            expiry.cancel()
            self._pending.pop(request_id, None)


def _frame(
    request_id: str, method: str, uri: str, query: Sequence[tuple[str, str]], body: str | None
) -> str:
    message: dict[str, Any] = {
        "type": "RESTRequest",
        "request_id": request_id,
        "method": method,
        "uri": uri,
    }
    if query:
        message["query_strings"] = [{"name": k, "value": v} for k, v in query]
    if body is not None:
        message["content_type"] = "application/json"
        message["message_body"] = body
    return codec.dumps(message)


def _reply(data: Mapping[str, Any]) -> RestReply:
    status = data.get("status_code")
    if not isinstance(status, int):
        raise AriProtocolError(f"ARI RESTResponse without a status_code: {dict(data)!r}")
    body = data.get("message_body")
    reason = data.get("reason_phrase")
    return RestReply(
        status=status,
        reason=reason if isinstance(reason, str) else "",
        body=body if isinstance(body, str) else "",
    )


def _expire(future: asyncio.Future[RestReply], method: str, uri: str, timeout: float) -> None:
    if not future.done():
        future.set_exception(
            AriConnectionError(method, uri, f"no answer over the WebSocket within {timeout:g} s")
        )
