"""The benchmark's own way into the carrier: a second entrance to the pbx, and its calls.

The baselines must not touch the product's tracking context (the app checks
that Asterisk holds exactly what it generated). So the carrier gets a second
SIP transport on another loopback address (127.0.0.2) and an endpoint
``pbx-bench`` calling the pbx from there; the pbx gets an endpoint
``bench-inbound`` identified by that address, whose context is the
benchmark's own (``bench/dialplan.py``). Both additions are appended to the
instances' own ``pjsip.conf``; the product's generated files are untouched.

Every call, to the app or to a baseline, is placed the same way: an AMI
Originate on the carrier, followed through a connection of our own.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets

from localstack import LocalStack
from localstack.ami import AmiClient, AmiMessage
from localstack.errors import AsteriskCommandError
from localstack.ports import PortAllocator

BENCH_ADDRESS = "127.0.0.2"
#: Carrier endpoints: to the product's entrance, and to the benchmark's.
TO_APP = "pbx"
TO_BASELINE = "pbx-bench"
BASELINE_CONTEXT = "bench-baseline"

_CARRIER = """
; Added by the benchmark harness: a second way to the pbx, from {address}.
[transport-bench]
type = transport
protocol = udp
bind = {address}:{port}

[{endpoint}]
type = aor
contact = sip:127.0.0.1:{pbx_port}

[{endpoint}]
type = endpoint
transport = transport-bench
aors = {endpoint}
context = carrier-from-pbx
disallow = all
allow = ulaw,alaw,gsm
direct_media = no
rtp_symmetric = yes
"""

_PBX = """
; Added by the benchmark harness: calls from {address} reach the baselines.
[bench-inbound]
type = endpoint
transport = transport-udp
context = {context}
disallow = all
allow = ulaw,alaw,gsm
direct_media = no
rtp_symmetric = yes

[bench-inbound]
type = identify
endpoint = bench-inbound
match = {address}
"""


async def add_bench_entrance(stack: LocalStack) -> None:
    """Append the carrier's and the pbx's benchmark endpoints and reload PJSIP."""
    port = PortAllocator().udp()
    carrier = _CARRIER.format(
        address=BENCH_ADDRESS, port=port, endpoint=TO_BASELINE, pbx_port=stack.pbx.sip_port
    )
    pbx = _PBX.format(address=BENCH_ADDRESS, context=BASELINE_CONTEXT)
    for instance, extra in ((stack.carrier, carrier), (stack.pbx, pbx)):
        own = instance.etc_dir / "pjsip.conf"
        own.write_text(own.read_text() + extra)
        await instance.reload_module("res_pjsip.so")
    shown = await stack.carrier.cli("pjsip show transports")
    if f"{BENCH_ADDRESS}:{port}" not in shown:
        raise RuntimeError(f"the carrier did not add the benchmark transport:\n{shown}")


class BenchCall:
    """One call the carrier placed, followed through AMI events."""

    def __init__(self, ami: AmiClient, uniqueid: str) -> None:
        self._ami = ami
        self.uniqueid = uniqueid
        self.channel: str | None = None
        self.answered = asyncio.Event()
        self.ended = asyncio.Event()
        self.cause: int | None = None

    def on_event(self, event: AmiMessage) -> None:
        name = event.get("event", "")
        if name == "Newchannel":
            self.channel = event.get("channel") or self.channel
        elif name == "Newstate" and event.get("channelstate") == "6":
            self.answered.set()
        elif name == "Hangup":
            cause = event.get("cause", "")
            self.cause = int(cause) if cause.isdigit() else None
            self.ended.set()

    async def hangup(self) -> None:
        """The caller gives up; the call may have ended in the meantime."""
        if self.ended.is_set():
            return
        with contextlib.suppress(AsteriskCommandError):
            await self._ami.action(
                {"Action": "Hangup", "Channel": self.channel or self.uniqueid, "Cause": "16"}
            )


class BenchCarrier:
    """Places calls from the carrier to the pbx, through either entrance."""

    def __init__(self, ami: AmiClient) -> None:
        self._ami = ami
        self._calls: dict[str, BenchCall] = {}
        for pattern in ("Newchannel", "Newstate", "Hangup"):
            ami.on_event(pattern, self._route)

    @classmethod
    async def connect(cls, stack: LocalStack) -> BenchCarrier:
        return cls(await AmiClient.connect(stack.carrier_ami))

    def close(self) -> None:
        self._ami.close()

    def _route(self, event: AmiMessage) -> None:
        call = self._calls.get(event.get("uniqueid", ""))
        if call is not None:
            call.on_event(event)
            if call.ended.is_set():
                del self._calls[call.uniqueid]

    async def place(
        self, endpoint: str, number: str, caller: str, *, hold: float, ring_timeout: float
    ) -> BenchCall:
        """Call ``number`` at the pbx through ``endpoint``; hang up ``hold`` s after answer."""
        uniqueid = f"bench-{secrets.token_hex(8)}"
        call = BenchCall(self._ami, uniqueid)
        self._calls[uniqueid] = call
        await self._ami.action(
            {
                "Action": "Originate",
                "Channel": f"PJSIP/{number}@{endpoint}",
                "ChannelId": uniqueid,
                "Context": "carrier-caller",
                "Exten": "s",
                "Priority": "1",
                "CallerID": caller,
                "Timeout": str(int(ring_timeout * 1000)),
                "Async": "true",
                "Variable": [f"HOLD={hold:g}", "PROMPT=demo-congrats"],
            }
        )
        return call
