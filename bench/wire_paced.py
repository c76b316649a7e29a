"""``python -m bench.wire_paced``: the ARI wire's floor at the call rate, not back to back.

``bench.wire_floor`` sends each call's messages back to back, so the client's event
loop never sleeps: that is the wire's floor on warm caches. The app on the real
stack sleeps between almost every message (at 20 calls/s a message comes every few
milliseconds), and a process woken from sleep runs its first microseconds on cold
caches; on a virtual machine waking a vCPU costs more. This bench measures that
floor: a stand-in for Asterisk (a process of its own) plays each call the way
Asterisk 22 does for the 9-message call bridged in dialplan (``bench.flow_probe``; the
app's flow until it moved to an ARI bridge):

- ``StasisStart`` of the caller; the client answers with one REST request (the
  originate), replied 1 ms later; 3 ms after that the leg's ``StasisStart``;
- the client answers that with one REST request (the ``continue``), replied 1 ms
  later together with the caller's ``StasisEnd``; the leg's ``StasisEnd`` 25 ms
  later, the caller's ``ChannelDestroyed`` after the hold.

``--flow least`` plays the fewest messages an ARI app can see of a bridged call (5:
the caller's ``StasisStart``, one originate and its reply, the caller's ``StasisEnd``
once the leg bridges itself in the dialplan, the caller's ``ChannelDestroyed``): the
floor of any ARI flow, not only of today's. Calls start ``--rate`` times a second.
Each client does nothing with an event but what the wire needs: ``bare`` is picows
and orjson alone, ``ari-client`` is the product's own ``EventStream`` with its REST
over the WebSocket and typed events; ``timers`` has no socket at all and is woken by
timers when the bridged flow's messages would arrive: the cost of waking the loop.
The figure is the client's CPU per call above its idle rate (``time.process_time``),
median of ``--repeats`` runs; ``--rate 0`` starts every call at once (warm caches).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.app_process import wakeups
from bench.options import RESULTS, write_results
from bench.wire_clients import product_stream
from bench.wire_floor import EVENT, REPLY_BODY, stand_in

#: Per flow, the client's REST requests and what the stand-in sends after each reply:
#: (milliseconds after the reply, event type, the leg's channel or the caller's).
#: ``bridged`` is the dialplan-bridge flow (9 messages a call); ``least`` is the fewest
#: an ARI app can see of a bridged call (5): the caller's arrival, one originate whose
#: leg bridges itself in the dialplan on answer, the caller leaving the app, its end.
FLOWS: dict[str, dict[str, list[tuple[float, str, bool]]]] = {
    "bridged": {
        "originate": [(3.0, "StasisStart", True)],
        "continue": [(0.0, "StasisEnd", False), (25.0, "StasisEnd", True)],
    },
    "least": {"originate": [(3.0, "StasisEnd", False)]},
}
MESSAGES_PER_CALL = {"bridged": 9, "least": 5}
REPLY_DELAY_MS = 1.0
LEG_ARG = "dial"


def _event(kind: str, channel_id: str, leg: bool) -> bytes:
    event = {**EVENT, "type": kind, "channel": {**EVENT["channel"], "id": channel_id}}  # type: ignore[dict-item]
    event["args"] = [LEG_ARG] if leg and kind == "StasisStart" else []
    return json.dumps(event).encode()


# -- the stand-in for Asterisk ------------------------------------------------------
async def _serve(port: int) -> None:
    import picows

    loop = asyncio.get_running_loop()

    class Server(picows.WSListener):
        def on_ws_connected(self, transport: Any) -> None:
            self.transport = transport
            self.script = FLOWS["bridged"]

        def send(self, payload: bytes) -> None:
            if not self.transport.is_disconnected:
                self.transport.send(picows.WSMsgType.TEXT, payload)

        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            if frame.msg_type != picows.WSMsgType.TEXT:
                return
            request = json.loads(frame.get_payload_as_bytes())
            query = {q["name"]: q["value"] for q in request.get("query_strings", [])}
            if request["uri"] == "feed":
                self.script = FLOWS[query["flow"]]
                self.feeding = loop.create_task(
                    self.feed(int(query["calls"]), float(query["rate"]), float(query["hold"]))
                )
                self.reply(request, [])
                return
            parts = request["uri"].split("/")
            if len(parts) != 3 or parts[2] not in self.script:  # the client's own (a resync)
                self.reply(request, [], "[]")
                return
            caller, step = parts[1:]
            loop.call_later(
                REPLY_DELAY_MS / 1000,
                self.reply,
                request,
                [(d, k, caller + "-leg" if leg else caller) for d, k, leg in self.script[step]],
            )

        def reply(
            self,
            request: dict[str, Any],
            then: list[tuple[float, str, str]],
            body: str = REPLY_BODY,
        ) -> None:
            self.send(
                json.dumps(
                    {
                        "type": "RESTResponse",
                        "request_id": request["request_id"],
                        "status_code": 200,
                        "reason_phrase": "OK",
                        "uri": request["uri"],
                        "content_type": "application/json",
                        "message_body": body,
                        "application": "continuity",
                    }
                ).encode()
            )
            for delay, kind, channel in then:
                payload = _event(kind, channel, channel.endswith("-leg"))
                if delay:
                    loop.call_later(delay / 1000, self.send, payload)
                else:
                    self.send(payload)

        async def feed(self, calls: int, rate: float, hold: float) -> None:
            start = loop.time()
            for i in range(calls):
                if rate:
                    await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
                caller = f"pbx-bench-{i}"
                self.send(_event("StasisStart", caller, False))
                loop.call_later(hold, self.send, _event("ChannelDestroyed", caller, False))

    server = await picows.ws_create_server(lambda _request: Server(), "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


# -- the clients ----------------------------------------------------------------------
class Script:
    """What a client does with each event: a REST request for each ``StasisStart``
    (originate for the caller, continue for the leg); counts calls ended."""

    def __init__(self, request: Callable[[str], None]) -> None:
        self.request = request
        self.ended = 0

    def on_event(self, kind: str, channel_id: str, args: Sequence[str]) -> None:
        if kind == "StasisStart":
            if args and args[0] == LEG_ARG:
                self.request(f"channels/{channel_id.removesuffix('-leg')}/continue")
            else:
                self.request(f"channels/{channel_id}/originate")
        elif kind == "ChannelDestroyed":
            self.ended += 1


async def _bare(url: str, feed: list[tuple[str, str]], calls: int) -> Script:
    """picows and orjson, nothing else: each frame decoded, replies matched by id."""
    import orjson
    import picows

    pending: dict[str, asyncio.Future[Any]] = {}
    loop = asyncio.get_running_loop()
    counter = iter(range(1, 1 << 62))

    class Listener(picows.WSListener):
        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            if frame.msg_type != picows.WSMsgType.TEXT:
                return
            message = orjson.loads(frame.get_payload_as_bytes())
            if message["type"] == "RESTResponse":
                future = pending.pop(message["request_id"], None)
                if future is not None:
                    future.set_result(orjson.loads(message["message_body"]))
            else:
                script.on_event(message["type"], message["channel"]["id"], message["args"])

    transport, _ = await picows.ws_connect(Listener, url)

    def request(uri: str, query: Sequence[tuple[str, str]] = ()) -> None:
        request_id = str(next(counter))
        pending[request_id] = loop.create_future()
        transport.send(
            picows.WSMsgType.TEXT,
            orjson.dumps(
                {
                    "type": "RESTRequest",
                    "request_id": request_id,
                    "method": "POST",
                    "uri": uri,
                    "query_strings": [{"name": n, "value": v} for n, v in query],
                }
            ),
        )

    script = Script(request)
    request("feed", feed)
    while script.ended < calls:
        await asyncio.sleep(0.05)
    transport.disconnect()
    return script


async def _ari_client(url: str, feed: list[tuple[str, str]], calls: int) -> Script:
    """The product's ``EventStream`` and ``RestOverWebSocket``: typed events."""
    from continuity.ari_app.client.events import ChannelDestroyed, StasisStart

    tasks: set[asyncio.Task[Any]] = set()

    def request(uri: str) -> None:
        task = asyncio.ensure_future(stream.rest.request("POST", uri, [], None, 10.0))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    script = Script(request)

    def sink(event: Any) -> None:
        if isinstance(event, StasisStart):
            script.on_event("StasisStart", event.channel.id, event.args)
        elif isinstance(event, ChannelDestroyed):
            script.on_event("ChannelDestroyed", event.channel.id, ())

    async with product_stream(url, sink) as stream:
        await stream.rest.request("POST", "feed", feed, None, 10.0)
        while script.ended < calls:
            await asyncio.sleep(0.05)
    return script


async def _timers(url: str, feed: list[tuple[str, str]], calls: int) -> Script:
    """No socket: the event loop woken by timers when the bridged flow's messages would
    arrive (the caller, +1, +4 and +5 ms, +30 ms, the hold), each wake doing nothing:
    what waking the loop alone costs at the call rate."""
    query = dict(feed)
    rate, hold = float(query["rate"]), float(query["hold"])
    loop = asyncio.get_running_loop()
    script = Script(lambda _uri: None)

    def end() -> None:
        script.ended += 1

    start = loop.time()
    offsets = (0.0, 0.001, 0.004, 0.005, 0.030)
    for i in range(calls):
        at = start + (i / rate if rate else 0.0)
        for offset in offsets:
            loop.call_at(at + offset, lambda: None)
        loop.call_at(at + hold, end)
    while script.ended < calls:
        await asyncio.sleep(0.05)
    return script


CLIENTS = {"timers": _timers, "bare": _bare, "ari-client": _ari_client}


def _client(name: str, port: int, args: argparse.Namespace) -> dict[str, float]:
    import uvloop

    async def main() -> dict[str, float]:
        idle_started = time.process_time()
        await asyncio.sleep(args.idle)
        idle_rate = (time.process_time() - idle_started) / args.idle
        feed = [
            ("calls", str(args.calls)),
            ("rate", str(args.rate)),
            ("hold", str(args.hold)),
            ("flow", args.flow),
        ]
        wall, started, woken = time.monotonic(), time.process_time(), wakeups(os.getpid())
        await CLIENTS[name](f"ws://127.0.0.1:{port}/", feed, args.calls)
        cpu, wall = time.process_time() - started, time.monotonic() - wall
        wakes = wakeups(os.getpid()) - woken - wall / 0.05  # less the 50 ms done-polls
        marginal = (cpu - idle_rate * wall) * 1000 / args.calls
        return {
            "ms_per_call": cpu * 1000 / args.calls,
            "marginal_ms_per_call": marginal,
            "idle_ms_per_s": idle_rate * 1000,
            "wakeups_per_call": wakes / args.calls,
            # Sent all at once, the calls' messages come in few reads: no per-wake-up figure.
            "us_per_wakeup": marginal * 1000 * args.calls / wakes if wakes >= args.calls else 0.0,
        }

    return uvloop.run(main())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wire_paced", description=__doc__)
    parser.add_argument(
        "--rate", type=float, default=20.0, help="calls started per second; 0: all at once (20)"
    )
    parser.add_argument("--calls", type=int, default=200, help="calls per run (200)")
    parser.add_argument("--hold", type=float, default=1.0, help="seconds a call lasts (1)")
    parser.add_argument(
        "--flow",
        choices=sorted(FLOWS),
        default="bridged",
        help="the messages of a call: bridged (the dialplan-bridge flow's 9) or least (5)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per client (3)")
    parser.add_argument(
        "--idle", type=float, default=2.0, help="seconds of idle measured before each run (2)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        import uvloop

        uvloop.run(_serve(args.serve))
        return 0
    if args.client:
        port, name = args.client.split(",")
        print(json.dumps(_client(name, int(port), args)))
        return 0
    if min(args.calls, args.repeats) < 1 or args.rate < 0 or args.hold < 0:
        parser.error("--calls and --repeats must be at least 1, --rate and --hold not below 0")

    runs: dict[str, list[dict[str, float]]] = {name: [] for name in CLIENTS}
    with stand_in("bench.wire_paced") as port:
        common = [
            f"--rate={args.rate}",
            f"--calls={args.calls}",
            f"--hold={args.hold}",
            f"--idle={args.idle}",
            f"--flow={args.flow}",
        ]
        for repeat in range(args.repeats):
            for name in CLIENTS:
                out = subprocess.run(
                    [sys.executable, "-m", "bench.wire_paced", *common, f"--client={port},{name}"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
                run = runs[name][-1]
                print(
                    f"[{repeat + 1}/{args.repeats}] {name}: {run['marginal_ms_per_call']:.3f}"
                    f" ms/call marginal (idle {run['idle_ms_per_s']:.2f} ms/s)",
                    file=sys.stderr,
                )
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "model": {
            "rate": args.rate,
            "calls": args.calls,
            "hold": args.hold,
            "flow": args.flow,
            "messages_per_call": MESSAGES_PER_CALL[args.flow],
            "repeats": args.repeats,
        },
        "client_cpu_ms_per_call": {
            name: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
            | {"runs": [round(r["marginal_ms_per_call"], 4) for r in rs]}
            for name, rs in runs.items()
        },
    }
    rate = f"{args.rate:g}cps" if args.rate else "burst"
    write_results(args.out, f"wire-paced-{args.flow}-{rate}", results)
    print(f"{'client':12} marginal ms/call (runs)  wake-ups/call  us/wake-up  idle ms/s")
    for name, r in results["client_cpu_ms_per_call"].items():
        print(
            f"{name:12} {r['marginal_ms_per_call']:.3f} {r['runs']}  "
            f"{r['wakeups_per_call']:.1f}  {r['us_per_wakeup']:.0f}  {r['idle_ms_per_s']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
