"""After the call-rate run's heaviest block: does the app route calls again, and when?"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bench.calls_figures import wait_quiet
from bench.capture import InviteCapture
from bench.load import CallSpec, judge, one_call
from bench.rig import Rig

Progress = Callable[[str], None]


async def after_overload(
    rig: Rig, capture: InviteCapture, progress: Progress, limit: float = 120.0
) -> dict[str, Any]:
    """A call to a tracking number every second until one is routed (at most ``limit`` s)."""
    started = time.monotonic()
    progress(f"after the load: calling a tracking number until the app routes it ({limit:g} s) ...")
    await wait_quiet(rig, progress)
    attempts = 0
    while time.monotonic() - started < limit:
        attempts += 1
        spec = CallSpec("ari", rig.numbers["ari"][0])
        result = await one_call(rig.carrier, spec, 0.3, answer_within=5.0)
        [verdict] = judge(
            [result],
            capture.invites(),
            rig.stack.carrier_observations(),
            pbx_port=rig.stack.pbx.sip_port,
            destination_port=rig.stack.carrier_primary_port,
        )
        if verdict.verdict == "routed":
            seconds = time.monotonic() - started
            progress(f"  routed again {seconds:.1f} s after the load ended ({attempts} calls)")
            return {"routed_again_after_s": seconds, "attempts": attempts, "limit_s": limit}
        await asyncio.sleep(1.0)
    progress(f"  the app routed no call within {limit:g} s after the load")
    return {"routed_again_after_s": None, "attempts": attempts, "limit_s": limit}
