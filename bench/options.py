"""The command line of ``python -m bench``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from continuity.config import Dialing

FIGURES = ("pdd", "rate", "outage", "cli", "onset")
#: What a run measures unless told: the open-loop ramp (onset) is asked for by name.
DEFAULT_FIGURES = ("pdd", "rate", "outage", "cli")
RESULTS = Path(__file__).resolve().parent / "results"


def write_results(out: Path, name: str, results: Any) -> Path:
    """Write ``results`` as ``<out>/<UTC time>.<name>.json`` (the smaller tools' files)
    and say where on stderr."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"{stamp}.{name}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {path}", file=sys.stderr)
    return path


def _levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected numbers like 10,50,200, not {text!r}") from exc
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("concurrency levels are whole numbers above 0")
    return levels


def _ramp(text: str) -> tuple[float, float, float, float]:
    try:
        start, step, seconds, limit = (float(part) for part in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected START,STEP,SECONDS,LIMIT, not {text!r}"
        ) from exc
    if min(start, step, seconds) <= 0 or limit < start:
        raise argparse.ArgumentTypeError("ramp: start, step and seconds above 0, limit >= start")
    return start, step, seconds, limit


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
        default=list(DEFAULT_FIGURES),
        help=f"which figures, comma-separated, of {','.join(FIGURES)} "
        f"(default: {','.join(DEFAULT_FIGURES)})",
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
        "--outage-repeats",
        type=int,
        default=3,
        help="outage switch: how many times to freeze the primary (default: 3)",
    )
    p.add_argument(
        "--outage-interval",
        type=float,
        default=0.25,
        help="outage switch: seconds between calls while the primary is frozen (default: 0.25)",
    )
    p.add_argument(
        "--warmup",
        type=float,
        default=15.0,
        help="seconds of uncounted calls and quiet after start-up (default: 15)",
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
    p.add_argument(
        "--ramp",
        type=_ramp,
        default=(10.0, 5.0, 8.0, 200.0),
        metavar="START,STEP,SECONDS,LIMIT",
        help="onset: SIPp calls/s of the first step, calls/s more per step, seconds per "
        "step, highest rate (default: 10,5,8,200)",
    )
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    p.add_argument(
        "--app-tree",
        type=Path,
        help="run `continuity serve` from this checkout (another commit, to compare side "
        "by side with the same bench, stack and dialplan); default: this one",
    )
    p.add_argument(
        "--dialing",
        choices=[d.value for d in Dialing],
        default=Dialing.ARI.value,
        help="the app's `dialing` setting: the app dials each planned call (ari) or sends "
        "it to the generated dialplan of its routing state (dialplan); run the bench once "
        "with each to compare them (default: ari)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="also profile the app with py-spy during an extra block of ARI calls",
    )
    return p
