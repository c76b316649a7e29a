"""The ARI event WebSocket: connect, read, reconnect with backoff, forever.

Connecting with ``?app=<name>`` (re)registers the Stasis app, so every
reconnect resubscribes; ``on_connected`` runs after each (re)connect so the
app can resync state it may have missed while disconnected. The loop runs
until its task is cancelled; it never swallows ``CancelledError``. The socket
itself is ``wire.py``'s (picows): each message is decoded and handed on in the
callback that read it, with no task or queue of its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from continuity.ari_app.client import wire
from continuity.ari_app.client.backoff import Backoff, Jitter
from continuity.ari_app.client.config import AriConfig, ReconnectPolicy
from continuity.ari_app.client.errors import (
    AriProtocolError,
    AriWebSocketError,
    AriWebSocketRefused,
)
from continuity.ari_app.client.events import AriEvent, decode_frame, parse_event
from continuity.ari_app.client.wsrest import REPLY_TYPE, RestOverWebSocket

logger = logging.getLogger(__name__)

#: Takes each event as it is read, in order; it must not block (the keyed dispatcher's
#: ``submit`` queues it behind the same channel's earlier events and returns).
EventSink = Callable[[AriEvent], None]
OnConnected = Callable[[], Awaitable[None]]


class EventStream:
    """Delivers every ARI event for one app to ``on_event``, across reconnects."""

    def __init__(
        self,
        config: AriConfig,
        on_event: EventSink,
        *,
        on_connected: OnConnected | None = None,
        policy: ReconnectPolicy | None = None,
        jitter: Jitter | None = None,
    ) -> None:
        self._config = config
        self._on_event = on_event
        self._on_connected = on_connected
        self._policy = policy if policy is not None else ReconnectPolicy()
        self._backoff = Backoff(self._policy, jitter)
        self._attempts = 0
        self._connections = 0
        self._connected = False
        self._session_events = 0
        #: WebSocket messages received and sent since start, over every connection
        #: (events, REST requests and their replies; the bench counts them per call).
        self.frames_received = 0
        self.frames_sent = 0
        #: REST requests over this stream's WebSocket, once Asterisk has shown it takes them.
        self.rest = RestOverWebSocket(config.app)

    def __repr__(self) -> str:
        return f"EventStream(url={self._config.events_url!r}, connections={self._connections})"

    @property
    def attempts(self) -> int:
        """Connection attempts so far, successful or not."""
        return self._attempts

    @property
    def connections(self) -> int:
        """Successful WebSocket handshakes so far."""
        return self._connections

    @property
    def connected(self) -> bool:
        return self._connected

    async def run(self) -> None:
        """Connect and deliver events until cancelled; reconnect on any drop."""
        while True:
            healthy = await self._session()
            if healthy:
                self._backoff.reset()
            delay = self._backoff.next_delay()
            logger.info(
                "Reconnecting to ARI events for app %s in %.2f s (attempt %d)",
                self._config.app,
                delay,
                self._backoff.attempt,
            )
            await asyncio.sleep(delay)

    async def _session(self) -> bool:
        """One connection, start to end. True if it proved healthy (an event or uptime)."""
        self._attempts += 1
        self._session_events = 0
        opened_at: float | None = None
        connection: wire.Connection | None = None
        try:
            connection = await wire.connect(
                self._config.events_url,
                self._config.auth_headers(),
                open_timeout=self._config.ws_open_timeout,
                ping_interval=self._config.ws_ping_interval,
            )
            opened_at = time.monotonic()
            self._connections += 1
            self._connected = True
            logger.info(
                "Connected to ARI events for app %s at %s",
                self._config.app,
                self._config.events_url,
            )
            # Events that arrive during the resync are held, then delivered after it.
            if await self._resync():
                self.rest.attach(self._counting(connection))
                connection.deliver_to(self._on_frame)
                await connection.closed()
            logger.warning("ARI event WebSocket for app %s closed", self._config.app)
        except AriWebSocketRefused as exc:
            logger.error(
                "ARI refused the event WebSocket for app %s with HTTP %d; "
                "check the ARI user and password in ari.conf and http.conf",
                self._config.app,
                exc.status,
            )
        except (OSError, TimeoutError, AriWebSocketError) as exc:
            logger.warning(
                "ARI event WebSocket for app %s failed: %s: %s",
                self._config.app,
                type(exc).__name__,
                exc,
            )
        finally:
            self._connected = False
            if connection is not None:
                connection.close()
            self.rest.detach("the ARI event WebSocket closed")
        uptime = 0.0 if opened_at is None else time.monotonic() - opened_at
        stayed_up = opened_at is not None and uptime >= self._policy.stable_after
        return self._session_events > 0 or stayed_up

    async def _resync(self) -> bool:
        """Run ``on_connected``; False (drop and retry) if it failed."""
        if self._on_connected is None:
            return True
        try:
            await self._on_connected()
        except Exception:
            logger.exception(
                "on_connected failed for ARI app %s; reconnecting to retry the resync",
                self._config.app,
            )
            return False
        return True

    def _counting(self, connection: wire.Connection) -> Callable[[str], None]:
        """``connection.send``, counted."""
        send = connection.send

        def counted(frame: str) -> None:
            self.frames_sent += 1
            send(frame)

        return counted

    def _on_frame(self, frame: bytes) -> None:
        """One message off the socket: a REST reply, or an event for the sink."""
        self.frames_received += 1
        try:
            data = decode_frame(frame)
            if data.get("type") == REPLY_TYPE:
                self.rest.on_reply(data)
                return
            event = parse_event(data)
        except AriProtocolError as exc:
            logger.warning("Skipping unreadable ARI event: %s", exc)
            return
        self._session_events += 1
        try:
            self._on_event(event)
        except Exception:
            logger.exception("Delivering ARI %s event failed; continuing", event.type)
