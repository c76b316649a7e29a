"""``python -m bench.flow_probe``: which ARI messages a bridged call needs, on real Asterisk.

Starts the benchmark's stack (``bench/rig.py``), adds a probe context to the
benchmark's own dialplan file, and drives bridged calls with a Stasis app of
its own (``probe``, not the product's app), one call flow variant at a time.
Every WebSocket frame of a call is counted (requests, replies, events, by
type). After each call the probe checks, with uncounted requests, what
Asterisk did by itself: was the caller answered, is the bridge still there,
did the leg outlive the caller. The product's own app runs meanwhile but never
sees these calls. See bench/README.md ("Lean call flow").
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect

from bench.carrier import BASELINE_CONTEXT, TO_BASELINE
from bench.options import RESULTS, write_results
from bench.rig import include_dialplan, rig
from continuity import names

APP = "probe"
INCLUDE = "bench/extensions_probe.conf"
#: Probe numbers: plain Stasis(); Ringing() before Stasis(); Ringing() and a caller
#: hangup handler that sends the leg away when the caller hangs up.
PLAIN, RINGING, AUTOHANGUP = "+19995550100", "+19995551100", "+19995552100"
CALLED = "+16465559999"
#: The far end answers this number and hangs up 0.5 s later, before the caller does.
CALLED_HANGS_UP = "+16465559998"

_DIALPLAN = f"""\
; Written by bench/flow_probe.py; not part of the product.
[{BASELINE_CONTEXT}]
exten => _+1999555[0]XXX,1,NoOp(probe: plain)
 same => n,Stasis({APP})
 same => n,Hangup()
exten => _+1999555[1]XXX,1,NoOp(probe: ringing in dialplan)
 same => n,Ringing()
 same => n,Stasis({APP})
 same => n,Hangup()
exten => _+1999555[2]XXX,1,NoOp(probe: ringing + caller hangup handler)
 same => n,Ringing()
 same => n,Set(CHANNEL(hangup_handler_push)=probe-caller-gone,s,1)
 same => n,Stasis({APP})
 same => n,Hangup()

[probe-caller-gone]
; The leg's originate set PROBE_LEG on the caller (SHARED with the caller's id);
; ChannelRedirect finds a channel by name or unique id.
exten => s,1,NoOp(probe: leg ${{SHARED(PROBE_LEG)}})
 same => n,ChannelRedirect(${{UNIQUEID}}~1,probe-kill,s,1)
 same => n,Return()

[probe-bridge]
; The app continues an answered call's caller here, the leg's step as the extension.
exten => _X!,1,Answer()
 same => n,Bridge(${{UNIQUEID}}~${{EXTEN}})
 same => n,Log(NOTICE,probe: BRIDGERESULT=${{BRIDGERESULT}})
 same => n,Hangup()

[probe-kill]
exten => s,1,Hangup(16)
"""


@dataclass
class Variant:
    name: str
    number: str
    events: tuple[str, ...]
    ring: bool
    answer: bool
    hangup_other: bool
    destroy_bridge: bool
    share_leg: bool = False
    dialplan_bridge: bool = False
    far_end_first: bool = False


_FILTER = ("StasisStart", "StasisEnd", "ChannelDestroyed", "ChannelUserevent")

VARIANTS = (
    Variant(
        "today: ring, answer, create, add, hangup, destroy",
        PLAIN,
        ("StasisStart", "StasisEnd", "Dial", "ChannelDestroyed", "ChannelUserevent"),
        ring=True,
        answer=True,
        hangup_other=True,
        destroy_bridge=True,
    ),
    Variant(
        "no answer request (does addChannel answer the caller?)",
        RINGING,
        _FILTER,
        ring=False,
        answer=False,
        hangup_other=True,
        destroy_bridge=True,
    ),
    Variant(
        "Ringing() in dialplan, no Dial events",
        RINGING,
        _FILTER,
        ring=False,
        answer=True,
        hangup_other=True,
        destroy_bridge=True,
    ),
    Variant(
        "as above, leg sent away by the caller's hangup handler",
        AUTOHANGUP,
        _FILTER,
        ring=False,
        answer=True,
        hangup_other=False,
        destroy_bridge=True,
        share_leg=True,
    ),
    Variant(
        "Ringing() in dialplan; on answer continue the caller to Answer()+Bridge(leg)",
        RINGING,
        _FILTER,
        ring=False,
        answer=False,
        hangup_other=False,
        destroy_bridge=False,
        dialplan_bridge=True,
    ),
    Variant(
        "as above, the far end hangs up first",
        RINGING,
        _FILTER,
        ring=False,
        answer=False,
        hangup_other=False,
        destroy_bridge=False,
        dialplan_bridge=True,
        far_end_first=True,
    ),
)


@dataclass
class CallLog:
    sent: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    checks: dict[str, Any] = field(default_factory=dict)
    timeline: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def messages(self) -> int:
        return sum(self.sent.values()) + sum(self.received.values())


class Probe:
    """A minimal ARI app: REST over the event WebSocket, every frame counted."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._ids = 0
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.log: CallLog | None = None
        self.variant: Variant | None = None
        self.caller = ""
        self.caller_end = 0
        self.gone: set[str] = set()

    async def request(
        self, method: str, uri: str, body: Any = None, counted: bool = True, **query: str
    ) -> dict[str, Any]:
        self._ids += 1
        rid = str(self._ids)
        frame: dict[str, Any] = {"type": "RESTRequest", "request_id": rid, "method": method}
        frame["uri"] = uri
        if query:
            frame["query_strings"] = [{"name": k, "value": v} for k, v in query.items()]
        if body is not None:
            frame["content_type"] = "application/json"
            frame["message_body"] = orjson.dumps(body).decode()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        if counted and self.log is not None:
            label = uri.replace(f"{self.caller}~", "{call}~").replace(self.caller, "{caller}")
            self.log.sent[f"{method} {label}" if self.caller else f"{method} {uri}"] += 1
        await self.ws.send(frame_text(frame))
        reply = await asyncio.wait_for(future, 10)
        if not counted and self.log is not None:
            self.log.received["RESTResponse"] -= 1  # a check, not part of the flow
        return reply

    async def read(self) -> None:
        async for raw in self.ws:
            data = orjson.loads(raw)
            kind = data.get("type", "?")
            if self.log is not None:
                key = kind
                if kind == "Dial":
                    key = f"Dial {data.get('dialstatus') or '(start)'}"
                self.log.received[key] += 1
                if kind != "RESTResponse":
                    who = (data.get("channel") or data.get("peer") or {}).get("id", "")
                    side = "leg" if who.endswith("~1") else "caller"
                    at = time.monotonic() - self.log.started
                    self.log.timeline.append(f"{at:.2f} {key} {side}")
            if kind == "RESTResponse":
                future = self._pending.pop(data.get("request_id"), None)
                if future is not None and not future.done():
                    future.set_result(data)
                continue
            asyncio.get_running_loop().create_task(self.on_event(data))

    async def on_event(self, data: dict[str, Any]) -> None:
        v, log = self.variant, self.log
        if v is None or log is None:
            return
        kind = data["type"]
        channel = (data.get("channel") or data.get("peer") or {}).get("id", "")
        leg = f"{self.caller}~1"
        if kind == "StasisStart" and data.get("args") == []:
            self.caller = channel
            variables = {
                "CALLERID(num)": "+15550001111",
                names.VAR_TRACKING_NUMBER: CALLED,
                "CHANNEL(hangup_handler_push)": f"{names.CTX_LEG_HANGUP},s,1",
            }
            if v.share_leg:
                variables[f"SHARED(PROBE_LEG,{channel})"] = f"{channel}~1"
            called = CALLED_HANGS_UP if v.far_end_first else CALLED
            await self.request(
                "POST",
                "channels",
                {"variables": variables},
                endpoint=f"PJSIP/{called}@{names.ENDPOINT_PRIMARY}",
                app=APP,
                appArgs="leg",
                channelId=f"{channel}~1",
                originator=channel,
                timeout="10",
            )
        elif kind == "Dial" and data.get("dialstatus") == "RINGING" and v.ring:
            await self.request("POST", f"channels/{self.caller}/ring")
        elif kind == "StasisStart" and channel == leg and v.dialplan_bridge:
            await self.request(
                "POST",
                f"channels/{self.caller}/continue",
                context="probe-bridge",
                extension="1",
                priority="1",
            )
            await asyncio.sleep(0.2)
            state = await self.request("GET", f"channels/{self.caller}", counted=False)
            log.checks["caller state after continue"] = orjson.loads(
                state.get("message_body") or "{}"
            ).get("state")
            await asyncio.sleep(args_hold() + 1.5)
            for who, cid in (("caller", self.caller), ("leg", leg)):
                got = await self.request("GET", f"channels/{cid}", counted=False)
                log.checks[f"{who} after hold"] = got.get("status_code")
            log.done.set()
        elif kind == "StasisStart" and channel == leg:
            if v.answer:
                await self.request("POST", f"channels/{self.caller}/answer")
            await self.request("POST", "bridges", bridgeId=f"{self.caller}~bridge", type="mixing")
            await self.request(
                "POST", f"bridges/{self.caller}~bridge/addChannel", channel=f"{self.caller},{leg}"
            )
            state = await self.request("GET", f"channels/{self.caller}", counted=False)
            log.checks["caller state after addChannel"] = orjson.loads(
                state.get("message_body") or "{}"
            ).get("state")
        elif kind in ("ChannelDestroyed", "StasisEnd") and channel in (self.caller, leg):
            if kind == "StasisEnd" and channel == leg:
                return
            self.gone.add(channel)
            if channel == self.caller:
                log.checks[f"caller end: {kind}"] = data.get("cause")
                if v.hangup_other and leg not in self.gone:
                    with contextlib.suppress(TimeoutError):
                        await self.request("DELETE", f"channels/{leg}")
            if {self.caller, leg} <= self.gone:
                await asyncio.sleep(0.3)
                got = await self.request("GET", f"bridges/{self.caller}~bridge", counted=False)
                log.checks["bridge after both gone"] = got.get("status_code")
                if v.destroy_bridge and got.get("status_code") == 200:
                    await self.request("DELETE", f"bridges/{self.caller}~bridge")
                log.checks["leg cause"] = data.get("cause") if channel == leg else None
                log.done.set()


_HOLD = [1.0]


def args_hold() -> float:
    return _HOLD[0]


def frame_text(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame).decode()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "variants": [],
    }
    with tempfile.TemporaryDirectory(prefix="continuity-probe-") as tmp:
        async with rig(
            Path(tmp),
            numbers_per_route=1,
            rtp_ports=200,
            qualify_frequency=0,
            qualify_timeout=0.5,
            progress=lambda m: print(m, file=sys.stderr),
        ) as r:
            pbx = r.stack.pbx
            results["asterisk"] = (await pbx.cli("core show version")).split(" built")[0]
            await include_dialplan(pbx, INCLUDE, _DIALPLAN)
            # The local stack loads only what the product uses; a default install has it.
            await pbx.cli("module load app_channelredirect.so")
            creds = pbx.ari
            url = f"{creds.events_url}?app={APP}&subscribeAll=false"
            token = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
            async with connect(url, additional_headers={"Authorization": f"Basic {token}"}) as ws:
                probe = Probe(ws)
                reader = asyncio.create_task(probe.read())
                await r.carrier.set_behavior(CALLED_HANGS_UP, "hangup-after:0.5")
                try:
                    mark = pbx.log_mark()
                    for variant in VARIANTS[-args.variants :]:
                        allowed = [{"type": t} for t in (*variant.events, "RESTResponse")]
                        await probe.request(
                            "PUT", f"applications/{APP}/eventFilter", {"allowed": allowed}
                        )
                        for i in range(args.calls):
                            log = CallLog()
                            probe.log, probe.variant, probe.gone = log, variant, set()
                            started = time.monotonic()
                            await r.carrier.place_call(
                                variant.number[:-3] + f"{i:03d}",
                                caller_id=f"+1555000{i:04d}",
                                hold_seconds=args.hold,
                                ring_timeout=args.hold + 5,
                                endpoint=TO_BASELINE,
                            )
                            try:
                                await asyncio.wait_for(log.done.wait(), args.hold + 20)
                            except TimeoutError:
                                log.checks["timed out; gone"] = sorted(probe.gone)
                            await asyncio.sleep(0.5)
                            left = await probe.request("GET", "channels", counted=False)
                            log.checks["pbx channels left"] = len(
                                orjson.loads(left.get("message_body") or "[]")
                            )
                            shown = await r.stack.primary.cli("core show channels count")
                            log.checks["primary"] = " ".join(shown.split()[:3])
                            results["variants"].append(
                                {
                                    "variant": variant.name,
                                    "call": i,
                                    "seconds": round(time.monotonic() - started, 2),
                                    "messages": log.messages,
                                    "sent": dict(log.sent),
                                    "received": {k: n for k, n in log.received.items() if n},
                                    "checks": log.checks,
                                    "timeline": log.timeline,
                                }
                            )
                            print(json.dumps(results["variants"][-1]), file=sys.stderr)
                finally:
                    reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reader
                    text = pbx.logs(mark)
                    results["pbx_log_probe_lines"] = [
                        ln for ln in text.splitlines() if "probe" in ln.lower()
                    ][-40:]
            observed = r.stack.carrier_observations()
            results["primary_answered"] = sum(1 for o in observed if CALLED in str(o))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flow_probe", description=__doc__)
    parser.add_argument("--calls", type=int, default=2, help="calls per variant (default 2)")
    parser.add_argument("--variants", type=int, default=len(VARIANTS), help="the last N")
    parser.add_argument("--hold", type=float, default=1.0, help="seconds the caller holds")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("bench.flow_probe: run as root (Asterisk runs with chroot)", file=sys.stderr)
        return 2
    _HOLD[0] = args.hold
    results = asyncio.run(run(args))
    print(json.dumps(results, indent=2))
    write_results(args.out, "flow-probe", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
