"""``python -m bench.records_cost``: the app's CPU per call record, with and without the linger.

Calls end at ``--rate`` per second (open loop) and each hands its record to the
real ``CallRecorder`` writing to a temporary PostgreSQL database (found the way
the tests find it). The figure is this process's CPU time per record (it is the
app's side of the insert: psycopg, the event loop, the recorder), for each
linger, ``--repeats`` times interleaved.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.options import RESULTS, write_results
from continuity.core.outcome import Outcome
from continuity.core.records import CallRecord
from continuity.db import migrate
from continuity.db.pool import Pool
from continuity.db.records import CallRecordStore
from continuity.recorder import LINGER, CallRecorder
from localstack import resolve_database_url, temporary_database

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def record(n: int, run: str) -> CallRecord:
    return CallRecord(
        call_id=f"bench-{run}.{n}",
        tracking_number="+12125550101",
        line="",
        caller_number="+13125550199",
        caller_name="",
        reason="normal",
        outcome=Outcome.ANSWERED,
        started_at=T0,
        ended_at=T0 + dt.timedelta(seconds=30),
        answered_at=T0 + dt.timedelta(seconds=2),
        answered_kind="primary",
        answered_target="+12125550101",
    )


async def one_run(store: CallRecordStore, linger: float, calls: int, rate: float) -> float:
    with tempfile.TemporaryDirectory() as spool:
        recorder = CallRecorder(Path(spool), store, linger=linger)
        run = f"{linger}-{time.monotonic_ns()}"
        started = time.process_time()
        pending = []
        for n in range(calls):
            pending.append(asyncio.create_task(recorder.record(record(n, run))))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*pending)
        return (time.process_time() - started) * 1000 / calls


async def run(args: argparse.Namespace) -> dict[str, list[float]]:
    lingers = (0.0, args.linger)
    results: dict[str, list[float]] = {f"linger {x:g} s": [] for x in lingers}
    base = await resolve_database_url()
    async with temporary_database(base, prefix="continuity_bench_records") as url:
        await migrate.upgrade(url)
        async with Pool(url, min_size=1, max_size=2, open=False) as pool:
            await pool.wait()
            store = CallRecordStore(pool)
            for _ in range(args.repeats):
                for linger in lingers:
                    cost = await one_run(store, linger, args.calls, args.rate)
                    results[f"linger {linger:g} s"].append(cost)
                    print(f"linger {linger:g} s: {cost:.3f} ms CPU per record", file=sys.stderr)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.records_cost", description=__doc__)
    parser.add_argument("--calls", type=int, default=200, help="records per run (200)")
    parser.add_argument("--rate", type=float, default=20.0, help="calls ending per second (20)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per linger (3)")
    parser.add_argument(
        "--linger",
        type=float,
        default=LINGER,
        help=f"the linger compared with none (default: the product's, {LINGER:g} s)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.rate <= 0 or args.repeats < 1:
        parser.error("--calls, --rate and --repeats must be above 0")
    if args.linger <= 0:
        parser.error("--linger must be above 0")
    runs = asyncio.run(run(args))
    out = {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "calls": args.calls,
        "rate": args.rate,
        "cpu_ms_per_record": {
            k: {"median": statistics.median(v), "runs": v} for k, v in runs.items()
        },
    }
    print(json.dumps(out["cpu_ms_per_record"], indent=2))
    write_results(args.out, "records-cost", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
