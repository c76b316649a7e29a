"""``AriClient``: REST + the event stream + ordered dispatch, as one unit.

The composition root builds the ``httpx.AsyncClient`` and the ``AriRest``
(so the app's services can hold the REST client before events flow), then
an ``AriClient`` around them; nothing here is global.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from types import TracebackType

from continuity.ari_app.client.backoff import Jitter
from continuity.ari_app.client.config import AriConfig, ReconnectPolicy
from continuity.ari_app.client.dispatch import Handler, KeyedDispatcher, KeyFn, channel_key
from continuity.ari_app.client.errors import AriError, AriHttpError
from continuity.ari_app.client.rest import AriRest
from continuity.ari_app.client.stream import EventStream, OnConnected
from continuity.ari_app.client.wsrest import REPLY_TYPE

logger = logging.getLogger(__name__)


class AriClient:
    """Async context manager: on enter, events start flowing to ``handler``.

    On a clean exit the stream stops, queued events get ``drain_timeout``
    seconds to finish, then remaining handlers are cancelled. The REST
    client's ``httpx.AsyncClient`` belongs to the caller and is not closed.

    ``event_types``, if given, is the only event types Asterisk sends (set
    after every connect, before ``on_connected``); with ``rest_over_websocket``
    the REST client sends its requests over the event WebSocket whenever
    Asterisk takes them there, and over HTTP otherwise.
    """

    def __init__(
        self,
        config: AriConfig,
        rest: AriRest,
        handler: Handler,
        *,
        key: KeyFn = channel_key,
        on_connected: OnConnected | None = None,
        reconnect: ReconnectPolicy | None = None,
        jitter: Jitter | None = None,
        drain_timeout: float = 5.0,
        event_types: Sequence[str] | None = None,
        rest_over_websocket: bool = True,
    ) -> None:
        self.config = config
        self.rest = rest
        self.dispatcher = KeyedDispatcher(handler, key)
        self._on_connected = on_connected
        if event_types is not None and rest_over_websocket:
            # The filter applies to every message on the socket, REST replies included.
            event_types = (*event_types, REPLY_TYPE)
        self._event_types = tuple(event_types) if event_types is not None else None
        self.events = EventStream(
            config,
            self.dispatcher.submit,
            on_connected=self._connected,
            policy=reconnect,
            jitter=jitter,
        )
        if rest_over_websocket:
            rest.send_over(self.events.rest)
        self._drain_timeout = drain_timeout
        self._task: asyncio.Task[None] | None = None
        self._started = False

    async def _connected(self) -> None:
        """After each (re)connect: ask for only the events we handle, then resync."""
        if self._event_types is not None:
            try:
                await self.rest.set_event_filter(self.config.app, self._event_types)
            except AriHttpError as exc:  # an Asterisk older than the filter: take them all
                logger.warning("ARI app %s receives every event type: %s", self.config.app, exc)
        if self._on_connected is not None:
            await self._on_connected()

    def __repr__(self) -> str:
        return f"AriClient(config={self.config!r}, running={self.running})"

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start the event stream in a background task (once per client)."""
        if self._started:
            raise AriError(f"AriClient for app {self.config.app!r} was already started")
        self._started = True
        self._task = asyncio.create_task(self.events.run(), name=f"ari-events:{self.config.app}")
        self._task.add_done_callback(self._stream_ended)

    def _stream_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "ARI event stream for app %s stopped unexpectedly",
                self.config.app,
                exc_info=task.exception(),
            )

    async def stop(self, *, drain: bool = True) -> None:
        """Stop the stream, optionally drain queued events, then close dispatch."""
        task, self._task = self._task, None
        try:
            if task is not None:
                task.cancel()
                await asyncio.wait([task])
            if drain:
                await self._drain()
        finally:
            await self.dispatcher.close()

    async def _drain(self) -> None:
        try:
            async with asyncio.timeout(self._drain_timeout):
                await self.dispatcher.drain()
        except TimeoutError:
            logger.warning(
                "ARI handlers still busy after %.1f s; cancelling %d key(s)",
                self._drain_timeout,
                self.dispatcher.active_keys,
            )

    async def __aenter__(self) -> AriClient:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop(drain=exc_type is None)
