"""bench.scale's per-number file (``fallback_store = file``): render it, read it back,
and Asterisk's own ``dialplan reload`` of it, i.e. what one change costs that store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.scale_numbers import POLICY
from continuity import names
from continuity.db.store import Store
from continuity.dialplan_templates.parse import expected_dialplan
from continuity.dialplan_templates.render import extensions_path, render_extensions
from localstack import LocalStack
from localstack.errors import AsteriskCommandError


async def fallback(store: Store, stack: LocalStack | None) -> dict[str, Any]:
    snapshot = await store.load_snapshot()
    started = time.perf_counter()
    text = await asyncio.to_thread(render_extensions, snapshot, POLICY, 30)
    rendered = time.perf_counter()
    await asyncio.to_thread(expected_dialplan, text)
    parsed = time.perf_counter()
    figures: dict[str, Any] = {
        "dialplan_render_s": round(rendered - started, 2),
        "dialplan_read_back_s": round(parsed - rendered, 2),
        "dialplan_file_mb": round(len(text) / 1e6, 1),
    }
    if stack is not None:
        pbx = stack.pbx
        path = extensions_path(pbx.etc_dir)
        previous = path.read_text()
        path.write_text(text)
        marker = f"continuity v{snapshot.version}:"
        try:
            reloaded = await reload_dialplan(stack, lambda shown: marker in shown)
            figures["asterisk_dialplan_reload_s"] = round(reloaded, 2)
            figures["pbx_rss_mb"] = round(rss(pbx.pid), 1) if pbx.pid else None
        finally:
            path.write_text(previous)
            await reload_dialplan(stack, lambda shown: marker not in shown)
        figures["fallback_change_live_s"] = round(
            figures["dialplan_render_s"]
            + figures["dialplan_read_back_s"]
            + figures["asterisk_dialplan_reload_s"],
            2,
        )
    return figures


async def reload_dialplan(stack: LocalStack, holds: Callable[[str], bool]) -> float:
    """``dialplan reload`` until Asterisk takes it (it refuses one while another runs),
    then until the tracking context it shows is the new one: seconds until then."""
    began = time.perf_counter()
    while True:
        output = (await stack.pbx.cli("dialplan reload", timeout=900)).lower()
        if "progress" not in output and "finish" not in output:
            break
        await asyncio.sleep(0.5)
    while True:
        try:
            shown = await stack.pbx.cli(f"dialplan show {names.CTX_TRACKING}", timeout=300)
        except AsteriskCommandError as exc:  # no such context (yet)
            shown = str(exc)
        if holds(shown):
            return time.perf_counter() - began
        await asyncio.sleep(0.2)


def rss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
