"""The FastAGI server: panoramisk's application, listening on one address.

panoramisk's own connection handler spins forever on a peer that closes
before sending its headers (``read()`` returns ``b""`` at EOF without ever
yielding), and catches ``BaseException`` around the route, cancellation
included. :class:`AgiApplication` keeps panoramisk's routes and requests
and replaces that handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

from panoramisk.fast_agi import Application, Request

from agi.errors import AgiError, AgiServerError

log = logging.getLogger(__name__)

Route = Callable[[Any], Awaitable[None]]
#: The most header bytes Asterisk sends (about 30 agi_* lines; args can be long).
MAX_HEADERS = 64 * 1024


def parse_headers(raw: bytes) -> dict[str, str]:
    """``agi_name: value`` lines up to the blank line, as panoramisk reads them."""
    lines = raw.decode("utf-8", errors="replace").split("\n")
    return dict(line.split(": ", 1) for line in lines if ": " in line)


class AgiApplication(Application):  # type: ignore[misc]
    """panoramisk's FastAGI application with a handler that survives bad peers."""

    def __init__(self, header_timeout: float = 5.0) -> None:
        # panoramisk falls back to the deprecated get_event_loop() unless given the loop.
        super().__init__(loop=asyncio.get_running_loop())
        self.header_timeout = header_timeout

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        try:
            async with asyncio.timeout(self.header_timeout):
                raw = await reader.readuntil(b"\n\n")
            headers = parse_headers(raw)
            script = headers.get("agi_network_script", "")
            route = self._route.get(script)
            if route is None:
                log.warning("FastAGI request from %s for unknown script %r", peer, script)
                return
            await route(Request(self, headers, reader, writer, encoding="utf-8"))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as exc:
            log.warning("FastAGI peer %s sent no complete request: %s", peer, exc)
        except (ConnectionError, AgiError) as exc:
            log.error("FastAGI request from %s failed: %s", peer, exc)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


class AgiServer:
    """``async with AgiServer(host, port, routes) as server:`` listens until the block ends."""

    def __init__(self, host: str, port: int, routes: Mapping[str, Route]) -> None:
        self.host = host
        self.port = port
        self._routes = dict(routes)
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> AgiServer:
        app = AgiApplication()
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
