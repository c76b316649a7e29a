"""An install that keeps its own dialplan: its own way in, its own context, our AGI route.

The carrier gets a second transport on 127.0.0.3 and an endpoint ``pbx-admin``
calling the pbx from there; the pbx gets an endpoint identified by that
address whose context is the admin's own, written into the pbx's own
``extensions.conf``: it asks ``AGI(agi://.../continuity_route)`` and dials the
variables. The product's generated files stay exactly as generated (the app
verifies that Asterisk holds them), so both ways in work side by side.
"""

from __future__ import annotations

from continuity import names
from localstack import LocalStack, PlacedCall
from localstack.ports import PortAllocator

ADDRESS = "127.0.0.3"
CARRIER_ENDPOINT = "pbx-admin"
PBX_ENDPOINT = "admin-inbound"
CONTEXT = "admin-from-carrier"

_CARRIER = f"""
; Added by the AGI tests: a second way to the pbx, from {ADDRESS}.
[transport-admin]
type = transport
protocol = udp
bind = {ADDRESS}:@PORT@

[{CARRIER_ENDPOINT}]
type = aor
contact = sip:127.0.0.1:@PBX_PORT@

[{CARRIER_ENDPOINT}]
type = endpoint
transport = transport-admin
aors = {CARRIER_ENDPOINT}
context = carrier-from-pbx
disallow = all
allow = ulaw,alaw,gsm
direct_media = no
rtp_symmetric = yes
"""

_PBX = f"""
; Added by the AGI tests: calls from {ADDRESS} reach the admin's own dialplan.
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

#: The admin's own context: ask the FastAGI route, then dial what it says.
#: @NAME@ stands for the constant of that name in continuity.names.
_DIALPLAN = """
; Added by the AGI tests: an admin's own dialplan using the FastAGI route.
[@CONTEXT@]
exten => _[+0-9].,1,AGI(agi://127.0.0.1:@AGI_PORT@/@AGI_ROUTE@)
 same => n,GotoIf($["${@VAR_ROUTE_KIND@}" = "unknown"]?unknown)
 same => n,GotoIf($["${@VAR_DIAL_STRING@}" = ""]?voicemail)
 same => n,Dial(${@VAR_DIAL_STRING@},${@VAR_DIAL_TIMEOUT@},b(@CTX_REDIRECT@^s^1(${@VAR_DIAL_REDIRECT@})))
 same => n,GotoIf($["${DIALSTATUS}" = "ANSWER"]?done)
 same => n,Set(CAUSE=${IF($["${HANGUPCAUSE}" = "" | "${HANGUPCAUSE}" = "0"]?20:${HANGUPCAUSE})})
 same => n,ExecIf($["${DIALSTATUS}" = "NOANSWER"]?Set(CAUSE=19))
 same => n,GotoIf($["${@VAR_FAILOVER_CAUSES@}" != "" & ${FIELDNUM(@VAR_FAILOVER_CAUSES@,-,${CAUSE})} = 0]?failed)
 same => n,GotoIf($["${@VAR_FALLBACK_DIAL@}" = ""]?voicemail)
 same => n,Dial(${@VAR_FALLBACK_DIAL@},${@VAR_FALLBACK_TIMEOUT@},b(@CTX_REDIRECT@^s^1(${@VAR_FALLBACK_REDIRECT@}^${CAUSE})))
 same => n,GotoIf($["${DIALSTATUS}" = "ANSWER"]?done)
 same => n(voicemail),GotoIf($["${@VAR_MAILBOX@}" = ""]?congestion)
 same => n,Goto(@CTX_VOICEMAIL@,${@VAR_MAILBOX@},1)
 same => n(congestion),Hangup(34)
 same => n(failed),Hangup(${CAUSE})
 same => n(unknown),Goto(@CTX_UNKNOWN@,s,1)
 same => n(done),Hangup()
"""  # noqa: E501


def admin_dialplan(agi_port: int) -> str:
    text = _DIALPLAN.replace("@CONTEXT@", CONTEXT).replace("@AGI_PORT@", str(agi_port))
    for name, value in vars(names).items():
        if name.isupper() and isinstance(value, str):
            text = text.replace(f"@{name}@", value)
    return text


class AdminEntrance:
    """Places the carrier's calls through the admin's way in."""

    def __init__(self, stack: LocalStack) -> None:
        self._stack = stack

    @classmethod
    async def open(cls, stack: LocalStack, agi_port: int) -> AdminEntrance:
        """Add the endpoints and the admin's context (once per stack)."""
        own = stack.pbx.etc_dir / "extensions.conf"
        if CONTEXT not in own.read_text():
            port = PortAllocator().udp()
            carrier = _CARRIER.replace("@PORT@", str(port))
            carrier = carrier.replace("@PBX_PORT@", str(stack.pbx.sip_port))
            for instance, extra in ((stack.carrier, carrier), (stack.pbx, _PBX)):
                pjsip = instance.etc_dir / "pjsip.conf"
                pjsip.write_text(pjsip.read_text() + extra)
                await instance.reload_module("res_pjsip.so")
            own.write_text(own.read_text() + admin_dialplan(agi_port))
            await stack.pbx.reload_dialplan()
        return cls(stack)

    async def call(self, number: str, caller: str = "+13125550111") -> PlacedCall:
        return await self._stack.control.place_call(
            number, caller_id=caller, endpoint=CARRIER_ENDPOINT
        )
