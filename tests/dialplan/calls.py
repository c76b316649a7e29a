"""Call-flow helpers shared by the generated-dialplan and FastAGI tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from continuity import names
from localstack import LocalStack, PlacedCall

#: (role, number, outcome) of each call the carrier saw, oldest first.
Seen = list[tuple[str, str, str]]


@dataclass(frozen=True)
class Landing:
    """Where one call went: what the carrier saw, and how it ended on our side."""

    seen: Seen
    #: ``answered`` (a destination answered), ``voicemail:<box>`` or ``ended:<cause>``.
    outcome: str


def seen(stack: LocalStack) -> Seen:
    return [(o.role, o.number, o.outcome) for o in stack.carrier_observations()]


TRUNKS = (f"PJSIP/{names.ENDPOINT_PRIMARY}-", f"PJSIP/{names.ENDPOINT_PSTN}-")


async def caller_channels(stack: LocalStack) -> list[tuple[str, str]]:
    """(context, extension) of each caller's channel on the pbx (not a trunk's)."""
    output = await stack.pbx.cli("core show channels concise")
    found = []
    for line in output.splitlines():
        fields = line.split("!")
        if len(fields) > 2 and not fields[0].startswith(TRUNKS):
            found.append((fields[1], fields[2]))
    return found


async def caller_channel(stack: LocalStack) -> tuple[str, str] | None:
    """(context, extension) of the caller's channel on the pbx (not a trunk's), if up."""
    found = await caller_channels(stack)
    return found[0] if found else None


async def landing(stack: LocalStack, call: PlacedCall, timeout: float = 15.0) -> Landing:
    """Wait until ``call`` is answered or ends, then say where it went."""
    waits = [asyncio.create_task(call.answered.wait()), asyncio.create_task(call.ended.wait())]
    try:
        async with asyncio.timeout(timeout):
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if call.ended.is_set():
                return Landing(seen(stack), f"ended:{call.hangup_cause}")
            while True:  # answered: by a destination, or by our voicemail
                # (Other callers may be up, e.g. a call bridged before this one.)
                for context, exten in await caller_channels(stack):
                    if context == names.CTX_VOICEMAIL:
                        return Landing(seen(stack), f"voicemail:{exten}")
                if any(outcome == "answer" for _, _, outcome in seen(stack)):
                    return Landing(seen(stack), "answered")
                await asyncio.sleep(0.05)
    finally:
        for wait in waits:
            wait.cancel()


async def quiet(stack: LocalStack) -> None:
    """No call left on either side, and no observation: ready for the next call."""
    await asyncio.gather(stack.pbx.hangup_all(), stack.carrier.hangup_all())
    stack.control.clear_observations()
