"""A webhook receiver on loopback: a tiny asyncio HTTP server that keeps every POST."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float  # time.monotonic() on arrival

    @property
    def event(self) -> str:
        return str(self.body.get("event", ""))


class WebhookReceiver:
    """Answers 200 (or 503 while ``failing`` is above 0, counting it down)."""

    def __init__(self) -> None:
        self.received: list[Delivery] = []
        self.failing = 0
        self._server: asyncio.Server | None = None
        self._arrived = asyncio.Condition()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/hooks/continuity"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def clear(self) -> None:
        self.received.clear()
        self.failing = 0

    def events(self) -> list[str]:
        """The events accepted so far (duplicates included), in arrival order."""
        return [d.event for d in self.received if d.headers.get("x-accepted") == "yes"]

    async def wait_for(self, event: str, count: int = 1, timeout: float = 15.0) -> list[Delivery]:
        """Until ``count`` accepted deliveries of ``event`` arrived; returns them."""

        def found() -> list[Delivery]:
            return [
                d
                for d in self.received
                if d.event == event and d.headers.get("x-accepted") == "yes"
            ]

        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(found()) >= count)
        return found()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = (await reader.readline()).decode()
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode().rstrip("\r\n")) != "":
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            accepted = self.failing <= 0
            self.failing -= 0 if accepted else 1
            headers["x-accepted"] = "yes" if accepted else "no"
            path = request.split(" ")[1] if request.count(" ") >= 2 else ""
            delivery = Delivery(path, headers, json.loads(body or b"{}"), time.monotonic())
            async with self._arrived:
                self.received.append(delivery)
                self._arrived.notify_all()
            status = "200 OK" if accepted else "503 Service Unavailable"
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
