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
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import calls_figures, report, state_figures
from bench.capture import InviteCapture
from bench.rig import Rig, rig

FIGURES = ("pdd", "rate", "outage", "cli")
RESULTS = Path(__file__).resolve().parent / "results"


def _levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected numbers like 10,50,200, not {text!r}") from exc
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("concurrency levels are whole numbers above 0")
    return levels


def _figures(text: str) -> list[str]:
    chosen = [part for part in text.split(",") if part]
    unknown = set(chosen) - set(FIGURES)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"figures are some of {','.join(FIGURES)}")
    return chosen


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the continuity app against pure dialplan on the real local "
        "stack; print a table and write JSON + Markdown under bench/results/.",
    )
    p.add_argument(
        "--figures",
        type=_figures,
        default=list(FIGURES),
        help=f"which figures, comma-separated (default: {','.join(FIGURES)})",
    )
    p.add_argument(
        "--calls",
        type=int,
        default=200,
        help="calls per route for the post-dial-delay run and per block of the "
        "call-rate run (default: 200)",
    )
    p.add_argument(
        "--rate",
        type=float,
        default=20.0,
        help="post-dial delay: calls per second per route, routes alternating (default: 20)",
    )
    p.add_argument(
        "--concurrency",
        type=_levels,
        default=[10, 50, 200],
        help="call rate: concurrent-call levels, comma-separated (default: 10,50,200)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="call rate: blocks per route and level, alternating order (default: 2)",
    )
    p.add_argument(
        "--hold",
        type=float,
        default=1.0,
        help="seconds each call stays up after it is answered (default: 1)",
    )
    p.add_argument(
        "--cli-repeats",
        type=int,
        default=10,
        help="CLI change: how many changes to time (default: 10)",
    )
    p.add_argument(
        "--probe-interval",
        type=float,
        default=0.01,
        help="CLI change: seconds between calls after a change (default: 0.01)",
    )
    p.add_argument(
        "--numbers",
        type=int,
        default=50,
        help="tracking numbers per routed path, calls cycle through them (default: 50)",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=1800,
        help="stop everything after this many seconds (default: 1800)",
    )
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    p.add_argument(
        "--profile",
        action="store_true",
        help="also profile the app with py-spy during an extra block of ARI calls",
    )
    return p


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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
    return {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit or "unknown",
        #: Uncommitted or untracked files in the tree the run used.
        "dirty_files": len(changed),
        "cpus": os.cpu_count(),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "argv": " ".join(["python -m bench", *argv]),
        "timestamp_resolution": "1 µs (kernel SO_TIMESTAMPNS on lo)",
    }


async def run(args: argparse.Namespace, argv: Sequence[str]) -> dict[str, Any]:
    results: dict[str, Any] = {"meta": _meta(argv)}
    qualify = 1 if "outage" in args.figures else 0
    with tempfile.TemporaryDirectory(prefix="continuity-bench-") as tmp:
        async with rig(
            Path(tmp),
            numbers_per_route=args.numbers,
            rtp_ports=max(1000, 8 * max(args.concurrency)),
            qualify_frequency=qualify,
            progress=progress,
        ) as r:
            results["meta"]["asterisk"] = (await r.stack.pbx.cli("core show version")).split(
                " built"
            )[0]
            results["meta"]["routes"] = list(r.routes)
            ports = [r.stack.pbx.sip_port, r.stack.carrier_primary_port, r.stack.carrier_pstn_port]
            with InviteCapture(ports) as capture:
                await _figures_run(args, r, capture, results)
    return results


async def _figures_run(
    args: argparse.Namespace, r: Rig, capture: InviteCapture, results: dict[str, Any]
) -> None:
    if "pdd" in args.figures:
        results["post_dial_delay"] = await calls_figures.post_dial_delay(
            r,
            capture,
            per_route=args.calls,
            rate=args.rate,
            concurrency=max(200, int(args.rate * len(r.routes) * (args.hold + 3))),
            hold=args.hold,
            progress=progress,
        )
    if "rate" in args.figures:
        results["call_rate"] = await calls_figures.call_rate(
            r,
            capture,
            levels=args.concurrency,
            per_route=args.calls,
            rounds=args.rounds,
            hold=args.hold,
            progress=progress,
        )
    if "cli" in args.figures:
        results["cli_change"] = await state_figures.cli_change(
            r,
            capture,
            repeats=args.cli_repeats,
            interval=args.probe_interval,
            progress=progress,
        )
    if "outage" in args.figures:
        results["outage_switch"] = state_figures.outage_switch()
        progress(f"outage switch: {results['outage_switch']['note']}")
    if args.profile:
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

    expired: list[bool] = []

    async def bounded() -> dict[str, Any]:
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
    except KeyboardInterrupt:
        return 130
    json_path, md_path = report.write(results, args.out)
    print(report.markdown(results))
    progress(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
