"""The benchmark's own way into the carrier: a second entrance to the pbx, and its calls.

The baselines must not touch the product's tracking context (the app checks
that Asterisk holds exactly what it generated). So the carrier gets a second
SIP transport on another loopback address (127.0.0.2) and an endpoint
``pbx-bench`` calling the pbx from there; the pbx gets an endpoint
``bench-inbound`` identified by that address, whose context is the
benchmark's own (``bench/dialplan.py``). Both additions are appended to the
instances' own ``pjsip.conf``; the product's generated files are untouched.

Every call, to the app or to a baseline, is placed the same way, with the
local stack's own ``CarrierControl.place_call`` through the endpoint of its
entrance.
"""

from __future__ import annotations

from localstack import LocalStack
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
