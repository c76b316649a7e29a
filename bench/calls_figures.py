"""Figures from routed calls: post-dial delay, app CPU per call, sustained call rate.

Routes are compared side by side within one run: in the post-dial-delay run
their calls alternate call by call; in the call-rate run their blocks
alternate (A B, then B A) round after round, so drift in the machine's load
hits every route alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.capture import InviteCapture
from bench.load import Judged, interleave, judge, run_calls
from bench.rig import Rig
from bench.stats import Summary
from continuity.doctor.ari import is_left_behind

Progress = Callable[[str], None]

#: Seconds with no calls before each block, to take each process's idle CPU rate.
IDLE_SECONDS = 3.0
#: Seconds the CPU window stays open after a block's last call: its records are written
#: (the app's in a quarter second, Asterisk's trace ingested every 2 s) within it.
RECORDS_SETTLE = 3.0


@dataclass
class Block:
    """One batch of calls of one or more routes, judged, with the CPU it took."""

    judged: list[Judged]
    wall: float
    cpu: dict[str, float]
    #: Calls the app handed to the fallback dialplan because it was behind.
    handed_off: int = 0
    #: CPU seconds per second of each process with no calls, just before the block.
    idle: dict[str, float] | None = None
    #: WebSocket messages the app exchanged with ARI during the block (None: not counted).
    ari_messages: int | None = None
    #: Times the app's event loop slept and was woken during the block, and per
    #: second with no calls just before it.
    app_wakeups: int = 0
    idle_wakeups_per_s: float = 0.0
    #: Seconds the CPU was measured over: the calls, and their records' writing after.
    cpu_wall: float = 0.0

    @property
    def measured(self) -> float:
        return self.cpu_wall or self.wall

    def marginal_wakeups(self) -> float:
        """The block's wake-ups of the app's loop minus its idle rate over as long."""
        return self.app_wakeups - self.idle_wakeups_per_s * self.measured

    def marginal_cpu(self) -> dict[str, float]:
        """The block's CPU minus what the processes use idle over as long."""
        idle = self.idle or {}
        return {n: s - idle.get(n, 0.0) * self.measured for n, s in self.cpu.items()}

    def of(self, route: str) -> list[Judged]:
        return [j for j in self.judged if j.result.spec.route == route]


async def pbx_channels(rig: Rig) -> tuple[int, int]:
    """The pbx's channels now: (live ones, ones a masquerade left behind). Those never
    go (deaf to `channel request hangup`), so nothing waits for them."""
    concise = await rig.stack.pbx.cli("core show channels concise")
    live = left = 0
    for line in concise.splitlines():
        fields = line.split("!")
        if len(fields) < 6:
            continue
        # concise shows "(None)" for a channel that runs no application.
        if is_left_behind(fields[0], fields[4], fields[5].replace("(None)", "")):
            left += 1
        else:
            live += 1
    return live, left


async def calls_processed(rig: Rig) -> int:
    """How many calls the pbx has processed since it started."""
    counted = await rig.stack.pbx.cli("core show channels count")
    for words in (line.split() for line in counted.splitlines()):
        if words[1:3] == ["calls", "processed"]:
            return int(words[0])
    return 0


async def wait_quiet(rig: Rig, progress: Progress, timeout: float = 60.0) -> None:
    """Until the pbx has no live channel left from the calls before (hung up after
    ``timeout``); channels a masquerade left behind never go, and are not waited for."""
    try:
        async with asyncio.timeout(timeout):
            while (await pbx_channels(rig))[0]:
                await asyncio.sleep(0.1)
    except TimeoutError:
        progress(f"  the pbx still had channels {timeout:g} s after the last call; hanging up")
        try:
            await rig.stack.pbx.hangup_all(timeout=30)
        except TimeoutError:
            progress("  the pbx kept channels 30 s after `channel request hangup all`; going on")


async def block(
    rig: Rig,
    capture: InviteCapture,
    routes: Sequence[str],
    per_route: int,
    *,
    concurrency: int,
    hold: float,
    rate: float | None,
    progress: Progress,
) -> Block:
    await wait_quiet(rig, progress)
    specs = interleave(rig.numbers, routes, per_route)
    handed_before = await handed_off(rig)
    quiet = rig.cpu.sample()
    await asyncio.sleep(IDLE_SECONDS)
    before = rig.cpu.sample()
    idle = {n: s / (before.wall - quiet.wall) for n, s in before.since(quiet).items()}
    idle_wakeups = (before.app_wakeups - quiet.app_wakeups) / (before.wall - quiet.wall)
    messages_before = await rig.app.ari_messages()
    results, wall = await run_calls(
        rig.carrier, specs, concurrency=concurrency, hold=hold, rate=rate
    )
    await asyncio.sleep(RECORDS_SETTLE)  # the last calls' records
    after = rig.cpu.sample()
    cpu = after.since(before)
    messages_after = await rig.app.ari_messages()
    messages = (
        None
        if messages_before is None or messages_after is None
        else messages_after - messages_before
    )
    handed = await handed_off(rig) - handed_before
    judged = judge(
        results,
        capture.invites(),
        rig.stack.carrier_observations(),
        pbx_port=rig.stack.pbx.sip_port,
        destination_port=rig.stack.carrier_primary_port,
    )
    wakes = after.app_wakeups - before.app_wakeups
    cpu_wall = after.wall - before.wall
    return Block(judged, wall, cpu, handed, idle, messages, wakes, idle_wakeups, cpu_wall)


async def handed_off(rig: Rig) -> int:
    """Call records of calls the app handed to the fallback dialplan (overload).

    By ``path``: the fallback's trace completes the app's record once the call ends
    and its ``outcome`` becomes where the call landed; the path stays."""
    async with rig.store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) FROM call_records WHERE path = 'handed_to_fallback'"
        )
        row = await cur.fetchone()
    return int(row[0]) if row else 0


def steady_rate(block: Block, concurrency: int) -> float | None:
    """Routed calls/s once the loop is full: calls placed after the ``concurrency``-th
    placement, over the time from it to the last placement (closed loop: a call is
    placed when one ends, so this is the completion rate without ramp-up and drain)."""
    placed = sorted(j.result.placed for j in block.judged)
    if len(placed) <= concurrency + 1:
        return None
    window = placed[-1] - placed[concurrency - 1]
    if window <= 0:
        return None
    share = verdicts(block.judged)["routed"] / len(block.judged)
    return (len(placed) - concurrency) / window * share


def lost_detail(judged: Sequence[Judged]) -> dict[str, int]:
    """Why calls that were not routed went wrong, as far as the wire and the carrier tell."""
    detail: dict[str, int] = {}
    for j in judged:
        if j.verdict == "routed":
            continue
        if j.invite_in is None:
            why = "the pbx never got the INVITE"
        elif j.invite_out is None:
            why = "the pbx never sent an INVITE to the primary"
        elif not j.result.answered:
            why = f"not answered ({j.result.error or 'ended'}, cause {j.result.cause})"
        else:
            why = f"answered, {j.verdict}"
        detail[why] = detail.get(why, 0) + 1
    return detail


def _samples(judged: Sequence[Judged], block: Block) -> list[tuple[float, float | None]]:
    start = min(j.result.placed for j in block.judged)
    return [
        (round(j.result.placed - start, 3), None if j.pdd_ms is None else round(j.pdd_ms, 3))
        for j in judged
    ]


def verdicts(judged: Sequence[Judged]) -> dict[str, int]:
    counts = {"routed": 0, "misrouted": 0, "lost": 0}
    for j in judged:
        counts[j.verdict] += 1
    return counts


def pdd(judged: Sequence[Judged]) -> Summary:
    return Summary.of([ms for j in judged if (ms := j.pdd_ms) is not None])


def cpu_ms_per_call(cpu: dict[str, float], calls: int) -> dict[str, float | None]:
    return {name: (seconds * 1000 / calls if calls else None) for name, seconds in cpu.items()}


async def warm_up(rig: Rig, capture: InviteCapture, seconds: float, progress: Progress) -> None:
    """A few calls per route, not counted, then a pause: start-up work settles first."""
    if seconds <= 0:
        return
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    progress(f"warming up for {seconds:g} s (5 calls per route, not counted) ...")
    await block(rig, capture, rig.routes, 5, concurrency=50, hold=0.5, rate=2.0, progress=progress)
    await asyncio.sleep(max(0.0, until - loop.time()))


async def post_dial_delay(
    rig: Rig,
    capture: InviteCapture,
    *,
    per_route: int,
    rate: float,
    concurrency: int,
    hold: float,
    progress: Progress,
) -> dict[str, Any]:
    """Each app route side by side with pure dialplan: their calls alternate, ``rate``
    calls/s each (open loop), so the app handles ``rate`` calls/s of that route."""
    per: dict[str, Any] = {}
    baseline: list[Judged] = []
    app_cpu: dict[str, float | None] = {}
    marginal: dict[str, float | None] = {}
    others: list[float] = []
    for route in (r for r in rig.routes if r != "dialplan"):
        progress(
            f"post-dial delay: {route} and dialplan alternating, {per_route} calls each at "
            f"{rate:g} calls/s each, hold {hold:g} s ..."
        )
        done = await block(
            rig,
            capture,
            ("dialplan", route),
            per_route,
            concurrency=concurrency,
            hold=hold,
            rate=2 * rate,
            progress=progress,
        )
        base, summary = pdd(done.of("dialplan")), pdd(done.of(route))
        baseline += done.of("dialplan")
        app_cpu[route] = cpu_ms_per_call(done.cpu, len(done.of(route))).get("app")
        marginal[route] = cpu_ms_per_call(done.marginal_cpu(), len(done.of(route))).get("app")
        calls_of_route = len(done.of(route))
        per_call_messages = (
            done.ari_messages / calls_of_route
            if done.ari_messages is not None and calls_of_route
            else None
        )
        others.append(done.cpu.get("others", 0.0) / done.measured if done.measured else 0.0)
        wakeups = done.marginal_wakeups() / calls_of_route if calls_of_route else None
        per[route] = {
            "pdd_ms": summary.as_json(),
            #: The dialplan calls that alternated with this route's.
            "baseline_pdd_ms": base.as_json(),
            #: Every call: seconds after the block's first call was placed, post-dial delay.
            "samples": _samples(done.of(route), done),
            "verdicts": verdicts(done.of(route)),
            "not_routed": lost_detail(done.of(route)),
            "overhead_p50_ms": summary.p50 - base.p50,
            "overhead_p99_ms": summary.p99 - base.p99,
            "app_cpu_ms_per_call": app_cpu[route],
            #: The block's app CPU minus the app's idle rate over the block, per call.
            "app_cpu_ms_per_call_marginal": marginal[route],
            "app_idle_cpu_per_s": (done.idle or {}).get("app"),
            #: ARI WebSocket messages (events, requests, replies) per call of this route.
            "ari_messages_per_call": per_call_messages,
            #: Wake-ups of the app's event loop per call, above its idle rate.
            "app_wakeups_per_call_marginal": wakeups,
            "others_utilisation": others[-1],
        }
        progress(
            f"  {route}: p50 {summary.p50:.2f} ms, p99 {summary.p99:.2f} ms; dialplan p50 "
            f"{base.p50:.2f} ms, p99 {base.p99:.2f} ms; app CPU {app_cpu[route] or 0:.2f} ms/call"
            f" ({marginal[route] or 0:.2f} marginal), "
            f"{per_call_messages or 0:.1f} ARI messages/call, "
            f"{wakeups or 0:.1f} loop wake-ups/call"
        )
    per["dialplan"] = {
        "pdd_ms": pdd(baseline).as_json(),
        "verdicts": verdicts(baseline),
        "not_routed": lost_detail(baseline),
    }
    return {
        "rate_per_route": rate,
        "hold_s": hold,
        "routes": per,
        #: Per app route: the app's CPU during its block over that route's calls.
        "app_cpu_ms_per_call": app_cpu,
        #: The same, minus the app's idle CPU rate over the block.
        "app_cpu_ms_per_call_marginal": marginal,
        #: Cores' worth of CPU other processes on the machine used meanwhile (noise).
        "others_utilisation": max(others) if others else None,
    }


async def call_rate(
    rig: Rig,
    capture: InviteCapture,
    *,
    levels: Sequence[int],
    per_route: int,
    rounds: int,
    hold: float,
    progress: Progress,
) -> list[dict[str, Any]]:
    """Closed loop at each concurrency: every route's block, alternating, ``rounds`` times.

    A block has ``per_route`` calls, or 3 times the concurrency if that is more, so
    most of it runs with the loop full."""
    rows = []
    for level in levels:
        calls = max(per_route, 3 * level)
        blocks: dict[str, list[Block]] = {route: [] for route in rig.routes}
        for round_no in range(rounds):
            order = rig.routes if round_no % 2 == 0 else tuple(reversed(rig.routes))
            for route in order:
                progress(
                    f"call rate: {level} concurrent, round {round_no + 1}/{rounds}, "
                    f"{route}: {calls} calls, hold {hold:g} s ..."
                )
                done = await block(
                    rig,
                    capture,
                    (route,),
                    calls,
                    concurrency=level,
                    hold=hold,
                    rate=None,
                    progress=progress,
                )
                blocks[route].append(done)
                counts = verdicts(done.judged)
                steady = steady_rate(done, level)
                progress(
                    f"  {steady or 0:6.1f} routed calls/s steady "
                    f"({counts['routed'] / done.wall:.1f} overall), "
                    f"{counts['misrouted']} misrouted, {counts['lost']} lost, "
                    f"{done.handed_off} handed to the fallback dialplan, "
                    f"p50 PDD {pdd(done.judged).p50:.2f} ms"
                )
        for route, done_blocks in blocks.items():
            rows.append(_rate_row(level, route, done_blocks, hold))
    return rows


def _rate_row(level: int, route: str, blocks: Sequence[Block], hold: float) -> dict[str, Any]:
    judged = [j for b in blocks for j in b.judged]
    counts = verdicts(judged)
    rates = [r for b in blocks if (r := steady_rate(b, level)) is not None]
    overall = [verdicts(b.judged)["routed"] / b.wall for b in blocks if b.wall]
    cpu: dict[str, float] = {}
    marginal: dict[str, float] = {}
    wall = sum(b.measured for b in blocks)
    for b in blocks:
        for name, seconds in b.cpu.items():
            cpu[name] = cpu.get(name, 0.0) + seconds
        for name, seconds in b.marginal_cpu().items():
            marginal[name] = marginal.get(name, 0.0) + seconds
    counted = [b.ari_messages for b in blocks if b.ari_messages is not None]
    return {
        "concurrency": level,
        "route": route,
        "hold_s": hold,
        "calls": len(judged),
        "verdicts": counts,
        "handed_off": sum(b.handed_off for b in blocks),
        "not_routed": lost_detail(judged),
        #: Steady state (see steady_rate), per round: median and spread.
        "routed_per_s": Summary.of(rates).as_json(),
        #: All routed calls over the whole block, ramp-up and drain included.
        "routed_per_s_overall": Summary.of(overall).as_json(),
        "pdd_ms": pdd(judged).as_json(),
        "cpu_ms_per_call": cpu_ms_per_call(cpu, len(judged)),
        "cpu_ms_per_call_marginal": cpu_ms_per_call(marginal, len(judged)),
        "ari_messages_per_call": sum(counted) / len(judged) if counted and judged else None,
        "app_wakeups_per_call_marginal": (
            sum(b.marginal_wakeups() for b in blocks) / len(judged) if judged else None
        ),
        #: Share of one core each process used during the blocks.
        "cpu_utilisation": {name: seconds / wall for name, seconds in cpu.items()} if wall else {},
    }
