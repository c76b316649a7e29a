"""The client side of ``bench.wire_floor``: calls over each WebSocket library.

Per call, ``requests`` request/response pairs and ``events`` event frames spread over
the replies; every frame decoded, replies matched to their request by id. Each
library's client drives the same :class:`Calls`; ``ari-client`` is the product's own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

Send = Callable[[str], Awaitable[None]]


class Calls:
    """Per call: ``requests`` request/response pairs, ``events`` event frames spread over
    the replies; every frame decoded, replies matched to their request by id."""

    def __init__(self, loads: Callable[[Any], Any], dumps: Callable[[Any], str]) -> None:
        self.loads, self.dumps = loads, dumps
        self.pending: dict[str, asyncio.Future[Any]] = {}
        self.events = 0
        self._next = 0

    def on_frame(self, data: Any) -> None:
        message = self.loads(data)
        if message.get("type") == "RESTResponse":
            future = self.pending.pop(message["request_id"], None)
            if future is not None:
                future.set_result(message)
        else:
            self.events += 1
            _ = message["channel"]["id"], message["type"]

    async def call(self, send: Send, requests: int, events: int) -> None:
        loop = asyncio.get_running_loop()
        for i in range(requests):
            self._next += 1
            request_id = str(self._next)
            future = loop.create_future()
            self.pending[request_id] = future
            share = events // requests + (1 if i < events % requests else 0)
            frame = {
                "type": "RESTRequest",
                "request_id": request_id,
                "method": "POST",
                "uri": "channels/pbx-f1e68f87-1796130499.0/answer",
                "query_strings": [{"name": "app", "value": "continuity"}],
                "events": share,
            }
            await send(self.dumps(frame))
            reply = await future
            _ = self.loads(reply["message_body"])

    async def run(self, send: Send, args: argparse.Namespace) -> None:
        gate = asyncio.Semaphore(args.concurrency)

        async def one() -> None:
            async with gate:
                await self.call(send, args.requests, args.events)

        await asyncio.gather(*(one() for _ in range(args.calls)))
        while self.events < args.calls * args.events:
            await asyncio.sleep(0.001)


def codec(name: str) -> tuple[Callable[[Any], Any], Callable[[Any], str]]:
    if name == "json":
        return json.loads, json.dumps
    if name == "orjson":
        import orjson

        return orjson.loads, lambda v: orjson.dumps(v).decode()
    import msgspec

    decoder, encoder = msgspec.json.Decoder(), msgspec.json.Encoder()
    return decoder.decode, lambda v: encoder.encode(v).decode()


async def _with_websockets(url: str, calls: Calls, args: argparse.Namespace) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, compression=None) as ws:

        async def read() -> None:
            async for frame in ws:
                calls.on_frame(frame)

        reader = asyncio.create_task(read())
        await calls.run(ws.send, args)
        reader.cancel()


async def _with_aiohttp(url: str, calls: Calls, args: argparse.Namespace) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:

        async def read() -> None:
            async for message in ws:
                calls.on_frame(message.data)

        reader = asyncio.create_task(read())
        await calls.run(ws.send_str, args)
        reader.cancel()


async def _with_picows(url: str, calls: Calls, args: argparse.Namespace) -> None:
    import picows

    class Listener(picows.WSListener):
        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            if frame.msg_type == picows.WSMsgType.TEXT:
                calls.on_frame(frame.get_payload_as_bytes())

    transport, _ = await picows.ws_connect(Listener, url)

    async def send(text: str) -> None:
        transport.send(picows.WSMsgType.TEXT, text.encode())

    await calls.run(send, args)
    transport.disconnect()


@contextlib.asynccontextmanager
async def product_stream(url: str, sink: Callable[[Any], Any]) -> AsyncIterator[Any]:
    """The product's ``EventStream`` on the stand-in at ``url``, events to ``sink``, its
    REST over the WebSocket ready; stopped when the block ends."""
    from continuity.ari_app.client import AriConfig, AriCredentials, EventStream

    base = url.replace("ws://", "http://").rstrip("/")
    config = AriConfig(base, AriCredentials("bench", "bench"), "continuity")
    stream = EventStream(config, cast(Any, sink))
    task = asyncio.create_task(stream.run())
    try:
        while not stream.rest.ready:
            await asyncio.sleep(0.001)
        yield stream
    finally:
        task.cancel()
        await asyncio.wait([task])


async def _with_ari_client(url: str, calls: Calls, args: argparse.Namespace) -> None:
    """The product's ``EventStream`` and ``RestOverWebSocket``, events to a sink."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    done.set_result(None)

    def sink(event: Any) -> asyncio.Future[None]:
        calls.events += 1
        return done  # awaitable for a tree whose sink was async, ignored otherwise

    gate = asyncio.Semaphore(args.concurrency)
    uri = "channels/pbx-f1e68f87-1796130499.0/answer"
    async with product_stream(url, sink) as stream:

        async def one() -> None:
            async with gate:
                for i in range(args.requests):
                    share = args.events // args.requests + (i < args.events % args.requests)
                    query = [("app", "continuity"), ("events", str(share))]
                    reply = await stream.rest.request("POST", uri, query, None, 10.0)
                    _ = calls.loads(reply.body)

        await asyncio.gather(*(one() for _ in range(args.calls)))
        while calls.events < args.calls * args.events:
            await asyncio.sleep(0.001)


CLIENTS = {
    "websockets": _with_websockets,
    "aiohttp": _with_aiohttp,
    "picows": _with_picows,
    "ari-client": _with_ari_client,
}
#: (library, codec, loop); the first is what the product used before issue 13.
