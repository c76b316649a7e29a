"""``GET /metrics`` on the ``metrics_listen`` address, served from the app's event loop.

A deliberately tiny HTTP/1.1 responder (one request per connection): Prometheus
scrapes are simple GETs, and a thread-based server would read the app's state
from another thread. The web console mounts :func:`asgi_app` on its own listener
instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from prometheus_client import CONTENT_TYPE_LATEST, make_asgi_app
from prometheus_client.registry import CollectorRegistry

from continuity.errors import ConfigError

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
#: Largest request head we read; a scrape's is a few hundred bytes.
MAX_HEAD = 16384


def parse_listen(text: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9474`` for IPv6) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("must be HOST:PORT, such as 127.0.0.1:9474 (or empty for off)")
    return host.strip("[]"), int(port)


def asgi_app(registry: CollectorRegistry) -> Callable[..., object]:
    """An ASGI app answering the text exposition, for the web console to mount."""
    return make_asgi_app(registry)


def _response(status: str, body: bytes, content_type: str) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class MetricsServer:
    """``async with MetricsServer(render, "127.0.0.1:9474") as server: server.port``"""

    def __init__(self, render: Callable[[], bytes], listen: str) -> None:
        self._render = render
        self._host, self._port = parse_listen(listen)
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        if self._server is None or not self._server.sockets:
            return self._port
        return int(self._server.sockets[0].getsockname()[1])

    async def __aenter__(self) -> MetricsServer:
        try:
            self._server = await asyncio.start_server(self._serve, self._host, self._port)
        except OSError as exc:
            raise ConfigError(
                [
                    f"metrics_listen {self._host}:{self._port}: cannot listen ({exc}); "
                    "pick a free port or set metrics_listen empty to turn /metrics off"
                ]
            ) from exc
        log.info("metrics at http://%s:%s%s", self._host, self.port, METRICS_PATH)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10):
                head = await reader.readuntil(b"\r\n\r\n")
            writer.write(self._answer(head))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, OSError):
            pass  # a client that went away or sent garbage: nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def _answer(self, head: bytes) -> bytes:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split()
        if len(parts) != 3:
            return _response("400 Bad Request", b"bad request\n", "text/plain")
        method, target, _version = parts
        if target.split("?", 1)[0] != METRICS_PATH:
            return _response("404 Not Found", b"only /metrics here\n", "text/plain")
        if method not in ("GET", "HEAD"):
            return _response("405 Method Not Allowed", b"GET only\n", "text/plain")
        body = self._render()
        response = _response("200 OK", body, CONTENT_TYPE_LATEST)
        return response if method == "GET" else response[: len(response) - len(body)]


@contextlib.asynccontextmanager
async def serving(render: Callable[[], bytes], listen: str) -> AsyncIterator[MetricsServer | None]:
    """Serve /metrics on ``listen``; do nothing when it is empty."""
    if not listen:
        yield None
        return
    async with MetricsServer(render, listen) as server:
        yield server
