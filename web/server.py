"""uvicorn inside the app's event loop: its own signal handlers off, stopped by cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from continuity.web.errors import ListenFailed

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Listen:
    host: str
    port: int
    tls_cert: Path | None = None
    tls_key: Path | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """The process's signal handlers stay those of `continuity serve`."""
        yield


class WebServer:
    """Binds at construction of :meth:`start`; ``url`` tells the real port (for port 0)."""

    def __init__(self, app: FastAPI, listen: Listen) -> None:
        self._app = app
        self._listen = listen
        self.url: str | None = None

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self._listen.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._listen.host, self._listen.port))
        sock.set_inheritable(True)
        return sock

    async def run(self) -> None:
        listen = self._listen
        config = uvicorn.Config(
            self._app,
            log_config=None,
            access_log=False,
            lifespan="off",
            proxy_headers=True,
            ssl_certfile=str(listen.tls_cert) if listen.tls_cert else None,
            ssl_keyfile=str(listen.tls_key) if listen.tls_key else None,
        )
        server = _Server(config)
        try:
            sock = self._bind()
        except OSError as exc:
            raise ListenFailed(f"{listen.host}:{listen.port}", str(exc)) from exc
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"{listen.scheme}://{shown}:{port}"
        task = asyncio.create_task(server.serve(sockets=[sock]), name="web-server")
        log.info("web console and API at %s", self.url)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise
        finally:
            sock.close()
