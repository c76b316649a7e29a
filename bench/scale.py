"""``python -m bench.scale``: the product at 1,000, 10,000 and 100,000 tracking numbers.

Side by side in one run, for each count, on a database of its own:

- ``continuity number import`` of a CSV of that many numbers (the real command);
- the routing state loaded the way ``continuity serve`` loads it (a process of its
  own, ``bench.scale_probe``): seconds until it can route, and its RSS;
- one admin change (a number's label) until that process routes with it (the ARI
  path), from the admin's call and from its commit;
- the fallback dialplan with ``fallback_store = file`` (``bench.scale_file``):
  rendering and reading back the per-number file, its size, and Asterisk's own
  ``dialplan reload`` of it on the local stack's pbx (every change reloads it all);
- with ``fallback_store = astdb``, the default (``bench.scale_astdb``): every route
  written, one change, and calls routed by the fallback during a full rewrite.

The ARI path is ``bench.scale_ari``, the numbers ``bench.scale_numbers``, the tables
``bench.scale_report``; this module runs them for each count.

Hold the bench lock while it runs (``flock <lock> python -m bench.scale``); the load
average is written into the results. Results: ``bench/results/<time>-scale.{json,md}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.options import RESULTS
from bench.scale_ari import ari_path
from bench.scale_astdb import astdb
from bench.scale_file import fallback
from bench.scale_numbers import CELL, COUNTS, continuity, loadavg, progress, write_csv
from bench.scale_report import meta, write
from continuity.admin import Admin
from continuity.core.model import ContinuitySettings, Destination, DestinationKind, Line, LineKind
from continuity.db import migrate
from continuity.db.pool import Pool
from continuity.db.store import Store
from localstack import LocalStack, resolve_database_url, temporary_database


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


async def run(
    counts: Sequence[int], with_asterisk: bool, out: Path, with_file: bool = True
) -> Path:
    info = meta()
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
    return write(out, info, results)


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
