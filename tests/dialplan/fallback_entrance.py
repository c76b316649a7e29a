"""A way into the generated fallback dialplan while the app is up, for differential tests.

Like the AGI tests' admin entrance (``tests/agi/entrance.py``): the carrier
gets a transport on 127.0.0.4 and an endpoint ``pbx-fallback``; the pbx
matches calls from there to an endpoint whose context, written into the
pbx's own ``extensions.conf``, goes straight to ``continuity-fallback``, as
a failed Stasis() would. The generated files stay exactly as generated.
"""

from __future__ import annotations

from continuity import names
from localstack import LocalStack, PlacedCall
from localstack.ports import PortAllocator

ADDRESS = "127.0.0.4"
CARRIER_ENDPOINT = "pbx-fallback"
PBX_ENDPOINT = "fallback-inbound"
CONTEXT = "fallback-from-carrier"

_CARRIER = f"""
; Added by the fallback tests: a third way to the pbx, from {ADDRESS}.
[transport-fallback]
type = transport
protocol = udp
bind = {ADDRESS}:@PORT@

[{CARRIER_ENDPOINT}]
type = aor
contact = sip:127.0.0.1:@PBX_PORT@

[{CARRIER_ENDPOINT}]
type = endpoint
transport = transport-fallback
aors = {CARRIER_ENDPOINT}
context = carrier-from-pbx
disallow = all
allow = ulaw,alaw,gsm
direct_media = no
rtp_symmetric = yes
"""

_PBX = f"""
; Added by the fallback tests: calls from {ADDRESS} go straight to the fallback.
[{PBX_ENDPOINT}]
type = endpoint
transport = transport-udp
context = {CONTEXT}
disallow = all
allow = ulaw,alaw,gsm
direct_media = no
rtp_symmetric = yes

[{PBX_ENDPOINT}]
type = identify
endpoint = {PBX_ENDPOINT}
match = {ADDRESS}
"""

_DIALPLAN = f"""
; Added by the fallback tests: what the generated dialplan does when Stasis() fails.
[{CONTEXT}]
exten => _[+0-9].,1,Set(__{names.VAR_TRACKING_NUMBER}=${{EXTEN}})
 same => n,Goto({names.CTX_FALLBACK},${{EXTEN}},1)
"""


class FallbackEntrance:
    """Places the carrier's calls straight into the generated fallback dialplan."""

    def __init__(self, stack: LocalStack) -> None:
        self._stack = stack

    @classmethod
    async def open(cls, stack: LocalStack) -> FallbackEntrance:
        """Add the endpoints and the context (once per stack)."""
        own = stack.pbx.etc_dir / "extensions.conf"
        if CONTEXT not in own.read_text():
            carrier = _CARRIER.replace("@PORT@", str(PortAllocator().udp()))
            carrier = carrier.replace("@PBX_PORT@", str(stack.pbx.sip_port))
            for instance, extra in ((stack.carrier, carrier), (stack.pbx, _PBX)):
                pjsip = instance.etc_dir / "pjsip.conf"
                pjsip.write_text(pjsip.read_text() + extra)
                await instance.reload_module("res_pjsip.so")
            own.write_text(own.read_text() + _DIALPLAN)
            await stack.pbx.reload_dialplan()
        return cls(stack)

    async def call(self, number: str, caller: str = "+13125550111") -> PlacedCall:
        return await self._stack.control.place_call(
            number, caller_id=caller, endpoint=CARRIER_ENDPOINT
        )
