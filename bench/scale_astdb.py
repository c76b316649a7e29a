"""bench.scale's AstDB store (``fallback_store = astdb``): every route written, one change,
and calls routed by the fallback while a line's routes are all rewritten."""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import time
from pathlib import Path
from typing import Any

from bench.scale_file import reload_dialplan, rss
from bench.scale_numbers import CELL, POLICY, number
from continuity import names
from continuity.agi.ami import AmiSession
from continuity.compose_parts import ami_credentials
from continuity.config import FallbackStore
from continuity.core.model import ContinuitySettings, Destination, DestinationKind, Snapshot
from continuity.dialplan_astdb import AstDbRoutes
from continuity.dialplan_plugin import astdb_routes
from continuity.dialplan_templates.render import extensions_path, render_extensions
from localstack import LocalStack
from localstack.product import product_config


async def astdb(url: str, snapshot: Snapshot, stack: LocalStack, work: Path) -> dict[str, Any]:
    """``fallback_store = astdb`` on the pbx: every route written once (a full apply),
    then one number changed (what an admin change costs the fallback)."""
    config = product_config(stack, url, work / "astdb-state", fallback_store=FallbackStore.ASTDB)
    session = AmiSession(ami_credentials(config), timeout=60)
    routes = astdb_routes(config, session)
    assert routes is not None
    figures: dict[str, Any] = {}
    try:
        began = time.perf_counter()
        written = await routes.apply(snapshot)
        figures["astdb_full_apply_s"] = round(time.perf_counter() - began, 2)
        figures["astdb_full_apply_keys"] = written
        target = number(len(snapshot.numbers) // 2)
        cell = Destination(DestinationKind.EXTERNAL, CELL)
        changed = dataclasses.replace(
            snapshot.numbers[target], continuity=ContinuitySettings(on=True, destination=cell)
        )
        after = dataclasses.replace(
            snapshot, numbers={**snapshot.numbers, target: changed}, version=snapshot.version + 1
        )
        began = time.perf_counter()
        written = await routes.apply(after)
        figures["astdb_change_live_s"] = round(time.perf_counter() - began, 4)
        shown = await stack.pbx.cli(f"database get {names.ASTDB_FAMILY} {target}")
        if written != 1 or CELL not in shown:
            raise RuntimeError(f"the changed route is not in AstDB: {shown}")
        text = render_extensions(snapshot, POLICY, 30, astdb=True)
        path = extensions_path(stack.pbx.etc_dir)
        previous = path.read_text()
        path.write_text(text)
        marker = "continuity routes in AstDB:"
        reloaded = await reload_dialplan(stack, lambda shown: marker in shown)
        figures["astdb_file_kb"] = round(len(text) / 1e3, 1)
        figures["astdb_dialplan_reload_s"] = round(reloaded, 3)
        try:
            await stack.reset()
            figures.update(await calls_during_full_apply(stack, routes, after))
        finally:
            path.write_text(previous)
            await reload_dialplan(stack, lambda shown: marker not in shown)
        figures["pbx_rss_mb_astdb"] = round(rss(stack.pbx.pid), 1) if stack.pbx.pid else None
    finally:
        await session.action({"Action": "DBDelTree", "Family": names.ASTDB_FAMILY})
        session.close()
    return figures


async def timed_call(stack: LocalStack, num: str) -> float | None:
    """Seconds from placing a call to its answer (the carrier's ring time included);
    ``None``: refused or unanswered."""
    began = time.perf_counter()
    call = await stack.place_call(num, "+13125550112")
    try:
        await asyncio.wait_for(call.answered.wait(), 15)
    except TimeoutError:
        return None
    finally:
        await call.hangup()
        await call.wait_ended()
    return time.perf_counter() - began


async def calls_during_full_apply(
    stack: LocalStack, routes: AstDbRoutes, snapshot: Snapshot
) -> dict[str, Any]:
    """Calls routed by the fallback (no app runs here) while idle, then while every
    route of the main line is rewritten (its destination changed)."""
    main = snapshot.lines["main"]
    other = ContinuitySettings(destination=Destination(DestinationKind.EXTERNAL, "+13125550199"))
    moved = dataclasses.replace(
        snapshot,
        lines={**snapshot.lines, "main": dataclasses.replace(main, continuity=other)},
        version=snapshot.version + 1,
    )
    idle = [await timed_call(stack, number(i * 10 + 1)) for i in range(5)]
    began = time.perf_counter()
    rewrite = asyncio.create_task(routes.apply(moved))
    during: list[float | None] = []
    while not rewrite.done():
        during.append(await timed_call(stack, number(len(during) * 10 + 3)))
    keys = await rewrite
    answered_idle = [t for t in idle if t is not None]
    answered = [t for t in during if t is not None]
    return {
        "astdb_rewrite_keys": keys,
        "astdb_rewrite_s": round(time.perf_counter() - began, 2),
        "fallback_call_idle_s_median": (
            round(statistics.median(answered_idle), 3) if answered_idle else None
        ),
        "fallback_calls_idle_unanswered": len(idle) - len(answered_idle),
        "fallback_call_during_rewrite_s_median": (
            round(statistics.median(answered), 3) if answered else None
        ),
        "calls_during_rewrite": len(during),
        "calls_refused_during_rewrite": len(during) - len(answered),
    }
