"""``python -m bench``: routing overhead, call rate, outage switch and config propagation.

Runs against the real local stack (real Asterisk, real PostgreSQL, the app
as ``continuity serve``), on loopback only, and stops by itself. Needs root
(chroot for Asterisk, a raw socket for packet timestamps). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import calls_figures, recovery, report, state_figures
from bench.app_process import APP_TREE
from bench.capture import InviteCapture
from bench.options import RESULTS, build_parser
from bench.rig import Rig, rig

#: With the outage figure the pbx qualifies its trunks every second and waits this long.
QUALIFY_TIMEOUT = 0.5


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _public(argv: Sequence[str]) -> list[str]:
    """``argv`` as recorded: a folder outside the repository is not named."""
    root = RESULTS.parent.parent

    def folder(value: str) -> str:
        path = Path(value).resolve()
        return str(path.relative_to(root)) if path.is_relative_to(root) else "<folder>"

    shown: list[str] = []
    for arg in argv:
        for option in ("--out", "--app-tree"):
            if shown[-1:] == [option]:
                arg = folder(arg)
            elif arg.startswith(f"{option}="):
                arg = f"{option}=" + folder(arg.removeprefix(f"{option}="))
        shown.append(arg)
    return shown


def _meta(argv: Sequence[str]) -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(RESULTS.parent.parent), *args],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    changed = [line for line in git("status", "--porcelain").splitlines() if line]
    app_commit = subprocess.run(
        ["git", "-C", str(APP_TREE[0]), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit or "unknown",
        #: The commit ``continuity serve`` ran from (``--app-tree``; else ``commit``).
        "app_commit": app_commit or commit or "unknown",
        #: Uncommitted or untracked files in the tree the run used.
        "dirty_files": len(changed),
        "cpus": os.cpu_count(),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "argv": " ".join(["python -m bench", *_public(argv)]),
        "timestamp_resolution": "1 µs (kernel SO_TIMESTAMPNS on lo)",
    }


#: Figures that run on a stack of their own, so one cannot leave the next a wedged
#: app or a just-thawed primary: (figures, the pbx's qualify interval).
GROUPS = ((("pdd", "cli"), 0), (("outage",), 1), (("rate",), 0), (("onset",), 0))


async def run(args: argparse.Namespace, argv: Sequence[str]) -> dict[str, Any]:
    results: dict[str, Any] = {"meta": _meta(argv)}
    for figures, qualify in GROUPS:
        wanted = [f for f in figures if f in args.figures]
        if figures[0] == "pdd" and args.profile:
            wanted.append("profile")
        if wanted:
            await _on_fresh_stack(args, results, wanted, qualify)
            report.write(results, args.out)  # what is done survives an interrupted run
    return results


async def _on_fresh_stack(
    args: argparse.Namespace, results: dict[str, Any], figures: list[str], qualify: int
) -> None:
    with tempfile.TemporaryDirectory(prefix="continuity-bench-") as tmp:
        async with rig(
            Path(tmp),
            numbers_per_route=args.numbers,
            rtp_ports=max(1000, 8 * max(args.concurrency), 8 * int(args.ramp[3])),
            qualify_frequency=qualify,
            qualify_timeout=QUALIFY_TIMEOUT,
            progress=progress,
            dialing=args.dialing,
        ) as r:
            version = await r.stack.pbx.cli("core show version")
            results["meta"]["asterisk"] = version.split(" built")[0]
            results["meta"]["routes"] = list(r.routes)
            results["meta"]["dialing"] = args.dialing
            ports = [r.stack.pbx.sip_port, r.stack.carrier_primary_port, r.stack.carrier_pstn_port]
            try:
                with InviteCapture(ports) as capture:
                    await calls_figures.warm_up(r, capture, args.warmup, progress)
                    for figure in figures:
                        await FIGURE_RUNS[figure](args, r, capture, results)
                    await calls_figures.wait_quiet(r, progress)
                    _, left = await calls_figures.pbx_channels(r)
                    processed = await calls_figures.calls_processed(r)
                    results.setdefault("pbx_left_behind", {})["+".join(figures)] = {
                        "channels": left,
                        "calls_processed": processed,
                    }
                    if left:
                        progress(
                            f"the pbx kept {left} channel(s) a masquerade left behind "
                            f"({processed} calls processed)"
                        )
            finally:
                args.out.mkdir(parents=True, exist_ok=True)
                log = args.out / f"{_stem(results)}.{'-'.join(figures)}.continuity-log.tmp"
                shutil.copyfile(r.app.log_path, log)


async def _pdd(
    args: argparse.Namespace, r: Rig, capture: InviteCapture, results: dict[str, Any]
) -> None:
    results["post_dial_delay"] = await calls_figures.post_dial_delay(
        r,
        capture,
        per_route=args.calls,
        rate=args.rate,
        concurrency=max(200, int(args.rate * len(r.routes) * (args.hold + 3))),
        hold=args.hold,
        progress=progress,
    )


async def _profile(
    args: argparse.Namespace, r: Rig, capture: InviteCapture, results: dict[str, Any]
) -> None:
    from bench import profile

    results["profile"] = await profile.profile_ari(
        r,
        capture,
        calls=args.calls,
        rate=args.rate,
        hold=args.hold,
        progress=progress,
        save_to=args.out / f"{_stem(results)}.pyspy-collapsed.tmp",
    )


async def _cli(
    args: argparse.Namespace, r: Rig, capture: InviteCapture, results: dict[str, Any]
) -> None:
    results["cli_change"] = await state_figures.cli_change(
        r, capture, repeats=args.cli_repeats, interval=args.probe_interval, progress=progress
    )


async def _outage(
    args: argparse.Namespace, r: Rig, capture: InviteCapture, results: dict[str, Any]
) -> None:
    results["outage_switch"] = await state_figures.outage_switch(
        r, capture, repeats=args.outage_repeats, interval=args.outage_interval, progress=progress
    )
    if not results["outage_switch"]["available"]:
        progress(f"outage switch: {results['outage_switch']['note']}")


async def _rate(
    args: argparse.Namespace, r: Rig, capture: InviteCapture, results: dict[str, Any]
) -> None:
    results["call_rate"] = await calls_figures.call_rate(
        r,
        capture,
        levels=args.concurrency,
        per_route=args.calls,
        rounds=args.rounds,
        hold=args.hold,
        progress=progress,
    )
    results["after_overload"] = await recovery.after_overload(r, capture, progress)


async def _onset(
    args: argparse.Namespace, r: Rig, capture: InviteCapture, results: dict[str, Any]
) -> None:
    from bench import onset

    start, step, seconds, limit = args.ramp
    ramp = onset.Ramp(start=start, step=step, seconds=seconds, hold=args.hold, limit=limit)
    results["handoff_onset"] = await onset.handoff_onset(r, capture, ramp, progress)


FIGURE_RUNS = {
    "pdd": _pdd,
    "profile": _profile,
    "cli": _cli,
    "outage": _outage,
    "rate": _rate,
    "onset": _onset,
}


def _stem(results: dict[str, Any]) -> str:
    return report.stem_of(results)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if os.geteuid() != 0:
        print(
            "bench: run as root (Asterisk runs with chroot; packet timestamps need a raw socket)",
            file=sys.stderr,
        )
        return 2
    if args.calls < 1 or args.rounds < 1 or args.rate <= 0 or args.hold <= 0:
        print("bench: --calls, --rounds, --rate and --hold must be above 0", file=sys.stderr)
        return 2
    if args.app_tree is not None:
        if not (args.app_tree / "continuity" / "__init__.py").is_file():
            print(f"bench: {args.app_tree} is no checkout of this project", file=sys.stderr)
            return 2
        APP_TREE[0] = args.app_tree.resolve()

    expired: list[bool] = []

    async def bounded() -> dict[str, Any]:
        task = asyncio.current_task()
        if task is not None:  # SIGTERM stops the run the way Ctrl-C does: cleaned up
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        limit = asyncio.timeout(args.time_limit)
        try:
            async with limit:
                return await run(args, argv)
        finally:
            expired.append(limit.expired())

    try:
        results = asyncio.run(bounded())
    except TimeoutError:
        if not any(expired):
            raise
        print(f"bench: stopped after the {args.time_limit:g} s time limit", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench: interrupted; the stack and the database were cleaned up", file=sys.stderr)
        return 130
    json_path, md_path = report.write(results, args.out)
    print(report.markdown(results))
    progress(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
