"""``python -m bench.wire_floor``: what the ARI wire alone costs the app per call.

Issue 13's model of the wire: per call, ``--requests`` REST request/response pairs
and ``--events`` event frames, ARI-sized, over loopback WebSocket, against a
stand-in for Asterisk that runs as a process of its own. Only the client's CPU
time is counted (``time.process_time``): it is the floor under the app's CPU per
call with these libraries, whatever the app does besides. Each configuration
(WebSocket library, JSON codec, event loop) runs ``--repeats`` times,
interleaved, ``--calls`` calls each with ``--concurrency`` calls in flight.
Configurations whose libraries are not installed are skipped.

``ari-client`` is no model: it is the product's own client, ``EventStream`` with
its REST over the WebSocket, each event parsed into its typed model and queued
by a sink, whichever WebSocket library the tree it runs from uses. Run from
another tree (``--tree``), it measures that tree's client with this bench.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bench.options import RESULTS, write_results
from bench.wire_clients import CLIENTS, Calls
from bench.wire_clients import codec as wire_codec

#: An ARI-sized channel object (a real StasisStart's channel is ~900 bytes).
_CHANNEL = {
    "id": "pbx-f1e68f87-1796130499.0",
    "name": "PJSIP/bench-inbound-00000000",
    "state": "Ring",
    "protocol_id": "4a2c9d3e-8f61-4b1e-9c2a-3e5f7a8b9c0d@127.0.0.2:5062",
    "caller": {"name": "", "number": "+15550001111"},
    "connected": {"name": "", "number": ""},
    "accountcode": "",
    "dialplan": {
        "context": "continuity-tracking",
        "exten": "+12125550100",
        "priority": 5,
        "app_name": "Stasis",
        "app_data": "continuity",
    },
    "creationtime": "2026-12-01T13:15:54.337+0000",
    "language": "en",
    "channelvars": {},
    "caller_rdnis": "",
    "tenantid": "",
}
EVENT = {
    "type": "StasisStart",
    "timestamp": "2026-12-01T13:15:54.339+0000",
    "args": [],
    "channel": _CHANNEL,
    "asterisk_id": "02:42:ac:11:00:02",
    "application": "continuity",
}
REPLY_BODY = json.dumps(_CHANNEL)


# -- the stand-in server ------------------------------------------------------------
async def _serve(port: int) -> None:
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    event_text = json.dumps(EVENT)

    async def handler(ws: Any) -> None:
        with contextlib.suppress(ConnectionClosed):
            await _answer(ws)

    async def _answer(ws: Any) -> None:
        async for frame in ws:
            request = json.loads(frame)
            query = {q["name"]: q["value"] for q in request.get("query_strings", [])}
            reply = {
                "type": "RESTResponse",
                "request_id": request["request_id"],
                "status_code": 200,
                "reason_phrase": "OK",
                "uri": request["uri"],
                "content_type": "application/json",
                "message_body": REPLY_BODY,
                "application": "continuity",
            }
            await ws.send(json.dumps(reply))
            for _ in range(int(request.get("events", query.get("events", 0)))):
                await ws.send(event_text)

    async with serve(handler, "127.0.0.1", port, compression=None):
        print("ready", flush=True)
        await asyncio.Future()


CONFIGS = (
    ("websockets", "json", "asyncio"),
    ("websockets", "orjson", "asyncio"),
    ("websockets", "msgspec", "asyncio"),
    ("websockets", "orjson", "uvloop"),
    ("aiohttp", "orjson", "uvloop"),
    ("picows", "orjson", "uvloop"),
    ("ari-client", "orjson", "uvloop"),
)


@contextlib.contextmanager
def stand_in(module: str) -> Iterator[int]:
    """``python -m <module> --serve <port>``: a stand-in for Asterisk in a process of its
    own, from its "ready" line until the block ends; yields its port."""
    from localstack.ports import PortAllocator

    port = PortAllocator().tcp()
    server = subprocess.Popen(
        [sys.executable, "-m", module, "--serve", str(port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()
        yield port
    finally:
        server.terminate()
        server.wait()


def _client(config: tuple[str, str, str], port: int, args: argparse.Namespace) -> float:
    """One run in this process; its CPU ms per call."""
    import importlib

    library, codec, loop = config
    loads, dumps = wire_codec(codec)
    calls = Calls(loads, dumps)
    # Imported before the clock starts: the figure is the calls' CPU, not start-up's.
    importlib.import_module("continuity.ari_app.client" if library == "ari-client" else library)

    async def main() -> float:
        started = time.process_time()
        await CLIENTS[library](f"ws://127.0.0.1:{port}/", calls, args)
        return float((time.process_time() - started) * 1000 / args.calls)

    if loop == "uvloop":
        import uvloop

        return uvloop.run(main())
    return asyncio.run(main())


def _available(config: tuple[str, str, str]) -> bool:
    import importlib.util

    library, codec, loop = config
    modules = ("continuity" if library == "ari-client" else library, codec, loop)
    return all(importlib.util.find_spec(m) for m in modules)


def _name(config: Sequence[str]) -> str:
    """``library/codec/loop``; another checkout's client by its commit (no path)."""
    name = "/".join(config[:3])
    if len(config) <= 3:
        return name
    head = subprocess.run(
        ["git", "-C", config[3], "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{name}@{head or 'other checkout'}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wire_floor", description=__doc__)
    parser.add_argument("--requests", type=int, default=7, help="REST pairs per call (7)")
    parser.add_argument("--events", type=int, default=10, help="event frames per call (10)")
    parser.add_argument("--calls", type=int, default=2000, help="calls per run (2000)")
    parser.add_argument("--concurrency", type=int, default=20, help="calls in flight (20)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per configuration (5)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument(
        "--only",
        help="comma-separated configurations to run (library/codec/loop), default: all",
    )
    parser.add_argument(
        "--tree",
        type=Path,
        action="append",
        default=[],
        help="also run ari-client from this checkout's continuity package (repeatable)",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        asyncio.run(_serve(args.serve))
        return 0
    if args.client:
        port, *config = args.client.split(",")
        if len(config) > 3:  # the ari-client of another checkout
            sys.path.insert(0, config[3])
        print(_client((config[0], config[1], config[2]), int(port), args))
        return 0
    if min(args.requests, args.calls, args.concurrency, args.repeats) < 1 or args.events < 0:
        parser.error("--requests, --calls, --concurrency and --repeats must be at least 1")

    with stand_in("bench.wire_floor") as port:
        configs: list[tuple[str, ...]] = [c for c in CONFIGS if _available(c)]
        if args.only:
            wanted = set(args.only.split(","))
            configs = [c for c in configs if "/".join(c) in wanted]
        configs += [("ari-client", "orjson", "uvloop", str(t.resolve())) for t in args.tree]
        runs: dict[str, list[float]] = {_name(c): [] for c in configs}
        common = [f"--{k}={getattr(args, k)}" for k in ("requests", "events", "calls")]
        common.append(f"--concurrency={args.concurrency}")
        for repeat in range(args.repeats):
            for config in configs:
                out = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "bench.wire_floor",
                        *common,
                        f"--client={port},{','.join(config)}",
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs[_name(config)].append(float(out.stdout.strip().splitlines()[-1]))
                print(
                    f"[{repeat + 1}/{args.repeats}] {_name(config)}: "
                    f"{runs[_name(config)][-1]:.3f} ms/call",
                    file=sys.stderr,
                )
    first = statistics.median(next(iter(runs.values())))
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "model": {
            "requests": args.requests,
            "events": args.events,
            "messages_per_call": 2 * args.requests + args.events,
            "calls": args.calls,
            "concurrency": args.concurrency,
            "repeats": args.repeats,
        },
        "client_cpu_ms_per_call": {
            name: {
                "median": statistics.median(v),
                "min": min(v),
                "max": max(v),
                "vs_first": statistics.median(v) / first,
            }
            for name, v in runs.items()
        },
    }
    write_results(args.out, f"wire-floor-{2 * args.requests + args.events}msg", results)
    print(f"{'library/codec/loop':32} median ms/call (min-max)  vs first")
    for name, r in results["client_cpu_ms_per_call"].items():
        print(f"{name:32} {r['median']:.3f} ({r['min']:.3f}-{r['max']:.3f})  {r['vs_first']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
