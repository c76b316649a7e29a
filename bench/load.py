"""Placing benchmark calls and judging each one: where it landed, and how fast.

Every call gets a caller id of its own, so the INVITE the carrier sent, the
INVITE the primary received and the primary's observation line can be joined
on it. A call counts as routed only when the primary answered it for the
number that was dialed; one that landed anywhere else is a misroute, one that
never landed is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.capture import Invite
from bench.dialplan import ENTRANCE
from localstack import Observation
from localstack.carrier import CarrierControl, PlacedCall
from localstack.errors import AsteriskCommandError

_callers = itertools.count(1)


def next_caller() -> str:
    """A caller id no other call of this run has."""
    return f"+1999{next(_callers):07d}"


@dataclass(frozen=True, slots=True)
class CallSpec:
    route: str
    number: str
    caller: str = field(default_factory=next_caller)


@dataclass(slots=True)
class CallResult:
    spec: CallSpec
    placed: float  # wall clock, when the harness asked the carrier to call
    answered: bool = False
    cause: int | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class Judged:
    """One call with its wire timestamps and verdict."""

    result: CallResult
    invite_in: float | None  # the carrier's INVITE to the pbx
    invite_out: float | None  # the pbx's INVITE to the destination
    verdict: str  # routed, misrouted, lost

    @property
    def pdd_ms(self) -> float | None:
        if self.invite_in is None or self.invite_out is None:
            return None
        return (self.invite_out - self.invite_in) * 1000


async def _settled(call: PlacedCall, timeout: float) -> None:
    """Until the pbx answered or the call ended, whichever comes first."""
    waits = [asyncio.ensure_future(e.wait()) for e in (call.answered, call.ended)]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()


async def one_call(
    carrier: CarrierControl, spec: CallSpec, hold: float, answer_within: float = 20.0
) -> CallResult:
    """Place one call; the carrier's caller hangs up ``hold`` s after the pbx answers."""
    result = CallResult(spec, time.time())
    call = await carrier.place_call(
        spec.number,
        caller_id=spec.caller,
        hold_seconds=hold,
        ring_timeout=answer_within,
        endpoint=ENTRANCE[spec.route],
    )
    await _settled(call, answer_within)
    result.answered = call.answered.is_set()
    if not call.ended.is_set() and not result.answered:
        result.error = f"not answered in {answer_within:g} s"
        await _give_up(call)
    try:
        async with asyncio.timeout(hold + 15):
            await call.ended.wait()
        result.cause = call.hangup_cause
    except TimeoutError:
        result.error = result.error or "did not end"
        await _give_up(call)
    return result


async def _give_up(call: PlacedCall) -> None:
    """The caller hangs up; the call may have ended in the meantime."""
    with contextlib.suppress(AsteriskCommandError):
        await call.hangup()


async def run_calls(
    carrier: CarrierControl,
    specs: Sequence[CallSpec],
    *,
    concurrency: int,
    hold: float,
    rate: float | None = None,
    seed: int = 7,
) -> tuple[list[CallResult], float]:
    """Place ``specs`` with at most ``concurrency`` up at once; paced at ``rate`` calls/s
    (open loop) or, without a rate, each new call as soon as one ends (closed loop).

    Each call is held ``hold`` s ±50 % (uniform, seeded): equal holds would keep a
    closed loop's calls starting in synchronised waves. Returns the results and
    the wall time from the first call placed to the last ended."""
    jitter = random.Random(seed)  # noqa: S311 - spreading holds, not security
    gate = asyncio.Semaphore(concurrency)
    results: list[CallResult] = []
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def guarded(spec: CallSpec, held: float) -> None:
        try:
            results.append(await one_call(carrier, spec, held))
        finally:
            gate.release()

    async with asyncio.TaskGroup() as group:
        for index, spec in enumerate(specs):
            if rate:
                await asyncio.sleep(max(0.0, start + index / rate - loop.time()))
            await gate.acquire()
            group.create_task(guarded(spec, hold * jitter.uniform(0.5, 1.5)))
    return results, loop.time() - start


def judge(
    results: Sequence[CallResult],
    invites: Sequence[Invite],
    observations: Sequence[Observation],
    *,
    pbx_port: int,
    destination_port: int,
    expect: dict[str, tuple[str, str]] | None = None,
) -> list[Judged]:
    """Join calls with their INVITEs and observations.

    ``expect`` maps a caller id to the (role, number) it must land at; by
    default the primary, for the number dialed.
    """
    inbound = {i.caller: i.time for i in invites if i.dst_port == pbx_port}
    outbound = {i.caller: i.time for i in invites if i.dst_port == destination_port}
    seen: dict[str, list[Observation]] = {}
    for observation in observations:
        seen.setdefault(observation.caller_id_number, []).append(observation)
    judged = []
    for result in results:
        caller = result.spec.caller
        want = (expect or {}).get(caller, ("primary", result.spec.number))
        landed = [(o.role, o.number) for o in seen.get(caller, [])]
        if landed == [want] and result.answered:
            verdict = "routed"
        elif landed and landed != [want]:
            verdict = "misrouted"
        else:
            verdict = "lost"
        judged.append(Judged(result, inbound.get(caller), outbound.get(caller), verdict))
    return judged


def interleave(
    numbers: dict[str, list[str]], routes: Sequence[str], per_route: int
) -> list[CallSpec]:
    """``per_route`` calls for each route, alternating routes call by call."""
    specs = []
    for index in range(per_route):
        for route in routes:
            pool = numbers[route]
            specs.append(CallSpec(route, pool[index % len(pool)]))
    return specs
