"""The FastAGI server: panoramisk's application, listening on one address.

panoramisk's own connection handler spins forever on a peer that closes
before sending its headers (``read()`` returns ``b""`` at EOF without ever
yielding), and catches ``BaseException`` around the route, cancellation
included; its ``Request`` raises ``ValueError`` when the peer closes before a
reply. :class:`AgiApplication` keeps panoramisk's routes and replaces that
handler, and :class:`AgiRequest` reads replies that may never come.

Every session has a deadline (``agi_session_timeout``, from the accept to the
last reply) and at most ``agi_max_connections`` are open at once: a peer
that stalls is dropped at its deadline, one over the cap is closed at once,
and neither holds up a well-behaved session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

from panoramisk.fast_agi import Application, Request
from panoramisk.utils import parse_agi_result

from continuity.agi.errors import AgiError, AgiReplyUnreadable, AgiServerError, AgiSessionTorn

log = logging.getLogger(__name__)

Route = Callable[[Any], Awaitable[None]]
#: The most header bytes Asterisk sends (about 30 agi_* lines; args can be long).
MAX_HEADERS = 64 * 1024
#: Defaults of agi_session_timeout and agi_max_connections.
SESSION_TIMEOUT = 5.0
MAX_CONNECTIONS = 256


def parse_headers(raw: bytes) -> dict[str, str]:
    """``agi_name: value`` lines up to the blank line, as panoramisk reads them."""
    lines = raw.decode("utf-8", errors="replace").split("\n")
    return dict(line.split(": ", 1) for line in lines if ": " in line)


class AgiRequest(Request):  # type: ignore[misc]
    """panoramisk's request, with a reply that is missing or garbled said as such."""

    async def _read_result(self) -> dict[str, Any]:
        line: bytes = await self.reader.readline()
        if not line.endswith(b"\n"):
            raise AgiSessionTorn()
        text = line.decode(self.encoding, errors="replace").rstrip("\r\n")
        try:
            result: dict[str, Any] = parse_agi_result(text)
        except ValueError as exc:
            raise AgiReplyUnreadable(text) from exc
        return result


class AgiApplication(Application):  # type: ignore[misc]
    """panoramisk's FastAGI application with a handler that survives bad peers."""

    def __init__(
        self,
        session_timeout: float = SESSION_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        # panoramisk falls back to the deprecated get_event_loop() unless given the loop.
        super().__init__(loop=asyncio.get_running_loop())
        self.session_timeout = session_timeout
        self.max_connections = max_connections
        #: Sessions open now, and connections closed unserved because of the cap.
        self.active = 0
        self.refused = 0

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if self.active >= self.max_connections:
            self.refused += 1
            log.warning(
                "FastAGI connection from %s closed unserved: %d sessions are open "
                "(agi_max_connections); %d refused so far",
                peer,
                self.active,
                self.refused,
            )
            writer.close()
            return
        self.active += 1
        try:
            await self._serve(peer, reader, writer)
        finally:
            self.active -= 1
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _serve(
        self, peer: object, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        channel = "?"
        try:
            async with asyncio.timeout(self.session_timeout):
                raw = await reader.readuntil(b"\n\n")
                headers = parse_headers(raw)
                channel = headers.get("agi_channel", "?")
                script = headers.get("agi_network_script", "")
                route = self._route.get(script)
                if route is None:
                    log.warning("FastAGI request from %s for unknown script %r", peer, script)
                    return
                await route(AgiRequest(self, headers, reader, writer, encoding="utf-8"))
        except TimeoutError:
            log.warning(
                "FastAGI session from %s (channel %s) dropped: not done within "
                "agi_session_timeout (%.1f s)",
                peer,
                channel,
                self.session_timeout,
            )
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            log.warning("FastAGI peer %s sent no complete request: %s", peer, exc)
        except (ConnectionError, AgiError) as exc:
            log.warning("FastAGI session from %s (channel %s) ended: %s", peer, channel, exc)
        except Exception:
            log.exception("FastAGI session from %s (channel %s) failed", peer, channel)


class AgiServer:
    """``async with AgiServer(host, port, routes) as server:`` listens until the block ends."""

    def __init__(
        self,
        host: str,
        port: int,
        routes: Mapping[str, Route],
        *,
        session_timeout: float = SESSION_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.host = host
        self.port = port
        self._routes = dict(routes)
        self._session_timeout = session_timeout
        self._max_connections = max_connections
        self._server: asyncio.Server | None = None
        self.app: AgiApplication | None = None

    async def __aenter__(self) -> AgiServer:
        app = self.app = AgiApplication(self._session_timeout, self._max_connections)
        for path, route in self._routes.items():
            app.add_route(path, route)
        try:
            self._server = await asyncio.start_server(
                app.handler, self.host, self.port, limit=MAX_HEADERS
            )
        except OSError as exc:
            raise AgiServerError(self.host, self.port, exc.strerror or str(exc)) from exc
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("FastAGI listening on %s:%s (%s)", self.host, self.port, ", ".join(self._routes))
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
