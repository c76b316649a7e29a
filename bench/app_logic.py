"""``python -m bench.app_logic``: the app's own CPU per bridged call, without the wire.

The product's event path (frame decode, ``parse_event``, the keyed dispatcher, the
Stasis translator, the call service and its routing, the call record's metrics
and log line) driven in-process with the frames of a bridged call as Asterisk 22
sends them (``bench.flow_probe``), against a REST stand-in that answers at once
and a record sink that keeps nothing. What the app spends beyond this per call is
the wire (``bench.wire_floor``) and the database. With ``--profile`` it prints the
functions with the most CPU (cProfile).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import sys
import time
from collections.abc import Sequence
from typing import Any, cast

import orjson

from bench.wire_floor import _CHANNEL
from continuity import names
from continuity.ari_app.client.config import AriConfig, AriCredentials
from continuity.ari_app.client.dispatch import KeyedDispatcher
from continuity.ari_app.client.events import decode_frame, parse_event
from continuity.ari_app.client.models import Bridge, Channel
from continuity.ari_app.client.rest import AriRest
from continuity.ari_app.client.wsrest import REPLY_TYPE, RestOverWebSocket
from continuity.ari_app.services import CallService
from continuity.ari_app.stasis import StasisTranslator, event_key
from continuity.config import Dialing, UnknownNumberPolicy
from continuity.core.call_trace import parse_trace
from continuity.core.model import Snapshot, TrackingNumber, TrunkHealth
from continuity.core.records import CallRecord
from continuity.logsetup import configure_logging, log_call_end
from continuity.metrics import Metrics, Probes
from continuity.router import Router

NUMBER = "+12125550100"


class InstantRest:
    """Every request the call service makes succeeds at once; counts them."""

    def __init__(self) -> None:
        self.requests = 0

    async def originate(self, endpoint: str, **_: object) -> object:
        self.requests += 1
        return None

    async def _one(self, *_: object, **__: object) -> None:
        self.requests += 1

    answer = ring = hangup = continue_in_dialplan = destroy_bridge = subscribe = _one
    add_to_bridge = _one

    async def create_bridge(self, bridge_type: str, bridge_id: str | None = None) -> Bridge:
        self.requests += 1
        return Bridge(bridge_id or "", bridge_type, "simple_bridge", "", ())

    async def play(self, *_: object, **__: object) -> object:
        self.requests += 1
        return None

    async def list_bridges(self) -> list[Bridge]:
        return []

    async def list_channels(self) -> list[Channel]:
        return []


class AsteriskStandIn:
    """The product's REST over the event WebSocket (``AriRest`` on a
    ``RestOverWebSocket``), each request answered on the loop's next turn with the
    ``RESTResponse`` frame Asterisk would send, decoded the way the stream decodes it."""

    def __init__(self) -> None:
        self.requests = 0
        self.socket = RestOverWebSocket(names.ARI_APP)
        self.socket.attach(self._send)
        self.socket.on_reply({"type": REPLY_TYPE, "request_id": "probe-1", "status_code": 200})
        config = AriConfig("http://127.0.0.1:8088", AriCredentials("bench", "bench"), "c")
        self.rest = AriRest(config, cast(Any, None))
        self.rest.send_over(self.socket)

    def _send(self, frame: str) -> None:
        request = orjson.loads(frame)
        if request["request_id"].startswith("probe"):
            return
        self.requests += 1
        body = ""
        if request["method"] == "POST" and request["uri"] == "bridges":
            query = {q["name"]: q["value"] for q in request.get("query_strings", [])}
            body = orjson.dumps({**_BRIDGE, "id": query.get("bridgeId", "")}).decode()
        elif request["method"] == "POST" and request["uri"] == "channels":
            query = {q["name"]: q["value"] for q in request.get("query_strings", [])}
            body = orjson.dumps({**_CHANNEL, "id": query.get("channelId", "")}).decode()
        reply = {
            "type": REPLY_TYPE,
            "request_id": request["request_id"],
            "status_code": 200 if body else 204,
            "reason_phrase": "OK" if body else "No Content",
            "message_body": body,
        }
        frame_back = orjson.dumps(reply)
        asyncio.get_running_loop().call_soon(lambda: self.socket.on_reply(decode_frame(frame_back)))


_BRIDGE = {
    "id": "",
    "technology": "simple_bridge",
    "bridge_type": "mixing",
    "bridge_class": "stasis",
    "creator": "Stasis",
    "name": "",
    "channels": [],
}


def _frame(kind: str, channel_id: str, **extra: Any) -> str:
    dialplan: dict[str, Any] = {**_CHANNEL["dialplan"], "exten": NUMBER}  # type: ignore[dict-item]
    channel: dict[str, Any] = {**_CHANNEL, "id": channel_id, "dialplan": dialplan}
    event = {
        "type": kind,
        "timestamp": "2026-12-01T13:15:54.339+0000",
        "channel": channel,
        "asterisk_id": "02:42:ac:11:00:02",
        "application": names.ARI_APP,
        **extra,
    }
    return orjson.dumps(event).decode()


def call_frames(caller: str, with_dial: bool) -> list[str]:
    """A bridged call's events in Asterisk 22's order, the caller hanging up first:
    both sides in the call's ARI bridge, the caller's StasisEnd and end, then the
    leg's once the app hung it up."""
    leg = f"{caller}{names.ID_SEP}0"
    frames = [_frame("StasisStart", caller, args=[])]
    if with_dial:
        for status in ("", "RINGING", "ANSWER"):
            peer = {**_CHANNEL, "id": leg}
            frames.append(
                orjson.dumps(
                    {"type": "Dial", "peer": peer, "dialstatus": status, "application": "c"}
                ).decode()
            )
    frames += [
        _frame("StasisStart", leg, args=[names.ARI_LEG_ARG]),
        _frame("StasisEnd", caller),
        _frame("ChannelDestroyed", caller, cause=16, cause_txt="Normal Clearing"),
        _frame("StasisEnd", leg),
        # No ChannelUserevent: the leg's hangup handler reports a SIP response only for
        # a leg that never answered.
        _frame("ChannelDestroyed", leg, cause=16, cause_txt="Normal Clearing"),
    ]
    return frames


def dialplan_frames(caller: str) -> list[str]:
    """A call the generated dialplan dials (``dialing = dialplan``): the caller enters,
    is sent on with one ``continue``, and leaves the app."""
    return [_frame("StasisStart", caller, args=[]), _frame("StasisEnd", caller)]


def trace_line(caller: str) -> str:
    """The call's line in Asterisk's call trace, as the generated dialplan writes it."""
    return (
        f"call|{caller}|%2B12125550100|%2B13125550199|Caller|1796130954.3|1796130956.4"
        f"|dialplan|primary|primary|primary/PJSIP%2F{NUMBER[1:]}%40primary|ANSWER|16"
    )


def _probes() -> Probes:
    zero: Any = lambda: 0  # noqa: E731
    return Probes(
        calls_in_progress=zero,
        records_spooled=zero,
        state_version=zero,
        state_loaded_at=lambda: None,
        state_from_database=lambda: True,
        outage_open=lambda: False,
        outage_started_at=lambda: None,
        primary_skipped=lambda: False,
        ari_connected=lambda: True,
        ari_reconnects=zero,
        ami_connected=lambda: True,
        ami_reconnects=zero,
    )


async def run(
    calls: int,
    with_dial: bool,
    dialing: Dialing = Dialing.ARI,
    pace: float = 0.0,
    product_rest: bool = False,
) -> dict[str, float]:
    counted: InstantRest | AsteriskStandIn = AsteriskStandIn() if product_rest else InstantRest()
    rest: Any = counted.rest if isinstance(counted, AsteriskStandIn) else counted
    metrics = Metrics(_probes())

    def ended(r: CallRecord) -> None:
        metrics.calls.observe(r)
        log_call_end(r)

    async def record(r: CallRecord) -> None:
        ended(r)

    snapshot = Snapshot(numbers={NUMBER: TrackingNumber(NUMBER)}, version=1)
    service = CallService(
        rest,
        Router.fixed(snapshot, TrunkHealth()),
        record,
        UnknownNumberPolicy("reject", "unallocated"),
        30,
        dialplan_label=(lambda: "v1-primary-up") if dialing is Dialing.DIALPLAN else None,
    )
    translator = StasisTranslator(service)
    dispatcher = KeyedDispatcher(translator.handle, key=event_key)
    callers = [f"pbx-{i}.{i}" for i in range(calls)]
    if dialing is Dialing.DIALPLAN:
        scripts = [dialplan_frames(caller) for caller in callers]
    else:
        scripts = [call_frames(caller, with_dial) for caller in callers]
    trace = "\n".join(trace_line(caller) for caller in callers) + "\n"
    started = time.process_time()
    for frames in scripts:
        for frame in frames:
            dispatcher.submit(parse_event(decode_frame(frame)))
            await asyncio.sleep(0)  # each frame is a read of its own
        await dispatcher.drain()
        if pace:
            await asyncio.sleep(pace)
    events = time.process_time() - started - await idle_cpu(pace, calls)
    started = time.process_time()
    if dialing is Dialing.DIALPLAN:  # the trace ingester's part, without the database
        records = {r.call_id: r for r in parse_trace(trace).calls}
        for call_id in sorted(await service.traced(list(records))):
            ended(records[call_id])
    traced = time.process_time() - started
    return {
        "cpu_ms_per_call": (events + traced) * 1000 / calls,
        "events_ms_per_call": events * 1000 / calls,
        "trace_ms_per_call": traced * 1000 / calls,
        "requests_per_call": counted.requests / calls,
        "frames_per_call": len(scripts[0]),
        "calls_left": len(service.calls),
    }


async def idle_cpu(pace: float, calls: int) -> float:
    """The CPU of the loop's ``calls`` sleeps of ``pace`` seconds alone, measured."""
    started = time.process_time()
    for _ in range(calls if pace else 0):
        await asyncio.sleep(pace)
    return time.process_time() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.app_logic", description=__doc__)
    parser.add_argument("--calls", type=int, default=5000, help="calls (5000)")
    parser.add_argument("--dial-events", action="store_true", help="send the 3 Dial events too")
    parser.add_argument("--profile", action="store_true", help="print the top functions")
    parser.add_argument(
        "--dialing",
        type=Dialing,
        choices=list(Dialing),
        default=Dialing.ARI,
        help="the call flow: ari (the app dials) or dialplan (the generated dialplan dials,"
        " its trace parsed and the calls ended with it)",
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="seconds between calls (0: back to back, warm caches); their sleeps' own CPU"
        " is measured apart and taken off",
    )
    parser.add_argument(
        "--rest",
        choices=("instant", "product"),
        default="instant",
        help="instant: requests succeed at once; product: the product's REST client over"
        " the WebSocket, each request answered with Asterisk's reply frame",
    )
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    devnull = open(os.devnull, "w")  # noqa: SIM115  (formatting is still paid)
    configure_logging("INFO", "text", stream=devnull)
    profiler = cProfile.Profile() if args.profile else None
    runner: Any = asyncio.run
    if args.uvloop:
        import uvloop

        runner = uvloop.run
    if profiler is not None:
        profiler.enable()
    result = runner(
        run(args.calls, args.dial_events, args.dialing, args.pace, args.rest == "product")
    )
    if profiler is not None:
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    logging.getLogger("asyncio").setLevel(logging.WARNING)
    sys.exit(main())
