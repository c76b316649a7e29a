"""bench.scale on the ARI path: the routing state in a process of its own
(``bench.scale_probe``), its start, its RSS, and one admin change until it routes by it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.scale_numbers import CHANGES, SOURCE_ROOT, number
from continuity.admin import Admin, SettingsChange


class Probe:
    """``bench.scale_probe`` as a process: the app's routing state, alone."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def line(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), 120)
        if not raw:
            raise RuntimeError("the probe ended early")
        result: dict[str, Any] = json.loads(raw)
        return result

    async def watch(self, num: str, label: str, *, change: bool = False) -> None:
        """Wait for ``num`` to carry ``label``; ``change``: the probe changes it itself,
        as serve's console does."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{'admin ' if change else ''}{num} {label}\n".encode())
        await self.proc.stdin.drain()


@contextlib.asynccontextmanager
async def probe(url: str, state_dir: Path) -> Any:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.scale_probe", url, str(state_dir),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=SOURCE_ROOT,
        env={**os.environ, "PYTHONPATH": str(SOURCE_ROOT)},
    )  # fmt: skip
    try:
        yield Probe(proc)
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


async def ari_path(admin: Admin, url: str, work: Path, count: int) -> dict[str, Any]:
    async with probe(url, work) as app:
        started = await app.line()
        from_call, from_commit, admin_s = [], [], []
        rss = started["rss_mb"]
        for i in range(CHANGES):
            num, label = number((i * 7919) % count), f"changed-{i}"
            before = time.time()
            await admin.change_number(num, SettingsChange(), label=label)
            committed = time.time()
            await app.watch(num, label)
            line = await app.line()
            seen, rss = line["seen_at"], max(rss, line["rss_mb"])
            from_call.append(seen - before)
            from_commit.append(max(0.0, seen - committed))
            admin_s.append(committed - before)
        in_serve = []
        for i in range(CHANGES):
            num, label = number((i * 7919 + 1) % count), f"console-{i}"
            await app.watch(num, label, change=True)
            line = await app.line()
            in_serve.append(line["seen_at"] - line["called_at"])
    return {
        "change_in_serve_call_s_median": round(statistics.median(in_serve), 4),
        "change_in_serve_call_s_max": round(max(in_serve), 4),
        "app_ready_s": round(started["ready_s"], 3),
        "app_rss_mb": round(rss, 1),
        "change_admin_call_s_median": round(statistics.median(admin_s), 4),
        "change_live_from_commit_s_median": round(statistics.median(from_commit), 4),
        "change_live_from_call_s_median": round(statistics.median(from_call), 4),
        "change_live_from_commit_s_max": round(max(from_commit), 4),
    }
