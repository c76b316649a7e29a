"""``python -m bench.soak``: SIPp calls through the local stack for N minutes under faults.

Defaults are issue 18's figures: 10 calls/s with 20 s holds (about 200 calls
up at once) for 30 minutes, while the app is SIGKILLed (and restarted as its
systemd unit would), its PostgreSQL connection is cut for 30 s, the primary
flaps and the pbx's Asterisk restarts once. Writes
``bench/results/soak-<UTC time>.json`` and ``.md``: calls placed, answered,
misrouted and lost (each with its cause), records against calls, the app's
RSS and fds over time, leftover channels, post-dial delay per window.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.options import RESULTS
from bench.soak_markdown import as_markdown
from bench.soak_run import SoakResult, SoakSettings, load_average, soak


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description="A soak under faults: SIPp places calls through the local stack (real "
        "Asterisk, PostgreSQL, `continuity serve` under a supervisor) while the app is "
        "SIGKILLed, its PostgreSQL connection cut, the primary flaps and Asterisk restarts. "
        "Writes JSON + Markdown under bench/results/.",
        epilog="examples:\n  python -m bench.soak --minutes 30\n"
        "  python -m bench.soak --minutes 3 --rate 5 --hold 10",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--minutes", type=_positive, default=30.0, help="calling time (default: 30)")
    p.add_argument("--rate", type=_positive, default=10.0, help="calls per second (default: 10)")
    p.add_argument(
        "--hold", type=_positive, default=20.0, help="seconds each call holds (default: 20)"
    )
    p.add_argument(
        "--db-cut", type=_positive, default=30.0, help="seconds PostgreSQL is cut (default: 30)"
    )
    p.add_argument(
        "--no-capture",
        action="store_true",
        help="no packet capture (no post-dial delay; needs no root)",
    )
    p.add_argument(
        "--workdir", type=Path, help="keep SIPp's files, the app's log and its state here"
    )
    p.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help="where to write the results (default: bench/results)",
    )
    return p


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from exc
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, not {text}")
    return value


def _commit() -> str:
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return found.stdout.strip() or "unknown"


def as_json(
    result: SoakResult, started: str, load_start: str, load_end: str, argv: list[str]
) -> dict[str, Any]:
    calls, records, sipp = result.calls, result.records, result.sipp

    def at(when: float) -> float:
        return round(when - result.t0, 1)

    return {
        "started": started,
        "commit": _commit(),
        "arguments": argv,
        "load_average": {"start": load_start, "end": load_end},
        "machine": "2 CPUs shared with other work (see load average)",
        "settings": asdict(result.settings),
        "schedule_s": asdict(result.schedule),
        "faults": [
            {"name": e.name, "at_s": at(e.start), "lasted_s": round(e.end - e.start, 1),
             "detail": e.detail}
            for e in result.faults.events
        ],
        "calls": {
            "placed": calls.placed,
            "up_at_the_asterisk_restart": len(calls.at_restart),
            "answered": calls.answered,
            "routed": calls.routed,
            "landed": dict(calls.landed),
            "misrouted": calls.misrouted,
            "lost": len(calls.lost),
            "lost_outside_restart": len(calls.lost_outside_restart),
            "lost_calls": [
                {"caller": c.caller, "at_s": at(c.placed), "answered": c.answered,
                 "in_asterisk_restart": c.in_restart, "cause": c.cause}
                for c in calls.lost
            ],
            "sipp": {"placed": sipp.placed, "succeeded": sipp.succeeded, "failed": sipp.failed},
        },
        "records": {
            "calls_that_reached_the_carrier": records.expected,
            "records_found": records.found,
            "lost": records.lost,
            "doubled": records.doubled,
            "not_where_the_call_landed": records.wrong,
            "paths": dict(records.paths),
            "problems_of_calls_up_at_the_asterisk_restart": records.at_restart,
        },
        "app_usage": result.usage_summary(),
        "app_usage_samples": [
            {"at_s": at(s.time), "pid": s.pid, "rss_mib": round(s.rss_kib / 1024, 1), "fds": s.fds}
            for s in result.usage
        ],
        "leftover_channels": result.leftover_channels,
        "post_dial_delay_windows": result.pdd,
        "app_log_errors": result.app_log_errors,
    }  # fmt: skip


def write(data: dict[str, Any], results: Path, stamp: str) -> tuple[Path, Path]:
    results.mkdir(parents=True, exist_ok=True)
    json_path, md_path = results / f"soak-{stamp}.json", results / f"soak-{stamp}.md"
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    md_path.write_text(as_markdown(data))
    return json_path, md_path


def _public(argv: list[str]) -> list[str]:
    """The arguments as the results show them: directories only as ``DIR``."""
    shown, hide = [], False
    for arg in argv:
        shown.append(
            "DIR"
            if hide
            else arg.split("=", 1)[0] + "=DIR"
            if arg.startswith(("--workdir=", "--results="))
            else arg
        )
        hide = arg in ("--workdir", "--results")
    return shown


def _progress(message: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    settings = SoakSettings(
        args.minutes * 60, args.rate, args.hold, args.db_cut, not args.no_capture
    )
    now = dt.datetime.now(dt.UTC)
    stamp, load_start = now.strftime("%Y%m%dT%H%M%SZ"), load_average()
    with tempfile.TemporaryDirectory(prefix="continuity-soak-") as tmp:
        started = time.monotonic()
        workdir = args.workdir or Path(tmp)
        result = asyncio.run(soak(settings, workdir, _progress))
        _progress(f"soak done in {time.monotonic() - started:.0f} s")
        command = ["python -m bench.soak", *_public(argv if argv is not None else sys.argv[1:])]
        stamped = now.isoformat(timespec="seconds")
        data = as_json(result, stamped, load_start, load_average(), command)
    json_path, md_path = write(data, args.results, stamp)
    print(as_markdown(data))
    print(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
