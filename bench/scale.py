"""``python -m bench.scale``: the product at 1,000, 10,000 and 100,000 tracking numbers.

Side by side in one run, for each count, on a database of its own:

- ``continuity number import`` of a CSV of that many numbers (the real command);
- the routing state loaded the way ``continuity serve`` loads it (a process of its
  own, ``bench.scale_probe``): seconds until it can route, and its RSS;
- one admin change (a number's label) until that process routes with it (the ARI
  path), from the admin's call and from its commit;
- the fallback dialplan: rendering and reading back the generated file, its size,
  and Asterisk's own ``dialplan reload`` of it on the local stack's pbx, i.e. what
  one change costs the fallback today (every change re-renders and reloads it all).

Hold the bench lock while it runs (``flock <lock> python -m bench.scale``); the load
average is written into the results. Results: ``bench/results/<time>-scale.{json,md}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.options import RESULTS
from continuity import names
from continuity.admin import Admin, SettingsChange
from continuity.agi.ami import AmiSession
from continuity.compose_parts import ami_credentials
from continuity.config import FallbackStore, UnknownNumberPolicy
from continuity.core.model import (
    ContinuitySettings,
    Destination,
    DestinationKind,
    Line,
    LineKind,
    Snapshot,
)
from continuity.db import migrate
from continuity.db.pool import Pool
from continuity.db.store import Store
from continuity.dialplan_astdb import AstDbRoutes
from continuity.dialplan_plugin import astdb_routes
from continuity.dialplan_templates.parse import expected_dialplan
from continuity.dialplan_templates.render import extensions_path, render_extensions
from localstack import LocalStack, resolve_database_url, temporary_database
from localstack.errors import AsteriskCommandError
from localstack.product import product_config

COUNTS = (1_000, 10_000, 100_000)
CHANGES = 5
SOURCE_ROOT = Path(__file__).resolve().parent.parent
CELL = "+13125550150"
POLICY = UnknownNumberPolicy("reject", "unallocated")


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def number(index: int) -> str:
    return f"+1212{2000000 + index:07d}"


def write_csv(path: Path, count: int) -> None:
    """Numbers as a large account has them: most plain, some on a department line,
    some with their own destination or continuity switched on."""
    with path.open("w", encoding="utf-8") as out:
        out.write("number,label,line,continuity,destination_kind,destination_target\n")
        for i in range(count):
            line = "sales" if i % 10 == 0 else ""
            mode = "on" if i % 50 == 0 else ""
            dest = ("external", f"+1312{5550000 + i % 100:07d}") if i % 20 == 0 else ("", "")
            out.write(f"{number(i)},campaign {i},{line},{mode},{dest[0]},{dest[1]}\n")


def continuity(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "continuity", *args],
        env={**os.environ, "CONTINUITY_DATABASE_URL": url, "CONTINUITY_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        check=False,
        cwd=SOURCE_ROOT,
    )


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
        figures["pbx_rss_mb_astdb"] = round(_rss(stack.pbx.pid), 1) if stack.pbx.pid else None
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
            figures["pbx_rss_mb"] = round(_rss(pbx.pid), 1) if pbx.pid else None
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


def _rss(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def one_count(
    base: str, count: int, work: Path, stack: LocalStack | None, with_file: bool = True
) -> dict[str, Any]:
    progress(f"{count} numbers: a database of their own ...")
    async with temporary_database(base, prefix="continuity_scale") as url:
        await migrate.upgrade(url)
        async with Pool(url, open=False, min_size=1, max_size=2) as pool:
            await pool.open(wait=True)
            store = Store(pool)
            admin = Admin(store, "bench")
            main = ContinuitySettings(destination=Destination(DestinationKind.EXTERNAL, CELL))
            await admin.add_line(Line("main", LineKind.MAIN, continuity=main))
            await admin.add_line(Line("sales", LineKind.DEPARTMENT))
            csv = work / f"numbers-{count}.csv"
            write_csv(csv, count)
            progress(f"{count} numbers: continuity number import ...")
            began = time.perf_counter()
            result = await asyncio.to_thread(continuity, "number", "import", str(csv), url=url)
            imported = time.perf_counter() - began
            if result.returncode != 0:
                raise RuntimeError(f"import failed: {result.stderr[-2000:]}")
            figures: dict[str, Any] = {"numbers": count, "import_s": round(imported, 2)}
            progress(f"{count} numbers: routing state and one change on the ARI path ...")
            state = work / f"state-{count}"
            state.mkdir()
            figures.update(await ari_path(admin, url, state, count))
            progress(f"{count} numbers: the fallback dialplan, one extension per number ...")
            figures.update(await fallback(store, stack if with_file else None))
            if stack is not None:
                progress(f"{count} numbers: the fallback routes in AstDB ...")
                figures.update(await astdb(url, await store.load_snapshot(), stack, work))
            figures["loadavg"] = loadavg()
    progress(f"{count} numbers: {figures}")
    return figures


ROWS = (
    ("import of the numbers (s)", "import_s", "≤60 at 100,000"),
    ("app start: routing state loaded, ready to route (s)", "app_ready_s", "≤3"),
    ("RSS of the routing state process (MB)", "app_rss_mb", "≤300"),
    ("one change: admin call → committed (s, median)", "change_admin_call_s_median", ""),
    ("one change: commit → live on the ARI path (s, median)",
     "change_live_from_commit_s_median", "≤0.1"),
    ("one change from serve's console: admin call → live on the ARI path (s, median)",
     "change_in_serve_call_s_median", "≤0.1"),
    ("one change from another process (the CLI): admin call → live on the ARI path (s, median)",
     "change_live_from_call_s_median", "≤0.1"),
    ("fallback: render the file (s)", "dialplan_render_s", ""),
    ("fallback: read it back / expected items (s)", "dialplan_read_back_s", ""),
    ("fallback: file size (MB)", "dialplan_file_mb", ""),
    ("fallback: Asterisk `dialplan reload` (s)", "asterisk_dialplan_reload_s", ""),
    ("fallback: one change → live (render + read back + reload, s)",
     "fallback_change_live_s", "≤1"),
    ("pbx RSS after the reload (MB)", "pbx_rss_mb", ""),
    ("astdb: full apply, every route written (s)", "astdb_full_apply_s", ""),
    ("astdb: keys written by the full apply", "astdb_full_apply_keys", ""),
    ("astdb: one change → live in the fallback (s)", "astdb_change_live_s", "≤1"),
    ("astdb: a rewrite of the main line's routes (keys)", "astdb_rewrite_keys", ""),
    ("astdb: that rewrite (s)", "astdb_rewrite_s", ""),
    ("fallback call, idle: placed → answered (s, median, 0.3 s ring included)",
     "fallback_call_idle_s_median", ""),
    ("fallback call during the rewrite (s, median)",
     "fallback_call_during_rewrite_s_median", "at most 2x idle"),
    ("calls placed during the rewrite", "calls_during_rewrite", ""),
    ("calls refused or unanswered during it", "calls_refused_during_rewrite", "0"),
    ("astdb: generated file (kB)", "astdb_file_kb", ""),
    ("astdb: its `dialplan reload` (s)", "astdb_dialplan_reload_s", ""),
    ("astdb: pbx RSS with every route (MB)", "pbx_rss_mb_astdb", ""),
    ("load average after", "loadavg", ""),
)  # fmt: skip


def markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    head = "| Figure | " + " | ".join(f"{r['numbers']:,}" for r in results) + " | Target |"
    lines = [
        "# Scale: " + ", ".join(f"{r['numbers']:,}" for r in results) + " tracking numbers",
        "",
        f"Run {meta['at']} on commit {meta['commit']}; load average before: {meta['loadavg']}.",
        "",
        head,
        "|---|" + "---|" * (len(results) + 1),
    ]
    for title, key, target in ROWS:
        cells = [str(r.get(key, "-")) for r in results]
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {target} |")
    return "\n".join(lines) + "\n"


def _meta() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "-C", str(SOURCE_ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit.stdout.strip(),
        "loadavg": loadavg(),
        "cpus": os.cpu_count(),
    }


def _write(out: Path, meta: dict[str, Any], results: list[dict[str, Any]]) -> Path:
    stamp = str(meta["at"]).replace("-", "").replace(":", "")
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stamp}-scale.md"
    (out / f"{stamp}-scale.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2) + "\n"
    )
    path.write_text(markdown(results, meta))
    return path


async def run(
    counts: Sequence[int], with_asterisk: bool, out: Path, with_file: bool = True
) -> Path:
    meta = _meta()
    base = await resolve_database_url()
    results = []
    with tempfile.TemporaryDirectory(prefix="continuity-scale-") as tmp:
        work = Path(tmp)
        async with contextlib.AsyncExitStack() as stack_scope:
            stack = None
            if with_asterisk:
                progress("starting the local stack (real Asterisk) ...")
                stack = await stack_scope.enter_async_context(LocalStack())
            for count in counts:
                results.append(await one_count(base, count, work, stack, with_file))
    return _write(out, meta, results)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description="Import, start, one change on the ARI path and the fallback dialplan's "
        "cost at 1,000, 10,000 and 100,000 tracking numbers, side by side.",
    )
    parser.add_argument(
        "--counts", type=lambda t: [int(c) for c in t.split(",")], default=list(COUNTS),
        help="comma-separated counts (default 1000,10000,100000)",
    )  # fmt: skip
    parser.add_argument(
        "--no-asterisk", action="store_true", help="skip the Asterisk reload figures"
    )
    parser.add_argument(
        "--no-file-reload",
        action="store_true",
        help="skip Asterisk's reload of the per-number file (at 100,000 numbers it keeps the "
        "pbx busy for minutes, which then delays the AstDB figures' calls)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    path = asyncio.run(run(args.counts, not args.no_asterisk, args.out, not args.no_file_reload))
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
