"""Figures about routing state changing under live calls: CLI changes, primary outages.

CLI change to first routed call: the harness commits a change the way
``continuity number set`` does (``Admin.change_number``), then the carrier
calls the number every ``interval`` seconds. The figure is the time from the
commit returning to the INVITE of the first call the pbx sent to the new
destination. The app's own log says when it loaded the new state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import Any

from bench.capture import InviteCapture
from bench.load import CallResult, CallSpec, one_call
from bench.rig import Rig
from bench.stats import Summary
from continuity.admin import SettingsChange
from continuity.config import Config
from continuity.core.model import (
    ContinuitySettings,
    Destination,
    DestinationKind,
    TrackingNumber,
)

Progress = Callable[[str], None]

CLI_NUMBER = "+12125550999"
ANSWERING_SERVICE = "+13125550150"


async def _probe_until_landed(
    rig: Rig,
    capture: InviteCapture,
    port: int,
    callee: str,
    *,
    interval: float,
    limit: float,
    number: str = CLI_NUMBER,
    answer_within: float = 20.0,
) -> tuple[list[CallSpec], float | None, list[asyncio.Task[CallResult]]]:
    """Call ``number`` every ``interval`` s until one reaches ``callee`` on ``port``."""
    specs: list[CallSpec] = []
    tasks: list[asyncio.Task[CallResult]] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        spec = CallSpec("ari", number)
        specs.append(spec)
        tasks.append(
            asyncio.create_task(one_call(rig.carrier, spec, 0.3, answer_within=answer_within))
        )
        await asyncio.sleep(interval)
        callers = {s.caller for s in specs}
        landed = [
            i.time
            for i in capture.invites()
            if i.dst_port == port and i.number == callee and i.caller in callers
        ]
        if landed:
            return specs, min(landed), tasks
    return specs, None, tasks


async def cli_change(
    rig: Rig, capture: InviteCapture, *, repeats: int, interval: float, progress: Progress
) -> dict[str, Any]:
    stack = rig.stack
    await rig.admin.add_number(TrackingNumber(CLI_NUMBER, label="bench cli"))
    await asyncio.sleep(0.5)
    routed, loaded, stale = [], [], 0
    progress(
        f"CLI change → first routed call: {repeats} changes, a call every {interval * 1000:g} ms"
    )
    for repeat in range(repeats):
        to_continuity = repeat % 2 == 0
        if to_continuity:
            change = SettingsChange(
                on=True, destination=Destination(DestinationKind.EXTERNAL, ANSWERING_SERVICE)
            )
            port, callee = stack.carrier_pstn_port, ANSWERING_SERVICE
            old_port = stack.carrier_primary_port
        else:
            change = SettingsChange(on=False)
            port, callee = stack.carrier_primary_port, CLI_NUMBER
            old_port = stack.carrier_pstn_port
        await asyncio.sleep(0.5)
        await rig.admin.change_number(CLI_NUMBER, change)
        committed = time.time()
        specs, first, tasks = await _probe_until_landed(
            rig, capture, port, callee, interval=interval, limit=3.0
        )
        version = (await rig.store.load_snapshot()).version
        await asyncio.gather(*tasks)
        app_loaded = rig.app.loaded_at(version)
        if first is None:
            progress(f"  change {repeat + 1}: no call reached {callee} within 3 s")
            continue
        routed.append((first - committed) * 1000)
        if app_loaded is not None:
            loaded.append((app_loaded - committed) * 1000)
        stale += _stale(capture, specs, old_port, stack.pbx.sip_port)
        progress(
            f"  change {repeat + 1}: first call at the new destination "
            f"{routed[-1]:.1f} ms after commit ({len(specs)} calls placed)"
        )
    return {
        "repeats": repeats,
        "probe_interval_ms": interval * 1000,
        "commit_to_first_routed_call_ms": Summary.of(routed).as_json(),
        "commit_to_app_loaded_ms": Summary.of(loaded).as_json(),
        "calls_routed_by_old_state_after_first_new": stale,
    }


def _stale(capture: InviteCapture, specs: list[CallSpec], old_port: int, pbx_port: int) -> int:
    """Calls that reached the pbx after the first new-route call but still went the old way."""
    callers = {s.caller for s in specs}
    invites = [i for i in capture.invites() if i.caller in callers]
    inbound = {i.caller: i.time for i in invites if i.dst_port == pbx_port}
    new = [
        inbound[i.caller]
        for i in invites
        if i.dst_port not in (old_port, pbx_port) and i.caller in inbound
    ]
    if not new:
        return 0
    cutoff = min(new)
    return sum(1 for i in invites if i.dst_port == old_port and inbound.get(i.caller, 0) > cutoff)


OUTAGE_NUMBER = "+12125550998"


def outage_available(config: Config) -> bool:
    """Whether ``continuity serve`` watches the primary trunk (outage detection is built)."""
    return "outage_check_interval" in {f.name for f in dataclasses.fields(config)}


async def _wait_primary_routes(rig: Rig, capture: InviteCapture, limit: float = 60.0) -> None:
    """Until a call to the outage number reaches the primary again."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        spec = CallSpec("ari", OUTAGE_NUMBER)
        result = await one_call(rig.carrier, spec, 0.2, answer_within=25)
        outbound = [
            i
            for i in capture.invites()
            if i.caller == spec.caller and i.dst_port == rig.stack.carrier_primary_port
        ]
        if result.answered and outbound:
            return
        await asyncio.sleep(1.0)
    raise RuntimeError(f"the primary did not take calls again within {limit:g} s")


async def outage_switch(
    rig: Rig, capture: InviteCapture, *, repeats: int, interval: float, progress: Progress
) -> dict[str, Any]:
    """Freeze the primary while calls keep coming; time to the first call at continuity."""
    if not outage_available(rig.config):
        return {
            "available": False,
            "note": "not available yet: continuity serve does not watch the primary trunk",
        }
    stack = rig.stack
    await rig.admin.add_number(
        TrackingNumber(
            OUTAGE_NUMBER,  # the app has it by the time a call to it reaches the primary
            label="bench outage",
            continuity=ContinuitySettings(
                destination=Destination(DestinationKind.EXTERNAL, ANSWERING_SERVICE)
            ),
        )
    )
    qualify = float(stack.qualify_frequency)
    progress(
        f"outage switch: {repeats} outages, qualify every {qualify:g} s, "
        f"a call every {interval * 1000:g} ms"
    )
    switch, lost, placed = [], 0, 0
    unanswered: list[list[float]] = []
    for repeat in range(repeats):
        await _wait_primary_routes(rig, capture)
        frozen_at = time.time()
        stack.freeze_primary()
        try:
            specs, first, tasks = await _probe_until_landed(
                rig,
                capture,
                stack.carrier_pstn_port,
                ANSWERING_SERVICE,
                interval=interval,
                limit=20.0,
                number=OUTAGE_NUMBER,
                answer_within=40.0,
            )
            results = await asyncio.gather(*tasks)
        finally:
            stack.thaw_primary()
        placed += len(specs)
        missing = [r for r in results if not r.answered]
        lost += len(missing)
        unanswered.append([round(r.placed - frozen_at, 2) for r in missing])
        if first is None:
            progress(f"  outage {repeat + 1}: no call reached continuity within 20 s")
            continue
        switch.append(first - frozen_at)
        progress(
            f"  outage {repeat + 1}: first call at continuity {switch[-1]:.2f} s after the "
            f"primary froze; {len(missing)} of {len(specs)} calls not answered"
        )
    await _wait_primary_routes(rig, capture)  # the next figure starts with a reachable primary
    summary = Summary.of(switch)
    return {
        "available": True,
        "qualify_s": qualify,
        "qualify_timeout_s": stack.qualify_timeout,
        "repeats": repeats,
        "probe_interval_ms": interval * 1000,
        "switch_s": summary.as_json(),
        "calls_placed": placed,
        "lost": lost,
        #: Per outage: when each call never answered was placed, seconds after the freeze.
        "lost_placed_after_freeze_s": unanswered,
        "met": bool(switch) and summary.max <= 3.0 and lost == 0,
    }
