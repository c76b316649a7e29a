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
from typing import Any

import orjson

from bench.wire_floor import _CHANNEL
from continuity import names
from continuity.ari_app.client.dispatch import KeyedDispatcher
from continuity.ari_app.client.events import decode_frame, parse_event
from continuity.ari_app.client.models import Bridge, Channel
from continuity.ari_app.services import CallService
from continuity.ari_app.stasis import StasisTranslator, event_key
from continuity.config import UnknownNumberPolicy
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


async def run(calls: int, with_dial: bool) -> dict[str, float]:
    rest = InstantRest()
    metrics = Metrics(_probes())

    async def record(r: CallRecord) -> None:
        metrics.calls.observe(r)
        log_call_end(r)

    snapshot = Snapshot(numbers={NUMBER: TrackingNumber(NUMBER)}, version=1)
    service = CallService(
        rest,
        Router.fixed(snapshot, TrunkHealth()),
        record,
        UnknownNumberPolicy("reject", "unallocated"),
        30,
    )
    translator = StasisTranslator(service)
    dispatcher = KeyedDispatcher(translator.handle, key=event_key)
    scripts = [call_frames(f"pbx-{i}.{i}", with_dial) for i in range(calls)]
    started = time.process_time()
    for frames in scripts:
        for frame in frames:
            dispatcher.submit(parse_event(decode_frame(frame)))
            await asyncio.sleep(0)  # each frame is a read of its own
        await dispatcher.drain()
    cpu = time.process_time() - started
    return {
        "cpu_ms_per_call": cpu * 1000 / calls,
        "requests_per_call": rest.requests / calls,
        "frames_per_call": len(scripts[0]),
        "calls_left": len(service.calls),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.app_logic", description=__doc__)
    parser.add_argument("--calls", type=int, default=5000, help="calls (5000)")
    parser.add_argument("--dial-events", action="store_true", help="send the 3 Dial events too")
    parser.add_argument("--profile", action="store_true", help="print the top functions")
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
    result = runner(run(args.calls, args.dial_events))
    if profiler is not None:
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    logging.getLogger("asyncio").setLevel(logging.WARNING)
    sys.exit(main())
