"""``python -m bench.ari_floor``: what the ARI route costs Asterisk, with an app doing nothing else.

The floor of issue 13's post-dial-delay and hand-off-onset figures. A minimal
Stasis app (``floor``, not the product's: a process of its own, raw WebSocket
frames, no routing, no records) routes calls on the benchmark's
stack, one call flow at a time, each side by side with pure dialplan:

* ``originate``: the product's flow. The app originates the leg into itself;
  once it answers, the caller is answered and both go into a mixing bridge kept
  from call to call. Each side's hangup handler hangs up the other.
* ``continue``: the app sends the caller on to dialplan that dials the number
  (``continue`` to an extension named by the number): the decision is the app's,
  the leg and the bridge are Asterisk's own ``Dial()``.
* ``setvar``: as ``continue``, the dial string handed over in a channel variable
  first (sent without waiting for its reply), as a product would to dial any
  destination.

For each flow: the post-dial delay over the dialplan calls it alternated with, and
the pbx's CPU per call in blocks of one route each (closed loop); with
``--saturate N``, its routed calls/s at N concurrent calls against pure dialplan's. The product's
own app runs meanwhile but sees none of these calls.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from bench import calls_figures, dialplan
from bench.capture import InviteCapture
from bench.carrier import BASELINE_CONTEXT
from bench.options import RESULTS, write_results
from bench.rig import include_dialplan, rig
from continuity import names

APP = "floor"
INCLUDE = "bench/extensions_floor.conf"
FLOWS = ("originate", "continue", "setvar")
#: The number range each flow's calls dial (the carrier's bench entrance takes them).
RANGES = {
    "originate": ("_+1929555XXXX", 19295550100),
    "continue": ("_+1347555XXXX", 13475550100),
    "setvar": ("_+1332555XXXX", 13325550100),
}
LEG_SUFFIX = "~1"
VAR_DIAL = "FLOOR_DIAL"

_DIALPLAN = """\
; Written by bench/ari_floor.py; not part of the product.
[{context}]
{entries}
[floor-dial]
{dial}
 same => n,Hangup()
exten => s,1,Dial(${{{var}}},30)
 same => n,Hangup()

[floor-caller-gone]
exten => s,1,GotoIf($["${{SHARED(FLOOR_LEG)}}" = ""]?done)
 same => n,SoftHangup(${{IMPORT(${{SHARED(FLOOR_LEG)}},CHANNEL(name))}})
 same => n(done),Return()

[floor-leg-gone]
exten => s,1,GotoIf($["${{CHANNEL(state)}}" != "Up"]?done)
 same => n,Set(LOCAL(caller)=${{CUT(UNIQUEID,~,1)}})
 same => n,GotoIf($["${{IMPORT(${{LOCAL(caller)}},CHANNEL(state))}}" != "Up"]?done)
 same => n,SoftHangup(${{IMPORT(${{LOCAL(caller)}},CHANNEL(name))}})
 same => n(done),Return()
"""

_ENTRY = """\
exten => {pattern},1,NoOp(floor {flow}: call to ${{EXTEN}})
 same => n,Set(__{tracking}=${{EXTEN}})
 same => n,Set(CHANNEL(hangup_handler_push)=floor-caller-gone,s,1)
 same => n,Ringing()
 same => n,Stasis({app},{flow})
 same => n,Hangup()
"""


def render(steps: int = 0) -> str:
    """The floor's dialplan; ``steps`` more priorities before the ``continue`` flow's
    ``Dial()``, as the product's generated dialplan runs (``--steps``)."""
    entries = "".join(
        _ENTRY.format(pattern=pattern, flow=flow, tracking=names.VAR_TRACKING_NUMBER, app=APP)
        for flow, (pattern, _) in RANGES.items()
    )
    priorities = [f"Set(FLOOR_STEP_{i}=${{EXTEN}})" for i in range(steps)]
    priorities.append(f"Dial(PJSIP/${{EXTEN}}@{names.ENDPOINT_PRIMARY},30)")
    dial = "\n".join(
        f"exten => _+X.,1,{app}" if not i else f" same => n,{app}"
        for i, app in enumerate(priorities)
    )
    return _DIALPLAN.format(context=BASELINE_CONTEXT, entries=entries, var=VAR_DIAL, dial=dial)


# -- the app: its own process, so that its CPU is nobody else's -----------------
class Floor:
    """Answers each event at once with the frames it calls for; reads no reply."""

    def __init__(self, send: Any) -> None:
        self._send = send
        self._ids = 0
        self._free: list[str] = []
        self._bridges = 0
        #: bridge -> channels still in it; channel -> its bridge.
        self._held: dict[str, set[str]] = {}
        self._of: dict[str, str] = {}

    def _request(self, method: str, uri: str, query: dict[str, str], body: Any = None) -> None:
        self._ids += 1
        frame: dict[str, Any] = {
            "type": "RESTRequest",
            "request_id": str(self._ids),
            "method": method,
            "uri": uri,
            "query_strings": [{"name": k, "value": v} for k, v in query.items()],
        }
        if body is not None:
            frame["content_type"] = "application/json"
            frame["message_body"] = orjson.dumps(body).decode()
        self._send(orjson.dumps(frame).decode())

    def subscribe(self) -> None:
        """Ask for StasisStart and StasisEnd only, and tell the harness it is ready."""
        allowed = [{"type": t} for t in ("StasisStart", "StasisEnd")]
        self._request("PUT", f"applications/{APP}/eventFilter", {}, {"allowed": allowed})
        print("ready", flush=True)

    def on_frame(self, raw: str | bytes) -> None:
        event = orjson.loads(raw)
        kind = event.get("type")
        if kind == "StasisStart":
            channel = event["channel"]
            args = event.get("args") or []
            if args == ["leg"]:
                self._answered(channel["id"])
            elif args:
                self._caller(args[0], channel["id"], channel["dialplan"]["exten"])
        elif kind == "StasisEnd":
            self._left(event["channel"]["id"])

    def _caller(self, flow: str, caller: str, number: str) -> None:
        if flow == "continue":
            self._request(
                "POST",
                f"channels/{caller}/continue",
                {"context": "floor-dial", "extension": number, "priority": "1"},
            )
            return
        dial = f"PJSIP/{number}@{names.ENDPOINT_PRIMARY}"
        if flow == "setvar":
            self._request(
                "POST", f"channels/{caller}/variable", {"variable": VAR_DIAL, "value": dial}
            )
            self._request(
                "POST",
                f"channels/{caller}/continue",
                {"context": "floor-dial", "extension": "s", "priority": "1"},
            )
            return
        leg = caller + LEG_SUFFIX
        variables = {
            "CHANNEL(hangup_handler_push)": "floor-leg-gone,s,1",
            f"SHARED(FLOOR_LEG,{caller})": leg,
        }
        self._request(
            "POST",
            "channels",
            {
                "endpoint": dial,
                "app": APP,
                "appArgs": "leg",
                "channelId": leg,
                "originator": caller,
                "timeout": "30",
            },
            {"variables": variables},
        )

    def _answered(self, leg: str) -> None:
        caller = leg.removesuffix(LEG_SUFFIX)
        self._request("POST", f"channels/{caller}/answer", {})
        if self._free:
            bridge = self._free.pop()
        else:
            self._bridges += 1
            bridge = f"floor-{self._bridges}"
            self._request("POST", "bridges", {"bridgeId": bridge, "type": "mixing"})
        self._held[bridge] = {caller, leg}
        self._of[caller] = self._of[leg] = bridge
        self._request("POST", f"bridges/{bridge}/addChannel", {"channel": f"{caller},{leg}"})

    def _left(self, channel: str) -> None:
        bridge = self._of.pop(channel, None)
        if bridge is None:
            return
        held = self._held[bridge]
        held.discard(channel)
        if not held:
            del self._held[bridge]
            self._free.append(bridge)


def _events(url: str, user: str, password: str) -> tuple[str, dict[str, str]]:
    """The floor app's event WebSocket URL, and its Basic authorization header."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"{url}?app={APP}&subscribeAll=false", {"Authorization": f"Basic {token}"}


async def serve(url: str, user: str, password: str) -> None:
    from websockets.asyncio.client import connect  # the app process only

    full, headers = _events(url, user, password)
    async with connect(full, additional_headers=headers) as ws:
        pending: list[str] = []

        def send(text: str) -> None:
            pending.append(text)

        floor = Floor(send)
        floor.subscribe()
        async for raw in ws:
            floor.on_frame(raw)
            if pending:
                frames, pending[:] = list(pending), []
                for frame in frames:
                    await ws.send(frame)


async def serve_on_product_wire(url: str, user: str, password: str) -> None:
    """As :func:`serve`, over the product's own transport (picows, on uvloop)."""
    from continuity.ari_app.client.wire import connect  # the app process only

    full, headers = _events(url, user, password)
    connection = await connect(full, headers, open_timeout=10.0, ping_interval=60.0)
    floor = Floor(connection.send)
    floor.subscribe()
    connection.deliver_to(floor.on_frame)
    await connection.closed()


#: The floor app's transports: websockets on asyncio's loop, or the product's.
WIRES = ("websockets", "product")


# -- the run ---------------------------------------------------------------------
async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "calls": args.calls,
        "rate": args.rate,
        "wire": args.wire,
        "steps": args.steps,
        "flows": {},
    }
    progress = lambda m: print(f"[{dt.datetime.now():%H:%M:%S}] {m}", file=sys.stderr)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="continuity-floor-") as tmp:
        async with rig(
            Path(tmp),
            numbers_per_route=args.numbers,
            rtp_ports=1000,
            qualify_frequency=0,
            qualify_timeout=0.5,
            progress=progress,
        ) as r:
            pbx = r.stack.pbx
            results["asterisk"] = (await pbx.cli("core show version")).split(" built")[0]
            await include_dialplan(pbx, INCLUDE, render(args.steps))
            for flow, (_, first) in RANGES.items():
                r.numbers[flow] = [f"+{first + i}" for i in range(args.numbers)]
                dialplan.ENTRANCE[flow] = dialplan.ENTRANCE["dialplan"]
            creds = pbx.ari
            app = subprocess.Popen(  # noqa: ASYNC220 (started once, before any call)
                [
                    sys.executable,
                    "-m",
                    "bench.ari_floor",
                    "--serve",
                    args.wire,
                    creds.events_url,
                    creds.username,
                    creds.password,
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            try:
                assert app.stdout is not None
                ready = await asyncio.to_thread(app.stdout.readline)
                if ready.strip() != "ready":
                    raise RuntimeError("the floor app did not start")
                r.cpu.pids["floor"] = app.pid
                ports = [r.stack.pbx.sip_port, r.stack.carrier_primary_port]
                with InviteCapture(ports) as capture:
                    await calls_figures.warm_up(r, capture, 3.0, progress)
                    for flow in args.flows:
                        results["flows"][flow] = await _flow(r, capture, flow, args, progress)
            finally:
                app.terminate()
                app.wait(10)
    return results


async def _flow(
    r: Any, capture: InviteCapture, flow: str, args: argparse.Namespace, progress: Any
) -> dict[str, Any]:
    progress(f"{flow}: {args.calls} calls alternating with dialplan at {args.rate:g} calls/s each")
    done = await calls_figures.block(
        r,
        capture,
        ("dialplan", flow),
        args.calls,
        concurrency=args.concurrency,
        hold=args.hold,
        rate=2 * args.rate,
        progress=progress,
    )
    base, ours = calls_figures.pdd(done.of("dialplan")), calls_figures.pdd(done.of(flow))
    row: dict[str, Any] = {
        "pdd_ms": ours.as_json(),
        "baseline_pdd_ms": base.as_json(),
        "over_dialplan_p50_ms": ours.p50 - base.p50,
        "over_dialplan_p99_ms": ours.p99 - base.p99,
        "verdicts": calls_figures.verdicts(done.of(flow)),
    }
    progress(
        f"  {flow}: p50 {ours.p50:.2f} ms (+{ours.p50 - base.p50:.2f} over dialplan), "
        f"p99 {ours.p99:.2f} ms (+{ours.p99 - base.p99:.2f}); {row['verdicts']}"
    )
    # pbx CPU per call: blocks of one route each, the flow's then dialplan's, twice.
    cpu: dict[str, list[float]] = {flow: [], "dialplan": []}
    floor_cpu: list[float] = []
    blocks = _alone(r, capture, flow, args.calls, args.concurrency, args.hold, args.rate, progress)
    async for route, alone in blocks:
        calls = len(alone.of(route))
        marginal = alone.marginal_cpu()
        cpu[route].append(1000 * marginal["pbx"] / calls)
        if route == flow:
            floor_cpu.append(1000 * marginal["floor"] / calls)
    row["pbx_cpu_ms_per_call"] = {k: sum(v) / len(v) for k, v in cpu.items()}
    row["pbx_cpu_ms_per_call_blocks"] = cpu
    row["floor_app_cpu_ms_per_call"] = sum(floor_cpu) / len(floor_cpu)
    ratio = row["pbx_cpu_ms_per_call"]["dialplan"] / row["pbx_cpu_ms_per_call"][flow]
    row["dialplan_over_flow_pbx_cpu"] = ratio
    progress(
        f"  pbx CPU per call: {flow} {row['pbx_cpu_ms_per_call'][flow]:.2f} ms, dialplan "
        f"{row['pbx_cpu_ms_per_call']['dialplan']:.2f} ms ({100 * ratio:.0f} %); the floor app "
        f"{row['floor_app_cpu_ms_per_call']:.2f} ms"
    )
    if args.saturate:
        row["saturated"] = await _saturated(r, capture, flow, args.saturate, args.hold, progress)
    return row


async def _alone(
    r: Any,
    capture: InviteCapture,
    flow: str,
    calls: int,
    concurrency: int,
    hold: float,
    rate: float | None,
    progress: Any,
) -> AsyncIterator[tuple[str, calls_figures.Block]]:
    """Blocks of one route each, alternating (flow, dialplan, dialplan, flow), so that
    drift in the machine's load hits both alike."""
    for route in (flow, "dialplan", "dialplan", flow):
        done = await calls_figures.block(
            r,
            capture,
            (route,),
            calls,
            concurrency=concurrency,
            hold=hold,
            rate=rate,
            progress=progress,
        )
        yield route, done


async def _saturated(
    r: Any, capture: InviteCapture, flow: str, level: int, hold: float, progress: Any
) -> dict[str, Any]:
    """Closed loop at ``level`` concurrent calls: the flow's routed calls/s against pure
    dialplan's, blocks alternating (flow, dialplan, dialplan, flow)."""
    rates: dict[str, list[float]] = {flow: [], "dialplan": []}
    async for route, done in _alone(r, capture, flow, 6 * level, level, hold, None, progress):
        steady = calls_figures.steady_rate(done, level)
        if steady is not None:
            rates[route].append(steady)
    ours, base = (sum(rates[k]) / max(1, len(rates[k])) for k in (flow, "dialplan"))
    share = ours / base if base else None
    progress(
        f"  {level} concurrent: {flow} {ours:.1f} calls/s, dialplan {base:.1f} calls/s"
        f" ({100 * (share or 0):.0f} %)"
    )
    return {"concurrent": level, "calls_per_s": rates, "share_of_dialplan": share}


def _flows(text: str) -> list[str]:
    chosen = [f for f in text.split(",") if f]
    if not chosen or set(chosen) - set(FLOWS):
        raise argparse.ArgumentTypeError(f"flows are some of {','.join(FLOWS)}")
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--serve"]:
        with contextlib.suppress(KeyboardInterrupt):
            if argv[1] == "product":
                import uvloop  # the product's loop

                uvloop.run(serve_on_product_wire(*argv[2:5]))
            else:
                asyncio.run(serve(*argv[2:5]))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.ari_floor", description=__doc__)
    parser.add_argument(
        "--flows",
        type=_flows,
        default=list(FLOWS),
        help=f"comma-separated, of {','.join(FLOWS)} (default: all)",
    )
    parser.add_argument("--calls", type=int, default=300, help="calls per block (default 300)")
    parser.add_argument("--rate", type=float, default=20.0, help="calls/s per route (default 20)")
    parser.add_argument(
        "--concurrency", type=int, default=100, help="most calls up at once (default 100)"
    )
    parser.add_argument(
        "--hold", type=float, default=1.0, help="seconds each call is held (default 1)"
    )
    parser.add_argument(
        "--numbers", type=int, default=20, help="numbers per flow the calls spread over"
    )
    parser.add_argument(
        "--saturate",
        type=int,
        default=0,
        help="also compare routed calls/s with pure dialplan's at this many concurrent calls",
    )
    parser.add_argument(
        "--wire",
        choices=WIRES,
        default="websockets",
        help="the floor app's transport: websockets on asyncio's loop, or the product's "
        "own (picows on uvloop) (default: websockets)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        default=0,
        help="dialplan priorities (Set) the continue flow runs before its Dial(), as the "
        "product's generated dialplan runs 15 with AstDB routes (default 0)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    if args.steps < 0:
        parser.error("--steps: 0 or more")
    if os.geteuid() != 0:
        print("bench.ari_floor: run as root (Asterisk runs with chroot)", file=sys.stderr)
        return 2
    results = asyncio.run(run(args))
    print(json.dumps(results["flows"], indent=2))
    write_results(args.out, "ari-floor", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
