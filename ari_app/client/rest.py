"""The ARI REST calls this app needs, over an injected ``httpx.AsyncClient``
or, where Asterisk takes them, over the event WebSocket.

Paths and parameters follow the Asterisk 22 ARI (``/ari/channels``,
``/ari/bridges``, ``/ari/asterisk``). Query parameters carry plain values;
channel variables go in the JSON body as ``{"variables": {...}}``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from continuity.ari_app.client import codec
from continuity.ari_app.client.config import AriConfig
from continuity.ari_app.client.errors import AriConnectionError, AriProtocolError, http_error
from continuity.ari_app.client.models import AsteriskInfo, Bridge, Channel, Playback, text
from continuity.ari_app.client.wsrest import RestOverWebSocket

logger = logging.getLogger(__name__)

Params = Mapping[str, str | int | None]


def _seg(value: str) -> str:
    """Quote one path segment (ids are user-chosen strings)."""
    if not value:
        raise ValueError("ARI resource id must not be empty")
    return quote(value, safe="")


def _csv(values: str | Sequence[str]) -> str:
    return values if isinstance(values, str) else ",".join(values)


class AriRest:
    """Typed async ARI REST client; it never owns the HTTP client.

    Requests go over the event WebSocket while it takes them (see
    :meth:`send_over`), otherwise over HTTP: the same calls, errors and results.
    """

    def __init__(self, config: AriConfig, http: httpx.AsyncClient) -> None:
        self._config = config
        self._http = http
        self._ws: RestOverWebSocket | None = None

    def __repr__(self) -> str:
        return f"AriRest(base_url={self._config.base_url!r}, app={self._config.app!r})"

    def send_over(self, websocket: RestOverWebSocket) -> None:
        """Send requests over this WebSocket whenever it is ready for them."""
        self._ws = websocket

    @property
    def over_websocket(self) -> bool:
        """True while requests go over the event WebSocket rather than HTTP."""
        return self._ws is not None and self._ws.ready

    async def _call(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        query = [(k, str(v)) for k, v in (params or {}).items() if v is not None]
        ws = self._ws
        if ws is not None and ws.ready:
            payload = None if body is None else codec.dumps(body)
            reply = await ws.request(
                method, path.lstrip("/"), query, payload, self._config.http_timeout
            )
            status, reason, content = reply.status, reply.reason, reply.body
        else:
            status, reason, content = await self._over_http(method, path, query, body)
        logger.debug("ARI %s %s -> %s", method, path, status)
        if not 200 <= status < 300:
            raise http_error(status, method, path, _error_message(content, reason))
        if status == 204 or not content:
            return None
        try:
            return codec.loads(content)
        except ValueError as exc:
            raise AriProtocolError(f"ARI {method} {path} returned invalid JSON: {exc}") from exc

    async def _over_http(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        body: Mapping[str, Any] | None,
    ) -> tuple[int, str, str]:
        try:
            response = await self._http.request(
                method,
                self._config.ari_root + path,
                params=dict(query),
                json=body,
                headers=self._config.auth_headers(),
                timeout=self._config.http_timeout,
            )
        except httpx.TransportError as exc:
            raise AriConnectionError(method, path, f"{type(exc).__name__}: {exc}") from exc
        return response.status_code, response.reason_phrase, response.text

    async def _object(self, method: str, path: str, **kw: Any) -> Mapping[str, Any]:
        data = await self._call(method, path, **kw)
        if not isinstance(data, Mapping):
            raise AriProtocolError(f"ARI {method} {path} returned {data!r}, expected an object")
        return data

    async def _list(self, path: str) -> list[Mapping[str, Any]]:
        data = await self._call("GET", path)
        if not isinstance(data, list) or not all(isinstance(d, Mapping) for d in data):
            raise AriProtocolError(f"ARI GET {path} returned {data!r}, expected a list")
        return data

    # --- Asterisk -----------------------------------------------------------

    async def asterisk_info(self) -> AsteriskInfo:
        return AsteriskInfo.from_json(await self._object("GET", "/asterisk/info"))

    # --- Applications -------------------------------------------------------

    async def event_filter(self, app: str) -> list[str]:
        """The event types Asterisk sends ``app`` (``[]``: every type)."""
        data = await self._object("GET", f"/applications/{_seg(app)}")
        allowed = data.get("events_allowed") or []
        return [str(item.get("type")) for item in allowed if isinstance(item, Mapping)]

    async def set_event_filter(self, app: str, allowed: Sequence[str]) -> None:
        """``PUT /applications/{app}/eventFilter``: Asterisk sends ``app`` only these
        event types (Asterisk 20.11, 21.6, 22.1 and later)."""
        body = {"allowed": [{"type": kind} for kind in allowed]}
        await self._call("PUT", f"/applications/{_seg(app)}/eventFilter", body=body)

    async def subscribe(self, app: str, event_source: str) -> None:
        """``POST /applications/{app}/subscription``: ``app`` gets the events of
        ``event_source`` (``channel:<id>``) until it is gone. ``AriUnprocessable``
        (422) when it does not exist (any more)."""
        path = f"/applications/{_seg(app)}/subscription"
        await self._call("POST", path, params={"eventSource": event_source})

    # --- Channels -----------------------------------------------------------

    async def list_channels(self) -> list[Channel]:
        return [Channel.from_json(c) for c in await self._list("/channels")]

    async def get_channel(self, channel_id: str) -> Channel:
        return Channel.from_json(await self._object("GET", f"/channels/{_seg(channel_id)}"))

    async def create_channel(
        self,
        endpoint: str,
        app: str,
        app_args: str | None = None,
        channel_id: str | None = None,
        originator: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """``POST /channels/create``: a channel placed in ``app``, not yet dialed."""
        params = {
            "endpoint": endpoint,
            "app": app,
            "appArgs": app_args,
            "channelId": channel_id,
            "originator": originator,
        }
        body = {"variables": dict(variables)} if variables else None
        data = await self._object("POST", "/channels/create", params=params, body=body)
        return Channel.from_json(data)

    async def dial(
        self,
        channel_id: str,
        caller: str | None = None,
        timeout: int | None = None,
    ) -> None:
        """``POST /channels/{id}/dial``: dial a created channel, ringing ``timeout`` s."""
        params = {"caller": caller, "timeout": timeout}
        await self._call("POST", f"/channels/{_seg(channel_id)}/dial", params=params)

    async def originate(
        self,
        endpoint: str,
        *,
        app: str,
        app_args: str | None = None,
        caller_id: str | None = None,
        channel_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        timeout: int | None = None,
        originator: str | None = None,
    ) -> Channel:
        """``POST /channels``: create and dial at once (ringing ``timeout`` s).

        The answered channel enters ``app`` with ``app_args``.
        """
        params = {
            "endpoint": endpoint,
            "app": app,
            "appArgs": app_args,
            "callerId": caller_id,
            "channelId": channel_id,
            "timeout": timeout,
            "originator": originator,
        }
        body = {"variables": dict(variables)} if variables else None
        return Channel.from_json(await self._object("POST", "/channels", params=params, body=body))

    async def answer(self, channel_id: str) -> None:
        await self._call("POST", f"/channels/{_seg(channel_id)}/answer")

    async def ring(self, channel_id: str) -> None:
        await self._call("POST", f"/channels/{_seg(channel_id)}/ring")

    async def ring_stop(self, channel_id: str) -> None:
        await self._call("DELETE", f"/channels/{_seg(channel_id)}/ring")

    async def hangup(self, channel_id: str, reason: str | None = None) -> None:
        """``DELETE /channels/{id}``; ``reason`` is e.g. normal, busy, congestion."""
        await self._call("DELETE", f"/channels/{_seg(channel_id)}", params={"reason": reason})

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        params = {"variable": name, "value": value}
        await self._call("POST", f"/channels/{_seg(channel_id)}/variable", params=params)

    async def get_variable(self, channel_id: str, name: str) -> str:
        """The variable's value; ``AriNotFound`` if the channel or variable is missing."""
        path = f"/channels/{_seg(channel_id)}/variable"
        data = await self._object("GET", path, params={"variable": name})
        return text(data, "value", f"GET {path}")

    async def play(
        self, channel_id: str, media: str | Sequence[str], playback_id: str | None = None
    ) -> Playback:
        """Play ``media`` URIs (``sound:...``) in order on the channel."""
        params = {"media": _csv(media), "playbackId": playback_id}
        path = f"/channels/{_seg(channel_id)}/play"
        return Playback.from_json(await self._object("POST", path, params=params))

    async def continue_in_dialplan(
        self, channel_id: str, context: str, extension: str, priority: int, label: str | None = None
    ) -> None:
        # A label, when given, in place of the priority (Asterisk looks it up).
        step: Params = {"label": label} if label is not None else {"priority": priority}
        params: Params = {"context": context, "extension": extension, **step}
        await self._call("POST", f"/channels/{_seg(channel_id)}/continue", params=params)

    # --- Bridges ------------------------------------------------------------

    async def create_bridge(
        self, bridge_type: str = "mixing", bridge_id: str | None = None
    ) -> Bridge:
        params = {"type": bridge_type, "bridgeId": bridge_id}
        return Bridge.from_json(await self._object("POST", "/bridges", params=params))

    async def add_to_bridge(self, bridge_id: str, channel_ids: str | Sequence[str]) -> None:
        params = {"channel": _csv(channel_ids)}
        await self._call("POST", f"/bridges/{_seg(bridge_id)}/addChannel", params=params)

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self._call("DELETE", f"/bridges/{_seg(bridge_id)}")

    async def list_bridges(self) -> list[Bridge]:
        return [Bridge.from_json(b) for b in await self._list("/bridges")]


def _error_message(content: str, reason: str) -> str:
    """ARI's ``{"message": ...}`` body, or the reason phrase."""
    try:
        data = codec.loads(content) if content else None
    except ValueError:
        data = None
    if isinstance(data, Mapping) and isinstance(data.get("message"), str):
        return str(data["message"])
    return reason or "no error message"
