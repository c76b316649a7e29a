"""The hand-off onset: an open-loop ramp of SIPp calls, route by route.

SIPp places calls straight into the pbx at a stepped rate (``start``, then ``step``
calls/s more per step, each step ``seconds`` long). Pure-dialplan calls come from
127.0.0.2, which the pbx identifies as the benchmark's entrance (``bench/carrier.py``);
the product's calls from 127.0.0.1, the carrier's address. At each rate the routes
run one after the other (the order alternating step by step), with the pbx quiet
in between, until each has met its end:

* **dialplan saturates** at the first rate where more than ``MAX_FAILED`` of the
  step's calls were not routed, or their post-dial delay at p90 was above
  ``PDD_BOUND_MS`` (the app's own hand-off threshold, ``overload_handoff_after``);
* **ARI hands off** at the first rate where at least ``MIN_HANDED`` of the step's
  calls went to the generated fallback dialplan (the overload hand-off). Its own
  saturation (the dialplan's criteria) is recorded too; should it come first, the
  ARI ramp goes on until it hands off or more than ``GIVE_UP`` of a step fails.

The figure is the hand-off rate as a share of the dialplan's saturation rate
(issue 13: ≥90 %). Each step also gives the app's CPU per call, minus its idle
rate, and the calls' mean concurrency (rate times the mean time from INVITE to BYE).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.calls_figures import handed_off, lost_detail, pdd, verdicts, wait_quiet
from bench.capture import InviteCapture
from bench.carrier import BENCH_ADDRESS
from bench.load import CallResult, CallSpec, Judged, judge, next_caller
from bench.rig import Rig
from localstack.ports import LOOPBACK
from localstack.sipp import SippCall, SippResult, place_calls

Progress = Callable[[str], None]

#: A step saturates the route when more than this share of its calls was not routed...
MAX_FAILED = 0.01
#: ... or when its calls' post-dial delay at p90 was above this (ms).
PDD_BOUND_MS = 500.0
#: The ARI route starts handing off at the first step with this share handed off.
MIN_HANDED = 0.01
#: The ARI route's ramp goes past its saturation until this share of a step fails.
GIVE_UP = 0.5
#: Seconds without calls before each step, for the processes' idle CPU rate.
IDLE_SECONDS = 2.0
SOURCE = {"dialplan": BENCH_ADDRESS, "ari": LOOPBACK}
#: Tries at a step when SIPp placed no call at all.
SIPP_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Ramp:
    start: float = 10.0
    step: float = 5.0
    seconds: float = 8.0
    hold: float = 1.0
    limit: float = 300.0

    def rates(self) -> list[float]:
        count = int((self.limit - self.start) / self.step) + 1
        return [self.start + i * self.step for i in range(max(count, 0))]


def _results(specs: list[CallSpec], sipp: SippResult) -> list[CallResult]:
    results = []
    for spec in specs:
        log = sipp.calls.get(spec.caller)
        if log is None:
            results.append(CallResult(spec, 0.0, error="SIPp never placed it"))
            continue
        answered = log.answered is not None
        results.append(CallResult(spec, log.placed, answered=answered, error=log.failure))
    return results


def _mean_duration(sipp: SippResult) -> float | None:
    spans = [c.completed - c.placed for c in sipp.calls.values() if c.completed is not None]
    return sum(spans) / len(spans) if spans else None


async def step(
    rig: Rig, capture: InviteCapture, route: str, rate: float, ramp: Ramp, progress: Progress
) -> dict[str, Any]:
    """One route at one rate: SIPp's calls judged, hand-offs counted, CPU per call."""
    await wait_quiet(rig, progress)
    pool = rig.numbers[route]
    specs = [
        CallSpec(route, pool[i % len(pool)], next_caller()) for i in range(int(rate * ramp.seconds))
    ]
    handed_before = await handed_off(rig)
    quiet = rig.cpu.sample()
    await asyncio.sleep(IDLE_SECONDS)
    before = rig.cpu.sample()
    idle = {n: s / (before.wall - quiet.wall) for n, s in before.since(quiet).items()}
    for attempt in range(1, SIPP_ATTEMPTS + 1):
        with tempfile.TemporaryDirectory(prefix="continuity-onset-") as tmp:
            sipp = await place_calls(
                [SippCall(s.caller, s.number) for s in specs],
                f"{LOOPBACK}:{rig.stack.pbx.sip_port}",
                Path(tmp),
                rate=rate,
                hold_ms=int(ramp.hold * 1000),
                timeout=ramp.seconds + ramp.hold + 60,
                local_ip=SOURCE[route],
            )
        if sipp.placed or attempt == SIPP_ATTEMPTS:
            break
        # SIPp itself did not start (a port taken between choosing and binding it, say):
        # not the route's doing, so the step runs again.
        tail = " | ".join(sipp.screen.strip().splitlines()[-3:])
        progress(f"  SIPp placed no call (exit {sipp.returncode}: {tail[:200]}); again")
        before = rig.cpu.sample()
    after = rig.cpu.sample()
    wall = after.wall - before.wall
    cpu = {n: s - idle.get(n, 0.0) * wall for n, s in after.since(before).items()}
    await asyncio.sleep(0.5)  # the last calls' records
    handed = await handed_off(rig) - handed_before
    judged: list[Judged] = judge(
        _results(specs, sipp),
        capture.invites(),
        rig.stack.carrier_observations(),
        pbx_port=rig.stack.pbx.sip_port,
        destination_port=rig.stack.carrier_primary_port,
    )
    counts = verdicts(judged)
    delay = pdd(judged)
    duration = _mean_duration(sipp)
    calls = len(specs)
    failed = (calls - counts["routed"]) / calls if calls else 0.0
    saturated = failed > MAX_FAILED or not delay.n or delay.p90 > PDD_BOUND_MS
    per_call = {n: s * 1000 / calls for n, s in cpu.items()} if calls else {}
    row: dict[str, Any] = {
        "route": route,
        "rate": rate,
        "calls": calls,
        "verdicts": counts,
        "not_routed": lost_detail(judged),
        "sipp_failed": sipp.failed,
        "sipp_attempts": attempt,
        "handed_off": handed,
        "pdd_ms": delay.as_json(),
        "mean_call_s": duration,
        "mean_concurrency": rate * duration if duration is not None else None,
        "cpu_ms_per_call_marginal": per_call,
        "cpu_utilisation": {n: s / wall for n, s in after.since(before).items()} if wall else {},
        "saturated": saturated,
        "handing_off": calls > 0 and handed / calls >= MIN_HANDED,
        "failing": failed > GIVE_UP,
    }
    app_cpu = per_call.get("app")
    progress(
        f"  {route} at {rate:g} calls/s: {counts['routed']}/{calls} routed, {handed} handed off, "
        f"PDD p50 {delay.p50:.1f} p90 {delay.p90:.1f} ms, app {app_cpu or 0:.2f} ms/call"
        + (" - saturated" if saturated else "")
    )
    return row


def _first(steps: list[dict[str, Any]], route: str, flag: str) -> float | None:
    return next((s["rate"] for s in steps if s["route"] == route and s[flag]), None)


async def handoff_onset(
    rig: Rig, capture: InviteCapture, ramp: Ramp, progress: Progress
) -> dict[str, Any]:
    """Ramp both routes until dialplan saturates and ARI hands off (or ``ramp.limit``)."""
    steps: list[dict[str, Any]] = []
    running = ["dialplan", "ari"]
    for index, rate in enumerate(ramp.rates()):
        if not running:
            break
        progress(
            f"hand-off onset: {rate:g} calls/s for {ramp.seconds:g} s, {' and '.join(running)}"
        )
        for route in running if index % 2 == 0 else list(reversed(running)):
            steps.append(await step(rig, capture, route, rate, ramp, progress))
        if _first(steps, "dialplan", "saturated") is not None and "dialplan" in running:
            running.remove("dialplan")
        # Past its own saturation the ARI route goes on until it hands off, or until
        # most of its calls fail: whether the hand-off comes before that is the point.
        ari_done = _first(steps, "ari", "handing_off") or _first(steps, "ari", "failing")
        if ari_done is not None and "ari" in running:
            running.remove("ari")
    saturation = _first(steps, "dialplan", "saturated")
    onset = _first(steps, "ari", "handing_off")
    ari_saturation = _first(steps, "ari", "saturated")
    return {
        "ramp": {"start": ramp.start, "step": ramp.step, "seconds": ramp.seconds,
                 "hold_s": ramp.hold, "limit": ramp.limit},
        "criteria": {"max_failed": MAX_FAILED, "pdd_p90_bound_ms": PDD_BOUND_MS,
                     "min_handed": MIN_HANDED},
        "dialplan_saturation_rate": saturation,
        "ari_handoff_rate": onset,
        "ari_first_handoff_rate": next(
            (s["rate"] for s in steps if s["route"] == "ari" and s["handed_off"]), None
        ),
        "ari_saturation_rate": ari_saturation,
        "share": onset / saturation if onset is not None and saturation else None,
        "ari_saturation_share": (
            ari_saturation / saturation if ari_saturation is not None and saturation else None
        ),
        "steps": steps,
    }  # fmt: skip
